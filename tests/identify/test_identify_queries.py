"""Step 1, queries layer: the Ibis expressions on DuckDB against counts made by hand from SHOP_EVENTS."""

from __future__ import annotations

import pandas as pd
import pytest
from identify_cases import END, SHOP_EVENTS, START, events_frame, ts

from helpers import data
from helpers.identify.queries import event_activity, event_aggregates, event_table_stats, touch_expressions


@pytest.fixture(scope="module")
def events():
    con = data.connect(engine="duckdb")
    return con.create_table("shop_events", events_frame(SHOP_EVENTS))


def test_event_activity_counts_the_period_and_spans_history(events):
    out = event_activity(events, START, END).execute().set_index("touchpoint_id").sort_index()
    assert out["records"].to_dict() == {"checkout": 4, "search_ads": 1, "support": 1, "tiktok_ads": 2, "website": 4}
    assert out["customers"].to_dict() == {"checkout": 3, "search_ads": 1, "support": 1, "tiktok_ads": 2, "website": 3}
    # first seen reaches before the period (j3 in June); the purchase on 2 October is after it
    assert out.loc["search_ads", "first_seen"] == ts("2026-06-20 08:00")
    assert out.loc["checkout", "last_seen"] == ts("2026-08-01 12:05")


def test_first_and_last_touch_expressions(events):
    exprs = touch_expressions(events, START, END)
    first = exprs["first"].execute().set_index("touchpoint_id")["first_touches"].to_dict()
    last = exprs["last"].execute().set_index("touchpoint_id")["last_touches"].to_dict()
    # journeys started in the period: j1 search_ads, j2 and j5 tiktok_ads, j4 website, j6 checkout (j3 began in June)
    assert first == {"search_ads": 1, "tiktok_ads": 2, "website": 1, "checkout": 1}
    # purchases in the period: j1, j3, j4 (website just before each) and j6 (no earlier touch); j5 bought in October
    assert int(exprs["purchases"].execute()) == 4
    assert last == {"website": 3}


def test_ties_in_time_are_broken_by_touchpoint_id():
    con = data.connect(engine="duckdb")
    ev = con.create_table("ties", events_frame([
        ("j", "c", "2026-07-01 10:00", "b_site", False, 0.0),
        ("j", "c", "2026-07-01 10:00", "a_ads", False, 0.0),
        ("j", "c", "2026-07-02 10:00", "z_mail", False, 0.0),
        ("j", "c", "2026-07-02 10:00", "y_chat", False, 0.0),
        ("j", "c", "2026-07-03 10:00", "checkout", True, 10.0),
    ]))
    exprs = touch_expressions(ev, START, END)
    assert exprs["first"].execute()["touchpoint_id"].tolist() == ["a_ads"]
    assert exprs["last"].execute()["touchpoint_id"].tolist() == ["z_mail"]


def test_event_table_stats_whole_table_and_period(events):
    row = event_table_stats(events, START, END).execute().iloc[0]
    assert (row["rows"], row["rows_in_period"], row["customers_in_period"], row["touchpoints_in_period"]) == (
        14, 12, 5, 5)
    assert (row["first"], row["last"]) == (ts("2026-06-20 08:00"), ts("2026-10-02 10:00"))
    assert (row["first_in_period"], row["last_in_period"]) == (ts("2026-07-02 10:00"), ts("2026-09-30 23:59"))


def test_event_aggregates_bring_back_small_results(events):
    out = event_aggregates(events, START, END)
    assert (out["journeys"], out["purchases"]) == (5, 4)
    assert isinstance(out["journeys"], int) and isinstance(out["purchases"], int)
    assert set(out["activity"]["source"]) == {"events"}
    assert isinstance(out["activity"], pd.DataFrame) and len(out["activity"]) == 5
    assert out["stats"]["table"] == "events" and out["stats"]["rows"] == 14


def test_table_aggregates_keep_feedback_orders_and_reviews_in_the_engine():
    """Counted by hand: the period is 2026Q3; rows without a touchpoint and after the period count only in the
    table's row count and span; feedback rows take their source from the ``source`` column."""
    from helpers.identify.queries import table_aggregates
    from helpers.periods import Period

    con = data.connect(engine="duckdb")
    feedback = con.create_table("fb_cases", pd.DataFrame({
        "touchpoint_id": ["a", "a", "a", "b", None, "a"],
        "customer_id": ["x", "y", "x", "z", "x", "w"],
        "source": ["survey", " Interview ", None, "observation", "survey", "survey"],
        "csat": [5.0, 3.0, None, 2.0, 4.0, 1.0],
        "ts": pd.to_datetime(["2026-07-02 00:00", "2026-07-03 00:00", "2026-08-01 00:00", "2026-09-30 23:00",
                              "2026-07-05 00:00", "2026-10-01 00:00"]),
    }))
    orders = con.create_table("orders_cases", pd.DataFrame({
        "touchpoint_id": ["shop", "shop", None], "customer_id": ["x", "x", "y"],
        "ts": pd.to_datetime(["2026-06-30", "2026-07-02", "2026-07-05"]),
        "revenue": [1.0, 2.0, 3.0]}))
    reviews = con.create_table("reviews_cases", pd.DataFrame({
        "touchpoint_id": ["app"], "customer_id": pd.Series([None], dtype="string"),
        "ts": pd.to_datetime(["2026-08-08"]), "rating": [4]}),
        overwrite=True)
    out = table_aggregates({"feedback": feedback, "orders": orders, "reviews": reviews}, None,
                           Period.parse("2026Q3"))
    fb, od, rv = out["frames"]
    got = {(r.touchpoint_id, r.source): (r.records, r.customers) for r in fb.itertuples()}
    # a/surveys: x on 2 July and x again (no source) on 1 August; 1 October is after the period
    assert got == {("a", "surveys"): (2, 1), ("a", "interviews"): (1, 1), ("b", "observations"): (1, 1)}
    assert od[["touchpoint_id", "records", "customers"]].values.tolist() == [["shop", 1, 1]]
    assert od["first_seen"].iloc[0] == pd.Timestamp("2026-06-30")
    assert rv[["records", "customers"]].values.tolist() == [[1, 0]]
    stats = {s["table"]: s for s in out["stats"]}
    assert (stats["feedback"]["rows"], stats["feedback"]["rows_in_period"], stats["feedback"]["touchpoints_in_period"]
            ) == (6, 5, 2)
    assert stats["feedback"]["last"] == pd.Timestamp("2026-10-01")
    assert (stats["orders"]["rows"], stats["orders"]["rows_in_period"], stats["orders"]["touchpoints_in_period"]
            ) == (3, 2, 1)
    csat = out["csat"].set_index("touchpoint_id")
    assert csat.loc["a", "csat"] == pytest.approx(4.0) and csat.loc["a", "csat_n"] == 2  # 5 and 3; 1 is after
    assert csat.loc["b", "csat"] == pytest.approx(2.0)
