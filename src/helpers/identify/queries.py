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


def _source_label(table, name: str):
    """The observed source of each row of ``name``: feedback rows by their ``source`` column (surveys when
    missing or unknown, as :func:`helpers.identify.compute.feedback_source_labels`), other tables by name."""
    import ibis

    if name != "feedback":
        return ibis.literal(name)
    if "source" not in table.columns:
        return ibis.literal("surveys")
    from helpers.identify.compute import FEEDBACK_SOURCE

    raw = table.source.cast("string").strip().lower()
    return raw.substitute(FEEDBACK_SOURCE, else_="surveys").fill_null("surveys")


def table_activity(table, name: str, start: dt.datetime, end: dt.datetime):
    """Per touchpoint and source of the feedback, orders or reviews table ``name``: records and distinct
    customers in ``[start, end)``, first and last record before ``end`` (rows without a touchpoint are
    left out), as :func:`helpers.identify.compute.source_activity` computes them in pandas."""
    import ibis

    t = table.filter(table.touchpoint_id.notnull() & (table.ts < end))
    t = t.mutate(source=_source_label(t, name))
    inside = t.ts >= start
    customers = (t.customer_id.nunique(where=inside) if name != "reviews" and "customer_id" in t.columns
                 else ibis.literal(0))
    return t.group_by(["touchpoint_id", "source"]).agg(
        records=t.count(where=inside), customers=customers, first_seen=t.ts.min(), last_seen=t.ts.max())


def table_stats(table, start: dt.datetime, end: dt.datetime):
    """One row: rows, first and last timestamp, rows and distinct touchpoints in ``[start, end)``."""
    inside = (table.ts >= start) & (table.ts < end)
    return table.agg(rows=table.count(), first=table.ts.min(), last=table.ts.max(),
                     rows_in_period=table.count(where=inside),
                     touchpoints_in_period=table.touchpoint_id.nunique(where=inside & table.touchpoint_id.notnull()))


def table_csat(feedback, start: dt.datetime, end: dt.datetime):
    """Mean CSAT and number of ratings per touchpoint in ``[start, end)``."""
    f = feedback.filter((feedback.ts >= start) & (feedback.ts < end) & feedback.touchpoint_id.notnull()
                        & feedback.csat.notnull())
    return f.group_by("touchpoint_id").agg(csat=f.csat.cast("float64").mean(), csat_n=f.count())


def table_aggregates(tables: dict, costs, period) -> dict:
    """Activity per touchpoint (``frames``), table statistics (``stats``) and current CSAT (``csat``, None
    without feedback) of the feedback, orders and reviews tables (lazy Ibis tables in ``tables``, only those
    the client has) and the costs frame (pandas, or None). Every value brought back is an aggregate."""
    import pandas as pd

    from helpers.identify.compute import ACTIVITY_COLUMNS, SMALL_TABLES, cost_table_stats

    start, end = period.bounds()
    frames, stats = [], []
    for name in SMALL_TABLES:
        if name not in tables:
            continue
        t = tables[name]
        row = table_stats(t, start, end).execute().iloc[0].to_dict()
        stats.append({"table": name, "rows": int(row["rows"]), "first": row["first"], "last": row["last"],
                      "rows_in_period": int(row["rows_in_period"] or 0),
                      "touchpoints_in_period": int(row["touchpoints_in_period"] or 0)})
        act = table_activity(t, name, start, end).execute()
        for c in ("records", "customers"):
            act[c] = act[c].fillna(0).astype("int64")
        frames.append(act.sort_values(["touchpoint_id", "source"]).reset_index(drop=True)[ACTIVITY_COLUMNS]
                      if len(act) else pd.DataFrame(columns=ACTIVITY_COLUMNS))
    if costs is not None:
        stats.append(cost_table_stats(costs, period))
    csat = None
    if "feedback" in tables:
        fb = tables["feedback"]
        csat = (table_csat(fb, start, end).execute().sort_values("touchpoint_id").reset_index(drop=True)
                if "csat" in fb.columns else pd.DataFrame(columns=["touchpoint_id", "csat", "csat_n"]))
        csat["csat_n"] = csat["csat_n"].astype("int64")
    return {"frames": frames, "stats": stats, "csat": csat}
