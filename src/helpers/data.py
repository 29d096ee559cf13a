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
import os
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path

import ibis
import pandas as pd

from helpers import i18n, paths
from helpers.config import load_client
from helpers.errors import ClientNotFoundError, DataError, EngineError
from helpers.periods import Period
from helpers.schema import SCHEMAS

MANIFEST = "_manifest.json"

ENGINES = ("duckdb", "pyspark")
#: the kit's Spark settings; a client's ``spark.conf`` overrides them (the session time zone stays UTC)
SPARK_DEFAULTS = {
    "spark.app.name": "tpkit",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
#: added for a local master only: on a cluster the cluster's own defaults stand
SPARK_LOCAL_DEFAULTS = {"spark.sql.shuffle.partitions": "2", "spark.driver.memory": "2g"}
DEFAULT_MASTER = "local[*]"
_spark_lock = threading.Lock()
_spark: dict = {"key": None, "session": None}


def spark_settings(spark=None) -> tuple[str | None, str | None, dict[str, str]]:
    """(master, remote, conf) for a client's ``spark:`` settings (None: a local session on every core)."""
    master = getattr(spark, "master", None)
    remote = spark.resolved_remote() if spark is not None else None
    if master is None and remote is None:
        master = DEFAULT_MASTER
    conf = dict(SPARK_DEFAULTS)
    if master is not None and master.startswith("local"):
        conf.update(SPARK_LOCAL_DEFAULTS)
    if remote is not None:  # a Spark Connect server owns its UI, memory and application name
        conf = {"spark.sql.session.timeZone": "UTC"}
    conf.update(spark.resolved_conf() if spark is not None else {})
    return master, remote, conf


def spark_session(spark=None):
    """The Spark session for a client's ``spark:`` settings (:class:`helpers.config.SparkSettings` or None).

    One session per process and settings: asking again with the same settings returns the same
    session; other settings stop the previous session first (one Spark context per process).
    ``remote`` connects through Spark Connect (``SparkSession.builder.remote``).
    """
    master, remote, conf = spark_settings(spark)
    key = (master, remote, tuple(sorted(conf.items())))
    with _spark_lock:
        if _spark["key"] == key and _spark["session"] is not None:
            return _spark["session"]
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # pragma: no cover - pyspark is a core dependency
            raise EngineError("engine 'pyspark' needs pyspark installed", hint="run `make setup`") from exc
        if _spark["session"] is not None:
            _spark["session"].stop()
            _spark["key"] = _spark["session"] = None
        builder = SparkSession.builder
        if remote is not None:
            try:
                import pyspark.sql.connect  # noqa: F401  (needs grpcio: the Spark Connect client)
                from pyspark.sql.connect.utils import check_dependencies

                check_dependencies("pyspark.sql.connect")
            except ImportError as exc:
                raise EngineError(f"`spark.remote: {remote}` needs the Spark Connect client ({exc})",
                                  hint="install it with `pip install 'pyspark[connect]'`") from None
            builder = builder.remote(remote)
        else:
            builder = builder.master(master)
        for k, v in conf.items():
            builder = builder.config(k, v)
        try:
            session = builder.getOrCreate()
        except Exception as exc:
            where = f"Spark Connect at {remote}" if remote else f"the Spark master {master}"
            raise EngineError(f"cannot start a Spark session on {where}: {str(exc).strip().splitlines()[0]}",
                              hint="check `spark:` in client.yml and that the cluster is reachable") from exc
        if remote is None:
            session.sparkContext.setLogLevel("ERROR")
        _spark.update(key=key, session=session)
        return session


def stop_spark() -> None:
    """Stop this process's Spark session (if any)."""
    with _spark_lock:
        if _spark["session"] is not None:
            _spark["session"].stop()
        _spark.update(key=None, session=None)


#: environment variable with DuckDB's memory limit per connection ("6GB", "500MB", or "duckdb" for DuckDB's own
#: default of 80% of the machine); see :func:`duckdb_memory_limit`
MEMORY_ENV = "TPKIT_DUCKDB_MEMORY"

#: DuckDB's memory limit per connection when :data:`MEMORY_ENV` is not set: 3 GiB, or half the machine when that is
#: less (the notebook kernel's target is 6 GB: the rest is for pandas and the step results). DuckDB spills to a
#: temporary folder above it; the kit runs what cannot spill (the journeys' paths) in pieces sized to the limit
#: (:func:`helpers.engine.pieces_for`), so the notebook kernel stays within a few GB at any volume
DEFAULT_MEMORY_BYTES = 3 << 30

_UNITS = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _machine_bytes() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def duckdb_memory_limit() -> str | None:
    """DuckDB's memory limit for a connection: :data:`MEMORY_ENV` when set (for example ``8GB``; ``duckdb`` for
    DuckDB's own default, 80% of the machine, returned as None), else :data:`DEFAULT_MEMORY_BYTES` or half the
    machine, whichever is less. Above the limit DuckDB spills to a temporary folder where the query allows it."""
    import re

    value = os.environ.get(MEMORY_ENV, "").strip()
    if not value:
        return f"{min(DEFAULT_MEMORY_BYTES, _machine_bytes() // 2) >> 20}MiB"
    if value.lower() == "duckdb":
        return None
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, flags=re.IGNORECASE):
        raise EngineError(f"{MEMORY_ENV}={value!r} is not an amount of memory",
                          hint=f"set it like {MEMORY_ENV}=8GB or {MEMORY_ENV}=500MB, {MEMORY_ENV}=duckdb for "
                               "DuckDB's own default (80% of the machine), or unset it for the kit's (3 GB)")
    return value


