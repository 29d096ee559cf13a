"""Step 4: did a logged change really move its KPI?

>>> res = run("nordlys", "2026Q3")            # every change in client.yml, every KPI it should move
>>> res.table[["change_id", "kpi", "design", "effect", "p_adj", "verdict"]]
>>> change_figure(res, "CH-checkout")

For each change and KPI the design the data allows is chosen automatically and named
in the output:

* **A/B test** when the change names an assignment column (``ab_column``): two-proportion
  z test with Newcombe's interval for a 0/1 KPI, Welch's t test otherwise, and CUPED
  variance reduction (Deng et al. 2013) when the customers have data from before the test.
* **Difference-in-differences** when a control is logged (touchpoints or segments left
  unchanged): OLS with week fixed effects, errors clustered by touchpoint-week
  (:func:`diff_in_diff`; ``cov_type`` passes through to statsmodels).
* **Interrupted time series** otherwise: segmented regression of the weekly KPI on time,
  a level change and a slope change, Newey-West (HAC) errors, and yearly Fourier terms
  when two or more years of history precede the change (:func:`interrupted_time_series`).

Every result carries the absolute and relative effect with its interval, the p value, the
Benjamini-Hochberg adjusted p value across all tests of the report, the power to detect a
reference effect and the minimum detectable effect (MDE) at the volume observed, and a
verdict in plain words: moved as expected, moved against expectation, no detectable
change (with the MDE), too early, or too little data.

Weeks are counted from the change's start (local midnight of the start date in the
client's time zone), so no week mixes days before and after the change.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.figure import Figure
from scipy import stats as st

from helpers import data, display, stats
from helpers.errors import DataError, KitError
from helpers.periods import Period

__all__ = [
    "EffectResult",
    "ITSResult",
    "diff_in_diff",
    "interrupted_time_series",
    "ab_test",
    "mde_from_se",
    "power_from_se",
    "evaluate_changes",
    "run",
    "EvaluationResult",
    "change_figure",
    "verdict_table",
]

NAN = float("nan")
WEEK = pd.Timedelta(days=7)
FEEDBACK_KPIS = ("csat", "nps", "top2box", "ces")
JOURNEY_KPIS = ("conversion", "revenue")
VERDICTS = ("moved as expected", "moved against expectation", "no detectable change", "too early", "too little data")
DESIGN_NAMES = {
    "ab": "A/B test",
    "did": "difference-in-differences",
    "its": "interrupted time series",
    "none": "not evaluated",
}
KPI_LABELS = {"csat": "CSAT", "nps": "NPS", "top2box": "top-2-box share", "ces": "CES", "conversion": "conversion",
              "revenue": "revenue per journey", "volume": "weekly events"}


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

    @property
    def relative(self) -> float:
        return self.estimate / self.baseline if self.baseline else NAN

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("fit")
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


def _fit_ols(y: np.ndarray, X: pd.DataFrame, cov_type: str, *, groups=None, maxlags=None, weights=None):
    kwds: dict = {}
    if cov_type == "cluster":
        if groups is None:
            raise DataError("cov_type 'cluster' needs a cluster column", hint="pass cluster='<column>'")
        kwds = {"groups": pd.factorize(pd.Series(groups))[0]}
    elif cov_type in ("HAC", "hac"):
        cov_type = "HAC"
        kwds = {"maxlags": int(maxlags if maxlags is not None else 1)}
    model = sm.WLS(y, X, weights=weights) if weights is not None else sm.OLS(y, X)
    try:
        return model.fit(cov_type=cov_type, cov_kwds=kwds or None, use_t=True)
    except ValueError as exc:
        raise DataError(f"cannot fit the regression with cov_type={cov_type!r}: {exc}",
                        hint="use 'nonrobust', 'HC0'-'HC3', 'HAC' or 'cluster'") from None


def _contrast(fit, c: np.ndarray, level: float) -> tuple[float, float, float, float, float, float]:
    """Estimate, se, low, high, p and df of the linear combination ``c' beta``."""
    beta = np.asarray(fit.params, dtype=float)
    cov = np.asarray(fit.cov_params(), dtype=float)
    est = float(c @ beta)
    var = float(c @ cov @ c)
    se = math.sqrt(var) if var > 0 else (0.0 if var == 0 else NAN)
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
    X = pd.DataFrame({"const": 1.0}, index=work.index)
    fe = [_dummies(work[c], c) for c in fixed_effects]
    base = pd.concat([X, *fe], axis=1) if fe else X
    parts = [base]
    for col in (treated, post):
        candidate = pd.concat([*parts, work[[col]].astype(float)], axis=1)
        if np.linalg.matrix_rank(candidate.to_numpy()) == candidate.shape[1]:
            parts = [candidate]
    X = parts[0]
    X["did"] = (work[treated] * work[post]).astype(float)
    for c in covariates:
        if pd.api.types.is_numeric_dtype(work[c]) or work[c].dtype == bool:
            X[c] = work[c].astype(float)
        else:
            X = pd.concat([X, _dummies(work[c], c)], axis=1)
    if np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        raise DataError("the regressors are collinear with the treated x after indicator",
                        hint="drop covariates or fixed effects that are constant within the four groups")
    if cluster and cov_type in ("HC1",):
        cov_type = "cluster"
    groups = work[cluster] if cluster else None
    w = work[weights].to_numpy(dtype=float) if weights else None
    fit = _fit_ols(y, X, cov_type, groups=groups, maxlags=maxlags, weights=w)
    c = np.zeros(X.shape[1])
    c[list(X.columns).index("did")] = 1.0
    est, se, lo, hi, p, dfree = _contrast(fit, c, level)
    sel = (work[treated] == 1) & (work[post] == 1)
    treated_post = float(np.average(y[sel.to_numpy()], weights=None if w is None else w[sel.to_numpy()]))
    note = ""
    if not (se > 0):
        note = "the outcome does not vary: no standard error"
    method = f"difference-in-differences (OLS, {fit.cov_type} errors" + (f", clusters: {cluster}" if cluster else "") \
        + (f", fixed effects: {', '.join(fixed_effects)}" if fixed_effects else "") + ")"
    n_clusters = int(pd.Series(groups).nunique()) if cluster else None
    return EffectResult(est, se, lo, hi, p, int(len(work)), method, df=dfree, level=level,
                        baseline=treated_post - est, note=note,
                        extra={"cells": {f"{int(t)}{int(q)}": int(v) for (t, q), v in cells.items()},
                               "clusters": n_clusters, "cov_type": fit.cov_type},
                        fit=fit)


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------


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
    level: float = 0.95,
) -> ITSResult:
    """Segmented regression ``y = b0 + b1 t + b2 post + b3 (t - t0) post [+ Fourier terms] + e``.

    ``time`` is a numeric column (for example weeks) or dates (converted to weeks); rows
    with ``time >= intervention`` are after the change. Errors are Newey-West (HAC, Bartlett
    kernel, statsmodels' small-sample correction) with ``maxlags`` lags, by default
    :func:`newey_west_lags` of the series length. ``seasonal="auto"`` adds ``harmonics``
    pairs of yearly sine/cosine terms when the history before the change spans two seasons
    (``season_length`` time units each); ``True``/``False`` force it.
    """
    _require(df, [outcome, time])
    work = df[[outcome, time]].copy()
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
    lags = newey_west_lags(len(y)) if maxlags is None else int(maxlags)
    fit = _fit_ols(y, X, "HAC", maxlags=lags)
    cols = list(X.columns)

    def coef(name: str) -> np.ndarray:
        c = np.zeros(len(cols))
        c[cols.index(name)] = 1.0
        return c

    def result(c: np.ndarray, method: str, baseline: float = NAN) -> EffectResult:
        est, se, lo, hi, p, dfree = _contrast(fit, c, level)
        note = "" if se > 0 else "the series does not vary: no standard error"
        return EffectResult(est, se, lo, hi, p, len(y), method, df=dfree, level=level, baseline=baseline,
                            note=note, fit=fit)

    k_post = (t - t0)[post == 1]
    c_avg = coef("level") + coef("slope") * float(k_post.mean())
    Xcf = X.copy()
    Xcf[["level", "slope"]] = 0.0
    cf = Xcf.to_numpy() @ np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())
    cf_se = np.sqrt(np.einsum("ij,jk,ik->i", Xcf.to_numpy(), cov, Xcf.to_numpy()))
    dfree = float(fit.df_resid)
    q = float(st.t.ppf(0.5 + level / 2, dfree))
    baseline = float(cf[post == 1].mean())
    frame = pd.DataFrame({time: t_raw.to_numpy(), "t": t, "post": post.astype(bool), "observed": y,
                          "fitted": np.asarray(fit.fittedvalues), "counterfactual": cf,
                          "cf_low": cf - q * cf_se, "cf_high": cf + q * cf_se})
    method = f"interrupted time series (segmented regression, Newey-West errors, {lags} lags" + \
        (", yearly seasonal terms)" if seasonal else ")")
    return ITSResult(
        level=result(coef("level"), "level change"),
        slope=result(coef("slope"), "slope change per time unit"),
        effect=result(c_avg, method, baseline),
        frame=frame, maxlags=lags, seasonal=bool(seasonal), fit=fit,
    )


