"""Ibis engines: the same expression gives the same answer on DuckDB and Spark."""

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import data
from helpers.errors import DataError, EngineError


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