def duckdb_memory_bytes() -> int:
    """The limit of :func:`duckdb_memory_limit` in bytes (80% of the machine for DuckDB's own default)."""
    import re

    limit = duckdb_memory_limit()
    if limit is None:
        return int(0.8 * _machine_bytes())
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-zA-Z]+)", limit).groups()  # type: ignore[union-attr]
    return int(float(number) * _UNITS[unit.lower()])


def _duckdb_spill_dir() -> str:
    import tempfile

    folder = Path(tempfile.gettempdir()) / f"tpkit-duckdb-{os.getpid()}"
    return str(folder).replace("'", "''")


_duckdb_lock = threading.Lock()
_duckdb: dict = {"key": None, "con": None}


def _shared_duckdb():
    """This process's DuckDB connection for client data (one database, so one memory limit for all of it)."""
    key = (os.getpid(), duckdb_memory_limit())
    with _duckdb_lock:
        if _duckdb["key"] != key:
            _duckdb.update(key=key, con=connect(engine="duckdb"))
        return _duckdb["con"]


def connect(client: str | None = None, engine: str | None = None, root: str | Path | None = None, *,
            shared: bool = False):
    """Open an Ibis connection for ``client`` (engine and Spark settings from its client.yml unless given).

    With ``shared`` a DuckDB connection is this process's one (:class:`ClientData` uses it): every step
    run in one notebook kernel then works in one DuckDB database within one memory limit, instead of a
    database (and a limit) per step. Spark has one session per process either way.
    """
    cfg = load_client(client, root) if client is not None else None
    if engine is None:
        engine = cfg.engine if cfg is not None else "duckdb"
    if engine == "duckdb" and shared:
        return _shared_duckdb()
    if engine == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET TimeZone = 'UTC'")
        # DuckDB's own default is 80% of the machine per connection; the kit's is lower (duckdb_memory_limit),
        # with a spill folder for what can spill and the journeys' paths (which cannot) computed in pieces
        limit = duckdb_memory_limit()
        if limit is not None:
            con.raw_sql(f"SET memory_limit = '{limit}'")
        con.raw_sql(f"SET temp_directory = '{_duckdb_spill_dir()}'")
        return con
    if engine == "pyspark":
        return ibis.pyspark.connect(spark_session(cfg.spark if cfg is not None else None))
    raise EngineError(f"unknown engine '{engine}'", hint=f"set engine to one of {', '.join(ENGINES)} in client.yml")


# --------------------------------------------------------------------------- storage

@dataclass(frozen=True)
class Storage:
    """Where a client's processed tables live: a local folder or a URI (``s3a://``, ``abfss://``, ``gs://``,
    ``hdfs://``, ``file://``). Spark reads :meth:`uri`; DuckDB and pandas read through :meth:`filesystem`."""

    location: str  # a local absolute path, or a URI with a scheme other than file
    scheme: str = "file"

    @property
    def local(self) -> Path | None:
        """The folder when the storage is on this machine, else None."""
        return Path(self.location) if self.scheme == "file" else None

    def uri(self, name: str | None = None) -> str:
        """Table ``name`` (``events`` -> ``.../events.parquet``) or the folder, as Spark reads it."""
        base = self.location.rstrip("/") if self.local is None else str(self.local)
        return base if name is None else f"{base}/{name}.parquet"

    def path(self, name: str) -> str:
        """What pyarrow (and so DuckDB and pandas) reads for table ``name``: a local path or a filesystem path."""
        return str(self.local / f"{name}.parquet") if self.local is not None else _arrow_path(self.uri(name))

    def filesystem(self):
        """A pyarrow filesystem for this storage (credentials from the environment, as each cloud SDK reads them)."""
        import pyarrow.fs as pafs

        if self.local is not None:
            return pafs.LocalFileSystem()
        try:
            fs, _ = pafs.FileSystem.from_uri(_arrow_uri(self.location))
        except Exception as exc:
            raise DataError(f"the storage {self.location} cannot be opened ({exc})",
                            hint="check `storage:` in client.yml and the credentials in the environment") from exc
        return fs

    def exists(self, name: str) -> bool:
        if self.local is not None:
            return (self.local / f"{name}.parquet").exists()
        import pyarrow.fs as pafs

        return self.filesystem().get_file_info(self.path(name)).type != pafs.FileType.NotFound

    def stamp(self) -> tuple:
        """(name, size, mtime) of every file in the storage: what a cached step depends on."""
        import pyarrow.fs as pafs

        if self.local is not None:
            return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(self.local.glob("*"))
                         if f.is_file())
        infos = self.filesystem().get_file_info(pafs.FileSelector(_arrow_path(self.location), allow_not_found=True))
        return tuple(sorted((i.base_name, i.size, i.mtime_ns) for i in infos if i.type == pafs.FileType.File))


