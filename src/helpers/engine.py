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


# --------------------------------------------------------------------------- pieces of a large table

#: memory an ordered per-journey aggregate needs per event (a path is a list collected per journey, which DuckDB
#: cannot spill), measured on the demo events with margin; :func:`pieces_for` sizes pieces to the memory limit
BYTES_PER_PATH_EVENT = 400


def piece_rows() -> int:
    """At most this many events go into one ordered per-journey aggregate: DuckDB's memory limit for a
    connection (:func:`helpers.data.duckdb_memory_bytes`) over :data:`BYTES_PER_PATH_EVENT`."""
    from helpers import data

    return max(100_000, data.duckdb_memory_bytes() // BYTES_PER_PATH_EVENT)


def pieces_for(rows: int, rows_per_piece: int | None = None) -> int:
    """How many pieces ``rows`` events are split into so that each holds at most ``rows_per_piece``
    (:func:`piece_rows` when not given)."""
    rows_per_piece = rows_per_piece or piece_rows()
    return max(1, -(-int(rows) // int(rows_per_piece)))


def in_pieces(table, key: str, pieces: int) -> list:
    """``table`` split into ``pieces`` filtered tables by a hash of ``key``: every value of ``key`` falls
    in exactly one piece, so aggregates per ``key`` computed piece by piece and added up equal the whole."""
    if pieces <= 1:
        return [table]
    h = table[key].hash()
    bucket = (h % pieces + pieces) % pieces
    return [table.filter(bucket == i) for i in range(pieces)]