# ---------------------------------------------------------------------------
# A/B test
# ---------------------------------------------------------------------------


def _is_binary(values: np.ndarray) -> bool:
    return values.size > 0 and bool(np.isin(values, (0.0, 1.0)).all())


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
) -> EffectResult:
    """Compare the treatment variant with the control variant: ``mean(treatment) - mean(control)``.

    ``kind="auto"``: a 0/1 outcome gets the two-proportion z test (pooled, as a chi-square
    test without continuity correction) with Newcombe's hybrid score interval; any other
    outcome Welch's t test. With ``covariate`` (a pre-period value of the same unit, NaN
    where unknown: filled with the mean) the outcome is first CUPED-adjusted,
    ``y - theta (x - mean x)`` with ``theta = cov(y, x) / var(x)`` over both groups, and
    compared by Welch's t test. ``control`` defaults to the first variant in sort order;
    exactly two variants are needed. ``mde`` is the minimum detectable difference at the
    observed group sizes (power ``power``), ``power`` the power to detect
    ``reference_effect`` (default 5% of the control mean).
    """
    _require(df, [outcome, variant] + ([covariate] if covariate else []))
    work = df[df[variant].notna()].copy()
    work[outcome] = pd.to_numeric(work[outcome].astype("float64") if work[outcome].dtype == bool else work[outcome],
                                  errors="coerce")
    work = work[work[outcome].notna()]
    labels = sorted(work[variant].astype(str).unique())
    if len(labels) != 2:
        raise DataError(f"an A/B test needs exactly two variants in '{variant}', found {len(labels)}: "
                        f"{', '.join(labels[:6]) or 'none'}", column=variant,
                        hint="compare two variants at a time (filter the rows first)")
    ctrl = str(control) if control is not None else labels[0]
    if ctrl not in labels:
        raise DataError(f"control variant '{ctrl}' not in '{variant}' (have {', '.join(labels)})", column=variant)
    trt = labels[1] if ctrl == labels[0] else labels[0]
    is_t = (work[variant].astype(str) == trt).to_numpy()
    y = work[outcome].to_numpy(dtype=float)
    ya, yb = y[~is_t], y[is_t]
    na, nb = ya.size, yb.size
    n = na + nb
    if na < 2 or nb < 2:
        return EffectResult(NAN, NAN, NAN, NAN, NAN, n, "A/B test", level=level,
                            note=f"too few units: {na} in {ctrl}, {nb} in {trt}",
                            extra={"control": ctrl, "treatment": trt, "n_control": na, "n_treatment": nb})
    base = float(ya.mean())
    ref = reference_effect if reference_effect is not None else 0.05 * abs(base)
    extra = {"control": ctrl, "treatment": trt, "n_control": int(na), "n_treatment": int(nb),
             "mean_control": base, "mean_treatment": float(yb.mean())}
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
        xa, xb = float(ya.sum()), float(yb.sum())
        ci = stats.diff_proportions_ci(xb, nb, xa, na, level=level)
        pool = (xa + xb) / n
        se0 = math.sqrt(pool * (1 - pool) * (1 / na + 1 / nb))
        p = float(2 * st.norm.sf(abs(ci.value) / se0)) if se0 > 0 else NAN
        n_h = 2 * na * nb / n
        pa = min(max(base, 1e-6), 1 - 1e-6)
        mde = stats.mde_two_proportions(pa, n_h, power=power, alpha=alpha)
        p_ref = min(max(pa + ref, 1e-6), 1 - 1e-6)
        pw = stats.power_two_proportions(pa, p_ref, n_h, alpha=alpha) if ref > 0 and p_ref != pa else NAN
        note = "" if se0 > 0 else "the outcome does not vary: nothing to test"
        return EffectResult(ci.value, ci.se, ci.ci_low, ci.ci_high, p, n,
                            "A/B test (two-proportion z test, Newcombe interval)", level=level, baseline=base,
                            mde=mde, power=pw, note=note, extra=extra)
    ci = stats.diff_means_ci(yb, ya, level=level)
    se = ci.se
    if not (se > 0):
        return EffectResult(ci.value, se, ci.ci_low, ci.ci_high, NAN, n, "A/B test (Welch t test)", level=level,
                            baseline=base, note="the outcome does not vary: nothing to test", extra=extra)
    va, vb = np.var(ya, ddof=1) / na, np.var(yb, ddof=1) / nb
    dfw = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    p = float(2 * st.t.sf(abs(ci.value) / se, dfw))
    sd = math.sqrt((np.var(ya, ddof=1) * (na - 1) + np.var(yb, ddof=1) * (nb - 1)) / (n - 2))
    mde = stats.mde_mean(sd, na, nb, power=power, alpha=alpha)
    method = "A/B test (CUPED-adjusted Welch t test)" if use_cuped else "A/B test (Welch t test)"
    return EffectResult(ci.value, se, ci.ci_low, ci.ci_high, p, n, method, df=dfw, level=level, baseline=base,
                        mde=mde, power=power_from_se(ref, se, dfw, alpha) if ref > 0 else NAN, extra=extra)


