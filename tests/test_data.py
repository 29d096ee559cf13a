"""Ibis engines: the same expression gives the same answer on DuckDB and Spark; storage of processed tables."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import data
from helpers.errors import DataError, EngineError
from ingest_helpers import make_client


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    folder = root / "data" / "acme"
    (folder / "processed").mkdir(parents=True)
    (folder / "client.yml").write_text(yaml.safe_dump({
        "name": "Acme",
        "touchpoints": [{"id": t, "name": t, "kind": "digital", "stage": "consideration"} for t in "abc"],
    }))
    rng = np.random.default_rng(7)
    n = 5000
    ev = pd.DataFrame({
        "customer_id": rng.integers(0, 800, n).astype(str),
        "ts": pd.Timestamp("2026-07-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
        "touchpoint_id": rng.choice(list("abc"), n),
        "journey_id": rng.integers(0, 1500, n).astype(str),
        "converted": rng.random(n) < 0.1,
    })
    ev["revenue"] = np.where(ev["converted"], rng.gamma(2.0, 300.0, n).round(2), 0.0)
    ev["ts"] = ev["ts"].astype("datetime64[us]")
    ev.to_parquet(folder / "processed" / "events.parquet", index=False)
    return root, ev


def _aggregate(con, root):
    ev = data.table(con, "events", "acme", root=root)
    q3 = ev.filter((ev.ts >= pd.Timestamp("2026-07-01")) & (ev.ts < pd.Timestamp("2026-10-01")))
    out = (
        q3.group_by("touchpoint_id")
        .agg(events=q3.count(), customers=q3.customer_id.nunique(), revenue=q3.revenue.sum(),
             conversions=q3.converted.cast("int64").sum())
        .order_by("touchpoint_id")
        .execute()
    )
    return out.reset_index(drop=True)


def _expected(ev):
    g = ev.groupby("touchpoint_id")
    return pd.DataFrame({
        "touchpoint_id": sorted(ev["touchpoint_id"].unique()),
        "events": g.size().values,
        "customers": g["customer_id"].nunique().values,
        "revenue": g["revenue"].sum().values,
        "conversions": g["converted"].sum().values,
    })


def test_duckdb_aggregate_matches_pandas(project):
    root, ev = project
    got = _aggregate(data.connect("acme", root=root), root)
    exp = _expected(ev)
    pd.testing.assert_frame_equal(got, exp, check_dtype=False)


@pytest.mark.spark
def test_spark_gives_the_same_aggregate_as_duckdb(project):
    root, _ = project
    duck = _aggregate(data.connect("acme", engine="duckdb", root=root), root)
    spark = _aggregate(data.connect("acme", engine="pyspark", root=root), root)
    pd.testing.assert_frame_equal(duck, spark, check_dtype=False)


def test_engine_from_client_yml(project):
    root, _ = project
    con = data.connect("acme", root=root)
    assert con.name == "duckdb"


def test_unknown_engine_and_missing_table(project):
    root, _ = project
    with pytest.raises(EngineError, match="unknown engine"):
        data.connect(engine="sqlite3")
    with pytest.raises(DataError, match="tpkit ingest acme"):
        data.table(data.connect("acme", root=root), "orders", "acme", root=root)


def test_table_is_registered_once(project):
    root, _ = project
    con = data.connect("acme", root=root)
    a = data.table(con, "events", "acme", root=root)
    b = data.table(con, "events", "acme", root=root)
    assert a.count().execute() == b.count().execute() == 5000


def test_same_client_in_two_roots_is_not_confused(project, tmp_path):
    root, ev = project
    other = tmp_path / "data" / "acme" / "processed"
    other.mkdir(parents=True)
    ev.head(10).to_parquet(other / "events.parquet", index=False)
    con = data.connect(engine="duckdb")
    assert data.table(con, "events", "acme", root=root).count().execute() == 5000
    assert data.table(con, "events", "acme", root=tmp_path).count().execute() == 10


# ----------------------------------------------------------------------------- storage

EVENTS_CSV = ("customer_id,ts,touchpoint_id,journey_id,converted,revenue\n"
              "c1,2026-07-01 10:00,web,j1,false,0\n"
              "c1,2026-07-01 10:05,store,j1,true,120.5\n"
              "c2,2026-08-02 09:00,web,j2,false,0\n")


def _ingested(tmp_path, storage, monkeypatch):
    from helpers import ingest

    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")
    root = tmp_path / "proj"
    make_client(root, sources=[{"table": "events", "file": "raw/events.csv"}], files={"events.csv": EVENTS_CSV},
                **({"storage": storage} if storage else {}))
    return root, ingest.ingest_client("acme", root=root)


def test_ingest_writes_to_a_file_uri_elsewhere_and_every_reader_reads_from_there(tmp_path, monkeypatch):
    elsewhere = tmp_path / "lake" / "acme tables"
    root, result = _ingested(tmp_path, elsewhere.as_uri(), monkeypatch)
    assert (elsewhere / "events.parquet").is_file() and (elsewhere / "_manifest.json").is_file()
    assert not (root / "data" / "acme" / "processed").exists()  # nothing in the default folder
    assert str(result.processed_dir) == str(elsewhere)
    src = data.ClientData("acme", root=root)
    assert src.has("events") and not src.has("feedback")
    n = src.events.count().execute()
    assert n == 3
    assert "events" in src.manifest()["tables"]
    assert data.load_manifest("acme", root) == json.loads((elsewhere / "_manifest.json").read_text())
    assert data.read_small("acme", "events", root)["revenue"].sum() == pytest.approx(120.5)
    # the step cache sees the files of the storage
    assert {"client.yml", "events.parquet", "_manifest.json"} <= {name for name, *_ in data.input_stamp("acme", root)}


def test_the_report_fingerprint_follows_the_tables_in_the_storage(tmp_path, monkeypatch):
    """A report is rebuilt when the tables change where client.yml's storage puts them, not in processed/."""
    from helpers.report import provenance

    elsewhere = tmp_path / "lake" / "acme"
    root, _ = _ingested(tmp_path, elsewhere.as_uri(), monkeypatch)
    before = provenance.data_hash("acme", root)
    assert provenance.data_hash("acme", root) == before  # stable while nothing changes
    table = elsewhere / "events.parquet"
    table.write_bytes(table.read_bytes() + b"\0")
    assert provenance.data_hash("acme", root) != before


