"""Helpdesk exports: Zendesk and Freshdesk tickets as support events; Zendesk satisfaction ratings as feedback.

``tool: zendesk``
    * API JSON: one ticket object (``GET /api/v2/tickets/{id}``, also wrapped as ``{"ticket": {...}}``), a
      list of tickets, ``{"tickets": [...]}`` (list and incremental export), one satisfaction rating or
      ``{"satisfaction_ratings": [...]}``;
    * the CSV export of Admin Center (*Account > Tools > Reports > Export*, or an Explore ticket report):
      ``Id``, ``Requester id`` / ``Requester email``, ``Created at``, ``Via``, ``Satisfaction Score``.

    ``table: events``: one event per ticket: ``customer_id`` the requester (``requester_id``), ``ts``
    ``created_at``, ``touchpoint_id`` the source's ``touchpoint:`` (default ``support``), ``journey_id`` the
    ticket, ``converted`` false. ``table: feedback``: one row per *answered* satisfaction rating (``score``
    good or bad): ``satisfied`` true/false (a binary satisfaction KPI; ``csat`` and ``nps`` stay empty),
    ``comment`` the rating's comment, ``ts`` the rating's time (a ticket's embedded rating: the ticket's
    ``updated_at``). Ratings offered but not answered (``offered``, ``unoffered``, an empty ``{}``) are
    excluded and counted.

``tool: freshdesk``
    Freshdesk *Tickets > Export* (CSV): ``Ticket ID``, ``Created time``, ``Contact ID`` or ``Email``
    (or ``Full name``), ``Source``, ``Status``. One support event per ticket as above.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from helpers.errors import DataError, SchemaError
from helpers.ingest.adapters.base import Adapter, Detection, Sample, ToolPreset, _list, bind_fields
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk

_OFFSET_TS = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*([+-]\d{2}):?(\d{2})\s*$")

GOOD = ("good", "satisfied", "good, i'm satisfied")
BAD = ("bad", "unsatisfied", "dissatisfied", "bad, i'm unsatisfied")
UNANSWERED = ("offered", "unoffered", "not offered", "")


def satisfaction(score: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Zendesk ``score`` text -> (satisfied True/False/None, reason for rows that are not an answer)."""
    text = as_text(score).str.strip().str.lower()
    out = pd.Series(None, index=score.index, dtype=object)
    out[text.isin(GOOD).fillna(False).to_numpy()] = True
    out[text.isin(BAD).fillna(False).to_numpy()] = False
    reason = pd.Series(None, index=score.index, dtype=object)
    unanswered = (text.isna() | text.isin(UNANSWERED)).fillna(True)
    reason[unanswered.to_numpy()] = "excluded: satisfaction rating not answered (" + \
        text[unanswered].fillna("none").replace("", "none") + ")"
    other = out.isna() & ~unanswered
    reason[other.to_numpy()] = "satisfied: cannot read score " + as_text(score)[other].map(repr) + \
        " (Zendesk scores are good or bad)"
    return out, reason



