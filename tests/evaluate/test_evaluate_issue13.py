"""Honest verdicts in every regime (issue 13): each finding against an independently derived value."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as st

from helpers import evaluate, stats
from helpers.errors import ConfigError
from helpers.evaluate import narrative
from helpers.evaluate.compute import changes as ch
from helpers.evaluate.compute.estimators import _lag1, ar1_correlation, gls_ar1, level_shift, linear_trend
from helpers.evaluate.compute.verdicts import decide

START = dt.date(2026, 6, 1)
WIN = ch.Window(pd.Timestamp(START), pd.Timestamp(START) - pd.Timedelta(weeks=52), pd.Timestamp(START) +
                pd.Timedelta(weeks=20), START, "UTC")


def _ab_frame(xa, na, xb, nb):
    return pd.DataFrame({"variant": ["A"] * na + ["B"] * nb,
                         "y": [1] * xa + [0] * (na - xa) + [1] * xb + [0] * (nb - xb)})


# --- item 2: A/B test and interval from one method; control; sample ratio ---------------------------------------


def score_z(x1, n1, x2, n2, delta):
    """Score statistic with the restricted MLE found by a bounded numeric search (a second method)."""
    from scipy.optimize import minimize_scalar

    def nll(p2):
        p1 = p2 + delta
        return -(x1 * np.log(p1) + (n1 - x1) * np.log1p(-p1) + x2 * np.log(p2) + (n2 - x2) * np.log1p(-p2))

    lo, hi = max(0, -delta) + 1e-12, min(1, 1 - delta) - 1e-12
    p2 = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}).x
    p1 = p2 + delta
    return (x1 / n1 - x2 / n2 - delta) / math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


def test_ab_interval_inverts_the_test_of_the_issue_example():
    res = evaluate.ab_test(_ab_frame(3, 100, 10, 100), "y", "variant")
    chi2, p_chi, *_ = st.chi2_contingency([[3, 97], [10, 90]], correction=False)
    assert res.p == pytest.approx(p_chi, rel=1e-9) and res.p == pytest.approx(0.045, abs=0.001)
    z = st.norm.ppf(0.975)
    assert score_z(10, 100, 3, 100, res.ci_low) == pytest.approx(z, abs=1e-4)
    assert score_z(10, 100, 3, 100, res.ci_high) == pytest.approx(-z, abs=1e-4)
    assert res.ci_low > 0  # p < 0.05 and the interval excludes 0: they agree (Newcombe's gave -0.0005)


def test_ab_control_argument_flips_the_comparison():
    df = _ab_frame(3, 100, 10, 100)
    a = evaluate.ab_test(df, "y", "variant", control="A")
    b = evaluate.ab_test(df, "y", "variant", control="B")
    assert a.estimate == pytest.approx(0.07) and b.estimate == pytest.approx(-0.07)
    assert b.extra["control"] == "B" and b.p == pytest.approx(a.p)


def test_control_variant_absent_names_the_change():
    rows = pd.DataFrame({"variant": ["A", "B"] * 20, "value": [0, 1] * 20, "covariate": np.nan,
                         "ts": pd.Timestamp(START)})
    with pytest.raises(ConfigError, match="change 'C7'.*control_variant 'control'"):
        ch.ab_outcome(rows, "conversion", WIN, "journeys", control="control", change_id="C7")


def test_sample_ratio_check_against_closed_form_chi_square():
    # 560 vs 440 against 50/50: chi2 = 2 * 60^2 / 500 = 14.4 on 1 df
    r = evaluate.sample_ratio_check({"A": 560, "B": 440})
    assert r["srm_chi2"] == pytest.approx(14.4) and r["srm_p"] == pytest.approx(st.chi2.sf(14.4, 1))
    assert r["srm"]
    assert not evaluate.sample_ratio_check({"A": 550, "B": 450})["srm"]  # chi2 = 10, p = 0.0016
    planned = evaluate.sample_ratio_check({"A": 600, "B": 400}, {"A": 60, "B": 40})
    assert planned["srm_p"] == pytest.approx(1.0) and not planned["srm"]


def test_sample_ratio_mismatch_changes_the_verdict_wording():
    rng = np.random.default_rng(3)
    n_a, n_b = 700, 300
    rows = pd.DataFrame({"variant": ["A"] * n_a + ["B"] * n_b, "value": rng.random(n_a + n_b) < 0.2,
                         "covariate": np.nan, "ts": pd.Timestamp(START)})
    rows["value"] = rows["value"].astype(float)
    out = ch.ab_outcome(rows, "conversion", WIN, "journeys")
    assert out.result.extra["srm"] and narrative.failed_checks(out) == ("srm",)
    row = {"kpi": "conversion", "effect": out.result.estimate, "ci_low": out.result.ci_low,
           "ci_high": out.result.ci_high, "p_adj": out.result.p, "mde": out.result.mde, "_outcome": out}
    text = narrative.verdict_text(row, decide("ok", row["effect"], 0.9, "up", warnings=("srm",)))
    assert "sample-ratio mismatch" in text and "700" in text and "500" in text


# --- item 1: DiD soon after a change ----------------------------------------------------------------------------


def test_level_shift_without_autocorrelation_is_the_pooled_t_test():
    rng = np.random.default_rng(5)
    t = np.arange(-30, 3)
    y = rng.normal(size=t.size)
    post = (t >= 0).astype(float)
    g = gls_ar1(y, pd.DataFrame({"c": 1.0, "p": post}), t, rho=0.0)
    tt = st.ttest_ind(y[post == 1], y[post == 0], equal_var=True)
    est = y[post == 1].mean() - y[post == 0].mean()
    assert g.params["p"] == pytest.approx(est)
    assert g.params["p"] / math.sqrt(g.cov[1, 1]) == pytest.approx(tt.statistic, rel=1e-9)
    assert g.df_resid == t.size - 2


def _gap_rows(pre: int, post: int, effect=0.0, trend=0.0, seed=1):
    rng = np.random.default_rng(seed)
    weeks = np.arange(-pre, post)
    frames = []
    for treated in (1, 0):
        v = 4 + rng.normal(0, 0.02, weeks.size) + (effect * (weeks >= 0) + trend * weeks) * treated
        frames.append(pd.DataFrame({"treated": treated, "week": weeks, "n": 50, "value": v}))
    rows = pd.concat(frames, ignore_index=True)
    rows["post"] = (rows["week"] >= 0).astype(int)
    return rows


def test_did_one_week_after_is_too_early_with_the_date():
    out = ch.did_outcome(_gap_rows(52, 1), "csat", "group-weeks", "n", START)
    assert out.status == "too early" and out.detail["from"] == START + dt.timedelta(weeks=ch.DID_MIN_POST_WEEKS)
    text = narrative.note(out, "csat")
    assert "only 1 week" in text and "2026-06-15" in text


def test_did_estimate_is_the_gap_shift_and_a_pre_trend_changes_the_wording():
    clean = ch.did_outcome(_gap_rows(52, 6, effect=0.3), "csat", "group-weeks", "n", START)
    assert clean.result.estimate == pytest.approx(0.3, abs=0.02)
    assert clean.checks["pretrend"].passed and clean.checks["placebo"].passed
    diverging = ch.did_outcome(_gap_rows(52, 6, trend=0.01), "csat", "group-weeks", "n", START)
    assert diverging.checks["pretrend"].passed is False
    # the gap's slope before the change is the planted 0.01 per week (ordinary regression as a second method)
    pre = diverging.plot["rows"]
    gap = (pre[pre.treated == 1].set_index("week")["value"] - pre[pre.treated == 0].set_index("week")["value"])
    gap = gap[gap.index < 0]
    assert np.polyfit(gap.index, gap.to_numpy(), 1)[0] == pytest.approx(0.01, abs=0.002)
    assert diverging.checks["pretrend"].estimate == pytest.approx(0.01, abs=0.002)
    res = diverging.result
    row = {"kpi": "csat", "effect": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high, "p_adj": 1e-6,
           "mde": res.mde, "_outcome": diverging}
    text = narrative.verdict_text(row, decide("ok", res.estimate, 1e-6, "up",
                                              warnings=narrative.failed_checks(diverging)))
    assert text.startswith("Moved as expected, with a caveat: the change coincides with a rise")
    assert "the groups already diverged before it" in text


# --- item 7: classical errors say so ----------------------------------------------------------------------------


def test_did_nonrobust_with_cluster_does_not_claim_clustered_errors():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"tr": rng.integers(0, 2, 200), "po": rng.integers(0, 2, 200), "wk": rng.integers(0, 10, 200)})
    df["y"] = rng.normal(size=200)
    res = evaluate.diff_in_diff(df, "y", "tr", "po", cov_type="nonrobust", cluster="wk")
    X = sm.add_constant(np.column_stack([df.tr, df.po, df.tr * df.po]).astype(float))
    ols = sm.OLS(df.y.to_numpy(), X).fit()
    assert res.se == pytest.approx(float(ols.bse[3]), rel=1e-9)
    assert "classical errors" in res.method and "by wk" not in res.method and "cluster" not in res.method


# --- item 8: ITS errors -----------------------------------------------------------------------------------------


def test_gls_ar1_equals_statsmodels_gls_and_prais_winsten():
    rng = np.random.default_rng(9)
    t = np.arange(-40, 8).astype(float)
    X = pd.DataFrame({"const": 1.0, "time": t, "level": (t >= 0) * 1.0, "slope": t * (t >= 0)})
    y = rng.normal(size=t.size)
    g = gls_ar1(y, X, t, rho=0.5)
    ref = sm.GLS(y, X, sigma=ar1_correlation(t, 0.5)).fit()
    assert np.allclose(g.params, ref.params, rtol=1e-10) and np.allclose(g.cov, ref.cov_params(), rtol=1e-9)
    # Prais-Winsten transformation by hand: first row scaled by sqrt(1 - rho^2), then quasi-differences
    r = 0.5
    Xa = X.to_numpy()
    Xs = np.vstack([Xa[:1] * math.sqrt(1 - r**2), Xa[1:] - r * Xa[:-1]])
    ys = np.r_[y[0] * math.sqrt(1 - r**2), y[1:] - r * y[:-1]]
    assert np.allclose(g.params, np.linalg.lstsq(Xs, ys, rcond=None)[0], rtol=1e-9)


def test_missing_weeks_are_gaps_not_lags():
    t = np.array([0.0, 1.0, 3.0])
    assert ar1_correlation(t, 0.5)[1, 2] == pytest.approx(0.25)
    # lag-1 pairs skip the gap: residuals alternating within pairs one week apart only
    e = np.array([1.0, -1.0, 1.0, -1.0])
    assert _lag1(e, np.array([0.0, 1.0, 5.0, 6.0])) == pytest.approx(-1.0)
    assert _lag1(e, np.array([0.0, 1.0, 2.0, 3.0])) == pytest.approx(-1.0)
    # rows 1 and 2 are four weeks apart: counted by row they would be a lag-1 pair with product -1
    assert _lag1(np.array([1.0, 1.0, -1.0, -1.0]), np.array([0.0, 1.0, 5.0, 6.0])) == pytest.approx(1.0)


def test_its_size_with_ar1_noise_on_a_short_series():
    """A/A rejection rate of the default ITS errors with AR(1) noise (rho 0.6), 52 weeks before and 8 after."""
    rng = np.random.default_rng(11)
    t = np.arange(-52, 8)
    reject = []
    for _ in range(200):
        e = np.empty(t.size)
        e[0] = rng.normal()
        for i in range(1, t.size):
            e[i] = 0.6 * e[i - 1] + rng.normal(0, math.sqrt(1 - 0.36))
        r = evaluate.interrupted_time_series(pd.DataFrame({"w": t, "y": 3 + e}), "y", "w", 0).effect
        reject.append(r.p < 0.05)
    # nominal 5%; binomial sd at 200 runs is 0.015 (the fixed-b errors gave 7.5% here and 0.3% at 8/3)
    assert 0.015 <= np.mean(reject) <= 0.09


def test_its_two_weeks_after_is_too_early():
    weekly = pd.DataFrame({"touchpoint_id": "tp", "segment": pd.NA, "week": np.arange(-20, 2), "sum": 40.0,
                           "n": 10, "days": 7.0})
    weekly["sum"] = weekly["sum"] + np.arange(22) % 3
    out = ch.its_outcome(weekly, "csat", WIN)
    assert out.status == "too early" and out.detail["from"] == START + dt.timedelta(weeks=3)


# --- item 9: MDE at the level the verdict uses ------------------------------------------------------------------


def test_bh_levels_by_hand():
    p = [0.001, 0.02, 0.04, 0.3]
    # test 1 rejects with test 2 (0.02 <= 0.05 * 2/4) but 0.04 > 0.05 * 3/4: R = 2, level 0.025
    # test 4 set to 0: 0, 0.001, 0.02, 0.04 all below their thresholds: R = 4, level 0.05
    assert stats.benjamini_hochberg_levels(p) == pytest.approx([0.025, 0.025, 0.0375, 0.05])
    lv = stats.benjamini_hochberg_levels([0.5, np.nan])
    assert lv[0] == pytest.approx(0.05) and np.isnan(lv[1])


def test_mde_at_the_adjusted_level_is_the_closed_form():
    res = evaluate.EffectResult(0.0, 0.1, -0.2, 0.2, 0.9, 100, "x", extra={"reference": 0.05})
    out = ch.at_level(res, 0.0125)
    assert out.mde == pytest.approx((st.norm.ppf(1 - 0.0125 / 2) + st.norm.ppf(0.8)) * 0.1)


# --- item 11: ITS checks ----------------------------------------------------------------------------------------


def test_its_placebo_fails_on_a_history_with_an_earlier_jump():
    t = np.arange(-40, 6)
    rng = np.random.default_rng(4)
    y = 4 + 0.5 * (t >= -6) + rng.normal(0, 0.02, t.size)
    weekly = pd.DataFrame({"touchpoint_id": "tp", "segment": pd.NA, "week": t, "sum": y * 20, "n": 20,
                           "days": 7.0})
    out = ch.its_outcome(weekly, "csat", WIN)
    assert out.checks["placebo"].weeks == 6 and out.checks["placebo"].passed is False
    assert "placebo 6 weeks earlier failed (p < 0.001)" in narrative.checks_cell(out)
    clean = ch.its_outcome(weekly.assign(sum=(4 + rng.normal(0, 0.02, t.size)) * 20), "csat", WIN)
    assert clean.checks["placebo"].passed and clean.checks["pretrend"].passed


def test_linear_trend_matches_ols_slope_without_autocorrelation():
    t = np.arange(-20, 0).astype(float)
    y = 0.1 * t + np.tile([0.3, -0.3], 10)
    r = linear_trend(y, t)
    assert r.estimate == pytest.approx(np.polyfit(t, y, 1)[0], rel=1e-6)
    shift = level_shift(y, t, (t >= -5).astype(float))
    assert np.isfinite(shift.p)