# ---------------------------------------------------------------------------
# Data for one change: unit rows and weekly series (events stay in the engine)
# ---------------------------------------------------------------------------

MIN_PRE_WEEKS = 8
MIN_POST_WEEKS = 3
MIN_WEEK_DAYS = 3
MIN_WEEK_N = 3
HISTORY_WEEKS = 156
DID_PRE_WEEKS = 52
REFERENCE_RELATIVE = 0.05
REFERENCE_ABSOLUTE = {"nps": 5.0}
#: journeys first seen this close to the end of the data may not have converted yet: left out of journey KPIs
MATURITY = pd.Timedelta(days=7)


def _utc(day: dt.date, tz: str) -> pd.Timestamp:
    """Local midnight of ``day`` in ``tz`` as a naive UTC timestamp (the canonical ``ts`` convention)."""
    return pd.Timestamp(day).tz_localize(tz).tz_convert("UTC").tz_localize(None)


def _unit_values(fb: pd.DataFrame, kpi: str) -> pd.Series:
    if kpi == "csat":
        return pd.to_numeric(fb["csat"], errors="coerce")
    if kpi == "ces":
        return pd.to_numeric(fb["ces"], errors="coerce") if "ces" in fb else pd.Series(NAN, index=fb.index)
    if kpi == "top2box":
        c = pd.to_numeric(fb["csat"], errors="coerce")
        return (c >= 4).astype(float).where(c.notna())
    if kpi == "nps":
        s = pd.to_numeric(fb["nps"], errors="coerce")
        return (100.0 * (s >= 9) - 100.0 * (s <= 6)).where(s.notna())
    raise DataError(f"'{kpi}' is not a feedback KPI")


