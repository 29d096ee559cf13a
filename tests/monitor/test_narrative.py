"""The monitor's table in words: verdicts, dates and numbers in the chosen language."""

from __future__ import annotations

import datetime as dt

from helpers.monitor import narrative
from helpers.monitor import sequences as sq
from helpers.monitor.compute import MonitorResult, MonitorRow


def _row(verdict, until=None, reason="", kpi="csat"):
    return MonitorRow("CH-x", "app", "x", kpi, "its", dt.date(2026, 7, 1), 8, 8, 0.123, 0.05, 0.2, 0.18,
                      "reference", verdict, until, reason)


def _result(rows, language="en"):
    return MonitorResult("c", "Client <Co>", dt.date(2026, 9, 30), language, "DKK", 0.05, tuple(rows),
                         future=("CH-later",))


def test_verdict_words_and_dates():
    assert narrative.verdict_text(_row(sq.MOVED)) == "moved"
    assert narrative.verdict_text(_row(sq.NO_EFFECT)) == "no effect of the planned size"
    assert narrative.verdict_text(_row(sq.KEEP, dt.date(2026, 12, 12))) == "keep collecting, about until 12 Dec 2026"
    assert "within two years" in narrative.verdict_text(_row(sq.KEEP))
    assert narrative.verdict_text(_row(sq.KEEP, reason="too early")).startswith("too early")


def test_table_in_english_and_danish():
    rows = [_row(sq.MOVED), _row(sq.KEEP, dt.date(2026, 12, 12), kpi="conversion")]
    en = narrative.format_table(_result(rows))
    assert "Client <Co>: running changes as of 30 September 2026" in en
    assert "+0.12" in en and "+0.05 to +0.20" in en and "+12.3 pp" in en and "CH-later" in en
    da = narrative.format_table(_result(rows, "da"))
    assert "30. september 2026" in da and "+0,12" in da and "Ændring" in da
