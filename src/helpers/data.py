"""Ibis connections per client: DuckDB (default) or Spark local mode.

Event-level work is written once as Ibis expressions against the tables this
module returns; only small aggregates are executed into pandas.

>>> con = connect("nordlys")           # engine from client.yml
>>> ev = table(con, "events", client="nordlys")
>>> ev.group_by("touchpoint_id").agg(n=ev.count()).execute()
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import ibis

from helpers import paths
from helpers.errors import DataError, EngineError

ENGINES = ("duckdb", "pyspark")
_spark_lock = threading.Lock()
_spark_session = None


def spark_session():
    """One local Spark session per process (UTC, no UI, 2 shuffle partitions)."""
    global _spark_session
    with _spark_lock:
        if _spark_session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError as exc:  # pragma: no cover - pyspark is a core dependency
                raise EngineError("engine 'pyspark' needs pyspark installed", hint="run `make setup`") from exc
            _spark_session = (
                SparkSession.builder.master("local[2]")
                .appName("tpkit")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.driver.memory", "2g")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .getOrCreate()
            )
            _spark_session.sparkContext.setLogLevel("ERROR")
        return _spark_session


def connect(client: str | None = None, engine: str | None = None, root: str | Path | None = None):
    """Open an Ibis connection for ``client`` (engine from its client.yml unless given)."""
    if engine is None:
        if client is None:
            engine = "duckdb"
        else:
            from helpers.config import load_client

            engine = load_client(client, root).engine
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET TimeZone = 'UTC'")
        return con
    if engine == "pyspark":
        return ibis.pyspark.connect(spark_session())
    raise EngineError(f"unknown engine '{engine}'", hint=f"set engine to one of {', '.join(ENGINES)} in client.yml")


def parquet_path(client: str, name: str, root: str | Path | None = None) -> Path:
    return paths.processed_dir(client, root) / f"{name}.parquet"


def has_table(client: str, name: str, root: str | Path | None = None) -> bool:
    return parquet_path(client, name, root).exists()


def table(con, name: str, client: str, root: str | Path | None = None):
    """The canonical table ``name`` of ``client`` as an Ibis table (lazy; nothing is loaded)."""
    path = parquet_path(client, name, root)
    if not path.exists():
        raise DataError(
            f"no processed table '{name}' for client '{client}' (looked for {path})",
            hint=f"run `tpkit ingest {client}` (or `make demo` for the demo clients)",
        )
    # the view name carries a digest of the file path, so two project folders with the same
    # client name never share a view in one (Spark) session
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    tname = f"{client}_{name}_{digest}".replace("-", "_")
    if tname in con.list_tables():
        return con.table(tname)
    return con.read_parquet(str(path), table_name=tname)


def read_small(client: str, name: str, root: str | Path | None = None, columns: list[str] | None = None):
    """Read a small canonical table (feedback, orders, reviews, costs) into pandas."""
    import pandas as pd

    path = parquet_path(client, name, root)
    if not path.exists():
        raise DataError(f"no processed table '{name}' for client '{client}' (looked for {path})",
                        hint=f"run `tpkit ingest {client}`")
    return pd.read_parquet(path, columns=columns)


def input_stamp(client: str, root: str | Path | None = None) -> tuple:
    """What a step result depends on: client.yml and the processed files (name, size, mtime)."""
    folder = paths.client_dir(client, root)
    files = [folder / "client.yml", *sorted(paths.processed_dir(client, root).glob("*"))]
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file())


def cached_step(compute, maxsize: int = 8):
    """Turn ``compute(client, period, root)`` into ``run(client, period, root=None)``.

    ``run`` validates the client and period, and reuses the last result until
    client.yml or the processed data change, so a notebook can call it in every
    cell without recomputing the event aggregates.
    """
    from functools import lru_cache, wraps

    from helpers.config import load_client
    from helpers.periods import Period

    @lru_cache(maxsize=maxsize)
    def cached(client: str, label: str, root: str | None, stamp: tuple):
        return compute(client, label, root)

    @wraps(compute)
    def run(client: str, period, root: str | Path | None = None):
        root = str(Path(root).resolve()) if root else None
        label = Period.parse(period).label
        load_client(client, root)
        return cached(client, label, root, input_stamp(client, root))

    run.cache_clear = cached.cache_clear
    return run
