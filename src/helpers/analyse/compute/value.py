"""Customer value: BG/NBD and Gamma-Gamma fitted on the orders (:mod:`helpers.clv`), the 12-month CLV of
each customer and its summary per segment and first touchpoint."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from helpers import clv as clvmod
from helpers import stats
from helpers.analyse.queries import NO_SEGMENT
from helpers.errors import DataError

NO_EVENTS = "(no events)"
VALUE_COLUMNS = ["customers", "repeat_customers", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high",
                 "clv_mean", "clv_ci_low", "clv_ci_high", "clv_total"]


def no_value(note: str) -> dict:
    """The customer-value result when there is nothing to fit, with the reason."""
    return {"per_customer": pd.DataFrame(), "by_segment": pd.DataFrame(), "by_first_touchpoint": pd.DataFrame(),
            "bgnbd": None, "gamma_gamma": None, "note": note}


def _customers(summary: pd.DataFrame, orders: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    per = summary.reset_index()
    per["orders"] = per["customer_id"].map(orders.groupby("customer_id").size()).astype("int64")
    if "segment" in orders.columns and orders["segment"].notna().any():
        per["order_segment"] = per["customer_id"].map(orders.sort_values("ts").groupby("customer_id")["segment"].last())
    return customer_frame(per, customers)


def customer_frame(per: pd.DataFrame, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer of ``per`` (customer_id, frequency, recency, T, monetary_value, orders and,
    optionally, ``order_segment``: the segment of the latest order) with ``first_touchpoint`` and ``segment``
    from ``customers`` (from the events), or from ``per`` itself when ``customers`` is None (the engine joined
    them); the order's segment wins over the events' one. A customer without events has the first touchpoint
    "(no events)"; one without a segment anywhere the "no segment" label."""
    if customers is not None:
        info = customers.drop_duplicates("customer_id") if len(customers) else pd.DataFrame(
            columns=["customer_id", "first_touchpoint", "segment"])
        per = per.merge(info, on="customer_id", how="left")
    seg = per["segment"] if "segment" in per.columns else pd.Series(pd.NA, index=per.index, dtype=object)
    if "order_segment" in per.columns:
        seg = per["order_segment"].where(per["order_segment"].notna(), seg)
        per = per.drop(columns="order_segment")
    per["segment"] = _filled(seg, NO_SEGMENT)
    per["first_touchpoint"] = _filled(per["first_touchpoint"], NO_EVENTS)
    return per


def _filled(s: pd.Series, value: str) -> pd.Series:
    """``s`` with its missing values set to ``value``; text columns stay in their (Arrow) string dtype."""
    if isinstance(s.dtype, pd.StringDtype):
        return s.fillna(value)
    return s.astype(object).where(s.notna(), value)


def _fit(summary: pd.DataFrame, per: pd.DataFrame, months: int, discount_rate_annual: float):
    """Fit both models (maximum likelihood first; a small ridge penalty, as lifetimes' penalizer_coef,
    only when the plain fit does not converge to finite values, which happens on data with hardly any
    drop-out) and fill ``per``'s expected purchases, probability alive and CLV. Returns (note, bg, gg)."""
    x, tx, big_t = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    note, bg, gg = "", None, None
    for penalizer in (0.0, 0.001, 0.01):
        try:
            bg = clvmod.fit_bgnbd(summary, penalizer=penalizer)
            gg = clvmod.fit_gamma_gamma(summary, penalizer=penalizer)
            values = clvmod.clv(bg, gg, summary, months=months, discount_rate_annual=discount_rate_annual,
                                freq="W").to_numpy()
            expected = np.asarray(bg.expected_purchases(months * clvmod.PERIODS_PER_MONTH["W"], x, tx, big_t),
                                  dtype=float)
        except DataError as exc:
            return f"CLV not estimated: {exc.message}", None, None
        if np.all(np.isfinite(values)) and np.all(np.isfinite(expected)) and np.all(expected >= 0) \
                and np.all(values >= 0):
            per["expected_purchases"] = expected
            per["prob_alive"] = np.asarray(bg.prob_alive(x, tx, big_t), dtype=float)
            per["clv"] = values
            note = "" if penalizer == 0 else f"fitted with a ridge penalty of {penalizer} (the plain fit diverged)"
            return note, bg, gg
        note = "CLV not estimated: the BG/NBD fit gives no finite, non-negative expectations on these orders"
    return note, bg, gg


