"""The estimators of step 4: A/B test, difference-in-differences, interrupted time series, power and MDE.

Statistics on small frames only (one row per unit, per group-week or per week); no
event table, no figure, no report text beyond each result's ``method`` and ``note``,
which name the estimator and its caveats the way statsmodels' summaries do.

* :func:`ab_test`: two-proportion z test with Newcombe's interval for a 0/1 KPI, Welch's
  t test otherwise, CUPED variance reduction (Deng et al. 2013) with a pre-period covariate;
* :func:`diff_in_diff`: OLS with fixed effects (within transformation) and statsmodels'
  covariance types, cluster-robust errors by a column;
* :func:`interrupted_time_series`: segmented regression with AR(1) errors by feasible GLS
  on the weekly time index (or Newey-West, or classical errors);
* :func:`level_shift`, :func:`linear_trend`: a weekly series' shift and trend with AR(1)
  errors (the difference-in-differences of the weekly treated-minus-control gap, its
  pre-trend check and placebo);
* :func:`mde_from_se`, :func:`power_from_se`: minimum detectable effect and power from a
  standard error; :func:`reml_null_draws`, :func:`mde_from_draws`, :func:`power_from_draws`: the
  same from a parametric bootstrap of a fitted AR(1) plus noise model (the DiD and ITS verdicts).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize
from scipy import stats as st
from scipy.linalg import lapack
from threadpoolctl import ThreadpoolController

from helpers import kpis, stats
from helpers.errors import DataError
from helpers.i18n import _, ngettext

__all__ = [
    "EffectResult",
    "GLSFit",
    "ITSResult",
    "ITS_ERRORS",
    "SRM_ALPHA",
    "ab_test",
    "ar1_correlation",
    "diff_in_diff",
    "gls_ar1",
    "gls_ar1_noise",
    "level_shift",
    "linear_trend",
    "interrupted_time_series",
    "mde_from_draws",
    "mde_from_se",
    "newey_west_lags",
    "power_from_draws",
    "power_from_se",
    "reml_null_draws",
    "sample_ratio_check",
]

NAN = float("nan")
WEEK = pd.Timedelta(days=7)


# ---------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectResult:
    """An estimated effect with its standard error, interval and two-sided p value.

    ``df`` is the degrees of freedom of the t reference distribution (``inf`` for a
    normal one). ``baseline`` is what the KPI would have been without the change (the
    control group, the counterfactual), so ``relative = estimate / baseline``.
    ``fit`` holds the statsmodels results where a regression was fitted.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    n: int
    method: str
    df: float = math.inf
    level: float = 0.95
    baseline: float = NAN
    mde: float = NAN
    power: float = NAN
    note: str = ""
    extra: dict = field(default_factory=dict)
    fit: object = field(default=None, repr=False, compare=False)
    #: ``(error, se)`` of the estimate in samples of the fitted error model (:func:`reml_null_draws`): the
    #: MDE and the power then account for the scatter of the standard error (:func:`mde_from_draws`)
    null_draws: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def relative(self) -> float:
        return self.estimate / self.baseline if self.baseline else NAN

    def to_dict(self) -> dict:
        out = asdict(replace(self, fit=None, null_draws=None))
        out.pop("fit")
        out.pop("null_draws")
        out["relative"] = self.relative
        return out


@dataclass(frozen=True)
class ITSResult:
    """Segmented regression of an interrupted time series.

    ``level`` is the jump at the first post-change time point, ``slope`` the change in the
    trend per time unit, ``effect`` the average effect over the post-change observations
    (``level + slope * mean(t - t0)``: the post-change mean minus the pre-change trend
    extended over the same weeks). ``frame`` has one row per time point with the observed
    value, the fitted value and the counterfactual (pre-change model extended) with its
    confidence interval.
    """

    level: EffectResult
    slope: EffectResult
    effect: EffectResult
    frame: pd.DataFrame
    maxlags: int
    seasonal: bool
    fit: object = field(default=None, repr=False)

    @property
    def estimate(self) -> float:
        return self.effect.estimate


# ---------------------------------------------------------------------------
# Power and minimum detectable effect from a standard error
# ---------------------------------------------------------------------------


def _q(prob: float, df: float) -> float:
    return float(st.norm.ppf(prob) if not np.isfinite(df) else st.t.ppf(prob, df))


