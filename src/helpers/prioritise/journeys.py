"""Journey paths and time-based attribution straight from the event table (Ibis).

Everything here builds Ibis expressions that run in the database (DuckDB or
Spark); only the aggregated path table (one row per distinct path) comes back.

A journey belongs to the period in which its first event falls. Its path is the
ordered touchpoints up to and including the first converting event; touches
after a purchase (retention) are not part of the path to purchase.
"""

from __future__ import annotations

import datetime as dt

import ibis

from helpers.prioritise.attribution import SEP


def _touchpoint(step):
    return step.tp


def _journey_touches(events, start: dt.datetime, end: dt.datetime, collapse_repeats: bool = False):
    """Touches of journeys that start in ``[start, end)``, up to the first conversion,
    with journey-level ``journey_converted`` and ``journey_revenue``."""
    ev = events.select("journey_id", "touchpoint_id", "ts", "converted", "revenue")
    ev = ev.filter(ev.journey_id.notnull() & ev.touchpoint_id.notnull() & ev.ts.notnull())
    conv = ev.converted.fill_null(False).cast("int64")
    ev = ev.mutate(conv=conv, rev=ibis.ifelse(conv == 1, ev.revenue.fill_null(0).cast("float64"), 0.0))
    by_journey = ibis.window(group_by=ev.journey_id)
    ordered = ibis.window(group_by=ev.journey_id, order_by=[ev.ts, ev.conv, ev.touchpoint_id])
    ev = ev.mutate(first_ts=ev.ts.min().over(by_journey),
                   conv_upto=ev.conv.sum().over(ibis.window(group_by=ev.journey_id,
                                                            order_by=[ev.ts, ev.conv, ev.touchpoint_id],
                                                            preceding=None, following=0)))
    ev = ev.filter((ev.first_ts >= start) & (ev.first_ts < end) & ((ev.conv_upto - ev.conv) == 0))
    ev = ev.mutate(journey_converted=ev.conv.max().over(by_journey), journey_revenue=ev.rev.sum().over(by_journey))
    ev = ev.mutate(step=ibis.row_number().over(ordered))
    if collapse_repeats:
        prev = ev.touchpoint_id.lag().over(ordered)
        ev = ev.filter(prev.isnull() | (prev != ev.touchpoint_id))
    return ev


def journey_paths_expr(events, start: dt.datetime, end: dt.datetime, *, collapse_repeats: bool = False,
                       by_quarter: bool = False):
    """Ibis expression: one row per distinct path with journeys, conversions, nulls and revenue.

    ``collapse_repeats`` merges consecutive touches of the same touchpoint
    (``website > website > checkout`` becomes ``website > checkout``); ``by_quarter``
    adds a ``quarter`` column ("2026Q3", the quarter the journey started in) and
    counts paths per quarter. (``helpers.analyse.paths_expr`` gives collapsed path
    counts for display; this table keeps repeats and revenue for the chain.)
    """
    ev = _journey_touches(events, start, end, collapse_repeats)
    # an ordered string aggregate is not available on every backend (Spark): collect
    # (step, touchpoint) pairs, sort them by step and join the touchpoints instead
    per_journey = ev.group_by("journey_id").agg(
        steps=ibis.struct({"step": ev.step, "tp": ev.touchpoint_id}).collect(),
        converted=ev.journey_converted.max(),
        revenue=ev.journey_revenue.max(),
        first_ts=ev.first_ts.min(),
    )
    per_journey = per_journey.mutate(path=per_journey.steps.sort().map(_touchpoint).join(f" {SEP} "),
                                     quarter=per_journey.first_ts.year().cast("string") + "Q"
                                     + per_journey.first_ts.quarter().cast("string"))
    keys = ["quarter", "path"] if by_quarter else ["path"]
    agg = per_journey.group_by(keys).agg(
        journeys=per_journey.count(),
        conversions=per_journey.converted.sum(),
        revenue=per_journey.revenue.sum(),
    )
    return agg.mutate(nulls=agg.journeys - agg.conversions).select(
        *keys, "journeys", "conversions", "nulls", "revenue").order_by([*keys[:-1], ibis.desc("journeys"), "path"])


def journey_paths(events, start: dt.datetime, end: dt.datetime, *, collapse_repeats: bool = False,
                  by_quarter: bool = False):
    """The path table (pandas) of journeys starting in ``[start, end)``; see :func:`journey_paths_expr`."""
    df = journey_paths_expr(events, start, end, collapse_repeats=collapse_repeats, by_quarter=by_quarter).execute()
    for col in ("journeys", "conversions", "nulls"):
        df[col] = df[col].astype("int64")
    df["revenue"] = df["revenue"].astype("float64")
    return df


def time_decay_days_expr(events, start: dt.datetime, end: dt.datetime, half_life_days: float = 7.0):
    """Ibis expression: time-decay attribution with a half-life in days.

    Each touch of a converting journey gets ``0.5 ** (days before the purchase /
    half_life_days)``, normalised so that the touches of a journey share one
    conversion (and its revenue). Returns touchpoint_id, conversions, revenue.
    """
    ev = _journey_touches(events, start, end)
    ev = ev.filter(ev.journey_converted == 1)
    w_journey = ibis.window(group_by=ev.journey_id)
    conv_ts = ibis.ifelse(ev.conv == 1, ev.ts.epoch_seconds(), None).max().over(w_journey)
    days = (conv_ts - ev.ts.epoch_seconds()).cast("float64") / 86400.0
    ev = ev.mutate(raw=ibis.literal(0.5) ** (days / float(half_life_days)))
    ev = ev.mutate(weight=ev.raw / ev.raw.sum().over(w_journey))
    return ev.group_by("touchpoint_id").agg(
        conversions=ev.weight.sum(),
        revenue=(ev.weight * ev.journey_revenue).sum(),
    ).order_by("touchpoint_id")
