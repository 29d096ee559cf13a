"""How the step combines its measures: warnings kept for the report, the rolling window, evidence."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from prioritise_cases import MT, MT_DRIVERS

from helpers import prioritise
from helpers.periods import Period
from helpers.prioritise.compute import combine


def test_step_keeps_collinearity_warnings_for_the_report():
    notes: list[str] = []
    df = MT.assign(disp_copy=MT["disp"] * 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape to stderr
        out = combine.catch_warnings(notes, prioritise.key_drivers, df, "mpg", [*MT_DRIVERS, "disp_copy"], n_boot=20)
    assert out.warning and len(notes) == 1 and "collinear" in notes[0]


def test_rolling_window_is_a_year_ending_with_the_period():
    assert combine.rolling_window(Period.parse("2026Q3")).label == "2025Q4"
    assert combine.rolling_window(Period.parse("2026-09")).label == "2025-10"


def test_evidence_needs_a_positive_component():
    none = pd.DataFrame({"experience": [0.0, np.nan], "sales": [0.0, 0.0], "reach": [np.nan, 0.0]})
    assert not combine.has_evidence(none)
    assert combine.has_evidence(none.assign(reach=[0.0, 0.2]))
    assert not combine.has_evidence(none.head(0))


def test_attribution_of_no_journeys_is_empty():
    paths = pd.DataFrame(columns=["path", "journeys", "conversions", "nulls", "revenue"])
    got = combine.attribute(paths, None)
    assert got.markov is None and got.models.empty and got.friction.empty
    assert combine.reach(got.friction, paths) is None