def test_a_relative_storage_folder_is_relative_to_the_client_folder(tmp_path, monkeypatch):
    root, _ = _ingested(tmp_path, "../../shared/acme", monkeypatch)
    assert (root / "shared" / "acme" / "events.parquet").is_file()
    assert data.storage("acme", root).local == (root / "shared" / "acme").resolve()


def test_a_missing_table_names_the_storage(tmp_path, monkeypatch):
    root, _ = _ingested(tmp_path, (tmp_path / "lake").as_uri(), monkeypatch)
    with pytest.raises(DataError, match=str(tmp_path / "lake" / "feedback.parquet")):
        data.table(data.connect("acme", root=root), "feedback", "acme", root=root)


def test_an_unknown_storage_scheme_is_a_clear_error(tmp_path, monkeypatch):
    from helpers.errors import ConfigError

    with pytest.raises(ConfigError, match=r"(?s)client\.yml.*key 'storage'.*'ftp://' is not a storage the kit reads"):
        _ingested(tmp_path, "ftp://files.example.com/acme", monkeypatch)


@pytest.mark.parametrize(
    "uri,arrow_uri,path",
    [
        ("s3a://bucket/tpkit/acme", "s3://bucket/tpkit/acme", "bucket/tpkit/acme/events.parquet"),
        ("gs://bucket/acme", "gs://bucket/acme", "bucket/acme/events.parquet"),
        ("abfss://lake@acct.dfs.core.windows.net/tpkit/acme", "abfss://lake@acct.dfs.core.windows.net/tpkit/acme",
         "lake/tpkit/acme/events.parquet"),
        ("hdfs://namenode:8020/tpkit/acme", "hdfs://namenode:8020/tpkit/acme", "/tpkit/acme/events.parquet"),
    ],
)
def test_cloud_storage_gives_spark_the_uri_and_pyarrow_its_path(tmp_path, uri, arrow_uri, path):
    (tmp_path / "data" / "acme").mkdir(parents=True)
    (tmp_path / "data" / "acme" / "client.yml").write_text(yaml.safe_dump({
        "name": "Acme", "storage": uri, "touchpoints": [{"id": "a", "name": "A", "kind": "digital",
                                                         "stage": "decision"}]}))
    store = data.storage("acme", tmp_path)
    assert store.local is None and store.scheme == uri.split(":")[0]
    assert store.uri("events") == uri + "/events.parquet"  # what Spark reads (s3a:// as Hadoop spells it)
    assert store.path("events") == path
    assert data._arrow_uri(uri) == arrow_uri
    with pytest.raises(DataError, match="not in a local folder"):
        data.parquet_path("acme", "events", tmp_path)


