"""Importance-performance quadrants and the priority score, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import prioritise
from helpers.errors import ConfigError


def test_importance_performance_quadrants():
    imp = pd.DataFrame({"driver": ["a", "b", "c", "d"], "relative_weight": [0.5, 0.3, 0.1, 0.1]})
    perf = pd.DataFrame({"touchpoint_id": ["a", "b", "c", "d"], "csat": [3.0, 4.5, 4.6, 3.1]})
    ipm = prioritise.importance_performance(imp, perf).set_index("touchpoint_id")
    # cuts: importance mean 0.25, CSAT mean 3.8
    assert ipm["quadrant"].to_dict() == {"a": "fix first", "b": "keep up", "c": "possible overkill",
                                         "d": "low priority"}


CAT = pd.DataFrame({"touchpoint_id": ["a", "b", "c"], "name": ["A", "B", "C"],
                    "stage": ["decision", "decision", "retention"], "effort": [1.0, 5.0, np.nan]})


def test_rank_touchpoints_score_by_hand():
    importance = pd.DataFrame({"driver": ["a", "b", "c"], "relative_weight": [0.6, 0.3, 0.1]})
    performance = pd.DataFrame({"touchpoint_id": ["a", "b", "c"], "csat": [3.0, 4.0, 1.0]})
    attribution = pd.DataFrame({"touchpoint_id": ["a", "b"], "share": [0.25, 0.75]})
    friction = pd.DataFrame({"touchpoint_id": ["a", "b"], "excess": [0.10, -0.05],
                             "flag": ["above average", "below average"]})
    reach = pd.DataFrame({"touchpoint_id": ["a", "b"], "reach": [0.4, 0.8]})
    w = {"experience": 0.5, "sales": 0.3, "reach": 0.2, "effort": 0.1}
    out = prioritise.rank_touchpoints(CAT, importance=importance, performance=performance, attribution=attribution,
                                      friction=friction, reach=reach, weights=w).set_index("touchpoint_id")
    # experience: importance x (5 - CSAT)/4 = .3, .075, .1 -> / .3 = 1, .25, 1/3
    # sales: (attribution / max + positive excess / max) / 2 = (1/3 + 1)/2, (1 + 0)/2, 0
    # reach: .5, 1, 0; effort (e - 1)/4: 0, 1, 0
    exp = {"a": (0.5 * 1 + 0.3 * (2 / 3) + 0.2 * 0.5 - 0.1 * 0) * 100,
           "b": (0.5 * 0.25 + 0.3 * 0.5 + 0.2 * 1 - 0.1 * 1) * 100,
           "c": (0.5 * (1 / 3)) * 100}
    for k, v in exp.items():
        assert out.loc[k, "score"] == pytest.approx(v)
    assert out["rank"].to_dict() == {"a": 1, "b": 2, "c": 3}
    assert out.loc["a", "reason"].startswith("High impact on NPS (1st of 3 drivers), CSAT 3.0")
    assert "10 percentage points more drop-off than average" in out.loc["a", "reason"]
    assert "hard to change" in out.loc["b", "reason"]
    assert {"touchpoint_id", "name", "rank", "score", "reason"} <= set(out.reset_index().columns)


def test_rank_stability_from_draws():
    importance = pd.DataFrame({"driver": ["a", "b", "c"], "relative_weight": [0.6, 0.3, 0.1]})
    performance = pd.DataFrame({"touchpoint_id": ["a", "b", "c"], "csat": [3.0, 3.0, 3.0]})
    # in half of the resamples c is the most important driver, so it enters the top 1 half the time
    draws = {"importance": pd.DataFrame({"a": [0.6, 0.2] * 10, "b": [0.3, 0.1] * 10, "c": [0.1, 0.7] * 10})}
    out = prioritise.rank_touchpoints(CAT, importance=importance, performance=performance, draws=draws,
                                      weights={"experience": 1, "sales": 0, "reach": 0, "effort": 0}, top=1)
    t = out.set_index("touchpoint_id")["top3_share"]
    assert t["a"] == 0.5 and t["c"] == 0.5 and t["b"] == 0.0


def test_rank_touchpoints_weights_must_be_valid():
    with pytest.raises(ConfigError, match="priority_weights"):
        prioritise.rank_touchpoints(CAT, weights={"experience": 0, "sales": 0, "reach": 0})
    out = prioritise.rank_touchpoints(CAT)
    assert out["reason"].str.contains("measure it before prioritising").all()

