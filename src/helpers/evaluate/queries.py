"""The Ibis expressions of step 4: what it asks of the event table.

Each function takes the lazy events table (:attr:`helpers.data.ClientData.events`) and
returns a lazy expression; the caller executes it into a small pandas frame. Weeks are
counted from ``s0`` (the change's start, UTC), so no week mixes days before and after
the change.
"""

from __future__ import annotations

import pandas as pd

from helpers.errors import DataError

__all__ = ["feedback_rows", "journey_units", "journey_weekly", "span", "touches", "volume_weekly"]

SECONDS_PER_WEEK = 604800.0


def span(events):
    """First and last event time (one row: ``lo``, ``hi``)."""
    return events.aggregate(lo=events.ts.min(), hi=events.ts.max())


def _week(ts, s0: pd.Timestamp):
    return ((ts.epoch_seconds() - int(s0.timestamp())) / SECONDS_PER_WEEK).floor().cast("int64")


def touches(events, touchpoints, lo: pd.Timestamp, hi: pd.Timestamp, ab_column: str | None = None):
    """Journeys touching ``touchpoints`` in ``[lo, hi)``: one row per journey and touchpoint.

    Columns: journey_id, touchpoint_id, ts (first touch), customer_id, segment (the
    touchpoint when the events have no segment), variant (with ``ab_column``), and the
    journey's outcome over all its events: converted (0/1) and revenue.
    """
    ev = events
    t = ev.filter(ev.touchpoint_id.isin(list(touchpoints)), ev.ts >= lo.to_pydatetime(), ev.ts < hi.to_pydatetime())
    aggs = {"ts": t.ts.min(), "customer_id": t.customer_id.min()}
    aggs["segment"] = t.segment.max() if "segment" in ev.columns else ev.touchpoint_id.min().cast("string")
    if ab_column:
        if ab_column not in ev.columns:
            raise DataError(f"the events have no A/B column '{ab_column}'", column=ab_column,
                            hint="check ab_column of the change in client.yml")
        aggs["variant"] = t[ab_column].max()
    first = t.group_by(["journey_id", "touchpoint_id"]).agg(**aggs)
    outc = ev.group_by("journey_id").agg(converted=ev.converted.cast("int64").max(),
                                        revenue=ev.revenue.fill_null(0.0).sum())
    return first.join(outc, "journey_id")


def journey_weekly(events, touchpoints, lo: pd.Timestamp, hi: pd.Timestamp, s0: pd.Timestamp):
    """Journeys per touchpoint, segment and week with their conversions and revenue (sum and sum of squares)."""
    j = touches(events, touchpoints, lo, hi)
    j = j.mutate(week=_week(j.ts, s0))
    return j.group_by(["touchpoint_id", "segment", "week"]).agg(
        n=j.count(), conversions=j.converted.sum(), revenue=j.revenue.sum(),
        revenue2=(j.revenue * j.revenue).sum())


def journey_units(events, touchpoint: str, lo: pd.Timestamp, hi: pd.Timestamp, ab_column: str,
                  pre_lo: pd.Timestamp):
    """One row per journey in an A/B test with its variant, outcome and the customer's pre-test averages.

    ``pre_conversion`` and ``pre_revenue`` are the customer's mean conversion and revenue
    per journey in ``[pre_lo, lo)`` (null for customers not seen then): the CUPED covariate.
    """
    j = touches(events, [touchpoint], lo, hi, ab_column)
    j = j.filter(j.variant.notnull())
    ev = events
    pre = ev.filter(ev.ts < lo.to_pydatetime(), ev.ts >= pre_lo.to_pydatetime())
    pj = pre.group_by("journey_id").agg(customer_id=pre.customer_id.min(),
                                        c=pre.converted.cast("int64").max(), r=pre.revenue.fill_null(0.0).sum())
    pc = pj.group_by("customer_id").agg(pre_conversion=pj.c.mean(), pre_revenue=pj.r.mean())
    return j.left_join(pc, "customer_id").select("journey_id", "customer_id", "variant", "converted", "revenue",
                                                 "pre_conversion", "pre_revenue", "ts")


def volume_weekly(events, touchpoints, lo: pd.Timestamp, hi: pd.Timestamp, s0: pd.Timestamp):
    """Events per touchpoint, segment (the touchpoint when the events have none) and week."""
    ev = events
    t = ev.filter(ev.touchpoint_id.isin(list(touchpoints)), ev.ts >= lo.to_pydatetime(), ev.ts < hi.to_pydatetime())
    seg = t.segment if "segment" in ev.columns else t.touchpoint_id
    t = t.mutate(week=_week(t.ts, s0), segment=seg)
    return t.group_by(["touchpoint_id", "segment", "week"]).agg(n=t.count())


#: the survey columns the step-4 estimators read (where the table has them)
FEEDBACK_COLUMNS = ("response_id", "ts", "touchpoint_id", "customer_id", "segment", "csat", "nps", "ces")


def feedback_rows(feedback, lo: pd.Timestamp, hi: pd.Timestamp, touchpoints=None, customers=None,
                  extra: tuple[str, ...] = ()):
    """The survey answers in ``[lo, hi)`` at ``touchpoints`` (all where None) and of ``customers`` (an Ibis table
    with ``customer_id``; all where None), with the columns of :data:`FEEDBACK_COLUMNS` and ``extra`` the table
    has: a change's touchpoints and window come back, never the whole table."""
    fb = feedback.filter(feedback.ts >= lo.to_pydatetime(), feedback.ts < hi.to_pydatetime())
    if touchpoints is not None:
        fb = fb.filter(fb.touchpoint_id.isin(list(touchpoints)))
    if customers is not None:
        fb = fb.semi_join(customers, "customer_id")
    return fb.select(*[c for c in dict.fromkeys((*FEEDBACK_COLUMNS, *extra)) if c in fb.columns])
