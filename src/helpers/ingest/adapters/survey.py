"""Survey tools -> feedback: the ``survey`` adapter (one response per row, long or wide).

One row per response. Either *long* (a touchpoint column: ``columns:
{touchpoint_id: Touchpoint}``) or *wide*: ``csat_columns: {store: "How
satisfied were you with the store?", ...}`` gives per response one
relationship row (touchpoint null; ``nps``, ``overall_csat`` column,
comment) plus one row per rated touchpoint, all sharing ``survey_id`` (the
response id). ``comment_columns: {store: ...}`` adds per-touchpoint comments.
``scale_labels: {"Meget tilfreds": 5, ...}`` reads text answers. Scores
written as "10 - Extremely likely" are read by their number.

Column names are found by the usual names of such exports (English, Danish,
Norwegian, Swedish; ignoring case, spaces and punctuation) or named in
client.yml under ``columns:``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters.base import Adapter, _list
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk

_LEADING_SCORE = re.compile(r"^\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:[-–:=(]|\s[A-Za-zÆØÅæøåÄÖäö])")


def _score_text(series: pd.Series, labels: dict[str, float]) -> pd.Series:
    """Survey answers: "10 - Extremely likely" -> "10"; labels from ``scale_labels`` -> their number."""
    text = as_text(series)
    if text.isna().all():
        return text
    out = text.copy()
    lead = text.str.extract(_LEADING_SCORE, expand=False)
    out = out.where(lead.isna(), lead)
    if labels:
        low = text.str.lower()
        for label, value in labels.items():
            out = out.where(low.ne(str(label).strip().lower()), str(value))
    return out


class SurveyAdapter(Adapter):
    name = "survey"
    fill_nullable = True
    options = ("csat_columns", "comment_columns", "overall_csat", "scale_labels", "layout")
    aliases = {
        "response_id": ("Response ID", "ResponseId", "Respondent ID", "Svar ID", "Besvarelse ID", "id"),
        "customer_id": ("Customer ID", "Customer number", "Kundenummer", "Kundenr", "Kundnummer", "External reference"),
        "ts": ("Submitted at", "Completed", "End Date", "Date submitted", "Timestamp", "Tidspunkt", "Dato",
               "Datum", "Date"),
        "nps": ("NPS", "Recommend", "How likely are you to recommend us", "Anbefaling"),
        "csat": ("CSAT", "Satisfaction", "Tilfredshed", "Nöjdhet"),
        "touchpoint_id": ("Touchpoint", "Berøringspunkt", "Kontaktpunkt", "Channel", "Kanal"),
        "comment": ("Comment", "Comments", "Kommentar", "Feedback", "Open answer"),
        "segment": ("Segment", "Kundetype", "Customer type"),
    }

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.constants.setdefault("source", "survey")
        self.wide = bool(self.opts.get("csat_columns")) or self.opts.get("layout") == "wide"
        self.reshapes = self.wide
        self.labels = {str(k): float(v) for k, v in (self.opts.get("scale_labels") or {}).items()}
        self.produces = ("survey_id",) + (("response_id", "touchpoint_id", "csat") if self.wide else ())

    def required(self) -> list[str]:
        need = super().required()
        if not self.wide and "response_id" in need:
            need.remove("response_id")  # made from the row number when the export has none
        return need

    def bind(self, columns: list[str]) -> None:
        super().bind(columns)
        self.csat_cols: dict[str, str] = {}
        self.comment_cols: dict[str, str] = {}
        if self.wide:
            raw_map = self.opts.get("csat_columns") or {}
            if not isinstance(raw_map, dict) or not raw_map:
                raise ConfigError(f"source '{self.source.file}': `csat_columns` must map touchpoints to columns",
                                  file=self.cfg.path, hint="csat_columns: {store: \"How satisfied ... store?\"}")
            for tp, raw in raw_map.items():
                self.opts["_col"] = raw
                self.csat_cols[self._tp_id(tp)] = self.option_column("_col", columns)
            for tp, raw in (self.opts.get("comment_columns") or {}).items():
                self.opts["_col"] = raw
                self.comment_cols[self._tp_id(tp)] = self.option_column("_col", columns)
            self.opts.pop("_col", None)
            if self.comment_cols:
                self.produces += ("comment",)
            if "response_id" not in self.mapping:
                raise SchemaError("a wide survey export needs a response id column",
                                  file=self.label, row=1, column="response_id",
                                  hint="map it with `columns: {response_id: <column>}`; "
                                       f"the file has: {_list(columns)}")
        self.overall = self.option_column("overall_csat", columns)

    def _tp_id(self, tp) -> str:
        return self.tp_lookup.get(str(tp).strip().lower(), str(tp))

    def records(self, chunk: RawChunk):
        frame, rows = super().records(chunk)
        for c in ("nps", "csat", "ces"):
            if c in frame:
                frame[c] = _score_text(frame[c], self.labels)
        if "response_id" not in frame:
            stem = self.path.stem
            frame["response_id"] = [f"{stem}-{r}" for r in rows]
        if not self.wide:
            frame["survey_id"] = frame["response_id"]
            return frame, rows
        raw = chunk.frame
        base = frame.drop(columns=[c for c in ("csat", "touchpoint_id", "comment") if c in frame])
        parts, part_rows = [], []
        rel = base.copy()
        rel["survey_id"] = base["response_id"]
        rel["touchpoint_id"] = None
        if self.overall:
            rel["csat"] = _score_text(raw[self.overall], self.labels)
        else:
            rel["csat"] = frame["csat"] if "csat" in frame else None
        if "comment" in frame:
            rel["comment"] = frame["comment"]
        parts.append(rel)
        part_rows.append(rows)
        for tp, col in self.csat_cols.items():
            score = _score_text(raw[col], self.labels)
            comment = as_text(raw[self.comment_cols[tp]]) if tp in self.comment_cols else None
            rated = score.notna() if comment is None else (score.notna() | comment.notna())
            if not rated.any():
                continue
            sub = base[rated.to_numpy()].copy()
            sub["survey_id"] = sub["response_id"]
            sub["response_id"] = as_text(sub["response_id"]) + f"-{tp}"
            sub["touchpoint_id"] = tp
            sub["csat"] = score[rated].to_numpy()
            if "nps" in sub:
                sub["nps"] = None
            if "ces" in sub:
                sub["ces"] = None
            sub["comment"] = comment[rated].to_numpy() if comment is not None else None
            parts.append(sub)
            part_rows.append(rows[rated.to_numpy()])
        out = pd.concat(parts, ignore_index=True)
        out_rows = np.concatenate(part_rows)
        order = np.argsort(out_rows, kind="stable")  # records of one response stay together
        return out.iloc[order].reset_index(drop=True), out_rows[order]