def _arrow_uri(uri: str) -> str:
    """pyarrow spells Hadoop's s3a:// as s3://."""
    return "s3://" + uri[len("s3a://"):] if uri.startswith("s3a://") else uri


def _arrow_path(uri: str) -> str:
    """The path part pyarrow's filesystem for ``uri`` takes (``bucket/prefix/x`` for s3a://bucket/prefix/x)."""
    scheme, rest = uri.split("://", 1)
    if scheme in ("abfss", "abfs") and "@" in rest.split("/", 1)[0]:  # container@account.dfs.core.windows.net/p
        container, _, tail = rest.partition("/")
        return container.split("@", 1)[0] + ("/" + tail if tail else "")
    if scheme == "hdfs":
        return "/" + rest.partition("/")[2]
    return rest


def storage(client: str, root: str | Path | None = None, cfg=None) -> Storage:
    """The storage of ``client``'s processed tables: ``storage:`` in client.yml, else data/<client>/processed/."""
    cfg = cfg if cfg is not None else _config_or_none(client, root)
    where = getattr(cfg, "storage", None) if cfg is not None else None
    if not where:
        return Storage(str(paths.processed_dir(client, root)))
    from helpers.config import storage_scheme

    scheme = storage_scheme(where)
    if scheme is None:  # a folder, relative to the client's folder
        folder = Path(where).expanduser()
        return Storage(str(folder if folder.is_absolute() else (paths.client_dir(client, root) / folder).resolve()))
    if scheme == "file":
        from urllib.parse import unquote, urlparse

        return Storage(unquote(urlparse(where).path))
    return Storage(where, scheme)


def _config_or_none(client: str, root):
    try:
        return load_client(client, root)
    except ClientNotFoundError:
        return None  # no client.yml: the default folder (a missing table then names where it looked)


def parquet_path(client: str, name: str, root: str | Path | None = None) -> Path:
    """The local file of table ``name`` (for a remote storage: DataError; use :func:`storage`)."""
    store = storage(client, root)
    if store.local is None:
        raise DataError(f"client '{client}' keeps its processed tables in {store.location}, not in a local folder",
                        hint="read them with helpers.data.ClientData")
    return store.local / f"{name}.parquet"


def has_table(client: str, name: str, root: str | Path | None = None) -> bool:
    return storage(client, root).exists(name)


def _missing(client: str, name: str, store: Storage) -> DataError:
    return DataError(f"no processed table '{name}' for client '{client}' (looked for {store.uri(name)})",
                     hint=f"run `tpkit ingest {client}` (or `make demo` for the demo clients)")


def table(con, name: str, client: str, root: str | Path | None = None):
    """The canonical table ``name`` of ``client`` as an Ibis table (lazy; nothing is loaded)."""
    store = storage(client, root)
    if not store.exists(name):
        raise _missing(client, name, store)
    # the view name carries a digest of the table's location, so two project folders with the same
    # client name never share a view in one (Spark) session
    where = str(Path(store.uri(name)).resolve()) if store.local is not None else store.uri(name)
    if store.local is not None:  # a table written again (a new ingest) gets a new view, with its new columns
        info = Path(store.path(name)).stat()
        where += f"@{info.st_mtime_ns}:{info.st_size}"
    digest = hashlib.sha1(where.encode()).hexdigest()[:8]
    tname = f"{client}_{name}_{digest}".replace("-", "_")
    if tname in con.list_tables():
        return con.table(tname)
    if con.name == "duckdb" and store.local is None:
        # DuckDB scans a pyarrow dataset lazily (filters and columns pushed down): no DuckDB extension needed
        import pyarrow.dataset as pads

        con.con.register(tname, pads.dataset(store.path(name), filesystem=store.filesystem(), format="parquet"))
        return con.table(tname)
    return con.read_parquet(store.uri(name), table_name=tname)


