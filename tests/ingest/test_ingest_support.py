"""Zendesk and Freshdesk presets: the genuine Zendesk API objects of the corpus and documented CSV exports;
expected values from the raw files (json and csv modules)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.ingest import ingest_client
from helpers.ingest.adapters.base import Sample
from helpers.ingest.adapters.support import FreshdeskTickets, ZendeskTickets, satisfaction

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "real-exports" / "support"
TICKET = CORPUS / "zendesk_api_ticket_trial.json"
RATING = CORPUS / "zendesk_api_satisfaction_rating_docs_example.json"
real = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-export corpus is not at {CORPUS}")
CATALOGUE = [{"id": "support", "name": "Customer service", "kind": "digital", "stage": "retention"}]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")


def _client(root: Path, name: str, content, sources: list[dict]) -> Path:
    folder = root / "data" / "desk"
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    target = folder / "raw" / name
    if isinstance(content, Path):
        target.symlink_to(content)
    else:
        target.write_text(content, encoding="utf-8")
    cfg = {"name": "Desk", "timezone": "Europe/Copenhagen", "touchpoints": CATALOGUE,
           "sources": [{"file": f"raw/{name}", **s} for s in sources]}
    (folder / "client.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return folder


def _json_sample(path: Path) -> Sample:
    rec = json.loads(path.read_text(encoding="utf-8"))
    return Sample(path=path, format="json", columns=list(pd.json_normalize([rec]).columns), records=[rec])


def _csv_sample(path: Path, text: str) -> Sample:
    rows = list(csv.reader(io.StringIO(text)))
    return Sample(path=path, format="csv", columns=rows[0], rows=rows[:20])


@real
def test_zendesk_ticket_object_is_one_support_event(tmp_path):
    ticket = json.loads(TICKET.read_text(encoding="utf-8"))
    det = ZendeskTickets.detect(_json_sample(TICKET))
    assert det is not None and (det.tool, det.table) == ("zendesk", "events")
    folder = _client(tmp_path, TICKET.name, TICKET, [{"table": "events", "tool": "zendesk"}])
    ingest_client("desk", root=tmp_path)
    events = pd.read_parquet(folder / "processed" / "events.parquet")
    assert len(events) == 1
    assert events["ts"].iat[0] == pd.Timestamp(ticket["created_at"]).tz_localize(None)
    assert events["touchpoint_id"].iat[0] == "support" and not events["converted"].iat[0]


@real
def test_zendesk_ticket_with_an_empty_rating_gives_no_feedback(tmp_path):
    ticket = json.loads(TICKET.read_text(encoding="utf-8"))
    assert ticket["satisfaction_rating"] == {}
    _client(tmp_path, TICKET.name, TICKET, [{"table": "feedback", "tool": "zendesk"}])
    from helpers.errors import SchemaError

    # an empty rating object has no score field at all: the file holds no ratings to read
    with pytest.raises(SchemaError, match="no satisfaction rating"):
        ingest_client("desk", root=tmp_path)


@real
def test_zendesk_satisfaction_rating_object_is_feedback(tmp_path):
    rating = json.loads(RATING.read_text(encoding="utf-8"))
    det = ZendeskTickets.detect(_json_sample(RATING))
    assert det is not None and (det.tool, det.table) == ("zendesk", "feedback")
    folder = _client(tmp_path, RATING.name, RATING, [{"table": "feedback", "tool": "zendesk"}])
    ingest_client("desk", root=tmp_path)
    feedback = pd.read_parquet(folder / "processed" / "feedback.parquet")
    assert len(feedback) == 1
    assert feedback["ts"].iat[0] == pd.Timestamp(rating["created_at"]).tz_localize(None)
    assert feedback["touchpoint_id"].iat[0] == "support"
    if "satisfied" in feedback:  # the column exists once the feedback schema has it
        assert bool(feedback["satisfied"].iat[0]) is (rating["score"] == "good")


ZENDESK_CSV = """\
Summation column,Id,Requester,Requester id,Requester external id,Requester email,Requester domain,Submitter,\
Assignee,Group,Subject,Tags,Status,Priority,Via,Ticket type,Created at,Updated at,Assigned at,Organization,\
Due date,Initially assigned at,Solved at,Resolution time,Satisfaction Score
,101,Ann,9001,,ann@example.com,example.com,Ann,Kim,Support,Parcel late,,solved,normal,Mail,question,\
2024-03-01 09:15,2024-03-02 10:00,2024-03-01 10:00,,,2024-03-01 10:00,2024-03-02 10:00,25,Good
,102,Bo,9002,,bo@example.com,example.com,Bo,Kim,Support,Wrong size,,solved,normal,Web form,incident,\
2024-03-03 14:00,2024-03-04 08:00,2024-03-03 15:00,,,2024-03-03 15:00,2024-03-04 08:00,18,Bad
,103,Ann,9001,,ann@example.com,example.com,Ann,Kim,Support,Invoice,,open,low,Mail,question,\
2024-03-05 08:00,2024-03-05 09:00,,,,,,,Offered
"""


def test_zendesk_csv_tickets_and_satisfaction(tmp_path):
    det = ZendeskTickets.detect(_csv_sample(Path("tickets.csv"), ZENDESK_CSV))
    assert det is not None and det.tool == "zendesk"
    folder = _client(tmp_path, "tickets.csv", ZENDESK_CSV, [{"table": "events", "tool": "zendesk"},
                                                            {"table": "feedback", "tool": "zendesk"}])
    ingest_client("desk", root=tmp_path)
    events = pd.read_parquet(folder / "processed" / "events.parquet")
    assert len(events) == 3 and events["customer_id"].nunique() == 2
    # local times (Europe/Copenhagen, UTC+1 in March) stored as UTC
    assert events["ts"].min() == pd.Timestamp("2024-03-01 08:15")
    feedback = pd.read_parquet(folder / "processed" / "feedback.parquet")
    assert len(feedback) == 2  # the offered, unanswered rating is excluded
    rejects = pd.read_csv(folder / "rejects" / "feedback.csv")
    assert list(rejects["reason"]) == ["excluded: satisfaction rating not answered (offered)"]


def test_satisfaction_scores():
    sat, reason = satisfaction(pd.Series(["good", "Bad", "offered", "unoffered", None, "great"]))
    assert list(sat[:2]) == [True, False] and sat[2:].isna().all()
    assert reason[:2].isna().all() and reason[2:5].str.startswith("excluded:").all()
    assert "cannot read score 'great'" in reason.iat[5]


FRESHDESK = """\
Ticket ID,Subject,Status,Priority,Source,Type,Agent,Group,Created time,Due by Time,Resolved time,Closed time,\
Last update time,Initial response time,Time tracked,First response time (in hrs),Resolution time (in hrs),\
Agent interactions,Customer interactions,Resolution status,First response status,Tags,Survey results,Full name,\
Contact ID
1,Refund,Closed,Low,Email,Refund,Kim,Billing,2024-04-02 10:00:00,2024-04-04 10:00:00,2024-04-03 10:00:00,\
2024-04-03 11:00:00,2024-04-03 11:00:00,2024-04-02 11:00:00,00:10:00,1.0,24.0,2,1,Within SLA,Within SLA,,,Ann Berg,77
2,Login,Open,Medium,Portal,Question,Kim,Support,2024-04-05 12:30:00,2024-04-07 12:30:00,,,2024-04-05 13:00:00,\
,00:00:00,,,0,1,,,,,Bo Holm,78
"""


def test_freshdesk_tickets_csv(tmp_path):
    det = FreshdeskTickets.detect(_csv_sample(Path("tickets.csv"), FRESHDESK))
    assert det is not None and det.tool == "freshdesk"
    assert ZendeskTickets.detect(_csv_sample(Path("tickets.csv"), FRESHDESK)) is None
    folder = _client(tmp_path, "tickets.csv", FRESHDESK, [{"table": "events", "tool": "freshdesk"}])
    ingest_client("desk", root=tmp_path)
    events = pd.read_parquet(folder / "processed" / "events.parquet")
    assert len(events) == 2 and events["journey_id"].nunique() == 2
    assert events["ts"].max() == pd.Timestamp("2024-04-05 10:30")  # 12:30 CEST
