"""Failed reports on the real `tpkit` process: exit codes, kernels that cannot start, stale build folders.

Stand-in notebooks (tests/report_helpers.py) in the project's own notebooks/ folder keep each run short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers.report import runner
from report_helpers import STEP_ONE, make_project, notebooks_dir, write_notebook

TPKIT = Path(sys.executable).with_name("tpkit")


def _tpkit(*args, env=None, timeout=600):
    return subprocess.run([str(TPKIT), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def failing_project(tmp_path):
    """acme, whose second notebook raises; the notebooks sit in the project's notebooks/ folder."""
    root = make_project(tmp_path / "proj", {"acme": "Acme & Co"})
    nbs = notebooks_dir(root / "notebooks")
    write_notebook(nbs / "01-one.ipynb", "Step 1: One", *STEP_ONE)
    write_notebook(nbs / "02-boom.ipynb", "Step 2: Boom", 'raise KeyError("segment")')
    return root


def _killed_build_dir(parent: Path, period: str) -> Path:
    """A build folder made by a process that was then killed with SIGKILL (as `kill -9` does)."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from helpers.report import runner
        print(runner.make_build_dir(Path({str(parent)!r}), {period!r}), flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    folder = Path(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and folder.is_dir()
    return folder


def test_a_notebook_that_raises_makes_report_and_reports_exit_non_zero(failing_project):
    root = failing_project
    stale = _killed_build_dir(root / "reports" / "acme", "2026Q3")
    one = _tpkit("report", "acme", "--period", "2026Q3", "--root", str(root))
    assert one.returncode == 1, one.stdout + one.stderr
    assert "02-boom.ipynb failed" in one.stdout and "KeyError" in one.stdout
    assert "Traceback" not in one.stderr, one.stderr
    failed = root / "reports" / "acme" / "2026Q3" / "failed"
    assert (failed / "02-boom.ipynb").is_file() and "KeyError" in (failed / "error.txt").read_text()
    assert not (root / "reports" / "acme" / "2026Q3" / "report.html").exists()
    assert not stale.exists(), "the folder left by the killed run is removed by the next run"
    assert not list((root / "reports" / "acme").glob(".2026Q3.building-*")), "this run leaves no folder behind"

    many = _tpkit("reports", "--period", "2026Q3", "--root", str(root), "--jobs", "1")
    assert many.returncode == 1, many.stdout + many.stderr
    assert "FAILED acme 2026Q3: 02-boom.ipynb failed" in many.stdout


def test_demo_reports_exits_non_zero_when_a_report_fails(tmp_path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    nbs = notebooks_dir(root / "notebooks")
    write_notebook(nbs / "01-boom.ipynb", "Step 1: Boom", 'raise RuntimeError("step failed")')
    out = _tpkit("demo", "--events", "3000", "--reports", "--root", str(root), timeout=900)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "01-boom.ipynb failed" in out.stdout and "RuntimeError: step failed" in out.stdout
    assert "Traceback" not in out.stderr


def test_a_kernel_that_cannot_start_is_that_clients_one_line_failure(tmp_path):
    root = make_project(tmp_path / "proj", {"acme": "Acme & Co", "beta": "Beta Retail"})
    nbs = notebooks_dir(root / "notebooks")
    write_notebook(nbs / "01-one.ipynb", "Step 1: One", *STEP_ONE)
    # a kernelspec named like the kit's whose program does not exist: found first through JUPYTER_PATH
    spec = tmp_path / "jupyter" / "kernels" / runner.KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "no-such-python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "broken", "language": "python"}))
    for jobs in ("1", "2"):
        out = _tpkit("reports", "--period", "2026Q3", "--root", str(root), "--jobs", jobs,
                     env={"JUPYTER_PATH": str(tmp_path / "jupyter")})
        text = out.stdout + out.stderr
        assert out.returncode == 1, text
        assert "Traceback" not in text, text
        for client in ("acme", "beta"):
            line = next(ln for ln in out.stdout.splitlines() if ln.startswith(f"FAILED {client} 2026Q3:"))
            assert f"the notebook kernel '{runner.KERNEL}' could not start" in line and "make setup" in line
        assert not (root / "reports" / "acme" / "2026Q3" / "report.html").exists()


def test_only_folders_of_runs_that_are_gone_are_removed(tmp_path):
    parent = tmp_path / "reports" / "acme"
    dead = _killed_build_dir(parent, "2026Q3")
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from helpers.report import runner
        print(runner.make_build_dir(Path({str(parent)!r}), "2026Q3"), flush=True)
        sys.stdin.readline()
    """)
    alive = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        running = Path(alive.stdout.readline().strip())
        other_period = _killed_build_dir(parent, "2026Q2")
        fresh_unowned = parent / ".2026Q3.building-fresh"
        fresh_unowned.mkdir()
        old_unowned = parent / ".2026Q3.building-old"
        old_unowned.mkdir()
        past = time.time() - runner.UNOWNED_GRACE - 60
        os.utime(old_unowned, (past, past))

        removed = runner.remove_stale(parent, "2026Q3")

        assert sorted(removed) == sorted([dead, old_unowned])
        assert not dead.exists() and not old_unowned.exists()
        assert running.is_dir(), "a build still running in parallel keeps its folder"
        assert fresh_unowned.is_dir(), "a folder just created, before its owner file, is left alone"
        assert other_period.is_dir(), "another period's folders are not touched"
    finally:
        alive.communicate("done\n", timeout=30)
    assert runner.is_stale(running), "once its process has ended the folder is stale"


def test_a_reused_pid_does_not_keep_a_folder(tmp_path):
    folder = runner.make_build_dir(tmp_path, "2026Q3")
    owner = json.loads((folder / runner.OWNER).read_text())
    assert owner["pid"] == os.getpid() and not runner.is_stale(folder)
    if owner["started"] is None:
        pytest.skip("no /proc: process start times are not known here")
    owner["started"] = str(int(owner["started"]) - 1)  # same pid, another (earlier) process
    (folder / runner.OWNER).write_text(json.dumps(owner))
    assert runner.is_stale(folder)
