"""Journey paths and time-based attribution straight from the event table (Ibis).

Everything here builds Ibis expressions that run in the database (DuckDB or
Spark); only the aggregated path table (one row per distinct path) comes back.

Which journeys belong to a period is defined once in :func:`helpers.journeys.period_events`
(a journey belongs to the period in which its first event falls, with all its events;
docs/data-model.md, "Journeys"). Its path is the ordered
touchpoints up to and including the first converting event; touches after a purchase
(retention) are not part of the path to purchase.
"""

from __future__ import annotations

import datetime as dt

import ibis

from helpers import engine, journeys
from helpers.prioritise.attribution import SEP


def _touchpoint(step):
    return step.tp


def _journey_touches(events, start: dt.datetime, end: dt.datetime, collapse_repeats: bool = False):
    """Touches of the journeys of ``[start, end)`` (:func:`helpers.journeys.period_events`) up to the
    first conversion, with journey-level ``first_ts``, ``journey_converted`` and ``journey_revenue``.

    Journey facts come from one group-by joined back to the touches (cheaper than
    several window functions); only ``collapse_repeats`` needs an ordered window.
    """
    ev = events.select("journey_id", "touchpoint_id", "ts", "converted", "revenue")
    ev = ev.filter(ev.journey_id.notnull() & ev.touchpoint_id.notnull() & ev.ts.notnull())
    ev = journeys.period_events(ev, start, end)
    conv = ev.converted.fill_null(False)
    ev = ev.mutate(conv=conv.cast("int64"), rev=ibis.ifelse(conv, ev.revenue.fill_null(0).cast("float64"), 0.0))
    per = ev.group_by("journey_id").agg(first_ts=ev.ts.min(), conv_ts=ev.ts.min(where=ev.conv == 1))
    ev = ev.inner_join(per, "journey_id")
    ev = ev.filter(ev.conv_ts.isnull() | (ev.ts <= ev.conv_ts))
    # the first purchase ends the path; its revenue is the journey's revenue
    first_purchase = (ev.conv == 1) & (ev.ts == ev.conv_ts)
    ev = ev.mutate(journey_converted=ev.conv_ts.notnull().cast("int64"),
                   purchase_rev=ibis.ifelse(first_purchase, ev.rev, 0.0))
    if collapse_repeats:
        ordered = ibis.window(group_by=ev.journey_id, order_by=[ev.ts, ev.conv, ev.touchpoint_id])
        # keep the last touch of each run of repeats, so a converting touch is never dropped
        nxt = ev.touchpoint_id.lead().over(ordered)
        ev = ev.mutate(keep=nxt.isnull() | (nxt != ev.touchpoint_id))
        ev = ev.filter(ev.keep)
    return ev


