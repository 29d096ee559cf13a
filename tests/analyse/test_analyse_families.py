"""Step 2's change and exit tables: NPS differences from counts, no flag without an interval, Benjamini-Hochberg
within each table, exit comparisons between disjoint groups of journeys. Expected values by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from helpers import analyse, stats

Z = 1.959963984540054


def _pooled_z_p(x1, n1, x2, n2) -> float:
    p1, p2, p = x1 / n1, x2 / n2, (x1 + x2) / (n1 + n2)
    return 2 * st.norm.sf(abs(p1 - p2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)))


def _bh_by_hand(p: list[float]) -> list[float]:
    """Benjamini-Hochberg: adjusted p_i = min over p_j >= p_i of p_j m / rank_j (capped at 1)."""
    m = len(p)
    ranked = sorted(p)
    return [min(1.0, min(q * m / (ranked.index(q) + 1) for q in ranked if q >= pi)) for pi in p]


def _table(conv_now, conv_before, n=1000, tps=None):
    tps = tps or [f"t{i}" for i in range(len(conv_now))]
    k = len(tps)
    now = pd.DataFrame({"touchpoint_id": tps, "converted_journeys": conv_now, "journeys": [n] * k,
                        "conversion": [c / n for c in conv_now], "top2box": [np.nan] * k, "csat_n": [0] * k,
                        "csat": [np.nan] * k, "nps_n": [0] * k, "nps": [np.nan] * k, "nps_se": [np.nan] * k})
    before = now.assign(converted_journeys=conv_before, conversion=[c / n for c in conv_before])
    return now, before


def _row(out, tp, kpi):
    return out[(out["touchpoint_id"] == tp) & (out["kpi"] == kpi)].iloc[0]


def test_nps_change_comes_from_the_answer_counts_not_from_the_tables_se():
    now, before = _table([0], [0], n=10, tps=["a"])
    # a deliberately wrong se in the KPI tables: the change must not use it
    now = now.assign(nps_n=4, nps=50.0, nps_se=0.001)
    before = before.assign(nps_n=4, nps=-25.0, nps_se=0.001)
    fb_now = pd.DataFrame({"touchpoint_id": "a", "nps": [10, 10, 9, 5]})
    fb_before = pd.DataFrame({"touchpoint_id": "a", "nps": [10, 7, 3, 2]})
    out = analyse.compare_kpis(now, before, fb_now, fb_before, "previous quarter")
    r = _row(out, "a", "nps")
    # each answer is +1 (promoter), 0 (passive) or -1 (detractor): NPS = 100 mean, var = 100^2 var / n
    s1, s2 = np.array([1, 1, 1, -1]), np.array([1, 0, -1, -1])
    d = 100 * (s1.mean() - s2.mean())
    se = 100 * math.sqrt(s1.var() / 4 + s2.var() / 4)
    assert r["change"] == pytest.approx(75.0) == pytest.approx(d)
    assert r["ci_low"] == pytest.approx(d - Z * se) and r["ci_high"] == pytest.approx(min(200.0, d + Z * se))
    assert r["p_value"] == pytest.approx(2 * st.norm.sf(d / se))
    assert r["n_current"] == 4 and r["n_before"] == 4


def test_nps_change_without_variation_is_bounded_and_tested_on_the_adjusted_counts():
    now, before = _table([0], [0], n=10, tps=["a"])
    fb_now = pd.DataFrame({"touchpoint_id": "a", "nps": [10] * 5})
    fb_before = pd.DataFrame({"touchpoint_id": "a", "nps": [0] * 5})
    r = _row(analyse.compare_kpis(now, before, fb_now, fb_before, "q"), "a", "nps")
    assert r["change"] == pytest.approx(200.0)
    assert -200.0 <= r["ci_low"] < r["ci_high"] <= 200.0
    # adjusted Wald by hand: 3/4 promoter and 3/4 detractor added to each sample of 5 (n + 3 = 8)
    pp1, pd1 = 5.75 / 8, 0.75 / 8
    pp2, pd2 = 0.75 / 8, 5.75 / 8
    v1, v2 = pp1 - pd1, pp2 - pd2
    se_a = math.sqrt((pp1 + pd1 - v1**2) / 8 + (pp2 + pd2 - v2**2) / 8)
    assert r["p_value"] == pytest.approx(2 * st.norm.sf(abs(v1 - v2) / se_a))
    assert r["ci_low"] == pytest.approx(100 * (v1 - v2 - Z * se_a))
    assert bool(r["significant"])


def test_no_flag_and_no_p_value_without_an_interval():
    now, before = _table([0], [0], n=10, tps=["a"])
    now = now.assign(csat_n=3, csat=5.0, top2box=1.0)
    before = before.assign(csat_n=2, csat=4.0, top2box=1.0)
    fb_now = pd.DataFrame({"touchpoint_id": "a", "csat": [5, 5, 5]})
    fb_before = pd.DataFrame({"touchpoint_id": "a", "csat": [4, 4]})
    out = analyse.compare_kpis(now, before, fb_now, fb_before, "q")
    csat = _row(out, "a", "csat")
    assert csat["change"] == pytest.approx(1.0)
    assert math.isnan(csat["ci_low"]) and math.isnan(csat["p_value"]) and math.isnan(csat["p_adjusted"])
    assert not bool(csat["significant"]) and "no variation" in csat["note"]
    conv = _row(out, "a", "conversion")  # 0 of 10 in both periods: nothing varies
    assert math.isnan(conv["p_value"]) and not bool(conv["significant"])
    assert not out["significant"].any()


def test_benjamini_hochberg_within_one_change_table():
    # t0: 300 vs 200 of 1000 (clear); t1: 50 vs 32 (p about 0.042); t2: 60 vs 45 (p about 0.13)
    now, before = _table([300, 50, 60], [200, 32, 45])
    out = analyse.compare_kpis(now, before, pd.DataFrame(), pd.DataFrame(), "previous quarter")
    conv = out[out["kpi"] == "conversion"].set_index("touchpoint_id")
    p = [_pooled_z_p(a, 1000, b, 1000) for a, b in ((300, 200), (50, 32), (60, 45))]
    assert list(conv["p_value"]) == pytest.approx(p)
    # the other KPIs have no data: no p value, outside the family of three
    assert out.loc[out["kpi"] != "conversion", "p_value"].isna().all()
    assert list(conv["p_adjusted"]) == pytest.approx(_bh_by_hand(p))
    assert 0.03 < p[1] < 0.05 and conv.loc["t1", "p_adjusted"] == pytest.approx(p[1] * 3 / 2)
    # t1's own 95% interval excludes zero (the score interval inverts the pooled z test) ...
    assert conv.loc["t1", "ci_low"] > 0
    # ... but after the adjustment for the three tests of the table it is not flagged
    assert list(conv["significant"]) == [True, False, False]
    assert list(analyse.significant_changes(out)["touchpoint_id"]) == ["t0"]


def test_each_comparison_is_its_own_family():
    now, before = _table([300, 50, 60], [200, 32, 45])
    alone = analyse.compare_kpis(now.iloc[:2], before.iloc[:2], pd.DataFrame(), pd.DataFrame(), "q")
    t1 = _row(alone, "t1", "conversion")
    # two tests in this call: t1 is the larger p, rank 2 of 2, so its adjusted p is its own p
    assert t1["p_adjusted"] == pytest.approx(_pooled_z_p(50, 1000, 32, 1000))
    assert bool(t1["significant"])


def _exit_inputs():
    # 10 journeys of the period, 4 with a purchase; journeys touching each touchpoint (a journey touches several)
    touching = pd.DataFrame({"touchpoint_id": ["faq", "web", "ads", "survey"], "journeys": [5, 8, 6, 3],
                             "converted_journeys": [0, 4, 3, 3]})
    exits = pd.DataFrame({"touchpoint_id": ["faq", "web", "ads"], "exits": [4, 2, 0]})
    cat = pd.DataFrame({"touchpoint_id": ["faq", "web", "ads", "survey"], "name": ["FAQ", "Web", "Ads", "Survey"],
                        "stage": ["consideration", "purchase", "awareness", "retention"]})
    return exits, touching, cat


def test_exit_table_compares_journeys_touching_with_journeys_not_touching():
    exits, touching, cat = _exit_inputs()
    e = analyse.exit_table(exits, touching, cat, total_journeys=10, total_converted=4).set_index("touchpoint_id")
    assert "survey" not in e.index
    # faq: 5 journeys touch it, none bought: 5 lost; the other 5 journeys hold the remaining 6 - 5 = 1 lost
    assert e.loc["faq", "lost"] == 5 and e.loc["faq", "others_journeys"] == 5 and e.loc["faq", "others_lost"] == 1
    assert e.loc["web", "others_journeys"] == 2 and e.loc["web", "others_lost"] == 6 - 4
    assert e.loc["ads", "others_lost"] == 6 - 3
    assert ((e["journeys"] + e["others_journeys"]) == 10).all()  # no journey in both groups
    assert e.loc["faq", "exit_rate"] == pytest.approx(4 / 5)
    assert e.loc["faq", "difference"] == pytest.approx(5 / 5 - 1 / 5)
    assert e.loc["web", "difference"] == pytest.approx(4 / 8 - 2 / 2)
    p = {"faq": _pooled_z_p(5, 5, 1, 5), "web": _pooled_z_p(4, 8, 2, 2), "ads": _pooled_z_p(3, 6, 3, 4)}
    for tp, pv in p.items():
        assert e.loc[tp, "p_value"] == pytest.approx(pv)
    adj = dict(zip(p, _bh_by_hand(list(p.values()))))
    for tp in p:
        assert e.loc[tp, "p_adjusted"] == pytest.approx(adj[tp])
    assert list(e["more_exits"]) == [bool(adj[tp] < 0.05 and e.loc[tp, "difference"] > 0) for tp in e.index]
    ref = stats.diff_proportions_ci(5, 5, 1, 5, method="score")
    assert e.loc["faq", "difference_ci_low"] == pytest.approx(ref.ci_low)
    order = sorted(e.index, key=lambda tp: (-e.loc[tp, "exit_rate"], tp))
    assert list(e.index) == order


def test_exit_table_flags_after_the_adjustment():
    # 2000 journeys, 1000 bought; four touchpoints of 400 journeys each with different lost counts
    touching = pd.DataFrame({"touchpoint_id": ["a", "b", "c", "d"], "journeys": [400] * 4,
                             "converted_journeys": [140, 180, 200, 200]})
    exits = pd.DataFrame({"touchpoint_id": ["a", "b", "c", "d"], "exits": [100, 80, 70, 60]})
    e = analyse.exit_table(exits, touching, None, total_journeys=2000, total_converted=1000)
    e = e.set_index("touchpoint_id")
    lost = {"a": 260, "b": 220, "c": 200, "d": 200}
    p = {tp: _pooled_z_p(x, 400, 1000 - x, 1600) for tp, x in lost.items()}
    adj = dict(zip(p, _bh_by_hand(list(p.values()))))
    assert p["b"] < 0.05 and adj["b"] > 0.05  # b is above the others before the adjustment only
    assert bool(e.loc["a", "more_exits"]) and not bool(e.loc["b", "more_exits"])
    assert not e.loc[["c", "d"], "more_exits"].any()


def test_exit_table_without_totals_compares_nothing():
    exits, touching, cat = _exit_inputs()
    e = analyse.exit_table(exits, touching[["touchpoint_id", "journeys"]], cat)
    assert e["difference"].isna().all() and e["p_value"].isna().all() and not e["more_exits"].any()
    assert e.set_index("touchpoint_id").loc["faq", "exit_rate"] == pytest.approx(4 / 5)
