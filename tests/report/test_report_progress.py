"""A long report says what it is doing on stderr (client, step, elapsed time, parts); the HTML says none of it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import progress


def test_part_writes_start_and_end_lines_to_the_progress_file(tmp_path, monkeypatch):
    target = tmp_path / "progress.log"
    monkeypatch.setenv(progress.ENV, str(target))
    with progress.part("customer value"):
        pass
    lines, offset = progress.follow(target)
    assert lines[0] == "customer value ..." and lines[1].startswith("customer value done in ")
    assert offset == target.stat().st_size
    with open(target, "a") as f:
        f.write("half a li")  # an unfinished line waits for its end
    assert progress.follow(target, offset) == ([], offset)


def test_part_without_a_runner_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with progress.part("journeys"):
        pass
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_tpkit_report_shows_its_steps_on_stderr_and_not_in_the_html(demo_root):
    tpkit = Path(sys.executable).with_name("tpkit")
    env = dict(os.environ, TPKIT_KEY="test-key-not-secret")
    proc = subprocess.run([str(tpkit), "report", "nordlys", "--period", "2026Q3", "--force", "--root", str(demo_root)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    err = proc.stderr
    for step in ("01-identify", "02-analyse", "03-prioritise", "04-evaluate", "00-summary"):
        assert f"nordlys 2026Q3 {step}: started" in err
        assert f"nordlys 2026Q3 {step}: done in " in err
    assert "nordlys 2026Q3 02-analyse: customer value ..." in err
    assert "nordlys 2026Q3 02-analyse: customer value done in " in err
    html = (demo_root / "reports" / "nordlys" / "2026Q3" / "report.html").read_text(encoding="utf-8")
    for word in ("customer value ...", "customer value done in ", "02-analyse: started", " s into the report"):
        assert word not in html
    assert "progress.log" not in {p.name for p in (demo_root / "reports" / "nordlys" / "2026Q3").rglob("*")}
