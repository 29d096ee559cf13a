"""What the review finds on the demo (docs/demo-data.md, "Forecast back-test") and the report
built for 2026Q3 alone and after 2026Q2 (issue 16: the summary shows last period's priorities)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import artifacts, review
from helpers.periods import Period
from helpers.review import step


def _totals(demo_root, client: str, period: str):
    from helpers import data

    bt = step._backtest(data.ClientData(client, root=demo_root), Period.parse(period), 300, [])
    return bt.totals.set_index("measure")


def test_demo_backtest_nordlys_forecast_falls_short_of_growing_summer_sales(demo_root):
    # docs/demo-data.md: nordlys' journey purchases grow through the data and peak in summer; a
    # stationary BG/NBD fitted up to 30 June under-forecasts 2026Q3 by several percent
    t = _totals(demo_root, "nordlys", "2026Q3")
    assert 0.80 <= t.loc["purchases", "ratio"] <= 0.97
    assert t.loc["purchases", "ci_high"] < 1.0
    assert t.loc["revenue", "ratio"] == pytest.approx(t.loc["purchases", "ratio"], abs=0.06)


def test_demo_backtest_fjordtech_forecast_is_close_july_halves_its_sales(demo_root):
    # docs/demo-data.md: fjordtech's July weight is 0.5, so 2026Q3 is a little below the fitted rate
    t = _totals(demo_root, "fjordtech", "2026Q3")
    assert 0.95 <= t.loc["purchases", "ratio"] <= 1.20
    assert t.loc["purchases", "ci_low"] < 1.0 + 0.2 and t.loc["purchases", "ci_high"] > 1.0


@pytest.mark.slow
def test_review_without_previous_artifacts_recomputes_and_saves_its_tables(demo_root, tmp_path):
    result = review.run("nordlys", "2026Q3", root=demo_root)
    assert result.has_previous and set(result.recomputed) == {"priorities", "verdicts"}
    top = result.previous_top
    assert 1 <= len(top) <= 5 and list(top["rank_before"]) == sorted(top["rank_before"])
    # the demo's too-early verdicts of 2026Q2 (changes that started in July and August) have answers now
    assert {"CH-checkout", "CH-newsletter"} <= set(result.too_early["change_id"])
    assert result.too_early["resolved"].all()
    assert set(result.trends["period"]) == {p.label for p in (Period.parse("2025Q2").shift(i) for i in range(6))}
    artifacts.save(tmp_path, review.findings(result))
    back = artifacts.load(tmp_path, "evaluate")
    for name in ("verdicts", "since_last_period", "forecast_backtest", "forecast_calibration", "trends"):
        assert back.table(name) is not None, name
    assert back.metrics["review"]["recomputed"] == ["priorities", "verdicts"]


def _text(report: Path) -> str:
    s = report.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s)))


def _summary(text: str) -> str:
    """The executive summary's text (up to step 1's heading in the body)."""
    start = text.index("Executive summary The most important")
    return text[start:text.index("Step 1: Identify", start)]


def _report(root: Path, period: str) -> Path:
    exe = Path(sys.executable).parent / "tpkit"
    done = subprocess.run([str(exe), "report", "nordlys", "--period", period, "--language", "en", "--no-pdf",
                           "--force", "--root", str(root)], capture_output=True, text=True, timeout=1800,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return root / "reports" / "nordlys" / period / "report.html"


@pytest.mark.slow
def test_2026q3_report_after_2026q2_shows_last_periods_priorities(demo_root, tmp_path):
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    shutil.copy(demo_root / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(demo_root / "data" / "nordlys", root / "data" / "nordlys")

    alone = _summary(_text(_report(root, "2026Q3")))
    assert "Since last period" in alone
    assert "were not found, so they were recomputed" in alone

    _report(root, "2026Q2")
    saved = artifacts.load(root / "reports" / "nordlys" / "2026Q2" / "artifacts", "prioritise")
    top_q2 = saved.table("priorities").sort_values("rank").head(5)
    text = _summary(_text(_report(root, "2026Q3")))
    assert "were not found" not in text
    names = ", ".join(top_q2["name"])
    assert f"The top priorities of 2026Q2 were, in order: {names}." in text
    assert "Last period's priorities: what happened since" in text
    for name in top_q2["name"]:
        assert name in text
    assert "Last period's purchase forecast against what happened" in text


def test_demo_backtest_above_the_cap_checks_a_sample_and_says_so(demo_root, monkeypatch):
    """A cap of half the customers: about half of them are compared, the note says it, and the ratio of a
    random half estimates the same ratio (within the full data's interval widened by the sample's)."""
    from helpers import data
    from helpers.analyse import queries as aq

    src = data.ClientData("nordlys", root=demo_root)
    per = Period.parse("2026Q3")
    full = step._backtest(src, per, 300, [])
    known = int(full.totals.set_index("measure").loc["purchases", "customers"])
    monkeypatch.setattr(aq, "MAX_MODEL_CUSTOMERS", known // 2)
    notes: list[str] = []
    half = step._backtest(src, per, 300, notes)
    t, f = half.totals.set_index("measure"), full.totals.set_index("measure")
    assert 0.4 * known < t.loc["purchases", "customers"] < 0.6 * known
    assert len(notes) == 1 and "random sample" in notes[0]
    width = f.loc["purchases", "ci_high"] - f.loc["purchases", "ci_low"]
    assert abs(t.loc["purchases", "ratio"] - f.loc["purchases", "ratio"]) < 1.5 * width
    assert 0.3 * full.new_customers < half.new_customers < 0.7 * full.new_customers
