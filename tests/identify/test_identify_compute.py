"""Step 1, compute layer: the tables from small hand-made frames (no engine, no matplotlib)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from identify_cases import END, START, ts

from helpers.identify.compute import (
    ACTIVITY_COLUMNS,
    OPTIONAL_TABLES,
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_ONE_SOURCE,
    absent_tables,
    build_inventory,
    build_source_inventory,
    combine_activity,
    cost_table_stats,
    coverage_table,
    current_csat,
    feedback_source_labels,
    find_blind_spots,
    find_unknowns,
    period_totals,
    pivot_coverage,
    small_table_aggregates,
    source_activity,
    touch_table,
)
from helpers.periods import Period


def test_feedback_source_labels_default_to_surveys():
    fb = pd.DataFrame({"source": ["survey", "Interview", None, "observation", "web form"]})
    assert list(feedback_source_labels(fb)) == ["surveys", "interviews", "surveys", "observations",
                                                         "surveys"]
    assert list(feedback_source_labels(pd.DataFrame({"x": [1, 2]}))) == ["surveys", "surveys"]


def test_source_activity_counts_period_and_spans_history():
    df = pd.DataFrame({
        "touchpoint_id": ["a", "a", "a", "b", None, "a"],
        "customer_id": ["x", "x", "y", "z", "x", "w"],
        "ts": pd.to_datetime(["2026-06-01 00:00", "2026-07-02 00:00", "2026-08-01 00:00", "2026-09-30 23:00",
                              "2026-07-05 00:00", "2026-10-01 00:00"]),
    })
    out = source_activity(df, "orders", START, END).set_index("touchpoint_id")
    assert out.loc["a", "records"] == 2  # June is before, 1 October is after the period
    assert out.loc["a", "customers"] == 2
    assert out.loc["a", "first_seen"] == ts("2026-06-01")
    assert out.loc["a", "last_seen"] == ts("2026-08-01")
    assert out.loc["b", "records"] == 1
    assert set(out.index) == {"a", "b"}  # the row without a touchpoint is ignored
    assert (out["source"] == "orders").all()


def test_source_activity_without_customers_or_touchpoints():
    df = pd.DataFrame({"touchpoint_id": ["a"], "ts": pd.to_datetime(["2026-07-02"])})
    out = source_activity(df, "reviews", START, END, customer_col=None)
    assert out.loc[0, "records"] == 1 and out.loc[0, "customers"] == 0
    no_tp = source_activity(pd.DataFrame({"ts": pd.to_datetime(["2026-07-02"])}), "orders", START, END)
    assert no_tp.empty and list(no_tp.columns) == ACTIVITY_COLUMNS


def test_current_csat_means_in_period_only():
    fb = pd.DataFrame({"touchpoint_id": ["a", "a", "a", "b", None],
                       "csat": [5, 3, 1, np.nan, 4],
                       "ts": pd.to_datetime(["2026-07-01", "2026-09-30", "2026-06-30", "2026-07-05", "2026-07-05"])})
    out = current_csat(fb, START, END).set_index("touchpoint_id")
    assert out.loc["a", "csat"] == pytest.approx(4.0)
    assert out.loc["a", "csat_n"] == 2
    assert "b" not in out.index  # no rating


def test_pivot_coverage_fills_zeros_and_keeps_order():
    act = combine_activity([
        pd.DataFrame({"touchpoint_id": ["b", "a"], "source": ["events", "events"], "records": [3, 1],
                      "customers": [2, 1], "first_seen": [ts("2026-07-01")] * 2, "last_seen": [ts("2026-07-02")] * 2}),
        pd.DataFrame({"touchpoint_id": ["a"], "source": ["reviews"], "records": [4], "customers": [0],
                      "first_seen": [ts("2026-07-01")], "last_seen": [ts("2026-07-02")]}),
    ])
    cov = pivot_coverage(act, ["a", "b", "c"])
    assert list(cov["touchpoint_id"]) == ["a", "b", "c"]
    assert list(cov.columns) == ["touchpoint_id", "events", "surveys", "interviews", "orders", "reviews"]
    assert cov.set_index("touchpoint_id").loc["a", ["events", "reviews"]].tolist() == [1, 4]
    assert cov.set_index("touchpoint_id").loc["c"].sum() == 0


def test_touch_table_shares():
    first = pd.DataFrame({"touchpoint_id": ["a", "b"], "first_touches": [3, 1]})
    last = pd.DataFrame({"touchpoint_id": ["b", "x"], "last_touches": [2, 1]})
    out = touch_table(first, last, lambda t: {"a": "A", "b": "B"}.get(t, f"?{t}"), journeys=4, purchases=4)
    out = out.set_index("touchpoint_id")
    assert out.loc["a", "first_share"] == pytest.approx(0.75)
    assert out.loc["a", "last_touches"] == 0
    assert out.loc["b", "last_share"] == pytest.approx(0.5)
    assert out.loc["x", "name"] == "?x"  # the namer decides what an unknown id is called
    assert list(out.index) == ["a", "b", "x"]


def test_build_source_inventory_without_manifest_leaves_rejects_unknown():
    stats = pd.DataFrame([{"table": "events", "rows": 10, "first": ts("2026-07-01"), "last": ts("2026-08-01"),
                           "rows_in_period": 9, "touchpoints_in_period": 2}])
    out = build_source_inventory(stats, None)
    assert pd.isna(out.loc[0, "rejected"]) and np.isnan(out.loc[0, "share_rejected"])
    man = {"files": [{"table": "events", "file": "raw/a.csv", "rejected": 1},
                     {"table": "events", "file": "raw/b.csv", "rejected": 9}], "tables": {}}
    out = build_source_inventory(stats, man)
    assert out.loc[0, "files"] == "raw/a.csv, raw/b.csv"
    assert out.loc[0, "rejected"] == 10
    assert out.loc[0, "share_rejected"] == pytest.approx(0.5)


def test_cost_table_stats_counts_the_period_or_its_quarter():
    costs = pd.DataFrame({"touchpoint_id": ["a", "b", "a"], "period": ["2026Q3", "2026Q3", "2026Q2"],
                          "cost": [1.0, 2.0, 3.0]})
    q3 = cost_table_stats(costs, Period.parse("2026Q3"))
    assert (q3["rows"], q3["rows_in_period"], q3["touchpoints_in_period"]) == (3, 2, 2)
    aug = cost_table_stats(costs, Period.parse("2026-08"))
    assert aug["rows_in_period"] == 2
    assert cost_table_stats(costs, Period.parse("2025Q1"))["touchpoints_in_period"] == 0


CATALOGUE = pd.DataFrame([
    {"touchpoint_id": "ads", "name": "Ads", "kind": "digital", "stage": "awareness", "phase": "before purchase",
     "owner": "M", "sources": "events, feedback"},
    {"touchpoint_id": "shop", "name": "Shop", "kind": "physical", "stage": "decision", "phase": "during purchase",
     "owner": "R", "sources": "orders"},
    {"touchpoint_id": "fair", "name": "Fair", "kind": "physical", "stage": "awareness", "phase": "before purchase",
     "owner": "S", "sources": "interviews"},
])


def _activity(rows) -> pd.DataFrame:
    """Activity rows (touchpoint, source, records, customers, first, last)."""
    return combine_activity([pd.DataFrame(rows, columns=ACTIVITY_COLUMNS)])


def test_inventory_orders_by_stage_and_counts_sources():
    act = _activity([("ads", "events", 5, 4, ts("2026-06-01"), ts("2026-09-01")),
                     ("ads", "surveys", 2, 2, ts("2026-07-02"), ts("2026-07-03")),
                     ("shop", "orders", 3, 3, ts("2026-07-05"), ts("2026-08-05")),
                     ("fair", "interviews", 0, 0, ts("2026-05-01"), ts("2026-05-01"))])
    csat = pd.DataFrame({"touchpoint_id": ["ads"], "csat": [4.5], "csat_n": [2]})
    inv = build_inventory(CATALOGUE, act, csat).set_index("touchpoint_id")
    assert list(inv.index) == ["ads", "fair", "shop"]  # awareness first, catalogue order within a stage
    assert (inv.loc["ads", "volume"], inv.loc["ads", "customers"], inv.loc["ads", "n_sources"]) == (7, 4, 2)
    assert inv.loc["ads", "status"] == STATUS_OK and inv.loc["ads", "missing_sources"] == ""
    assert inv.loc["shop", "status"] == STATUS_ONE_SOURCE and np.isnan(inv.loc["shop", "csat"])
    # an interview before the period: seen, but no data in it, and the catalogued source is missing
    assert inv.loc["fair", "status"] == STATUS_NO_DATA and inv.loc["fair", "missing_sources"] == "interviews"
    assert inv.loc["fair", "last_seen"] == ts("2026-05-01") and inv.loc["shop", "csat_n"] == 0


def test_inventory_of_an_empty_catalogue_is_empty_with_its_columns():
    act = _activity([("x", "events", 1, 1, ts("2026-07-01"), ts("2026-07-01"))])
    inv = build_inventory(pd.DataFrame(), act)
    assert inv.empty and {"touchpoint_id", "status", "volume", "csat"} <= set(inv.columns)
    assert list(find_unknowns(act, [])["touchpoint_id"]) == ["x"]


def test_blind_spots_use_the_given_wording():
    act = _activity([("ads", "events", 5, 4, ts("2026-06-01"), ts("2026-09-01")),
                     ("shop", "orders", 3, 3, ts("2026-07-05"), ts("2026-08-05"))])
    inv = build_inventory(CATALOGUE, act)
    calls = []
    spots = find_blind_spots(inv, lambda st, src, ls: calls.append((st, src, ls)) or f"{st}:{src}")
    assert list(spots["touchpoint_id"]) == ["fair", "shop", "ads"]  # no data first, then the thinnest
    assert list(spots["issue"]) == ["no data:", "one source:orders", "one source:events"]
    # called once per row in inventory order (ads, fair, shop); fair was never seen
    assert [c[0] for c in calls] == [STATUS_ONE_SOURCE, STATUS_NO_DATA, STATUS_ONE_SOURCE]
    assert pd.isna(calls[1][2]) and calls[0][2] == ts("2026-09-01")


def test_small_table_aggregates_leave_out_missing_tables():
    orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["a", "b"], "touchpoint_id": ["shop", None],
                           "ts": pd.to_datetime(["2026-07-02", "2026-08-02"]), "revenue": [1.0, 2.0]})
    out = small_table_aggregates({"orders": orders}, Period.parse("2026Q3"))
    assert [s["table"] for s in out["stats"]] == ["orders"]
    assert out["stats"][0]["rows_in_period"] == 2 and out["stats"][0]["touchpoints_in_period"] == 1
    assert out["csat"] is None  # no feedback: no CSAT, not an error
    assert len(out["frames"]) == 1 and out["frames"][0]["records"].tolist() == [1]
    none = small_table_aggregates({}, Period.parse("2026Q3"))
    assert none["frames"] == [] and none["stats"] == [] and none["csat"] is None


def test_absent_tables_in_catalogue_order():
    sources = pd.DataFrame({"table": ["events", "orders"]})
    assert absent_tables(sources) == ["feedback", "reviews", "costs"]
    assert absent_tables(pd.DataFrame({"table": ["events", *OPTIONAL_TABLES]})) == []


def test_period_totals_from_event_stats():
    stats = {"rows_in_period": np.int64(12), "customers_in_period": 5, "first_in_period": ts("2026-07-02 10:00"),
             "last_in_period": pd.NaT}
    out = period_totals(stats, np.int64(5), 4)
    assert out == {"events": 12, "customers": 5, "journeys_started": 5, "purchases": 4,
                   "first_event": "2026-07-02T10:00:00", "last_event": None}
    assert all(type(v) is int for k, v in out.items() if k not in ("first_event", "last_event"))


def test_coverage_table_names_each_row():
    act = _activity([("x", "events", 2, 1, ts("2026-07-01"), ts("2026-07-01"))])
    cov = coverage_table(act, ["ads", "x"], lambda t: {"ads": "Ads"}.get(t, f"?{t}"))
    assert list(cov.columns[:2]) == ["touchpoint_id", "name"] and list(cov["name"]) == ["Ads", "?x"]
    assert cov.set_index("touchpoint_id").loc["x", "events"] == 2


def test_compute_layer_imports_no_matplotlib():
    code = "import sys, helpers.identify.compute, helpers.identify.queries, helpers.identify.narrative; " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'seaborn')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    # the figure names of the package still work, loaded on first use
    code = "import sys; from helpers import identify; identify.journey_map; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "True"
