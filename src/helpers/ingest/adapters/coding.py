"""Interview and observation coding sheets -> feedback: the ``coding`` adapter.

Touchpoint, stage, sentiment, quote (and optional date, participant, id).
``kind: interview`` (default) or ``observation`` is stored in ``source``;
sentiment labels (positive / neutral / negative, in English and Scandinavian
languages, or +/0/-) or numbers on ``sentiment_range: [-2, 2]`` (default
[-1, 1]) become -1..1. Stage is checked against the catalogue's stage of the
touchpoint.
"""

from __future__ import annotations

import pandas as pd

from helpers.config import STAGES
from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters.base import Adapter, _list, _norm
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk

_SENTIMENT_LABELS = {
    1.0: ("positive", "positiv", "pos", "+", "++", "good", "god", "godt", "bra", "happy", "glad"),
    0.0: ("neutral", "neu", "0", "mixed", "blandet", "blandad", "mixed feelings", "nøytral", "nøjtral"),
    -1.0: ("negative", "negativ", "neg", "-", "--", "bad", "dårlig", "dålig", "frustrated", "frustreret"),
}



class CodingAdapter(Adapter):
    """Interview and observation coding sheets -> feedback rows with ``source`` interview/observation."""

    name = "coding"
    fill_nullable = True
    options = ("kind", "sentiment_range", "sentiment_labels")
    extra_column_keys = ("stage", "sentiment")
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
        names = ("Sentiment", "Stemning", "Tone", "Valence", "Polarity")
        self.sentiment_col = self.mapping.get("sentiment") or next(
            (by_norm[_norm(n)] for n in names if _norm(n) in by_norm), None)
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
