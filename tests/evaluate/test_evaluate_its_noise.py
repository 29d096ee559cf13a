"""ITS errors "AR(1) plus noise" by REML (issue 13, ITS size and power at demo volume)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import linalg
from scipy import stats as st

from helpers import evaluate
from helpers.evaluate.compute.estimators import gls_ar1_noise


def _ar1_plus_noise(rng, t, phi, sd_ar, sd_noise):
    a = np.empty(t.size)
    a[0] = rng.normal(0, sd_ar)
    for i in range(1, t.size):
        a[i] = phi * a[i - 1] + rng.normal(0, sd_ar * math.sqrt(1 - phi**2))
    return a + rng.normal(0, sd_noise, t.size)


def _design(t):
    return pd.DataFrame({"const": 1.0, "time": t, "level": (t >= 0) * 1.0, "slope": t * (t >= 0)})


def _reml_by_contrasts(y, X, t, phi, lam):
    """Restricted log-likelihood written independently: the likelihood of the error contrasts A'y
    (A an orthonormal basis of the complement of X), s^2 at its maximum."""
    A = linalg.null_space(np.asarray(X).T)
    V = lam * phi ** np.abs(t[:, None] - t[None, :]) + (1 - lam) * np.eye(t.size)
    z = A.T @ y
    S = A.T @ V @ A
    s2 = float(z @ np.linalg.solve(S, z)) / z.size
    return float(st.multivariate_normal(mean=np.zeros(z.size), cov=s2 * S).logpdf(z))


def test_reml_estimate_maximises_the_restricted_likelihood():
    rng = np.random.default_rng(3)
    t = np.arange(-40, 10).astype(float)
    X = _design(t)
    y = 2 + _ar1_plus_noise(rng, t, 0.6, 1.0, 1.0)
    g = gls_ar1_noise(y, X, t)
    best = _reml_by_contrasts(y, X, t, g.rho, g.ar_share)
    grid = max(_reml_by_contrasts(y, X, t, phi, lam) for phi in np.arange(0.0, 0.951, 0.05)
               for lam in np.arange(0.05, 1.001, 0.05))
    assert best >= grid - 1e-6
    # GLS coefficients for those parameters: the generalised least-squares formula
    V = g.ar_share * g.rho ** np.abs(t[:, None] - t[None, :]) + (1 - g.ar_share) * np.eye(t.size)
    Vi = np.linalg.inv(V)
    Xa = X.to_numpy()
    beta = np.linalg.solve(Xa.T @ Vi @ Xa, Xa.T @ Vi @ y)
    assert np.allclose(g.params.to_numpy(), beta, rtol=1e-8, atol=1e-10)
    e = y - Xa @ beta
    s2 = float(e @ Vi @ e) / (t.size - 4)
    assert np.allclose(g.cov, s2 * np.linalg.inv(Xa.T @ Vi @ Xa), rtol=1e-7)


def test_its_size_with_a_slow_level_under_sampling_noise():
    """Weekly means at demo volume: a weekly level AR(1) (rho 0.6, sd 0.05) under sampling noise (sd 0.069),
    52 weeks before and 6 after. A pure AR(1) fit sees a lag-1 correlation of 0.2 and misses the slow
    decay (about 10% false positives in a 300-run check); nominal 5%, binomial sd 0.016 at 200 runs."""
    rng = np.random.default_rng(17)
    t = np.arange(-52, 6).astype(float)
    reject = []
    for _ in range(200):
        y = 4 + _ar1_plus_noise(rng, t, 0.6, 0.05, 0.85 / math.sqrt(150))
        reject.append(evaluate.interrupted_time_series(pd.DataFrame({"w": t, "y": y}), "y", "w", 0).effect.p < 0.05)
    assert 0.01 <= np.mean(reject) <= 0.09


# --- Satterthwaite's degrees of freedom (GLSFit.df_for) ------------------------------------------------------------


def _fit_with(S, derivs, X):
    from helpers.evaluate.compute.estimators import GLSFit, _reml_information

    X = np.asarray(X, dtype=float)
    F = np.linalg.inv(X.T @ np.linalg.solve(S, X))
    dcov, W = _reml_information(X, S, derivs)
    n, k = X.shape
    return GLSFit(pd.Series(np.zeros(k)), F, float(n - k), 0.0, np.zeros(n), np.zeros(n), "test", 1.0, dcov, W)


def test_satterthwaite_df_is_welch_for_two_groups_with_their_own_variances():
    # y = group means + errors with one variance per group: Satterthwaite's df of the mean difference is
    # Welch's (s1^2/n1 + s2^2/n2)^2 / ((s1^2/n1)^2/(n1-1) + (s2^2/n2)^2/(n2-1)), written out here by hand
    n1, n2, v1, v2 = 7, 15, 4.0, 0.5
    g1 = np.r_[np.ones(n1), np.zeros(n2)]
    X = np.column_stack([g1, 1 - g1])
    S = np.diag(np.where(g1 == 1, v1, v2))
    fit = _fit_with(S, [np.diag(g1), np.diag(1 - g1)], X)
    a, b = v1 / n1, v2 / n2
    welch = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
    assert fit.df_for([1.0, -1.0]) == pytest.approx(welch, rel=1e-10)
    assert fit.cov_params()[0, 0] == pytest.approx(a)


def test_satterthwaite_df_is_n_minus_k_when_only_the_scale_is_estimated():
    t = np.arange(30.0)
    X = _design(t - 20)
    V = 0.6 * 0.7 ** np.abs(t[:, None] - t[None, :]) + 0.4 * np.eye(t.size)
    fit = _fit_with(2.5 * V, [V], X)
    for c in ([0, 0, 1, 0], [0, 0, 1, 5.0], [1, 0, 0, 0]):
        assert fit.df_for(c) == pytest.approx(30 - 4, rel=1e-10)


def test_reml_information_derivatives_match_finite_differences():
    # dF/dtheta from _reml_information against a numerical derivative of F = (X' S(theta)^-1 X)^-1
    from helpers.evaluate.compute.estimators import _reml_information

    t = np.arange(24.0)
    X = np.asarray(_design(t - 16), dtype=float)
    lags = np.abs(t[:, None] - t[None, :])

    def S(s2, phi, lam):
        return s2 * (lam * phi**lags + (1 - lam) * np.eye(t.size))

    def F(theta):
        return np.linalg.inv(X.T @ np.linalg.solve(S(*theta), X))

    theta = np.array([1.3, 0.55, 0.7])
    s2, phi, lam = theta
    derivs = [S(1.0, phi, lam), s2 * lam * lags * phi ** np.maximum(lags - 1, 0), s2 * (phi**lags - np.eye(t.size))]
    dF, W = _reml_information(X, S(*theta), derivs)
    for i in range(3):
        h = np.zeros(3)
        h[i] = 1e-6
        assert np.allclose(dF[i], (F(theta + h) - F(theta - h)) / 2e-6, rtol=1e-5, atol=1e-10)
    assert np.all(np.linalg.eigvalsh(W) > 0)


def test_satterthwaite_df_fall_below_n_minus_k_when_the_autocorrelation_is_estimated():
    rng = np.random.default_rng(11)
    t = np.arange(-26.0, 6.0)
    y = _ar1_plus_noise(rng, t, 0.6, 0.05, 0.07)
    g = gls_ar1_noise(y, pd.DataFrame({"const": 1.0, "post": (t >= 0) * 1.0}), t)
    df = g.df_for([0.0, 1.0])
    assert 1.0 <= df < g.df_resid == t.size - 2
