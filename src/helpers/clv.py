"""Customer value: RFM summary, BG/NBD and Gamma-Gamma by maximum likelihood, CLV.

The models are those of Fader, Hardie & Lee:

* BG/NBD, "Counting your customers the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24 (2005) 275-284: while alive a
  customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
  each purchase the customer drops out with probability p ~ Beta(a, b).
* Gamma-Gamma, "RFM and CLV: using iso-value curves for customer base
  analysis", J. Marketing Research 42 (2005) 415-430, and Fader & Hardie, "The
  Gamma-Gamma model of monetary value" (2013): the spend per transaction is
  Gamma(p, nu) with nu ~ Gamma(q, gamma), independent of the purchase process.

Conventions follow the ``lifetimes`` package so results are comparable:
``frequency`` counts *repeat* purchase periods, ``recency`` is the age of the
customer at the last purchase and ``T`` the age at the end of observation, all
in the same time unit (weeks by default); ``monetary_value`` is the mean value
of the repeat purchases.

The fitted models are plain frozen objects (:class:`BGNBDFit`,
:class:`GammaGammaFit`). :func:`clv` only needs an object with
``expected_purchases(t, frequency, recency, T)`` and one with
``conditional_expected_average_profit(frequency, monetary_value)`` (the
:class:`PurchaseModel` and :class:`SpendModel` protocols), so another fitter can
replace these without touching the callers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import integrate, optimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

from helpers.errors import DataError

__all__ = [
    "PERIODS_PER_MONTH",
    "PurchaseModel",
    "SpendModel",
    "BGNBDFit",
    "GammaGammaFit",
    "rfm_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "clv",
]

#: Time units per month, as in lifetimes' ``customer_lifetime_value``.
PERIODS_PER_MONTH = {"D": 30.0, "W": 4.345, "M": 1.0}

SUMMARY_COLUMNS = ("frequency", "recency", "T")

#: Smallest data the fits accept: below this the likelihood is too flat to identify the parameters.
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 5


# ---------------------------------------------------------------------------
# Interfaces
# ---------------------------------------------------------------------------


@runtime_checkable
class PurchaseModel(Protocol):
    """What :func:`clv` needs from a purchase-count model."""

    def expected_purchases(self, t, frequency, recency, T): ...  # noqa: E704

    def prob_alive(self, frequency, recency, T): ...  # noqa: E704


@runtime_checkable
class SpendModel(Protocol):
    """What :func:`clv` needs from a spend-per-purchase model."""

    def conditional_expected_average_profit(self, frequency, monetary_value): ...  # noqa: E704


# ---------------------------------------------------------------------------
# Data preparation
# ---------------------------------------------------------------------------


def rfm_summary(
    orders_df: pd.DataFrame,
    customer_col: str = "customer_id",
    ts_col: str = "ts",
    revenue_col: str | None = "revenue",
    observation_end=None,
    freq: str = "W",
) -> pd.DataFrame:
    """Per-customer ``frequency, recency, T, monetary_value`` from an order table.

    Orders are bucketed into periods of ``freq`` ("D", "W" or "M"); several
    orders in one period count as one purchase whose value is their sum.
    ``frequency`` is the number of purchase periods after the first one,
    ``recency`` the number of periods from the first to the last purchase, ``T``
    the number of periods from the first purchase to ``observation_end``, and
    ``monetary_value`` the mean value of the repeat purchases (0 without repeat
    purchases). Orders after ``observation_end`` are ignored; by default it is
    the last order date. The index is the customer id, sorted.
    """
    if freq not in PERIODS_PER_MONTH:
        raise DataError(f"unknown time unit {freq!r}", hint="use 'D' (days), 'W' (weeks) or 'M' (months)")
    needed = [customer_col, ts_col] + ([revenue_col] if revenue_col else [])
    missing = [c for c in needed if c not in orders_df.columns]
    if missing:
        raise DataError(
            f"order table lacks column(s) {missing}",
            column=missing[0],
            hint=f"pass the column names; the table has {list(orders_df.columns)}",
        )
    ts = pd.to_datetime(orders_df[ts_col], errors="coerce")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    if ts.isna().any():
        raise DataError(
            f"{int(ts.isna().sum())} order(s) have no valid timestamp in '{ts_col}'",
            column=ts_col,
            hint="drop or repair those rows before the summary",
        )
    if observation_end is None:
        end = ts.max() if len(ts) else pd.Timestamp("1970-01-01")
    else:
        end = pd.Timestamp(observation_end)
        if end.tzinfo is not None:
            end = end.tz_convert("UTC").tz_localize(None)
    work = pd.DataFrame(
        {
            "customer": orders_df[customer_col].to_numpy(),
            "ts": ts.to_numpy(),
            "value": pd.to_numeric(orders_df[revenue_col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
            if revenue_col
            else 0.0,
        }
    )
    work = work[work["ts"] <= end]
    out_cols = ["frequency", "recency", "T", "monetary_value"]
    if work.empty:
        return pd.DataFrame(columns=out_cols, index=pd.Index([], name=customer_col), dtype=float)
    period = pd.PeriodIndex(work["ts"], freq=freq)
    work["period"] = period.asi8 if hasattr(period, "asi8") else np.asarray([p.ordinal for p in period])
    end_ordinal = pd.Period(end, freq=freq).ordinal
    per = work.groupby(["customer", "period"], sort=True)["value"].sum().reset_index()
    g = per.groupby("customer", sort=True)
    first = g["period"].min()
    last = g["period"].max()
    count = g["period"].size()
    total = g["value"].sum()
    first_value = per.loc[g["period"].idxmin(), ["customer", "value"]].set_index("customer")["value"]
    frequency = (count - 1).astype(float)
    repeat_value = total - first_value
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_value / frequency.where(frequency > 0, 1.0), 0.0)
    out = pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).astype(float),
            "T": (end_ordinal - first).astype(float),
            "monetary_value": monetary,
        }
    )
    out.index.name = customer_col
    return out


def _summary_arrays(summary: pd.DataFrame, cols=SUMMARY_COLUMNS) -> list[np.ndarray]:
    missing = [c for c in cols if c not in summary.columns]
    if missing:
        raise DataError(
            f"customer summary lacks column(s) {missing}",
            column=missing[0],
            hint="build it with helpers.clv.rfm_summary (columns frequency, recency, T, monetary_value)",
        )
    arrays = [pd.to_numeric(summary[c], errors="coerce").to_numpy(dtype=float) for c in cols]
    for c, a in zip(cols, arrays):
        if np.isnan(a).any() or (a < 0).any():
            raise DataError(f"column '{c}' of the customer summary has missing or negative values", column=c)
    return arrays


# ---------------------------------------------------------------------------
# BG/NBD
# ---------------------------------------------------------------------------


def _bgnbd_loglik_terms(r, alpha, a, b, x, tx, T):
    """Per-customer log-likelihood of BG/NBD (Fader, Hardie & Lee 2005, eq. 6)."""
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    has = x > 0
    # betaln(a+1, b+x-1) is only defined (and only needed) for x > 0
    a3 = np.where(
        has,
        betaln(a + 1.0, b + np.where(has, x, 1.0) - 1.0) - betaln(a, b) - (r + x) * np.log(alpha + tx),
        -np.inf,
    )
    return a1 + np.logaddexp(a2, a3)


def _bgnbd_loglik_grad(r, alpha, a, b, x, tx, T):
    """Per-customer log-likelihood and its gradient in (r, alpha, a, b), shape (4, n)."""
    has = x > 0
    xs = np.where(has, x, 1.0)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    a3 = np.where(has, betaln(a + 1.0, b + xs - 1.0) - betaln(a, b) - (r + x) * np.log(alpha + tx), -np.inf)
    lse = np.logaddexp(a2, a3)
    w2, w3 = np.exp(a2 - lse), np.exp(a3 - lse)  # shares of the two likelihood parts
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + x)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w2 * np.log(alpha + T) - w3 * np.log(alpha + tx)
    d_alpha = r / alpha - w2 * (r + x) / (alpha + T) - w3 * (r + x) / (alpha + tx)
    d_a = w2 * (psi_ab - psi_abx) + w3 * (digamma(a + 1.0) - digamma(a) + psi_ab - psi_abx)
    d_b = w2 * (digamma(b + x) - digamma(b) + psi_ab - psi_abx) + w3 * np.where(
        has, digamma(b + xs - 1.0) - digamma(b) + psi_ab - psi_abx, 0.0
    )
    return a1 + lse, np.vstack([d_r, d_alpha, d_a, d_b])


@dataclass(frozen=True)
class BGNBDFit:
    """Fitted BG/NBD model. Time is in the unit of the summary it was fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    n: int
    converged: bool = True
    freq: str = "W"
    note: str = ""

    @property
    def params(self) -> dict:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def loglik_terms(self, frequency, recency, T) -> np.ndarray:
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        return _bgnbd_loglik_terms(self.r, self.alpha, self.a, self.b, x, tx, T)

    def _odds_dead(self, x, tx, T):
        """(a / (b + x - 1)) ((alpha + T) / (alpha + t_x))^(r + x) for x > 0, else 0."""
        has = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds = (
                np.log(self.a)
                - np.log(self.b + np.where(has, x, 1.0) - 1.0)
                + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + tx))
            )
        return np.where(has, np.exp(log_odds), 0.0)

    def prob_alive(self, frequency, recency, T):
        """P(customer still active | x, t_x, T) (FHL 2005, eq. 11 / the 2008 note)."""
        x, tx, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
        return 1.0 / (1.0 + self._odds_dead(x, tx, T))

    def expected_purchases(self, t, frequency, recency, T):
        """E[purchases in (T, T + t] | x, t_x, T], the conditional expectation (FHL 2005, eq. 10).

        For many customers the formula is evaluated once per distinct (x, t_x, T).
        """
        t = np.asarray(t, dtype=float)
        x, tx, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (frequency, recency, T)))
        if t.ndim == 0 and x.size > 2048:
            (ux, utx, uT), inverse = _distinct(x.ravel(), tx.ravel(), T.ravel())
            values = self._expected(t, ux, utx, uT)
            return values[inverse].reshape(x.shape)
        return self._expected(t, x, tx, T)

    def _expected(self, t, x, tx, T):
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        t, x, T = np.broadcast_arrays(np.asarray(t, dtype=float), x, T)

        def f(a):
            z = t / (alpha + T + t)
            hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, z)
            head = (a + b + x - 1.0) / (a - 1.0)
            body = 1.0 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp
            return head * body

        with np.errstate(all="ignore"):
            closed = _near_one(a, f)
        # closed = E[g(p)] for p ~ Beta(a, b + x): the expectation of a purchasing customer
        value = _checked(closed, r + x, alpha + T, t, a, b + x)
        return value / (1.0 + self._odds_dead(x, tx, T))

    def expected_purchases_new_customer(self, t):
        """E[X(t)] for a randomly chosen new customer over a span t (FHL 2005, eq. 9)."""
        t = np.asarray(t, dtype=float)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b

        def f(a):
            hyp = hyp2f1(r, b, a + b - 1.0, t / (alpha + t))
            return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp)

        with np.errstate(all="ignore"):
            closed = _near_one(a, f)
        return _checked(closed, r, alpha, t, a, b)


