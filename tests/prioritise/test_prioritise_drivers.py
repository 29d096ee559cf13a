"""Key drivers: Johnson relative weights against the published mtcars values (rwa README), Shapley R^2
against statsmodels OLS fits, bootstrap and the relationship-survey pivot."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from prioritise_cases import MT, MT_DRIVERS

from helpers import prioritise, stats
from helpers.errors import DataError
from helpers.prioritise.compute.drivers import CollinearityWarning, bootstrap_corr


def test_relative_weights_match_the_published_mtcars_example():
    # rwa README (martinctc/rwa): mtcars, outcome mpg, predictors cyl, disp, hp, gear:
    # R^2 0.7791896; raw relative weights 0.2284797, 0.2221469, 0.2321744, 0.0963886
    rw = prioritise.relative_weights(MT, "mpg", MT_DRIVERS)
    assert rw.r2 == pytest.approx(0.7791896, abs=5e-8)
    np.testing.assert_allclose(rw.weights.to_numpy(), [0.2284797, 0.2221469, 0.2321744, 0.0963886], atol=5e-8)
    # rescaled weights in percent: 29.32274, 28.50999, 29.79691, 12.37037
    np.testing.assert_allclose(100 * rw.shares.to_numpy(), [29.32274, 28.50999, 29.79691, 12.37037], atol=5e-5)


def _ols_r2(df, target, cols):
    if not cols:
        return 0.0
    return float(sm.OLS(df[target], sm.add_constant(df[list(cols)])).fit().rsquared)


def test_shapley_r2_equals_the_shapley_formula_over_statsmodels_fits():
    # second method: R^2 of every subset from a statsmodels OLS fit, Shapley weights |S|!(p-|S|-1)!/p!
    p = len(MT_DRIVERS)
    r2 = {frozenset(s): _ols_r2(MT, "mpg", s) for k in range(p + 1) for s in itertools.combinations(MT_DRIVERS, k)}
    expected = []
    for d in MT_DRIVERS:
        others = [x for x in MT_DRIVERS if x != d]
        phi = 0.0
        for k in range(p):
            for s in itertools.combinations(others, k):
                w = math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p)
                phi += w * (r2[frozenset(s) | {d}] - r2[frozenset(s)])
        expected.append(phi)
    sh = prioritise.shapley_r2(MT, "mpg", MT_DRIVERS)
    np.testing.assert_allclose(sh.weights.to_numpy(), expected, atol=1e-9)
    assert sh.weights.sum() == pytest.approx(r2[frozenset(MT_DRIVERS)], abs=1e-9)  # efficiency: sums to full R^2
    assert sh.r2 == pytest.approx(0.7791896, abs=5e-8)
    assert sh.exact and (sh.se == 0).all()


def test_relative_weights_sum_to_r2_and_approximate_shapley_shares():
    rw = prioritise.relative_weights(MT, "mpg", MT_DRIVERS)
    sh = prioritise.shapley_r2(MT, "mpg", MT_DRIVERS)
    assert rw.weights.sum() == pytest.approx(rw.r2, abs=1e-12)
    np.testing.assert_allclose(rw.shares.to_numpy(), sh.shares.to_numpy(), atol=0.03)


def test_orthogonal_drivers_get_their_squared_correlations(rng):
    # exactly uncorrelated centred drivers: both decompositions equal r(y, x_j)^2
    q, _ = np.linalg.qr(rng.standard_normal((200, 3)) - 0)
    q = q - q.mean(axis=0)
    q, _ = np.linalg.qr(q)  # still orthogonal and (numerically) centred
    y = q @ np.array([3.0, 2.0, 1.0]) + 0.05 * rng.standard_normal(200)
    df = pd.DataFrame({"y": y, "a": q[:, 0], "b": q[:, 1], "c": q[:, 2]})
    r = df.corr().loc[["a", "b", "c"], "y"].to_numpy() ** 2
    np.testing.assert_allclose(prioritise.relative_weights(df, "y", ["a", "b", "c"]).weights.to_numpy(), r,
                               atol=1e-6)
    np.testing.assert_allclose(prioritise.shapley_r2(df, "y", ["a", "b", "c"]).weights.to_numpy(), r, atol=1e-6)


def test_pairwise_correlations_match_pandas(rng):
    x = rng.standard_normal((300, 5))
    x[:, 1] += x[:, 0]
    x[rng.random(x.shape) < 0.3] = np.nan
    r, n = prioritise.pairwise_corr(x)
    np.testing.assert_allclose(r, pd.DataFrame(x).corr().to_numpy(), atol=1e-12)
    assert n[0, 1] == int(np.sum(~np.isnan(x[:, 0]) & ~np.isnan(x[:, 1])))


def test_missing_ratings_use_pairwise_complete_correlations(rng):
    df = MT.copy()
    df.loc[rng.choice(32, 6, replace=False), "hp"] = np.nan
    df.loc[rng.choice(32, 5, replace=False), "gear"] = np.nan
    rw = prioritise.relative_weights(df, "mpg", MT_DRIVERS)
    # second method: Johnson's formulas applied to pandas' pairwise correlation matrix
    c = df[["mpg", *MT_DRIVERS]].corr().to_numpy()
    e, v = np.linalg.eigh(c[1:, 1:])
    lam = v @ np.diag(np.sqrt(e)) @ v.T
    beta = np.linalg.solve(lam, c[1:, 0])
    np.testing.assert_allclose(rw.weights.to_numpy(), (lam ** 2) @ beta ** 2, atol=1e-10)
    assert rw.n == 32


def test_sampled_shapley_agrees_with_exact_within_its_standard_error():
    exact = prioritise.shapley_r2(MT, "mpg", MT_DRIVERS)
    sampled = prioritise.shapley_r2(MT, "mpg", MT_DRIVERS, exact_max=2, n_perm=3000, seed=7)
    assert not sampled.exact and (sampled.se > 0).all()
    assert np.all(np.abs(sampled.weights - exact.weights) <= 4 * sampled.se + 1e-3)
    again = prioritise.shapley_r2(MT, "mpg", MT_DRIVERS, exact_max=2, n_perm=3000, seed=7)
    pd.testing.assert_series_equal(sampled.weights, again.weights)  # seeded


def test_collinear_drivers_give_a_clear_warning_not_a_crash(rng):
    df = MT.copy()
    df["disp_copy"] = df["disp"] * 2.0 + 1.0  # exactly collinear
    drivers = [*MT_DRIVERS, "disp_copy"]
    with pytest.warns(CollinearityWarning, match="disp.*disp_copy.*collinear"):
        rw = prioritise.relative_weights(df, "mpg", drivers)
    assert np.isfinite(rw.weights).all() and rw.weights.sum() == pytest.approx(0.7791896, abs=1e-6)
    # the two copies share the importance equally
    assert rw.weights["disp"] == pytest.approx(rw.weights["disp_copy"], rel=1e-6)
    with pytest.warns(CollinearityWarning):
        sh = prioritise.shapley_r2(df, "mpg", drivers)
    assert sh.weights.sum() == pytest.approx(0.7791896, abs=1e-6)
    assert issubclass(CollinearityWarning, UserWarning)


def test_uncorrelated_drivers_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CollinearityWarning)
        prioritise.relative_weights(MT, "mpg", ["hp", "gear"])


def test_driver_input_errors_say_what_to_fix():
    with pytest.raises(DataError, match="not in the table"):
        prioritise.relative_weights(MT, "mpg", ["cyl", "nope"])
    with pytest.raises(DataError, match="do not vary"):
        prioritise.relative_weights(MT.assign(k=1.0), "mpg", ["cyl", "k"])
    with pytest.raises(DataError, match="both the outcome and a driver"):
        prioritise.relative_weights(MT, "mpg", ["mpg", "cyl"])


def test_bootstrap_correlations_equal_those_of_resampled_rows(rng):
    x = rng.standard_normal((400, 4))
    x[rng.random(x.shape) < 0.2] = np.nan
    got = next(bootstrap_corr(x, 1, np.random.default_rng(3)))
    counts = np.random.default_rng(3).multinomial(400, np.full(400, 1 / 400))
    expected, _ = prioritise.pairwise_corr(np.repeat(x, counts, axis=0))
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_key_drivers_bootstrap_intervals_are_seeded_and_cover_the_estimate(rng):
    n = 600
    x = rng.standard_normal((n, 3))
    y = 0.8 * x[:, 0] + 0.4 * x[:, 1] + 0.1 * x[:, 2] + rng.standard_normal(n)
    df = pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})
    df.loc[rng.random(n) < 0.3, "b"] = np.nan
    kd = prioritise.key_drivers(df, "y", ["a", "b", "c"], n_boot=150, seed=11)
    t = kd.table.set_index("driver")
    assert list(kd.table["driver"]) == ["a", "b", "c"]
    assert (t["rw_ci_low"] <= t["relative_weight"]).all() and (t["relative_weight"] <= t["rw_ci_high"]).all()
    assert (t["shapley_ci_low"] <= t["shapley"]).all() and (t["shapley"] <= t["shapley_ci_high"]).all()
    assert t.loc["a", "top3_share"] == 1.0 and kd.n_boot == 150
    again = prioritise.key_drivers(df, "y", ["a", "b", "c"], n_boot=150, seed=11)
    pd.testing.assert_frame_equal(kd.table, again.table)


def _survey():
    rows = []
    # three relationship surveys: overall row (touchpoint null) + touchpoint CSAT rows
    for sid, nps, csat, rated in (("S1", 9, 5, {"web": 5, "shop": 4}), ("S2", 3, 2, {"web": 2}),
                                  ("S3", 7, 4, {"web": 4, "shop": 3, "app": 4})):
        rows.append({"survey_id": sid, "touchpoint_id": None, "nps": nps, "csat": csat})
        rows += [{"survey_id": sid, "touchpoint_id": tp, "nps": np.nan, "csat": v} for tp, v in rated.items()]
    rows.append({"survey_id": None, "touchpoint_id": "web", "nps": 10, "csat": 5})  # transactional: ignored
    df = pd.DataFrame(rows)
    df["ts"] = pd.Timestamp("2026-08-01")
    return df


def test_driver_dataset_pivots_the_relationship_survey():
    frame, drivers, dropped = prioritise.driver_dataset(_survey(), "nps", min_ratings=2)
    assert list(frame.index) == ["S1", "S2", "S3"]
    assert frame["nps"].tolist() == [9, 3, 7]
    assert frame["web"].tolist() == [5, 2, 4]
    assert frame["shop"].tolist()[0] == 4 and np.isnan(frame["shop"].tolist()[1])
    assert drivers == ["shop", "web"] and dropped == ["app"]
    frame_c, _, _ = prioritise.driver_dataset(_survey(), "csat", min_ratings=1)
    assert frame_c["csat"].tolist() == [5, 2, 4]
    with pytest.raises(DataError, match="relationship survey"):
        prioritise.driver_dataset(_survey().drop(columns="survey_id"))


def test_touchpoint_performance_means_and_top2box():
    fb = pd.DataFrame({"touchpoint_id": ["a"] * 4 + ["b"] * 2, "csat": [5, 4, 2, 1, 3, 3],
                       "ts": pd.Timestamp("2026-08-01")})
    perf = prioritise.touchpoint_performance(fb).set_index("touchpoint_id")
    assert perf.loc["a", "csat"] == 3.0 and perf.loc["a", "ratings"] == 4
    est = stats.mean_ci([5, 4, 2, 1])
    assert perf.loc["a", "csat_ci_low"] == pytest.approx(est.ci_low)
    assert perf.loc["a", "top2box"] == 0.5 and perf.loc["b", "top2box"] == 0.0
    assert perf.loc["a", "top2box_ci_low"] == pytest.approx(stats.proportion_ci(2, 4).ci_low)

