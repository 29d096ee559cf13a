"""Event-level work of step 1 as Ibis expressions (DuckDB or Spark, unchanged).

Each function takes the lazy events table of :class:`helpers.data.ClientData` and
returns an Ibis expression; :func:`event_aggregates` runs them once and brings back
only per-touchpoint aggregates and one row of table statistics, never the events.
"""

from __future__ import annotations

import datetime as dt


def event_activity(events, start: dt.datetime, end: dt.datetime):
    """Per touchpoint: events and distinct customers in ``[start, end)``, first and last
    event before ``end``. ``events`` is an Ibis table; returns an Ibis expression."""
    ev = events.filter(events.ts < end)
    inside = ev.ts >= start
    return ev.group_by("touchpoint_id").agg(
        records=ev.count(where=inside),
        customers=ev.customer_id.nunique(where=inside),
        first_seen=ev.ts.min(),
        last_seen=ev.ts.max(),
    )


def touch_expressions(events, start: dt.datetime, end: dt.datetime) -> dict:
    """Ibis expressions for first touches and last touches before purchase.

    * ``first``: per touchpoint, journeys whose first event (over all history before
      ``end``) falls in the period and happens at that touchpoint.
    * ``last``: per touchpoint, purchases in the period (first converting event of a
      journey) whose latest earlier event in the journey happened there.
    * ``purchases``: the number of purchases in the period (journeys started = sum of first touches).
    Ties in time are broken by touchpoint id so every engine gives the same answer.
    """
    ev = events.filter(events.ts < end).select("journey_id", "ts", "touchpoint_id", "converted")
    # a journey's first event: its earliest time, then the smallest touchpoint id at that time (group-bys and
    # a join back; the engine needs no sort of the events)
    starts = ev.group_by("journey_id").agg(ts=ev.ts.min())
    starts = starts.filter(starts.ts >= start)
    at_start = ev.select("journey_id", "ts", "touchpoint_id").join(starts, ["journey_id", "ts"])
    firsts = at_start.group_by("journey_id").agg(touchpoint_id=at_start.touchpoint_id.min())
    first = firsts.group_by("touchpoint_id").agg(first_touches=firsts.count())

    conv = ev.filter(ev.converted).group_by("journey_id").agg(purchase_ts=ev.ts.min())
    conv = conv.filter(conv.purchase_ts >= start)
    pre = ev.join(conv, "journey_id")
    pre = pre.filter(pre.ts < pre.purchase_ts)
    # the latest event before the purchase: its time, then the largest touchpoint id at that time
    latest = pre.group_by("journey_id").agg(ts=pre.ts.max())
    at_latest = pre.select("journey_id", "ts", "touchpoint_id").join(latest, ["journey_id", "ts"])
    lasts = at_latest.group_by("journey_id").agg(touchpoint_id=at_latest.touchpoint_id.max())
    last = lasts.group_by("touchpoint_id").agg(last_touches=lasts.count())
    return {"first": first, "last": last, "purchases": conv.count()}


def event_table_stats(events, start: dt.datetime, end: dt.datetime):
    """One row: rows, first and last timestamp of the whole events table; events, distinct
    customers and touchpoints in the period, and the first and last event in it."""
    inside = (events.ts >= start) & (events.ts < end)
    return events.agg(
        rows=events.count(),
        first=events.ts.min(),
        last=events.ts.max(),
        rows_in_period=events.count(where=inside),
        customers_in_period=events.customer_id.nunique(where=inside),
        touchpoints_in_period=events.touchpoint_id.nunique(where=inside),
        first_in_period=events.ts.min(where=inside),
        last_in_period=events.ts.max(where=inside),
    )


def event_aggregates(events, start: dt.datetime, end: dt.datetime) -> dict:
    """Run the event-level expressions once; every value returned is small.

    ``activity`` (per touchpoint, source ``events``), ``first`` and ``last`` touches,
    ``journeys`` started and ``purchases`` in the period, and ``stats`` (one row of
    :func:`event_table_stats` as a dict, with ``table="events"``).
    """
    activity = event_activity(events, start, end).execute()
    activity["source"] = "events"
    touches = touch_expressions(events, start, end)
    first = touches["first"].execute()
    stats = event_table_stats(events, start, end).execute().iloc[0].to_dict()
    return {
        "activity": activity,
        "first": first,
        "last": touches["last"].execute(),
        "journeys": int(first["first_touches"].sum()),
        "purchases": int(touches["purchases"].execute()),
        "stats": {"table": "events", **stats},
    }
