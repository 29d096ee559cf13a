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

import csv
import io
import json
import re

import numpy as np
import pandas as pd

from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters.base import Adapter, Detection, Sample, ToolPreset, _list, _norm
from helpers.ingest.convert import as_text, date_order, merge_date_evidence, order_of
from helpers.ingest.readers import CsvReader, Layout, RawChunk, Reader, _check_header, open_reader

_LEADING_SCORE = re.compile(r"^\s*(\d{1,2}(?:[.,]\d+)?)\s*(?:[-–:=(]|\s[A-Za-zÆØÅæøåÄÖäö])")


def _score_text(series: pd.Series, labels: dict[str, float | None]) -> pd.Series:
    """Survey answers: "10 - Extremely likely" -> "10"; labels from ``scale_labels`` -> their number.

    A label mapped to null ("Don't know": null) is no answer; a text that is neither a
    number nor a label stays as it is, so the schema rejects its row with the reason.
    """
    text = as_text(series)
    if text.isna().all():
        return text
    out = text.copy()
    lead = text.str.extract(_LEADING_SCORE, expand=False)
    out = out.where(lead.isna(), lead)
    if labels:
        low = text.str.lower()
        for label, value in labels.items():
            out = out.where(low.ne(str(label).strip().lower()), None if value is None else str(value))
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
        self.labels = {str(k): (None if v is None else float(v))
                       for k, v in (self.opts.get("scale_labels") or {}).items()}
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


# ---------------------------------------------------------------- survey tool presets
#
# Each preset follows its tool's documented export format (not one sample file). They share
# ``touchpoint:`` (the touchpoint every response is about, when the export has no touchpoint column),
# the response id, time and respondent columns of the tool, and a date order that the values decide
# first and the tool's documented order decides only when the values cannot (all days 12 or less).

_AMPM = re.compile(r"^(?P<head>.*?)(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ap>[AaPp])\.?\s*[Mm]\.?\s*$")


def _to_24h(m: re.Match) -> str:
    hour = int(m["h"]) % 12 + (12 if m["ap"].lower() == "p" else 0)
    return f"{m['head']}{hour:02d}:{m['m']}:{m['s'] or '00'}"


def _ampm_to_24h(series: pd.Series) -> pd.Series:
    """ "11/09/2017 1:33:28 PM" -> "11/09/2017 13:33:28" (SurveyMonkey, Excel-saved exports); others as they are."""
    text = as_text(series)
    if text.isna().all():
        return text
    return text.str.replace(_AMPM, _to_24h, regex=True)


