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
