"""The one read layer over a client's processed tables and ingest manifest.

Event-level work is written once as Ibis expressions against the tables this
module returns; only small aggregates are executed into pandas. Ingest only
writes; every step reads through :class:`ClientData`.

>>> src = ClientData("nordlys")        # engine from client.yml
>>> ev = src.events                    # lazy Ibis table
>>> ev.group_by("touchpoint_id").agg(n=ev.count()).execute()
>>> src.frame("feedback")              # small table in pandas, canonical columns even when missing
>>> src.manifest()                     # the ingest manifest, or None
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import lru_cache, wraps
from pathlib import Path

import ibis
import pandas as pd

from helpers import paths
from helpers.config import load_client
from helpers.errors import DataError, EngineError
from helpers.periods import Period
from helpers.schema import SCHEMAS

MANIFEST = "_manifest.json"

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
        engine = "duckdb" if client is None else load_client(client, root).engine
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


def empty_frame(name: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A frame with no rows and the canonical columns (and dtypes) of table ``name``."""
    schema = SCHEMAS[name]
    out = {}
    for col, spec in schema.columns.items():
        dtype = str(spec.dtype) if spec.dtype is not None else "object"
        if dtype.startswith("datetime64"):
            out[col] = pd.Series(dtype="datetime64[us]")
        elif dtype in ("str", "string"):
            out[col] = pd.Series(dtype="string")
        else:
            try:
                out[col] = pd.Series(dtype=dtype)
            except TypeError:
                out[col] = pd.Series(dtype="object")
    df = pd.DataFrame(out)
    return df[[c for c in columns if c in df.columns]] if columns is not None else df


def load_manifest(client: str, root: str | Path | None = None) -> dict | None:
    """The manifest of the last successful ingest of ``client``, or None when there is none."""
    path = paths.processed_dir(client, root) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"the ingest manifest cannot be read ({exc})", file=path,
                        hint=f"run `tpkit ingest {client}` again") from exc


class ClientData:
    """Read access to one client's processed data: lazy Ibis tables, small pandas frames, the manifest.

    ``con`` is an open Ibis connection (one is opened on first use for the client's
    engine when not given). Nothing is read until asked for.
    """

    def __init__(self, client: str, root: str | Path | None = None, con=None) -> None:
        self.client = client
        self.root = root
        self._con = con
        self._frames: dict[tuple, pd.DataFrame] = {}

    @property
    def con(self):
        if self._con is None:
            self._con = connect(self.client, root=self.root)
        return self._con

    def has(self, name: str) -> bool:
        """Whether ingest wrote table ``name`` for this client."""
        return has_table(self.client, name, self.root)

    def table(self, name: str):
        """Table ``name`` as a lazy Ibis table; a clear error when ingest did not write it."""
        return table(self.con, name, client=self.client, root=self.root)

    @property
    def events(self):
        return self.table("events")

    def frame(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A small table (feedback, orders, reviews, costs) in pandas.

        When the client has no such table the frame is empty with the canonical
        columns, so a step can go on and say there is no data. ``ts`` is a datetime.
        """
        key = (name, tuple(columns) if columns is not None else None)
        if key not in self._frames:
            if self.has(name):
                df = read_small(self.client, name, self.root, columns=columns)
                if "ts" in df.columns:
                    df["ts"] = pd.to_datetime(df["ts"])
            else:
                df = empty_frame(name, columns)
            self._frames[key] = df
        return self._frames[key].copy()

    def manifest(self) -> dict | None:
        return load_manifest(self.client, self.root)
