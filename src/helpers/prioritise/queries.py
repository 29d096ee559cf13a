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

from helpers.periods import Period
from helpers.prioritise.journeys import journey_paths, journey_paths_expr, time_decay_days_expr

__all__ = ["journey_paths", "journey_paths_expr", "paths_by_quarter", "period_paths", "time_decay_days",
           "time_decay_days_expr"]


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
    """Time-decay attribution with a half-life in days: conversions and revenue, index touchpoint_id."""
    return time_decay_days_expr(events, start, end, half_life_days).execute().set_index("touchpoint_id")
