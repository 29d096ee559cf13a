"""Simulated step-4 reports shaped like the nordlys demo report: how honest are the verdicts?

Used by bench/bench_verdicts.py (results in bench/results/verdicts.md) and the tests of
the estimators' calibration. The simulated data go through the estimators the reports use
(:mod:`helpers.evaluate.compute.estimators`); ratings follow the demo generator's model
(:func:`helpers.demo.ratings.expected_rating`: a latent satisfaction rounded to 1-5).

>>> sims = simulate_verdicts(200, seed=1)                 # A/A: no planted effect
>>> summarise_simulation(sims)                            # false positives, coverage, MDE per test
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as st

from helpers import stats
from helpers.demo.ratings import LATENT_SD, expected_rating
from helpers.evaluate.compute.estimators import (
    EffectResult,
    ab_test,
    diff_in_diff,
    interrupted_time_series,
    mde_from_se,
)

__all__ = ["DEMO_SHAPE", "MONTH_SHOCK_SD", "RATING_SD", "WEEKS_PER_MONTH", "latent_shift", "ratings_mean",
           "simulate_report", "simulate_verdicts", "summarise_simulation"]

#: The five tests of the nordlys demo report, with the volumes the demo data has at its default size.
#: ``its``: weekly series (weeks before, weeks after, units per week); ``did``: responses per week in the
#: treated and the control group; ``ab``: units per arm. ``base`` is the KPI level before the change
#: (latent mean for ratings, whose observed scale is 1-5).
DEMO_SHAPE = (
    {"name": "checkout conversion (ITS)", "design": "its", "kind": "proportion", "pre": 70, "post": 8,
     "n_week": 2500, "base": 0.68},
    {"name": "checkout CSAT (ITS)", "design": "its", "kind": "rating", "pre": 70, "post": 9, "n_week": 340,
     "base": 3.6},
    {"name": "newsletter CSAT (ITS)", "design": "its", "kind": "rating", "pre": 67, "post": 11, "n_week": 87,
     "base": 3.7},
    {"name": "service CSAT (DiD)", "design": "did", "kind": "rating", "pre": 52, "post": 22, "n_week": (165, 185),
     "base": (3.2, 3.6)},
    {"name": "app conversion (A/B, CUPED)", "design": "ab", "kind": "proportion", "n": 8000, "base": 0.33},
)
RATING_SD = LATENT_SD
MONTH_SHOCK_SD = 0.08
WEEKS_PER_MONTH = 365.25 / 12 / 7


def latent_shift(base: float, observed_effect: float, sd: float = RATING_SD) -> float:
    """Latent shift that moves the observed mean rating of ``base`` by ``observed_effect``."""
    if observed_effect == 0:
        return 0.0
    target = float(expected_rating(base, sd)) + observed_effect
    return float(optimize.brentq(lambda d: float(expected_rating(base + d, sd)) - target, -4.0, 4.0))


def ratings_mean(rng, mu: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean observed rating of ``n`` responses with latent means ``mu`` (one value per week), and the counts."""
    cuts = np.array([-np.inf, 1.5, 2.5, 3.5, 4.5, np.inf])
    probs = np.diff(st.norm.cdf((cuts[None, :] - mu[:, None]) / RATING_SD), axis=1)
    counts = np.array([rng.multinomial(k, p) for k, p in zip(n, probs)])
    return (counts @ np.arange(1, 6)) / np.maximum(n, 1), counts


def _sim_its(rng, spec: dict, effect: float, shocks: np.ndarray) -> EffectResult:
    weeks = np.arange(-spec["pre"], spec["post"])
    n = rng.poisson(spec["n_week"], size=weeks.size).clip(1)
    post = weeks >= 0
    if spec["kind"] == "proportion":
        p = np.clip(spec["base"] + effect * post, 0, 1)
        y = rng.binomial(n, p) / n
    else:
        mu = spec["base"] + shocks[((weeks + spec["pre"]) / WEEKS_PER_MONTH).astype(int)] + \
            latent_shift(spec["base"], effect) * post
        y, _ = ratings_mean(rng, mu, n)
    return interrupted_time_series(pd.DataFrame({"week": weeks, "value": y}), "value", "week", 0).effect