_A_EPS = 1e-5


def _near_one(a: float, f):
    """f(a) for the BG/NBD expectations, whose formulas have a removable 0/0 at a = 1.

    Within ``_A_EPS`` of 1 the value is the average of f(1 - eps) and f(1 + eps)
    (the function is smooth in a, so the error is of order eps^2).
    """
    if abs(a - 1.0) < _A_EPS:
        return 0.5 * (f(1.0 - _A_EPS) + f(1.0 + _A_EPS))
    return f(a)


def _g_mean_by_quadrature(k: float, s: float, t: float, a: float, b: float) -> float:
    """E[(1 - (s / (s + p t))^k) / p] for p ~ Beta(a, b), by adaptive quadrature.

    This is the model's definition with lambda integrated out in closed form
    (elementary functions only), so it does not depend on 2F1.
    """
    if t <= 0:
        return 0.0
    c = t / s

    def g(p):
        if p == 0.0:
            return k * c
        return -math.expm1(-k * math.log1p(p * c)) / p

    val = integrate.quad(g, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b - 1.0), epsabs=0.0, epsrel=1e-11,
                         limit=200)[0]
    return val / math.exp(betaln(a, b))


def _checked(closed, k, s, t, a, b):
    """The closed-form E[g(p)], p ~ Beta(a, b), replaced by quadrature where it is not credible.

    g(p) = (1 - (s / (s + p t))^k) / p lies in [0, k t / s], so any value
    outside that range (or NaN/inf) is a numerical failure of 2F1 or of the
    (a - 1) cancellation: e.g. c = a + b - 1 at or near a non-positive integer
    (x = 0 with a + b = 1 gives 0/0), or large parameters with z close to 1.
    Those entries are recomputed from the model's definition.
    """
    closed = np.asarray(closed, dtype=float)
    k, s, t, b = np.broadcast_arrays(np.asarray(k, float), np.asarray(s, float), np.asarray(t, float),
                                     np.asarray(b, float))
    closed = np.broadcast_to(closed, k.shape)
    upper = k * t / s
    c = a + b - 1.0
    near_pole = (c <= 0.5) & (np.abs(c - np.round(c)) < 1e-6)
    bad = ~np.isfinite(closed) | (closed < 0) | (closed > upper * (1 + 1e-9) + 1e-300) | near_pole
    if not bad.any():
        return closed.copy() if closed.ndim else float(closed)
    out = np.array(closed, dtype=float)
    for idx in zip(*np.nonzero(bad)) if out.ndim else [()]:
        out[idx] = _g_mean_by_quadrature(float(k[idx]), float(s[idx]), float(t[idx]), a, float(b[idx]))
    return out if out.ndim else float(out)