class SurveyPreset(ToolPreset, SurveyAdapter):
    """The part every survey tool preset shares (see the module docstring)."""

    tables = ("feedback",)
    options = SurveyAdapter.options + ("touchpoint",)
    #: the tool's own column names of the canonical columns, tried before the generic aliases
    tool_columns: dict[str, tuple[str, ...]] = {}
    #: the documented date order of the tool's exports, used only when the values cannot prove one
    default_order: str | None = None
    #: columns whose answers say a response must not count: column -> {value (lower case): reason}
    exclusions: dict[str, dict[str, str]] = {}

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.constants["source"] = self.tool
        tp = self.opts.get("touchpoint")
        if tp is not None:
            if "touchpoint_id" in (self.source.columns or {}):
                raise ConfigError(f"source '{self.source.file}': `touchpoint:` and `columns: {{touchpoint_id: ...}}` "
                                  "both give the touchpoint", file=self.cfg.path,
                                  hint="keep one: `touchpoint:` when all responses are about one touchpoint")
            self.constants["touchpoint_id"] = self.tp_lookup.get(str(tp).strip().lower(), str(tp))
        self.excluded: dict[str, int] = {}
        self.date_order: str | None = None

    def bind(self, columns: list[str]) -> None:
        by_norm = {_norm(c): c for c in columns}
        explicit = dict(self.source.columns or {})
        for canon, names in self.tool_columns.items():
            if canon in explicit or canon in self.constants:
                continue
            for n in names:
                if _norm(n) in by_norm:
                    self.mapping[canon] = by_norm[_norm(n)]
                    break
        super().bind(columns)
        self.exclude_cols = {by_norm[_norm(c)]: m for c, m in self.exclusions.items() if _norm(c) in by_norm}
        self._decide_order()

    def _decide_order(self) -> None:
        """The values decide the day/month order; the tool's documented order only the undecidable case."""
        raw = self.mapping.get("ts")
        if raw is None or self.default_order is None or self.source.date_format or self.source.date_order:
            return
        evidence: dict = {}
        for chunk in self._chunks_again():
            evidence = merge_date_evidence(evidence, date_order(self._ts_text(chunk.frame[raw]))[1])
        order = order_of(evidence)
        if order == "?":
            self.date_order = self.default_order
            self.notes.append(f"dates in '{raw}' read {'month' if self.default_order == 'MDY' else 'day'} first, "
                              f"as {self.tool} writes them (no value has a day above 12)")

    def _chunks_again(self):
        return open_reader(self.path, self.source.format, delimiter=self.source.delimiter,
                           encoding=self.source.encoding, sheet=self.opts.get("sheet"),
                           header_row=self.opts.get("header_row"), layout=self.layout()).chunks()

    def _ts_text(self, series: pd.Series) -> pd.Series:
        return _ampm_to_24h(series)

    def records(self, chunk: RawChunk):
        if "ts" in self.mapping:
            chunk = RawChunk(chunk.frame.assign(**{self.mapping["ts"]: self._ts_text(chunk.frame[self.mapping["ts"]])}),
                             chunk.rows)
        frame, rows = super().records(chunk)
        reason = pd.Series(None, index=frame.index, dtype=object)
        for col, values in self.exclude_cols.items():
            low = as_text(chunk.frame[col]).str.strip().str.lower()
            for value, why in values.items():
                hit = (low == value).fillna(False).to_numpy() & reason.isna().to_numpy()
                if hit.any():
                    reason[hit] = f"excluded: {why}"
                    self.excluded[why] = self.excluded.get(why, 0) + int(hit.sum())
        if reason.notna().any():
            frame["_reject"] = reason
        return frame, rows

    def finish(self):
        for why, n in sorted(self.excluded.items()):
            self.notes.append(f"{n:,} {why}(s) excluded")
        return None


