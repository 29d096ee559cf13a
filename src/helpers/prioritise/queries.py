"""The Ibis expressions step 3 runs on the event table (DuckDB, Spark or any Ibis backend).

Only aggregates come back: one row per distinct path (per quarter of the rolling
year, or of the period), and time-decay attribution in days per touchpoint. The path
extraction itself (which journeys count, where a path ends) is
:mod:`helpers.prioritise.journeys`, shared with step 2.

>>> src = data.ClientData("nordlys")
>>> by_q = queries.paths_by_quarter(src.events, start, end)
>>> queries.time_decay_days(src.events, start, end, half_life_days=7.0)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from helpers import engine
from helpers.analyse.queries import hash_share
from helpers.periods import Period
from helpers.prioritise.journeys import journey_paths, journey_paths_expr, time_decay_days_expr

__all__ = ["MAX_DRIVER_SURVEYS", "driver_rows", "driver_rows_expr", "journey_paths", "journey_paths_expr",
           "paths_by_quarter", "period_paths", "time_decay_days", "time_decay_days_expr"]

#: above this many relationship surveys in the driver window, the key drivers are estimated on a random sample
#: of them (a million answers pin the correlations down far below the bootstrap's own spread)
MAX_DRIVER_SURVEYS = 1_000_000


def paths_by_quarter(events, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Path table of the journeys starting in ``[start, end)``, one block per quarter (column ``quarter``)."""
    return journey_paths(events, start, end, by_quarter=True)


def period_paths(events, period: Period, by_quarter: pd.DataFrame) -> pd.DataFrame:
    """Path table of the journeys starting in ``period``: taken from ``by_quarter`` for a quarter,
    queried for a month."""
    if period.kind == "quarter":
        return by_quarter[by_quarter["quarter"] == period.label].drop(columns="quarter").reset_index(drop=True)
    start, end = period.bounds()
    return journey_paths(events, start, end)


def time_decay_days(events, start: dt.datetime, end: dt.datetime, half_life_days: float) -> pd.DataFrame:
    """Time-decay attribution with a half-life in days: conversions and revenue, index touchpoint_id.

    Above :func:`helpers.engine.piece_rows` events in the period it runs in hash buckets of the journey id
    (each journey's weights are normalised within the journey, so the buckets' sums add up to the whole)."""
    ts = events.ts
    rows = int(events.filter((ts >= start) & (ts < end)).count().execute())
    parts = [time_decay_days_expr(piece, start, end, half_life_days).execute()
             for piece in engine.in_pieces(events, "journey_id", engine.pieces_for(rows))]
    if len(parts) == 1:
        return parts[0].set_index("touchpoint_id")
    return pd.concat(parts).groupby("touchpoint_id")[["conversions", "revenue"]].sum().sort_index()


def driver_rows_expr(feedback, outcome: str, start: dt.datetime, end: dt.datetime, share: float | None = None):
    """The relationship-survey rows (``survey_id`` set) of ``[start, end)`` with the columns the key-driver
    data set needs (``survey_id``, ``ts``, ``touchpoint_id``, ``csat`` and ``outcome`` where present);
    ``share`` keeps that share of the surveys, drawn by a hash of the survey id (all rows of a kept survey)."""
    fb = feedback.filter(feedback.survey_id.notnull() & (feedback.ts >= start) & (feedback.ts < end))
    if share is not None:
        fb = fb.filter(hash_share(fb.survey_id.cast("string")) < share)
    cols = [c for c in dict.fromkeys(("survey_id", "ts", "touchpoint_id", "csat", outcome)) if c in fb.columns]
    return fb.select(*cols)


def driver_rows(feedback, outcome: str, start: dt.datetime, end: dt.datetime) -> tuple[pd.DataFrame, dict | None]:
    """The rows of :func:`driver_rows_expr` as pandas (one survey is a handful of rows) and, when the window
    has more than :data:`MAX_DRIVER_SURVEYS` surveys, ``{"surveys": total, "share": share, "sampled": n}``."""
    if "survey_id" not in feedback.columns:
        present = [c for c in ("ts", "touchpoint_id", "csat", outcome) if c in feedback.columns]
        return pd.DataFrame(columns=present), None
    window = feedback.filter(feedback.survey_id.notnull() & (feedback.ts >= start) & (feedback.ts < end))
    surveys = int(window.survey_id.nunique().execute())
    share = MAX_DRIVER_SURVEYS / surveys if surveys > MAX_DRIVER_SURVEYS else None
    rows = driver_rows_expr(feedback, outcome, start, end, share).execute()
    if "ts" in rows.columns:
        rows["ts"] = pd.to_datetime(rows["ts"])
    sample = None if share is None else {"surveys": surveys, "share": share,
                                         "sampled": int(rows["survey_id"].nunique())}
    return rows, sample
