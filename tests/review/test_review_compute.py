"""The review's statistics against independent expectations: hand-made rankings and verdicts, the
Wilson interval from statsmodels, a delta-method interval for the ratio, and a forecast back-test
on purchases simulated here from a known BG/NBD + Gamma-Gamma process."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

calc = importlib.import_module("helpers.review.compute")  # the module (helpers.review.compute is also a function)


def _ranking(ids):
    return pd.DataFrame({"touchpoint_id": ids, "name": [i.upper() for i in ids], "rank": range(1, len(ids) + 1),
                         "reason": [f"why {i}" for i in ids]})


def test_ranking_moves_names_who_stayed_left_and_entered():
    before = _ranking(["a", "b", "c", "d", "e", "f", "g"])
    now = _ranking(["b", "a", "f", "c", "d", "e", "g"])
    m = calc.ranking_moves(before, now).set_index("touchpoint_id")
    assert list(m.index) == ["a", "b", "c", "d", "e", "f"]
    assert m.loc["e", "status"] == "left" and m.loc["e", "rank_now"] == 6
    assert m.loc["f", "status"] == "entered" and m.loc["f", "rank_before"] == 6
    assert (m.loc[["a", "b", "c", "d"], "status"] == "stayed").all()
    assert m.loc["f", "reason_now"] == "why f" and m.loc["e", "reason_before"] == "why e"


def test_ranking_moves_without_a_previous_ranking_has_only_entries():
    m = calc.ranking_moves(None, _ranking(["a", "b"]))
    assert list(m["status"]) == ["entered", "entered"] and m["rank_before"].isna().all()


def test_too_early_status_follows_this_periods_verdict():
    before = pd.DataFrame({"change_id": ["A", "A", "B", "C"], "kpi": ["csat", "nps", "csat", "csat"],
                           "verdict": ["too early", "too early", "moved as expected", "too early"]})
    now = pd.DataFrame({"change_id": ["A", "A", "B"], "kpi": ["csat", "nps", "csat"],
                        "verdict": ["moved as expected", "too little data", "moved as expected"]})
    t = calc.too_early_status(before, now).set_index(["change_id", "kpi"])
    assert len(t) == 3
    assert bool(t.loc[("A", "csat"), "resolved"]) is True
    assert bool(t.loc[("A", "nps"), "resolved"]) is False
    assert bool(t.loc[("C", "csat"), "resolved"]) is False and pd.isna(t.loc[("C", "csat"), "verdict_now"])


def test_stage_trends_match_independent_wilson_and_nps_by_hand():
    vol = pd.DataFrame({"period": ["2026Q1", "2026Q2"], "stage": ["decision", "decision"], "events": [500, 600],
                        "customers": [90, 95], "revenue": [1.0, 2.0]})
    jour = pd.DataFrame({"period": ["2026Q1", "2026Q2"], "stage": ["decision", "decision"],
                         "journeys": [200, 250], "converted_journeys": [30, 60], "journey_revenue": [1.0, 2.0]})
    nps = [10, 10, 9, 8, 7, 3, 0, 10, 9, 6]
    fb = pd.DataFrame({"period": "2026Q2", "stage": "decision", "touchpoint_id": "x", "csat": [5, 4] * 5,
                       "nps": nps})
    t = calc.stage_trends(vol, jour, fb, ["2026Q1", "2026Q2"], ["decision"])
    conv = t[t["kpi"] == "conversion"].set_index("period")
    lo, hi = proportion_confint(60, 250, method="wilson")
    assert conv.loc["2026Q2", "value"] == pytest.approx(0.24)
    assert (conv.loc["2026Q2", "ci_low"], conv.loc["2026Q2", "ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    n = t[t["kpi"] == "nps"].set_index("period")
    assert list(n.index) == ["2026Q2"]  # no survey in 2026Q1: no row
    assert n.loc["2026Q2", "value"] == pytest.approx(100 * (5 - 3) / 10)
    assert t[t["kpi"] == "csat"]["value"].iloc[0] == pytest.approx(4.5)


def test_stage_trends_show_no_conversion_after_the_purchase():
    vol = pd.DataFrame({"period": ["2026Q2"] * 2, "stage": ["decision", "retention"], "events": [5, 5],
                        "customers": [5, 5], "revenue": [1.0, 1.0]})
    jour = pd.DataFrame({"period": ["2026Q2"] * 2, "stage": ["decision", "retention"], "journeys": [10, 4],
                         "converted_journeys": [4, 4], "journey_revenue": [1.0, 1.0]})
    t = calc.stage_trends(vol, jour, pd.DataFrame(), ["2026Q2"], ["decision", "retention"])
    assert list(t["stage"]) == ["decision"] and list(t["kpi"]) == ["conversion"]


def test_bootstrap_ratio_agrees_with_the_delta_method(rng):
    actual = rng.poisson(rng.gamma(2.0, 0.5, 3000))
    predicted = np.clip(actual + rng.normal(0, 1, 3000), 0, None)
    r, lo, hi = calc.bootstrap_ratio(predicted, actual, n_boot=2000, seed=1)
    # delta method for a ratio of means: var(R) ~ var(p - R a) / (n mean(a)^2)
    n = len(actual)
    se = np.std(predicted - r * actual, ddof=1) / (np.sqrt(n) * actual.mean())
    assert r == pytest.approx(predicted.sum() / actual.sum())
    assert lo == pytest.approx(r - 1.96 * se, abs=0.25 * se)
    assert hi == pytest.approx(r + 1.96 * se, abs=0.25 * se)


# --------------------------------------------------------------------------- simulated BG/NBD + Gamma-Gamma

R, ALPHA, A, B = 0.6, 25.0, 0.8, 3.0          # BG/NBD: rate ~ Gamma(r, alpha) per day, drop-out p ~ Beta(a, b)
P, Q, GAMMA = 6.0, 4.0, 60.0                  # Gamma-Gamma: spend ~ Gamma(p, nu), nu ~ Gamma(q, gamma)
START = pd.Timestamp("2025-01-01")
CAL_END = pd.Timestamp("2026-01-01")
HORIZON = 90.0


def _simulate(rng, n: int, rate_boost: float = 1.0) -> pd.DataFrame:
    """Orders of ``n`` customers born over the calibration year; after each repeat purchase a customer
    drops out with probability p. ``rate_boost`` multiplies the rates after CAL_END (a process change)."""
    lam = rng.gamma(R, 1.0 / ALPHA, n)
    p = rng.beta(A, B, n)
    nu = rng.gamma(Q, 1.0 / GAMMA, n)
    birth = rng.uniform(0, 300, n)
    end = (CAL_END - START).days + HORIZON
    cal = (CAL_END - START).days
    rows = []
    for i in range(n):
        t = birth[i]
        rows.append((i, t, rng.gamma(P, 1.0 / nu[i])))
        while True:
            rate = lam[i] * (rate_boost if t >= cal else 1.0)
            t += rng.exponential(1.0 / rate)
            if t >= end:
                break
            rows.append((i, t, rng.gamma(P, 1.0 / nu[i])))
            if rng.random() < p[i]:
                break
    df = pd.DataFrame(rows, columns=["customer_id", "day", "revenue"])
    df["customer_id"] = "c" + df["customer_id"].astype(str)
    df["ts"] = START + pd.to_timedelta(df["day"], unit="D")
    return df[["customer_id", "ts", "revenue"]]


def _actual(orders: pd.DataFrame) -> pd.DataFrame:
    h = orders[(orders["ts"] >= CAL_END) & (orders["ts"] < CAL_END + pd.Timedelta(days=HORIZON))]
    h = h.assign(day=h["ts"].dt.floor("D"))
    return h.groupby("customer_id").agg(purchases=("day", "nunique"), revenue=("revenue", "sum")).reset_index()


@pytest.fixture(scope="module")
def simulated():
    return _simulate(np.random.default_rng(16), 4000)


def test_backtest_on_a_known_process_covers_one(simulated):
    fc = calc.forecast(simulated, CAL_END, HORIZON)
    assert fc.bgnbd is not None and fc.penalizer == 0.0
    assert fc.bgnbd.r == pytest.approx(R, rel=0.35) and fc.bgnbd.a == pytest.approx(A, rel=0.5)
    bt = calc.backtest(fc, _actual(simulated), n_boot=500)
    t = bt.totals.set_index("measure")
    for measure in ("purchases", "revenue"):
        assert t.loc[measure, "ci_low"] <= 1.0 <= t.loc[measure, "ci_high"], t
        assert t.loc[measure, "ci_high"] - t.loc[measure, "ci_low"] < 0.25
    # calibration: the top decile buys far more than the bottom one, as predicted
    c = bt.calibration.set_index("decile")
    assert len(c) == 10 and c["customers"].sum() == t.loc["purchases", "customers"]
    assert c.loc[10, "actual_purchases"] > 3 * c.loc[1, "actual_purchases"]
    assert c.loc[10, "actual_purchases"] == pytest.approx(c.loc[10, "predicted_purchases"], rel=0.25)
    assert t.loc["purchases", "mae"] == pytest.approx(
        np.mean(np.abs(bt.customers["predicted_purchases"] - bt.customers["actual_purchases"])))


def test_backtest_finds_a_forecast_that_is_off(simulated):
    boosted = _simulate(np.random.default_rng(16), 4000, rate_boost=1.6)
    bt = calc.backtest(calc.forecast(boosted, CAL_END, HORIZON), _actual(boosted), n_boot=500)
    t = bt.totals.set_index("measure")
    assert t.loc["purchases", "ci_high"] < 0.9


def test_new_customers_are_counted_apart(simulated):
    fc = calc.forecast(simulated, CAL_END, HORIZON)
    act = pd.concat([_actual(simulated), pd.DataFrame({"customer_id": ["new1"], "purchases": [2],
                                                       "revenue": [10.0]})])
    bt = calc.backtest(fc, act, n_boot=50)
    assert bt.new_customers == 1 and bt.new_purchases == 2
    assert "new1" not in set(bt.customers["customer_id"])


def test_forecast_without_orders_says_why():
    fc = calc.forecast(pd.DataFrame(columns=["customer_id", "ts", "revenue"]), CAL_END, HORIZON)
    bt = calc.backtest(fc, pd.DataFrame(columns=["customer_id", "purchases", "revenue"]))
    assert not bt.available and bt.note


def test_customer_summary_in_the_engine_counts_purchase_days_by_hand():
    """Daily units: two orders on one UTC day are one purchase of their summed value. Customer a buys on
    1, 1 (again), 4 and 11 June: frequency 2, recency 10 days, T 29 days to the end of 30 June, mean repeat
    value (7 + 5) / 2 = 6. Customer b buys once: zeros. The order after the end is left out."""
    from helpers import data
    from helpers.review import queries

    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b"],
        "ts": pd.to_datetime(["2026-06-01 08:00", "2026-06-01 20:00", "2026-06-04 10:00", "2026-06-11 23:59",
                              "2026-06-20 12:00", "2026-07-01 00:00"]),
        "revenue": [2.0, 3.0, 7.0, 5.0, 9.0, 100.0],
    })
    con = data.connect(engine="duckdb")
    got = queries.customer_summary(con.create_table("summary_orders", orders), pd.Timestamp("2026-07-01"))
    assert got.loc["a"].tolist() == [2.0, 10.0, 29.0, 6.0]
    assert got.loc["b"].tolist() == [0.0, 0.0, 10.0, 0.0]
    from helpers import clv

    # the pandas summary the forecast was fitted on before
    ref = clv.rfm_summary(orders[orders["ts"] < "2026-07-01"],
                          observation_end=pd.Timestamp("2026-06-30 23:59:59.999999"), freq="D")
    pd.testing.assert_frame_equal(got, ref[list(got.columns)].astype(float), check_names=False)


def test_ratio_interval_switches_to_the_delta_method_for_many_customers(rng, monkeypatch):
    """Above BOOTSTRAP_MAX customers the interval is the delta method's (hand formula here); below, the
    bootstrap's; on the same data the two agree to a quarter of a standard error."""
    actual = rng.poisson(rng.gamma(2.0, 0.5, 4000)).astype(float)
    predicted = np.clip(actual + rng.normal(0, 1, 4000), 0, None)
    r, lo, hi, method = calc.ratio_interval(predicted, actual, n_boot=1000, seed=3)
    assert method == "customer bootstrap"
    monkeypatch.setattr(calc, "BOOTSTRAP_MAX", 1000)
    r2, lo2, hi2, method2 = calc.ratio_interval(predicted, actual)
    se = np.std(predicted - r2 * actual, ddof=1) / (np.sqrt(len(actual)) * actual.mean())
    assert method2 == "delta method" and r2 == pytest.approx(r)
    assert (lo2, hi2) == pytest.approx((r2 - 1.959964 * se, r2 + 1.959964 * se), rel=1e-6)
    assert lo2 == pytest.approx(lo, abs=0.25 * se) and hi2 == pytest.approx(hi, abs=0.25 * se)
    assert all(np.isnan(v) for v in calc.delta_ratio(np.ones(3), np.zeros(3)))
