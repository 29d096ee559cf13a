"""Step 1 with optional data missing: no feedback, orders, reviews or costs, events without a segment.

A tiny client with every table is written to a tmp folder; each case leaves one table
out (or all of them) and checks that the step still runs, that the numbers of the other
sources are unchanged, and that the text says which source is missing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from identify_cases import Q3, events_frame, frame, write_client
from identify_cases import row as row_of

from helpers import artifacts, identify

CATALOGUE = [
    {"id": "web", "name": "Website", "kind": "digital", "stage": "consideration",
     "sources": ["events", "feedback", "reviews"]},
    {"id": "store", "name": "Store", "kind": "physical", "stage": "decision", "sources": ["orders", "feedback"]},
]
EVENTS = [("j1", "c1", "2026-07-02 10:00", "web", False, 0.0),
          ("j1", "c1", "2026-07-03 10:00", "web", True, 40.0),
          ("j2", "c2", "2026-08-05 09:00", "web", False, 0.0)]


def _tables(segment: bool = True) -> dict[str, pd.DataFrame]:
    events = events_frame(EVENTS)
    if segment:
        events["segment"] = ["new", "new", "returning"]
    return {
        "events": events,
        "feedback": frame([("r1", "c1", "2026-07-03 11:00", "web", 4, 9, "survey"),
                           ("r2", None, "2026-08-01 10:00", "store", 2, None, "interview")],
                          ["response_id", "customer_id", "ts", "touchpoint_id", "csat", "nps", "source"]),
        "orders": frame([("o1", "c3", "2026-07-10 12:00", 25.0, "store"),
                         ("o2", "c4", "2026-09-10 12:00", 30.0, "store")],
                        ["order_id", "customer_id", "ts", "revenue", "touchpoint_id"]),
        "reviews": frame([("v1", "google", "2026-07-20 10:00", 5, "fine", "web")],
                         ["review_id", "source", "ts", "rating", "text", "touchpoint_id"]),
        "costs": pd.DataFrame({"touchpoint_id": ["web", "store"], "period": ["2026Q3", "2026Q3"],
                               "cost": [100.0, 200.0]}),
    }


def _client(root: Path, name: str, leave_out: tuple[str, ...] = (), segment: bool = True) -> str:
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    tables = {k: v for k, v in _tables(segment).items() if k not in leave_out}
    write_client(root, name, CATALOGUE, tables)
    return name


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    root = tmp_path_factory.mktemp("identify_full")
    return identify.compute(_client(root, "full"), Q3, root=root)


def test_full_client_counts_every_source(full):
    assert list(full.sources["table"]) == ["events", "feedback", "orders", "reviews", "costs"]
    assert full.absent == ()
    web, store = row_of(full.inventory, "web"), row_of(full.inventory, "store")
    assert (web["volume"], web["sources"]) == (5, "events, surveys, reviews")  # 3 events, 1 survey, 1 review
    assert (store["volume"], store["sources"]) == (3, "interviews, orders")
    assert (web["csat"], store["csat"]) == (4.0, 2.0)
    assert "supplied no" not in identify.say_sources(full)._repr_html_()


@pytest.mark.parametrize("table", ["feedback", "orders", "reviews", "costs"])
def test_a_missing_optional_table_is_said_and_the_rest_unchanged(full, tmp_path, table):
    res = identify.compute(_client(tmp_path, f"no_{table}", leave_out=(table,)), Q3, root=tmp_path)
    assert res.absent == (table,)
    assert table not in set(res.sources["table"])
    noun = {"feedback": "feedback", "orders": "order", "reviews": "review", "costs": "cost"}[table]
    text = identify.say_sources(res)._repr_html_()
    assert f"This client supplied no {noun} data." in text
    assert f"No {noun} data for this client" in " ".join(identify.findings(res).findings)
    # the other sources count as before; only the missing one's records are gone
    lost = {"feedback": {"web": 1, "store": 1}, "orders": {"store": 2}, "reviews": {"web": 1}, "costs": {}}[table]
    for tp in ("web", "store"):
        assert row_of(res.inventory, tp)["volume"] == row_of(full.inventory, tp)["volume"] - lost.get(tp, 0)
    pd.testing.assert_frame_equal(res.touches, full.touches)
    assert res.totals == full.totals
    assert identify.findings(res).metrics.keys() == identify.findings(full).metrics.keys()


def test_without_feedback_no_touchpoint_has_a_csat(tmp_path):
    res = identify.compute(_client(tmp_path, "nofb", leave_out=("feedback",)), Q3, root=tmp_path)
    assert res.inventory["csat"].isna().all() and (res.inventory["csat_n"] == 0).all()
    assert "Without feedback, no touchpoint has a CSAT score." in identify.say_sources(res)._repr_html_()
    fig = identify.journey_map(res.inventory, unknowns=res.unknowns, title=res.title)
    assert sum("CSAT: no ratings" in t.get_text() for t in fig.axes[0].texts) == 2


def test_events_only_without_segment(tmp_path, full):
    res = identify.run(_client(tmp_path, "bare", leave_out=identify.OPTIONAL_TABLES, segment=False), Q3,
                       root=tmp_path)
    assert list(res.sources["table"]) == ["events"]
    assert res.absent == ("feedback", "orders", "reviews", "costs")
    text = identify.say_sources(res)._repr_html_()
    assert "This client supplied no feedback, order, review or cost data." in text
    assert "1 data table is available" in text  # no manifest either
    store = row_of(res.inventory, "store")
    assert store["status"] == "no data" and store["missing_sources"] == "orders, feedback"
    assert list(res.blind_spots["touchpoint_id"]) == ["store", "web"]
    assert res.totals == full.totals  # the events give the same totals with or without a segment column
    artifacts.save(tmp_path / "arts", identify.findings(res))
    saved = artifacts.load(tmp_path / "arts", "identify")
    assert set(saved.tables) == {"inventory", "blind_spots", "unknowns", "coverage", "sources", "touches"}
    assert saved.metrics["blind_spots"] == 1 and saved.metrics["single_source"] == 1
    assert "Rows in period" in identify.show(res, "sources")._repr_html_()
    assert "Every touchpoint id in the data is catalogued." in identify.show(res, "unknowns")._repr_html_()
