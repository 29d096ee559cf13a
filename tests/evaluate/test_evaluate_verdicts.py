"""helpers.evaluate verdicts: the decision as data, and the words and numbers the step shows."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers import evaluate
from helpers.evaluate import narrative
from helpers.evaluate.compute import verdicts

NAN = float("nan")


@pytest.mark.parametrize(("status", "effect", "p_adj", "direction", "expected"), [
    ("ok", 0.07, 0.001, "up", ("moved as expected", "significant", True)),
    ("ok", -0.07, 0.001, "down", ("moved as expected", "significant", False)),
    ("ok", -0.07, 0.001, "up", ("moved against expectation", "significant", False)),
    ("ok", 0.07, 0.049, "down", ("moved against expectation", "significant", True)),
    ("ok", 0.07, 0.05, "up", ("no detectable change", "not significant", None)),  # not below alpha
    ("ok", 0.07, NAN, "up", ("no detectable change", "not significant", None)),
    ("constant", 0.0, NAN, "up", ("no detectable change", "constant", None)),
    ("too early", NAN, NAN, "up", ("too early", "too early", None)),
    ("too little data", NAN, NAN, "up", ("too little data", "too little data", None)),
])
def test_decide(status, effect, p_adj, direction, expected):
    v = verdicts.decide(status, effect, p_adj, direction)
    assert (v.verdict, v.basis, v.rose) == expected
    assert v.verdict in verdicts.VERDICTS


def _row(kpi, effect, lo, hi, p_adj, mde=NAN, **kw):
    return {"kpi": kpi, "effect": effect, "ci_low": lo, "ci_high": hi, "p_adj": p_adj, "mde": mde,
            "start": "2026-06-01", "note": "", **kw}


def test_moved_text_in_the_kpis_units():
    row = _row("conversion", 0.0741, 0.05, 0.098, 0.0031)
    text = narrative.verdict_text(row, verdicts.decide("ok", 0.0741, 0.0031, "up"))
    assert text == ("Moved as expected: conversion rose by 7.4 percentage points "
                    "(95% CI +5.0 percentage points to +9.8 percentage points; adjusted p = 0.003).")


def test_against_expectation_and_tiny_p_never_in_scientific_notation():
    row = _row("csat", -0.31, -0.45, -0.17, 2.4e-9)
    text = narrative.verdict_text(row, verdicts.decide("ok", -0.31, 2.4e-9, "up"))
    assert text == ("Moved against expectation: CSAT fell by 0.31 points although a rise was expected "
                    "(95% CI -0.45 points to -0.17 points; adjusted p < 0.001).")
    assert not re.search(r"\de-\d", text)


def test_no_detectable_change_names_the_mde_and_revenue_its_currency():
    row = _row("revenue", 12.4, -30.2, 55.0, 0.61, mde=61.7)
    text = narrative.verdict_text(row, verdicts.decide("ok", 12.4, 0.61, "up"), currency="DKK")
    assert text.startswith("No detectable change: the estimate is +DKK\u00a012 (95% CI -DKK\u00a030 to +DKK\u00a055; "
                           "adjusted p = 0.610)")
    assert ("only changes of about DKK\u00a062 or more would have been detected reliably "
            "(80% power after the adjustment)") in text


def test_nps_and_volume_changes():
    assert narrative.change_words("nps", 4.26) == "+4.3 NPS points"
    assert narrative.change_words("volume", -1234.0) == "-1,234 events per week"
    assert narrative.change_words("volume", 1234.0, signed=False) == "1,234 events per week"
    assert narrative.change_words("csat", NAN) == "n/a"


def test_too_early_and_too_little_data_texts():
    early = narrative.verdict_text(_row("csat", NAN, NAN, NAN, NAN), verdicts.decide("too early", NAN, NAN, "up"))
    assert early == "Too early: the change starts on 2026-06-01, after the period ends."
    note = narrative.reason("too few weeks", {"before": 5, "after": 2, "min_before": 8, "min_after": 3}, "csat")
    assert note == "5 usable weeks before and 2 after the change (at least 8 and 3 needed)"
    row = _row("csat", NAN, NAN, NAN, NAN, note=note)
    text = narrative.verdict_text(row, verdicts.decide("too little data", NAN, NAN, "up"))
    assert text == f"Too little data to evaluate: {note}."
    cells = {(False, False): 4, (False, True): 1, (True, False): 3}
    assert narrative.reason("too few in a group", {"unit": "responses", "cells": cells}, "csat") == (
        "too few responses in a group (control before: 4, control after: 1, treated before: 3)")


class _Result:
    """The parts of an EvaluationResult the narrative reads."""

    def __init__(self, table):
        self.table, self.client, self.title, self.period, self.alpha = table, "x", "X", "2026Q3", 0.05


def test_display_table_formats_through_kpis():
    t = pd.DataFrame({"change_id": ["CH-a", "CH-b"], "kpi": ["conversion", "nps"], "design": ["A/B test"] * 2,
                      "effect": [0.0741, -3.0], "ci_low": [0.05, -8.5], "ci_high": [0.098, 2.5],
                      "relative_effect": [0.12, NAN], "p": [1e-12, 0.3], "p_adj": [2e-12, 0.3],
                      "mde": [0.021, 6.0], "power": [0.97, NAN],
                      "verdict": ["moved as expected", "no detectable change"]})
    out = narrative.display_table(_Result(t))
    first = out.iloc[0].to_dict()
    assert first["Effect"] == "+7.4 pp" and first["95% CI"] == "+5.0 to +9.8"
    assert first["p"] == "< 0.001" and first["Adjusted p"] == "< 0.001"
    assert first["Relative"] == "+12.0%" and first["MDE"] == "2.1 pp" and first["Power (5% change)"] == "97%"
    second = out.iloc[1].to_dict()
    assert second["Effect"] == "-3.0" and second["p"] == "0.300" and second["Relative"] == ""
    assert first["KPI"] == "Conversion rate"


def test_overview_counts_every_verdict():
    t = pd.DataFrame({"change_id": ["a", "a", "b"], "verdict": ["moved as expected", "too early", "too early"],
                      "p": [0.01, NAN, NAN]})
    text = repr(evaluate.say_overview(_Result(t)))
    assert "2 logged changes and 3 change-KPI pairs" in text
    assert "1 moved as expected; 2 too early" in text and "the 1 test of this report" in text and "below 0.05" in text