def _sim_did(rng, spec: dict, effect: float, shocks: np.ndarray) -> EffectResult:
    weeks = np.arange(-spec["pre"], spec["post"])
    month = ((weeks + spec["pre"]) / WEEKS_PER_MONTH).astype(int)
    parts = []
    for treated, (n_week, base) in enumerate(zip(spec["n_week"][::-1], spec["base"][::-1])):
        # group 0 is the control (second entries), group 1 the changed touchpoint
        n = rng.poisson(n_week, size=weeks.size)
        shift = latent_shift(base, effect) if treated else 0.0
        mu = base + shocks[month] + shift * (weeks >= 0) * treated
        _, counts = ratings_mean(rng, mu, n)
        for w, row in zip(weeks, counts):
            vals = np.repeat(np.arange(1, 6), row)
            parts.append(pd.DataFrame({"value": vals, "week": w, "treated": treated}))
    rows = pd.concat(parts, ignore_index=True)
    rows["post"] = (rows["week"] >= 0).astype(int)
    return diff_in_diff(rows, "value", "treated", "post", fixed_effects=["week"], cluster="week")


def _sim_ab(rng, spec: dict, effect: float) -> EffectResult:
    n = 2 * spec["n"]
    high = rng.random(n) < 0.3  # a loyal segment converts more, before and during the test
    p0 = np.where(high, spec["base"] + 0.15, spec["base"] - 0.15 * 0.3 / 0.7)
    arm = np.where(rng.random(n) < 0.5, "B", "A")
    y = rng.random(n) < np.clip(p0 + effect * (arm == "B"), 0, 1)
    k = rng.poisson(1.5, size=n)
    pre = np.where(k > 0, rng.binomial(k, p0) / np.maximum(k, 1), np.nan)
    df = pd.DataFrame({"variant": arm, "value": y.astype(float), "pre": pre})
    return ab_test(df, "value", "variant", covariate="pre")


def simulate_report(rng: np.random.Generator, effects=None, shape=DEMO_SHAPE) -> pd.DataFrame:
    """One simulated report with the tests of ``shape``; ``effects`` (observed scale, one per test) are planted.

    Ratings share one monthly shock per month, as the demo data's touchpoints do. Returns one row per
    test: estimate, se, p, mde and the BH-adjusted p over the report.
    """
    effects = [0.0] * len(shape) if effects is None else list(effects)
    months = int(max(s.get("pre", 0) + s.get("post", 0) for s in shape) / WEEKS_PER_MONTH) + 2
    shocks = rng.normal(0, MONTH_SHOCK_SD, size=months)
    out = []
    for spec, eff in zip(shape, effects):
        if spec["design"] == "its":
            r = _sim_its(rng, spec, eff, shocks)
        elif spec["design"] == "did":
            r = _sim_did(rng, spec, eff, shocks)
        else:
            r = _sim_ab(rng, spec, eff)
        mde = r.mde if np.isfinite(r.mde) else mde_from_se(r.se, r.df)
        out.append({"test": spec["name"], "design": spec["design"], "planted": eff, "estimate": r.estimate,
                    "se": r.se, "p": r.p, "mde": mde, "covered": r.ci_low <= eff <= r.ci_high})
    res = pd.DataFrame(out)
    res["p_adj"] = stats.benjamini_hochberg(res["p"].to_numpy(dtype=float))
    res["moved"] = res["p_adj"] < 0.05
    return res


def simulate_verdicts(n_datasets: int, seed: int = 1, effects=None, shape=DEMO_SHAPE) -> pd.DataFrame:
    """``n_datasets`` simulated reports stacked (column ``dataset``)."""
    rng = np.random.default_rng(seed)
    frames = [simulate_report(rng, effects, shape).assign(dataset=i) for i in range(n_datasets)]
    return pd.concat(frames, ignore_index=True)


def summarise_simulation(sims: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per test: share significant before and after adjustment, interval coverage, mean MDE, mean estimate."""
    g = sims.groupby("test", sort=False)
    out = pd.DataFrame({
        "datasets": g.size(),
        "planted": g["planted"].first(),
        "mean_estimate": g["estimate"].mean(),
        "share_p_below_alpha": g["p"].apply(lambda p: float((p < alpha).mean())),
        "share_moved_adjusted": g["moved"].mean(),
        "ci_coverage": g["covered"].mean(),
        "mean_mde": g["mde"].mean(),
    }).reset_index()
    return out
