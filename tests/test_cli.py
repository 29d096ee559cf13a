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
