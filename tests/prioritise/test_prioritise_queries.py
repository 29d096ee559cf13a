"""The Ibis side of step 3: journey paths and time decay in days from a small event table (DuckDB and Spark)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import prioritise


def _events(tmp_path):
    t0 = pd.Timestamp("2026-07-01 10:00")
    rows = [  # journey, touchpoint, hours after t0, converted, revenue
        ("j1", "a", 0, False, 0), ("j1", "b", 1, False, 0), ("j1", "c", 2, True, 100), ("j1", "d", 3, False, 0),
        ("j2", "a", 0, False, 0), ("j2", "a", 1, False, 0), ("j2", "b", 2, False, 0),
        ("j3", "b", 0, False, 0), ("j3", "c", 24, True, 50), ("j3", "c", 30, True, 70),
        ("j4", "a", -2400, False, 0), ("j4", "c", 1, True, 10),     # started before the period
        ("j5", "c", 5, False, 0), ("j5", "c", 6, True, 30),          # a repeat ending in the purchase
    ]
    df = pd.DataFrame([{"customer_id": j, "journey_id": j, "touchpoint_id": tp, "ts": t0 + pd.Timedelta(hours=h),
                        "converted": c, "revenue": float(r)} for j, tp, h, c, r in rows])
    df["ts"] = df["ts"].astype("datetime64[us]")
    path = tmp_path / "events.parquet"
    df.to_parquet(path)
    return path


Q3 = (dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1))


def test_journey_paths_from_events(tmp_path):
    from helpers import data

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_events(tmp_path)))
    got = prioritise.journey_paths(ev, *Q3).set_index("path")
    # j1 stops at its first purchase (d comes after), j3 at its first purchase, j4 started before the period
    assert got.to_dict("index") == {
        "a > a > b": {"journeys": 1, "conversions": 0, "nulls": 1, "revenue": 0.0},
        "a > b > c": {"journeys": 1, "conversions": 1, "nulls": 0, "revenue": 100.0},
        "b > c": {"journeys": 1, "conversions": 1, "nulls": 0, "revenue": 50.0},
        "c > c": {"journeys": 1, "conversions": 1, "nulls": 0, "revenue": 30.0},
    }
    collapsed = prioritise.journey_paths(ev, *Q3, collapse_repeats=True).set_index("path")
    assert set(collapsed.index) == {"a > b", "a > b > c", "b > c", "c"}
    assert collapsed.loc["c", "revenue"] == 30.0 and collapsed.loc["c", "conversions"] == 1
    by_q = prioritise.journey_paths(ev, dt.datetime(2026, 1, 1), Q3[1], by_quarter=True)
    assert set(by_q["quarter"]) == {"2026Q1", "2026Q3"}  # j4 started on 2026-03-23
    assert by_q.loc[by_q["quarter"] == "2026Q1", "path"].tolist() == ["a > c"]


def test_time_decay_in_days_from_events(tmp_path):
    from helpers import data

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_events(tmp_path)))
    got = prioritise.time_decay_days_expr(ev, *Q3, half_life_days=1.0).execute().set_index("touchpoint_id")
    # j1: a, b, c are 2h, 1h, 0h before the purchase: weights .5^(2/24), .5^(1/24), 1, normalised
    w = np.array([0.5 ** (2 / 24), 0.5 ** (1 / 24), 1.0])
    w = w / w.sum()
    # j3: b is 24 h (one half-life) before the purchase at c: 0.5 and 1 -> 1/3, 2/3
    assert got.loc["a", "conversions"] == pytest.approx(w[0])
    assert got.loc["b", "conversions"] == pytest.approx(w[1] + 1 / 3)
    assert got.loc["c", "revenue"] == pytest.approx(100 * w[2] + 50 * 2 / 3 + 30)
    assert got["conversions"].sum() == pytest.approx(3.0)  # j1, j3 and j5 (j5: c and c, 1 h apart)


@pytest.mark.spark
def test_journey_paths_are_the_same_on_spark(tmp_path):
    from helpers import data

    path = _events(tmp_path)
    duck = prioritise.journey_paths(data.connect(engine="duckdb").read_parquet(str(path)), *Q3)
    spark = prioritise.journey_paths(data.connect(engine="pyspark").read_parquet(str(path)), *Q3)
    pd.testing.assert_frame_equal(duck.sort_values("path").reset_index(drop=True),
                                  spark.sort_values("path").reset_index(drop=True), check_dtype=False)
    decay = [prioritise.time_decay_days_expr(data.connect(engine=e).read_parquet(str(path)), *Q3).execute()
             .sort_values("touchpoint_id").reset_index(drop=True) for e in ("duckdb", "pyspark")]
    pd.testing.assert_frame_equal(decay[0], decay[1], check_dtype=False)



def _random_events(tmp_path, journeys: int = 600, seed: int = 7):
    """Journeys over three quarters (some spanning a quarter's end), with repeats and purchases."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2026-01-01")
    rows = []
    for j in range(journeys):
        start = t0 + pd.Timedelta(hours=int(rng.integers(0, 24 * 270)))
        for k in range(int(rng.integers(1, 7))):
            bought = bool(rng.random() < 0.15)
            rows.append({"customer_id": f"c{j % 97}", "journey_id": f"j{j}", "touchpoint_id": "abcde"[rng.integers(5)],
                         "ts": start + pd.Timedelta(hours=int(rng.integers(0, 200)) * (k + 1)), "converted": bought,
                         "revenue": float(rng.integers(10, 500)) if bought else 0.0})
    df = pd.DataFrame(rows)
    df["ts"] = df["ts"].astype("datetime64[us]")
    path = tmp_path / "many.parquet"
    df.to_parquet(path)
    return path


def test_in_pieces_partitions_the_journeys(tmp_path):
    from helpers import data, engine

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_random_events(tmp_path)))
    assert engine.pieces_for(1000, 300) == 4 and engine.pieces_for(0, 300) == 1 and engine.pieces_for(300, 300) == 1
    pieces = engine.in_pieces(ev, "journey_id", 4)
    ids = [set(p.select("journey_id").distinct().execute()["journey_id"]) for p in pieces]
    assert all(ids) and sum(len(s) for s in ids) == len(set().union(*ids)) == 600   # disjoint, every journey
    assert sum(int(p.count().execute()) for p in pieces) == int(ev.count().execute())


