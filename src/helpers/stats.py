"""Estimates with uncertainty: proportions, means, NPS, power and multiple testing.

Every rate the kit reports comes with a confidence interval from here. Results are
small frozen :class:`Estimate` objects (``value, se, ci_low, ci_high, n``) with
``.to_dict()``, so a KPI table is a list of them turned into rows.

Conventions

* Empty data never raises in the KPI path: with ``n == 0`` the value and interval
  are NaN and ``note`` says why. Invalid input the user can fix (successes above
  n, a score outside its scale) raises :class:`helpers.errors.DataError`.
* ``level`` is the two-sided confidence level (0.95 gives a 95% interval).
* Proportions are on the 0-1 scale; NPS is in points on -100..100.

Methods and sources

* Single proportion: Wilson score (default), Agresti-Coull, Jeffreys, exact
  Clopper-Pearson and Wald, as reviewed by Newcombe (1998a, Stat Med 17:857) and
  Brown, Cai & DasGupta (2001, Stat Sci 16:101).
* Difference of two proportions: Newcombe's hybrid score interval (method 10 of
  Newcombe 1998b, Stat Med 17:873), or Wald.
* Means: Student t interval; difference of means: Welch.
* NPS: the difference of the promoter and detractor shares of one multinomial
  sample, Var = [pP + pD - (pP - pD)^2] / n, normal interval clipped to
  [-100, 100]. When every answer falls into one category that variance is zero;
  the interval then comes from the adjusted Wald method (add 3/4 promoter, 3/4
  detractor and 3 respondents; Rocks 2016, The American Statistician 70:365),
  and ``note`` says so.
* Power and sample size for two proportions: the formula of R's
  ``stats::power.prop.test`` (pooled variance under H0, unpooled under H1);
  ``strict=True`` adds the probability of rejecting in the opposite tail, as R's
  ``strict = TRUE``.
* Benjamini-Hochberg step-up adjusted p-values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize
from scipy import stats as st

from helpers.errors import DataError

__all__ = [
    "Estimate",
    "PROPORTION_METHODS",
    "proportion_ci",
    "proportion_ci_frame",
    "diff_proportions_ci",
    "mean_ci",
    "mean_ci_from_stats",
    "diff_means_ci",
    "diff_means_ci_from_stats",
    "nps",
    "nps_counts",
    "diff_nps_counts",
    "mean_ci_frame",
    "nps_frame",
    "nps_counts_frame",
    "nps_categories",
    "top2box",
    "power_two_proportions",
    "sample_size_two_proportions",
    "mde_two_proportions",
    "mde_mean",
    "benjamini_hochberg",
    "two_proportions_test",
]

PROPORTION_METHODS = ("wilson", "agresti_coull", "jeffreys", "clopper_pearson", "wald")
NAN = float("nan")
ZERO_VARIANCE_NOTE = "no variation: every answer is the same, so the data cannot tell how uncertain the mean is"


# ---------------------------------------------------------------------------
# Result type
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error and confidence interval.

    ``note`` is empty when everything is defined; otherwise it says why a field is
    NaN or how the interval was obtained (for example for a single respondent).
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    n: int | float
    method: str = ""
    level: float = 0.95
    note: str = ""

    def __post_init__(self) -> None:
        n = self.n
        if isinstance(n, (float, np.floating)) and np.isfinite(n) and float(n).is_integer():
            object.__setattr__(self, "n", int(n))
        elif isinstance(n, np.integer):
            object.__setattr__(self, "n", int(n))
        for name in ("value", "se", "ci_low", "ci_high", "level"):
            v = getattr(self, name)
            object.__setattr__(self, name, NAN if v is None else float(v))

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
        """Short reading such as ``"30.8% (95% CI 25.5% to 36.6%; n = 263)"``.

        ``scale=100, unit="%"`` shows a proportion in per cent; an undefined
        interval is shown as "no interval" and the note, if any, follows.
        """
        def fmt(v: float) -> str:
            return "n/a" if not np.isfinite(v) else f"{v * scale:.{digits}f}{unit}"

        n = self.n if isinstance(self.n, int) else f"{self.n:g}"
        ci = (
            f"{round(self.level * 100):g}% CI {fmt(self.ci_low)} to {fmt(self.ci_high)}"
            if self.defined
            else "no interval"
        )
        out = f"{fmt(self.value)} ({ci}; n = {n})"
        return f"{out}: {self.note}" if self.note and not self.defined else out

    @property
    def defined(self) -> bool:
        """True when the interval has finite bounds."""
        return bool(np.isfinite(self.ci_low) and np.isfinite(self.ci_high))

    def excludes(self, value: float = 0.0) -> bool:
        """True when the interval is defined and does not contain ``value``."""
        return self.defined and (self.ci_low > value or self.ci_high < value)


def _z(level: float) -> float:
    _check_level(level)
    return float(st.norm.ppf(0.5 + level / 2.0))


def _check_level(level: float) -> None:
    if not (0.0 < float(level) < 1.0):
        raise DataError(
            f"confidence level must be between 0 and 1, got {level!r}",
            hint="give for example level=0.95 for a 95% interval",
        )


def _check_alpha(alpha: float) -> None:
    if not (0.0 < float(alpha) < 1.0):
        raise DataError(f"alpha must be between 0 and 1, got {alpha!r}", hint="give for example alpha=0.05")


def _check_power(power: float) -> None:
    if not (0.0 < float(power) < 1.0):
        raise DataError(f"power must be between 0 and 1, got {power!r}", hint="give for example power=0.8")


def _check_power_above_size(power: float, alpha: float, tside: int) -> None:
    """A power at or below the test's own rejection rate under no effect is met by a zero effect."""
    if float(power) <= float(alpha) / tside:
        raise DataError(
            f"power {power:g} is not above the test's false-positive rate ({alpha / tside:g} in each tail): "
            "no minimum detectable effect exists",
            hint="give a power above alpha, for example power=0.8")


