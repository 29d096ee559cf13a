"""helpers.demo.verdicts: simulated reports keep the nominal level and the MDE's promised power."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.demo import verdicts as sim
from helpers.demo.ratings import expected_rating


def test_latent_shift_moves_the_observed_mean_by_the_effect(rng):
    shift = sim.latent_shift(3.6, 0.2)
    assert expected_rating(3.6 + shift) - expected_rating(3.6) == pytest.approx(0.2, abs=1e-9)
    # second method: the mean of rounded, clipped normal draws
    draws = np.clip(np.rint(rng.normal(3.6 + shift, sim.RATING_SD, 400_000)), 1, 5)
    base = np.clip(np.rint(rng.normal(3.6, sim.RATING_SD, 400_000)), 1, 5)
    assert draws.mean() - base.mean() == pytest.approx(0.2, abs=0.01)
    assert sim.latent_shift(3.6, 0.0) == 0.0


def test_ratings_mean_counts_add_up(rng):
    n = np.array([50, 0, 7])
    means, counts = sim.ratings_mean(rng, np.array([3.0, 3.5, 4.0]), n)
    assert counts.sum(axis=1).tolist() == n.tolist()
    assert means[0] == pytest.approx((counts[0] @ np.arange(1, 6)) / 50)
    assert means[1] == 0.0


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
    sims = sim.simulate_verdicts(n, seed=11, shape=SMALL_SHAPE)
    summary = sim.summarise_simulation(sims).set_index("test")
    # every design's p values are calibrated: false positives within binomial tolerance of 5%
    assert (summary.share_p_below_alpha <= _binomial_upper(0.05, n)).all(), summary
    reports_with_false_moved = sims.groupby("dataset").moved.any().mean()
    assert reports_with_false_moved <= _binomial_upper(0.05, n)
    assert (summary.ci_coverage >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / n)).all()


def test_planted_effect_at_the_mde_is_found_with_the_promised_power():
    n = 80
    aa = sim.simulate_verdicts(40, seed=12, shape=SMALL_SHAPE)
    mdes = aa.groupby("test", sort=False).mde.median().to_numpy()
    sims = sim.simulate_verdicts(n, seed=13, effects=mdes, shape=SMALL_SHAPE)
    power = sim.summarise_simulation(sims).set_index("test").share_p_below_alpha
    tol = 3 * math.sqrt(0.8 * 0.2 / n)
    assert ((power > 0.8 - tol) & (power < 0.8 + tol)).all(), power


