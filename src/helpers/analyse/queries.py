"""Step 2 event-level work as Ibis expressions (DuckDB or Spark, unchanged).

Each function builds an expression over the event table; nothing runs until the
step executes it, and only small aggregates come back as pandas DataFrames. Which
events make up the journeys of a period is defined once in :mod:`helpers.journeys`.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pyarrow as pa

from helpers import journeys
from helpers.config import STAGES
from helpers.periods import Period

#: data labels (they appear in the tables the step saves)
UNKNOWN = "(not catalogued)"
NO_SEGMENT = "(no segment)"
START, END = journeys.START, journeys.END
STAGE_INDEX = {s: i for i, s in enumerate(STAGES)}


def bounds(period: Period | str) -> tuple[dt.datetime, dt.datetime]:
    """Start and exclusive end of a period as naive UTC datetimes."""
    return Period.parse(period).bounds()


def prepare_expr(events, catalogue: pd.DataFrame, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """The events of the journeys of ``[start, end)`` (see :func:`helpers.journeys.period_events`) with
    ``stage``, ``kind``, ``stage_index`` from the catalogue, ``segment`` (``(no segment)`` where missing or
    absent) and ``revenue`` and ``converted`` without nulls."""
    ev = journeys.period_events(events, start, end)
    stage_map = dict(zip(catalogue["touchpoint_id"], catalogue["stage"])) if len(catalogue) else {}
    kind_map = dict(zip(catalogue["touchpoint_id"], catalogue["kind"])) if len(catalogue) else {}
    index_map = {t: STAGE_INDEX[s] for t, s in stage_map.items()}
    tp = ev.touchpoint_id
    seg = ev.segment.cast("string").fill_null(NO_SEGMENT) if "segment" in ev.columns else ibis.literal(NO_SEGMENT)
    return ev.mutate(
        stage=tp.substitute(stage_map, else_=ibis.literal(UNKNOWN)) if stage_map else ibis.literal(UNKNOWN),
        kind=tp.substitute(kind_map, else_=ibis.literal(UNKNOWN)) if kind_map else ibis.literal(UNKNOWN),
        stage_index=(tp.substitute(index_map, else_=ibis.null("int64")) if index_map
                     else ibis.null("int64")).cast("int64"),
        segment=seg,
        revenue=ev.revenue.cast("float64").fill_null(0.0),
        converted=ev.converted.cast("boolean").fill_null(False),
    )


def _group_agg(table, keys: list[str], **aggs):
    return table.group_by(keys).agg(**aggs) if keys else table.agg(**aggs)


def volume_expr(ev, keys: list[str]):
    """Events, distinct customers and revenue recorded at the events, per ``keys``."""
    return _group_agg(ev, keys, events=ev.count(), customers=ev.customer_id.nunique(), revenue=ev.revenue.sum())


def journey_outcomes_expr(ev, extra: tuple[str, ...] = ()):
    """One row per journey (and ``extra`` keys such as a period label): converted (0/1) and its revenue."""
    keys = [*extra, "journey_id"]
    return ev.group_by(keys).agg(journey_converted=ev.converted.cast("int64").max(),
                                 journey_revenue=ev.revenue.sum())


def journey_touch_expr(ev, keys: list[str], extra: tuple[str, ...] = ()):
    """Per ``keys``: journeys touching, converted journeys touching and their revenue."""
    outcomes = journey_outcomes_expr(ev, extra)
    touched = ev.select(*extra, "journey_id", *keys).distinct()
    joined = touched.join(outcomes, [*extra, "journey_id"])
    return _group_agg(joined, [*extra, *keys], journeys=joined.count(),
                      converted_journeys=joined.journey_converted.sum(),
                      journey_revenue=joined.journey_revenue.sum())


def labelled_periods_expr(events, catalogue: pd.DataFrame, periods: dict[str, tuple[dt.datetime, dt.datetime]]):
    """Prepared events of several periods at once (one scan), with their label in ``period``."""
    labelled = journeys.labelled_period_events(events, periods, label="period")
    return prepare_expr(labelled, catalogue)


def weekly_expr(ev, keys: list[str], end: dt.datetime | None = None):
    """Per ISO week (Monday) and ``keys``: events, customers, journeys touching, converted journeys touching.
    ``end`` cuts the series there (the journeys of a period may go on after its end)."""
    if end is not None:
        ev = ev.filter(ev.ts < end)
    wk = ev.mutate(week=ev.ts.truncate("W"))
    outcomes = journey_outcomes_expr(wk)
    touched = wk.select("week", "journey_id", *keys).distinct().join(outcomes, "journey_id")
    vol = wk.group_by(["week", *keys]).agg(events=wk.count(), customers=wk.customer_id.nunique())
    jour = touched.group_by(["week", *keys]).agg(journeys=touched.count(),
                                                  converted_journeys=touched.journey_converted.sum())
    return vol, jour


def _ordered(ev):
    return ibis.window(group_by="journey_id", order_by=[ev.ts, ev.touchpoint_id])


def collapsed_expr(ev):
    """Events in journey order with ``pos`` (0-based), ``prev_tp`` and ``next_raw`` (the touchpoints of the
    events just before and after) and ``kept``: whether the event starts a run of its touchpoint, i.e.
    survives collapsing repeats ("a > a > b" is "a > b"). For a kept event ``prev_tp`` is also the
    previous touchpoint of the collapsed sequence, and the last event of a journey (``next_raw`` null)
    has the last touchpoint of the collapsed sequence, so one window pass serves paths and transitions."""
    base = ev.select("journey_id", "ts", "touchpoint_id", "converted")
    w = _ordered(base)
    base = base.mutate(prev_tp=base.touchpoint_id.lag().over(w), next_raw=base.touchpoint_id.lead().over(w),
                       pos=ibis.row_number().over(w))
    return base.mutate(kept=base.prev_tp.isnull() | (base.prev_tp != base.touchpoint_id))


def transitions_expr(ev):
    """Counts of moves between touchpoints (repeats collapsed), with ``(start)`` and ``(end)``:
    columns ``from_tp``, ``to_tp``, ``count``."""
    c = collapsed_expr(ev)
    kept = c.filter(c.kept)
    moves = kept.select(from_tp=kept.prev_tp.fill_null(START), to_tp=kept.touchpoint_id)
    last = c.filter(c.next_raw.isnull())
    ends = last.select(from_tp=last.touchpoint_id, to_tp=ibis.literal(END))
    both = moves.union(ends, distinct=False)
    return both.group_by(["from_tp", "to_tp"]).agg(count=both.count())


def paths_expr(ev):
    """Per distinct path (repeats collapsed, up to and including the first purchase):
    journeys and conversions."""
    j = ibis.window(group_by="journey_id")
    upto = ev.mutate(first_conv=ev.ts.min(where=ev.converted).over(j))
    upto = upto.filter(upto.first_conv.isnull() | (upto.ts <= upto.first_conv))
    w = _ordered(upto)
    upto = upto.mutate(prev_tp=upto.touchpoint_id.lag().over(w), pos=ibis.row_number().over(w))
    kept = upto.filter(upto.prev_tp.isnull() | (upto.prev_tp != upto.touchpoint_id))
    steps = kept.group_by("journey_id").agg(
        steps=ibis.struct({"pos": kept.pos, "tp": kept.touchpoint_id}).collect(),
        conv=kept.first_conv.notnull().cast("int64").max(),
    )
    per = steps.mutate(path=steps.steps.sort().map(lambda s: s.tp).join(f" {journeys.SEP} "))
    return per.group_by("path").agg(journeys=per.count(), conversions=per.conv.sum())


def funnel_expr(ev):
    """Journeys by the furthest catalogued stage they reached (``depth``, 0 = awareness)."""
    per = ev.filter(ev.stage_index.notnull()).group_by("journey_id").agg(depth=ev.stage_index.max())
    return per.group_by("depth").agg(journeys=per.count())


def exits_expr(ev):
    """Per touchpoint: journeys whose last event in the period is there and that did not convert."""
    w = ibis.window(group_by="journey_id", order_by=[ibis.desc(ev.ts), ibis.desc(ev.touchpoint_id)])
    last = ev.mutate(rn=ibis.row_number().over(w),
                     jconv=ev.converted.cast("int64").max().over(ibis.window(group_by="journey_id")))
    last = last.filter((last.rn == 0) & (last.jconv == 0))
    return last.group_by("touchpoint_id").agg(exits=last.count())


def time_to_convert_expr(ev, keys: list[str]):
    """Days from a journey's first event to its first purchase: n, mean and quartiles per ``keys``
    (a journey's segment is that of its first purchase)."""
    per = ev.group_by("journey_id").agg(
        first_ts=ev.ts.min(),
        conv_ts=ev.ts.min(where=ev.converted),
        segment=ev.segment.max(where=ev.converted),
    )
    per = per.filter(per.conv_ts.notnull())
    per = per.mutate(days=(per.conv_ts.epoch_seconds() - per.first_ts.epoch_seconds()).cast("float64") / 86400.0)
    return _group_agg(per, keys, converting_journeys=per.count(), mean_days=per.days.mean(),
                      q1_days=per.days.quantile(0.25), median_days=per.days.quantile(0.5),
                      q3_days=per.days.quantile(0.75))


def customers_table(customer_ids) -> ibis.Table:
    """An in-memory Ibis table of distinct customer ids (to restrict an event query to them)."""
    ids = pd.Series(customer_ids, dtype=object).astype(str).unique()
    return ibis.memtable(pa.table({"customer_id": pa.array(ids)}))


def first_touch_expr(events, end: dt.datetime, customers=None):
    """Per customer: the touchpoint of their first event before ``end`` (ties by touchpoint id).
    ``customers`` (an Ibis table with ``customer_id``) keeps only those customers."""
    ev = events.filter(events.ts < end).select("customer_id", "ts", "touchpoint_id")
    if customers is not None:
        ev = ev.semi_join(customers, "customer_id")
    w = ibis.window(group_by="customer_id", order_by=[ev.ts, ev.touchpoint_id])
    ranked = ev.mutate(rn=ibis.row_number().over(w))
    ranked = ranked.filter(ranked.rn == 0)
    return ranked.select("customer_id", first_touchpoint=ranked.touchpoint_id)


def customer_segment_expr(events, end: dt.datetime, customers=None):
    """Per customer: the segment of their events before ``end`` (the largest value where several).
    Needs a ``segment`` column in the events."""
    ev = events.filter(events.ts < end)
    if customers is not None:
        ev = ev.semi_join(customers, "customer_id")
    return ev.group_by("customer_id").agg(segment=ev.segment.max())


# ---------------------------------------------------------------------------
# Customer value inputs (one row per customer; the orders stay in the engine)
# ---------------------------------------------------------------------------

#: seconds in a time unit of the purchase model, and the shift that puts the unit's boundary where
#: pandas puts it (weeks run Monday to Sunday; 1 January 1970 was a Thursday)
_UNIT_SECONDS = {"D": (86400, 0), "W": (604800, 3 * 86400)}


def _unit_index(ts, freq: str):
    """The number of the day, week (Monday to Sunday) or month of ``ts``, counted from a fixed origin:
    differences are those of ``pandas.Period`` ordinals of the same frequency."""
    if freq == "M":
        return (ts.year() * 12 + ts.month()).cast("int64")
    seconds, shift = _UNIT_SECONDS[freq]
    return ((ts.epoch_seconds() + shift) / seconds).floor().cast("int64")


def rfm_expr(orders, end: dt.datetime, freq: str = "W"):
    """Per customer with orders before ``end``: ``frequency``, ``recency``, ``T`` and ``monetary_value`` as
    :func:`helpers.clv.rfm_summary` computes them (orders bucketed per ``freq`` unit, several orders in one
    unit are one purchase of their summed value; the observation ends at the last instant before ``end``),
    with ``orders`` (the number of orders) and ``order_segment`` (the segment of the customer's latest
    order with one; null without a ``segment`` column). One row per customer, sorted by customer id."""
    if freq not in ("D", "W", "M"):
        raise ValueError(f"unknown time unit {freq!r}")
    o = orders.filter(orders.ts < end)
    has_segment = "segment" in o.columns
    o = o.mutate(unit=_unit_index(o.ts, freq), value=o.revenue.cast("float64").fill_null(0.0))
    per_unit = o.group_by(["customer_id", "unit"]).agg(value=o.value.sum(), n=o.count())
    g = per_unit.group_by("customer_id").agg(
        first=per_unit.unit.min(), last=per_unit.unit.max(), units=per_unit.count(), total=per_unit.value.sum(),
        first_value=per_unit.value.argmin(per_unit.unit), orders=per_unit.n.sum())
    end_unit = _unit_index(ibis.literal(end - dt.timedelta(microseconds=1)), freq)
    frequency = (g.units - 1).cast("float64")
    out = g.select(
        "customer_id",
        frequency=frequency,
        recency=(g["last"] - g["first"]).cast("float64"),
        T=(end_unit - g["first"]).cast("float64"),
        monetary_value=ibis.ifelse(frequency > 0, (g.total - g.first_value) / frequency, 0.0),
        orders=g.orders.cast("int64"),
    )
    if has_segment:
        seg = o.filter(o.segment.notnull())
        last_seg = seg.group_by("customer_id").agg(order_segment=seg.segment.argmax(seg.ts))
        out = out.left_join(last_seg, "customer_id").select(*out.columns, "order_segment")
    else:
        out = out.mutate(order_segment=ibis.null("string"))
    return out.order_by("customer_id")


def customer_info_expr(events, end: dt.datetime, customers, with_segment: bool):
    """Per customer of ``customers`` (an Ibis table with ``customer_id``): the touchpoint of their first event
    before ``end`` (ties by touchpoint id) and, ``with_segment``, the segment of their events before ``end``
    (the largest value where several). Group-bys and one join, no ordered window."""
    ev = events.filter(events.ts < end).semi_join(customers.select("customer_id"), "customer_id")
    aggs = {"first_ts": ev.ts.min()}
    if with_segment:
        aggs["segment"] = ev.segment.max()
    per = ev.group_by("customer_id").agg(**aggs)
    at_first = ev.select("customer_id", "ts", "touchpoint_id").join(
        per.select("customer_id", ts="first_ts"), ["customer_id", "ts"])
    first = at_first.group_by("customer_id").agg(first_touchpoint=at_first.touchpoint_id.min())
    cols = ["customer_id", "first_touchpoint"] + (["segment"] if with_segment else [])
    return per.join(first, "customer_id").select(*cols)


# ---------------------------------------------------------------------------
# Survey answers (sufficient statistics per day; the answers stay in the engine)
# ---------------------------------------------------------------------------

def feedback_stats_expr(feedback, start: dt.datetime, end: dt.datetime):
    """Survey answers of ``[start, end)`` summarised per ``day`` (a timestamp at midnight), ``touchpoint_id``
    and ``segment`` into the sufficient statistics of :func:`helpers.analyse.compute.feedback_stats` (columns
    ``STAT_COLUMNS``): every survey KPI of a period, week, touchpoint, stage, kind or segment, its interval and
    its change follow by adding rows up. Periods and weeks start at midnight, so a day never straddles two."""
    fb = feedback.filter((feedback.ts >= start) & (feedback.ts < end))
    cols = fb.columns
    csat = fb.csat.cast("float64") if "csat" in cols else ibis.null("float64")
    nps = fb.nps.cast("float64") if "nps" in cols else ibis.null("float64")
    seg = fb.segment.cast("string") if "segment" in cols else ibis.null("string")
    tp = fb.touchpoint_id.cast("string") if "touchpoint_id" in cols else ibis.null("string")
    fb = fb.select(day=fb.ts.truncate("D"), touchpoint_id=tp, segment=seg, csat=csat, nps=nps)

    def count(cond):
        return cond.cast("int64").sum().fill_null(0)

    return fb.group_by(["day", "touchpoint_id", "segment"]).agg(
        rows=fb.count(), csat_n=fb.csat.count(), csat_sum=fb.csat.sum().fill_null(0.0),
        csat_sumsq=(fb.csat * fb.csat).sum().fill_null(0.0), csat_min=fb.csat.min(), csat_max=fb.csat.max(),
        top2=count(fb.csat >= 4), **{f"csat_{k}": count(fb.csat == k) for k in range(1, 6)},
        # each category by its whole scores, so an answer off the 0-10 scale falls in none (and is caught)
        nps_n=fb.nps.count(), promoters=count(fb.nps.isin([9.0, 10.0])), passives=count(fb.nps.isin([7.0, 8.0])),
        detractors=count(fb.nps.isin([float(k) for k in range(7)])),
    )


def feedback_texts_expr(feedback, windows: list[tuple[dt.datetime, dt.datetime]]):
    """The survey answers with a comment in any of ``windows`` (``[start, end)`` pairs): ``ts``,
    ``touchpoint_id``, ``csat``, ``comment`` and ``language`` where the table has one. Only answers with text
    come back (they are scored one by one); the ratings stay in the engine. In time order (ties by response
    id), so the quotes picked from them are the same on every run and engine."""
    cond = ibis.or_(*[(feedback.ts >= a) & (feedback.ts < b) for a, b in windows])
    has_text = feedback.comment.notnull() & (feedback.comment.cast("string").strip() != "")
    keep = [c for c in ("ts", "touchpoint_id", "csat", "comment", "language") if c in feedback.columns]
    order = [c for c in ("ts", "response_id", "touchpoint_id", "comment") if c in feedback.columns]
    return feedback.filter(cond & has_text).order_by(order).select(*keep)


def execute_together(first, second, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two aggregates over the same rows and the same ``keys`` (each key combination in one is in the other,
    e.g. event volume and journeys touching per touchpoint) executed as one query, so the engine reads and
    filters the rows they share once; returns the two results as they would come on their own."""
    if not keys:
        joined = first.cross_join(second)
    else:
        joined = first.join(second, keys)
    df = joined.execute()
    a = df[[*keys, *[c for c in first.columns if c not in keys]]].reset_index(drop=True)
    b = df[[*keys, *[c for c in second.columns if c not in keys]]].reset_index(drop=True)
    return a, b


def hash_share(column, buckets: int = 1_000_000):
    """A number in [0, 1) from a hash of ``column``: ``hash_share(id) < f`` keeps a share ``f`` of the ids, the
    same ids on every run."""
    h = column.hash()
    return ((h % buckets + buckets) % buckets).cast("float64") / buckets


#: above this many customers with orders, per-customer models (customer value, the forecast back-test) are
#: fitted on a random sample of them
MAX_MODEL_CUSTOMERS = 10_000_000


def model_share(customers: int) -> float | None:
    """The share of ``customers`` a per-customer model is fitted on: None (all of them) up to
    :data:`MAX_MODEL_CUSTOMERS`, else ``MAX_MODEL_CUSTOMERS / customers`` (with :func:`hash_share`)."""
    return MAX_MODEL_CUSTOMERS / customers if customers > MAX_MODEL_CUSTOMERS else None