def _distinct(*cols: np.ndarray, sort: bool = False):
    """The distinct rows of the columns ``cols`` (one array per column) and, for each input row, the
    index of its distinct row. A hash group-by (pandas): ``np.unique(..., axis=0)`` sorts the rows as
    byte strings, which takes seconds for millions of customers. With ``sort`` the distinct rows are
    in lexicographic order, as ``np.unique`` gives them."""
    frame = pd.DataFrame({i: c for i, c in enumerate(cols)})
    grouped = frame.groupby(list(frame.columns), sort=sort)
    inverse = grouped.ngroup().to_numpy()
    first = np.zeros(grouped.ngroups, dtype=np.int64)
    first[inverse] = np.arange(len(inverse))  # any row of a group stands for it: they are equal
    return [np.asarray(c)[first] for c in cols], inverse


def _aggregate(*cols: np.ndarray):
    """Unique rows (in lexicographic order) and their counts: the likelihood only depends on (x, t_x, T)."""
    uniq, inverse = _distinct(*cols, sort=True)
    counts = np.bincount(inverse, minlength=len(uniq[0]) if len(cols) else 0)
    return uniq, counts.astype(float)


LOG_BOUND = 20.0  # parameters are kept within exp(-20) .. exp(20)
#: BG/NBD parameters are kept within exp(-10) .. exp(10) (4.5e-5 .. 2.2e4): beyond that the
#: likelihood is flat towards a limiting model (no drop-out, no rate heterogeneity) and the
#: estimates carry no information, so the fit is reported as not converged instead.
BGNBD_LOG_BOUND = 10.0


