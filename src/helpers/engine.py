"""Engine-side helpers shared by the steps: a slice of a table computed once and kept by the engine.

A step that runs many aggregates over the same rows (the events of a period's journeys) asks the
engine to compute those rows once (:func:`materialise`) instead of reading and filtering the Parquet
file again for every aggregate. On DuckDB the rows become a temporary table of the connection; on
Spark a cached DataFrame (Ibis ``Table.cache``). Only the columns the aggregates need are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

log = logging.getLogger("helpers.engine")


def materialise(expr, columns: Iterable[str] | None = None):
    """``expr`` (an Ibis table) computed once and kept by its engine, restricted to ``columns`` when given
    (missing names are skipped). Returns an Ibis table over the kept rows."""
    if columns is not None:
        keep = [c for c in columns if c in expr.columns]
        expr = expr.select(*keep)
    started = time.perf_counter()
    cached = expr.cache()
    log.debug("materialised %d column(s) in %.2f s", len(cached.columns), time.perf_counter() - started)
    return cached


def release(table) -> None:
    """Free what :func:`materialise` kept (a no-op for a table that was not kept)."""
    release_fn = getattr(table, "release", None)
    if release_fn is not None:
        try:
            release_fn()
        except Exception:  # noqa: BLE001 - a table already released or not cached
            pass


def timed(label: str):
    """A context manager that logs how long the block took (``helpers.engine`` logger, DEBUG)."""
    return _Timed(label)


class _Timed:
    def __init__(self, label: str) -> None:
        self.label = label
        self.seconds = 0.0

    def __enter__(self):
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
        log.debug("%s: %.2f s", self.label, self.seconds)