class _HelpdeskTickets(ToolPreset, Adapter):
    """Tickets -> events; the field names per tool in ``FIELDS``."""

    fill_nullable = True
    options = ("touchpoint",)
    FIELDS: dict[str, tuple[str, ...]] = {}
    prefix = ""

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.touchpoint = str(self.opts.get("touchpoint", "support"))
        self.excluded = 0
        self.answered = 0

    def required(self) -> list[str]:
        return []

    def output_columns(self) -> list[str]:
        return list(self.produces)

    def bind(self, columns: list[str]) -> None:
        self.cols = bind_fields(self.FIELDS, columns, self.source.columns, self.label)
        need = self._needed()
        missing = [c for c in need if c not in self.cols]
        if missing:
            raise SchemaError(f"not a {self.tool} {self.table} export: no {', '.join(missing)} field",
                              file=self.label, row=1, column=missing[0],
                              hint=f"export the tickets again (see docs/ingest.md, {self.tool}); the file has: "
                                   f"{_list(columns)}")
        if "customer" not in self.cols:
            self.warnings.append("the export has no requester field: each ticket counts as a customer of its own")
        if "touchpoint" not in self.opts:
            self.notes.append(f"touchpoint: '{self.touchpoint}' (set `touchpoint:` for this source to change it)")

    def _needed(self) -> list[str]:
        return ["id", "created"]

    def _col(self, frame: pd.DataFrame, logical: str) -> pd.Series:
        raw = self.cols.get(logical)
        return frame[raw] if raw else pd.Series(None, index=frame.index, dtype=object)

    def _ts(self, series: pd.Series) -> pd.Series:
        return as_text(series).str.replace(_OFFSET_TS, r"\1T\2\3:\4", regex=True)

    def _ids(self, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        ticket = as_text(self._col(frame, "id")).str.strip().str.replace(r"\.0$", "", regex=True)
        customer = as_text(self._col(frame, "customer")).str.strip().str.replace(r"\.0$", "", regex=True)
        none = customer.isna() | customer.eq("")
        customer = customer.where(~none, f"{self.prefix} ticket " + ticket.fillna(""))
        return ticket, customer

    def records(self, chunk: RawChunk):
        frame = chunk.frame
        ticket, customer = self._ids(frame)
        out = pd.DataFrame({
            "customer_id": customer,
            "ts": self._ts(self._col(frame, "created")),
            "touchpoint_id": self.touchpoint,
            "journey_id": f"{self.prefix} ticket " + ticket.fillna(""),
            "converted": False,
            "revenue": None,
        }, index=frame.index)
        reason = pd.Series(None, index=frame.index, dtype=object)
        reason[(ticket.isna() | ticket.eq("")).to_numpy()] = "id: the ticket has no id"
        out["_reject"] = reason
        return out, chunk.rows


_ZENDESK_LISTS = ("tickets", "satisfaction_ratings", "results", "ticket_events")
_ZENDESK_ONE = ("ticket", "satisfaction_rating")


class _ZendeskJson:
    """A Zendesk API document as records: one object, ``{"ticket": {...}}``, a list, or ``{"tickets": [...]}``."""

    description = "Zendesk API JSON"

    def __init__(self, path) -> None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"not valid JSON: {exc}", file=path, hint="export the file again; it may be cut off") \
                from None
        if isinstance(doc, dict) and "id" not in doc:  # a wrapper ({"tickets": [...]}, {"ticket": {...}})
            inner = next((doc[k] for k in _ZENDESK_LISTS if isinstance(doc.get(k), list)), None)
            if inner is None:
                inner = next(([doc[k]] for k in _ZENDESK_ONE if isinstance(doc.get(k), dict)), [doc])
            doc = inner
        elif isinstance(doc, dict):  # one ticket or rating object
            doc = [doc]
        if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc) or not doc:
            raise DataError("the JSON holds no Zendesk tickets or satisfaction ratings", file=path,
                            hint="export tickets from the API (one ticket, a list, or {\"tickets\": [...]})")
        # an empty object ({} for "no rating") is no field; keep it out of the columns
        self._frame = pd.json_normalize(doc, sep=".")
        self.columns = list(self._frame.columns)

    def chunks(self):
        yield RawChunk(self._frame, np.arange(1, len(self._frame) + 1))


