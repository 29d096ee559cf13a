"""Degrees of freedom of the DiD and ITS t tests after the AR(1) plus noise REML fit (issue 13, finding 1/8).

The Satterthwaite degrees of freedom are checked against a second derivation: the expected restricted
information as minus the numerical Hessian of the expected log-likelihood of the error contrasts, and the
gradient of the variance by finite differences (no trace formula, no projection matrix P)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg
from scipy import stats as st

from helpers.evaluate.compute.estimators import (
    BOUND_LR_CRIT,
    GLSFit,
    _satterthwaite_df,
    ar1_noise_df,
    gls_ar1_noise,
    level_shift,
)


def _sigma(theta, lags, d):
    s2, phi, lam = theta
    return s2 * (lam * phi ** lags + (1 - lam) * np.diag(d))


def _fit(phi, lam, s2, k):
    return GLSFit(pd.Series(np.zeros(k)), np.eye(k), 0.0, phi, np.zeros(1), np.zeros(1), "test", lam, s2)


def _df_by_numerical_derivatives(theta, Xa, t, d, c):
    lags = np.abs(t[:, None] - t[None, :])
    A = linalg.null_space(Xa.T)
    S0 = A.T @ _sigma(theta, lags, d) @ A

    def expected_loglik(th):  # E over z ~ N(0, S0) of the log-likelihood of the contrasts z = A'y at th
        S = A.T @ _sigma(th, lags, d) @ A
        return -0.5 * (np.linalg.slogdet(S)[1] + np.trace(np.linalg.solve(S, S0)))

    def var_c(th):
        Si = np.linalg.inv(_sigma(th, lags, d))
        return float(c @ np.linalg.inv(Xa.T @ Si @ Xa) @ c)

    th0 = np.asarray(theta, dtype=float)
    h = 1e-4 * np.abs(th0)  # relative steps: s^2 ranges over orders of magnitude
    m = th0.size
    H = np.empty((m, m))
    g = np.empty(m)
    for i in range(m):
        ei = np.eye(m)[i] * h[i]
        g[i] = (var_c(th0 + ei) - var_c(th0 - ei)) / (2 * h[i])
        for j in range(m):
            ej = np.eye(m)[j] * h[j]
            H[i, j] = (expected_loglik(th0 + ei + ej) - expected_loglik(th0 + ei - ej)
                       - expected_loglik(th0 - ei + ej) + expected_loglik(th0 - ei - ej)) / (4 * h[i] * h[j])
    f = var_c(th0)
    return 2 * f * f / float(g @ np.linalg.solve(-H, g))


def test_satterthwaite_df_matches_numerical_expected_information():
    rng = np.random.default_rng(7)
    t = np.concatenate([np.arange(-40, -20), np.arange(-18, 6)]).astype(float)  # a missing week: a gap of 2
    post = (t >= 0).astype(float)
    Xa = np.column_stack([np.ones(t.size), post])
    d = rng.uniform(0.6, 1.6, t.size)
    c = np.array([0.0, 1.0])
    lags = np.abs(t[:, None] - t[None, :])
    for phi, lam, s2 in ((0.6, 0.4, 1.3), (0.85, 0.7, 0.02), (0.3, 0.9, 5.0)):
        got = _satterthwaite_df(_fit(phi, lam, s2, 2), Xa, lags, d, c)
        want = _df_by_numerical_derivatives((s2, phi, lam), Xa, t, d, c)
        assert want < t.size - 2
        assert np.isclose(got, want, rtol=1e-4), (phi, lam, got, want)


def test_satterthwaite_df_with_the_scale_alone_is_n_minus_k():
    # lam on its bound: only s^2 is estimated, and s^2 (n - k) / sigma^2 is chi-square with n - k df exactly
    t = np.arange(-30, 4).astype(float)
    Xa = np.column_stack([np.ones(t.size), (t >= 0).astype(float), t])
    lags = np.abs(t[:, None] - t[None, :])
    got = _satterthwaite_df(_fit(0.5, 0.0, 2.0, 3), Xa, lags, np.ones(t.size), np.array([0.0, 1.0, 0.0]))
    assert np.isclose(got, t.size - 3, rtol=1e-10)


def test_bound_test_critical_value_is_the_chi_bar_square_one():
    # 50:50 mixture of chi2(0) and chi2(1): P(LR > c) = 0.5 P(chi2_1 > c) = 0.05 at c = 2.7055 (Self & Liang 1987)
    assert np.isclose(0.5 * st.chi2.sf(BOUND_LR_CRIT, 1), 0.05)
    assert np.isclose(BOUND_LR_CRIT, 2.7055, atol=1e-4)


def _series(rng, n_pre, n_post, phi, lam):
    t = np.arange(-n_pre, n_post).astype(float)
    level = np.empty(t.size)
    level[0] = rng.normal()
    for i in range(1, t.size):
        level[i] = phi * level[i - 1] + np.sqrt(1 - phi**2) * rng.normal()
    return t, np.sqrt(lam) * level + np.sqrt(1 - lam) * rng.normal(size=t.size)


def test_white_noise_keeps_n_minus_k_and_a_drifting_level_gets_fewer():
    rng = np.random.default_rng(11)
    t, y = _series(rng, 52, 6, 0.0, 0.0)
    X = pd.DataFrame({"const": 1.0, "post": (t >= 0).astype(float)})
    c = np.array([0.0, 1.0])
    fit = gls_ar1_noise(y, X, t)
    assert ar1_noise_df(fit, y, X, t, None, c) == t.size - 2
    res = level_shift(y, t, (t >= 0).astype(float))
    assert res.df == t.size - 2

    t, y = _series(rng, 52, 6, 0.8, 0.8)
    fit = gls_ar1_noise(y, X, t)
    df = ar1_noise_df(fit, y, X, t, None, c)
    lags = np.abs(t[:, None] - t[None, :])
    assert df < t.size - 2
    assert np.isclose(df, _satterthwaite_df(fit, X.to_numpy(), lags, np.ones(t.size), c))
    res = level_shift(y, t, (t >= 0).astype(float))
    assert np.isclose(res.df, df)
    # the interval and the p value use those degrees of freedom
    q = st.t.ppf(0.975, df)
    assert np.isclose(res.ci_high - res.estimate, q * res.se)
    assert np.isclose(res.p, 2 * st.t.sf(abs(res.estimate) / res.se, df))
