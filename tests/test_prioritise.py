"""Step 3: key drivers, attribution, friction, ROI and the ranked priority list.

Statistics are checked against published values (Johnson relative weights of the
rwa R package README), hand-derived chains and weights, and second methods
(statsmodels OLS for Shapley R^2, a seeded simulation for Markov removal effects,
helpers.demo's independent absorbing-chain solver), plus recovery of the planted
ground truth of the demo clients.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from helpers import prioritise, stats
from helpers.errors import ConfigError, DataError
from helpers.prioritise import attribution as attr_mod
from helpers.prioritise.drivers import CollinearityWarning, bootstrap_corr

# mtcars (R datasets): mpg, cyl, disp, hp, gear
MTCARS = np.array([
    [21.0, 6, 160.0, 110, 4], [21.0, 6, 160.0, 110, 4], [22.8, 4, 108.0, 93, 4], [21.4, 6, 258.0, 110, 3],
    [18.7, 8, 360.0, 175, 3], [18.1, 6, 225.0, 105, 3], [14.3, 8, 360.0, 245, 3], [24.4, 4, 146.7, 62, 4],
    [22.8, 4, 140.8, 95, 4], [19.2, 6, 167.6, 123, 4], [17.8, 6, 167.6, 123, 4], [16.4, 8, 275.8, 180, 3],
    [17.3, 8, 275.8, 180, 3], [15.2, 8, 275.8, 180, 3], [10.4, 8, 472.0, 205, 3], [10.4, 8, 460.0, 215, 3],
    [14.7, 8, 440.0, 230, 3], [32.4, 4, 78.7, 66, 4], [30.4, 4, 75.7, 52, 4], [33.9, 4, 71.1, 65, 4],
    [21.5, 4, 120.1, 97, 3], [15.5, 8, 318.0, 150, 3], [15.2, 8, 304.0, 150, 3], [13.3, 8, 350.0, 245, 3],
    [19.2, 8, 400.0, 175, 3], [27.3, 4, 79.0, 66, 4], [26.0, 4, 120.3, 91, 5], [30.4, 4, 95.1, 113, 5],
    [15.8, 8, 351.0, 264, 5], [19.7, 6, 145.0, 175, 5], [15.0, 8, 301.0, 335, 5], [21.4, 4, 121.0, 109, 4],
])
MT = pd.DataFrame(MTCARS, columns=["mpg", "cyl", "disp", "hp", "gear"])
MT_DRIVERS = ["cyl", "disp", "hp", "gear"]


# ---------------------------------------------------------------------------
# Key drivers
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Markov attribution
# ---------------------------------------------------------------------------

HAND = pd.DataFrame({
    "path": ["a > b > c", "a > c", "b", "b > c"],
    "conversions": [2, 1, 0, 1],
    "nulls": [0, 1, 3, 2],
    "revenue": [200.0, 50.0, 0.0, 150.0],
})


def test_markov_removal_effects_of_a_three_channel_chain_by_hand():
    # journeys: a>b>c (2 conv), a>c (1 conv, 1 null), b (3 null), b>c (1 conv, 2 null): 10 journeys, 4 conv
    # transitions: start->a 4, start->b 6; a->b 2, a->c 2; b->c 5, b->null 3; c->conv 4, c->null 3
    # P: start a .4 b .6 | a: b .5 c .5 | b: c 5/8 null 3/8 | c: conv 4/7 null 3/7
    # P(conv) = x_start with x_c = 4/7, x_b = 5/8 * 4/7 = 5/14, x_a = .5 x_b + .5 x_c = 13/28
    #         = .4 * 13/28 + .6 * 5/14 = 13/70 + 15/70 = 28/70 = 0.4   (= 4 conversions / 10 journeys)
    # remove a: start->a goes to null: .6 * 5/14 = 3/14             -> RE_a = 1 - (3/14)/0.4 = 13/28
    # remove b: x_a = .5 * 4/7 = 2/7; .4 * 2/7 = 4/35                 -> RE_b = 1 - (4/35)/0.4 = 5/7
    # remove c: nothing converts                                      -> RE_c = 1
    mk = prioritise.markov_attribution(HAND)
    re = mk.removal_effects
    assert mk.conversion_probability == pytest.approx(0.4, abs=1e-12)
    assert re["a"] == pytest.approx(13 / 28) and re["b"] == pytest.approx(5 / 7) and re["c"] == pytest.approx(1.0)
    total = 13 / 28 + 5 / 7 + 1
    t = mk.table.set_index("channel")
    assert t.loc["a", "conversions"] == pytest.approx(4 * (13 / 28) / total)
    assert t["conversions"].sum() == pytest.approx(4) and t["revenue"].sum() == pytest.approx(400.0)
    assert t.loc["c", "revenue"] == pytest.approx(400 * 1 / total)


def test_markov_revenue_follows_the_removal_effects_of_revenue():
    # a: 1 purchase of 100, 1 null; b: 1 purchase of 300, 1 null. start -> a .5, b .5; each converts with .5
    # conversions: RE_a = RE_b = .5 -> one purchase each
    # expected revenue per journey V = .5*.5*100 + .5*.5*300 = 100 (= 400 / 4 journeys)
    # without a: 75 -> RE = .25; without b: 25 -> RE = .75 -> revenue 100 and 300
    paths = pd.DataFrame({"path": ["a", "b"], "conversions": [1, 1], "nulls": [1, 1], "revenue": [100.0, 300.0]})
    t = prioritise.markov_attribution(paths).table.set_index("channel")
    assert t["conversions"].tolist() == pytest.approx([1.0, 1.0])
    assert t["removal_effect_revenue"].tolist() == pytest.approx([0.25, 0.75])
    assert t["revenue"].tolist() == pytest.approx([100.0, 300.0])


def test_markov_agrees_with_the_independent_solver_in_the_demo_generator():
    from helpers import demo

    paths = pd.DataFrame({"path": ["a > b > c", "a > c > a > b", "b", "b > c", "c > c > b", "a"],
                          "conversions": [5, 3, 0, 4, 2, 1], "nulls": [1, 2, 6, 3, 1, 4]})
    mk = prioritise.markov_attribution(paths)
    other = demo.removal_effects(prioritise.transition_matrix(paths))
    for ch, v in other.items():
        assert mk.removal_effects[ch] == pytest.approx(v, abs=1e-12)


def _simulate_removal(tm: pd.DataFrame, removed: str | None, walks: int, rng) -> float:
    """Share of ``walks`` random walks through the chain that convert (``removed`` -> null)."""
    states = list(tm.index)                 # start + channels
    cols = list(tm.columns)                 # channels + conversion + null
    idx = {s: i for i, s in enumerate(states)}
    cum = np.cumsum(tm.to_numpy(), axis=1)
    cur = np.zeros(walks, dtype=int)         # all at start
    converted = np.zeros(walks, dtype=bool)
    alive = np.ones(walks, dtype=bool)
    for _ in range(200):
        if not alive.any():
            break
        who = np.flatnonzero(alive)
        u = rng.random(who.size)
        nxt = (u[:, None] > cum[cur[who]]).sum(axis=1)
        names = np.array(cols)[np.minimum(nxt, len(cols) - 1)]
        conv = names == "conversion"
        stop = conv | (names == "null") | (names == removed)
        converted[who[conv]] = True
        alive[who[stop]] = False
        go = who[~stop]
        cur[go] = [idx[n] for n in names[~stop]]
    return converted.mean()


def test_markov_removal_effects_match_a_seeded_simulation():
    # second method: simulate 200,000 walks of the fitted chain with and without each channel
    # (seed 20260701); the simulated removal effects agree with the exact ones within 0.01
    paths = pd.DataFrame({"path": ["a > b > c", "a > c", "b > a > c", "c", "b > b > c", "a > b"],
                          "conversions": [30, 20, 10, 15, 8, 0], "nulls": [10, 25, 10, 30, 12, 40]})
    tm = prioritise.transition_matrix(paths)
    exact = prioritise.markov_attribution(paths).removal_effects
    rng = np.random.default_rng(20260701)
    base = _simulate_removal(tm, None, 200_000, rng)
    assert base == pytest.approx(prioritise.markov_attribution(paths).conversion_probability, abs=0.005)
    for ch in ["a", "b", "c"]:
        sim = 1 - _simulate_removal(tm, ch, 200_000, rng) / base
        assert sim == pytest.approx(exact[ch], abs=0.01), ch


def test_single_channel_gets_everything():
    paths = pd.DataFrame({"path": ["shop", "shop > shop"], "conversions": [3, 1], "nulls": [7, 1],
                          "revenue": [30.0, 5.0]})
    mk = prioritise.markov_attribution(paths)
    assert mk.removal_effects["shop"] == 1.0
    assert mk.table["conversions"].iloc[0] == pytest.approx(4.0) and mk.table["revenue"].iloc[0] == 35.0
    models = prioritise.attribution_models(paths)
    for col in ["markov", *prioritise.HEURISTICS]:
        assert models[col].iloc[0] == pytest.approx(4.0)


def test_channels_that_never_convert_get_nothing():
    paths = pd.DataFrame({"path": ["a > b", "x", "x > y", "a"], "conversions": [5, 0, 0, 2], "nulls": [5, 9, 4, 8]})
    mk = prioritise.markov_attribution(paths)
    t = mk.table.set_index("channel")
    assert t.loc["x", "removal_effect"] == 0 and t.loc["y", "conversions"] == 0
    assert t["conversions"].sum() == pytest.approx(7)
    models = prioritise.attribution_models(paths).set_index("channel")
    assert (models.loc[["x", "y"]] == 0).all().all()
    # no conversions at all: nothing to share, no crash
    none = prioritise.markov_attribution(pd.DataFrame({"path": ["a > b", "b"], "conversions": [0, 0],
                                                       "nulls": [3, 1]}))
    assert none.conversion_probability == 0 and (none.table["conversions"] == 0).all()


def test_conversion_probability_of_the_fitted_chain_is_the_observed_rate():
    paths = pd.DataFrame({"path": ["a > b > c", "c > a", "b > c > b", "a"], "conversions": [7, 2, 3, 1],
                          "nulls": [3, 5, 2, 9]})
    assert prioritise.markov_attribution(paths).conversion_probability == pytest.approx(13 / 32, abs=1e-12)


def test_second_order_chain_by_hand():
    # a > b (1 conv), a (1 null), b (1 conv, 1 null); states (a), (b), (a,b)
    # start -> (a) 2/4, (b) 2/4; (a) -> (a,b) 1/2, null 1/2; (b) conv 1/2; (a,b) conv 1
    # P = .5 * .5 * 1 + .5 * .5 = .5; without a: only start->(b) remains: .25 -> RE_a = 0.5; RE_b = 1
    paths = pd.DataFrame({"path": ["a > b", "a", "b"], "conversions": [1, 0, 1], "nulls": [0, 1, 1]})
    mk = prioritise.markov_attribution(paths, order=2)
    assert mk.n_states == 4
    assert mk.removal_effects["a"] == pytest.approx(0.5) and mk.removal_effects["b"] == pytest.approx(1.0)
    # first order for comparison: (b) pools a>b and b: conv 2/3 -> RE_a = 1/3
    assert prioritise.markov_attribution(paths).removal_effects["a"] == pytest.approx(1 / 3)
    with pytest.raises(DataError, match="order"):
        prioritise.markov_attribution(paths, order=0)


def test_heuristic_models_by_hand():
    paths = pd.DataFrame({"path": ["a > b > c", "d > e"], "conversions": [1, 1], "nulls": [0, 0],
                          "revenue": [70.0, 10.0]})
    get = lambda model, **kw: prioritise.heuristic_attribution(paths, model, **kw).set_index("channel")  # noqa: E731
    assert get("first_touch")["conversions"].to_dict() == {"a": 1, "b": 0, "c": 0, "d": 1, "e": 0}
    assert get("last_touch")["conversions"].to_dict() == {"a": 0, "b": 0, "c": 1, "d": 0, "e": 1}
    np.testing.assert_allclose(get("linear")["conversions"], [1 / 3, 1 / 3, 1 / 3, 0.5, 0.5])
    # 40/20/40 on three touches; two touches split 50/50
    np.testing.assert_allclose(get("position_based")["conversions"], [0.4, 0.2, 0.4, 0.5, 0.5])
    # half-life 1 step: raw weights 1/4, 1/2, 1 (last) -> divided by 7/4: 1/7, 2/7, 4/7; two touches 1/3, 2/3
    td = get("time_decay", half_life=1.0)
    np.testing.assert_allclose(td["conversions"], [1 / 7, 2 / 7, 4 / 7, 1 / 3, 2 / 3])
    np.testing.assert_allclose(td["revenue"], [10, 20, 40, 10 / 3, 20 / 3])
    with pytest.raises(DataError, match="unknown attribution model"):
        get("u_shaped")


def test_every_model_shares_out_all_conversions():
    models = prioritise.attribution_models(HAND)
    for col in ["markov", *prioritise.HEURISTICS]:
        assert models[col].sum() == pytest.approx(4.0)
    rev = prioritise.attribution_models(HAND, value="revenue")
    for col in ["markov", *prioritise.HEURISTICS]:
        assert rev[col].sum() == pytest.approx(400.0)


def test_transition_matrix_by_hand():
    tm = prioritise.transition_matrix(HAND)
    assert tm.loc["start", "a"] == pytest.approx(0.4) and tm.loc["b", "null"] == pytest.approx(3 / 8)
    assert tm.loc["c", "conversion"] == pytest.approx(4 / 7)
    np.testing.assert_allclose(tm.sum(axis=1), 1.0)


def test_path_table_errors():
    with pytest.raises(DataError, match="lacks columns"):
        prioritise.markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [1]}))
    with pytest.raises(DataError, match="empty step"):
        prioritise.markov_attribution(pd.DataFrame({"path": ["a >  > b"], "conversions": [1], "nulls": [0]}))
    with pytest.raises(DataError, match="non-negative"):
        prioritise.markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [-1], "nulls": [0]}))
    with pytest.raises(DataError, match="no journeys"):
        prioritise.markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [0], "nulls": [0]}))


def test_markov_bootstrap_draws_are_seeded_shares():
    d1 = prioritise.markov_draws(HAND, n_boot=30, seed=5)
    d2 = prioritise.markov_draws(HAND, n_boot=30, seed=5)
    pd.testing.assert_frame_equal(d1, d2)
    ok = d1.notna().all(axis=1)
    assert d1[~ok].isna().all().all()  # resamples without any conversion have no shares
    np.testing.assert_allclose(d1[ok].sum(axis=1), 1.0)
    big = HAND.assign(conversions=HAND["conversions"] * 50, nulls=HAND["nulls"] * 50)
    d3 = prioritise.markov_draws(big, n_boot=30, seed=5)
    np.testing.assert_allclose(d3.sum(axis=1), 1.0)
    # the resampled removal-effect shares scatter around the point estimate
    point = prioritise.markov_attribution(big).table.set_index("channel")["share"]
    assert np.abs(d3.mean() - point).max() < 0.02


# ---------------------------------------------------------------------------
# Paths from events (Ibis)
# ---------------------------------------------------------------------------

def _events(tmp_path):
    t0 = pd.Timestamp("2026-07-01 10:00")
    rows = [  # journey, touchpoint, hours after t0, converted, revenue
        ("j1", "a", 0, False, 0), ("j1", "b", 1, False, 0), ("j1", "c", 2, True, 100), ("j1", "d", 3, False, 0),
        ("j2", "a", 0, False, 0), ("j2", "a", 1, False, 0), ("j2", "b", 2, False, 0),
        ("j3", "b", 0, False, 0), ("j3", "c", 24, True, 50), ("j3", "c", 30, True, 70),
        ("j4", "a", -2400, False, 0), ("j4", "c", 1, True, 10),     # started before the period
        ("j5", "c", 5, False, 0), ("j5", "c", 6, True, 30),          # a repeat ending in the purchase
    ]
    df = pd.DataFrame([{"customer_id": j, "journey_id": j, "touchpoint_id": tp, "ts": t0 + pd.Timedelta(hours=h),
                        "converted": c, "revenue": float(r)} for j, tp, h, c, r in rows])
    df["ts"] = df["ts"].astype("datetime64[us]")
    path = tmp_path / "events.parquet"
    df.to_parquet(path)
    return path


Q3 = (dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1))


def test_journey_paths_from_events(tmp_path):
    from helpers import data

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_events(tmp_path)))
    got = prioritise.journey_paths(ev, *Q3).set_index("path")
    # j1 stops at its first purchase (d comes after), j3 at its first purchase, j4 started before the period
    assert got.to_dict("index") == {
        "a > a > b": {"journeys": 1, "conversions": 0, "nulls": 1, "revenue": 0.0},
        "a > b > c": {"journeys": 1, "conversions": 1, "nulls": 0, "revenue": 100.0},
        "b > c": {"journeys": 1, "conversions": 1, "nulls": 0, "revenue": 50.0},
        "c > c": {"journeys": 1, "conversions": 1, "nulls": 0, "revenue": 30.0},
    }
    collapsed = prioritise.journey_paths(ev, *Q3, collapse_repeats=True).set_index("path")
    assert set(collapsed.index) == {"a > b", "a > b > c", "b > c", "c"}
    assert collapsed.loc["c", "revenue"] == 30.0 and collapsed.loc["c", "conversions"] == 1
    by_q = prioritise.journey_paths(ev, dt.datetime(2026, 1, 1), Q3[1], by_quarter=True)
    assert set(by_q["quarter"]) == {"2026Q1", "2026Q3"}  # j4 started on 2026-03-23
    assert by_q.loc[by_q["quarter"] == "2026Q1", "path"].tolist() == ["a > c"]


def test_time_decay_in_days_from_events(tmp_path):
    from helpers import data

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_events(tmp_path)))
    got = prioritise.time_decay_days_expr(ev, *Q3, half_life_days=1.0).execute().set_index("touchpoint_id")
    # j1: a, b, c are 2h, 1h, 0h before the purchase: weights .5^(2/24), .5^(1/24), 1, normalised
    w = np.array([0.5 ** (2 / 24), 0.5 ** (1 / 24), 1.0])
    w = w / w.sum()
    # j3: b is 24 h (one half-life) before the purchase at c: 0.5 and 1 -> 1/3, 2/3
    assert got.loc["a", "conversions"] == pytest.approx(w[0])
    assert got.loc["b", "conversions"] == pytest.approx(w[1] + 1 / 3)
    assert got.loc["c", "revenue"] == pytest.approx(100 * w[2] + 50 * 2 / 3 + 30)
    assert got["conversions"].sum() == pytest.approx(3.0)  # j1, j3 and j5 (j5: c and c, 1 h apart)


@pytest.mark.spark
def test_journey_paths_are_the_same_on_spark(tmp_path):
    from helpers import data

    path = _events(tmp_path)
    duck = prioritise.journey_paths(data.connect(engine="duckdb").read_parquet(str(path)), *Q3)
    spark = prioritise.journey_paths(data.connect(engine="pyspark").read_parquet(str(path)), *Q3)
    pd.testing.assert_frame_equal(duck.sort_values("path").reset_index(drop=True),
                                  spark.sort_values("path").reset_index(drop=True), check_dtype=False)
    decay = [prioritise.time_decay_days_expr(data.connect(engine=e).read_parquet(str(path)), *Q3).execute()
             .sort_values("touchpoint_id").reset_index(drop=True) for e in ("duckdb", "pyspark")]
    pd.testing.assert_frame_equal(decay[0], decay[1], check_dtype=False)


# ---------------------------------------------------------------------------
# Friction and ROI
# ---------------------------------------------------------------------------

def test_friction_by_hand():
    fr = prioritise.friction(HAND).set_index("channel")
    # reached (journeys with the channel): a 4, b 8 (2 + 3 + 3), c 7; drop-offs (nulls ending there): b 3, c 3
    assert fr.loc["a", "reached"] == 4 and fr.loc["b", "reached"] == 8 and fr.loc["c", "reached"] == 7
    assert fr.loc["a", "dropoffs"] == 0 and fr.loc["b", "dropoffs"] == 3 and fr.loc["c", "dropoffs"] == 3
    assert fr.loc["b", "average"] == pytest.approx(6 / 19)
    est = stats.proportion_ci(3, 8)
    assert fr.loc["b", "dropoff_ci_low"] == pytest.approx(est.ci_low)
    assert fr.loc["b", "excess"] == pytest.approx(3 / 8 - 6 / 19)


def test_friction_flags_a_clear_exit():
    paths = pd.DataFrame({"path": ["faq", "web > buy", "faq > web > buy", "web"],
                          "conversions": [0, 400, 50, 0], "nulls": [300, 100, 20, 100]})
    fr = prioritise.friction(paths).set_index("channel")
    assert fr.loc["faq", "flag"] == "above average" and fr.loc["buy", "flag"] == "below average"


def test_roi_by_hand():
    attributed = pd.DataFrame({"touchpoint_id": ["a", "b"], "period": ["2026Q3", "2026Q3"], "revenue": [300.0, 50.0]})
    costs = pd.DataFrame({"touchpoint_id": ["a", "b", "svc", "a"], "period": ["2026Q3", "2026Q3", "2026Q3", "2026Q2"],
                          "cost": [100.0, 100.0, 80.0, 90.0]})
    out = prioritise.roi(attributed, costs, model="Markov", period="2026Q3").set_index("touchpoint_id")
    assert out.loc["a", "roi"] == pytest.approx(2.0) and out.loc["b", "roi"] == pytest.approx(-0.5)
    assert out.loc["a", "revenue_per_cost"] == pytest.approx(3.0) and (out["model"] == "Markov").all()
    assert np.isnan(out.loc["svc", "roi"])  # not on a path to purchase: attribution cannot value it
    with pytest.raises(DataError, match="lacks columns"):
        prioritise.roi(attributed.drop(columns="period"), costs, model="Markov")


# ---------------------------------------------------------------------------
# Importance-performance and ranking
# ---------------------------------------------------------------------------

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


def test_labels_of_crowded_points_do_not_overlap():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rng = np.random.default_rng(2)
    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x, y = 3.5 + 0.1 * rng.random(12), 0.1 * rng.random(12)
    ax.scatter(x, y)
    ax.set_xlim(3.0, 4.5)
    ax.set_ylim(-0.2, 0.5)
    texts = prioritise.place_labels(ax, x, y, [f"Touchpoint number {i}" for i in range(12)])
    fig.canvas.draw()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t) for t in texts]  # the text itself, without its leader line
    for i, j in itertools.combinations(range(len(boxes)), 2):
        assert not boxes[i].overlaps(boxes[j]), (i, j)
    frame = ax.get_window_extent()
    assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 for b in boxes)


# ---------------------------------------------------------------------------
# Recovery of the planted ground truth (demo clients)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fjordtech_root(tmp_path_factory):
    """fjordtech at its default size (about 65,000 events, 1,600 survey answers; a few seconds).

    The shared small demo holds only 300 fjordtech survey answers, too few to separate its two
    leading drivers (planted weights 0.42 and 0.33) reliably."""
    import os

    from helpers import demo, ingest

    root = tmp_path_factory.mktemp("fjordtech")
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    os.environ.setdefault("TPKIT_KEY", "test-key-not-secret")
    demo.write_client("fjordtech", root)
    ingest.ingest_client("fjordtech", root=root)
    return root


@pytest.mark.parametrize("client", ["nordlys", "fjordtech"])
def test_planted_driver_order_is_recovered(demo_root, fjordtech_root, client):
    from helpers import data, demo

    root = demo_root if client == "nordlys" else fjordtech_root
    truth = demo.GROUND_TRUTH[client]
    fb = data.read_small(client, "feedback", root=root)
    frame, drivers, _ = prioritise.driver_dataset(fb, "nps", min_ratings=30)
    kd = prioritise.key_drivers(frame, "nps", drivers, n_boot=50)
    # tolerance: the three most important drivers, in the planted order, by both measures
    assert list(kd.table["driver"].head(3)) == truth.driver_order[:3]
    assert list(kd.table.sort_values("shapley", ascending=False)["driver"].head(3)) == truth.driver_order[:3]


@pytest.mark.parametrize("client", ["nordlys", "fjordtech"])
def test_planted_transition_structure_is_recovered(demo_root, client):
    from helpers import data, demo

    truth = demo.GROUND_TRUTH[client]
    planted = truth.pooled_transitions
    ev = data.table(data.connect(client, root=demo_root), "events", client, root=demo_root)
    paths = prioritise.journey_paths(ev, dt.datetime(2000, 1, 1), dt.datetime(2026, 7, 1))
    est = prioritise.transition_matrix(paths)
    pp = prioritise.parse_paths(paths)
    chain = attr_mod._build_chain(pp, 1)
    q, conv, null = attr_mod._transition_counts(chain, pp)
    n_from = pd.Series(np.asarray(q.sum(axis=1)).ravel() + conv + null,
                       index=["start", *[lab[0] for lab in chain.labels[1:]]])
    est = est.reindex(index=planted.index, columns=planted.columns, fill_value=0.0)
    # tolerance: every planted probability within four binomial standard errors + 0.01 (rows with >= 50 moves)
    for row in planted.index:
        n = n_from.get(row, 0)
        if n < 50:
            continue
        p = planted.loc[row].to_numpy()
        tol = 4 * np.sqrt(p * (1 - p) / n) + 0.01
        assert np.all(np.abs(est.loc[row].to_numpy() - p) <= tol), row
    # removal effects of the fitted chain within 0.05 of the planted chain's
    got = prioritise.markov_attribution(paths).removal_effects
    for ch, v in truth.removal_effects.items():
        assert got[ch] == pytest.approx(v, abs=0.05), ch


def test_planted_drop_off_touchpoint_has_the_highest_drop_off(demo_root):
    from helpers import data, demo

    ev = data.table(data.connect("nordlys", root=demo_root), "events", "nordlys", root=demo_root)
    paths = prioritise.journey_paths(ev, dt.datetime(2000, 1, 1), dt.datetime(2026, 7, 1))
    fr = prioritise.friction(paths)
    assert fr["channel"].iloc[0] == demo.GROUND_TRUTH["nordlys"].drop_off_touchpoint
    assert fr["flag"].iloc[0] == "above average"


def test_step_result_on_the_demo(demo_root):
    result = prioritise.run("nordlys", "2026Q3", root=demo_root)
    assert prioritise.run("nordlys", "2026Q3", root=demo_root) is result  # cached
    r = result.ranking
    assert {"touchpoint_id", "name", "rank", "score", "reason"} <= set(r.columns)
    assert sorted(r["rank"]) == list(range(1, len(r) + 1)) and r["reason"].str.len().gt(0).all()
    assert set(result.models.columns) >= {"channel", "markov", *prioritise.HEURISTICS}
    assert result.models["markov"].sum() == pytest.approx(result.markov.total_conversions)
    assert set(result.ipm["quadrant"]) <= set(prioritise.QUADRANT_ORDER)
    found = prioritise.findings(result)
    assert found["findings"] and "priorities" in found["tables"]
    assert "<" not in str(prioritise.say_priorities(result)._repr_html_()).replace("<p class=\"tp-say\">", "") \
        .replace("</p>", "")


def test_step_for_a_period_without_data_explains_itself(demo_root):
    result = prioritise.compute("fjordtech", "2030Q1", root=demo_root, n_boot=20)
    assert result.markov is None and result.drivers is None
    assert any("no journeys" in n for n in result.notes)
    assert "no survey or journey data" in repr(prioritise.say_priorities(result))
    assert "No conversions" in repr(prioritise.say_attribution(result))
    assert prioritise.findings(result)["findings"] == []
    assert "priorities" not in prioritise.findings(result)["tables"]  # the summary says "not available"
    for name in ("drivers", "ipm", "attribution", "models", "friction", "roi"):
        assert "Nothing to show" in repr(prioritise.show(result, name))
    for chart in (prioritise.importance_performance_matrix, prioritise.attribution_chart, prioritise.friction_chart,
                  prioritise.priority_chart):
        assert chart(result).axes


# ---------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_runs_on_the_demo_and_saves_the_ranked_list(demo_root, tmp_path):
    import base64
    import json

    import papermill as pm

    from helpers import artifacts

    out = tmp_path / "03.ipynb"
    pm.execute_notebook(str(prioritise_notebook()), str(out), kernel_name="tpkit",
                        parameters={"client": "nordlys", "period": "2026Q3", "root": str(demo_root),
                                    "artifacts_dir": str(tmp_path / "artifacts")},
                        cwd=str(demo_root), progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    pngs = [base64.b64decode(o["data"]["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 4 and all(p.startswith(b"\x89PNG") for p in pngs)
    saved = artifacts.load(tmp_path / "artifacts", "prioritise")
    ranked = saved["tables"]["priorities"]
    assert {"touchpoint_id", "name", "rank", "score", "reason"} <= set(ranked.columns)
    assert saved["findings"] and saved["metrics"]["top_priorities"]


def prioritise_notebook():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "notebooks" / "03-prioritise.ipynb"


def test_step_keeps_collinearity_warnings_for_the_report():
    from helpers.prioritise.step import _catch

    notes: list[str] = []
    df = MT.assign(disp_copy=MT["disp"] * 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape to stderr
        out = _catch(notes, prioritise.key_drivers, df, "mpg", [*MT_DRIVERS, "disp_copy"], n_boot=20)
    assert out.warning and len(notes) == 1 and "collinear" in notes[0]
