"""Key-driver analysis: which touchpoints move overall satisfaction or NPS.

Two decompositions of the R^2 of a linear model of the outcome on the touchpoint
ratings, both computed from the correlation matrix so that respondents who rated
only some touchpoints still count (pairwise-complete correlations):

* :func:`relative_weights` (Johnson 2000, Multivariate Behavioral Research 35:1):
  the drivers are replaced by their closest orthogonal counterparts
  ``Z = X R^{-1/2}``; the weight of driver *j* is ``sum_k lambda_jk^2 beta_k^2``
  with ``Lambda = R^{1/2}`` and ``beta = R^{-1/2} r_xy``. The weights sum to R^2.
* :func:`shapley_r2` (LMG, Lindeman, Merenda & Gold 1980; Shapley value of R^2):
  the average gain in R^2 when a driver joins, over all orders of entry. Exact
  over all subsets up to :data:`EXACT_MAX_DRIVERS` drivers; beyond that a seeded
  sample of orders, with a Monte Carlo standard error per driver.

:func:`key_drivers` adds seeded bootstrap percentile intervals to both and keeps
the bootstrap draws for the rank stability of the priority list.
Nearly collinear drivers raise a :class:`CollinearityWarning` (no error): their
shared importance is split between them and should be read together.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from helpers import stats
from helpers.errors import DataError

EXACT_MAX_DRIVERS = 12
VIF_WARN = 10.0
CORR_WARN = 0.95
RIDGE = 1e-10
CACHE_BYTES = 160_000_000


class PrioritiseWarning(UserWarning):
    """Something in the data weakens a prioritisation result; the result is still computed."""


class CollinearityWarning(PrioritiseWarning):
    """Two or more drivers carry nearly the same information."""


# ---------------------------------------------------------------------------
# Correlations
# ---------------------------------------------------------------------------

def pairwise_corr(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlations of the columns of ``values`` over pairwise-complete rows.

    Returns ``(R, n)`` where ``n[i, j]`` counts rows with both columns present.
    The same numbers as ``pandas.DataFrame.corr()`` (which is pairwise too), vectorised.
    """
    x = np.asarray(values, dtype=float)
    m = ~np.isnan(x)
    mf = m.astype(float)
    x0 = np.where(m, x, 0.0)
    n = mf.T @ mf
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = x0.T @ mf            # sx[i, j] = sum of x_i over rows where j is present (and i)
        sxx = (x0 ** 2).T @ mf
        sxy = x0.T @ x0
        mean_i = sx / n
        mean_j = sx.T / n
        cov = sxy / n - mean_i * mean_j
        var_i = sxx / n - mean_i ** 2
        var_j = sxx.T / n - mean_j ** 2
        r = cov / np.sqrt(var_i * var_j)
    r = np.clip(r, -1.0, 1.0)
    np.fill_diagonal(r, np.where(np.diag(n) > 1, 1.0, np.nan))
    return r, n


def bootstrap_corr(values: np.ndarray, n_boot: int, rng, chunk: int = 100, block: int = 4000):
    """Pairwise-complete correlation matrices of ``n_boot`` bootstrap resamples of the rows.

    A resample is a vector of multinomial row counts, so every sum in
    :func:`pairwise_corr` becomes a weighted sum: the sums of a chunk of resamples
    are one matrix product of the counts with the per-row products (built in
    blocks of rows to bound memory). Columns are centred first for accuracy.
    """
    x = np.asarray(values, dtype=float)
    n, p = x.shape
    x = x - np.nanmean(x, axis=0)
    m = ~np.isnan(x)
    mf = m.astype(float)
    x0 = np.where(m, x, 0.0)

    def per_row(lo: int, hi: int) -> np.ndarray:
        a, f = x0[lo:hi], mf[lo:hi]
        parts = [(u[:, :, None] * v[:, None, :]).reshape(hi - lo, p * p)
                 for u, v in ((f, f), (a, f), (a * a, f), (a, a))]
        return np.hstack(parts)

    starts = list(range(0, n, block))
    keep = n * 4 * p * p * 8 <= CACHE_BYTES  # build the per-row products once when they fit
    cache = [per_row(lo, min(n, lo + block)) for lo in starts] if keep else None
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)
        sums = np.zeros((size, 4 * p * p))
        for k, lo in enumerate(starts):
            hi = min(n, lo + block)
            sums += w[:, lo:hi] @ (cache[k] if keep else per_row(lo, hi))
        for cnt, sx, sxx, sxy in sums.reshape(size, 4, p, p):
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_i, mean_j = sx / cnt, sx.T / cnt
                cov = sxy / cnt - mean_i * mean_j
                var_i = sxx / cnt - mean_i ** 2
                var_j = sxx.T / cnt - mean_j ** 2
                r = np.clip(cov / np.sqrt(var_i * var_j), -1.0, 1.0)
            np.fill_diagonal(r, np.where(np.diag(cnt) > 1, 1.0, np.nan))
            yield r
        done += size


