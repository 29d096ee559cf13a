"""`tpkit monitor` as the user runs it: the real process on the small demo, its answers (docs/monitor.md) and
its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def tpkit(*args, cwd=None):
    exe = Path(sys.executable).with_name("tpkit")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def nordlys(demo_root):
    proc = tpkit("monitor", "nordlys", "--json", "--root", str(demo_root))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    return out, {(r["change_id"], r["kpi"]): r for r in out["rows"]}


def test_monitor_nordlys_answers_match_the_planted_truth(nordlys):
    out, rows = nordlys
    assert out["as_of"] == "2026-09-30"  # last day of the demo data
    assert set(rows) == {("CH-checkout", "conversion"), ("CH-checkout", "csat"), ("CH-newsletter", "csat"),
                         ("CH-service", "csat"), ("CH-app-onboarding", "conversion")}
    # the planted CSAT effect of the one-page checkout (+0.32) is found even at the small size
    checkout = rows[("CH-checkout", "csat")]
    assert checkout["verdict"] == "moved" and checkout["ci_low"] > 0
    # the newsletter redesign has no effect: never "moved"
    assert rows[("CH-newsletter", "csat")]["verdict"] != "moved"
    for key, r in rows.items():
        assert r["ci_low"] <= r["estimate"] <= r["ci_high"]
        # every change with a planted effect is up: none is ever called "no effect of the planned size"
        if key != ("CH-newsletter", "csat"):
            assert r["verdict"] != "no effect of the planned size", key
        if r["verdict"] == "keep collecting" and r["until"] is not None:
            assert r["until"] > out["as_of"]
    # the A/B test's sequence is one look per week since the start, each interval containing its estimate
    looks = rows[("CH-app-onboarding", "conversion")]["looks"]
    assert len(looks) >= 10 and all(lk["ci_low"] <= lk["estimate"] <= lk["ci_high"] for lk in looks)


def test_monitor_table_and_as_of(demo_root):
    proc = tpkit("monitor", "fjordtech", "--root", str(demo_root), "--language", "en")
    assert proc.returncode == 0, proc.stderr
    assert "running changes as of 30 September 2026" in proc.stdout
    assert "CH-portal-search" in proc.stdout and "CH-trial-30" in proc.stdout
    early = tpkit("monitor", "nordlys", "--root", str(demo_root), "--as-of", "2026-07-10", "--json")
    assert early.returncode == 0, early.stderr
    out = json.loads(early.stdout)
    assert set(out["not_started"]) == {"CH-checkout", "CH-newsletter"}
    assert {r["change_id"] for r in out["rows"]} == {"CH-service", "CH-app-onboarding"}


@pytest.mark.parametrize("args,message", [
    (("monitor", "no-such-client"), "no client 'no-such-client'"),
    (("monitor", "nordlys", "--as-of", "2026-13-01"), "--as-of '2026-13-01' is not a date"),
    (("monitor", "nordlys", "--language", "fi"), "fi"),
])
def test_monitor_errors_are_clear(demo_root, args, message):
    proc = tpkit(*args, "--root", str(demo_root))
    assert proc.returncode != 0
    assert message in proc.stderr and "Traceback" not in proc.stderr
