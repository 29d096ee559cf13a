"""The review's statistics on small tables (no matplotlib, no words).

* :func:`ranking_moves`: last period's top priorities against this period's ranking;
* :func:`kpi_moves`: how each touchpoint's KPIs moved between the two periods
  (:func:`helpers.analyse.compare_kpis`: Newcombe, Welch and normal intervals);
* :func:`too_early_status`: last period's "too early" verdicts and what they are now;
* :func:`forecast` and :func:`backtest`: the CLV model fitted on the orders up to the end of
  the previous period, its forecast of each customer's purchases and spend for this period,
  and how it compares with what happened (ratio with a customer-level bootstrap interval,
  calibration by decile of predicted value, mean absolute error per customer);
* :func:`stage_trends`: NPS, CSAT and conversion per journey stage for every period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.stats as st

from helpers import clv
from helpers.analyse.compute import build_kpi_table, compare_kpis, feedback_kpis, no_feedback
from helpers.errors import DataError

__all__ = ["TOP_N", "TREND_KPIS", "MOVE_KPIS", "Backtest", "Forecast", "ranking_moves", "kpi_moves",
           "too_early_status", "forecast", "backtest", "stage_trends", "bootstrap_ratio"]

#: how many priorities count as the top of the list
TOP_N = 5
#: the KPIs whose movement is shown for each touchpoint
MOVE_KPIS = ("conversion", "csat", "nps")
#: the KPIs of the all-period trends
TREND_KPIS = ("nps", "csat", "conversion")
#: verdicts that give no answer yet
OPEN_VERDICTS = ("too early", "too little data")
STAYED, LEFT, ENTERED = "stayed", "left", "entered"
MOVE_COLUMNS = ["touchpoint_id", "name", "rank_before", "rank_now", "status", "reason_before", "reason_now"]


def _ranked(ranking: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["touchpoint_id", "name", "rank", "reason"]
    if ranking is None or not len(ranking):
        return pd.DataFrame(columns=cols)
    r = ranking.copy()
    if "name" not in r.columns:
        r["name"] = r["touchpoint_id"]
    if "reason" not in r.columns:
        r["reason"] = ""
    return r[cols].sort_values("rank", kind="stable").reset_index(drop=True)


def ranking_moves(before: pd.DataFrame | None, now: pd.DataFrame | None, n: int = TOP_N) -> pd.DataFrame:
    """Last period's top ``n`` and this period's top ``n``: one row per touchpoint in either.

    ``status`` is "stayed" (in both), "left" (only last period) or "entered" (only now); ranks are
    the full rankings' (NaN when the touchpoint is not ranked); the reasons are the ranking's own.
    """
    b, w = _ranked(before), _ranked(now)
    top_b, top_w = list(b["touchpoint_id"].head(n)), list(w["touchpoint_id"].head(n))
    bi, wi = b.set_index("touchpoint_id"), w.set_index("touchpoint_id")
    rows = []
    for tp in top_b + [t for t in top_w if t not in top_b]:
        status = STAYED if tp in top_b and tp in top_w else (LEFT if tp in top_b else ENTERED)
        name = wi.loc[tp, "name"] if tp in wi.index else bi.loc[tp, "name"]
        rows.append([tp, name, float(bi.loc[tp, "rank"]) if tp in bi.index else np.nan,
                     float(wi.loc[tp, "rank"]) if tp in wi.index else np.nan, status,
                     bi.loc[tp, "reason"] if tp in bi.index else "", wi.loc[tp, "reason"] if tp in wi.index else ""])
    return pd.DataFrame(rows, columns=MOVE_COLUMNS)


def kpi_moves(now: pd.DataFrame, before: pd.DataFrame, fb_now: pd.DataFrame, fb_before: pd.DataFrame,
              comparison: str, touchpoints=None, level: float = 0.95) -> pd.DataFrame:
    """Change of conversion, CSAT and NPS per touchpoint against the previous period, with intervals.

    ``now``/``before``: step-2 KPI tables per touchpoint (:func:`helpers.analyse.build_kpi_table`);
    the differences and intervals are :func:`helpers.analyse.compare_kpis`'.
    """
    if touchpoints is not None:
        now = now[now["touchpoint_id"].isin(list(touchpoints))]
    out = compare_kpis(now, before, fb_now, fb_before, comparison, level=level)
    return out[out["kpi"].isin(MOVE_KPIS)].reset_index(drop=True)


def too_early_status(before: pd.DataFrame | None, now: pd.DataFrame | None) -> pd.DataFrame:
    """Last period's "too early" verdicts with this period's verdict on the same change and KPI.

    ``resolved`` is True when the verdict now is an answer (not "too early" or "too little data").
    """
    cols = ["change_id", "kpi", "verdict_before", "verdict_now", "resolved"]
    if before is None or not len(before):
        return pd.DataFrame(columns=cols)
    early = before[before["verdict"] == "too early"]
    now_v = ({} if now is None or not len(now) else
             {(c, k): v for c, k, v in zip(now["change_id"], now["kpi"], now["verdict"])})
    rows = []
    for c, k in zip(early["change_id"], early["kpi"]):
        v = now_v.get((c, k))
        rows.append([c, k, "too early", v, bool(v is not None and v not in OPEN_VERDICTS)])
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- forecast back-test

@dataclass(frozen=True)
class Forecast:
    """Each known customer's predicted purchases and spend over ``horizon`` days after ``end``."""

    #: customer_id, frequency, recency, T, monetary_value, predicted_purchases, predicted_revenue
    customers: pd.DataFrame
    horizon: float
    bgnbd: object = None
    gamma_gamma: object = None
    penalizer: float = 0.0
    note: str = ""


