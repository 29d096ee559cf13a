"""Step 2 work pushed into the engine: the order summary per customer, the customers' first touchpoint, two
aggregates in one query and the kept slice of the period, each against a second, independent computation."""

from __future__ import annotations

import datetime as dt

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers import clv, data, engine, journeys
from helpers.analyse import queries as q
from helpers.analyse.compute import customer_frame, customer_value, customer_value_from

END = dt.datetime(2026, 10, 1)


def _con():
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


@pytest.fixture(scope="module")
def orders():
    rng = np.random.default_rng(7)
    n = 4000
    cust = rng.integers(0, 500, n)
    # times spread over 2025-2026, with orders on Sunday 23:59 and Monday 00:00 (the week boundary) and at the
    # last instant before the end and on the end itself (excluded)
    ts = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 638 * 86400, n), unit="s")
    ts = pd.Series(ts)
    ts.iloc[:20] = pd.Timestamp("2026-03-01 23:59:59")   # a Sunday
    ts.iloc[20:40] = pd.Timestamp("2026-03-02 00:00:00")  # the Monday after
    ts.iloc[40:45] = pd.Timestamp(END) - pd.Timedelta(microseconds=1)
    ts.iloc[45:50] = pd.Timestamp(END)
    seg = rng.choice(["club", "guest", None], n)
    return pd.DataFrame({"order_id": [f"o{i}" for i in range(n)], "customer_id": [f"c{c:04d}" for c in cust],
                         "ts": ts.astype("datetime64[us]"), "revenue": rng.gamma(2.0, 300.0, n).round(2),
                         "segment": seg})