class ZendeskTickets(_HelpdeskTickets):
    name = tool = "zendesk"
    tables = ("events", "feedback")
    summary = "Zendesk tickets and satisfaction ratings (API JSON or CSV export)"
    prefix = "zendesk"
    FIELDS = {
        "id": ("id", "Id", "Ticket ID", "ticket_id"),
        "ticket": ("ticket_id", "Ticket ID", "Id", "id"),
        "customer": ("requester_id", "Requester id", "Requester ID", "Requester email", "Requester"),
        "created": ("created_at", "Created at", "Ticket created - Timestamp", "Created"),
        "updated": ("updated_at", "Updated at"),
        "score": ("satisfaction_rating.score", "score", "Satisfaction Score", "Satisfaction score",
                  "Ticket satisfaction rating"),
        "rating_id": ("satisfaction_rating.id",),
        "comment": ("satisfaction_rating.comment", "comment", "Satisfaction Comment", "Satisfaction comment"),
        "channel": ("via.channel", "Via"),
    }

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        urls = [str(r.get("url", "")) for r in (sample.records or []) if isinstance(r, dict)]
        zendesk_url = any(".zendesk.com/api/v2/" in u for u in urls)
        if zendesk_url and sample.has("score") and not sample.has("subject"):
            return Detection("zendesk", "feedback", 0.95, ["Zendesk API satisfaction rating (url, score)"],
                             options={})
        if zendesk_url or (sample.has("requester_id", "created_at") and sample.has("via.channel")):
            return Detection("zendesk", "events", 0.95, ["Zendesk API ticket (url, requester_id, via)"],
                             options={})
        if sample.has("Id", "Requester", "Created at") and (sample.has("Satisfaction Score") or sample.has("Via")
                                                            or sample.has("Requester id")):
            return Detection("zendesk", "events", 0.85, ["Zendesk ticket export (Id, Requester, Via, Created at)"],
                             options={})
        return None

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        if self.table == "feedback":
            self.produces = ("response_id", "customer_id", "ts", "touchpoint_id", "csat", "nps", "satisfied", "comment",
                             "source")
        else:
            self.produces = ("customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue")

    def open(self):
        if self.path.suffix.lower() == ".json":
            return _ZendeskJson(self.path)
        return super().open()

    def bind(self, columns: list[str]) -> None:
        super().bind(columns)
        # a satisfaction rating's own id is "id" and its ticket is "ticket_id"; a ticket's id is "id"
        self.rating_file = "ticket_id" in columns and "score" in columns
        if self.table == "feedback" and "score" not in self.cols:
            raise SchemaError("no satisfaction rating in the file (satisfaction_rating.score or Satisfaction Score)",
                              file=self.label, row=1, column="satisfaction_rating",
                              hint="use this file for `table: events`, or export the satisfaction ratings")
        if self.table == "feedback" and self.cols.get("score") and "comment" not in self.cols:
            self.notes.append("the export has no satisfaction comments")

    def records(self, chunk: RawChunk):
        if self.table == "events":
            if self.rating_file:
                raise SchemaError("this is a satisfaction ratings file, not tickets", file=self.label, row=1,
                                  hint="set `table: feedback` for this source")
            return super().records(chunk)
        frame = chunk.frame
        sat, reason = satisfaction(self._col(frame, "score"))
        customer = as_text(self._col(frame, "customer")).str.strip().str.replace(r"\.0$", "", regex=True)
        if self.rating_file:
            rid = as_text(self._col(frame, "id")).str.strip()
            ticket = as_text(self._col(frame, "ticket")).str.strip()
            ts = self._col(frame, "created")
        else:
            ticket = as_text(self._col(frame, "id")).str.strip()
            rid = as_text(self._col(frame, "rating_id")).str.strip()
            rid = rid.where(rid.notna() & rid.ne(""), "ticket " + ticket.fillna(""))
            ts = self._col(frame, "updated") if "updated" in self.cols else self._col(frame, "created")
        none = customer.isna() | customer.eq("")
        customer = customer.where(~none, "zendesk ticket " + ticket.fillna(""))
        out = pd.DataFrame({
            "response_id": "zendesk " + rid.fillna(""),
            "customer_id": customer,
            "ts": self._ts(ts),
            "touchpoint_id": self.touchpoint,
            "csat": None,
            "nps": None,
            "satisfied": sat,
            "comment": as_text(self._col(frame, "comment")),
            "source": "zendesk",
        }, index=frame.index)
        out["_reject"] = reason
        self.excluded += int(reason.fillna("").str.startswith("excluded:").sum())
        self.answered += int(sat.notna().sum())
        return out, chunk.rows

    def finish(self):
        if self.table == "feedback":
            self.notes.append(f"{self.answered:,} satisfaction ratings answered (good or bad); {self.excluded:,} "
                              f"offered or not offered but not answered (excluded)")
        return None


class FreshdeskTickets(_HelpdeskTickets):
    name = tool = "freshdesk"
    tables = ("events",)
    summary = "Freshdesk tickets export (Tickets > Export, CSV)"
    prefix = "freshdesk"
    produces = ("customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue")
    FIELDS = {
        "id": ("Ticket ID", "Ticket Id", "id"),
        "customer": ("Contact ID", "Requester ID", "Email", "Requester email", "Full name", "Requester name",
                     "requester_id"),
        "created": ("Created time", "Created Time", "created_at"),
        "channel": ("Source", "source"),
    }

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.has("Ticket ID", "Created time") and (sample.has("Resolved time") or sample.has("Due by Time")
                                                        or sample.has("Agent interactions")
                                                        or sample.has("First response time (in hrs)")):
            return Detection("freshdesk", "events", 0.9, ["Freshdesk ticket export (Ticket ID, Created time, "
                                                          "Resolved time)"], options={})
        return None