def forecast(orders: pd.DataFrame, end: pd.Timestamp, horizon_days: float) -> Forecast:
    """Fit BG/NBD and Gamma-Gamma (:mod:`helpers.clv`, daily time unit) on the orders before ``end``
    and predict each customer's purchase days and spend in ``[end, end + horizon_days)``.

    The models are those of step 2's customer value; days instead of weeks make the forecast
    window exactly the period. A ridge penalty (0.001, then 0.01) is used only when the plain
    maximum-likelihood fit gives no finite forecast, as in step 2.
    """
    end = pd.Timestamp(end)
    o = orders[pd.to_datetime(orders["ts"]) < end] if len(orders) else orders
    if o is None or o.empty:
        return Forecast(pd.DataFrame(), horizon_days, note="no orders")
    return forecast_from_summary(clv.rfm_summary(o, observation_end=end - pd.Timedelta(microseconds=1), freq="D"),
                                 horizon_days)


SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def forecast_from_summary(summary: pd.DataFrame, horizon_days: float) -> Forecast:
    """:func:`forecast` from the per-customer summary (index customer id; ``frequency``, ``recency``, ``T``,
    ``monetary_value`` in days, as :func:`helpers.clv.rfm_summary` with ``freq="D"`` or the engine's
    :func:`helpers.analyse.queries.rfm_expr` make it): one row per customer, never the orders."""
    if summary is None or summary.empty:
        return Forecast(pd.DataFrame(), horizon_days, note="no orders")
    summary = summary[list(SUMMARY_COLUMNS)].astype(float)
    summary.index.name = summary.index.name or "customer_id"
    x, tx, big_t, m = (summary[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
    note = ""
    for penalizer in (0.0, 0.001, 0.01):
        try:
            bg = clv.fit_bgnbd(summary, penalizer=penalizer, freq="D")
            gg = clv.fit_gamma_gamma(summary, penalizer=penalizer)
        except DataError as exc:
            return Forecast(pd.DataFrame(), horizon_days, note=exc.message)
        p = np.asarray(bg.expected_purchases(horizon_days, x, tx, big_t), dtype=float)
        spend = np.asarray(gg.conditional_expected_average_profit(x, m), dtype=float)
        if np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(np.isfinite(spend)):
            out = summary.reset_index().rename(columns={summary.index.name: "customer_id"})
            out["predicted_purchases"] = p
            out["predicted_revenue"] = p * spend
            return Forecast(out, float(horizon_days), bg, gg, penalizer)
        note = "the fit gives no finite forecast"
    return Forecast(pd.DataFrame(), horizon_days, note=note)


#: above this many customers the ratio's interval is the delta-method one (the bootstrap's cost grows with
#: customers x resamples; at this size the two agree to a few percent of the interval's width)
BOOTSTRAP_MAX = 100_000


def delta_ratio(predicted: np.ndarray, actual: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """sum(predicted) / sum(actual) with the delta-method (linearised) interval of a ratio of means:
    var(R) ~ var(p - R a) / (n mean(a)^2)."""
    predicted, actual = np.asarray(predicted, float), np.asarray(actual, float)
    n = len(predicted)
    if n < 2 or actual.sum() <= 0:
        return np.nan, np.nan, np.nan
    r = float(predicted.sum() / actual.sum())
    se = float(np.std(predicted - r * actual, ddof=1) / (np.sqrt(n) * actual.mean()))
    z = float(st.norm.ppf((1 + level) / 2))
    return r, r - z * se, r + z * se


def ratio_interval(predicted: np.ndarray, actual: np.ndarray, n_boot: int = 1000, seed: int = 20260701,
                   level: float = 0.95) -> tuple[float, float, float, str]:
    """The ratio of totals with its interval and the method's name: the customer bootstrap up to
    :data:`BOOTSTRAP_MAX` customers, the delta method above."""
    if len(predicted) > BOOTSTRAP_MAX:
        return (*delta_ratio(predicted, actual, level), "delta method")
    return (*bootstrap_ratio(predicted, actual, n_boot, seed, level), "customer bootstrap")


def bootstrap_ratio(predicted: np.ndarray, actual: np.ndarray, n_boot: int = 1000, seed: int = 20260701,
                    level: float = 0.95) -> tuple[float, float, float]:
    """sum(predicted) / sum(actual) with a percentile interval from resampling customers."""
    predicted, actual = np.asarray(predicted, float), np.asarray(actual, float)
    n = len(predicted)
    total = actual.sum()
    if n == 0 or total <= 0:
        return np.nan, np.nan, np.nan
    rng = np.random.default_rng(seed)
    ratios = np.empty(n_boot)
    for i in range(n_boot):
        w = np.bincount(rng.integers(0, n, n), minlength=n)
        a = w @ actual
        ratios[i] = (w @ predicted) / a if a > 0 else np.nan
    lo, hi = np.nanquantile(ratios, [(1 - level) / 2, (1 + level) / 2])
    return float(predicted.sum() / total), float(lo), float(hi)


@dataclass(frozen=True)
class Backtest:
    """Forecast against outcome: ``totals`` (one row per measure), ``calibration`` (by decile)."""

    totals: pd.DataFrame
    calibration: pd.DataFrame
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    horizon: float = 0.0
    new_customers: int = 0
    new_purchases: int = 0
    note: str = ""

    @property
    def available(self) -> bool:
        return len(self.totals) > 0


TOTAL_COLUMNS = ["measure", "customers", "predicted", "actual", "ratio", "ci_low", "ci_high", "mae",
                 "mae_per_customer_actual"]
CALIBRATION_COLUMNS = ["decile", "customers", "predicted_purchases", "actual_purchases", "predicted_revenue",
                       "actual_revenue"]


def empty_backtest(note: str, horizon: float = 0.0) -> Backtest:
    return Backtest(pd.DataFrame(columns=TOTAL_COLUMNS), pd.DataFrame(columns=CALIBRATION_COLUMNS), horizon=horizon,
                    note=note)


def backtest(fc: Forecast, actual: pd.DataFrame, n_boot: int = 1000, seed: int = 20260701,
             level: float = 0.95) -> Backtest:
    """Compare the forecast with ``actual`` (customer_id, purchases, revenue in the period).

    Only customers known at the end of the previous period are compared (a customer's first
    purchase cannot be forecast from their history); the others are counted in
    ``new_customers``/``new_purchases``. Customers without a purchase in the period count as 0.
    """
    if not len(fc.customers):
        return empty_backtest(fc.note or "no forecast", fc.horizon)
    act = actual.set_index("customer_id")
    known = fc.customers.set_index("customer_id")
    new = act.index.difference(known.index)
    cust = known[["predicted_purchases", "predicted_revenue"]].copy()
    cust["actual_purchases"] = act["purchases"].reindex(cust.index).fillna(0).astype(float)
    cust["actual_revenue"] = act["revenue"].reindex(cust.index).fillna(0.0).astype(float)
    rows = []
    for measure in ("purchases", "revenue"):
        p, a = cust[f"predicted_{measure}"].to_numpy(), cust[f"actual_{measure}"].to_numpy()
        ratio, lo, hi, _method = ratio_interval(p, a, n_boot, seed, level)
        mae = float(np.mean(np.abs(p - a)))
        rows.append([measure, len(cust), float(p.sum()), float(a.sum()), ratio, lo, hi, mae, float(a.mean())])
    totals = pd.DataFrame(rows, columns=TOTAL_COLUMNS)
    rank = cust["predicted_revenue"].rank(method="first")
    cust["decile"] = pd.qcut(rank, min(10, len(cust)), labels=False) + 1
    g = cust.groupby("decile")
    calib = pd.DataFrame({"customers": g.size(), "predicted_purchases": g["predicted_purchases"].mean(),
                          "actual_purchases": g["actual_purchases"].mean(),
                          "predicted_revenue": g["predicted_revenue"].mean(),
                          "actual_revenue": g["actual_revenue"].mean()}).reset_index()
    return Backtest(totals, calib[CALIBRATION_COLUMNS], cust.reset_index(), fc.horizon, int(len(new)),
                    int(act.loc[new, "purchases"].sum()) if len(new) else 0, fc.note)


# --------------------------------------------------------------------------- trends

#: stages whose journeys have all converted already (no conversion rate to show)
AFTER_PURCHASE = ("retention",)
TREND_COLUMNS = ["period", "stage", "kpi", "value", "ci_low", "ci_high", "n"]
_TREND_SOURCE = {"nps": ("nps", "nps_ci_low", "nps_ci_high", "nps_n"),
                 "csat": ("csat", "csat_ci_low", "csat_ci_high", "csat_n"),
                 "conversion": ("conversion", "conversion_ci_low", "conversion_ci_high", "journeys")}


def stage_trends(volume: pd.DataFrame, journeys: pd.DataFrame, feedback: pd.DataFrame, periods: list[str],
                 stages: list[str], level: float = 0.95) -> pd.DataFrame:
    """NPS, CSAT and conversion per journey stage and period, with intervals (long table).

    ``volume``/``journeys``: the event aggregates per ``period`` and ``stage``
    (:func:`helpers.review.queries.stage_aggregates`); ``feedback``: survey responses, or their daily
    statistics (:func:`helpers.analyse.feedback_daily`), with ``period`` and ``stage`` columns. Each
    period's KPI table is step 2's (:func:`helpers.analyse.build_kpi_table`), so the intervals are the same
    (Wilson, t, NPS).
    Periods or stages without data give no row, nor conversion after the purchase (retention).
    """
    out = []
    for label in periods:
        vol = volume[volume["period"] == label].drop(columns="period")
        jour = journeys[journeys["period"] == label].drop(columns="period")
        fb = feedback[feedback["period"] == label] if len(feedback) else feedback
        fbk = feedback_kpis(fb if len(fb) else no_feedback(["stage"]), ["stage"], level)
        table = build_kpi_table(vol, jour, fbk, ["stage"], None, level)
        for _i, row in table.iterrows():
            if row["stage"] not in stages:
                continue
            for kpi, (v, lo, hi, n) in _TREND_SOURCE.items():
                if kpi == "conversion" and row["stage"] in AFTER_PURCHASE:
                    continue  # a journey reaches an after-purchase touchpoint only by buying: always 100%
                if pd.notna(row[v]) and row[n] > 0:
                    out.append([label, row["stage"], kpi, float(row[v]), float(row[lo]), float(row[hi]),
                                int(row[n])])
    df = pd.DataFrame(out, columns=TREND_COLUMNS)
    order = {s: i for i, s in enumerate(stages)}
    korder = {k: i for i, k in enumerate(TREND_KPIS)}
    return df.sort_values(["kpi", "stage", "period"], key=lambda s: s.map(korder) if s.name == "kpi" else (
        s.map(order) if s.name == "stage" else s), kind="stable").reset_index(drop=True)