def _maximise(neg_ll, x0: np.ndarray, log_bound: float = LOG_BOUND):
    """Minimise a negative log-likelihood in log-parameters; Nelder-Mead polish if L-BFGS-B stalls.

    ``neg_ll(theta)`` returns the value and its gradient in theta.

    Returns the optimiser result and whether it converged to an interior point
    (a parameter on the +/- ``log_bound`` edge means the likelihood keeps rising
    towards a limiting model, which the caller reports as not converged).
    """
    bounds = [(-log_bound, log_bound)] * len(x0)
    with np.errstate(all="ignore"):
        res = optimize.minimize(neg_ll, x0, method="L-BFGS-B", jac=True, bounds=bounds)
        if not res.success or not np.isfinite(res.fun):
            start = np.clip(res.x, -log_bound, log_bound) if np.all(np.isfinite(res.x)) else x0
            res2 = optimize.minimize(lambda th: neg_ll(th)[0], start, method="Nelder-Mead", bounds=bounds,
                                     options={"maxiter": 20_000, "xatol": 1e-10, "fatol": 1e-12})
            if np.isfinite(res2.fun) and (not np.isfinite(res.fun) or res2.fun <= res.fun):
                res = res2
    interior = bool(np.all(np.abs(res.x) < log_bound - 1e-6))
    return res, bool(res.success) and interior