def _nearest_correlation(r: np.ndarray) -> tuple[np.ndarray, bool]:
    """Clip negative eigenvalues (pairwise matrices need not be positive semi-definite)."""
    e, q = np.linalg.eigh(r)
    if e.min() >= -1e-10:
        return r, False
    e = np.clip(e, 0.0, None)
    fixed = q @ np.diag(e) @ q.T
    d = np.sqrt(np.clip(np.diag(fixed), 1e-12, None))
    fixed = fixed / np.outer(d, d)
    return (fixed + fixed.T) / 2, True


def _check_inputs(df: pd.DataFrame, target: str, drivers) -> list[str]:
    drivers = list(drivers)
    missing = [c for c in [target, *drivers] if c not in df.columns]
    if missing:
        raise DataError(f"columns {missing} are not in the table", hint=f"columns are {list(df.columns)}")
    if not drivers:
        raise DataError("no drivers given", hint="name at least one driver column")
    if target in drivers:
        raise DataError(f"'{target}' is both the outcome and a driver", hint="remove it from the drivers")
    for c in [target, *drivers]:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise DataError(f"column '{c}' must hold numbers", column=c, hint="ratings must be numeric")
    return drivers


def _corr_parts(df: pd.DataFrame, target: str, drivers: list[str]):
    arr = df[[target, *drivers]].to_numpy(dtype=float)
    r, n = pairwise_corr(arr)
    bad = [c for c, ok in zip([target, *drivers], np.isfinite(np.diag(r))) if not ok]
    const = [c for i, c in enumerate([target, *drivers]) if np.nanstd(arr[:, i]) == 0]
    if bad or const:
        raise DataError(f"columns {sorted(set(bad) | set(const))} have fewer than two values or do not vary",
                        hint="drop drivers without variation or with almost no ratings")
    if np.isnan(r).any():
        i, j = np.argwhere(np.isnan(r))[0]
        names = [target, *drivers]
        raise DataError(f"'{names[i]}' and '{names[j]}' are never rated together (or do not vary where they are)",
                        hint="analyse them separately or drop one")
    r, fixed = _nearest_correlation(r)
    if fixed:
        warnings.warn("pairwise-complete correlations were not consistent (too many missing ratings); "
                      "the nearest valid correlation matrix was used", PrioritiseWarning, stacklevel=3)
    n_obs = int(np.sum(~np.isnan(arr[:, 0]) & ~np.all(np.isnan(arr[:, 1:]), axis=1)))
    return r[1:, 1:], r[1:, 0], n_obs


def collinearity(rxx: np.ndarray, names: list[str]) -> str | None:
    """A sentence describing near-collinear drivers, or None. Uses the largest
    pairwise correlation and the variance inflation factors ``diag(R^-1)``."""
    p = len(names)
    if p < 2:
        return None
    e = np.linalg.eigvalsh(rxx)
    vif = np.full(p, np.inf) if e.min() < 1e-10 else np.diag(np.linalg.inv(rxx))
    off = np.abs(rxx - np.eye(p))
    i, j = np.unravel_index(np.argmax(off), off.shape)
    if off[i, j] >= CORR_WARN:
        return (f"drivers '{names[i]}' and '{names[j]}' are nearly collinear (r = {rxx[i, j]:.2f}); "
                "their shared importance is split between them, so read them together")
    if np.max(vif) > VIF_WARN:
        worst = [names[k] for k in np.argsort(-vif) if vif[k] > VIF_WARN]
        return (f"drivers {', '.join(repr(w) for w in worst)} are nearly collinear with the others "
                f"(variance inflation factor above {VIF_WARN:g}); their importance is uncertain")
    return None


# ---------------------------------------------------------------------------
# Relative weights and Shapley R^2 from a correlation matrix
# ---------------------------------------------------------------------------