def read_small(client: str, name: str, root: str | Path | None = None, columns: list[str] | None = None):
    """Read a small canonical table (feedback, orders, reviews, costs) into pandas."""
    store = storage(client, root)
    if not store.exists(name):
        raise _missing(client, name, store)
    import pyarrow.parquet as pq

    table = pq.read_table(store.path(name), columns=columns, filesystem=store.filesystem())
    # text columns stay in Arrow's buffers (pandas' pyarrow strings): a fifth of the memory of Python strings
    return table.to_pandas(types_mapper=_arrow_strings)


def _arrow_strings(t):
    import pyarrow as pa

    return pd.StringDtype("pyarrow") if pa.types.is_string(t) or pa.types.is_large_string(t) else None


def publish_tables(store: Storage, staged: Path, tables, produced: set[str], manifest: str = MANIFEST) -> None:
    """Put the staged ``<table>.parquet`` files of ``staged`` into ``store``; tables of earlier runs this run
    did not produce are removed, so the storage always matches its manifest. The manifest goes last."""
    if store.local is not None:
        store.local.mkdir(parents=True, exist_ok=True)
        for t in tables:
            src, dst = staged / f"{t}.parquet", store.local / f"{t}.parquet"
            if src.exists():
                _move(src, dst)
            elif dst.exists() and t not in produced:
                dst.unlink()
        _move(staged / manifest, store.local / manifest)
        return
    import pyarrow.fs as pafs

    fs, base = store.filesystem(), _arrow_path(store.location)
    local = pafs.LocalFileSystem()
    try:
        fs.create_dir(base, recursive=True)
        for t in tables:
            src, dst = staged / f"{t}.parquet", f"{base}/{t}.parquet"
            if src.exists():
                pafs.copy_files(str(src), dst, source_filesystem=local, destination_filesystem=fs)
            elif t not in produced and fs.get_file_info(dst).type != pafs.FileType.NotFound:
                fs.delete_file(dst)
        pafs.copy_files(str(staged / manifest), f"{base}/{manifest}", source_filesystem=local,
                        destination_filesystem=fs)
    except OSError as exc:
        raise DataError(f"the processed tables cannot be written to {store.location} ({exc})",
                        hint="check `storage:` in client.yml and the credentials in the environment") from exc


def _move(src: Path, dst: Path) -> None:
    """Replace ``dst`` by ``src`` atomically; across file systems by a copy next to ``dst`` and a rename."""
    try:
        os.replace(src, dst)
    except OSError:
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
        src.unlink()


def input_stamp(client: str, root: str | Path | None = None) -> tuple:
    """What a step result depends on: client.yml and the processed files (name, size, mtime)."""
    yml = paths.client_dir(client, root) / "client.yml"
    own = ((yml.name, yml.stat().st_size, yml.stat().st_mtime_ns),) if yml.is_file() else ()
    return own + storage(client, root).stamp()


def cached_step(compute, maxsize: int = 8):
    """Turn ``compute(client, period, root)`` into ``run(client, period, root=None)``.

    ``run`` validates the client and period, and reuses the last result until
    client.yml or the processed data change, so a notebook can call it in every
    cell without recomputing the event aggregates. The active report language is part
    of the key: results hold texts (notes, method names, reasons) in that language.
    """
    @lru_cache(maxsize=maxsize)
    def cached(client: str, label: str, root: str | None, stamp: tuple, language: str):
        return compute(client, label, root)

    @wraps(compute)
    def run(client: str, period, root: str | Path | None = None):
        root = str(Path(root).resolve()) if root else None
        label = Period.parse(period).label
        load_client(client, root)
        return cached(client, label, root, input_stamp(client, root), i18n.active())

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
    store = storage(client, root)
    path = store.local / MANIFEST if store.local is not None else store.uri().rstrip("/") + "/" + MANIFEST
    try:
        if store.local is not None:
            if not path.is_file():
                return None
            return json.loads(path.read_text(encoding="utf-8"))
        import pyarrow.fs as pafs

        fs = store.filesystem()
        where = _arrow_path(str(path))
        if fs.get_file_info(where).type == pafs.FileType.NotFound:
            return None
        with fs.open_input_stream(where) as f:
            return json.loads(f.read().decode("utf-8"))
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
            self._con = connect(self.client, root=self.root, shared=True)
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