def mde_from_se(se: float, df: float = math.inf, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest true effect a two-sided test at ``alpha`` detects with probability ``power``.

    ``(q(1 - alpha/2) + q(power)) * se`` with normal (``df = inf``) or t quantiles: the
    usual MDE of a regression coefficient (Bloom 1995).
    """
    if not (np.isfinite(se) and se > 0):
        return NAN
    return (_q(1 - alpha / 2, df) + _q(power, df)) * float(se)


def power_from_se(effect: float, se: float, df: float = math.inf, alpha: float = 0.05) -> float:
    """Probability that a two-sided test at ``alpha`` rejects when the true effect is ``effect``."""
    if not (np.isfinite(se) and se > 0 and np.isfinite(effect)):
        return NAN
    crit = _q(1 - alpha / 2, df)
    shift = abs(float(effect)) / float(se)
    if np.isfinite(df):
        p = float(st.nct.sf(crit, df, shift) + st.nct.cdf(-crit, df, shift))
        if np.isfinite(p):
            return min(p, 1.0)
    # scipy's noncentral t fails far in the tail: there the normal approximation is exact enough
    return float(st.norm.sf(crit - shift) + st.norm.cdf(-crit - shift))


# ---------------------------------------------------------------------------
# Regression plumbing
# ---------------------------------------------------------------------------


def _require(df: pd.DataFrame, cols) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"column(s) {', '.join(repr(c) for c in missing)} not in the table", column=missing[0],
                        hint=f"columns are {list(df.columns)}")


def _indicator(s: pd.Series, name: str) -> pd.Series:
    vals = pd.to_numeric(s.astype("float64") if s.dtype == bool else s, errors="coerce")
    ok = vals.dropna()
    if not ok.isin([0, 1]).all():
        raise DataError(f"column '{name}' must be 0/1 or true/false", column=name,
                        hint="mark the treated group / the period after the change with 1, everything else with 0")
    return vals


def _dummies(s: pd.Series, prefix: str) -> pd.DataFrame:
    return pd.get_dummies(s.astype("string"), prefix=prefix, drop_first=True, dtype=float)


def _full_rank(X: np.ndarray) -> bool:
    """Column rank check through the small cross-product matrix (cheap for tall X)."""
    xtx = X.T @ X
    scale = np.sqrt(np.diag(xtx))
    if np.any(scale == 0):
        return False
    return bool(np.linalg.matrix_rank(xtx / np.outer(scale, scale), tol=1e-10) == X.shape[1])


def _fit_ols(y: np.ndarray, X: pd.DataFrame, cov_type: str, *, groups=None, maxlags=None, weights=None,
             absorbed: int = 0):
    """OLS/WLS with statsmodels' covariance ``cov_type`` and t inference.

    ``absorbed`` counts parameters removed by a within transformation (fixed effects);
    they are taken off the residual degrees of freedom, so the classical and HC1
    errors equal those of the regression with one dummy per level.
    """
    kwds: dict = {}
    if cov_type == "cluster":
        if groups is None:
            raise DataError("cov_type 'cluster' needs a cluster column", hint="pass cluster='<column>'")
        kwds = {"groups": pd.factorize(pd.Series(groups))[0]}
    elif cov_type in ("HAC", "hac"):
        cov_type = "HAC"
        kwds = {"maxlags": int(maxlags if maxlags is not None else 1)}
    model = sm.WLS(y, X, weights=weights) if weights is not None else sm.OLS(y, X)
    if absorbed:
        model.df_resid = float(len(y) - X.shape[1] - absorbed)
        model.df_model = float(X.shape[1] + absorbed - 1)
    try:
        return model.fit(method="qr", cov_type=cov_type, cov_kwds=kwds or None, use_t=True)
    except ValueError as exc:
        raise DataError(f"cannot fit the regression with cov_type={cov_type!r}: {exc}",
                        hint="use 'nonrobust', 'HC0'-'HC3', 'HAC' or 'cluster'") from None


def _contrast(fit, c: np.ndarray, level: float, cov=None, df=None) -> tuple[float, float, float, float, float, float]:
    """Estimate, se, low, high, p and df of the linear combination ``c' beta``."""
    beta = np.asarray(fit.params, dtype=float)
    cov = np.asarray(fit.cov_params() if cov is None else cov, dtype=float)
    est = float(c @ beta)
    var = float(c @ cov @ c)
    se = math.sqrt(var) if var > 0 else (0.0 if var == 0 else NAN)
    if df is None:
        df_inf = getattr(fit, "df_resid_inference", None)
        df = float(df_inf) if df_inf is not None else float(fit.df_resid)
    if not (se > 0) or not np.isfinite(df) or df <= 0:
        return est, se, NAN, NAN, NAN, df
    q = float(st.t.ppf(0.5 + level / 2, df))
    p = float(2 * st.t.sf(abs(est) / se, df))
    return est, se, est - q * se, est + q * se, p, df


# ---------------------------------------------------------------------------
# Difference-in-differences
# ---------------------------------------------------------------------------


def diff_in_diff(
    df: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    covariates=(),
    cov_type: str = "HC1",
    *,
    cluster: str | None = None,
    fixed_effects=(),
    weights: str | None = None,
    maxlags: int | None = None,
    level: float = 0.95,
    cluster_label: str | None = None,
) -> EffectResult:
    """Difference-in-differences by OLS: ``outcome ~ treated + post + treated:post + covariates``.

    ``treated`` and ``post`` are 0/1 (or boolean) columns; the estimate is the coefficient
    of ``treated x post``. ``cov_type`` is passed to statsmodels (``"nonrobust"`` gives the
    classical OLS errors, ``"HC1"`` White's errors with the n/(n-k) correction, the default).
    ``cluster`` names a column of cluster ids and makes the errors cluster-robust.
    ``fixed_effects`` adds dummies of categorical columns (for example week or unit);
    ``treated`` or ``post`` main effects that they absorb are dropped. Numeric covariates
    enter as they are, text ones as dummies. Inference uses t with the residual degrees of
    freedom (clusters minus one for clustered errors). ``baseline`` is the treated group's
    mean after the change minus the estimate (its counterfactual mean).
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    fixed_effects = [fixed_effects] if isinstance(fixed_effects, str) else list(fixed_effects)
    extra_cols = [c for c in (cluster, weights) if c]
    _require(df, [outcome, treated, post, *covariates, *fixed_effects, *extra_cols])
    work = df[[outcome, treated, post, *covariates, *fixed_effects, *extra_cols]].copy()
    work = work.loc[:, ~work.columns.duplicated()]
    work[outcome] = pd.to_numeric(work[outcome], errors="coerce")
    work[treated] = _indicator(work[treated], treated)
    work[post] = _indicator(work[post], post)
    work = work.dropna()
    cells = work.groupby([treated, post]).size()
    if len(cells) < 4:
        have = ", ".join(f"treated={int(t)}/post={int(p)}" for t, p in cells.index) or "none"
        raise DataError(
            f"difference-in-differences needs rows in all four groups (treated/control x before/after); have {have}",
            hint="check the control group and that there is data both before and after the change")
    y = work[outcome].to_numpy(dtype=float)
    w = work[weights].to_numpy(dtype=float) if weights else None
    absorb = fixed_effects[0] if fixed_effects else None
    cols = {treated: work[treated].astype(float), post: work[post].astype(float),
            "did": (work[treated] * work[post]).astype(float)}
    X = pd.DataFrame(cols, index=work.index)
    for c in covariates:
        if pd.api.types.is_numeric_dtype(work[c]) or work[c].dtype == bool:
            X[c] = work[c].astype(float)
        else:
            X = pd.concat([X, _dummies(work[c], c)], axis=1)
    for c in fixed_effects[1:]:
        X = pd.concat([X, _dummies(work[c], c)], axis=1)
    n_absorbed = 0
    if absorb is not None:
        # within transformation (Frisch-Waugh-Lovell): the same coefficients as with one dummy per level
        codes = pd.factorize(work[absorb])[0]
        n_absorbed = int(codes.max()) + 1
        wt = np.ones(len(y)) if w is None else w
        sw = np.bincount(codes, weights=wt)

        def demean(v: np.ndarray) -> np.ndarray:
            return v - (np.bincount(codes, weights=wt * v) / sw)[codes]

        y_fit = demean(y)
        X = pd.DataFrame({c: demean(X[c].to_numpy(dtype=float)) for c in X.columns}, index=X.index)
        scale = np.abs(X.to_numpy()).max(axis=0)
        X = X.loc[:, scale > 1e-10]
    else:
        y_fit = y
        X.insert(0, "const", 1.0)
    # main effects the fixed effects absorb are dropped; the treated x after indicator must stay
    keep = list(X.columns)
    for col in (treated, post):
        if col in keep:
            trial = [c for c in keep if c != col]
            if not _full_rank(X[keep].to_numpy()) and _full_rank(X[trial].to_numpy()):
                keep = trial
    X = X[keep]
    if "did" not in X.columns or not _full_rank(X.to_numpy()):
        raise DataError("the regressors are collinear with the treated x after indicator",
                        hint="drop covariates or fixed effects that are constant within the four groups")
    if cluster and cov_type in ("HC1",):
        cov_type = "cluster"
    groups = work[cluster] if cluster else None
    fit = _fit_ols(y_fit, X, cov_type, groups=groups, maxlags=maxlags, weights=w, absorbed=n_absorbed)
    c = np.zeros(X.shape[1])
    c[list(X.columns).index("did")] = 1.0
    est, se, lo, hi, p, dfree = _contrast(fit, c, level)
    sel = (work[treated] == 1) & (work[post] == 1)
    treated_post = float(np.average(y[sel.to_numpy()], weights=None if w is None else w[sel.to_numpy()]))
    note = ""
    if not (se > 0):
        note = _("the outcome does not vary: no standard error")
    errors = {"nonrobust": _("classical errors"), "cluster": _("cluster-robust errors")}.get(
        fit.cov_type, _("{cov} errors").format(cov=fit.cov_type))
    # only clustered errors are "by" the cluster column: with another cov_type the column is not used
    if cluster and fit.cov_type == "cluster":
        # Translators: {errors} is a kind of standard errors, {by} what they are clustered by ("week")
        errors = _("{errors} by {by}").format(errors=errors, by=cluster_label or cluster)
    parts = [_("OLS"), errors]
    if fixed_effects:
        # Translators: {names} lists columns ("week, touchpoint")
        parts.append(_("{names} fixed effects").format(names=", ".join(fixed_effects)))
    # Translators: {details} describes the estimator ("OLS, classical errors")
    method = _("difference-in-differences ({details})").format(details=", ".join(parts))
    n_clusters = int(pd.Series(groups).nunique()) if cluster else None
    return EffectResult(est, se, lo, hi, p, int(len(work)), method, df=dfree, level=level,
                        baseline=treated_post - est, note=note,
                        extra={"cells": {f"{int(t)}{int(q)}": int(v) for (t, q), v in cells.items()},
                               "clusters": n_clusters, "cov_type": fit.cov_type},
                        fit=fit)


# ---------------------------------------------------------------------------
# Regression with AR(1) errors on a weekly time index
# ---------------------------------------------------------------------------

#: bounds of the estimated AR(1) coefficient (a unit root is not a stationary series)
RHO_BOUNDS = (0.0, 0.95)


@dataclass(frozen=True)
class GLSFit:
    """Feasible GLS fit with AR(1) errors: ``params`` (named), ``cov`` (``s^2 (X' V^-1 X)^-1``), ``df_resid``
    (``n - k``: inference uses t), ``rho`` (the AR(1) coefficient used), ``fittedvalues`` and ``resid``."""

    params: pd.Series
    cov: np.ndarray
    df_resid: float
    rho: float
    fittedvalues: np.ndarray
    resid: np.ndarray
    cov_type: str = "AR(1) GLS"
    #: share of the error variance in the AR(1) part (1 for a pure AR(1); :func:`gls_ar1_noise`)
    ar_share: float = 1.0
    #: ``s^2``: ``cov(e) = s^2 V``
    scale: float = NAN

    def cov_params(self) -> np.ndarray:
        return self.cov


def ar1_correlation(t: np.ndarray, rho: float) -> np.ndarray:
    """``rho ** |t_i - t_j|``: the AR(1) correlation of observations at times ``t`` (in weeks; gaps allowed)."""
    t = np.asarray(t, dtype=float)
    return rho ** np.abs(t[:, None] - t[None, :]) if rho else np.eye(t.size)


def _lag1(e: np.ndarray, t: np.ndarray) -> float:
    """Lag-1 autocorrelation of ``e`` over pairs one week apart (missing weeks leave pairs out)."""
    pairs = np.flatnonzero(np.isclose(np.diff(t), 1.0))
    if pairs.size < 2 or not (e @ e > 0):
        return 0.0
    return float((e[pairs] @ e[pairs + 1] / pairs.size) / (e @ e / e.size))


def gls_ar1(y, X, t, weights=None, *, rho: float | None = None, iterations: int = 3) -> GLSFit:
    """Regression ``y = X b + e`` with AR(1) errors ``corr(e_i, e_j) = rho^|t_i - t_j|`` (Prais-Winsten).

    ``t`` is the time of each row in weeks, so a missing week widens the gap instead of
    being counted as a lag. ``weights`` (for example the responses behind a weekly mean)
    make ``var(e_i)`` proportional to ``1 / w_i``. ``rho`` is estimated (unless given) by
    iterating: fit, lag-1 autocorrelation of the residuals, refit, with the
    small-sample bias correction ``rho + (1 + 3 rho) / n`` (Kendall 1954; Marriott & Pope
    1954) and bounded by :data:`RHO_BOUNDS`. Inference uses t with ``n - k`` degrees of
    freedom. Closed-form numpy (Cholesky whitening); equal to statsmodels' ``GLS`` with
    ``sigma = V`` for the same ``rho``.
    """
    y = np.asarray(y, dtype=float)
    names = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])]
    Xa = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    n, k = Xa.shape
    sd = 1.0 / np.sqrt(np.asarray(weights, dtype=float) / np.mean(weights)) if weights is not None else np.ones(n)

    def fit(r: float):
        return _whitened(y, Xa, ar1_correlation(t, r) * np.outer(sd, sd))[:3]

    if rho is None:
        r = 0.0
        for _it in range(iterations):
            beta, _cov, _res = fit(r)
            e = (y - Xa @ beta) / sd
            raw = _lag1(e, t)
            r = float(np.clip(raw + (1 + 3 * raw) / n, *RHO_BOUNDS))
    else:
        r = float(rho)
    beta, ew, xtx_inv = fit(r)
    dfree = float(n - k)
    s2 = float(ew @ ew) / dfree if dfree > 0 else NAN
    fitted = Xa @ beta
    return GLSFit(pd.Series(beta, index=names), s2 * xtx_inv, dfree, r, fitted, y - fitted)


def _whitened(y: np.ndarray, Xa: np.ndarray, V: np.ndarray):
    """GLS pieces for ``cov(e) = s^2 V``: coefficients, whitened residuals, ``(X' V^-1 X)^-1`` and
    ``log|V| + log|X' V^-1 X|`` (the parts of the restricted log-likelihood that depend on ``V``)."""
    L = np.linalg.cholesky(V)
    Xw = np.linalg.solve(L, Xa)
    yw = np.linalg.solve(L, y)
    q, rr = np.linalg.qr(Xw)
    beta = np.linalg.solve(rr, q.T @ yw)
    ew = yw - Xw @ beta
    rinv = np.linalg.inv(rr)
    logdet = 2.0 * float(np.log(np.diag(L)).sum() + np.log(np.abs(np.diag(rr))).sum())
    return beta, ew, rinv @ rinv.T, logdet


#: the ``(phi, lam)`` grid of the restricted likelihood: the start of :func:`gls_ar1_noise`'s optimiser and the
#: fit of each sample in :func:`reml_null_draws` (steps of 0.05, bounds included)
REML_GRID_PHI = np.linspace(RHO_BOUNDS[0], RHO_BOUNDS[1], 20)
REML_GRID_LAM = np.linspace(0.0, 1.0, 21)


_BLAS: ThreadpoolController | None = None


def _one_blas_thread():
    """Context in which BLAS runs on one thread: the REML fits make hundreds of factorisations of matrices of a
    few dozen rows, where handing each to several threads costs more than it saves (five times slower with two
    busy cores)."""
    global _BLAS
    if _BLAS is None:
        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class _GridFit:
    """Per column of ``Y``: the best grid point's negative restricted log-likelihood, ``phi`` and ``lam``, and
    there the estimate ``c' beta`` and its standard error (NaN without ``c``)."""

    nll: np.ndarray
    phi: np.ndarray
    lam: np.ndarray
    est: np.ndarray
    se: np.ndarray


def _reml_grid(Xa: np.ndarray, Y: np.ndarray, lags: np.ndarray, d: np.ndarray,
               c: np.ndarray | None = None) -> _GridFit:
    """REML of ``cov(e) = s^2 [lam R(phi) + (1 - lam) diag(d)]`` on :data:`REML_GRID_PHI` x :data:`REML_GRID_LAM`
    for every column of ``Y`` at once: one Cholesky factor per grid point serves all columns."""
    n, k = Xa.shape
    m = Y.shape[1]
    out = _GridFit(np.full(m, np.inf), np.full(m, NAN), np.full(m, NAN), np.full(m, NAN), np.full(m, NAN))
    D = np.diag(d)
    XY = np.hstack([Xa, Y])
    # LAPACK directly (Cholesky factors and triangular solves): some 400 small factorisations per call, where
    # the wrappers' checks would cost more than the arithmetic
    for phi in REML_GRID_PHI:
        P = phi ** lags if phi > 0 else np.eye(n)
        for lam in REML_GRID_LAM:
            if lam == 0 and phi > REML_GRID_PHI[0]:
                continue  # without the AR(1) part phi does not matter
            L, info = lapack.dpotrf(lam * P + (1.0 - lam) * D, lower=1, clean=0, overwrite_a=1)
            if info:
                continue
            Z, _info = lapack.dtrtrs(L, XY, lower=1)
            Xw, Yw = Z[:, :k], Z[:, k:]
            C, info = lapack.dpotrf(Xw.T @ Xw, lower=1)  # X' V^-1 X = C C'
            if info:
                continue
            b = Xw.T @ Yw
            coef, _info = lapack.dpotrs(C, b, lower=1)
            s2 = ((Yw * Yw).sum(axis=0) - (b * coef).sum(axis=0)) / (n - k)
            logdet = 2.0 * float(np.log(L.diagonal()).sum() + np.log(C.diagonal()).sum())
            with np.errstate(divide="ignore", invalid="ignore"):
                nll = 0.5 * ((n - k) * np.log(s2) + logdet)
            better = nll < out.nll
            if not better.any():
                continue
            out.nll[better] = nll[better]
            out.phi[better] = phi
            out.lam[better] = lam
            if c is not None:
                g, _info = lapack.dtrtrs(C, c, lower=1)  # var(c' beta) = s2 c' (C C')^-1 c = s2 |C^-1 c|^2
                out.est[better] = c @ coef[:, better]
                out.se[better] = np.sqrt(s2[better] * float(g @ g))
    return out


def gls_ar1_noise(y, X, t, weights=None) -> GLSFit:
    """Regression with errors "AR(1) plus independent noise", both parameters by restricted ML (REML).

    A weekly mean is a weekly level that drifts from week to week (AR(1), ``corr = phi^|t_i - t_j|``)
    seen through the sampling noise of that week's answers (variance proportional to ``1 / w_i``):
    ``cov(e) = s^2 [lam R(phi) + (1 - lam) D]`` with ``D = diag(mean(w) / w)``. Its
    autocorrelation at lag ``j`` is ``lam phi^j`` (an ARMA(1,1)), which a pure AR(1) fitted to the
    lag-1 correlation cannot follow: with a weak lag-1 correlation and a slowly decaying level it
    underestimates the correlation of distant weeks, and with it the standard error of an average over
    the weeks after a change. ``phi`` in [0, 0.95] and ``lam`` in [0, 1] maximise the restricted
    log-likelihood ``-(n-k)/2 log s^2 - 1/2 log|V| - 1/2 log|X' V^-1 X|`` (Harville 1977), which, unlike
    the residual autocorrelation, accounts for the degrees of freedom the regression uses up.
    Inference uses t with ``n - k`` degrees of freedom. ``lam = 1`` is the pure AR(1) of :func:`gls_ar1`.
    """
    y = np.asarray(y, dtype=float)
    names = list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])]
    Xa = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    n, k = Xa.shape
    d = np.mean(weights) / np.asarray(weights, dtype=float) if weights is not None else np.ones(n)
    lags = np.abs(t[:, None] - t[None, :])
    D = np.diag(d)

    def V(phi: float, lam: float) -> np.ndarray:
        return lam * phi ** lags + (1.0 - lam) * D if phi > 0 else lam * np.eye(n) + (1.0 - lam) * D

    def neg_reml(par) -> float:
        _beta, ew, _xtx, logdet = _whitened(y, Xa, V(float(par[0]), float(par[1])))
        s2 = float(ew @ ew) / (n - k)
        return 0.5 * ((n - k) * math.log(s2) + logdet) if s2 > 0 else math.inf

    # the restricted likelihood can have several local maxima (a slowly drifting level with little weight,
    # small lam and phi near its bound, against a weaker, quicker one): start at the best point of the grid
    with _one_blas_thread():
        grid = _reml_grid(Xa, y[:, None], lags, d)
        x0 = (float(grid.phi[0]), float(grid.lam[0])) if np.isfinite(grid.nll[0]) else (0.5, 0.5)
        f0 = neg_reml(x0)
        opt = optimize.minimize(neg_reml, x0=np.array(x0), bounds=[RHO_BOUNDS, (0.0, 1.0)], method="L-BFGS-B",
                                options={"ftol": 1e-12, "gtol": 1e-9, "eps": 1e-6})
    phi, lam = (float(v) for v in (opt.x if np.isfinite(opt.fun) and opt.fun <= f0 else x0))
    beta, ew, xtx_inv, _logdet = _whitened(y, Xa, V(phi, lam))
    dfree = float(n - k)
    s2 = float(ew @ ew) / dfree if dfree > 0 else NAN
    fitted = Xa @ beta
    return GLSFit(pd.Series(beta, index=names), s2 * xtx_inv, dfree, phi, fitted, y - fitted,
                  "AR(1) plus noise GLS (REML)", lam, s2)


#: samples of the fitted error model behind a bootstrap MDE (:func:`reml_null_draws`), and their fixed seed:
#: the same data give the same MDE
NULL_DRAWS = 200
NULL_DRAWS_SEED = 20261203


def reml_null_draws(fit: GLSFit, X, t, weights, c, draws: int = NULL_DRAWS,
                    seed: int = NULL_DRAWS_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Error and standard error of ``c' beta`` in ``draws`` samples of the fitted AR(1) plus noise model.

    A parametric bootstrap of :func:`gls_ar1_noise`: errors are drawn from ``s^2 [lam R(phi) + (1 - lam) D]``
    with the fitted ``phi``, ``lam`` and ``s^2``, and each sample is refitted by REML, so the pairs
    ``(c' beta - c' beta_true, se)`` show how the estimate and its standard error scatter together when
    ``phi`` and ``lam`` have to be estimated from a few dozen weeks. The estimate is equivariant (adding
    ``X b`` to the data adds ``c' b`` to it and leaves ``phi``, ``lam`` and the standard error as they are),
    so one set of draws gives the power at every effect size (:func:`power_from_draws`, :func:`mde_from_draws`).
    Both are scaled by one factor so that their median standard error equals the fit's (the t ratios stay).
    Each sample's REML maximum is taken on the grid :data:`REML_GRID_PHI` x :data:`REML_GRID_LAM`, where one Cholesky
    factor serves all samples at once (the fit itself optimises continuously); with steps of 0.05 the
    standard errors differ from the continuous optimum's by a few per cent at most.
    """
    Xa = np.asarray(X, dtype=float)
    t = np.asarray(t, dtype=float)
    c = np.asarray(c, dtype=float)
    n, k = Xa.shape
    if not (n > k and np.isfinite(fit.scale) and fit.scale > 0):
        return np.full(0, NAN), np.full(0, NAN)
    d = np.mean(weights) / np.asarray(weights, dtype=float) if weights is not None else np.ones(n)
    lags = np.abs(t[:, None] - t[None, :])
    R = fit.rho ** lags if fit.rho > 0 else np.eye(n)
    V0 = fit.ar_share * R + (1.0 - fit.ar_share) * np.diag(d)
    Y = np.linalg.cholesky(fit.scale * V0) @ np.random.default_rng(seed).standard_normal((n, draws))
    with _one_blas_thread():
        grid = _reml_grid(Xa, Y, lags, d, c)
    # studentised: the samples give the shape (how the estimate and its standard error scatter together), the data
    # their own scale. Scaled so that their median standard error is the fit's, the draws keep every t ratio; unscaled
    # they inherit the error of the fitted phi and lam, which near independent noise can only err upwards (both are
    # bounded at 0) and state too large an MDE (docs/verdicts.md)
    se_fit = math.sqrt(float(c @ fit.cov @ c))
    ok = np.isfinite(grid.se) & (grid.se > 0)
    scale = se_fit / float(np.median(grid.se[ok])) if ok.sum() and se_fit > 0 else NAN
    return grid.est * scale, grid.se * scale


def power_from_draws(effect: float, draws: tuple[np.ndarray, np.ndarray], df: float = math.inf,
                     alpha: float = 0.05) -> float:
    """Share of the samples :func:`reml_null_draws` in which a two-sided t test at ``alpha`` rejects when the
    true effect is ``effect``: the power with the scatter of the standard error taken into account."""
    err, se = (np.asarray(a, dtype=float) for a in draws)
    ok = np.isfinite(err) & (se > 0)
    if not (np.isfinite(effect) and ok.sum() >= 20):
        return NAN
    crit = _q(1 - alpha / 2, df)
    return float(np.mean(np.abs(err[ok] + abs(float(effect))) > crit * se[ok]))


def mde_from_draws(draws: tuple[np.ndarray, np.ndarray], df: float = math.inf, alpha: float = 0.05,
                   power: float = 0.8) -> float:
    """Smallest true effect that a two-sided t test at ``alpha`` detects in a share ``power`` of the samples
    of :func:`reml_null_draws` (the bootstrap counterpart of :func:`mde_from_se`)."""
    err, se = (np.asarray(a, dtype=float) for a in draws)
    ok = np.isfinite(err) & (se > 0)
    if ok.sum() < 20:
        return NAN
    err, se = err[ok], se[ok]
    crit = _q(1 - alpha / 2, df)
    # sample i rejects at the effect e when e >= up_i (above its upper critical value) or e <= low_i (below its
    # lower one): the power rises only at the up_i, so the MDE is 0 or one of them (O(n log n), no n x n table)
    up = np.sort(crit * se - err)
    low = np.sort(-crit * se - err)
    cand = np.concatenate([[0.0], up[up > 0]])
    pw = (np.searchsorted(up, cand, side="right") + low.size - np.searchsorted(low, cand, side="left")) / err.size
    hit = np.flatnonzero(pw >= power)
    return float(cand[hit[0]]) if hit.size else NAN


def level_shift(y, t, post, weights=None, *, trend: bool = False, level: float = 0.95,
                errors: str = "ar1+noise", draws: int = 0) -> EffectResult:
    """Mean after minus mean before of a weekly series, t(n - k).

    ``errors``: ``"ar1+noise"`` (default, :func:`gls_ar1_noise`: the weekly gap of two groups is a drifting level
    seen through sampling noise) or ``"ar1"`` (:func:`gls_ar1`). ``trend=True`` adds a common linear time trend.
    Used for the weekly treated-minus-control gap of a difference-in-differences and for its placebo
    (docs/verdicts.md). ``draws > 0`` adds that many samples of the fitted error model (:func:`reml_null_draws`)
    as ``null_draws``, for an MDE and a power that account for the scatter of the standard error.
    """
    t = np.asarray(t, dtype=float)
    post = np.asarray(post, dtype=float)
    cols = {"const": np.ones(t.size), "post": post}
    if trend:
        cols["time"] = t - t.mean()
    X = pd.DataFrame(cols)
    g = gls_ar1_noise(y, X, t, weights) if errors == "ar1+noise" else gls_ar1(y, X, t, weights)
    c = np.zeros(X.shape[1])
    c[1] = 1.0
    est, se, lo, hi, p, dfree = _contrast(g, c, level, cov=g.cov, df=g.df_resid)
    nd = reml_null_draws(g, X, t, weights, c, draws) if draws and errors == "ar1+noise" else None
    return EffectResult(est, se, lo, hi, p, int(t.size), "level shift with AR(1) errors", df=dfree, level=level,
                        extra={"rho": g.rho}, fit=g, null_draws=nd)


def linear_trend(y, t, weights=None, *, level: float = 0.95) -> EffectResult:
    """Slope per week of a weekly series with AR(1) errors (:func:`gls_ar1`), t(n - 2): the pre-trend check."""
    t = np.asarray(t, dtype=float)
    X = pd.DataFrame({"const": np.ones(t.size), "time": t - t.mean()})
    g = gls_ar1(y, X, t, weights)
    est, se, lo, hi, p, dfree = _contrast(g, np.array([0.0, 1.0]), level, cov=g.cov, df=g.df_resid)
    return EffectResult(est, se, lo, hi, p, int(t.size), "linear trend with AR(1) errors", df=dfree, level=level,
                        extra={"rho": g.rho}, fit=g)


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------


ITS_ERRORS = ("ar1+noise", "ar1", "newey-west", "classical")


def newey_west_lags(n: int) -> int:
    """Newey & West (1994) rule of thumb: ``floor(4 (n/100)^(2/9))``."""
    return int(math.floor(4 * (max(n, 1) / 100.0) ** (2.0 / 9.0)))


def interrupted_time_series(
    df: pd.DataFrame,
    outcome: str,
    time: str,
    intervention,
    *,
    maxlags: int | None = None,
    seasonal: bool | str = "auto",
    season_length: float = 365.25 / 7,
    harmonics: int = 2,
    errors: str = "ar1+noise",
    weights: str | None = None,
    level: float = 0.95,
    draws: int = 0,
) -> ITSResult:
    """Segmented regression ``y = b0 + b1 t + b2 post + b3 (t - t0) post [+ Fourier terms] + e``.

    ``time`` is a numeric column (for example weeks) or dates (converted to weeks); rows
    with ``time >= intervention`` are after the change. ``weights`` (for example the
    responses behind each weekly mean) gives weighted least squares.

    ``errors`` chooses the autocorrelation-robust covariance:

    * ``"ar1+noise"`` (default): GLS with "AR(1) plus noise" errors, both parameters by REML
      (:func:`gls_ar1_noise`), t(n - k). bench/bench_verdicts.py checks its size, coverage and power;
    * ``"ar1"``: feasible GLS with AR(1) errors on the weekly time index
      (:func:`gls_ar1`, Prais-Winsten; a missing week is a gap, not a lag) and t(n - k)
      inference. bench/bench_verdicts.py checks its size and coverage on short series and
      with autocorrelated weekly noise;
    * ``"newey-west"``: statsmodels' Newey-West sandwich (``cov_type="HAC"``, Bartlett
      kernel, no small-sample factor), ``maxlags`` by default :func:`newey_west_lags` of
      the series length. With a post-change segment of a few weeks it under-covers badly
      (the fitted level and slope force the post residuals, and with them the sandwich,
      towards zero); bench/bench_verdicts.py measures its false-positive rate;
    * ``"classical"``: ``s^2 (X'X)^-1``.

    Inference uses t with the residual degrees of freedom. ``draws > 0`` (with ``"ar1+noise"``) adds that many
    samples of the fitted error model to the average effect (:func:`reml_null_draws`) for an MDE and a power that
    account for the scatter of the standard error. ``seasonal="auto"`` adds ``harmonics``
    pairs of yearly sine/cosine terms when the history before the change spans two seasons
    (``season_length`` time units each); ``True``/``False`` force it.
    """
    _require(df, [outcome, time] + ([weights] if weights else []))
    work = df[[outcome, time] + ([weights] if weights else [])].copy()
    work[outcome] = pd.to_numeric(work[outcome], errors="coerce")
    work = work.dropna().sort_values(time)
    t_raw = work[time]
    if pd.api.types.is_datetime64_any_dtype(t_raw) or isinstance(intervention, (dt.date, pd.Timestamp)):
        t0_ts = pd.Timestamp(intervention)
        t = ((pd.to_datetime(t_raw) - t0_ts) / WEEK).to_numpy(dtype=float)
        t0 = 0.0
    else:
        t = t_raw.to_numpy(dtype=float)
        t0 = float(intervention)
    y = work[outcome].to_numpy(dtype=float)
    w = work[weights].to_numpy(dtype=float) if weights else None
    if w is not None and not np.all(w > 0):
        raise DataError(f"weights in '{weights}' must be positive", column=weights)
    post = (t >= t0).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 3 or n_post < 2:
        raise DataError(f"interrupted time series needs at least 3 points before and 2 after the change; "
                        f"have {n_pre} before and {n_post} after",
                        hint="evaluate later, or use a finer time unit")
    span_pre = (t0 - t.min()) if n_pre else 0.0
    if seasonal == "auto":
        seasonal = bool(span_pre >= 2 * season_length)
    X = pd.DataFrame({"const": 1.0, "time": t - t0, "level": post, "slope": (t - t0) * post})
    if seasonal:
        for k in range(1, harmonics + 1):
            X[f"sin{k}"] = np.sin(2 * np.pi * k * t / season_length)
            X[f"cos{k}"] = np.cos(2 * np.pi * k * t / season_length)
    if X.shape[0] <= X.shape[1]:
        raise DataError(f"interrupted time series has {X.shape[0]} points for {X.shape[1]} parameters",
                        hint="use a longer history")
    if errors not in ITS_ERRORS:
        raise DataError(f"unknown errors {errors!r} for an interrupted time series", hint=f"use one of {ITS_ERRORS}")
    lags = (newey_west_lags(len(y)) if maxlags is None else int(maxlags)) if errors == "newey-west" else 0
    if errors == "ar1+noise":
        fit = gls_ar1_noise(y, X, t, w)
    elif errors == "ar1":
        fit = gls_ar1(y, X, t, w)
    else:
        fit = _fit_ols(y, X, "HAC" if errors == "newey-west" else "nonrobust", maxlags=lags, weights=w)
    cov = np.asarray(fit.cov_params())
    dfree = float(fit.df_resid)
    cols = list(X.columns)

    def coef(name: str) -> np.ndarray:
        c = np.zeros(len(cols))
        c[cols.index(name)] = 1.0
        return c

    def result(c: np.ndarray, method: str, baseline: float = NAN) -> EffectResult:
        est, se, lo, hi, p, _dfree = _contrast(fit, c, level, cov=cov, df=dfree)
        note = "" if se > 0 else _("the series does not vary: no standard error")
        return EffectResult(est, se, lo, hi, p, len(y), method, df=dfree, level=level, baseline=baseline,
                            note=note, fit=fit)

    k_post = (t - t0)[post == 1]
    c_avg = coef("level") + coef("slope") * float(k_post.mean())
    Xcf = X.copy()
    Xcf[["level", "slope"]] = 0.0
    cf = Xcf.to_numpy() @ np.asarray(fit.params)
    cf_se = np.sqrt(np.einsum("ij,jk,ik->i", Xcf.to_numpy(), cov, Xcf.to_numpy()))
    q = float(st.t.ppf(0.5 + level / 2, dfree))
    baseline = float(cf[post == 1].mean())
    frame = pd.DataFrame({time: t_raw.to_numpy(), "t": t, "post": post.astype(bool), "observed": y,
                          "fitted": np.asarray(fit.fittedvalues, dtype=float), "counterfactual": cf,
                          "cf_low": cf - q * cf_se, "cf_high": cf + q * cf_se})
    if errors == "newey-west":
        kind = ngettext("Newey-West errors with {n} lag", "Newey-West errors with {n} lags", int(lags)).format(
            n=kpis.fmt_count(int(lags)))
    else:
        kind = {"ar1+noise": _("AR(1) plus noise errors (GLS, REML)"), "ar1": _("AR(1) errors (GLS)"),
                "classical": _("classical errors")}[errors]
    parts = [_("weighted segmented regression") if w is not None else _("segmented regression"), kind]
    if seasonal:
        parts.append(_("yearly seasonal terms"))
    # Translators: {details} describes the estimator ("segmented regression, AR(1) errors (GLS)")
    method = _("interrupted time series ({details})").format(details=", ".join(parts))
    return ITSResult(
        level=result(coef("level"), "level change"),
        slope=result(coef("slope"), "slope change per time unit"),
        effect=replace(result(c_avg, method, baseline),
                       null_draws=reml_null_draws(fit, X, t, w, c_avg, draws)
                       if draws and errors == "ar1+noise" and isinstance(fit, GLSFit) else None),
        frame=frame, maxlags=lags, seasonal=bool(seasonal), fit=fit,
    )


# ---------------------------------------------------------------------------
# A/B test
# ---------------------------------------------------------------------------


def _is_binary(values: np.ndarray) -> bool:
    return values.size > 0 and bool(np.isin(values, (0.0, 1.0)).all())


#: a sample-ratio mismatch is flagged below this chi-square p value (the usual threshold of experimentation
#: platforms: with thousands of units a real imbalance gives far smaller p values, a chance one rarely does)
SRM_ALPHA = 0.001


def sample_ratio_check(counts: dict, split: dict | None = None) -> dict:
    """Chi-square goodness-of-fit test of the variants' unit counts against the planned ``split``.

    ``counts`` maps variant to units, ``split`` variant to planned share (any positive
    numbers; equal shares by default). Returns ``{"srm_chi2", "srm_p", "srm": p < SRM_ALPHA,
    "expected": {variant: units}}``. A variant of ``split`` missing from ``counts`` counts 0.
    """
    labels = list(split) if split else list(counts)
    obs = np.array([float(counts.get(k, 0)) for k in labels])
    shares = np.array([float(split[k]) for k in labels]) if split else np.ones(len(labels))
    extra = [k for k in counts if k not in labels]
    if extra:
        raise DataError(f"variant(s) {', '.join(map(repr, extra))} in the data are not in the planned split "
                        f"({', '.join(map(repr, labels))})", hint="list every variant under split: in client.yml")
    exp = obs.sum() * shares / shares.sum()
    chi2, p = st.chisquare(obs, exp)
    return {"srm_chi2": float(chi2), "srm_p": float(p), "srm": bool(p < SRM_ALPHA),
            "expected": {k: float(e) for k, e in zip(labels, exp)}}


def ab_test(
    df: pd.DataFrame,
    outcome: str,
    variant: str,
    *,
    control=None,
    covariate: str | None = None,
    kind: str = "auto",
    level: float = 0.95,
    alpha: float = 0.05,
    power: float = 0.8,
    reference_effect: float | None = None,
    split: dict | None = None,
) -> EffectResult:
    """Compare the treatment variant with the control variant: ``mean(treatment) - mean(control)``.

    Test and interval always come from one method, so the interval excludes 0 exactly when
    the test rejects at ``1 - level``: a 0/1 outcome gets the pooled two-proportion z test
    (:func:`helpers.stats.two_proportions_test`, a chi-square test without continuity
    correction) with the Mee score interval that inverts it; any other outcome Welch's t
    test with its t interval. With ``covariate`` (a pre-period value of the same unit, NaN
    where unknown: filled with the mean) the outcome is first CUPED-adjusted,
    ``y - theta (x - mean x)`` with ``theta = cov(y, x) / var(x)`` over both groups, and
    compared by Welch's t test and interval. ``control`` names the control variant
    (default: the first in sort order); exactly two variants are needed. ``split`` maps
    variant to its planned share (equal by default): the unit counts are checked against
    it for a sample-ratio mismatch (:func:`sample_ratio_check`, in ``extra``). ``mde`` is
    the minimum detectable difference at the observed group sizes (power ``power``),
    ``power`` the power to detect ``reference_effect`` (default 5% of the control mean).
    """
    _require(df, [outcome, variant] + ([covariate] if covariate else []))
    work = df[df[variant].notna()].copy()
    work[outcome] = pd.to_numeric(work[outcome].astype("float64") if work[outcome].dtype == bool else work[outcome],
                                  errors="coerce")
    work = work[work[outcome].notna()]
    labels = sorted(work[variant].astype(str).unique())
    ctrl = str(control) if control is not None else (labels[0] if labels else "")
    if control is not None and ctrl not in labels:
        raise DataError(f"control variant '{ctrl}' not in '{variant}' (have {', '.join(labels) or 'none'})",
                        column=variant, hint="name one of the variants in the data as the control")
    if len(labels) != 2:
        raise DataError(f"an A/B test needs exactly two variants in '{variant}', found {len(labels)}: "
                        f"{', '.join(labels[:6]) or 'none'}", column=variant,
                        hint="compare two variants at a time (filter the rows first)")
    trt = labels[1] if ctrl == labels[0] else labels[0]
    is_t = (work[variant].astype(str) == trt).to_numpy()
    y = work[outcome].to_numpy(dtype=float)
    ya, yb = y[~is_t], y[is_t]
    na, nb = ya.size, yb.size
    n = na + nb
    extra = {"control": ctrl, "treatment": trt, "n_control": int(na), "n_treatment": int(nb)}
    extra.update(sample_ratio_check({ctrl: na, trt: nb}, {str(k): v for k, v in split.items()} if split else None))
    if na < 2 or nb < 2:
        # Translators: {na} and {nb} are counts of units, {ctrl} and {trt} the variants' labels
        return EffectResult(NAN, NAN, NAN, NAN, NAN, n, _("A/B test"), level=level,
                            note=_("too few units: {na} in {ctrl}, {nb} in {trt}").format(
                                na=kpis.fmt_count(na), ctrl=ctrl, nb=kpis.fmt_count(nb), trt=trt), extra=extra)
    base = float(ya.mean())
    ref = reference_effect if reference_effect is not None else 0.05 * abs(base)
    extra.update(mean_control=base, mean_treatment=float(yb.mean()))
    binary = _is_binary(y) if kind == "auto" else kind == "proportion"
    use_cuped = covariate is not None
    if use_cuped:
        x = pd.to_numeric(work[covariate], errors="coerce").to_numpy(dtype=float)
        known = np.isfinite(x)
        if known.sum() < 3 or np.nanvar(x[known]) == 0:
            use_cuped = False
            extra["cuped"] = "not used: the covariate is missing or constant"
        else:
            x = np.where(known, x, x[known].mean())
            theta = float(np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1))
            y_adj = y - theta * (x - x.mean())
            var_before = np.var(ya, ddof=1) / na + np.var(yb, ddof=1) / nb
            ya, yb = y_adj[~is_t], y_adj[is_t]
            var_after = np.var(ya, ddof=1) / na + np.var(yb, ddof=1) / nb
            extra.update(theta=theta, covariate_coverage=float(known.mean()),
                         variance_reduction=float(1 - var_after / var_before) if var_before > 0 else NAN)
    if binary and not use_cuped:
        return _ab_proportions(ya, yb, n, level, alpha, power, base, ref, extra)
    return _ab_means(ya, yb, n, level, alpha, power, base, ref, extra, use_cuped)


def _ab_proportions(ya, yb, n, level, alpha, power, base, ref, extra) -> EffectResult:
    na, nb = ya.size, yb.size
    xa, xb = float(ya.sum()), float(yb.sum())
    _z, p = stats.two_proportions_test(xb, nb, xa, na)
    method = _("A/B test (pooled two-proportion z test, score interval)")
    n_h = 2 * na * nb / n
    pa = min(max(base, 1e-6), 1 - 1e-6)
    mde = stats.mde_two_proportions(pa, n_h, power=power, alpha=alpha)
    extra["mde_proportions"] = (pa, n_h)
    extra["reference"] = ref
    p_ref = min(max(pa + ref, 1e-6), 1 - 1e-6)
    pw = stats.power_two_proportions(pa, p_ref, n_h, alpha=alpha) if ref > 0 and p_ref != pa else NAN
    if not np.isfinite(p):
        d = xb / nb - xa / na
        return EffectResult(d, 0.0, NAN, NAN, NAN, n, method, level=level, baseline=base, mde=mde, power=pw,
                            note=_("the outcome does not vary: nothing to test"), extra=extra)
    ci = stats.diff_proportions_ci(xb, nb, xa, na, method="score", level=level)
    return EffectResult(ci.value, ci.se, ci.ci_low, ci.ci_high, p, n, method, level=level, baseline=base,
                        mde=mde, power=pw, extra=extra)


def _ab_means(ya, yb, n, level, alpha, power, base, ref, extra, use_cuped) -> EffectResult:
    na, nb = ya.size, yb.size
    method = _("A/B test (CUPED-adjusted Welch t test)") if use_cuped else _("A/B test (Welch t test)")
    ci = stats.diff_means_ci(yb, ya, level=level)
    se = ci.se
    if not (se > 0):
        return EffectResult(ci.value, se, NAN, NAN, NAN, n, method, level=level,
                            baseline=base, note=_("the outcome does not vary: nothing to test"), extra=extra)
    va, vb = np.var(ya, ddof=1) / na, np.var(yb, ddof=1) / nb
    dfw = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    p = float(2 * st.t.sf(abs(ci.value) / se, dfw))
    sd = math.sqrt((np.var(ya, ddof=1) * (na - 1) + np.var(yb, ddof=1) * (nb - 1)) / (n - 2))
    mde = stats.mde_mean(sd, na, nb, power=power, alpha=alpha)
    extra["reference"] = ref
    note = ""
    if use_cuped:
        # Translators: {coverage} and {reduction} are percentages
        note = _("CUPED: pre-period values known for {coverage} of the units; variance reduced by {reduction}").format(
            coverage=kpis.fmt_percent(extra["covariate_coverage"], 0),
            reduction=kpis.fmt_percent(extra["variance_reduction"], 0))
    return EffectResult(ci.value, se, ci.ci_low, ci.ci_high, p, n, method, df=dfw, level=level, baseline=base,
                        mde=mde, power=power_from_se(ref, se, dfw, alpha) if ref > 0 else NAN, note=note, extra=extra)
