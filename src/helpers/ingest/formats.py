"""Adapters for survey tools, review sites, CRM order exports and interview/observation coding sheets.

Each maps a real export to a canonical table. Column names are found by the
usual names of such exports (English, Danish, Norwegian, Swedish; ignoring
case, spaces and punctuation) or named in client.yml under ``columns:``.

``survey`` -> feedback
    One row per response. Either *long* (a touchpoint column: ``columns:
    {touchpoint_id: Touchpoint}``) or *wide*: ``csat_columns: {store: "How
    satisfied were you with the store?", ...}`` gives per response one
    relationship row (touchpoint null; ``nps``, ``overall_csat`` column,
    comment) plus one row per rated touchpoint, all sharing ``survey_id`` (the
    response id). ``comment_columns: {store: ...}`` adds per-touchpoint comments.
    ``scale_labels: {"Meget tilfreds": 5, ...}`` reads text answers. Scores
    written as "10 - Extremely likely" are read by their number.
``reviews`` -> reviews
    Stars ("4", "4/5", "4,0", "★★★★☆"), title, text, date, reply. ``site:``
    names the review site (the ``source`` column) unless a column holds it;
    ``touchpoint:`` gives the touchpoint the reviews are about (optional).
    Exports without an id get a stable one from site, date, title and text.
``crm`` -> orders
    Order id, customer number, date, total (currency marks and decimal commas
    are read), optional channel/store as touchpoint. ``exclude: {column:
    Status, values: [Cancelled]}`` rejects, with that reason, orders that
    should not count.
``coding`` -> feedback
    Interview and observation coding sheets: touchpoint, stage, sentiment,
    quote (and optional date, participant, id). ``kind: interview`` (default)
    or ``observation`` is stored in ``source``; sentiment labels (positive /
    neutral / negative, in English and Scandinavian languages, or +/0/-) or
    numbers on ``sentiment_range: [-2, 2]`` (default [-1, 1]) become -1..1.
    Stage is checked against the catalogue's stage of the touchpoint.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from helpers.config import STAGES
from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters import Adapter, _list, _norm, register, stable_id
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


@register
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
                                  hint=f"map it with `columns: {{response_id: <column>}}`; the file has: {_list(columns)}")
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


_STARS = re.compile(r"^\s*(\d(?:[.,]\d+)?)\s*(?:/\s*5|of 5|af 5|av 5|stars?|stjerner?|stjärnor)?\s*$", re.I)


def parse_stars(series: pd.Series) -> pd.Series:
    """Review ratings as text: "4", "4/5", "4,0", "4 stjerner", "★★★★☆" -> "4" (others left as they are)."""
    text = as_text(series)
    if text.isna().all():
        return text
    num = text.str.extract(_STARS, expand=False).str.replace(",", ".", regex=False)
    stars = text.str.count("★")
    is_stars = text.str.fullmatch(r"[★☆\s]+", na=False)
    out = text.where(num.isna(), num)
    return out.where(~is_stars, stars.astype("Int64").astype("str"))


@register
class ReviewsAdapter(Adapter):
    name = "reviews"
    fill_nullable = True
    options = ("site", "touchpoint")
    aliases = {
        "review_id": ("id", "Review ID", "reviewId", "Anmeldelse ID"),
        "ts": ("date", "createdAt", "created_at", "Review date", "Published", "publishedDate", "Dato", "Datum",
               "dates.publishedDate"),
        "rating": ("stars", "Rating", "Score", "Stjerner", "Betyg", "rating.value"),
        "title": ("title", "Headline", "Overskrift", "Rubrik"),
        "text": ("text", "Review", "Body", "Content", "Review text", "Anmeldelse", "Tekst", "Omdöme"),
        "reply": ("reply", "companyReply.text", "Reply text", "Company reply", "Response", "Owner response", "Svar"),
        "language": ("language", "lang", "Sprog", "Språk"),
        "source": ("Site", "Platform", "Kilde"),
    }

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        if "site" in self.opts:
            self.constants.setdefault("source", str(self.opts["site"]))
        if "touchpoint" in self.opts:
            self.constants.setdefault("touchpoint_id", str(self.opts["touchpoint"]))
        self.produces = ("review_id", "touchpoint_id", "text")

    def bind(self, columns: list[str]) -> None:
        super().bind(columns)
        if "source" not in self.mapping:
            self.constants.setdefault("source", self.path.stem)

    def records(self, chunk: RawChunk):
        frame, rows = super().records(chunk)
        frame["rating"] = parse_stars(frame["rating"])
        if "text" not in frame:
            frame["text"] = None
        if "touchpoint_id" not in frame:
            frame["touchpoint_id"] = None
        if "review_id" not in frame:
            cols = [frame.get("source"), frame.get("ts"), frame.get("title"), frame.get("text")]
            cols = [c if c is not None else pd.Series(None, index=frame.index) for c in cols]
            frame["review_id"] = [stable_id(*vals) for vals in zip(*(c.tolist() for c in cols))]
        return frame, rows


@register
class CrmAdapter(Adapter):
    name = "crm"
    options = ("exclude",)
    aliases = {
        "order_id": ("Order ID", "Order number", "Order no", "Ordrenummer", "Ordrenr", "Ordernummer", "Invoice",
                     "Fakturanummer", "id"),
        "customer_id": ("Customer ID", "Customer number", "Customer no", "Kundenummer", "Kundenr", "Kundnummer",
                        "Account", "Contact ID"),
        "ts": ("Order date", "Date", "Created", "Created at", "Ordredato", "Orderdatum", "Dato", "Datum"),
        "revenue": ("Total", "Amount", "Order total", "Net amount", "Beløb", "Belopp", "Total amount", "Value",
                    "Omsætning", "Sum"),
        "touchpoint_id": ("Channel", "Kanal", "Store", "Butik", "Butikk", "Sales channel", "Salgskanal"),
        "segment": ("Segment", "Customer type", "Kundetype", "Kundtyp"),
    }

    def bind(self, columns: list[str]) -> None:
        super().bind(columns)
        rule = self.opts.get("exclude")
        self.exclude = None
        if rule:
            if not isinstance(rule, dict) or "column" not in rule or "values" not in rule:
                raise ConfigError(f"source '{self.source.file}': `exclude` needs `column` and `values`",
                                  file=self.cfg.path, hint="exclude: {column: Status, values: [Cancelled]}")
            self.opts["_col"] = rule["column"]
            col = self.option_column("_col", columns)
            self.opts.pop("_col")
            self.exclude = (col, {str(v).strip().lower() for v in rule["values"]})

    def records(self, chunk: RawChunk):
        frame, rows = super().records(chunk)
        if self.exclude:
            col, values = self.exclude
            status = as_text(chunk.frame[col])
            hit = status.str.lower().isin(values).to_numpy()
            frame["_reject"] = np.where(hit, "excluded: " + col + " is '" + status.fillna("") + "'", None)
        return frame, rows


_SENTIMENT_LABELS = {
    1.0: ("positive", "positiv", "pos", "+", "++", "good", "god", "godt", "bra", "happy", "glad"),
    0.0: ("neutral", "neu", "0", "mixed", "blandet", "blandad", "mixed feelings", "nøytral", "nøjtral"),
    -1.0: ("negative", "negativ", "neg", "-", "--", "bad", "dårlig", "dålig", "frustrated", "frustreret"),
}


@register
class CodingAdapter(Adapter):
    """Interview and observation coding sheets -> feedback rows with ``source`` interview/observation."""

    name = "coding"
    fill_nullable = True
    options = ("kind", "sentiment_range", "sentiment_labels")
    aliases = {
        "response_id": ("id", "Quote ID", "Code ID", "Citat ID", "Observation ID"),
        "survey_id": ("Interview", "Interview ID", "Session", "Observation", "Interview no"),
        "customer_id": ("Participant", "Participant ID", "Respondent", "Deltager", "Deltagare", "Informant"),
        "ts": ("Date", "Dato", "Datum", "Interview date", "Observed at", "Tidspunkt"),
        "touchpoint_id": ("Touchpoint", "Berøringspunkt", "Kontaktpunkt", "Beröringspunkt"),
        "comment": ("Quote", "Citat", "Sitat", "Note", "Observation note", "Notat", "Anteckning", "Text"),
        "segment": ("Segment", "Customer type", "Kundetype"),
    }

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        kind = str(self.opts.get("kind", "interview"))
        if kind not in ("interview", "observation"):
            raise ConfigError(f"source '{self.source.file}': `kind` must be interview or observation, not '{kind}'",
                              file=self.cfg.path, hint="kind: interview   # or observation")
        self.constants.setdefault("source", kind)
        lo, hi = self.opts.get("sentiment_range", [-1, 1])
        self.sentiment_range = (float(lo), float(hi))
        self.labels: dict[str, float] = {}
        for value, words in _SENTIMENT_LABELS.items():
            for w in words:
                self.labels[w] = value
        for word, value in (self.opts.get("sentiment_labels") or {}).items():
            self.labels[str(word).strip().lower()] = float(value)
        self.produces = ("response_id", "sentiment", "csat", "nps")
        self.stage_of = {t.id: t.stage for t in self.cfg.touchpoints}

    def required(self) -> list[str]:
        return [c for c in super().required() if c not in ("response_id", "csat", "nps")]

    def bind(self, columns: list[str]) -> None:
        super().bind(columns)
        by_norm = {_norm(c): c for c in columns}
        self.sentiment_col = self.mapping.get("sentiment") or next(
            (by_norm[_norm(n)] for n in ("Sentiment", "Stemning", "Tone", "Valence", "Polarity") if _norm(n) in by_norm),
            None)
        self.stage_col = self.source.columns.get("stage") or next(
            (by_norm[_norm(n)] for n in ("Stage", "Fase", "Journey stage", "Stadie", "Steg") if _norm(n) in by_norm),
            None)
        if "comment" not in self.mapping:
            raise SchemaError("a coding sheet needs a quote (or note) column", file=self.label, row=1,
                              column="quote", hint=f"map it with `columns: {{comment: <column>}}`; "
                                                   f"the file has: {_list(columns)}")

    def want(self) -> list[str]:
        return [c for c in super().want() if c != "sentiment"]

    def _sentiment(self, series: pd.Series) -> tuple[pd.Series, pd.Series]:
        text = as_text(series)
        low = text.str.lower()
        labelled = low.map(self.labels)
        num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        lo, hi = self.sentiment_range
        scaled = (num - lo) / (hi - lo) * 2 - 1
        value = labelled.where(labelled.notna(), scaled)
        bad_label = text.notna() & value.isna()
        out_of_range = num.notna() & ((num < lo) | (num > hi))
        reason = pd.Series(None, index=series.index, dtype=object)
        reason[bad_label] = "sentiment: cannot read " + text[bad_label].map(repr) + \
            " (use positive/neutral/negative or a number; extra words go in `sentiment_labels:`)"
        reason[out_of_range] = "sentiment: value " + text[out_of_range].map(repr) + \
            f" is outside `sentiment_range` [{lo:g}, {hi:g}]"
        return value.where(~out_of_range), reason

    def records(self, chunk: RawChunk):
        frame, rows = super().records(chunk)
        reasons = pd.Series(None, index=frame.index, dtype=object)
        if self.sentiment_col:
            frame["sentiment"], reasons = self._sentiment(chunk.frame[self.sentiment_col])
        else:
            frame["sentiment"] = None
        if self.stage_col and "touchpoint_id" in frame:
            stage = as_text(chunk.frame[self.stage_col]).str.lower()
            tp = self.map_touchpoints(as_text(frame["touchpoint_id"]))
            known = tp.map(self.stage_of)
            wrong = stage.notna() & stage.isin(STAGES) & known.notna() & stage.ne(known)
            unknown_stage = stage.notna() & ~stage.isin(STAGES)
            msg = pd.Series(None, index=frame.index, dtype=object)
            msg[wrong] = "stage: '" + stage[wrong] + "' differs from the catalogue stage '" + known[wrong] + \
                "' of touchpoint '" + tp[wrong] + "' (correct the sheet or the catalogue)"
            msg[unknown_stage] = "stage: '" + stage[unknown_stage] + "' is not one of " + ", ".join(STAGES)
            reasons = reasons.where(reasons.notna(), msg)
        frame["_reject"] = reasons
        frame["csat"] = None
        frame["nps"] = None
        if "response_id" not in frame:
            frame["response_id"] = [f"{self.path.stem}-{r}" for r in rows]
        return frame, rows