# ---------------------------------------------------------------------------
# Single proportion
# ---------------------------------------------------------------------------


def _validate_counts(x: np.ndarray, n: np.ndarray, what: str = "successes") -> None:
    bad = ~(np.isnan(x) | np.isnan(n)) & ((n < 0) | (x < 0) | (x > n))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{what} must be between 0 and n; got {what}={x.flat[i]:g} with n={n.flat[i]:g}",
            hint=f"check that {what} are counted among the same rows as n",
        )


def _proportion_bounds(x, n, method: str, level: float):
    """Vectorised (p, se, low, high) for successes ``x`` out of ``n`` (arrays).

    Rows with n == 0 give NaN everywhere.
    """
    if method not in PROPORTION_METHODS:
        raise DataError(
            f"unknown proportion interval method {method!r}",
            hint=f"use one of {', '.join(PROPORTION_METHODS)}",
        )
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    x, n = np.broadcast_arrays(x, n)
    _validate_counts(x, n)
    z = _z(level)
    alpha = 1.0 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        empty = ~(n > 0)
        p = np.where(empty, np.nan, x / np.where(empty, 1.0, n))
        se = np.sqrt(p * (1.0 - p) / n)
        if method == "wilson":
            z2 = z * z
            centre = (x + z2 / 2.0) / (n + z2)
            half = z / (n + z2) * np.sqrt(x * (n - x) / n + z2 / 4.0)
            low, high = centre - half, centre + half
            # exact at the boundaries (the closed form gives them up to rounding)
            low = np.where(x == 0, 0.0, low)
            high = np.where(x == n, 1.0, high)
        elif method == "agresti_coull":
            z2 = z * z
            nt = n + z2
            pt = (x + z2 / 2.0) / nt
            half = z * np.sqrt(pt * (1.0 - pt) / nt)
            low, high = pt - half, pt + half
        elif method == "jeffreys":
            low = st.beta.ppf(alpha / 2.0, x + 0.5, n - x + 0.5)
            high = st.beta.ppf(1.0 - alpha / 2.0, x + 0.5, n - x + 0.5)
            low = np.where(x == 0, 0.0, low)
            high = np.where(x == n, 1.0, high)
        elif method == "clopper_pearson":
            low = st.beta.ppf(alpha / 2.0, x, n - x + 1.0)
            high = st.beta.ppf(1.0 - alpha / 2.0, x + 1.0, n - x)
            low = np.where(x == 0, 0.0, low)
            high = np.where(x == n, 1.0, high)
        else:  # wald
            low, high = p - z * se, p + z * se
        low = np.clip(low, 0.0, 1.0)
        high = np.clip(high, 0.0, 1.0)
    nanify = lambda a: np.where(empty, np.nan, a)  # noqa: E731
    return nanify(p), nanify(se), nanify(low), nanify(high)


def proportion_ci(successes: float, n: float, method: str = "wilson", level: float = 0.95) -> Estimate:
    """Proportion ``successes / n`` with a confidence interval.

    ``method`` is one of ``wilson`` (default), ``agresti_coull``, ``jeffreys``,
    ``clopper_pearson`` (exact) or ``wald``. ``se`` is the plug-in
    ``sqrt(p(1-p)/n)`` for every method. With ``n == 0`` everything is NaN and
    ``note`` says so; the Wilson interval of 0 out of n is ``[0, z^2/(n+z^2)]``.
    """
    p, se, low, high = _proportion_bounds(successes, n, method, level)
    note = "no observations" if not (float(n) > 0) else ""
    if note == "" and float(n) == 1:
        note = "one observation: the interval is wide"
    return Estimate(float(p), float(se), float(low), float(high), float(n), method, level, note)


