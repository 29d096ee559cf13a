"""The words of step 3: reasons of the ranking, model labels, tables with readable headers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.errors import DataError
from helpers.prioritise import narrative

W = {"experience": 0.4, "sales": 0.4, "reach": 0.2, "effort": 0.0}


def _table(**cols):
    base = {"stage": ["decision", "decision", "retention"], "importance": [0.5, 0.3, np.nan],
            "csat": [3.2, 4.4, np.nan], "experience": [1.0, 0.2, 0.0], "sales": [0.0, 1.0, 0.0],
            "reach": [0.0, 0.0, 0.0], "effort": [np.nan] * 3, "attribution_share": [np.nan, 0.4, np.nan],
            "dropoff_excess": [np.nan, np.nan, np.nan], "reach_share": [np.nan, np.nan, np.nan]}
    base.update(cols)
    return pd.DataFrame(base)


def test_reasons_name_impact_rank_csat_and_sales():
    out = narrative.reasons(_table(), outcome="NPS", weights=W)
    assert out[0] == "High impact on NPS (1st of 2 drivers), CSAT 3.2, the lowest of the decision stage"
    # sales (0.4 x 1.0) outweighs experience (0.4 x 0.2): it comes first
    assert out[1] == ("40% of conversions attributed; low impact on NPS (2nd of 2 drivers), CSAT 4.4, "
                      "the highest of the decision stage")
    assert out[2] == "No survey ratings or journey data in the period: measure it before prioritising"


def test_reasons_mention_drop_off_and_effort_only_when_they_count():
    # effort is the component (effort - 1) / 4: 0.75 and above is "hard to change"
    t = _table(dropoff_excess=[0.123, 0.01, np.nan], effort=[0.5, 0.75, np.nan])
    flags = ["above average", "above average", ""]
    out = narrative.reasons(t, outcome="NPS", weights={**W, "effort": 0.1}, friction_flags=flags)
    assert "12 percentage points more drop-off than average" in out[0]
    assert "drop-off" not in out[1]  # below the 2-point threshold
    assert out[1].endswith("; hard to change (effort 4-5 of 5)") and "hard to change" not in out[0]


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st")])
def test_ordinals(n, text):
    assert narrative._ordinal(n) == text


def test_model_labels():
    assert narrative.model_label("markov") == "Markov (removal effect)"
    assert narrative.model_label("time_decay", 2.0) == "Time decay (2-step half-life)"
    assert narrative.model_label("time_decay_7d") == "Time decay (7-day half-life)"


def test_driver_gap_texts():
    from helpers.prioritise.compute import DriverGap

    assert narrative.no_drivers_note(DriverGap("no_feedback")) == "no key-driver analysis: there is no feedback data"
    assert narrative.driver_gap_text(DriverGap("invalid", message="bad survey")) == "bad survey"
    text = narrative.driver_gap_text(DriverGap("too_few", answers=7, drivers=1))
    assert text.startswith("the relationship survey has 7 answers and 1 touchpoint with at least 30 ratings")


def test_unknown_table_names_the_valid_ones(demo_root):
    from helpers import prioritise

    result = prioritise.run("nordlys", "2026Q3", root=demo_root)
    with pytest.raises(DataError, match="unknown part 'nope'") as err:
        narrative.part(result, "nope")
    assert "priorities" in err.value.hint and err.value.hint.endswith("or paths")
    html = narrative.show(result, "roi")._repr_html_()
    assert "Attributed revenue" in html and "Revenue per unit cost" in html
    models = narrative.part(result, "models")
    assert "Time decay (7-day half-life)" in models.columns and "Touchpoint" not in models.columns
    assert set(models["channel"]) <= set(result.labels.values())
