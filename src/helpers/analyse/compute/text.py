"""Ratings and texts on small tables: rating distributions, sentiment of comments and reviews,
complaint terms (scored with :mod:`helpers.sentiment`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import sentiment, stats
from helpers.analyse.compute.kpis import num

#: the touchpoint of a text about the business as a whole (no touchpoint given)
BUSINESS = "(whole business)"
SURVEY_SOURCE, REVIEW_SOURCE = "survey (CSAT)", "review"

RATING_COLUMNS = ["touchpoint_id", "name", "source", "ratings", *[f"share_{i}" for i in range(1, 6)], "mean"]


def _ratings_long(feedback: pd.DataFrame | None, reviews: pd.DataFrame | None) -> pd.DataFrame:
    frames = []
    if feedback is not None and len(feedback) and "csat" in feedback.columns:
        f = feedback[feedback["touchpoint_id"].notna()]
        frames.append(pd.DataFrame({"touchpoint_id": f["touchpoint_id"], "source": SURVEY_SOURCE,
                                    "rating": num(f["csat"])}))
    if reviews is not None and len(reviews):
        r = reviews[reviews["touchpoint_id"].notna()] if "touchpoint_id" in reviews.columns else reviews.iloc[:0]
        frames.append(pd.DataFrame({"touchpoint_id": r.get("touchpoint_id"), "source": REVIEW_SOURCE,
                                    "rating": num(r["rating"])}))
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["touchpoint_id", "source",
                                                                                      "rating"])
    return long.dropna(subset=["rating"])


def rating_distribution(feedback: pd.DataFrame, reviews: pd.DataFrame, catalogue: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """Per touchpoint and source (survey CSAT, review rating): ratings, share of each score 1-5, mean."""
    long = _ratings_long(feedback, reviews)
    if long.empty:
        return pd.DataFrame(columns=RATING_COLUMNS)
    long["rating"] = long["rating"].round().astype(int)
    counts = long.groupby(["touchpoint_id", "source", "rating"]).size().unstack("rating", fill_value=0)
    counts = counts.reindex(columns=range(1, 6), fill_value=0)
    n = counts.sum(axis=1)
    out = pd.DataFrame({"ratings": n})
    for i in range(1, 6):
        out[f"share_{i}"] = counts[i] / n
    out["mean"] = (counts * np.arange(1, 6)).sum(axis=1) / n
    out = out.reset_index()
    names = dict(zip(catalogue["touchpoint_id"], catalogue["name"])) if catalogue is not None else {}
    out["name"] = out["touchpoint_id"].map(names).fillna(out["touchpoint_id"])
    if catalogue is not None:
        order = {t: i for i, t in enumerate(catalogue["touchpoint_id"])}
        out["_o"] = out["touchpoint_id"].map(order).fillna(len(order))
        out = out.sort_values(["_o", "touchpoint_id", "source"]).drop(columns="_o")
    return out[RATING_COLUMNS].reset_index(drop=True)


TEXT_COLUMNS = ["source", "touchpoint_id", "text", "language", "rating"]


def comment_texts(feedback: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """Texts to score, one row each: source (review/survey), touchpoint_id, text, language, rating."""
    frames = []
    if reviews is not None and len(reviews):
        title = reviews["title"].fillna("").astype(str) if "title" in reviews.columns else ""
        text = reviews["text"].fillna("").astype(str)
        joined = (title + ". " + text).str.strip(". ") if isinstance(title, pd.Series) else text
        frames.append(pd.DataFrame({
            "source": "review",
            "touchpoint_id": reviews["touchpoint_id"] if "touchpoint_id" in reviews.columns else None,
            "text": joined,
            "language": reviews["language"] if "language" in reviews.columns else None,
            "rating": num(reviews["rating"]),
        }))
    if feedback is not None and len(feedback) and "comment" in feedback.columns:
        f = feedback[feedback["comment"].notna() & (feedback["comment"].astype(str).str.strip() != "")]
        frames.append(pd.DataFrame({
            "source": "survey",
            "touchpoint_id": f["touchpoint_id"],
            "text": f["comment"].astype(str),
            "language": f["language"] if "language" in f.columns else None,
            "rating": num(f["csat"]) if "csat" in f.columns else np.nan,
        }))
    if not frames:
        return pd.DataFrame(columns=TEXT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[TEXT_COLUMNS]
    out["touchpoint_id"] = out["touchpoint_id"].astype(object).where(out["touchpoint_id"].notna(), BUSINESS)
    return out


def score_comments(texts: pd.DataFrame, default_language: str = "en") -> pd.DataFrame:
    """``texts`` (from :func:`comment_texts`) with sentiment columns added."""
    scored = sentiment.score_texts(texts["text"], texts["language"], default_language=default_language)
    return pd.concat([texts.drop(columns="language"), scored], axis=1)


def sentiment_summary(scored: pd.DataFrame, keys: tuple[str, ...] = ("touchpoint_id", "source"),
                      level: float = 0.95) -> pd.DataFrame:
    """Per ``keys``: texts scored, mean sentiment, share negative and positive with Wilson intervals,
    languages seen."""
    cols = [*keys, "texts", "mean_sentiment", "negative", "negative_ci_low", "negative_ci_high", "positive",
            "positive_ci_low", "positive_ci_high", "languages"]
    s = scored[scored["label"] != "no text"] if len(scored) else scored
    if s.empty:
        return pd.DataFrame(columns=cols)
    g = s.groupby(list(keys), sort=True)
    out = pd.DataFrame({
        "texts": g.size(),
        "mean_sentiment": g["sentiment"].mean(),
        "_neg": g["label"].apply(lambda x: int((x == "negative").sum())),
        "_pos": g["label"].apply(lambda x: int((x == "positive").sum())),
        "languages": g["language"].apply(lambda x: ", ".join(sorted(set(x)))),
    }).reset_index()
    out = stats.proportion_ci_frame(out, "_neg", "texts", level=level, name="negative")
    out = stats.proportion_ci_frame(out, "_pos", "texts", level=level, name="positive")
    return out[cols].sort_values(list(keys)).reset_index(drop=True)


def complaint_terms(scored: pd.DataFrame, key: str = "touchpoint_id", top: int = 5) -> pd.DataFrame:
    """Most frequent negative opinion terms (negations included, e.g. "not helpful") per ``key``:
    term, texts containing it and their share of the texts of that ``key``."""
    cols = [key, "rank", "term", "texts", "share"]
    s = scored[scored["label"] != "no text"] if len(scored) else scored
    rows = []
    for k, grp in s.groupby(key, sort=True):
        counts = sentiment.term_counts(grp["negative_terms"])
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        rows += [(k, i + 1, term, n, n / len(grp)) for i, (term, n) in enumerate(ranked)]
    return pd.DataFrame(rows, columns=cols)