def customer_value(orders: pd.DataFrame, customers: pd.DataFrame, end: dt.datetime, months: int = 12,
                   discount_rate_annual: float = 0.1, level: float = 0.95) -> dict:
    """BG/NBD and Gamma-Gamma fitted on the orders before ``end`` (weekly time unit) and the
    ``months``-month CLV of each customer, also summarised per segment and first touchpoint.

    ``customers`` has customer_id, first_touchpoint and segment (from the events). Returns a dict
    with ``per_customer``, ``by_segment``, ``by_first_touchpoint``, ``bgnbd``, ``gamma_gamma`` and
    ``note`` (why CLV is missing, when the models cannot be fitted).
    """
    o = orders[pd.to_datetime(orders["ts"]) < pd.Timestamp(end)] if len(orders) else orders
    if o is None or o.empty:
        return no_value("no orders before the end of the period")
    # the observation ends on the last day of the period (rfm_summary counts orders up to and including it)
    summary = clvmod.rfm_summary(o, observation_end=pd.Timestamp(end) - pd.Timedelta(microseconds=1), freq="W")
    return customer_value_from(_customers(summary, o, customers), months, discount_rate_annual, level)


def customer_value_from(per: pd.DataFrame, months: int = 12, discount_rate_annual: float = 0.1,
                      level: float = 0.95) -> dict:
    """:func:`customer_value` from one row per customer (:func:`customer_frame`: the order summary in weeks
    with first touchpoint and segment), as the engine computes it
    (:func:`helpers.analyse.queries.rfm_expr`); the orders themselves are not needed."""
    if per.empty:
        return no_value("no orders before the end of the period")
    per = per.reset_index(drop=True)
    summary = per[["frequency", "recency", "T", "monetary_value"]]
    per["expected_purchases"] = np.nan
    per["prob_alive"] = np.nan
    per["clv"] = np.nan
    note, bg, gg = _fit(summary, per, months, discount_rate_annual)
    by_segment, by_first = value_summary(per, "segment", level), value_summary(per, "first_touchpoint", level)
    return {"per_customer": _compact(per), "by_segment": by_segment, "by_first_touchpoint": by_first,
            "bgnbd": bg, "gamma_gamma": gg, "note": note}


def _compact(per: pd.DataFrame) -> pd.DataFrame:
    """The per-customer frame with its text columns in Arrow's buffers (pandas' pyarrow strings): it stays with
    the step's result, and ten million ids as Python strings alone take some 700 MB."""
    for col in ("customer_id", "segment", "first_touchpoint"):
        if col in per and not isinstance(per[col].dtype, pd.StringDtype):
            per[col] = per[col].astype(pd.StringDtype("pyarrow"))
    return per


def value_summary(per_customer: pd.DataFrame, by: str, level: float = 0.95) -> pd.DataFrame:
    """Customers, repeat-purchase rate (share with two or more orders, Wilson interval) and mean
    12-month CLV (t interval) per ``by``."""
    cols = [by, *VALUE_COLUMNS]
    if per_customer.empty:
        return pd.DataFrame(columns=cols)
    g = per_customer.groupby(by, sort=True)
    out = pd.DataFrame({
        "customers": g.size(),
        "repeat_customers": g["orders"].apply(lambda x: int((x >= 2).sum())),
        "clv_mean": g["clv"].mean(),
        "_sd": g["clv"].std(ddof=1),
        "clv_total": g["clv"].sum(min_count=1),
    }).reset_index()
    out = stats.proportion_ci_frame(out, "repeat_customers", "customers", level=level, name="repeat_rate")
    ests = [stats.mean_ci_from_stats(m, s, n, level) if pd.notna(m) else None
            for m, s, n in zip(out["clv_mean"], out["_sd"], out["customers"])]
    out["clv_ci_low"] = [e.ci_low if e else np.nan for e in ests]
    out["clv_ci_high"] = [e.ci_high if e else np.nan for e in ests]
    return out.sort_values(["customers", by], ascending=[False, True])[cols].reset_index(drop=True)
