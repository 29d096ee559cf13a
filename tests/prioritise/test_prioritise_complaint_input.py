"""The negative-theme share as a ranking input: its closed-form effect on the score, the texts it needs, and the
rule that turns a material change of a complaint theme into a reason."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from helpers.periods import Period
from helpers.prioritise import narrative, rank_touchpoints
from helpers.prioritise.compute import combine
from helpers.prioritise.compute.ranking import COMPLAINT_WEIGHT, MIN_COMPLAINT_TEXTS

CATALOGUE = pd.DataFrame({"touchpoint_id": ["a", "b", "c"], "name": ["A", "B", "C"],
                          "stage": ["consideration"] * 3})
REACH = pd.DataFrame({"touchpoint_id": ["a", "b", "c"], "reach": [0.5, 0.25, 0.25]})


def _complaints(shares, texts=(50, 50, 50)):
    return pd.DataFrame({"touchpoint_id": ["a", "b", "c"], "texts": list(texts),
                         "negative_theme_share": list(shares), "previous_share": [np.nan] * 3,
                         "change": [np.nan] * 3, "material": [False] * 3, "rising_theme": [""] * 3,
                         "rising_share": [np.nan] * 3, "rising_previous_share": [np.nan] * 3,
                         "previous_period": ["2026Q2"] * 3})


def test_complaint_share_enters_the_score_in_closed_form():
    before = rank_touchpoints(CATALOGUE, reach=REACH).set_index("touchpoint_id")
    after = rank_touchpoints(CATALOGUE, reach=REACH, complaints=_complaints([0.1, 0.4, 0.2])).set_index(
        "touchpoint_id")
    # default weights 0.4/0.4/0.2 and 0.2 for complaints; reach relative (1, .5, .5), complaints (.25, 1, .5)
    assert COMPLAINT_WEIGHT == 0.2
    assert before["score"].to_dict() == pytest.approx({"a": 20.0, "b": 10.0, "c": 10.0})
    total = 0.4 + 0.4 + 0.2 + 0.2
    expected = {"a": 100 * (0.2 * 1 + 0.2 * 0.25) / total, "b": 100 * (0.2 * 0.5 + 0.2 * 1) / total,
                "c": 100 * (0.2 * 0.5 + 0.2 * 0.5) / total}
    assert after["score"].to_dict() == pytest.approx(expected)
    assert after["complaints"].to_dict() == pytest.approx({"a": 0.25, "b": 1.0, "c": 0.5})
    assert after["negative_theme_share"].to_dict() == pytest.approx({"a": 0.1, "b": 0.4, "c": 0.2})
    assert after.loc["b", "rank"] == 1 and before.loc["a", "rank"] == 1  # B's complaints lift it to the top


def test_a_client_weight_for_complaints_is_used():
    w = {"experience": 0.4, "sales": 0.4, "reach": 0.2, "effort": 0.0, "complaints": 0.6}
    after = rank_touchpoints(CATALOGUE, reach=REACH, complaints=_complaints([0.1, 0.4, 0.2]), weights=w)
    b = after.set_index("touchpoint_id").loc["b", "score"]
    assert b == pytest.approx(100 * (0.2 * 0.5 + 0.6 * 1.0) / 1.6)


def test_too_few_texts_do_not_count_and_no_texts_leave_the_scores_alone():
    few = MIN_COMPLAINT_TEXTS - 1
    part = rank_touchpoints(CATALOGUE, reach=REACH, complaints=_complaints([0.1, 0.9, 0.2], texts=(50, few, 50)))
    p = part.set_index("touchpoint_id")
    assert pd.isna(p.loc["b", "negative_theme_share"]) and p.loc["b", "complaints"] == 0.0
    assert p.loc["c", "complaints"] == pytest.approx(1.0)  # the largest share that counts
    none = rank_touchpoints(CATALOGUE, reach=REACH, complaints=_complaints([0.1, 0.4, 0.2], texts=(few,) * 3))
    base = rank_touchpoints(CATALOGUE, reach=REACH)
    assert none["score"].tolist() == pytest.approx(base["score"].tolist())


@pytest.mark.parametrize("now, before, word", [(0.20, 0.10, "doubled since"), (0.30, 0.10, "more than doubled"),
                                               (0.15, 0.10, "rose from 10% to 15%"), (0.12, 0.0, "are new since")])
def test_reason_of_a_rising_complaint_theme(now, before, word):
    row = pd.Series({"rising_theme": "waiting time", "rising_share": now, "rising_previous_share": before,
                     "negative_theme_share": now, "previous_share": before, "material": True, "change": now - before,
                     "previous_period": "2026Q2"})
    text = narrative.complaint_reason(row, pd.Series({"complaints": 0.5}))
    assert text.startswith("complaints about waiting time") and word in text and "2026Q2" in text


def test_reason_without_a_rising_theme():
    row = pd.Series({"rising_theme": "", "rising_share": np.nan, "rising_previous_share": np.nan,
                     "negative_theme_share": 0.1, "previous_share": 0.3, "material": True, "change": -0.2,
                     "previous_period": "2026Q2"})
    assert narrative.complaint_reason(row, pd.Series({"complaints": 0.5})) == (
        "complaints fell from 30% to 10% of its texts since 2026Q2")
    quiet = row.copy()
    quiet["material"], quiet["change"] = False, -0.01
    assert narrative.complaint_reason(quiet, pd.Series({"complaints": 0.5})) == ""
    assert narrative.complaint_reason(quiet, pd.Series({"complaints": 1.0})) == (
        "the most complaints of any touchpoint (10% of its texts)")


def _feedback(counts):
    """counts: {(period, touchpoint): (waiting-time complaints, neutral texts)} -> survey comments."""
    rows = []
    waits = ["The waiting time was terrible.", "Terrible waiting time today.", "Waiting time is awful."]
    for (period, tp), (bad, other) in counts.items():
        ts = Period.parse(period).start + pd.Timedelta(days=3)
        rows += [(ts, tp, waits[i % 3]) for i in range(bad)] + [(ts, tp, "Invoice arrived.")] * other
    return pd.DataFrame(rows, columns=["ts", "touchpoint_id", "comment"]).assign(language="en", csat=3.0)


def test_complaint_input_names_a_theme_only_when_its_change_is_material():
    fb = _feedback({("2026Q2", "a"): (1, 19), ("2026Q3", "a"): (10, 10),
                    ("2026Q2", "b"): (2, 18), ("2026Q3", "b"): (3, 17)})
    got = combine.complaint_input(fb, pd.DataFrame(), Period.parse("2026Q3"), "en").set_index("touchpoint_id")
    lo_a, _ = confint_proportions_2indep(10, 20, 1, 20, method="newcomb", compare="diff")
    lo_b, hi_b = confint_proportions_2indep(3, 20, 2, 20, method="newcomb", compare="diff")
    assert lo_a > 0 and lo_b < 0 < hi_b  # the rule: the Newcombe interval of the change excludes zero
    assert got.loc["a", "rising_theme"] == "waiting time" and got.loc["b", "rising_theme"] == ""
    assert got.loc["a", "rising_share"] == pytest.approx(0.5) and got.loc["a", "rising_previous_share"] == 0.05
    assert got.loc["a", "negative_theme_share"] == pytest.approx(0.5) and got.loc["a", "texts"] == 20
    assert bool(got.loc["a", "material"]) and not bool(got.loc["b", "material"])
    assert got["previous_period"].eq("2026Q2").all()
    ranked = rank_touchpoints(CATALOGUE, reach=REACH, complaints=got.reset_index()).set_index("touchpoint_id")
    assert ranked.loc["a", "reason"].endswith(
        "complaints about waiting time more than doubled since 2026Q2 (5% to 50% of its texts)")
    assert "complaints about" not in ranked.loc["b", "reason"]
