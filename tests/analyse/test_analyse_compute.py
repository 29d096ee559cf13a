"""Step 2 statistics on aggregates, against independent formulas and simulations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analyse_helpers import CATALOGUE, REVIEWS, bgnbd_orders, wilson

from helpers import analyse


def test_compare_kpis_nps_difference_and_flags():
    # NPS changes come from the raw answers (issue 13, finding 5), not from the stored per-period se: the old
    # expectation (se = sqrt(8^2 + 6^2) from "nps_se") was the bug. Expected values: the NPS of an answer is
    # +100 / 0 / -100, so the difference of NPS is a difference of means of those scores with the plain
    # (ddof=0) variances, written here with numpy; the flags are Benjamini-Hochberg by statsmodels.
    from statsmodels.stats.multitest import multipletests

    now = pd.DataFrame({"touchpoint_id": ["a", "b"], "converted_journeys": [300, 50], "journeys": [1000, 1000],
                        "conversion": [0.3, 0.05], "top2box": [0.5, 0.5], "csat_n": [0, 0],
                        "csat": [np.nan, np.nan], "nps_n": [100, 100], "nps": [30.0, 10.0], "nps_se": [8.0, 9.0]})
    before = now.assign(converted_journeys=[200, 48], conversion=[0.2, 0.048], nps=[10.0, 9.0], nps_se=[6.0, 9.0])
    # a: 50 promoters, 30 passives, 20 detractors now (NPS 30); 30/50/20 before (NPS 10); b: 30/50/20 both times
    fb_now = pd.DataFrame({"touchpoint_id": ["a"] * 100 + ["b"] * 100,
                           "nps": [10] * 50 + [8] * 30 + [3] * 20 + [9] * 30 + [7] * 50 + [0] * 20})
    fb_before = pd.DataFrame({"touchpoint_id": ["a"] * 100 + ["b"] * 100,
                              "nps": [9] * 30 + [7] * 50 + [6] * 20 + [10] * 30 + [8] * 50 + [5] * 20})
    out = analyse.compare_kpis(now, before, fb_now, fb_before, "previous quarter")
    a_conv = out[(out["touchpoint_id"] == "a") & (out["kpi"] == "conversion")].iloc[0]
    assert a_conv["change"] == pytest.approx(0.1) and bool(a_conv["significant"])
    b_conv = out[(out["touchpoint_id"] == "b") & (out["kpi"] == "conversion")].iloc[0]
    assert not b_conv["significant"]
    a_nps = out[(out["touchpoint_id"] == "a") & (out["kpi"] == "nps")].iloc[0]
    s_now = np.array([100.0] * 50 + [0.0] * 30 + [-100.0] * 20)
    s_before = np.array([100.0] * 30 + [0.0] * 50 + [-100.0] * 20)
    se = np.sqrt(s_now.var() / 100 + s_before.var() / 100)
    assert a_nps["change"] == pytest.approx(20.0)
    assert a_nps["ci_high"] - a_nps["change"] == pytest.approx(1.959963984540054 * se)
    assert (a_nps["n_current"], a_nps["n_before"]) == (100, 100)
    b_nps = out[(out["touchpoint_id"] == "b") & (out["kpi"] == "nps")].iloc[0]
    assert b_nps["change"] == pytest.approx(0.0) and not b_nps["significant"]
    # one family per table: the rows with a p value, adjusted together
    tested = out["p_value"].notna()
    assert tested.sum() == 4  # conversion and NPS of a and b; no ratings -> no CSAT or top-2-box test
    adj = multipletests(out.loc[tested, "p_value"], method="fdr_bh")[1]
    assert out.loc[tested, "p_adjusted"].to_numpy() == pytest.approx(adj)
    assert (out["significant"] == (out["p_adjusted"] < 0.05)).all()
    assert not out.loc[~tested, "significant"].any()
    csat = out[out["kpi"] == "csat"]
    assert csat["change"].isna().all() and (csat["note"] == "a group has no observations").all()


def test_rating_distribution_shares_and_mean():
    fb = pd.DataFrame({"touchpoint_id": ["web", "web", "web", None], "csat": [5.0, 4.0, 4.0, 1.0]})
    out = analyse.rating_distribution(fb, REVIEWS.iloc[:3], pd.DataFrame(CATALOGUE, columns=["touchpoint_id", "name",
                                                                                           "stage", "kind"]))
    web = out[out["touchpoint_id"] == "web"].iloc[0]
    assert web["ratings"] == 3 and web["share_4"] == pytest.approx(2 / 3) and web["mean"] == pytest.approx(13 / 3)
    store = out[out["touchpoint_id"] == "store"].iloc[0]
    assert store["source"] == "review" and store["name"] == "Store" and store["share_1"] == pytest.approx(1 / 3)
    assert np.allclose(out[[f"share_{i}" for i in range(1, 6)]].sum(axis=1), 1.0)


def test_sentiment_summary():
    texts = analyse.comment_texts(pd.DataFrame(), REVIEWS.iloc[:3])
    scored = analyse.score_comments(texts, default_language="da")
    assert list(scored["label"]) == ["negative", "positive", "negative"]
    assert list(scored["language"]) == ["da", "da", "en"]
    summary = analyse.sentiment_summary(scored).iloc[0]
    assert summary["texts"] == 3 and summary["negative"] == pytest.approx(2 / 3)
    assert summary["negative_ci_low"] == pytest.approx(wilson(2, 3)[0])
    assert summary["languages"] == "da, en"


def test_customer_value_repeat_rate_and_clv(rng):
    orders = bgnbd_orders(rng)
    end = pd.Timestamp("2026-10-01").to_pydatetime()
    first = pd.DataFrame({"customer_id": orders["customer_id"].unique()})
    first["first_touchpoint"] = np.where(first.index % 2 == 0, "web", "store")
    first["segment"] = "ignored: orders carry the segment"
    v = analyse.customer_value(orders, first, end)
    per = v["per_customer"]
    assert v["bgnbd"] is not None and v["gamma_gamma"] is not None
    assert per["clv"].notna().all() and (per["clv"] >= 0).all()
    counts = orders.groupby("customer_id").size()
    by_ft = v["by_first_touchpoint"].set_index("first_touchpoint")
    web_ids = set(first.loc[first["first_touchpoint"] == "web", "customer_id"])
    repeat = int((counts[counts.index.isin(web_ids)] >= 2).sum())
    assert by_ft.loc["web", "customers"] == len(web_ids) and by_ft.loc["web", "repeat_customers"] == repeat
    assert by_ft.loc["web", "repeat_rate_ci_low"] == pytest.approx(wilson(repeat, len(web_ids))[0])
    seg = v["by_segment"].set_index("segment")
    assert set(seg.index) == {"club", "guest"}
    assert seg["clv_total"].sum() == pytest.approx(per["clv"].sum())
    club = per[per["segment"] == "club"]["clv"]
    assert seg.loc["club", "clv_mean"] == pytest.approx(club.mean())


def test_customer_value_without_repeat_purchases_is_explained():
    orders = pd.DataFrame({"order_id": ["a", "b"], "customer_id": ["x", "y"], "ts": ["2026-07-01", "2026-07-02"],
                           "revenue": [10.0, 20.0]})
    v = analyse.customer_value(orders, pd.DataFrame(columns=["customer_id", "first_touchpoint", "segment"]),
                               pd.Timestamp("2026-10-01").to_pydatetime())
    assert v["note"].startswith("CLV not estimated") and v["per_customer"]["clv"].isna().all()
    assert v["by_first_touchpoint"]["first_touchpoint"].tolist() == ["(no events)"]


def test_re_exports_clv_models():
    from helpers import clv

    assert analyse.fit_bgnbd is clv.fit_bgnbd and analyse.fit_gamma_gamma is clv.fit_gamma_gamma
    assert analyse.clv is clv.clv


def test_small_table_helpers():
    cat = pd.DataFrame(CATALOGUE, columns=["touchpoint_id", "name", "stage", "kind"])
    ts = pd.to_datetime(["2026-06-30 23:59", "2026-07-01 00:00", "2026-10-01 00:00"])
    df = pd.DataFrame({"touchpoint_id": ["web", "tiktok", None], "ts": ts,
                       "segment": ["club", None, "guest"]})
    out = analyse.add_dimensions(df, cat)
    assert list(out["stage"]) == ["consideration", analyse.UNKNOWN, analyse.UNKNOWN]
    assert list(out["kind"]) == ["digital", analyse.UNKNOWN, analyse.UNKNOWN]
    assert list(out["segment"]) == ["club", analyse.NO_SEGMENT, "guest"]
    start, end = analyse.bounds("2026Q3")
    assert list(analyse.in_window(df, start, end)["touchpoint_id"]) == ["tiktok"]
    assert analyse.in_window(None, start, end).empty


def test_weekly_table_feedback_weeks_start_on_monday():
    fb = pd.DataFrame({"touchpoint_id": ["web", "web", "web"], "ts": pd.to_datetime(["2026-07-05", "2026-07-06",
                                                                                      "2026-07-12"]),
                       "csat": [5.0, 3.0, 4.0], "nps": [10.0, 0.0, 8.0]})
    out = analyse.weekly_table(pd.DataFrame(), pd.DataFrame(), fb, ["touchpoint_id"])
    csat = out[out["kpi"] == "csat"].set_index("week")["value"]
    assert csat[pd.Timestamp("2026-06-29")] == 5.0 and csat[pd.Timestamp("2026-07-06")] == 3.5
    nps = out[out["kpi"] == "nps"].set_index("week")
    assert nps.loc[pd.Timestamp("2026-07-06"), "value"] == -50.0 and nps.loc[pd.Timestamp("2026-07-06"), "n"] == 2


def test_importing_the_statistics_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, helpers.analyse.compute, helpers.analyse.step; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_transition_matrix_from_move_counts_by_hand():
    moves = pd.DataFrame({"from": ["(start)", "(start)", "a", "a", "b", "b", "a"],
                          "to": ["a", "b", "b", "(end)", "(end)", "a", "b"],
                          "count": [3, 1, 2, 1, 1, 1, 1]})
    m = analyse.transition_matrix(moves, order=["b", "a"])
    assert list(m.index) == ["(start)", "b", "a"] and list(m.columns) == ["b", "a", "(end)"]
    # from a: 3 moves to b (2 + 1 added), 1 to the end
    assert m.loc["a"].tolist() == pytest.approx([0.75, 0.0, 0.25])
    assert m.loc["(start)"].tolist() == pytest.approx([0.25, 0.75, 0.0])
    assert np.allclose(m.sum(axis=1), 1.0)
    counts = analyse.transition_matrix(moves, value="count")
    assert counts.loc["a", "b"] == 3 and list(counts.columns) == ["a", "b", "(end)"]
    assert analyse.transition_matrix(moves.iloc[:0]).empty


def test_one_transition_matrix_for_both_steps():
    """Step 3's matrix of a path table is the shared matrix of the moves the paths make."""
    from helpers import journeys, prioritise

    paths = pd.DataFrame({"path": ["a > b", "b", "a > a > c"], "conversions": [2, 0, 1], "nulls": [1, 3, 0]})
    got = prioritise.transition_matrix(paths)
    # by hand: start -> a 4 (3 + 1), start -> b 3; a -> b 3, a -> a 1, a -> c 1; b -> conversion 2, null 4;
    # c -> conversion 1
    assert list(got.index) == ["start", "a", "b", "c"]
    assert list(got.columns) == ["a", "b", "c", "conversion", "null"]
    assert got.loc["start"].tolist() == pytest.approx([4 / 7, 3 / 7, 0, 0, 0])
    assert got.loc["a"].tolist() == pytest.approx([1 / 5, 3 / 5, 1 / 5, 0, 0])
    assert got.loc["b"].tolist() == pytest.approx([0, 0, 0, 2 / 6, 4 / 6])
    assert got.loc["c"].tolist() == pytest.approx([0, 0, 0, 1, 0])
    moves = pd.DataFrame({"from": ["start", "start", "a", "a", "a", "b", "b", "c"],
                          "to": ["a", "b", "b", "a", "c", "conversion", "null", "conversion"],
                          "count": [4, 3, 3, 1, 1, 2, 4, 1]})
    shared = journeys.transition_matrix(moves, start="start", ends=("conversion", "null"))
    shared.columns.name = None
    pd.testing.assert_frame_equal(got, shared)