def proportion_ci_frame(
    df: pd.DataFrame,
    successes_col: str,
    n_col: str,
    method: str = "wilson",
    level: float = 0.95,
    name: str = "rate",
) -> pd.DataFrame:
    """Copy of ``df`` with columns ``name``, ``name_se``, ``name_ci_low``, ``name_ci_high``.

    Vectorised over the rows (a KPI table with thousands of rows costs a few
    array operations). Rows with ``n == 0`` get NaN.
    """
    for col in (successes_col, n_col):
        if col not in df.columns:
            raise DataError(f"column '{col}' not in the table", column=col, hint=f"columns are {list(df.columns)}")
    x = pd.to_numeric(df[successes_col]).to_numpy(dtype=float, na_value=np.nan)
    n = pd.to_numeric(df[n_col]).to_numpy(dtype=float, na_value=np.nan)
    p, se, low, high = _proportion_bounds(x, n, method, level)
    out = df.copy()
    out[name] = p
    out[f"{name}_se"] = se
    out[f"{name}_ci_low"] = low
    out[f"{name}_ci_high"] = high
    return out


# ---------------------------------------------------------------------------
# Difference of two proportions
# ---------------------------------------------------------------------------


def diff_proportions_ci(
    x1: float, n1: float, x2: float, n2: float, method: str = "newcombe", level: float = 0.95
) -> Estimate:
    """Difference ``p1 - p2`` of two independent proportions with a confidence interval.

    ``newcombe`` (default) is the hybrid score interval, method 10 of Newcombe
    (1998b), built from the two Wilson intervals without continuity correction:
    ``L = d - sqrt((p1-l1)^2 + (u2-p2)^2)``, ``U = d + sqrt((u1-p1)^2 + (p2-l2)^2)``.
    ``score`` is the score interval of Mee (1984; Miettinen-Nurminen without the
    N/(N-1) factor): every difference ``delta`` whose score test is not rejected,
    the score statistic using the maximum-likelihood proportions restricted to
    ``p1 - p2 = delta``. At ``delta = 0`` that test is the pooled z test of
    :func:`two_proportions_test`, so the interval excludes 0 exactly when that test
    rejects. ``wald`` is ``d +/- z se``.
    ``se`` is ``sqrt(p1 q1/n1 + p2 q2/n2)`` for all three.
    """
    if method not in ("newcombe", "score", "wald"):
        raise DataError(f"unknown method {method!r} for a difference of proportions",
                        hint="use 'newcombe', 'score' or 'wald'")
    p1, _, l1, u1 = (float(v) for v in _proportion_bounds(x1, n1, "wilson", level))
    p2, _, l2, u2 = (float(v) for v in _proportion_bounds(x2, n2, "wilson", level))
    n = float(n1) + float(n2)
    if not (float(n1) > 0 and float(n2) > 0):
        return Estimate(NAN, NAN, NAN, NAN, n, method, level, "a group has no observations")
    if math.isnan(p1) or math.isnan(p2):
        return Estimate(NAN, NAN, NAN, NAN, n, method, level, "a success count is missing")
    d = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / float(n1) + p2 * (1 - p2) / float(n2))
    if method == "newcombe":
        low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    elif method == "score":
        low, high = _score_interval_diff(float(x1), float(n1), float(x2), float(n2), _z(level))
    else:
        z = _z(level)
        low, high = max(-1.0, d - z * se), min(1.0, d + z * se)
    return Estimate(d, se, low, high, n, method, level, "")


def _restricted_p2(x1: float, n1: float, x2: float, n2: float, delta: float) -> float:
    """Maximum-likelihood p2 under ``p1 = p2 + delta`` (the log-likelihood is concave: one root of its slope)."""
    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)

    def slope(p2: float) -> float:
        p1 = p2 + delta
        return ((x1 / p1 if x1 else 0.0) - ((n1 - x1) / (1 - p1) if n1 > x1 else 0.0)
                + (x2 / p2 if x2 else 0.0) - ((n2 - x2) / (1 - p2) if n2 > x2 else 0.0))

    eps = 1e-14 * max(1.0, hi - lo)
    a, b = lo + eps, hi - eps
    if slope(a) <= 0:
        return a
    if slope(b) >= 0:
        return b
    return float(optimize.brentq(slope, a, b, xtol=1e-15, rtol=1e-14))


def _score_z(x1: float, n1: float, x2: float, n2: float, delta: float) -> float:
    p2 = _restricted_p2(x1, n1, x2, n2, delta)
    p1 = p2 + delta
    var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    d = x1 / n1 - x2 / n2 - delta
    if var <= 0:
        return math.copysign(math.inf, d) if d else 0.0
    return d / math.sqrt(var)


def _score_interval_diff(x1: float, n1: float, x2: float, n2: float, z: float) -> tuple[float, float]:
    """Bounds of the Mee score interval: the deltas where the score statistic is +z and -z."""
    d = x1 / n1 - x2 / n2
    eps = 1e-12
    f_low = lambda t: _score_z(x1, n1, x2, n2, t) - z  # noqa: E731  decreasing in t
    f_high = lambda t: _score_z(x1, n1, x2, n2, t) + z  # noqa: E731
    low = -1.0 if f_low(-1.0 + eps) <= 0 else float(optimize.brentq(f_low, -1.0 + eps, d, xtol=1e-13))
    high = 1.0 if f_high(1.0 - eps) >= 0 else float(optimize.brentq(f_high, d, 1.0 - eps, xtol=1e-13))
    return low, high