def journey_paths_expr(events, start: dt.datetime, end: dt.datetime, *, collapse_repeats: bool = False,
                       by_quarter: bool = False):
    """Ibis expression: one row per distinct path with journeys, conversions, nulls and revenue.

    ``collapse_repeats`` merges consecutive touches of the same touchpoint
    (``website > website > checkout`` becomes ``website > checkout``); ``by_quarter``
    adds a ``quarter`` column ("2026Q3", the quarter the journey started in) and
    counts paths per quarter. (``helpers.analyse.paths_expr`` gives collapsed path
    counts of the same journeys for display; this table keeps repeats and revenue for the chain.)
    """
    ev = _journey_touches(events, start, end, collapse_repeats)
    # an ordered string aggregate is not available on every backend (Spark): collect
    # (step, touchpoint) pairs, sort them by step and join the touchpoints instead
    per_journey = ev.group_by("journey_id").agg(
        steps=ibis.struct({"ts": ev.ts, "conv": ev.conv, "tp": ev.touchpoint_id}).collect(),
        converted=ev.journey_converted.max(),
        revenue=ev.purchase_rev.sum(),
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


def _rows_between(events, start: dt.datetime, end: dt.datetime, by_quarter: bool) -> list[tuple]:
    """``[(start, end, events)]``: the window, or with ``by_quarter`` each quarter of it, with the number
    of events whose time falls in it (one scan of the time column)."""
    from helpers.periods import Period

    ts = events.ts
    inside = events.filter((ts >= start) & (ts < end))
    if not by_quarter:
        return [(start, end, int(inside.count().execute()))]
    counted = inside.group_by(q=ts.year() * 10 + ts.quarter()).agg(n=inside.count()).execute()
    rows = dict(zip(counted["q"].astype(int), counted["n"].astype(int)))
    out = []
    q = Period.containing(start.date())
    while q.bounds()[0] < end:
        q_start, q_end = q.bounds()
        out.append((max(start, q_start), min(end, q_end), rows.get(q.year * 10 + q.index, 0)))
        q = q.next()
    return out


def journey_paths(events, start: dt.datetime, end: dt.datetime, *, collapse_repeats: bool = False,
                  by_quarter: bool = False, piece_rows: int | None = None):
    """The path table (pandas) of journeys starting in ``[start, end)``; see :func:`journey_paths_expr`.

    A path is a list collected per journey, which the engine must hold in memory (DuckDB cannot spill it).
    Above ``piece_rows`` events (:func:`helpers.engine.piece_rows`) the table is therefore computed in
    pieces: per quarter when ``by_quarter``, and within a window in hash buckets of the journey id. Every
    journey falls in exactly one piece, so the pieces' counts add up to the same table.
    """
    piece_rows = piece_rows or engine.piece_rows()
    windows = _rows_between(events, start, end, by_quarter=False)
    if windows[0][2] > piece_rows and by_quarter:
        windows = _rows_between(events, start, end, by_quarter=True)
    parts = []
    for w_start, w_end, rows in windows:
        for piece in engine.in_pieces(events, "journey_id", engine.pieces_for(rows, piece_rows)):
            expr = journey_paths_expr(piece, w_start, w_end, collapse_repeats=collapse_repeats,
                                      by_quarter=by_quarter)
            parts.append(expr.execute())
    df = parts[0] if len(parts) == 1 else _add_up(parts, ["quarter", "path"] if by_quarter else ["path"])
    for col in ("journeys", "conversions", "nulls"):
        df[col] = df[col].astype("int64")
    df["revenue"] = df["revenue"].astype("float64")
    return df


def _add_up(parts: list, keys: list[str]):
    """Path tables of disjoint sets of journeys added up per ``keys``, in :func:`journey_paths_expr`'s order."""
    import pandas as pd

    whole = pd.concat(parts, ignore_index=True)
    whole = whole.groupby(keys, as_index=False, sort=False)[["journeys", "conversions", "nulls", "revenue"]].sum()
    order = [*keys[:-1], "journeys", "path"]
    return whole.sort_values(order, ascending=[True] * (len(keys) - 1) + [False, True],
                             kind="stable").reset_index(drop=True)[[*keys, "journeys", "conversions", "nulls",
                                                                     "revenue"]]


def time_decay_days_expr(events, start: dt.datetime, end: dt.datetime, half_life_days: float = 7.0):
    """Ibis expression: time-decay attribution with a half-life in days.

    Each touch of a converting journey gets ``0.5 ** (days before the purchase /
    half_life_days)``, normalised so that the touches of a journey share one
    conversion (and its revenue). Returns touchpoint_id, conversions, revenue.
    """
    ev = _journey_touches(events, start, end)
    ev = ev.filter(ev.journey_converted == 1)
    w_journey = ibis.window(group_by=ev.journey_id)
    ev = ev.mutate(journey_revenue=ev.purchase_rev.sum().over(w_journey))
    days = (ev.conv_ts.epoch_seconds() - ev.ts.epoch_seconds()).cast("float64") / 86400.0
    ev = ev.mutate(raw=ibis.literal(0.5) ** (days / float(half_life_days)))
    ev = ev.mutate(weight=ev.raw / ev.raw.sum().over(w_journey))
    return ev.group_by("touchpoint_id").agg(
        conversions=ev.weight.sum(),
        revenue=(ev.weight * ev.journey_revenue).sum(),
    ).order_by("touchpoint_id")