def test_remote_storage_is_written_and_read_through_a_pyarrow_filesystem(tmp_path, monkeypatch):
    """The code path of s3a://, gs://, ... without a network: the storage's filesystem is a local folder."""
    import pyarrow.fs as pafs

    bucket = tmp_path / "bucket-root"
    bucket.mkdir()
    monkeypatch.setattr(data.Storage, "filesystem", lambda self: pafs.SubTreeFileSystem(str(bucket),
                                                                                        pafs.LocalFileSystem()))
    root, result = _ingested(tmp_path, "gs://bucket/tpkit/acme", monkeypatch)
    assert result.processed_dir == "gs://bucket/tpkit/acme"
    assert (bucket / "bucket" / "tpkit" / "acme" / "events.parquet").is_file()
    src = data.ClientData("acme", root=root)
    ev = src.events
    assert ev.filter(ev.touchpoint_id == "web").count().execute() == 2  # DuckDB scanning the pyarrow dataset
    assert src.frame("events")["revenue"].sum() == pytest.approx(120.5)
    assert src.manifest() is not None and src.has("events") and not src.has("orders")
    assert any(name == "_manifest.json" for name, *_ in data.input_stamp("acme", root))


# ----------------------------------------------------------------------------- Spark settings

def _spark_cfg(**spark):
    from helpers.config import SparkSettings

    return SparkSettings(**spark)


def test_spark_settings_default_to_a_local_session_on_every_core():
    master, remote, conf = data.spark_settings(None)
    assert (master, remote) == ("local[*]", None)
    assert conf["spark.sql.session.timeZone"] == "UTC" and conf["spark.sql.shuffle.partitions"] == "2"


def test_a_cluster_master_keeps_the_cluster_defaults_and_takes_the_client_conf():
    master, remote, conf = data.spark_settings(_spark_cfg(master="spark://10.1.1.1:7077",
                                                          conf={"spark.executor.memory": "8g"}))
    assert master == "spark://10.1.1.1:7077" and remote is None
    assert "spark.sql.shuffle.partitions" not in conf and "spark.driver.memory" not in conf
    assert conf["spark.executor.memory"] == "8g" and conf["spark.sql.session.timeZone"] == "UTC"


def test_spark_connect_sends_only_the_session_settings():
    master, remote, conf = data.spark_settings(_spark_cfg(remote="sc://h:15002"))
    assert master is None and remote == "sc://h:15002"
    assert conf == {"spark.sql.session.timeZone": "UTC"}


