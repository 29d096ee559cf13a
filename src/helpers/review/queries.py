"""The event and order queries of the review (Ibis; DuckDB or Spark). Only small aggregates come back.

The step-2 query builders (:mod:`helpers.analyse.queries`) define journeys, stages and
conversion; the review reuses them so that a KPI means the same in every section.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers.analyse import queries as aq


def data_span(table) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """First and last timestamp of an events or orders table (None, None when it is empty)."""
    r = table.agg(lo=table.ts.min(), hi=table.ts.max()).execute()
    if not len(r) or pd.isna(r["lo"].iloc[0]):
        return None, None
    return pd.Timestamp(r["lo"].iloc[0]), pd.Timestamp(r["hi"].iloc[0])


def stage_aggregates(events, catalogue: pd.DataFrame, periods: dict[str, tuple[dt.datetime, dt.datetime]]):
    """Volume and journey outcomes per period label and journey stage, in one scan of the events."""
    labelled = aq.labelled_periods_expr(events, catalogue, periods)
    volume = aq.volume_expr(labelled, ["period", "stage"]).execute()
    journeys = aq.journey_touch_expr(labelled, ["stage"], extra=("period",)).execute()
    return volume, journeys


def touchpoint_aggregates(events, catalogue: pd.DataFrame, start: dt.datetime, end: dt.datetime):
    """Volume and journey outcomes per touchpoint of the journeys of ``[start, end)``."""
    ev = aq.prepare_expr(events, catalogue, start, end)
    return aq.volume_expr(ev, ["touchpoint_id"]).execute(), aq.journey_touch_expr(ev, ["touchpoint_id"]).execute()


def customers_before(orders, end: dt.datetime) -> int:
    """The number of customers with an order before ``end``."""
    o = orders.filter(orders.ts < end)
    return int(o.customer_id.nunique().execute())


def purchases_between(orders, start: dt.datetime, end: dt.datetime, share: float | None = None) -> pd.DataFrame:
    """Per customer with orders in ``[start, end)``: purchase days (``purchases``) and ``revenue``.

    Several orders on one (UTC) day count as one purchase, as in the customer summary the
    forecast is fitted on (:func:`helpers.clv.rfm_summary` with daily periods). ``share`` keeps the
    same random share of customers as :func:`customer_summary`.
    """
    o = orders.filter((orders.ts >= start) & (orders.ts < end))
    if share is not None:
        o = o.filter(aq.hash_share(o.customer_id) < share)
    o = o.mutate(day=o.ts.truncate("D"))
    out = o.group_by("customer_id").agg(purchases=o.day.nunique(), revenue=o.revenue.cast("float64").sum())
    df = out.execute()
    df["purchases"] = df["purchases"].astype("int64")
    df["revenue"] = df["revenue"].astype(float).fillna(0.0)
    return df


def customer_summary(orders, end: dt.datetime, share: float | None = None) -> pd.DataFrame:
    """Per customer with orders before ``end``: ``frequency``, ``recency``, ``T`` and ``monetary_value`` in
    days (:func:`helpers.analyse.queries.rfm_expr` with ``freq="D"``), indexed by customer id; ``share``
    keeps that random share of the customers (:func:`helpers.analyse.queries.hash_share`)."""
    rfm = aq.rfm_expr(orders, end, freq="D")
    if share is not None:
        rfm = rfm.filter(aq.hash_share(rfm.customer_id) < share)
    df = rfm.execute()
    return df.set_index("customer_id")[["frequency", "recency", "T", "monetary_value"]].astype(float)