def fit_bgnbd(
    summary: pd.DataFrame, penalizer: float = 0.0, initial: tuple[float, float, float, float] | None = None,
    freq: str = "W",
) -> BGNBDFit:
    """Fit BG/NBD by maximum likelihood on a customer summary (``frequency, recency, T``).

    Parameters are optimised on the log scale (all four are positive) with
    ``scipy.optimize``; the log-likelihood uses ``gammaln``/``betaln`` and a
    log-sum-exp, so it stays finite for large counts. ``penalizer`` adds
    ``penalizer * sum(params^2)`` to the negative log-likelihood (as lifetimes'
    ``penalizer_coef``), which stabilises fits on small data; ``loglik`` is
    always the unpenalised value.
    """
    x, tx, T = _summary_arrays(summary)
    if x.size < MIN_CUSTOMERS or (x > 0).sum() < MIN_REPEAT_CUSTOMERS:
        raise DataError(
            f"BG/NBD needs at least {MIN_CUSTOMERS} customers of whom {MIN_REPEAT_CUSTOMERS} bought again; "
            f"got {x.size} customers, {int((x > 0).sum())} repeat buyers",
            hint="use a longer order history or a wider customer selection",
        )
    if np.any(tx > T + 1e-9):
        raise DataError("recency is larger than T for some customers", column="recency",
                        hint="build the summary with rfm_summary and one observation end")
    if not np.any(x > 0):
        raise DataError("no customer made a repeat purchase, so BG/NBD cannot be fitted",
                        hint="use a longer order history")
    (ux, utx, uT), w = _aggregate(x, tx, T)

    total = w.sum()

    def neg_ll(theta):
        params = np.exp(theta)
        r, alpha, a, b = params
        ll, grad = _bgnbd_loglik_grad(r, alpha, a, b, ux, utx, uT)
        val = -(w * ll).sum() / total + penalizer * float(np.sum(params**2))
        jac = -(grad * w).sum(axis=1) / total * params + 2.0 * penalizer * params**2
        if not (np.isfinite(val) and np.all(np.isfinite(jac))):
            return 1e300, np.zeros_like(theta)
        return val, jac

    x0 = np.log(initial) if initial is not None else np.zeros(4)
    res, converged = _maximise(neg_ll, np.clip(np.asarray(x0, dtype=float), -BGNBD_LOG_BOUND, BGNBD_LOG_BOUND),
                               BGNBD_LOG_BOUND)
    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    ll = float((w * _bgnbd_loglik_terms(r, alpha, a, b, ux, utx, uT)).sum())
    note = ""
    if not converged:
        edge = [n for n, th in zip(("r", "alpha", "a", "b"), res.x) if abs(th) >= BGNBD_LOG_BOUND - 1e-6]
        if edge:
            note = (f"parameter(s) {', '.join(edge)} ran to the bound exp(+/-{BGNBD_LOG_BOUND:g}): the likelihood "
                    "keeps rising towards a limiting model (e.g. almost no drop-out: a -> 0 or b -> infinity, "
                    "or no rate heterogeneity: r, alpha -> infinity); the estimates are not identified, "
                    "use a penalizer or more data")
        else:
            note = f"optimiser did not converge: {getattr(res, 'message', '')}"
    return BGNBDFit(r, alpha, a, b, ll, int(x.size), converged, freq, note)


# ---------------------------------------------------------------------------
# Gamma-Gamma
# ---------------------------------------------------------------------------


def _gg_loglik_terms(p, q, v, x, m):
    """Per-customer log-likelihood of the Gamma-Gamma model of mean spend m over x purchases."""
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1.0) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )


