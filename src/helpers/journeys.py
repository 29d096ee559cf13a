"""What a journey is, which journeys belong to a period, and the one transition matrix.

A journey is the events of one ``journey_id`` in time order (ties by touchpoint id). The
journeys of a period are defined once here (:func:`period_events`) and used by step 2
(paths, transitions, funnel, exits) and step 3 (path table and attribution); the definition
and why it was chosen are in docs/data-model.md, section "Journeys".

* A *path* is the touchpoints of a journey joined by ``" > "``, up to and including its first
  purchase (:func:`collapse_path` collapses repeats: "a > a > b" is "a > b").
* A *transition matrix* (:func:`transition_matrix`) holds the share of the moves out of each
  state that go to each next state, from a long table of move counts; every step draws or
  solves the same matrix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import ibis
import pandas as pd

SEP = ">"
START, END = "(start)", "(end)"


def _first_events(events):
    """Per journey: the time of its first event (``first_ts``)."""
    return events.group_by("journey_id").agg(first_ts=events.ts.min())


def period_events(events, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """The events that make up the journeys of ``[start, end)``.

    A journey belongs to the period in which its first event falls, with all its events (a
    purchase after the end of the period still converts the journey that started in it).
    Without ``start`` and ``end`` every journey is kept; with only one of them the other side is open.
    """
    if start is None and end is None:
        return events
    first = _first_events(events)
    if start is not None:
        first = first.filter(first.first_ts >= start)
    if end is not None:
        first = first.filter(first.first_ts < end)
    return events.semi_join(first.select("journey_id"), "journey_id")


def labelled_period_events(events, periods: dict[str, tuple[dt.datetime, dt.datetime]], label: str = "period"):
    """The events of the journeys of several periods in one scan, with the period's name in ``label``
    (the definition of :func:`period_events`, for each period)."""
    first = _first_events(events)
    name_expr = None
    for name, (start, end) in periods.items():
        inside = (first.first_ts >= start) & (first.first_ts < end)
        name_expr = ibis.cases((inside, name), else_=name_expr) if name_expr is not None else ibis.cases(
            (inside, name))
    labelled = first.mutate(**{label: name_expr})
    labelled = labelled.filter(labelled[label].notnull()).select("journey_id", label)
    return events.inner_join(labelled, "journey_id")


def collapse_path(touchpoints: Iterable[str]) -> str:
    """``["a", "a", "b", "a"]`` -> ``"a > b > a"`` (consecutive repeats of a touchpoint collapsed)."""
    out: list[str] = []
    for t in touchpoints:
        if not out or out[-1] != t:
            out.append(str(t))
    return f" {SEP} ".join(out)


def transition_matrix(moves: pd.DataFrame, value: str = "probability", order: Sequence[str] | None = None,
                      start: str = START, ends: Sequence[str] = (END,)) -> pd.DataFrame:
    """Square table of moves between states: rows *from*, columns *to*, 0 where no move.

    ``moves`` has one row per move and columns ``from``, ``to`` and ``count`` (counts of the
    same move are added). ``value="probability"`` divides each row by its total (rows sum to 1;
    a row without moves stays 0), ``value="count"`` keeps the counts, any other name takes that
    column as it is. Rows are ``start`` then every state moved out of, columns every state moved
    into then ``ends`` (the absorbing states, always present); states follow ``order`` where
    given, then sorted.
    """
    if moves.empty:
        return pd.DataFrame()
    special = {start, *ends}
    seen = sorted((set(moves["from"]) | set(moves["to"])) - special)
    order = list(order or [])
    states = [s for s in order if s in seen] + [s for s in seen if s not in order]
    froms, tos = set(moves["from"]), set(moves["to"])
    rows = [start, *[s for s in states if s in froms]]
    cols = [*[s for s in states if s in tos], *ends]
    column = "count" if value == "probability" else value
    m = moves.pivot_table(index="from", columns="to", values=column, aggfunc="sum", fill_value=0)
    m = m.reindex(index=rows, columns=cols, fill_value=0).astype(float)
    if value == "probability":
        totals = m.sum(axis=1)
        m = m.div(totals.where(totals > 0), axis=0).fillna(0.0)
    m.index.name, m.columns.name = "from", "to"
    return m
