"""Review sites -> reviews: the ``reviews`` adapter.

Stars ("4", "4/5", "4,0", "★★★★☆"), title, text, date, reply. ``site:``
names the review site (the ``source`` column) unless a column holds it;
``touchpoint:`` gives the touchpoint the reviews are about (optional).
Exports without an id get a stable one from site, date, title and text.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from helpers.errors import SchemaError
from helpers.ingest.adapters.base import (
    Adapter,
    Detection,
    Sample,
    ToolPreset,
    _list,
    bind_fields,
    stable_id,
)
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


# ---------------------------------------------------------------- tool presets: Trustpilot, Google reviews
#
# ``tool: trustpilot``
#     * the business export (Trustpilot Business > Reviews > Export, CSV or Excel): ``Review Id``,
#       ``Review Created (UTC)``, ``Review Stars``, ``Review Title``, ``Review Content``, ``Review Language``,
#       ``Reply Content``, ``Location Name``; times are UTC;
#     * scraped review lists with a star column (``rating``/``stars``), a date (``datetime``/``date``), title
#       and text; and scraped review cards, the whole card text in one field, read for "Rated 4 out of 5"
#       (also Danish, Swedish, Norwegian, German wording), the title (the line after "Verified") and the text.
# ``tool: google-reviews``
#     * Google Takeout "Maps (your places)" ``Reviews.json`` (GeoJSON: ``Star Rating``, ``Review Comment``,
#       ``Published``, ``Google Maps URL``, ``Location``) and its newer keys (``five_star_rating_published``,
#       ``review_text_published``, ``date``, ``google_maps_url``);
#     * the Business Profile reviews (Takeout "Google Business Profile" or the API: ``starRating`` ONE..FIVE,
#       ``comment``, ``createTime``, ``reviewReply.comment``, ``name``/``reviewId``).

_CARD_RATING = re.compile(
    r"(?:Rated|Bedømt(?:\s+til)?|Betygsatt(?:\s+med)?|Vurdert(?:\s+til)?|Bewertet\s+mit)\s+(\d)\s+"
    r"(?:out\s+of|ud\s+af|av|von)\s+5", re.IGNORECASE)
_CARD_EXPERIENCE = re.compile(
    r"^\s*(?:Date of experience|Oplevelsesdato|Datum för upplevelsen|Dato for opplevelsen|Erlebnisdatum)"
    r"\s*:\s*(.+?)\s*$",
    re.IGNORECASE | re.MULTILINE)
_CARD_NOISE = re.compile(
    r"^\s*(?:Verified|Verificeret|Verifierad|Verifisert|Invited|Inviteret|Useful|Share|Reply from .*|"
    r"(?:an?|\d+)\s+(?:minute|hour|day|week|month|year)s?\s+ago|\d+\s+reviews?|[A-Z]{2}\s*•.*)\s*$",
    re.IGNORECASE)
_AGO = re.compile(r"^\s*(an?|\d+)\s+(minute|hour|day|week)s?\s+ago\s*$", re.IGNORECASE | re.MULTILINE)
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
_MONTHS.update({"januar": 1, "februar": 2, "marts": 3, "mars": 3, "april": 4, "maj": 5, "mai": 5, "juni": 6,
                "juli": 7, "august": 8, "augusti": 8, "september": 9, "oktober": 10, "november": 11,
                "december": 12, "desember": 12, "januari": 1, "februari": 2})


def long_date(text: str | None) -> str | None:
    """ "February 03, 2025", "3. februar 2025", "3 februari 2025" -> "2025-02-03" (None when not such a date)."""
    if not text:
        return None
    m = re.match(r"^\s*([A-Za-zæøåäö]+)\s+(\d{1,2}),?\s+(\d{4})\s*$", text)
    if m:
        month, day, year = _MONTHS.get(m.group(1).lower()), int(m.group(2)), int(m.group(3))
    else:
        m = re.match(r"^\s*(\d{1,2})\.?\s+([A-Za-zæøåäö]+)\.?\s+(\d{4})\s*$", text)
        if not m:
            return None
        day, month, year = int(m.group(1)), _MONTHS.get(m.group(2).lower()), int(m.group(3))
    if month is None or not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_card(card: str | None) -> dict:
    """One scraped Trustpilot review card -> rating, title, text, experience date, age ("A day ago")."""
    out = {"rating": None, "title": None, "text": None, "experienced": None, "age": None}
    if not card or not isinstance(card, str):
        return out
    m = _CARD_RATING.search(card)
    if m:
        out["rating"] = m.group(1)
    m = _CARD_EXPERIENCE.search(card)
    if m:
        out["experienced"] = long_date(m.group(1))
    m = _AGO.search(card)
    if m:
        n = 1 if m.group(1).lower() in ("a", "an") else int(m.group(1))
        out["age"] = pd.Timedelta(**{m.group(2).lower() + "s": n})
    lines = [ln.strip() for ln in card.splitlines()]
    # the reviewer's header (name, country, rating, age, "Verified") comes before the title: start after it
    start = 0
    for i, ln in enumerate(lines):
        if _CARD_RATING.search(ln) or _AGO.match(ln) or re.match(r"^(Verified|Verificeret|Verifierad|Verifisert|"
                                                                  r"Invited|Inviteret)$", ln, re.IGNORECASE):
            start = i + 1
    body = [ln for ln in lines[start:] if ln and not _CARD_NOISE.match(ln) and not _CARD_EXPERIENCE.match(ln)]
    if body:
        out["title"] = body[0]
        out["text"] = "\n".join(body[1:]) or None
    return out


_GBP_STARS = {"ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4", "FIVE": "5"}



class _ReviewPreset(ToolPreset, ReviewsAdapter):
    """A review site's export: logical fields found by the site's names, one review per record."""

    FIELDS: dict[str, tuple[str, ...]] = {}
    site = ""
    options = ("touchpoint",)
    produces = ("review_id", "source", "ts", "rating", "title", "text", "touchpoint_id", "reply", "language")

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.produces = type(self).produces  # the family adapter sets its own
        self.constants.pop("source", None)
        self.unrated = 0

    def required(self) -> list[str]:
        return []

    def output_columns(self) -> list[str]:
        return list(self.produces)

    def bind(self, columns: list[str]) -> None:
        self.cols: dict[str, str] = bind_fields(self.FIELDS, columns, self.source.columns, self.label)
        self._check(columns)

    def _check(self, columns: list[str]) -> None:
        missing = [c for c in ("ts", "rating") if c not in self.cols]
        if missing:
            raise SchemaError(f"not a {self.tool} review export: no {', '.join(missing)} field",
                              file=self.label, row=1, column=missing[0],
                              hint=f"see docs/ingest.md ({self.tool}); the file has: {_list(columns)}")

    def col(self, frame: pd.DataFrame, logical: str) -> pd.Series:
        raw = self.cols.get(logical)
        return frame[raw] if raw else pd.Series(None, index=frame.index, dtype=object)

    def _frame(self, frame: pd.DataFrame, rating: pd.Series, ts: pd.Series, title, text, rid=None):
        touchpoint = self.opts.get("touchpoint")
        tp = pd.Series(touchpoint, index=frame.index, dtype=object) if touchpoint else as_text(self.col(frame, "place"))
        out = pd.DataFrame({
            "source": self.site,
            "ts": ts,
            "rating": rating,
            "title": title,
            "text": text,
            "touchpoint_id": tp,
            "reply": as_text(self.col(frame, "reply")),
            "language": as_text(self.col(frame, "language")),
        }, index=frame.index)
        if rid is None:
            rid = pd.Series([stable_id(self.site, *v) for v in zip(as_text(ts).tolist(), as_text(title).tolist(),
                                                                   as_text(text).tolist())], index=frame.index)
        out.insert(0, "review_id", rid)
        reason = pd.Series(None, index=frame.index, dtype=object)
        unrated = as_text(rating).isna()
        reason[unrated.to_numpy()] = "rating: the review has no star rating"
        self.unrated += int(unrated.sum())
        out["_reject"] = reason
        return out

    def finish(self):
        if self.unrated:
            self.warnings.append(f"{self.unrated:,} reviews have no star rating and are rejected")
        return None


class TrustpilotReviews(_ReviewPreset):
    name = tool = "trustpilot"
    tables = ("reviews",)
    summary = "Trustpilot reviews (Business export, or a scraped review list or card text)"
    site = "trustpilot"
    FIELDS = {
        "id": ("Review Id", "Review ID", "reviewId", "id"),
        "ts": ("Review Created (UTC)", "datetime", "Review date", "date", "createdAt", "published", "publishedDate",
               "Date published"),
        "rating": ("Review Stars", "rating", "stars", "Rating", "score"),
        "title": ("Review Title", "title", "heading", "headline"),
        "text": ("Review Content", "review", "text", "content", "body", "Review text"),
        "reply": ("Reply Content", "Company Reply", "reply", "companyReply.text"),
        "language": ("Review Language", "language", "lang"),
        "place": ("Location Name", "enterprise", "company", "business"),
        "scraped": ("timestamp", "scraped_at", "scrapedAt"),
    }

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.has("Review Created (UTC)", "Review Stars"):
            return Detection("trustpilot", "reviews", 0.95,
                             ["Trustpilot Business export (Review Created (UTC), Review Stars)"], options={})
        cells = [str(c) for row in sample.rows[1:] for c in row] + \
            [str(v) for r in sample.records for v in r.values() if isinstance(v, str)]
        card = any("Date of experience:" in c or _CARD_RATING.search(c) for c in cells)
        named = "trustpilot" in sample.path.name.lower()
        starred = any(sample.has(n) for n in ("rating", "stars", "Review Stars"))
        if card:
            return Detection("trustpilot", "reviews", 0.9, ["Trustpilot review cards (\"Date of experience:\")"],
                             options={})
        if named and starred:
            return Detection("trustpilot", "reviews", 0.8, ["file named after Trustpilot, with a star rating column"],
                             options={})
        return None

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.card_col: str | None = None

    def _check(self, columns: list[str]) -> None:
        if "Review Created (UTC)" in self.cols.values():
            self.timezone = "UTC"  # the business export writes UTC
        if "rating" not in self.cols:
            # card text: the one long text field holds rating, title, text and date
            self.card_col = self.cols.get("text")
            if self.card_col is None:
                raise SchemaError("no star rating column and no review card text", file=self.label, row=1,
                                  column="rating", hint=f"the file has: {_list(columns)}; map the stars with "
                                                        f"`columns: {{rating: <column>}}`")
            self.notes.append(f"rating, title and text read from the card text in '{self.card_col}'")
        if "ts" not in self.cols and "scraped" not in self.cols:
            raise SchemaError("no review date", file=self.label, row=1, column="date",
                              hint=f"the file has: {_list(columns)}; map it with `columns: {{ts: <column>}}`")

    def records(self, chunk: RawChunk):
        frame = chunk.frame
        rid = as_text(self.col(frame, "id")) if "id" in self.cols else None
        if self.card_col is None:
            out = self._frame(frame, parse_stars(self.col(frame, "rating")), as_text(self.col(frame, "ts")),
                              as_text(self.col(frame, "title")), as_text(self.col(frame, "text")), rid)
            return out, chunk.rows
        cards = [parse_card(c) for c in as_text(frame[self.card_col]).tolist()]
        rating = pd.Series([c["rating"] for c in cards], index=frame.index, dtype=object)
        title = pd.Series([c["title"] for c in cards], index=frame.index, dtype=object)
        text = pd.Series([c["text"] for c in cards], index=frame.index, dtype=object)
        # the review's date: a date column; else the scrape time less the card's age ("A day ago"); else the
        # date of experience
        if "ts" in self.cols:
            ts = as_text(self.col(frame, "ts"))
        else:
            scraped = pd.to_datetime(as_text(self.col(frame, "scraped")), errors="coerce", format="ISO8601")
            age = pd.Series([c["age"] for c in cards], index=frame.index, dtype=object)
            posted = [(s - a).strftime("%Y-%m-%d %H:%M:%S") if pd.notna(s) and a is not None else None
                      for s, a in zip(scraped, age)]
            experienced = [c["experienced"] for c in cards]
            ts = pd.Series([p or e or (None if pd.isna(s) else s.strftime("%Y-%m-%d %H:%M:%S"))
                            for p, e, s in zip(posted, experienced, scraped)], index=frame.index, dtype=object)
        return self._frame(frame, rating, ts, title, text, rid), chunk.rows

    def finish(self):
        if self.unrated and self.card_col:
            self.warnings.append(f"{self.unrated:,} review cards hold no star rating (\"Rated N out of 5\"): the "
                                 f"scrape did not keep it; they are rejected")
            self.unrated = 0
        return super().finish()


class _WrappedReviews:
    """The ``reviews`` list of a Business Profile document as records (nested fields joined with ".")."""

    def __init__(self, path, reader) -> None:
        self.description = reader.description
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
        self._records = [r for r in doc.get("reviews") or [] if isinstance(r, dict)]
        self._frame = pd.json_normalize(self._records, sep=".")
        self.columns = list(self._frame.columns)

    def chunks(self):
        yield RawChunk(self._frame, np.arange(1, len(self._frame) + 1))


class GoogleReviews(_ReviewPreset):
    name = tool = "google-reviews"
    tables = ("reviews",)
    summary = "Google reviews (Takeout Maps Reviews.json, or Business Profile reviews)"
    site = "google"
    FIELDS = {
        "id": ("reviewId", "name", "review_id"),
        "ts": ("properties.Published", "properties.date", "createTime", "Published", "date", "updateTime"),
        "rating": ("properties.Star Rating", "properties.five_star_rating_published", "starRating", "Star Rating",
                   "five_star_rating_published", "rating"),
        "text": ("properties.Review Comment", "properties.review_text_published", "comment", "Review Comment",
                 "review_text_published"),
        "reply": ("reviewReply.comment", "properties.Owner Response", "owner_response"),
        "place": ("properties.Location.Business Name", "properties.location.name", "Business Name",
                  "locationName", "location.name"),
        "url": ("properties.Google Maps URL", "properties.google_maps_url", "Google Maps URL", "google_maps_url"),
    }

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.has("properties.Star Rating") or sample.has("properties.five_star_rating_published"):
            return Detection("google-reviews", "reviews", 0.95,
                             ["Google Takeout Maps reviews (GeoJSON properties Star Rating / Published)"], options={})
        if sample.has("starRating") and (sample.has("createTime") or sample.has("comment")):
            return Detection("google-reviews", "reviews", 0.95,
                             ["Google Business Profile reviews (starRating, createTime)"], options={})
        return None

    def open(self):
        reader = super().open()
        if reader.columns == ["reviews"]:  # {"reviews": [...]} on one line reads as one record: unwrap it
            return _WrappedReviews(self.path, reader)
        return reader

    def _check(self, columns: list[str]) -> None:
        super()._check(columns)
        if "place" in self.cols and not self.opts.get("touchpoint"):
            self.notes.append("the touchpoint of each review is its place (Business Name); map places to "
                              "touchpoints with `touchpoint_map:` or set `touchpoint:`")

    def records(self, chunk: RawChunk):
        frame = chunk.frame
        stars = as_text(self.col(frame, "rating")).str.strip()
        stars = stars.str.upper().map(_GBP_STARS).where(stars.str.upper().isin(list(_GBP_STARS)), stars)
        stars = parse_stars(stars)
        ts = as_text(self.col(frame, "ts"))
        text = as_text(self.col(frame, "text"))
        if "id" in self.cols:
            rid = as_text(self.col(frame, "id"))
        else:  # one person reviews a place once: the place's URL and the date name the review
            rid = pd.Series([stable_id(self.site, u, t) for u, t in
                             zip(as_text(self.col(frame, "url")).tolist(), ts.tolist())], index=frame.index)
        return self._frame(frame, stars, ts, pd.Series(None, index=frame.index, dtype=object), text, rid), chunk.rows