@dataclass(frozen=True)
class GammaGammaFit:
    """Fitted Gamma-Gamma spend model (``v`` is the paper's gamma)."""

    p: float
    q: float
    v: float
    loglik: float
    n: int
    converged: bool = True

    @property
    def params(self) -> dict:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def gamma(self) -> float:
        return self.v

    @property
    def population_mean_spend(self) -> float:
        """E[M] = p v / (q - 1), infinite when q <= 1."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1 else math.inf

    def conditional_expected_average_profit(self, frequency, monetary_value):
        """E[M | x, m_x] = (q - 1)/(p x + q - 1) * p v/(q - 1) + p x/(p x + q - 1) * m_x.

        Customers without repeat purchases (x = 0) get the population mean; where
        that mean does not exist (``p x + q <= 1``) the result is NaN.
        """
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(monetary_value, dtype=float)
        m = np.where(x > 0, m, 0.0)
        denom = self.p * x + self.q - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom > 0, self.p * (self.v + x * m) / denom, np.nan)


def fit_gamma_gamma(summary: pd.DataFrame, penalizer: float = 0.0,
                    initial: tuple[float, float, float] | None = None) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on customers with repeat purchases.

    Uses the rows with ``frequency > 0`` and ``monetary_value > 0`` (the model
    is for positive spend); parameters on the log scale.
    """
    x, m = _summary_arrays(summary, ("frequency", "monetary_value"))
    keep = (x > 0) & (m > 0)
    if keep.sum() < MIN_REPEAT_CUSTOMERS:
        raise DataError(
            f"Gamma-Gamma needs at least {MIN_REPEAT_CUSTOMERS} customers with repeat purchases and positive "
            f"spend; got {int(keep.sum())}",
            hint="use a longer order history",
        )
    (ux, um), w = _aggregate(x[keep], m[keep])

    total = w.sum()
    log_m, log_x = np.log(um), np.log(ux)

    def neg_ll(theta):
        params = np.exp(theta)
        p, q, v = params
        px = p * ux
        log_vxm = np.log(v + ux * um)
        ll = _gg_loglik_terms(p, q, v, ux, um)
        psi = digamma(px + q)
        grad = np.vstack([
            ux * (psi - digamma(px) + log_m + log_x - log_vxm),
            psi - digamma(q) + np.log(v) - log_vxm,
            q / v - (px + q) / (v + ux * um),
        ])
        val = -(w * ll).sum() / total + penalizer * float(np.sum(params**2))
        jac = -(grad * w).sum(axis=1) / total * params + 2.0 * penalizer * params**2
        if not (np.isfinite(val) and np.all(np.isfinite(jac))):
            return 1e300, np.zeros_like(theta)
        return val, jac

    x0 = np.log(initial) if initial is not None else np.zeros(3)
    res, converged = _maximise(neg_ll, np.asarray(x0, dtype=float))
    p, q, v = (float(t) for t in np.exp(res.x))
    ll = float((w * _gg_loglik_terms(p, q, v, ux, um)).sum())
    return GammaGammaFit(p, q, v, ll, int(keep.sum()), converged)


# ---------------------------------------------------------------------------
# Customer lifetime value
# ---------------------------------------------------------------------------


def clv(
    bgnbd: PurchaseModel,
    gg: SpendModel,
    summary: pd.DataFrame,
    months: int = 12,
    discount_rate_annual: float = 0.1,
    freq: str = "W",
) -> pd.Series:
    """Discounted expected value of each customer over the next ``months`` months.

    Sum over months k = 1..months of
    ``(E[purchases by month k] - E[purchases by month k-1]) * E[spend | x, m_x] / (1 + d)^k``
    with the monthly rate ``d = (1 + discount_rate_annual)^(1/12) - 1``; the
    purchase model's time unit is ``freq`` (``PERIODS_PER_MONTH`` units per
    month). This is lifetimes' ``customer_lifetime_value`` with an annual rate.
    Returns a Series named ``clv`` indexed like ``summary``.
    """
    if freq not in PERIODS_PER_MONTH:
        raise DataError(f"unknown time unit {freq!r}", hint="use 'D', 'W' or 'M'")
    if months < 1:
        raise DataError(f"months must be at least 1, got {months}")
    if discount_rate_annual <= -1:
        raise DataError(f"discount rate must be above -100%, got {discount_rate_annual}")
    x, tx, T, m = _summary_arrays(summary, ("frequency", "recency", "T", "monetary_value"))
    spend = np.asarray(gg.conditional_expected_average_profit(x, m), dtype=float)
    monthly = (1.0 + discount_rate_annual) ** (1.0 / 12.0) - 1.0
    factor = PERIODS_PER_MONTH[freq]
    total = np.zeros_like(x)
    previous = np.zeros_like(x)
    # the expectation depends on (x, t_x, T) only: evaluate it once per distinct triple
    (ux, utx, uT), inverse = _distinct(x, tx, T)
    for k in range(1, int(months) + 1):
        cumulative = np.asarray(bgnbd.expected_purchases(k * factor, ux, utx, uT), dtype=float)[inverse]
        total += spend * (cumulative - previous) / (1.0 + monthly) ** k
        previous = cumulative
    return pd.Series(total, index=summary.index, name="clv")