@pytest.mark.parametrize("freq", ["W", "D", "M"])
def test_rfm_in_sql_equals_the_pandas_summary(orders, freq):
    got = q.rfm_expr(_con().create_table("orders", orders), END, freq=freq).execute().set_index("customer_id")
    inside = orders[orders["ts"] < pd.Timestamp(END)]
    want = clv.rfm_summary(inside, observation_end=pd.Timestamp(END) - pd.Timedelta(microseconds=1), freq=freq)
    assert list(got.index) == list(want.index)
    for col in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(got[col].to_numpy(), want[col].to_numpy(), err_msg=col)
    np.testing.assert_allclose(got["monetary_value"].to_numpy(), want["monetary_value"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(got["orders"].to_numpy(), inside.groupby("customer_id").size().to_numpy())


def test_rfm_order_segment_is_that_of_the_latest_order_with_one(orders):
    got = q.rfm_expr(_con().create_table("orders", orders), END).execute().set_index("customer_id")
    inside = orders[(orders["ts"] < pd.Timestamp(END)) & orders["segment"].notna()]
    latest = inside.loc[inside.groupby("customer_id")["ts"].idxmax()].set_index("customer_id")["segment"]
    # ties in time make "the latest" ambiguous: compare only customers whose latest time is unique
    counts = inside.groupby("customer_id")["ts"].apply(lambda s: int((s == s.max()).sum()))
    unique = counts[counts == 1].index
    assert len(unique) > 400
    assert got.loc[unique, "order_segment"].tolist() == latest.loc[unique].tolist()


def test_customer_info_equals_the_ordered_window(tmp_path):
    rng = np.random.default_rng(3)
    n = 3000
    base = pd.Timestamp("2026-01-01")
    ev = pd.DataFrame({
        "customer_id": [f"c{i:03d}" for i in rng.integers(0, 300, n)],
        # whole hours only: many customers have several events at their first instant (ties by touchpoint id)
        "ts": (base + pd.to_timedelta(rng.integers(0, 24 * 5, n), unit="h")).astype("datetime64[us]"),
        "touchpoint_id": rng.choice(["web", "app", "store", "mail"], n),
        "segment": rng.choice(["a", "b"], n),
    })
    con = _con()
    events = con.create_table("events", ev)
    ids = q.customers_table([f"c{i:03d}" for i in range(0, 300, 2)])
    got = q.customer_info_expr(events, END, ids, with_segment=True).execute().sort_values("customer_id")
    first = q.first_touch_expr(events, END, customers=ids).execute()
    seg = q.customer_segment_expr(events, END, customers=ids).execute()
    want = first.merge(seg, on="customer_id").sort_values("customer_id")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want[got.columns].reset_index(drop=True))
    ties = ev.groupby("customer_id")["ts"].apply(lambda s: int((s == s.min()).sum()))
    assert (ties > 1).sum() > 10  # the test has ties to break


def test_two_aggregates_in_one_query_equal_each_on_its_own(tmp_path):
    rng = np.random.default_rng(5)
    n = 2000
    ev = pd.DataFrame({"journey_id": [f"j{i}" for i in rng.integers(0, 400, n)],
                       "customer_id": [f"c{i}" for i in rng.integers(0, 100, n)],
                       "touchpoint_id": rng.choice(["web", "app", "store"], n),
                       "converted": rng.random(n) < 0.1, "revenue": rng.gamma(2.0, 100.0, n)})
    t = _con().create_table("ev", ev)
    for keys in (["touchpoint_id"], []):
        a, b = q.execute_together(q.volume_expr(t, keys), q.journey_touch_expr(t, keys), keys)
        for got, expr in ((a, q.volume_expr(t, keys)), (b, q.journey_touch_expr(t, keys))):
            want = expr.execute()
            order = keys or list(want.columns[:1])
            pd.testing.assert_frame_equal(got.sort_values(order).reset_index(drop=True),
                                          want[got.columns].sort_values(order).reset_index(drop=True),
                                          check_dtype=False)


def test_materialised_slice_holds_the_period_rows(tmp_path):
    ev = pd.DataFrame({"journey_id": ["a", "a", "b", "c"], "customer_id": ["x", "x", "y", "z"],
                       "ts": pd.to_datetime(["2026-06-30 23:00", "2026-07-01 01:00", "2026-07-02 00:00",
                                             "2026-10-01 00:00"]).astype("datetime64[us]"),
                       "touchpoint_id": ["web", "app", "web", "app"], "extra": [1, 2, 3, 4]})
    con = _con()
    t = con.create_table("ev", ev)
    kept = engine.materialise(journeys.period_events(t, dt.datetime(2026, 7, 1), END),
                              ["journey_id", "ts", "touchpoint_id", "no_such_column"])
    assert kept.columns == ("journey_id", "ts", "touchpoint_id")
    assert sorted(kept.execute()["journey_id"]) == ["b"]  # journey a started in June, c after the end
    temporary = "select count(*) from duckdb_tables() where temporary"
    assert con.raw_sql(temporary).fetchone()[0] == 1
    engine.release(kept)  # the slice's memory goes back to the engine
    assert con.raw_sql(temporary).fetchone()[0] == 0


def test_expected_purchases_by_distinct_triples_equal_the_direct_formula():
    rng = np.random.default_rng(11)
    n = 6000  # above the size from which distinct triples are used
    x = rng.integers(0, 6, n).astype(float)
    tx = np.minimum(rng.integers(0, 50, n), 49).astype(float) * (x > 0)
    big_t = tx + rng.integers(0, 30, n)
    fit = clv.BGNBDFit(0.8, 12.0, 0.6, 2.5, 0.0, n, True, "W", "")
    got = fit.expected_purchases(52.0, x, tx, big_t)
    want = fit._expected(np.asarray(52.0), x, tx, big_t)  # every customer on its own
    np.testing.assert_array_equal(got, want)


def test_distinct_rows_in_order_as_numpy_unique():
    rng = np.random.default_rng(2)
    cols = [rng.integers(0, 4, 500).astype(float) for _ in range(3)]
    uniq, counts = clv._aggregate(*cols)
    want, want_counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
    np.testing.assert_array_equal(np.column_stack(uniq), want)
    np.testing.assert_array_equal(counts, want_counts)


def test_customer_value_from_sql_rows_equals_the_pandas_path(orders):
    inside = orders[orders["ts"] < pd.Timestamp(END)]
    info = pd.DataFrame({"customer_id": sorted(inside["customer_id"].unique())})
    info["first_touchpoint"] = np.where(np.arange(len(info)) % 3 == 0, "web", "store")
    info["segment"] = "guest"
    want = customer_value(orders, info, END)
    per = q.rfm_expr(_con().create_table("orders", orders), END).execute()
    got = customer_value_from(customer_frame(per, info))
    cols = ["customer_id", "frequency", "recency", "T", "orders", "first_touchpoint", "segment"]
    pd.testing.assert_frame_equal(got["per_customer"][cols], want["per_customer"][cols], check_dtype=False)
    np.testing.assert_allclose(got["per_customer"]["monetary_value"], want["per_customer"]["monetary_value"],
                               rtol=1e-12)
    # the engine adds a customer's order values in its own order, so mean spends may differ in the last bit;
    # the maximum-likelihood optimiser stops within its tolerance of the optimum, which moves the fitted
    # parameters and so the CLV by up to about 1e-5 relative (the report shows CLV in whole currency units)
    np.testing.assert_allclose(got["per_customer"]["clv"], want["per_customer"]["clv"], rtol=1e-4)
    pd.testing.assert_frame_equal(got["by_segment"], want["by_segment"], rtol=1e-4)
    # the per-customer frame the result keeps holds its texts in Arrow's buffers, with the same values
    ids = got["per_customer"]["customer_id"]
    assert isinstance(ids.dtype, pd.StringDtype) and ids.dtype.storage == "pyarrow"
    assert ids.tolist() == info["customer_id"].tolist()
    as_objects = got["per_customer"].astype({"customer_id": object, "segment": object, "first_touchpoint": object})
    assert got["per_customer"].memory_usage(deep=True).sum() < as_objects.memory_usage(deep=True).sum()


@pytest.mark.spark
def test_order_summary_and_customer_info_are_the_same_on_spark(tmp_path, orders):
    folder = tmp_path / "data" / "acme" / "processed"
    folder.mkdir(parents=True)
    orders.to_parquet(folder / "orders.parquet", index=False)
    ev = orders.rename(columns={"order_id": "touchpoint_id"})[["customer_id", "ts", "touchpoint_id", "segment"]]
    ev.to_parquet(folder / "events.parquet", index=False)
    out = {}
    for name in ("duckdb", "pyspark"):
        con = data.connect(engine=name)
        o = data.table(con, "orders", "acme", root=tmp_path)
        e = data.table(con, "events", "acme", root=tmp_path)
        rfm = q.rfm_expr(o, END).execute().sort_values("customer_id").reset_index(drop=True)
        info = q.customer_info_expr(e, END, q.customers_table(rfm["customer_id"]), True).execute()
        out[name] = (rfm, info.sort_values("customer_id").reset_index(drop=True))
    for a, b in zip(out["duckdb"], out["pyspark"]):
        pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_customer_value_above_the_cap_is_fitted_on_a_random_sample(demo_root, monkeypatch):
    """With the cap below the demo's customers, a share cap/total of them is kept (binomial: within 4 sd),
    the same customers on a second run, the report says so, and the sample's mean CLV is inside the full
    population's 95% interval of the mean (a sample of half the customers estimates the same mean)."""
    import importlib

    from helpers.analyse import narrative

    step = importlib.import_module("helpers.analyse.step")
    src = data.ClientData("nordlys", root=demo_root)
    end = dt.datetime(2026, 10, 1)
    full = step.customer_value_of(src, src.events, end, True)
    total = len(full["per_customer"])
    assert "sample" not in full
    monkeypatch.setattr(q, "MAX_MODEL_CUSTOMERS", total // 2)
    part = step.customer_value_of(src, src.events, end, True)
    again = step.customer_value_of(src, src.events, end, True)
    s = part["sample"]
    assert s["customers"] == total and s["share"] == pytest.approx((total // 2) / total)
    sd = np.sqrt(total * s["share"] * (1 - s["share"]))
    assert abs(s["sampled"] - total * s["share"]) < 4 * sd
    assert set(part["per_customer"]["customer_id"]) == set(again["per_customer"]["customer_id"])
    assert set(part["per_customer"]["customer_id"]) <= set(full["per_customer"]["customer_id"])
    clv_full = full["per_customer"]["clv"].dropna()
    half = 1.96 * clv_full.std(ddof=1) / np.sqrt(len(clv_full))
    assert abs(part["per_customer"]["clv"].mean() - clv_full.mean()) < 2 * half

    class Result:  # what say_value reads
        value, currency, names = part, "DKK", {}

    text = narrative.say_value(Result())._repr_html_()
    assert "random sample" in text and f"{s['sampled']:,}" in text


def test_step_2_path_counts_in_pieces_equal_the_single_query(monkeypatch):
    # step 2's collapsed paths of the period's events, computed in hash buckets of the journey id once the
    # events pass the piece size, must add up to the single query's table (the second method)
    from helpers.analyse.step import path_counts

    rng = np.random.default_rng(3)
    rows = []
    for j in range(400):
        t0 = pd.Timestamp("2026-07-01") + pd.Timedelta(hours=int(rng.integers(0, 2000)))
        for k in range(int(rng.integers(1, 6))):
            rows.append({"journey_id": f"j{j}", "touchpoint_id": "abcd"[rng.integers(4)],
                         "ts": t0 + pd.Timedelta(minutes=30 * k), "converted": bool(rng.random() < 0.2)})
    ev = pd.DataFrame(rows)
    ev["ts"] = ev["ts"].astype("datetime64[us]")
    t = _con().create_table("ev", ev)
    want = q.paths_expr(t).execute().sort_values("path").reset_index(drop=True)
    monkeypatch.setattr(engine, "piece_rows", lambda: 100)
    assert engine.pieces_for(len(ev)) > 5
    got = path_counts(t).sort_values("path").reset_index(drop=True)
    assert want["journeys"].sum() == 400 and len(want) > 30
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)


def test_customer_frame_of_engine_joined_rows_fills_as_the_merge_and_keeps_arrow_strings():
    # rows as the engine returns them (the info already joined, texts as pandas' Arrow strings): a customer
    # without events gets "(no events)", the latest order's segment wins, no segment anywhere gets the label
    from helpers.analyse.compute.value import NO_EVENTS

    s = pd.StringDtype("pyarrow")
    per = pd.DataFrame({"customer_id": pd.array(["a", "b", "c"], dtype=s), "frequency": [1.0, 0.0, 2.0],
                        "orders": [2, 1, 3], "order_segment": pd.array(["vip", None, None], dtype=s),
                        "first_touchpoint": pd.array(["web", None, "store"], dtype=s),
                        "segment": pd.array(["guest", "guest", None], dtype=s)})
    got = customer_frame(per)
    assert got["segment"].tolist() == ["vip", "guest", q.NO_SEGMENT]
    assert got["first_touchpoint"].tolist() == ["web", NO_EVENTS, "store"]
    assert "order_segment" not in got.columns
    for col in ("customer_id", "segment", "first_touchpoint"):
        assert isinstance(got[col].dtype, pd.StringDtype), col
    # the same customers through the pandas merge give the same frame
    info = per[["customer_id", "first_touchpoint", "segment"]].astype(object).iloc[[0, 2, 1]]
    merged = customer_frame(per.drop(columns=["first_touchpoint", "segment"]), info)
    pd.testing.assert_frame_equal(merged.astype({c: object for c in ("customer_id", "segment", "first_touchpoint")}),
                                  got.astype({c: object for c in ("customer_id", "segment", "first_touchpoint")}))
