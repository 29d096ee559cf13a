"""The one journey definition (helpers.journeys), shared by step 2 and step 3."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest
from analyse_helpers import ev_frame, write_project

from helpers import analyse, data, journeys, prioritise

START, END = dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1)

# j_before starts in June and buys in July; j_inside lies in the quarter; j_after starts in September and
# goes on in October; j_late starts in October
CROSSING = ev_frame([
    ("j_before", "c1", "2026-06-30 22:00", "ads", False, 0.0, "club"),
    ("j_before", "c1", "2026-07-01 09:00", "checkout", True, 40.0, "club"),
    ("j_inside", "c2", "2026-07-10 10:00", "web", False, 0.0, "guest"),
    ("j_inside", "c2", "2026-07-10 10:30", "checkout", True, 60.0, "guest"),
    ("j_after", "c3", "2026-09-30 20:00", "web", False, 0.0, "guest"),
    ("j_after", "c3", "2026-10-01 08:00", "checkout", True, 70.0, "guest"),
    ("j_late", "c4", "2026-10-02 08:00", "web", False, 0.0, "guest"),
])


def _events():
    ev = CROSSING.assign(ts=pd.to_datetime(CROSSING["ts"]).astype("datetime64[us]"))
    return ibis.memtable(ev)


def test_a_journey_belongs_to_the_period_of_its_first_event_with_all_its_events():
    got = journeys.period_events(_events(), START, END).execute().sort_values("ts")
    assert list(got["journey_id"]) == ["j_inside", "j_inside", "j_after", "j_after"]
    # the October purchase of j_after converts the journey that started in September
    assert set(got.loc[got["converted"], "journey_id"]) == {"j_inside", "j_after"}
    june = journeys.period_events(_events(), dt.datetime(2026, 6, 1), START).execute()
    assert set(june["journey_id"]) == {"j_before"} and len(june) == 2 and june["converted"].any()
    assert len(journeys.period_events(_events()).execute()) == len(CROSSING)


def test_labelled_periods_apply_the_same_definition_to_each_period():
    periods = {"june": (dt.datetime(2026, 6, 1), START), "q3": (START, END)}
    got = journeys.labelled_period_events(_events(), periods).execute()
    for name, (start, end) in periods.items():
        alone = journeys.period_events(_events(), start, end).execute()
        mine = got[got["period"] == name].drop(columns="period")
        pd.testing.assert_frame_equal(mine.sort_values("ts").reset_index(drop=True),
                                      alone.sort_values("ts").reset_index(drop=True))


def test_collapse_path():
    assert journeys.collapse_path(["web", "web", "faq", "web", "web", "checkout"]) == "web > faq > web > checkout"
    assert journeys.collapse_path([]) == ""


def test_step_2_and_step_3_see_the_same_journeys(tmp_path):
    root = write_project(tmp_path, CROSSING)
    r = analyse.compute("acme", "2026Q3", root=root)
    assert r.totals["journeys"] == 2 and r.totals["converted_journeys"] == 2
    con = data.connect("acme", root=root)
    paths = prioritise.journey_paths(data.table(con, "events", "acme", root=root), START, END,
                                     collapse_repeats=True)
    assert paths["journeys"].sum() == r.totals["journeys"]
    assert paths["conversions"].sum() == r.paths["conversions"].sum() == 2
    assert dict(zip(paths["path"], paths["journeys"])) == dict(zip(r.paths["path"], r.paths["journeys"]))


@pytest.mark.parametrize("period, expected", [("2026Q2", 1), ("2026Q3", 2), ("2026Q4", 1)])
def test_each_journey_counts_in_exactly_one_period(tmp_path, period, expected):
    root = write_project(tmp_path, CROSSING)
    assert analyse.compute("acme", period, root=root).totals["journeys"] == expected
