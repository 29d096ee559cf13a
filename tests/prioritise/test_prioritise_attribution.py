"""Markov and heuristic attribution: chains solved by hand, helpers.demo's independent solver and a
seeded simulation of the fitted chain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from prioritise_cases import HAND

from helpers import prioritise
from helpers.errors import DataError


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