def _rw(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    e, q = np.linalg.eigh(rxx)
    e = np.clip(e, 0.0, None)
    root = np.sqrt(e)
    inv_root = np.where(root > 1e-8 * max(root.max(), 1e-300), 1.0 / np.where(root > 0, root, 1.0), 0.0)
    lam = q @ np.diag(root) @ q.T            # R^{1/2}: correlations of X with the orthogonal Z
    beta = q @ np.diag(inv_root) @ q.T @ rxy  # regression of y on Z
    return (lam ** 2) @ (beta ** 2)


def _subset_r2(rxx: np.ndarray, rxy: np.ndarray, subsets: np.ndarray) -> np.ndarray:
    """R^2 of y on each subset (rows of column indices, all the same size), batched."""
    if subsets.shape[1] == 0:
        return np.zeros(len(subsets))
    a = rxx[subsets[:, :, None], subsets[:, None, :]]
    b = rxy[subsets]
    # a tiny ridge keeps exactly collinear subsets solvable; r_S lies in the range of R_SS,
    # so b'(A + eps I)^-1 b tends to the pseudo-inverse value b'A^+b
    k = subsets.shape[1]
    try:
        sol = np.linalg.solve(a + RIDGE * np.eye(k), b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        sol = np.einsum("mij,mj->mi", np.linalg.pinv(a, rcond=1e-10, hermitian=True), b)
    return np.einsum("mi,mi->m", b, sol)


def _all_subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R^2 of every subset, indexed by bit mask (bit j set: driver j included)."""
    p = len(rxy)
    v = np.zeros(1 << p)
    for k in range(1, p + 1):
        subsets = np.array(list(combinations(range(p), k)), dtype=int)
        masks = (1 << subsets).sum(axis=1)
        v[masks] = _subset_r2(rxx, rxy, subsets)
    return v


def _shapley_exact(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    p = len(rxy)
    v = _all_subset_r2(rxx, rxy)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in range(1 << p)])
    w = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    phi = np.zeros(p)
    for j in range(p):
        without = masks[(masks & (1 << j)) == 0]
        phi[j] = np.sum(w[sizes[without]] * (v[without | (1 << j)] - v[without]))
    return phi


def _shapley_sampled(rxx: np.ndarray, rxy: np.ndarray, n_perm: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values from ``n_perm`` random orders of entry; returns (values, Monte Carlo se)."""
    p = len(rxy)
    perms = np.argsort(rng.random((n_perm, p)), axis=1)
    prev = np.zeros(n_perm)
    gains = np.zeros((n_perm, p))
    for k in range(1, p + 1):
        cur = _subset_r2(rxx, rxy, np.sort(perms[:, :k], axis=1))
        gains[np.arange(n_perm), perms[:, k - 1]] = cur - prev
        prev = cur
    return gains.mean(axis=0), gains.std(axis=0, ddof=1) / math.sqrt(n_perm)


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Importance:
    """Importance of each driver as its part of R^2.

    ``weights`` (index: driver) sum to ``r2``; ``shares`` are the weights divided by
    R^2 (they sum to 1). ``se`` holds the Monte Carlo standard error of sampled
    Shapley values (zero when exact; absent for relative weights).
    """

    method: str
    target: str
    weights: pd.Series
    r2: float
    n: int
    exact: bool = True
    se: pd.Series | None = None
    warning: str | None = None

    @property
    def shares(self) -> pd.Series:
        return self.weights / self.r2 if self.r2 > 0 else self.weights * np.nan

    def to_frame(self) -> pd.DataFrame:
        out = pd.DataFrame({"driver": self.weights.index, "weight": self.weights.to_numpy(),
                            "share": self.shares.to_numpy()})
        if self.se is not None:
            out["se"] = self.se.to_numpy()
        out["rank"] = out["weight"].rank(ascending=False, method="min").astype(int)
        return out


def _prepare(df, target, drivers, warn: bool = True):
    drivers = _check_inputs(df, target, drivers)
    rxx, rxy, n = _corr_parts(df, target, drivers)
    note = collinearity(rxx, drivers)
    if note and warn:
        warnings.warn(note, CollinearityWarning, stacklevel=3)
    return drivers, rxx, rxy, n, note


def relative_weights(df: pd.DataFrame, target: str, drivers) -> Importance:
    """Johnson's (2000) relative weights of ``drivers`` for ``target``.

    Missing ratings are allowed: correlations use pairwise-complete rows. The
    weights are non-negative and sum to the model R^2 (``.r2``).
    """
    drivers, rxx, rxy, n, note = _prepare(df, target, drivers)
    eps = _rw(rxx, rxy)
    return Importance("relative weights", target, pd.Series(eps, index=drivers, name="weight"),
                      float(eps.sum()), n, warning=note)


def shapley_r2(df: pd.DataFrame, target: str, drivers, *, n_perm: int = 2000, seed: int = 20260701,
               exact_max: int = EXACT_MAX_DRIVERS) -> Importance:
    """Shapley decomposition of R^2 (LMG): exact for up to ``exact_max`` drivers,
    else estimated from ``n_perm`` seeded random orders with a standard error."""
    drivers, rxx, rxy, n, note = _prepare(df, target, drivers)
    r2 = float(_subset_r2(rxx, rxy, np.arange(len(drivers))[None, :])[0])
    if len(drivers) <= exact_max:
        phi = _shapley_exact(rxx, rxy)
        return Importance("Shapley R2", target, pd.Series(phi, index=drivers, name="weight"), r2, n,
                          True, pd.Series(0.0, index=drivers), note)
    phi, se = _shapley_sampled(rxx, rxy, n_perm, np.random.default_rng(seed))
    return Importance("Shapley R2", target, pd.Series(phi, index=drivers, name="weight"), r2, n,
                      False, pd.Series(se, index=drivers), note)


@dataclass(frozen=True)
class KeyDrivers:
    """Both importance measures with bootstrap intervals.

    ``table``: one row per driver (relative weight and Shapley value as shares of
    R^2, their percentile intervals, rank and how often the driver was in the top
    three across resamples). ``draws``: bootstrap relative-weight shares (rows:
    resamples, columns: drivers), reused for the rank stability of the priority list.
    """

    target: str
    table: pd.DataFrame
    r2: float
    n: int
    n_boot: int
    draws: pd.DataFrame
    warning: str | None = None
    dropped: tuple = field(default_factory=tuple)


def key_drivers(df: pd.DataFrame, target: str, drivers, *, n_boot: int = 200, seed: int = 20260701,
                level: float = 0.95, shapley: bool = True, n_perm: int = 300) -> KeyDrivers:
    """Relative weights and Shapley R^2 shares of each driver with seeded bootstrap
    percentile intervals (``n_boot`` resamples of respondents)."""
    drivers = _check_inputs(df, target, drivers)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rw = relative_weights(df, target, drivers)
        sh = shapley_r2(df, target, drivers, n_perm=n_perm, seed=seed) if shapley else None
    for w in caught:  # re-issue once, from here
        if issubclass(w.category, PrioritiseWarning):
            warnings.warn(str(w.message), w.category, stacklevel=2)
    arr = df[[target, *drivers]].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    p = len(drivers)
    rw_draws = np.full((n_boot, p), np.nan)
    sh_draws = np.full((n_boot, p), np.nan)
    exact = p <= EXACT_MAX_DRIVERS
    for b, r in enumerate(bootstrap_corr(arr, n_boot, rng)):
        if not np.isfinite(r).all():
            continue
        r, _ = _nearest_correlation(r)
        rxx, rxy = r[1:, 1:], r[1:, 0]
        eps = _rw(rxx, rxy)
        if eps.sum() > 0:
            rw_draws[b] = eps / eps.sum()
        if shapley:
            phi = _shapley_exact(rxx, rxy) if exact else _shapley_sampled(rxx, rxy, max(50, n_perm // 4), rng)[0]
            if phi.sum() > 0:
                sh_draws[b] = phi / phi.sum()
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    table = pd.DataFrame({"driver": drivers, "relative_weight": rw.shares.to_numpy(),
                          "rw_ci_low": np.nanquantile(rw_draws, lo, axis=0),
                          "rw_ci_high": np.nanquantile(rw_draws, hi, axis=0)})
    if shapley:
        table["shapley"] = sh.shares.to_numpy()
        table["shapley_ci_low"] = np.nanquantile(sh_draws, lo, axis=0)
        table["shapley_ci_high"] = np.nanquantile(sh_draws, hi, axis=0)
    table["rank"] = table["relative_weight"].rank(ascending=False, method="min").astype(int)
    ok = ~np.isnan(rw_draws).any(axis=1)
    ranks = (-rw_draws[ok]).argsort(axis=1).argsort(axis=1)
    table["top3_share"] = (ranks < 3).mean(axis=0) if ok.any() else np.nan
    table = table.sort_values(["rank", "driver"]).reset_index(drop=True)
    draws = pd.DataFrame(rw_draws[ok], columns=drivers)
    return KeyDrivers(target, table, rw.r2, rw.n, int(ok.sum()), draws, rw.warning)


# ---------------------------------------------------------------------------
# From feedback to a key-driver dataset, and touchpoint performance
# ---------------------------------------------------------------------------

def driver_dataset(feedback: pd.DataFrame, outcome: str = "nps", *, start=None, end=None,
                   min_ratings: int = 30) -> tuple[pd.DataFrame, list[str], list[str]]:
    """One row per relationship survey (``survey_id``): the overall ``outcome`` (nps or
    csat from the row without touchpoint) and the CSAT of each touchpoint rated.

    Returns ``(frame, drivers, dropped)``: drivers are touchpoints with at least
    ``min_ratings`` ratings among surveys that have the outcome; ``dropped`` the others.
    ``start``/``end`` (naive UTC, end exclusive) filter on the survey timestamps.
    """
    if outcome not in ("nps", "csat"):
        raise DataError(f"unknown overall outcome '{outcome}'", hint="set survey_overall to nps or csat in client.yml")
    need = {"touchpoint_id", "csat", outcome, "ts"}
    if "survey_id" not in feedback.columns or not need <= set(feedback.columns):
        raise DataError("the feedback table has no relationship survey (column survey_id with one overall row per "
                        "survey and one row per rated touchpoint)",
                        hint="add the relationship survey export to client.yml sources (table: feedback)")
    fb = feedback[feedback["survey_id"].notna()]
    if start is not None:
        fb = fb[(fb["ts"] >= pd.Timestamp(start)) & (fb["ts"] < pd.Timestamp(end))]
    overall = fb[fb["touchpoint_id"].isna()].groupby("survey_id")[outcome].mean().dropna()
    rated = fb[fb["touchpoint_id"].notna() & fb["csat"].notna()]
    wide = rated.pivot_table(index="survey_id", columns="touchpoint_id", values="csat", aggfunc="mean")
    frame = wide.reindex(overall.index)
    frame.insert(0, outcome, overall)
    frame.columns.name = None
    counts = frame.drop(columns=[outcome]).notna().sum()
    drivers = [c for c in counts.index if counts[c] >= min_ratings and frame[c].nunique() > 1]
    dropped = [c for c in counts.index if c not in drivers]
    return frame[[outcome, *drivers]].astype(float), drivers, dropped


def touchpoint_performance(feedback: pd.DataFrame, *, start=None, end=None) -> pd.DataFrame:
    """Current performance per touchpoint: mean CSAT (1-5, as the feedback schema holds it) with a t interval
    and the top-2-box share (CSAT >= 4) with a Wilson interval, from all feedback rows
    about a touchpoint in ``[start, end)``. ``feedback`` is the survey answers or their daily statistics
    (:func:`helpers.analyse.feedback_daily`: the answers stay in the engine)."""
    from helpers.analyse.compute import csat_moments, feedback_stats, rollup_stats

    cols = ["touchpoint_id", "csat", "csat_ci_low", "csat_ci_high", "ratings", "top2box",
            "top2box_ci_low", "top2box_ci_high"]
    summarised = "csat_sumsq" in feedback.columns
    ts = "day" if summarised else "ts"
    fb = feedback[feedback["touchpoint_id"].notna()]
    if start is not None:
        fb = fb[(fb[ts] >= pd.Timestamp(start)) & (fb[ts] < pd.Timestamp(end))]
    if not summarised:
        fb = fb[fb["csat"].notna()]
    agg = rollup_stats(fb, ["touchpoint_id"]) if summarised else feedback_stats(fb, ["touchpoint_id"])
    agg = agg[agg["csat_n"] > 0] if len(agg) else agg
    if agg.empty:
        return pd.DataFrame(columns=cols)
    n, mean, var = csat_moments(agg)
    agg = agg.assign(ratings=n.astype("int64"), top=agg["top2"])
    est = [stats.mean_ci_from_stats(m, s, k) for m, s, k in zip(mean, np.sqrt(var), n)]
    agg["csat"] = [e.value for e in est]
    agg["csat_ci_low"] = [e.ci_low for e in est]
    agg["csat_ci_high"] = [e.ci_high for e in est]
    agg = stats.proportion_ci_frame(agg, "top", "ratings", name="top2box")
    return agg[cols].reset_index(drop=True)