def test_duckdb_memory_limit_is_the_kits_default_unless_the_environment_sets_one(monkeypatch):
    """No variable: 3 GiB or half the machine; "duckdb": DuckDB's own 80%; 3GB: that limit; nonsense: an error."""
    import os

    from helpers import engine, errors

    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    monkeypatch.delenv(data.MEMORY_ENV, raising=False)
    expected = min(3 * 2**30, total // 2)
    assert data.duckdb_memory_limit() == f"{expected // 2**20}MiB"
    con = data.connect(engine="duckdb")
    shown = con.raw_sql("select current_setting('memory_limit')").fetchone()[0]
    assert shown.endswith("GiB") and float(shown.split()[0]) == pytest.approx(expected / 2**30, rel=0.01)
    assert data.duckdb_memory_bytes() == expected
    # the pieces of the journeys' paths follow the limit: 3 GiB / 400 bytes an event
    assert engine.piece_rows() == expected // engine.BYTES_PER_PATH_EVENT
    monkeypatch.setenv(data.MEMORY_ENV, "duckdb")
    assert data.duckdb_memory_limit() is None
    con = data.connect(engine="duckdb")
    shown = con.raw_sql("select current_setting('memory_limit')").fetchone()[0]
    assert shown.endswith("GiB") and float(shown.split()[0]) == pytest.approx(0.8 * total / 2**30, rel=0.05)
    assert data.duckdb_memory_bytes() == int(0.8 * total)
    monkeypatch.setenv(data.MEMORY_ENV, "3GB")
    con = data.connect(engine="duckdb")
    got = con.raw_sql("select current_setting('memory_limit')").fetchone()[0]
    assert got == "2.7 GiB"  # DuckDB shows 3 * 10^9 bytes in GiB
    assert data.duckdb_memory_bytes() == 3 * 10**9
    assert engine.piece_rows() == 3 * 10**9 // 400
    monkeypatch.setenv(data.MEMORY_ENV, "plenty")
    with pytest.raises(errors.EngineError, match="TPKIT_DUCKDB_MEMORY"):
        data.connect(engine="duckdb")


def test_a_cached_step_keeps_one_result_per_report_language(project):
    # the step results hold texts in the active language: a kernel that renders Danish after English must not get
    # the English notes back from the cache, and the same language again must not recompute
    from helpers import i18n

    root, _ev = project
    calls = []

    def compute(client, period, root):
        calls.append(i18n.active())
        return i18n._("no data")

    run = data.cached_step(compute)
    with i18n.using("en"):
        english = run("acme", "2026Q3", root)
    with i18n.using("da"):
        danish = run("acme", "2026Q3", root)
    with i18n.using("en"):
        again = run("acme", "2026Q3", root)
    assert english == again == "no data" and danish != english
    assert calls == ["en", "da"]


def test_client_data_of_one_process_share_one_duckdb_database(tmp_path, monkeypatch):
    # every step run in one notebook kernel works in one DuckDB database, so the memory limit holds for all of
    # them together; a table written again (a new ingest) is read with its new columns through the same connection
    monkeypatch.delenv(data.MEMORY_ENV, raising=False)
    folder = tmp_path / "data" / "acme"
    (folder / "processed").mkdir(parents=True)
    (folder / "client.yml").write_text(yaml.safe_dump({"name": "Acme", "touchpoints": [
        {"id": "a", "name": "a", "kind": "digital", "stage": "consideration"}]}))
    target = folder / "processed" / "events.parquet"
    pd.DataFrame({"journey_id": ["j1", "j2"], "n": [1, 2]}).to_parquet(target, index=False)
    one, two = data.ClientData("acme", root=tmp_path), data.ClientData("acme", root=tmp_path)
    assert one.con is two.con
    assert one.events.n.sum().execute() == 3
    assert two.con.raw_sql("select current_setting('memory_limit')").fetchone()[0] == data.connect(
        engine="duckdb").raw_sql("select current_setting('memory_limit')").fetchone()[0]
    assert data.connect(engine="duckdb") is not one.con  # a plain connect() is a connection of its own
    import os
    import time

    time.sleep(0.01)
    pd.DataFrame({"journey_id": ["j1", "j2", "j3"], "n": [1, 2, 4], "extra": ["x", "y", "z"]}).to_parquet(
        target, index=False)
    os.utime(target, ns=(time.time_ns(), time.time_ns()))
    again = data.ClientData("acme", root=tmp_path)
    assert again.con is one.con
    assert "extra" in again.events.columns and again.events.n.sum().execute() == 7
