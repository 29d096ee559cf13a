"""The bootstrap MDE of the difference-in-differences (issue 13: the stated MDE is the effect found 80% of the time).

Expected values come from closed forms (normal and noncentral t power) and from the generalised least-squares
formula with an independently written restricted likelihood, not from the code under test."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as st

from helpers.evaluate.compute.estimators import (
    REML_GRID_LAM,
    REML_GRID_PHI,
    _reml_grid,
    gls_ar1_noise,
    level_shift,
    mde_from_draws,
    mde_from_se,
    power_from_draws,
    reml_null_draws,
)

sys.path.insert(0, str(Path(__file__).parent))
from test_evaluate_its_noise import _reml_by_contrasts  # noqa: E402  (the independent restricted likelihood)


def test_mde_from_draws_with_a_fixed_standard_error_is_the_normal_formula():
    # errors at the normal quantiles, the standard error fixed at 1: MDE = z(0.975) + z(0.8)
    err = st.norm.ppf((np.arange(20000) + 0.5) / 20000)
    draws = (err, np.ones_like(err))
    expected = st.norm.ppf(0.975) + st.norm.ppf(0.8)
    assert abs(mde_from_draws(draws) - expected) < 2e-3
    assert abs(power_from_draws(expected, draws) - 0.8) < 1e-3
    assert abs(mde_from_se(1.0) - expected) < 1e-12
    # the level enters through the critical value: alpha 0.01 with 10 degrees of freedom
    expected_01 = st.t.ppf(0.995, 10) + st.norm.ppf(0.8)
    assert abs(mde_from_draws(draws, df=10, alpha=0.01) - expected_01) < 2e-3


def test_mde_from_draws_with_a_scattering_standard_error_is_the_noncentral_t():
    """Estimate N(delta, 1) and standard error sqrt(chi2_nu / nu), independent: the t ratio is noncentral t with
    nu degrees of freedom, so the MDE solves P(|T'(nu, delta)| > t(0.975, nu)) = 0.8."""
    nu = 6
    rng = np.random.default_rng(4)
    err = rng.standard_normal(40000)
    se = np.sqrt(rng.chisquare(nu, err.size) / nu)
    crit = st.t.ppf(0.975, nu)

    def power(delta):
        return st.nct.sf(crit, nu, delta) + st.nct.cdf(-crit, nu, delta)

    expected = optimize.brentq(lambda d: power(d) - 0.8, 0.5, 10)
    got = mde_from_draws((err, se), df=nu)
    assert abs(got / expected - 1) < 0.015
    assert abs(power_from_draws(expected, (err, se), df=nu) - 0.8) < 0.01
    # the t formula with the same degrees of freedom is close to it here (the classical case)
    assert abs(mde_from_se(1.0, nu) / expected - 1) < 0.03


def test_draws_need_enough_valid_samples():
    err = np.full(10, 0.1)
    assert math.isnan(mde_from_draws((err, np.ones(10))))
    assert math.isnan(power_from_draws(1.0, (err, np.ones(10))))
    assert math.isnan(power_from_draws(float("nan"), (np.zeros(50), np.ones(50))))


def test_grid_fit_is_the_grid_maximum_of_the_restricted_likelihood():
    rng = np.random.default_rng(8)
    t = np.concatenate([np.arange(-20, -3), np.arange(-2, 6)]).astype(float)  # a missing week
    n = t.size
    Xa = np.column_stack([np.ones(n), (t >= 0) * 1.0])
    w = rng.integers(5, 40, n).astype(float)
    d = w.mean() / w
    Y = rng.standard_normal((n, 3)) * np.sqrt(d)[:, None] + np.cumsum(rng.standard_normal((n, 3)), axis=0) * 0.3
    c = np.array([0.0, 1.0])
    lags = np.abs(t[:, None] - t[None, :])
    g = _reml_grid(Xa, Y, lags, d, c)
    points = [(p, lam) for p in REML_GRID_PHI for lam in REML_GRID_LAM if not (lam == 0 and p > 0)]
    for j in range(Y.shape[1]):
        ll = [_reml_by_contrasts(Y[:, j], Xa, t, p, lam, d) for p, lam in points]
        p, lam = points[int(np.argmax(ll))]
        assert (g.phi[j], g.lam[j]) == (p, lam)
        V = lam * (p ** lags if p > 0 else np.eye(n)) + (1 - lam) * np.diag(d)
        Vi = np.linalg.inv(V)
        A = Xa.T @ Vi @ Xa
        beta = np.linalg.solve(A, Xa.T @ Vi @ Y[:, j])
        e = Y[:, j] - Xa @ beta
        s2 = float(e @ Vi @ e) / (n - 2)
        assert abs(g.est[j] - beta[1]) < 1e-9
        assert abs(g.se[j] - math.sqrt(s2 * np.linalg.inv(A)[1, 1])) < 1e-9


def test_null_draws_are_samples_of_the_fitted_model_refitted():
    """Each draw is the fitted model's errors refitted: its estimate has mean 0 and the spread the GLS formula
    gives at the fitted parameters (scaled to the fit's standard error); the same data give the same draws."""
    rng = np.random.default_rng(12)
    t = np.arange(-52, 13).astype(float)
    post = (t >= 0) * 1.0
    y = 0.3 * post + rng.standard_normal(t.size)
    X = pd.DataFrame({"const": 1.0, "post": post})
    fit = gls_ar1_noise(y, X, t)
    err, se = reml_null_draws(fit, X, t, None, np.array([0.0, 1.0]), draws=400)
    assert err.size == 400 and np.isfinite(err).all() and (se > 0).all()
    sd_model = math.sqrt(fit.cov[1, 1])  # the fitted model's own standard error of the level shift
    # studentised: the draws' median standard error is the fit's own
    assert abs(np.median(se) / sd_model - 1) < 1e-9
    assert abs(err.mean()) < 4 * sd_model / math.sqrt(400)
    assert 0.85 < err.std() / sd_model < 1.15
    again = reml_null_draws(fit, X, t, None, np.array([0.0, 1.0]), draws=400)
    assert np.array_equal(err, again[0]) and np.array_equal(se, again[1])
    # level_shift keeps them, and drops them from its dictionary
    res = level_shift(y, t, post, draws=50)
    assert res.null_draws is not None and len(res.null_draws[0]) == 50
    assert "null_draws" not in res.to_dict() and "fit" not in res.to_dict()


def test_its_and_did_verdicts_state_the_bootstrap_mde():
    """Both weekly designs carry the draws, and the stated MDE is theirs; with independent noise and a long
    history the bootstrap and the t formula (t(0.975) + t(0.8)) se agree to a few per cent."""
    from helpers.evaluate import interrupted_time_series
    from helpers.evaluate.compute.changes import with_power

    rng = np.random.default_rng(21)
    t = np.arange(-52, 13).astype(float)
    df = pd.DataFrame({"week": t, "y": 4 + rng.normal(0, 0.1, t.size)})
    eff = interrupted_time_series(df, "y", "week", 0, draws=300).effect
    assert eff.null_draws is not None and len(eff.null_draws[0]) == 300
    res = with_power(eff, 0.05)
    assert res.mde == mde_from_draws(eff.null_draws, eff.df)
    assert 0.9 < res.mde / mde_from_se(eff.se, eff.df) < 1.25
    assert abs(res.power - power_from_draws(0.05, eff.null_draws, eff.df)) < 1e-12
    # without draws the t formula
    plain = with_power(interrupted_time_series(df, "y", "week", 0).effect, 0.05)
    assert plain.mde == mde_from_se(plain.se, plain.df)