def two_proportions_test(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """Pooled z test of ``p1 = p2``: ``(z, two-sided p)``; the test that the ``score`` interval inverts.

    ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with the pooled ``p``. NaN
    when a group is empty or both groups have all or no successes (nothing varies).
    """
    n1, n2, x1, x2 = float(n1), float(n2), float(x1), float(x2)
    if not (n1 > 0 and n2 > 0):
        return NAN, NAN
    _validate_counts(np.array([x1, x2]), np.array([n1, n2]))
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if not var > 0:
        return NAN, NAN
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return float(z), float(2.0 * st.norm.sf(abs(z)))


# ---------------------------------------------------------------------------
# Means
# ---------------------------------------------------------------------------


def _clean(values: Iterable[float], what: str = "values") -> np.ndarray:
    try:
        series = pd.Series(values, dtype=object)
        series = series.where(series.notna(), np.nan)
        arr = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{what} must be numbers: {exc}", hint=f"remove text from the {what}") from None
    return arr[~np.isnan(arr)]


def mean_ci_from_stats(mean: float, sd: float, n: float, level: float = 0.95) -> Estimate:
    """Student t interval ``mean +/- t(n-1) sd / sqrt(n)`` from summary statistics.

    ``n == 0`` gives NaN; ``n == 1`` gives the value with a NaN interval and a note.
    """
    _check_level(level)
    n = float(n)
    if not n > 0:
        return Estimate(NAN, NAN, NAN, NAN, n, "t", level, "no observations")
    if n < 2:
        return Estimate(float(mean), NAN, NAN, NAN, n, "t", level, "one observation: no interval")
    if not np.isfinite(sd):
        return Estimate(float(mean), NAN, NAN, NAN, n, "t", level, "standard deviation missing: no interval")
    if sd < 0:
        raise DataError(f"standard deviation must not be negative, got {sd}")
    se = float(sd) / math.sqrt(n)
    if se == 0:
        # every answer the same: the sample says nothing about the spread, so no interval
        # (a zero-width one would make any difference look certain)
        return Estimate(float(mean), 0.0, NAN, NAN, n, "t", level, ZERO_VARIANCE_NOTE)
    t = float(st.t.ppf(0.5 + level / 2.0, n - 1))
    return Estimate(float(mean), se, float(mean) - t * se, float(mean) + t * se, n, "t", level, "")


def mean_ci_frame(
    df: pd.DataFrame,
    mean_col: str,
    sd_col: str,
    n_col: str,
    level: float = 0.95,
    name: str | None = None,
) -> pd.DataFrame:
    """Copy of ``df`` with t intervals from per-row summary statistics (vectorised).

    Adds ``{name}_se``, ``{name}_ci_low`` and ``{name}_ci_high`` (``name``
    defaults to ``mean_col``). Rows with n < 2, a missing sd or no variation
    (sd 0) get NaN bounds, as :func:`mean_ci_from_stats` does.
    """
    _check_level(level)
    for col in (mean_col, sd_col, n_col):
        if col not in df.columns:
            raise DataError(f"column '{col}' not in the table", column=col, hint=f"columns are {list(df.columns)}")
    name = name or mean_col
    sd = pd.to_numeric(df[sd_col]).to_numpy(dtype=float, na_value=np.nan)
    n = pd.to_numeric(df[n_col]).to_numpy(dtype=float, na_value=np.nan)
    m = pd.to_numeric(df[mean_col]).to_numpy(dtype=float, na_value=np.nan)
    if np.any(sd < 0):
        raise DataError(f"column '{sd_col}' has negative standard deviations", column=sd_col)
    ok = (n >= 2) & np.isfinite(sd) & (sd > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(ok, sd / np.sqrt(n), np.nan)
        t = np.where(ok, st.t.ppf(0.5 + level / 2.0, np.where(ok, n - 1.0, 1.0)), np.nan)
    out = df.copy()
    out[f"{name}_se"] = se
    out[f"{name}_ci_low"] = m - t * se
    out[f"{name}_ci_high"] = m + t * se
    return out


def mean_ci(values: Iterable[float], level: float = 0.95) -> Estimate:
    """Mean of ``values`` (NaN ignored) with a Student t interval."""
    arr = _clean(values)
    n = arr.size
    if n == 0:
        return mean_ci_from_stats(NAN, NAN, 0, level)
    sd = float(arr.std(ddof=1)) if n > 1 else NAN
    return mean_ci_from_stats(float(arr.mean()), sd, n, level)


def diff_means_ci(a: Iterable[float], b: Iterable[float], level: float = 0.95) -> Estimate:
    """Difference ``mean(a) - mean(b)`` with a Welch t interval (unequal variances).

    Needs at least two observations per group; otherwise the interval is NaN with a note.
    """
    _check_level(level)
    xa, xb = _clean(a, "a"), _clean(b, "b")
    return diff_means_ci_from_stats(*_mean_var(xa), xa.size, *_mean_var(xb), xb.size, level=level)


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    """Mean and sample variance of ``x``; the variance is exactly 0 when every value is the same (rounding in
    the mean would otherwise leave a tiny spread)."""
    if x.size == 0:
        return NAN, NAN
    if x.size < 2:
        return float(x.mean()), NAN
    return float(x.mean()), (0.0 if x.min() == x.max() else float(x.var(ddof=1)))


def diff_means_ci_from_stats(mean_a: float, var_a: float, n_a: float, mean_b: float, var_b: float, n_b: float,
                             level: float = 0.95) -> Estimate:
    """:func:`diff_means_ci` from each group's mean, sample variance (``ddof=1``) and size: the same Welch
    interval, for groups summarised by the engine (:func:`helpers.analyse.compute.feedback_stats`)."""
    _check_level(level)
    na, nb = float(n_a), float(n_b)
    n = na + nb
    if not na > 0 or not nb > 0:
        return Estimate(NAN, NAN, NAN, NAN, n, "welch", level, "a group has no observations")
    d = float(mean_a - mean_b)
    if na < 2 or nb < 2:
        return Estimate(d, NAN, NAN, NAN, n, "welch", level, "a group has one observation: no interval")
    va, vb = float(var_a) / na, float(var_b) / nb
    if not (np.isfinite(va) and np.isfinite(vb)):
        return Estimate(d, NAN, NAN, NAN, n, "welch", level, "variance missing: no interval")
    if va < 0 or vb < 0:
        raise DataError(f"a variance must not be negative, got {min(var_a, var_b)}")
    se = math.sqrt(va + vb)
    if se == 0:
        return Estimate(d, 0.0, NAN, NAN, n, "welch", level, "no variation in either group: "
                        "the data cannot tell how uncertain the difference is")
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    t = float(st.t.ppf(0.5 + level / 2.0, df))
    return Estimate(d, se, d - t * se, d + t * se, n, "welch", level, "")


# ---------------------------------------------------------------------------
# Net Promoter Score and top-2-box
# ---------------------------------------------------------------------------


def _nps_from_counts(promoters, passives, detractors, level: float):
    """Vectorised NPS (points) from category counts: value, se, low, high, method flag."""
    pro = np.asarray(promoters, dtype=float)
    pas = np.asarray(passives, dtype=float)
    det = np.asarray(detractors, dtype=float)
    pro, pas, det = np.broadcast_arrays(pro, pas, det)
    if np.any((pro < 0) | (pas < 0) | (det < 0)):
        raise DataError("NPS category counts must not be negative")
    z = _z(level)
    n = pro + pas + det
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, pd_ = pro / n, det / n
        value = pp - pd_
        se = np.sqrt((pp + pd_ - value**2) / n)
        low, high = value - z * se, value + z * se
        # adjusted Wald (Rocks 2016) where the plain variance is zero
        na = n + 3.0
        ppa, pda = (pro + 0.75) / na, (det + 0.75) / na
        va = ppa - pda
        sea = np.sqrt((ppa + pda - va**2) / na)
        degenerate = (n > 0) & ~(se > 0)
        # the adjusted interval is centred on the adjusted estimate: widen it to hold the estimate itself
        low = np.where(degenerate, np.minimum(va - z * sea, value), low)
        high = np.where(degenerate, np.maximum(va + z * sea, value), high)
        low, high = np.clip(low, -1.0, 1.0), np.clip(high, -1.0, 1.0)
        # one respondent: no spread to estimate, no interval
        low = np.where(n == 1, np.nan, low)
        high = np.where(n == 1, np.nan, high)
    empty = ~(n > 0)
    out = [np.where(empty, np.nan, a * 100.0) for a in (value, se, low, high)]
    return (*out, n, degenerate)


_DEGENERATE_NOTE = (
    "all answers in one category: the plain standard error is 0, so the interval is the "
    "adjusted Wald interval (3/4 promoter and 3/4 detractor added, n + 3)"
)


def nps_categories(scores: np.ndarray, what: str = "NPS scores"):
    """Promoter, passive and detractor masks of 0-10 answers without NaN (:class:`DataError` for any other
    value)."""
    bad = (scores < 0) | (scores > 10) | (scores != np.round(scores))
    if np.any(bad):
        raise DataError(
            f"{what} must be whole numbers from 0 to 10; found {scores[bad][0]:g}",
            hint="check the column holds the 0-10 likelihood-to-recommend answer",
        )
    return scores >= 9, (scores >= 7) & (scores <= 8), scores <= 6


def nps_counts(promoters: int, passives: int, detractors: int, level: float = 0.95) -> Estimate:
    """NPS in points from the three category counts (see :func:`nps`)."""
    value, se, low, high, n, degenerate = _nps_from_counts(promoters, passives, detractors, level)
    n = float(n)
    note = ""
    if not n > 0:
        note = "no responses"
    elif bool(degenerate):
        note = _DEGENERATE_NOTE
    if n == 1:
        note = "one respondent: no interval"
    return Estimate(float(value), float(se), float(low), float(high), n, "nps_wald", level, note)


def diff_nps_counts(
    promoters1: int, passives1: int, detractors1: int,
    promoters2: int, passives2: int, detractors2: int,
    level: float = 0.95,
) -> Estimate:
    """Difference NPS1 - NPS2 (points) of two independent samples from their category counts.

    ``se = sqrt(se1^2 + se2^2)`` with each NPS variance as in :func:`nps`; normal
    interval clipped to [-200, 200]. When both plain variances are zero the
    adjusted Wald variances (3/4 promoter and 3/4 detractor added to each sample)
    are used for the interval, and ``note`` says so.
    """
    z = _z(level)
    counts = np.array([[promoters1, passives1, detractors1], [promoters2, passives2, detractors2]], dtype=float)
    if np.any(counts < 0):
        raise DataError("NPS category counts must not be negative")
    n1, n2 = counts.sum(axis=1)
    n = n1 + n2
    if not (n1 > 0 and n2 > 0):
        return Estimate(NAN, NAN, NAN, NAN, n, "nps_diff", level, "a sample has no responses")

    def parts(c, add: float):
        m = c.sum() + 4 * add
        pp, pd_ = (c[0] + add) / m, (c[2] + add) / m
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / m

    (v1, var1), (v2, var2) = parts(counts[0], 0.0), parts(counts[1], 0.0)
    d = 100.0 * (v1 - v2)
    se = 100.0 * math.sqrt(var1 + var2)
    note = ""
    if se > 0:
        low, high = d - z * se, d + z * se
    else:
        (a1, av1), (a2, av2) = parts(counts[0], 0.75), parts(counts[1], 0.75)
        da, sea = 100.0 * (a1 - a2), 100.0 * math.sqrt(av1 + av2)
        low, high = da - z * sea, da + z * sea
        note = "no variation in either sample: adjusted Wald interval"
    return Estimate(d, se, max(-200.0, low), min(200.0, high), n, "nps_diff", level, note)


def nps(scores: Iterable[float], level: float = 0.95) -> Estimate:
    """Net Promoter Score of 0-10 answers, in points from -100 to 100.

    Promoters answer 9-10, detractors 0-6. NaN answers are ignored; a value
    outside 0-10 raises :class:`DataError`. ``se`` is
    ``100 sqrt([pP + pD - (pP - pD)^2] / n)``; the interval is normal and clipped
    to [-100, 100]. When that standard error is zero (every answer in one
    category, for example all promoters) the interval is the adjusted Wald
    interval and ``note`` says so; ``se`` stays the plain 0.
    """
    arr = _clean(scores, "NPS scores")
    pro, pas, det = nps_categories(arr)
    return nps_counts(int(pro.sum()), int(pas.sum()), int(det.sum()), level)


def nps_frame(
    df: pd.DataFrame, group_cols: str | Sequence[str], score_col: str, level: float = 0.95
) -> pd.DataFrame:
    """NPS per group: one row per group with ``n, promoters, passives, detractors,
    nps, nps_se, nps_ci_low, nps_ci_high, nps_note``. Vectorised; NaN scores ignored.
    """
    group_cols = [group_cols] if isinstance(group_cols, str) else list(group_cols)
    for col in [*group_cols, score_col]:
        if col not in df.columns:
            raise DataError(f"column '{col}' not in the table", column=col, hint=f"columns are {list(df.columns)}")
    scores = pd.to_numeric(df[score_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    keep = ~np.isnan(scores)
    pro, pas, det = nps_categories(scores[keep], f"NPS scores in '{score_col}'")
    work = df.loc[keep, group_cols].copy()
    work["promoters"] = pro.astype(np.int64)
    work["passives"] = pas.astype(np.int64)
    work["detractors"] = det.astype(np.int64)
    g = work.groupby(group_cols, dropna=False, observed=True, sort=True)[["promoters", "passives", "detractors"]].sum()
    # groups whose scores are all missing stay in the table with n = 0 (like proportion_ci_frame)
    every = df[group_cols].drop_duplicates().set_index(group_cols).index
    g = g.reindex(g.index.union(every), fill_value=0).sort_index().reset_index()
    return nps_counts_frame(g, level=level)


def nps_counts_frame(df: pd.DataFrame, promoters: str = "promoters", passives: str = "passives",
                     detractors: str = "detractors", level: float = 0.95) -> pd.DataFrame:
    """Copy of ``df`` (one row per group with promoter, passive and detractor counts) with ``n`` inserted
    before the promoters column and ``nps, nps_se, nps_ci_low, nps_ci_high, nps_note`` added: the NPS of
    :func:`nps_counts` per row, vectorised."""
    g = df.copy()
    value, se, low, high, n, degenerate = _nps_from_counts(g[promoters], g[passives], g[detractors], level)
    g.insert(list(g.columns).index(promoters), "n", n.astype(np.int64))
    g["nps"], g["nps_se"], g["nps_ci_low"], g["nps_ci_high"] = value, se, low, high
    g["nps_note"] = np.where(degenerate, "adjusted Wald interval (all answers in one category)", "")
    return g


def top2box(
    ratings: Iterable[float], scale_max: int = 5, method: str = "wilson", level: float = 0.95
) -> Estimate:
    """Share of ratings in the top two boxes (``rating >= scale_max - 1``) with an interval.

    Ratings run from 1 to ``scale_max``; NaN is ignored, anything else outside
    the scale raises :class:`DataError`.
    """
    arr = _clean(ratings, "ratings")
    bad = (arr < 1) | (arr > scale_max)
    if np.any(bad):
        raise DataError(
            f"ratings must lie between 1 and {scale_max}; found {arr[bad][0]:g}",
            hint="check scale_max matches the survey scale",
        )
    return proportion_ci(int((arr >= scale_max - 1).sum()), int(arr.size), method=method, level=level)


# ---------------------------------------------------------------------------
# Power, sample size, minimum detectable effect
# ---------------------------------------------------------------------------

_ALTERNATIVES = {"two-sided": 2, "two.sided": 2, "one-sided": 1, "one.sided": 1}


def _tside(alternative: str) -> int:
    try:
        return _ALTERNATIVES[alternative]
    except KeyError:
        raise DataError(f"unknown alternative {alternative!r}", hint="use 'two-sided' or 'one-sided'") from None


def _check_p(*ps: float) -> bool:
    """True when every proportion is a number; raises for numbers outside [0, 1]."""
    ok = True
    for p in ps:
        p = float(p)
        if math.isnan(p):
            ok = False
        elif not (0.0 <= p <= 1.0):
            raise DataError(f"proportions must be between 0 and 1, got {p!r}", hint="give rates as shares, e.g. 0.12")
    return ok


def _power_prop(p1: float, p2: float, n: float, alpha: float, tside: int, strict: bool) -> float:
    qu = st.norm.isf(alpha / tside)
    d = abs(p1 - p2)
    q1, q2 = 1.0 - p1, 1.0 - p2
    pooled = math.sqrt((p1 + p2) * (q1 + q2) / 2.0)
    sd1 = math.sqrt(p1 * q1 + p2 * q2)
    if sd1 == 0.0:  # both rates at 0 or 1: certain rejection if they differ, undefined if not
        return 1.0 if d > 0 else NAN
    power = st.norm.cdf((math.sqrt(n) * d - qu * pooled) / sd1)
    if strict and tside == 2:
        power += st.norm.sf((math.sqrt(n) * d + qu * pooled) / sd1)
    return float(power)


def power_two_proportions(
    p1: float,
    p2: float,
    n_per_group: float,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    strict: bool = False,
) -> float:
    """Power of the two-sample test of proportions with ``n_per_group`` per group.

    The formula of R's ``power.prop.test``:
    ``Phi((sqrt(n)|p1-p2| - z(1-alpha/k) sqrt((p1+p2)(q1+q2)/2)) / sqrt(p1 q1 + p2 q2))``
    with k = 2 for a two-sided test; ``strict=True`` adds the opposite-tail term
    (R's ``strict = TRUE``). NaN when a rate is NaN or ``n_per_group`` is not positive.
    """
    _check_alpha(alpha)
    if not _check_p(p1, p2) or not float(n_per_group) > 0:
        return NAN
    return _power_prop(float(p1), float(p2), float(n_per_group), float(alpha), _tside(alternative), strict)


def sample_size_two_proportions(
    p1: float,
    p2: float,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    strict: bool = False,
) -> float:
    """Respondents per group needed to reach ``power`` (R's ``power.prop.test``, solved for n).

    Returns the unrounded n as R does; round up with ``math.ceil`` for planning.
    NaN when a rate is NaN; equal rates raise :class:`DataError`.
    """
    _check_alpha(alpha)
    _check_power(power)
    if not _check_p(p1, p2):
        return NAN
    if p1 == p2:
        raise DataError("p1 and p2 are equal: no sample size detects a zero difference",
                        hint="give two different rates")
    tside = _tside(alternative)
    # closed form of the non-strict formula, then refine (strict adds a tiny term)
    qu = st.norm.isf(alpha / tside)
    zb = st.norm.ppf(power)
    d = abs(p1 - p2)
    pooled = math.sqrt((p1 + p2) * (2.0 - p1 - p2) / 2.0)
    sd1 = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    if sd1 == 0.0:  # 0 against 1: any sample detects it
        return 1.0
    n0 = ((qu * pooled + zb * sd1) / d) ** 2
    if not strict or tside == 1:
        return float(n0)
    f = lambda n: _power_prop(p1, p2, n, alpha, tside, True) - power  # noqa: E731
    lo = 1e-9
    if f(lo) >= 0:
        return lo
    return float(optimize.brentq(f, lo, n0, xtol=1e-12, rtol=1e-14))


def mde_two_proportions(
    p_base: float,
    n_per_group: float,
    power: float = 0.8,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    direction: str = "increase",
) -> float:
    """Minimum detectable absolute difference from a base rate ``p_base``.

    The smallest ``d > 0`` such that the test of ``p_base`` against
    ``p_base + d`` (``direction="increase"``) or ``p_base - d`` (``"decrease"``)
    with ``n_per_group`` per group has the requested power (R's
    ``power.prop.test`` formula). NaN when even the largest possible change is
    not detectable at that volume, when ``p_base`` is NaN (no data) or when
    ``n_per_group`` is not positive. A base rate of 0 (no conversions yet) works.
    """
    _check_alpha(alpha)
    _check_power(power)
    if direction not in ("increase", "decrease"):
        raise DataError(f"direction must be 'increase' or 'decrease', got {direction!r}")
    if not _check_p(p_base) or not float(n_per_group) > 0:
        return NAN
    p_base = float(p_base)
    tside = _tside(alternative)
    _check_power_above_size(power, alpha, tside)
    sign = 1.0 if direction == "increase" else -1.0
    d_max = (1.0 - p_base) if sign > 0 else p_base
    eps = 1e-12
    if d_max <= 2 * eps:
        return NAN
    f = lambda d: _power_prop(p_base, p_base + sign * d, float(n_per_group), alpha, tside, False) - power  # noqa: E731
    if f(d_max - eps) < 0:
        return NAN
    return float(optimize.brentq(f, eps, d_max - eps, xtol=1e-12, rtol=1e-12))


def mde_mean(
    sd: float, n1: float, n2: float, power: float = 0.8, alpha: float = 0.05, alternative: str = "two-sided"
) -> float:
    """Minimum detectable difference of means for a two-sample t test.

    Solves the exact power of the pooled two-sample t test (noncentral t with
    ``n1 + n2 - 2`` degrees of freedom) for the difference, in the unit of ``sd``
    times the effect size; the same as statsmodels' ``TTestIndPower`` times ``sd``.
    NaN when a group has fewer than 2 observations or ``sd`` is NaN.
    """
    _check_alpha(alpha)
    _check_power(power)
    sd, n1, n2 = float(sd), float(n1), float(n2)
    if math.isnan(sd) or math.isnan(n1) or math.isnan(n2):
        return NAN
    if sd < 0:
        raise DataError(f"sd must not be negative, got {sd!r}")
    if n1 < 2 or n2 < 2 or n1 + n2 < 3:
        return NAN
    tside = _tside(alternative)
    _check_power_above_size(power, alpha, tside)
    df = n1 + n2 - 2.0
    scale = math.sqrt(1.0 / n1 + 1.0 / n2)
    crit = st.t.isf(alpha / tside, df)

    def pw(es: float) -> float:
        nc = es / scale
        p = st.nct.sf(crit, df, nc)
        if tside == 2:
            p += st.nct.cdf(-crit, df, nc)
        if not np.isfinite(p):  # scipy's noncentral t fails for very large df: t is normal there
            p = st.norm.sf(crit - nc) + (st.norm.cdf(-crit - nc) if tside == 2 else 0.0)
        return float(p)

    hi = 1.0
    while pw(hi) < power:
        hi *= 2.0
    es = optimize.brentq(lambda e: pw(e) - power, 1e-12, hi, xtol=1e-12, rtol=1e-12)
    return float(es * sd)


# ---------------------------------------------------------------------------
# Multiple testing
# ---------------------------------------------------------------------------


def benjamini_hochberg(pvalues: Iterable[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate), same order as the input.

    NaN p-values stay NaN and do not count towards the number of tests.
    """
    p = np.asarray(list(pvalues) if not isinstance(pvalues, np.ndarray) else pvalues, dtype=float)
    shape = p.shape
    p = p.ravel()
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise DataError("p-values must lie between 0 and 1")
    out = np.full(p.shape, np.nan)
    q = p[ok]
    m = q.size
    if m:
        order = np.argsort(q)
        ranked = q[order] * m / np.arange(1, m + 1)
        adj = np.minimum.accumulate(ranked[::-1])[::-1]
        res = np.empty(m)
        res[order] = np.minimum(adj, 1.0)
        out[ok] = res
    return out.reshape(shape)


def benjamini_hochberg_levels(pvalues: Iterable[float], alpha: float = 0.05) -> np.ndarray:
    """The unadjusted level each test must reach to be rejected by Benjamini-Hochberg at ``alpha``.

    For test ``i``: ``alpha * R_i / m`` where ``m`` counts the non-NaN p values and ``R_i``
    is the number of rejections of the procedure when test ``i`` itself rejects (its p value
    set to 0, the others as they are). Test ``i`` has an adjusted p below ``alpha`` exactly
    when ``p_i <= alpha R_i / m``, so a power or minimum detectable effect computed at this
    level is the one the adjusted verdict keeps. NaN where the p value is NaN.
    """
    _check_alpha(alpha)
    p = np.asarray(list(pvalues) if not isinstance(pvalues, np.ndarray) else pvalues, dtype=float).ravel()
    ok = np.flatnonzero(~np.isnan(p))
    out = np.full(p.shape, np.nan)
    m = ok.size
    for i in ok:
        q = p[ok].copy()
        q[ok == i] = 0.0
        out[i] = alpha * int((benjamini_hochberg(q) <= alpha).sum()) / m
    return out
