"""Friction (drop-off against the average, Wilson intervals) and ROI, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from prioritise_cases import HAND

from helpers import prioritise, stats
from helpers.errors import DataError


def test_friction_by_hand():
    fr = prioritise.friction(HAND).set_index("channel")
    # reached (journeys with the channel): a 4, b 8 (2 + 3 + 3), c 7; drop-offs (nulls ending there): b 3, c 3
    assert fr.loc["a", "reached"] == 4 and fr.loc["b", "reached"] == 8 and fr.loc["c", "reached"] == 7
    assert fr.loc["a", "dropoffs"] == 0 and fr.loc["b", "dropoffs"] == 3 and fr.loc["c", "dropoffs"] == 3
    assert fr.loc["b", "average"] == pytest.approx(6 / 19)
    est = stats.proportion_ci(3, 8)
    assert fr.loc["b", "dropoff_ci_low"] == pytest.approx(est.ci_low)
    assert fr.loc["b", "excess"] == pytest.approx(3 / 8 - 6 / 19)


def test_friction_flags_a_clear_exit():
    paths = pd.DataFrame({"path": ["faq", "web > buy", "faq > web > buy", "web"],
                          "conversions": [0, 400, 50, 0], "nulls": [300, 100, 20, 100]})
    fr = prioritise.friction(paths).set_index("channel")
    assert fr.loc["faq", "flag"] == "above average" and fr.loc["buy", "flag"] == "below average"


def test_roi_by_hand():
    attributed = pd.DataFrame({"touchpoint_id": ["a", "b"], "period": ["2026Q3", "2026Q3"], "revenue": [300.0, 50.0]})
    costs = pd.DataFrame({"touchpoint_id": ["a", "b", "svc", "a"], "period": ["2026Q3", "2026Q3", "2026Q3", "2026Q2"],
                          "cost": [100.0, 100.0, 80.0, 90.0]})
    out = prioritise.roi(attributed, costs, model="Markov", period="2026Q3").set_index("touchpoint_id")
    assert out.loc["a", "roi"] == pytest.approx(2.0) and out.loc["b", "roi"] == pytest.approx(-0.5)
    assert out.loc["a", "revenue_per_cost"] == pytest.approx(3.0) and (out["model"] == "Markov").all()
    assert np.isnan(out.loc["svc", "roi"])  # not on a path to purchase: attribution cannot value it
    with pytest.raises(DataError, match="lacks columns"):
        prioritise.roi(attributed.drop(columns="period"), costs, model="Markov")