class QualtricsResponses(SurveyPreset):
    """Qualtrics *Data & Analysis > Export & Import > Export data > CSV*.

    Current format: three header rows (column ids such as ``ResponseId``, ``Q1``; the question text; an
    ``{"ImportId": ...}`` JSON object per column, which names the time zone of the date columns). Legacy
    format (*Use legacy exports*): two header rows (``V1``..``V10`` and question ids, then ``ResponseID``,
    ``StartDate`` ... and the question text), a byte-order mark and a trailing comma. Preview and test
    responses (``Status`` = Survey Preview / Survey Test or 1 / 2, ``DistributionChannel`` = preview /
    test) are excluded and counted.
    """

    name = tool = "qualtrics"
    summary = "Qualtrics responses (Data & Analysis > Export data > CSV; current or legacy format)"
    tool_columns = {
        "response_id": ("ResponseId", "ResponseID", "_recordId"),
        "ts": ("RecordedDate", "EndDate"),
        "customer_id": ("ExternalReference", "ExternalDataReference", "RecipientEmail", "EmailAddress"),
    }
    exclusions = {
        "Status": {"1": "preview response", "survey preview": "preview response", "preview": "preview response",
                   "2": "test response", "survey test": "test response", "test": "test response"},
        "DistributionChannel": {"preview": "preview response", "test": "test response"},
    }
    _LEGACY_IDS = ("responseid", "responseset", "startdate", "enddate", "status")

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        rows = sample.rows
        if len(rows) < 2:
            return None
        third = rows[2] if len(rows) > 2 else []
        if sum(1 for c in third if str(c).lstrip().startswith('{"ImportId"')) >= max(1, len(third) // 2):
            return Detection("qualtrics", "feedback", 0.97,
                             ["three header rows: column ids, question text, ImportId JSON"],
                             options={"header_rows": 3})
        first = [_norm(c) for c in rows[0]]
        second = [_norm(c) for c in rows[1]]
        v_ids = sum(1 for c in first if re.fullmatch(r"v\d+", c))
        if v_ids >= 5 and sum(1 for c in cls._LEGACY_IDS if c in second) >= 3:
            return Detection("qualtrics", "feedback", 0.95,
                             ["legacy export: V1..V10 ids over ResponseID, ResponseSet, StartDate"],
                             options={"header_rows": 2})
        if sample.has("ResponseId", "RecordedDate", "DistributionChannel"):
            return Detection("qualtrics", "feedback", 0.8, ["Qualtrics columns ResponseId, RecordedDate, "
                                                            "DistributionChannel (header rows removed)"])
        return None

    def layout(self) -> Layout:
        base = super().layout()
        if self.source.header_rows != 1 or not self.source.header:
            return base
        return Layout(header=True, header_rows=self._header_rows(), skip_rows=base.skip_rows)

    def _header_rows(self) -> int:
        head = open_reader(self.path, self.source.format, delimiter=self.source.delimiter,
                           encoding=self.source.encoding, layout=Layout(header_rows=1))
        if not isinstance(head, CsvReader):
            return 1
        rows = _head_records(head, 3)
        if len(rows) > 2 and any(str(c).lstrip().startswith('{"ImportId"') for c in rows[2]):
            return 3
        if rows and sum(1 for c in rows[0] if re.fullmatch(r"V\d+", str(c).strip())) >= 5:
            return 2
        return 1

    def open(self) -> Reader:
        reader = super().open()
        text = reader.header_text
        if len(text) == 2:  # legacy: V1..V10 take their names from the second row (ResponseID, StartDate, ...)
            names = [second.strip() if re.fullmatch(r"V\d+", first.strip()) and second.strip() else new
                     for first, second, new in zip(text[0], text[1] + [""] * len(text[0]), reader.columns)]
            reader.columns, notes, reader.renamed = _check_header(self.path, names)
        self.questions = dict(zip(reader.columns, text[1] if len(text) > 1 else reader.columns))
        if len(text) == 3:
            self._zone_from_import_ids(reader.columns, text[2])
        return reader

    def _zone_from_import_ids(self, columns: list[str], ids: list[str]) -> None:
        for col, cell in zip(columns, ids):
            if col in ("RecordedDate", "EndDate"):
                try:
                    zone = json.loads(cell).get("timeZone")
                except (ValueError, AttributeError):
                    zone = None
                if zone and "timezone" not in self.opts:
                    self.timezone = zone
                    self.notes.append(f"times read in {zone}, the time zone the export names")
                return


class SurveyMonkeyResponses(SurveyPreset):
    """SurveyMonkey *Analyze results > Save as > Export file > All individual responses > CSV*.

    Two header rows: the question (blank over the further columns of a multi-column question), then
    ``Response`` / ``Open-Ended Response`` or the option, row or column label. They are combined into one
    unique name per column ("Which films have you seen? - Episode IV"). ``Respondent ID``, ``Collector
    ID``, ``Start Date``, ``End Date`` (``MM/DD/YYYY HH:MM:SS AM/PM`` in the US format), ``Email Address``.
    """

    name = tool = "surveymonkey"
    summary = "SurveyMonkey responses (Analyze results > Save as > Export file > All individual responses)"
    default_order = "MDY"
    tool_columns = {
        "response_id": ("Respondent ID", "RespondentID"),
        "ts": ("End Date", "EndDate", "Start Date", "StartDate"),
        "customer_id": ("Email Address", "Custom Data 1", "Custom Data"),
    }

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        rows = sample.rows
        if len(rows) < 2 or not rows[0]:
            return None
        first = _norm(rows[0][0])
        second = [str(c).strip().lower() for c in rows[1]]
        options_row = sum(1 for c in second if c in ("response", "open-ended response")) >= 1
        if first in ("respondentid", "respondent id") and options_row:
            return Detection("surveymonkey", "feedback", 0.95,
                             ["Respondent ID first, a second header row of Response / option labels"],
                             options={"header_rows": 2})
        if sample.has("Respondent ID", "Collector ID") and options_row:
            return Detection("surveymonkey", "feedback", 0.9, ["Respondent ID, Collector ID and a Response row"],
                             options={"header_rows": 2})
        return None

    def layout(self) -> Layout:
        base = super().layout()
        return Layout(header=True, header_rows=max(base.header_rows, 2), skip_rows=base.skip_rows, combine="join")


class TypeformResponses(SurveyPreset):
    """Typeform *Results > Responses > Download > CSV*.

    One header row: ``#`` (the response token), one column per question (one per option of a multiple-choice
    question, holding the option or nothing), ``Start Date (UTC)``, ``Submit Date (UTC)``, ``Network ID``
    (newer exports also ``Response Type``, ``Tags``, ``Ending``). Times are UTC; dates the export or a
    spreadsheet wrote as ``3/11/20 23:44`` are month-first (US).
    """

    name = tool = "typeform"
    summary = "Typeform responses (Results > Responses > Download > CSV)"
    default_order = "MDY"
    tool_columns = {"response_id": ("#", "Response ID", "Token"), "ts": ("Submit Date (UTC)", "Submitted At")}
    exclusions = {"Response Type": {"partial": "partial response"}}

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.columns and sample.columns[0].strip() == "#" and sample.has("Submit Date (UTC)"):
            return Detection("typeform", "feedback", 0.95, ["columns #, Submit Date (UTC)"])
        if sample.has("Submit Date (UTC)", "Network ID"):
            return Detection("typeform", "feedback", 0.9, ["columns Submit Date (UTC), Network ID"])
        return None

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        if "timezone" not in self.opts:
            self.timezone = "UTC"


class GoogleFormsResponses(SurveyPreset):
    """Google Forms *Responses > Link to Sheets*, then *File > Download > CSV* (or *Download responses (.csv)*).

    One header row: ``Timestamp``, optionally ``Email Address`` / ``Score``, then one column per question
    (its full text). The timestamp follows the sheet's locale: ``9/27/2022 11:39:02`` month-first in the
    default US locale, which decides when no value has a day above 12.
    """

    name = tool = "google-forms"
    summary = "Google Forms responses (the responses sheet downloaded as CSV)"
    default_order = "MDY"
    tool_columns = {"ts": ("Timestamp", "Tidsstempel", "Tidsstämpel", "Tidsmerke"),
                    "customer_id": ("Email Address", "Email address", "E-mailadresse", "E-postadress",
                                    "E-postadresse")}

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if not sample.columns:
            return None
        first = sample.columns[0].strip().lower()
        if first in ("timestamp", "tidsstempel", "tidsstämpel", "tidsmerke", "marca temporal", "zeitstempel"):
            if len(sample.columns) >= 2:
                return Detection("google-forms", "feedback", 0.85,
                                 [f"first column '{sample.columns[0]}' then one column per question"])
        return None


class MicrosoftFormsResponses(SurveyPreset):
    """Microsoft Forms *Responses > Open results in Excel* (a .xlsx workbook).

    ``ID``, ``Start time``, ``Completion time``, ``Email`` (``anonymous`` for anonymous forms), ``Name``,
    (newer: ``Last modified time``), then one column per question. Times are Excel date-times.
    """

    name = tool = "microsoft-forms"
    summary = "Microsoft Forms responses (Responses > Open results in Excel, .xlsx)"
    tool_columns = {"response_id": ("ID",), "ts": ("Completion time", "Start time"),
                    "customer_id": ("Email",)}

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.has("ID", "Start time", "Completion time"):
            return Detection("microsoft-forms", "feedback", 0.95, ["columns ID, Start time, Completion time"])
        return None

    def records(self, chunk: RawChunk):
        frame, rows = super().records(chunk)
        if "customer_id" in frame:  # anonymous forms write "anonymous" as the e-mail of every respondent
            cid = as_text(frame["customer_id"])
            frame["customer_id"] = cid.where(cid.str.lower().ne("anonymous"), None)
        return frame, rows


class GenericSurvey(SurveyPreset):
    """Any other survey export with one response per row (``tool: generic``): columns found by the usual
    names (``Response ID``, ``Date`` ...) or named under ``columns:``."""

    name = tool = "generic"
    summary = "another survey export, one response per row (columns by their usual names or `columns:`)"

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        return Detection("generic", "feedback", 0.1, ["no tool recognised"])


SURVEY_PRESETS = (QualtricsResponses, SurveyMonkeyResponses, TypeformResponses, GoogleFormsResponses,
                  MicrosoftFormsResponses, GenericSurvey)


def _head_records(reader: "CsvReader", n: int) -> list[list[str]]:
    """The first ``n`` CSV records of a file as text (quoted line breaks kept), with the reader's dialect."""
    with open(reader.path, encoding=reader.encoding, errors="replace", newline="") as fh:
        text = fh.read(1 << 20)
    return [row for _, row in zip(range(n), csv.reader(io.StringIO(text), delimiter=reader.delimiter))]