class _Source:
    """Lazy access to one client's canonical tables for the evaluation."""

    def __init__(self, client: str, root, con=None) -> None:
        self.client, self.root = client, root
        self.con = con
        self._fb = None
        self._ev = None
        self.data_end = None

    @property
    def has_events(self) -> bool:
        return data.has_table(self.client, "events", self.root)

    @property
    def has_feedback(self) -> bool:
        return data.has_table(self.client, "feedback", self.root)

    def events(self):
        if self._ev is None:
            if self.con is None:
                self.con = data.connect(self.client, root=self.root)
            self._ev = data.table(self.con, "events", self.client, self.root)
        return self._ev

    def feedback(self) -> pd.DataFrame:
        if self._fb is None:
            fb = data.read_small(self.client, "feedback", self.root) if self.has_feedback else pd.DataFrame(
                {"ts": pd.Series(dtype="datetime64[us]"), "touchpoint_id": pd.Series(dtype="string"),
                 "csat": pd.Series(dtype=float), "nps": pd.Series(dtype=float)})
            fb["ts"] = pd.to_datetime(fb["ts"])
            self._fb = fb
        return self._fb

    def span(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        lows, highs = [], []
        if self.has_events:
            ev = self.events()
            r = ev.aggregate(lo=ev.ts.min(), hi=ev.ts.max()).execute()
            if len(r) and pd.notna(r["lo"].iloc[0]):
                lows.append(pd.Timestamp(r["lo"].iloc[0]))
                highs.append(pd.Timestamp(r["hi"].iloc[0]))
        fb = self.feedback()
        if len(fb):
            lows.append(fb["ts"].min())
            highs.append(fb["ts"].max())
        self.data_end = max(highs) if highs else None
        return (min(lows) if lows else None, self.data_end)

    # -- journeys touching some touchpoints (one row per journey and touchpoint, first touch time)
    def _touches(self, touchpoints, lo, hi, ab_column=None):
        ev = self.events()
        t = ev.filter(ev.touchpoint_id.isin(list(touchpoints)), ev.ts >= lo.to_pydatetime(), ev.ts < hi.to_pydatetime())
        aggs = {"ts": t.ts.min(), "customer_id": t.customer_id.min()}
        aggs["segment"] = t.segment.max() if "segment" in ev.columns else ev.touchpoint_id.min().cast("string")
        if ab_column:
            if ab_column not in ev.columns:
                raise DataError(f"the events have no A/B column '{ab_column}'", column=ab_column,
                                hint="check ab_column of the change in client.yml")
            aggs["variant"] = t[ab_column].max()
        first = t.group_by(["journey_id", "touchpoint_id"]).agg(**aggs)
        outc = ev.group_by("journey_id").agg(converted=ev.converted.cast("int64").max(),
                                            revenue=ev.revenue.fill_null(0.0).sum())
        return first.join(outc, "journey_id")

    def journey_weekly(self, touchpoints, lo, hi, s0: pd.Timestamp) -> pd.DataFrame:
        j = self._touches(touchpoints, lo, hi)
        wk = ((j.ts.epoch_seconds() - int(s0.timestamp())) / 604800.0).floor().cast("int64")
        j = j.mutate(week=wk)
        out = j.group_by(["touchpoint_id", "segment", "week"]).agg(
            n=j.count(), conversions=j.converted.sum(), revenue=j.revenue.sum(),
            revenue2=(j.revenue * j.revenue).sum()).execute()
        return out

    def journey_units(self, touchpoint, lo, hi, ab_column, pre_lo) -> pd.DataFrame:
        j = self._touches([touchpoint], lo, hi, ab_column)
        j = j.filter(j.variant.notnull())
        ev = self.events()
        pre = ev.filter(ev.ts < lo.to_pydatetime(), ev.ts >= pre_lo.to_pydatetime())
        pj = pre.group_by("journey_id").agg(customer_id=pre.customer_id.min(),
                                            c=pre.converted.cast("int64").max(), r=pre.revenue.fill_null(0.0).sum())
        pc = pj.group_by("customer_id").agg(pre_conversion=pj.c.mean(), pre_revenue=pj.r.mean())
        out = j.left_join(pc, "customer_id").select("journey_id", "customer_id", "variant", "converted", "revenue",
                                                     "pre_conversion", "pre_revenue", "ts")
        return out.execute()

    def volume_weekly(self, touchpoints, lo, hi, s0) -> pd.DataFrame:
        ev = self.events()
        t = ev.filter(ev.touchpoint_id.isin(list(touchpoints)), ev.ts >= lo.to_pydatetime(), ev.ts < hi.to_pydatetime())
        seg = t.segment if "segment" in ev.columns else t.touchpoint_id
        wk = ((t.ts.epoch_seconds() - int(s0.timestamp())) / 604800.0).floor().cast("int64")
        t = t.mutate(week=wk, segment=seg)
        return t.group_by(["touchpoint_id", "segment", "week"]).agg(n=t.count()).execute()


def _week_days(weeks: np.ndarray, s0: pd.Timestamp, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    """Days of each week (counted from ``s0``) inside ``[lo, hi)``."""
    starts = s0 + pd.to_timedelta(weeks * 7, unit="D")
    a = np.maximum(starts.values, np.datetime64(lo))
    b = np.minimum((starts + WEEK).values, np.datetime64(hi))
    return np.clip((b - a) / np.timedelta64(1, "D"), 0, 7)


# ---------------------------------------------------------------------------
# Evaluation of one change and KPI
# ---------------------------------------------------------------------------


@dataclass
class _Window:
    start: pd.Timestamp  # UTC of local midnight of the start date
    lo: pd.Timestamp  # first data used (UTC)
    hi: pd.Timestamp  # end of data used (UTC, exclusive)
    local_start: dt.date
    tz: str


@dataclass
class _Outcome:
    design: str
    result: EffectResult | None = None
    status: str = "ok"  # ok | too early | too little data
    reason: str = ""
    n_before: int = 0
    n_after: int = 0
    unit: str = "weeks"
    plot: dict = field(default_factory=dict)


def _reference(kpi: str, baseline: float) -> float:
    if kpi in REFERENCE_ABSOLUTE:
        return REFERENCE_ABSOLUTE[kpi]
    return REFERENCE_RELATIVE * abs(baseline) if np.isfinite(baseline) else NAN


def _design(change, kpi: str) -> str:
    if change.ab_column and kpi != "volume":
        return "ab"
    if change.control is not None and (change.control.touchpoints or change.control.segments):
        return "did"
    return "its"


def _groups(change) -> tuple[list[str], list[str]]:
    """Touchpoints of the treated and control groups."""
    ctrl_tps = list(change.control.touchpoints) if change.control and change.control.touchpoints else [change.touchpoint]
    return [change.touchpoint], ctrl_tps


def _in_segments(seg: pd.Series, wanted) -> pd.Series:
    return seg.astype("string").isin(list(wanted)).fillna(False) if wanted else pd.Series(True, index=seg.index)


def _weekly_series(src: _Source, change, kpi: str, touchpoints, lo, hi, s0) -> pd.DataFrame:
    """Weekly KPI of some touchpoints: week, value, n, days (and touchpoint_id, segment for groups)."""
    if kpi in FEEDBACK_KPIS:
        fb = src.feedback()
        sel = fb[fb["touchpoint_id"].isin(touchpoints) & (fb["ts"] >= lo) & (fb["ts"] < hi)].copy()
        sel["value"] = _unit_values(sel, kpi)
        sel = sel[sel["value"].notna()]
        sel["week"] = np.floor((sel["ts"] - s0) / WEEK).astype("int64")
        if "segment" not in sel:
            sel["segment"] = pd.NA
        g = sel.groupby(["touchpoint_id", "segment", "week"], dropna=False)["value"]
        out = pd.DataFrame({"sum": g.sum(), "n": g.size()}).reset_index()
    elif kpi in JOURNEY_KPIS:
        hi = min(hi, src.data_end - MATURITY) if src.data_end is not None else hi
        w = src.journey_weekly(touchpoints, lo, hi, s0)
        w["sum"] = w["conversions"] if kpi == "conversion" else w["revenue"]
        out = w[["touchpoint_id", "segment", "week", "sum", "n"]].copy()
    elif kpi == "volume":
        w = src.volume_weekly(touchpoints, lo, hi, s0)
        w["sum"] = w["n"]
        out = w[["touchpoint_id", "segment", "week", "sum", "n"]].copy()
    else:  # pragma: no cover - config validation limits the KPI names
        raise DataError(f"unknown KPI '{kpi}'")
    out["days"] = _week_days(out["week"].to_numpy(dtype="int64"), s0, lo, hi) if len(out) else []
    return out


def _collapse(weekly: pd.DataFrame, kpi: str) -> pd.DataFrame:
    g = weekly.groupby("week").agg(sum=("sum", "sum"), n=("n", "sum"), days=("days", "first")).reset_index()
    if kpi == "volume":
        g["value"] = g["sum"] * 7.0 / g["days"].where(g["days"] > 0)
    else:
        g["value"] = g["sum"] / g["n"].where(g["n"] > 0)
    keep = (g["days"] >= MIN_WEEK_DAYS) & ((g["n"] >= MIN_WEEK_N) | (kpi == "volume"))
    return g[keep].sort_values("week").reset_index(drop=True)


def _too_little(design: str, reason: str, **kw) -> _Outcome:
    return _Outcome(design, status="too little data", reason=reason, **kw)


def _eval_its(src: _Source, change, kpi: str, win: _Window) -> _Outcome:
    lo = max(win.lo, win.start - HISTORY_WEEKS * WEEK)
    weekly = _weekly_series(src, change, kpi, [change.touchpoint], lo, win.hi, win.start)
    series = _collapse(weekly, kpi)
    nb, na = int((series["week"] < 0).sum()), int((series["week"] >= 0).sum())
    if na == 0:
        return _too_little("its", "no data after the change", n_before=nb)
    if nb < MIN_PRE_WEEKS or na < MIN_POST_WEEKS:
        return _too_little("its", f"{nb} usable weeks before and {na} after the change "
                                  f"(at least {MIN_PRE_WEEKS} and {MIN_POST_WEEKS} needed)", n_before=nb, n_after=na)
    if series["value"].nunique() == 1:
        v = float(series["value"].iloc[0])
        return _Outcome("its", EffectResult(0.0, 0.0, 0.0, 0.0, NAN, len(series), "interrupted time series",
                                            baseline=v, note=f"the KPI is {v:g} in every week: nothing to test"),
                        status="constant", n_before=nb, n_after=na)
    its = interrupted_time_series(series, "value", "week", 0)
    frame = its.frame.copy()
    frame["date"] = [win.local_start + dt.timedelta(weeks=float(w)) for w in frame["week"]]
    res = its.effect
    ref = _reference(kpi, res.baseline)
    res = _with_power(res, ref)
    return _Outcome("its", res, n_before=nb, n_after=na, plot={"kind": "its", "frame": frame,
                                                                "level": its.level, "slope": its.slope})


def _with_power(res: EffectResult, ref: float, alpha: float = 0.05) -> EffectResult:
    from dataclasses import replace

    return replace(res, mde=mde_from_se(res.se, res.df, alpha), power=power_from_se(ref, res.se, res.df, alpha))


def _eval_did(src: _Source, change, kpi: str, win: _Window) -> _Outcome:
    tr_tps, ct_tps = _groups(change)
    ctrl_segments = change.control.segments if change.control else ()
    lo = max(win.lo, win.start - DID_PRE_WEEKS * WEEK)
    if kpi in FEEDBACK_KPIS:
        fb = src.feedback()
        tps = sorted(set(tr_tps) | set(ct_tps))
        rows = fb[fb["touchpoint_id"].isin(tps) & (fb["ts"] >= lo) & (fb["ts"] < win.hi)].copy()
        rows["value"] = _unit_values(rows, kpi)
        rows = rows[rows["value"].notna()]
        seg = rows["segment"] if "segment" in rows else pd.Series(pd.NA, index=rows.index)
        is_tr = rows["touchpoint_id"].isin(tr_tps) & _in_segments(seg, change.treated_segments)
        is_ct = rows["touchpoint_id"].isin(ct_tps) & _in_segments(seg, ctrl_segments) & ~is_tr
        rows = rows[is_tr | is_ct].assign(treated=is_tr[is_tr | is_ct].astype(int))
        rows["week"] = np.floor((rows["ts"] - win.start) / WEEK).astype("int64")
        rows["post"] = (rows["week"] >= 0).astype(int)
        rows["cluster"] = rows["treated"].astype(str) + ":" + rows["week"].astype(str)
        unit, weights = "responses", None
    else:
        weekly = _weekly_series(src, change, kpi, sorted(set(tr_tps) | set(ct_tps)), lo, win.hi, win.start)
        seg = weekly["segment"]
        is_tr = weekly["touchpoint_id"].isin(tr_tps) & _in_segments(seg, change.treated_segments)
        is_ct = weekly["touchpoint_id"].isin(ct_tps) & _in_segments(seg, ctrl_segments) & ~is_tr
        weekly = weekly[is_tr | is_ct].assign(treated=is_tr[is_tr | is_ct].astype(int))
        rows = weekly.groupby(["treated", "week"]).agg(sum=("sum", "sum"), n=("n", "sum"),
                                                      days=("days", "first")).reset_index()
        rows = rows[rows["days"] >= MIN_WEEK_DAYS]
        rows["value"] = rows["sum"] * 7.0 / rows["days"] if kpi == "volume" else rows["sum"] / rows["n"]
        rows["post"] = (rows["week"] >= 0).astype(int)
        rows["cluster"] = rows["week"]
        unit, weights = "group-weeks", (None if kpi == "volume" else "n")
    cells = rows.groupby(["treated", "post"]).size()
    nb = int(rows["post"].eq(0).sum())
    na = int(rows["post"].eq(1).sum())
    if na == 0:
        return _too_little("did", "no data after the change", n_before=nb, unit=unit)
    if len(cells) < 4 or cells.min() < 2:
        have = ", ".join(f"{'treated' if t else 'control'} {'after' if p else 'before'}: {v}"
                         for (t, p), v in cells.items())
        return _too_little("did", f"too few {unit} in a group ({have})", n_before=nb, n_after=na, unit=unit)
    if rows["value"].nunique() == 1:
        v = float(rows["value"].iloc[0])
        return _Outcome("did", EffectResult(0.0, 0.0, 0.0, 0.0, NAN, len(rows), "difference-in-differences",
                                            baseline=v, note=f"the KPI is {v:g} everywhere: nothing to test"),
                        status="constant", n_before=nb, n_after=na, unit=unit)
    res = diff_in_diff(rows, "value", "treated", "post", fixed_effects=["week"], cluster="cluster",
                       weights=weights)
    res = _with_power(res, _reference(kpi, res.baseline))
    return _Outcome("did", res, n_before=nb, n_after=na, unit=unit,
                    plot={"kind": "did", "rows": rows, "weights": weights, "effect": res})


def _eval_ab(src: _Source, change, kpi: str, win: _Window) -> _Outcome:
    col = change.ab_column
    pre_lo = max(win.lo, win.start - DID_PRE_WEEKS * WEEK)
    if kpi in FEEDBACK_KPIS:
        fb = src.feedback()
        if col not in fb.columns:
            return _too_little("ab", f"the feedback has no A/B column '{col}'", unit="responses")
        rows = fb[(fb["touchpoint_id"] == change.touchpoint) & (fb["ts"] >= win.start) & (fb["ts"] < win.hi)
                  & fb[col].notna()].copy()
        rows["value"] = _unit_values(rows, kpi)
        pre = fb[(fb["ts"] < win.start) & (fb["ts"] >= pre_lo)].copy()
        pre["value"] = _unit_values(pre, kpi)
        cov = pre.dropna(subset=["value"]).groupby("customer_id")["value"].mean() if "customer_id" in pre else None
        rows["covariate"] = rows["customer_id"].map(cov) if cov is not None and "customer_id" in rows else NAN
        rows["variant"] = rows[col]
        unit = "responses"
    else:
        hi = min(win.hi, src.data_end - MATURITY) if src.data_end is not None else win.hi
        rows = src.journey_units(change.touchpoint, win.start, hi, col, pre_lo)
        rows["value"] = rows["converted"] if kpi == "conversion" else rows["revenue"]
        rows["covariate"] = rows["pre_conversion"] if kpi == "conversion" else rows["pre_revenue"]
        unit = "journeys"
    rows = rows[rows["value"].notna()]
    rows["week"] = np.floor((pd.to_datetime(rows["ts"]) - win.start) / WEEK).astype("int64")
    counts = rows["variant"].astype(str).value_counts()
    if len(rows) == 0:
        return _too_little("ab", "no data after the change", unit=unit)
    if len(counts) != 2 or counts.min() < 10:
        have = ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"
        return _too_little("ab", f"an A/B test needs two variants with at least 10 {unit} each ({have})", unit=unit)
    coverage = float(rows["covariate"].notna().mean())
    use_cov = "covariate" if coverage >= 0.1 and rows["covariate"].nunique() > 1 else None
    if rows["value"].nunique() == 1:
        v = float(rows["value"].iloc[0])
        return _Outcome("ab", EffectResult(0.0, 0.0, 0.0, 0.0, NAN, len(rows), "A/B test", baseline=v,
                                           note=f"the KPI is {v:g} for every unit: nothing to test"),
                        status="constant", n_before=int(counts.iloc[0]), n_after=int(counts.iloc[1]), unit=unit)
    base_mean = rows.loc[rows["variant"].astype(str) == sorted(counts.index)[0], "value"].mean()
    res = ab_test(rows, "value", "variant", covariate=use_cov, reference_effect=_reference(kpi, base_mean))
    ex = res.extra
    return _Outcome("ab", res, n_before=ex.get("n_control", 0), n_after=ex.get("n_treatment", 0), unit=unit,
                    plot={"kind": "ab", "rows": rows[["variant", "week", "value"]], "effect": res})


# ---------------------------------------------------------------------------
# The report: every change and KPI
# ---------------------------------------------------------------------------


def _fmt_effect(kpi: str, v: float, signed: bool = True) -> str:
    if not np.isfinite(v):
        return "n/a"
    sign = "+" if signed else ""
    if kpi in ("conversion", "top2box"):
        return f"{v * 100:{sign}.1f} percentage points"
    if kpi == "nps":
        return f"{v:{sign}.1f} NPS points"
    if kpi == "revenue":
        return f"{v:{sign},.0f} per journey"
    if kpi == "volume":
        return f"{v:{sign},.0f} events per week"
    return f"{v:{sign}.2f} points"


def _verdict(row: dict, alpha: float) -> tuple[str, str]:
    kpi, label = row["kpi"], KPI_LABELS.get(row["kpi"], row["kpi"])
    status = row["_status"]
    if status == "too early":
        return "too early", f"Too early: the change starts on {row['start']}, after the period ends."
    if status == "too little data":
        return "too little data", f"Too little data to evaluate: {row['_reason']}."
    if status == "constant":
        return "no detectable change", f"No detectable change: {row['note']}."
    eff, lo, hi, p_adj = row["effect"], row["ci_low"], row["ci_high"], row["p_adj"]
    ci = f"95% CI {_fmt_effect(kpi, lo)} to {_fmt_effect(kpi, hi)}"
    if np.isfinite(p_adj) and p_adj < alpha:
        rose = eff > 0
        expected_up = row["expected_direction"] == "up"
        word = "rose" if rose else "fell"
        if rose == expected_up:
            return "moved as expected", (f"Moved as expected: {label} {word} by {_fmt_effect(kpi, abs(eff), False)} "
                                         f"({ci}; adjusted p = {p_adj:.3g}).")
        return "moved against expectation", (f"Moved against expectation: {label} {word} by "
                                             f"{_fmt_effect(kpi, abs(eff), False)} although a "
                                             f"{'rise' if expected_up else 'fall'} was expected "
                                             f"({ci}; adjusted p = {p_adj:.3g}).")
    mde = row["mde"]
    mde_txt = (f"; with this volume only changes of about {_fmt_effect(kpi, mde, False)} or more would have been "
               f"detected reliably (80% power)") if np.isfinite(mde) else ""
    return "no detectable change", (f"No detectable change: the estimate is {_fmt_effect(kpi, eff)} ({ci}; "
                                    f"adjusted p = {p_adj:.3g}){mde_txt}.")


@dataclass
class EvaluationResult:
    """Everything step 4 shows: the verdict table and, per change and KPI, what the figures draw."""

    client: str
    period: Period
    table: pd.DataFrame
    details: dict
    changes: tuple
    timezone: str
    title: str = ""


COLUMNS = ["change_id", "touchpoint_id", "description", "start", "kpi", "expected_direction", "design", "method",
           "n", "n_before", "n_after", "unit", "baseline", "effect", "ci_low", "ci_high", "relative_effect",
           "relative_ci_low", "relative_ci_high", "p", "p_adj", "mde", "power", "verdict", "verdict_text", "note"]


def run(client: str, period: str | Period, root: str | Path | None = None, *, alpha: float = 0.05,
        con=None) -> EvaluationResult:
    """Evaluate every logged change of ``client`` with the data up to the end of ``period``."""
    from helpers.config import load_client

    root = root or None
    per = Period.parse(period)
    cfg = load_client(client, root)
    src = _Source(client, root, con)
    data_lo, data_hi = src.span() if (src.has_events or src.has_feedback) else (None, None)
    rows, details = [], {}
    for change in cfg.changes:
        start = _utc(change.start, cfg.timezone)
        end_day = min(per.end, change.end + dt.timedelta(days=1)) if change.end else per.end
        hi = _utc(end_day, cfg.timezone)
        if data_hi is not None:
            hi = min(hi, data_hi + pd.Timedelta(microseconds=1))
        win = _Window(start, data_lo if data_lo is not None else start, hi, change.start, cfg.timezone)
        for kpi in change.kpis:
            design = _design(change, kpi)
            if change.start >= per.end:
                out = _Outcome(design, status="too early")
            elif data_lo is None or data_hi < start:
                out = _too_little(design, "no data after the change")
            else:
                try:
                    out = {"its": _eval_its, "did": _eval_did, "ab": _eval_ab}[design](src, change, kpi, win)
                except KitError as exc:
                    out = _too_little(design, exc.message)
            res = out.result
            base = res.baseline if res else NAN
            row = {
                "change_id": change.id, "touchpoint_id": change.touchpoint, "description": change.description,
                "start": change.start, "kpi": kpi, "expected_direction": change.expected_direction,
                "design": DESIGN_NAMES[design], "method": res.method if res else DESIGN_NAMES[design],
                "n": res.n if res else 0, "n_before": out.n_before, "n_after": out.n_after, "unit": out.unit,
                "baseline": base, "effect": res.estimate if res else NAN,
                "ci_low": res.ci_low if res else NAN, "ci_high": res.ci_high if res else NAN,
                "p": res.p if res else NAN, "mde": res.mde if res else NAN, "power": res.power if res else NAN,
                "note": res.note if res else out.reason, "_status": out.status, "_reason": out.reason,
            }
            for k, src_col in (("relative_effect", "effect"), ("relative_ci_low", "ci_low"),
                               ("relative_ci_high", "ci_high")):
                row[k] = row[src_col] / abs(base) if (np.isfinite(base) and base != 0) else NAN
            rows.append(row)
            details[(change.id, kpi)] = {"design": design, "plot": out.plot, "start": change.start,
                                         "kpi": kpi, "description": change.description}
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adj"] = stats.benjamini_hochberg(table["p"].to_numpy(dtype=float))
        verdicts = [_verdict(r, alpha) for r in table.to_dict("records")]
        table["verdict"] = [v[0] for v in verdicts]
        table["verdict_text"] = [v[1] for v in verdicts]
        table = table[COLUMNS]
    else:
        table = pd.DataFrame(columns=COLUMNS)
    return EvaluationResult(client, per, table.reset_index(drop=True), details, tuple(cfg.changes), cfg.timezone,
                            title=cfg.name)


def evaluate_changes(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """One row per change and KPI: design, effect with CI, p, BH-adjusted p, MDE, power and verdict."""
    return run(client, period, root).table


def verdict_table(result: EvaluationResult) -> pd.DataFrame:
    """The short verdict table the summary uses."""
    cols = ["change_id", "kpi", "design", "effect", "ci_low", "ci_high", "p_adj", "verdict"]
    return result.table[cols].copy()