@pytest.mark.parametrize("by_quarter,collapse", [(True, False), (False, False), (False, True)])
def test_journey_paths_in_pieces_equal_the_whole(tmp_path, by_quarter, collapse):
    # the second method is the single query over the whole window; pieces must add up to exactly its table
    from helpers import data

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_random_events(tmp_path)))
    start, end = dt.datetime(2026, 1, 1), dt.datetime(2026, 10, 1)
    whole = prioritise.journey_paths(ev, start, end, by_quarter=by_quarter, collapse_repeats=collapse,
                                     piece_rows=10**9)
    pieced = prioritise.journey_paths(ev, start, end, by_quarter=by_quarter, collapse_repeats=collapse,
                                      piece_rows=200)
    assert len(whole) > 20 and whole["journeys"].sum() > 500
    pd.testing.assert_frame_equal(pieced, whole, check_exact=False, rtol=1e-12)
    if by_quarter:
        assert set(whole["quarter"]) == {"2026Q1", "2026Q2", "2026Q3"}


def test_time_decay_in_pieces_equals_the_whole(tmp_path, monkeypatch):
    from helpers import data, engine
    from helpers.prioritise import queries

    con = data.connect(engine="duckdb")
    ev = con.read_parquet(str(_random_events(tmp_path)))
    whole = queries.time_decay_days(ev, *Q3, half_life_days=7.0)
    monkeypatch.setattr(engine, "piece_rows", lambda: 150)
    pieced = queries.time_decay_days(ev, *Q3, half_life_days=7.0)
    assert whole["conversions"].sum() > 10
    pd.testing.assert_frame_equal(pieced, whole, check_exact=False, rtol=1e-12)
