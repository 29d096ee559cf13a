"""Review sites -> reviews: the ``reviews`` adapter.

Stars ("4", "4/5", "4,0", "★★★★☆"), title, text, date, reply. ``site:``
names the review site (the ``source`` column) unless a column holds it;
``touchpoint:`` gives the touchpoint the reviews are about (optional).
Exports without an id get a stable one from site, date, title and text.
"""

from __future__ import annotations

import re

import pandas as pd

from helpers.ingest.adapters.base import Adapter, stable_id
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk

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
