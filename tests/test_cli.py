"""The CLI: user mistakes give a short message and exit code 2, never a traceback."""

import subprocess
import sys

import yaml

from helpers.cli import main


def test_bad_period_exit_2(capsys):
    assert main(["report", "nordlys", "--period", "2026Q9"]) == 2
    err = capsys.readouterr().err
    assert "2026Q9" in err and "2026Q3" in err and "Traceback" not in err


def test_broken_client_yml_names_file_and_field(tmp_path, capsys):
    folder = tmp_path / "data" / "acme"
    folder.mkdir(parents=True)
    (folder / "client.yml").write_text(yaml.safe_dump({
        "name": "Acme", "touchpoints": [{"id": "web", "name": "Web", "kind": "digital", "stage": "buying"}]}))
    code = main(["validate", "acme", "--root", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(folder / "client.yml") in err and "touchpoints[0].stage" in err


def test_unknown_client_exit_2(tmp_path, capsys):
    assert main(["ingest", "nobody", "--root", str(tmp_path)]) == 2
    assert "no client 'nobody'" in capsys.readouterr().err


def test_new_client_creates_a_valid_template(tmp_path, capsys):
    assert main(["new-client", "acme-retail", "--name", "Acme Retail", "--root", str(tmp_path)]) == 0
    assert (tmp_path / "data" / "acme-retail" / "client.yml").is_file()
    assert main(["new-client", "acme-retail", "--root", str(tmp_path)]) == 2


def test_console_script_exit_code_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "helpers.cli", "report", "x", "--period", "soon"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "is not a period" in proc.stderr


def test_usage_error_is_exit_2(capsys):
    assert main(["report"]) == 2


# ---------------------------------------------------------------- the real process


def _tpkit(*args, cwd=None):
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("tpkit")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_version_is_printed_by_the_real_cli():
    import helpers

    out = _tpkit("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"tpkit {helpers.__version__}"


def test_report_and_reports_exit_non_zero_when_a_report_fails(tmp_path):
    """A client whose configuration breaks after planning fails its build: both commands must say so."""
    import shutil
    from pathlib import Path

    import yaml

    import helpers

    repo = Path(helpers.__file__).resolve().parents[2]
    shutil.copytree(repo / "notebooks", tmp_path / "notebooks")
    folder = tmp_path / "data" / "broken"
    (folder / "raw").mkdir(parents=True)
    # valid YAML, invalid configuration: the worker's load_client fails, so the report fails
    broken = {"name": "Broken", "touchpoints": [{"id": "web"}]}
    (folder / "client.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    one = _tpkit("report", "broken", "--period", "2026Q3", "--root", str(tmp_path))
    assert one.returncode != 0, one.stdout + one.stderr
    many = _tpkit("reports", "--period", "2026Q3", "--root", str(tmp_path), "--jobs", "1")
    assert many.returncode != 0, many.stdout + many.stderr
    assert "failed" in (many.stdout + many.stderr)
