"""Ratings and texts on small tables: rating distributions, sentiment of comments and reviews (scored with
:mod:`helpers.sentiment`), and the themes customers praise and complain about per touchpoint
(:mod:`helpers.themes`) with their change against the previous period."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import sentiment, stats, themes
from helpers.analyse.compute.kpis import num

#: the touchpoint of a text about the business as a whole (no touchpoint given)
BUSINESS = "(whole business)"
SURVEY_SOURCE, REVIEW_SOURCE = "survey (CSAT)", "review"

RATING_COLUMNS = ["touchpoint_id", "name", "source", "ratings", *[f"share_{i}" for i in range(1, 6)], "mean"]


def _rating_counts(feedback: pd.DataFrame | None, reviews: pd.DataFrame | None) -> pd.DataFrame:
    """Ratings of each score 1-5 per touchpoint and source: CSAT from the survey answers (raw, or their
    statistics with ``csat_1`` ... ``csat_5``) and review ratings."""
    frames = []
    scores = list(range(1, 6))
    if feedback is not None and len(feedback) and "csat_1" in feedback.columns:
        f = feedback[feedback["touchpoint_id"].notna()]
        c = f.groupby("touchpoint_id")[[f"csat_{i}" for i in scores]].sum()
        c.columns = scores
        frames.append(c.assign(source=SURVEY_SOURCE).reset_index())
    elif feedback is not None and len(feedback) and "csat" in feedback.columns:
        f = feedback[feedback["touchpoint_id"].notna()]
        frames.append(pd.DataFrame({"touchpoint_id": f["touchpoint_id"], "source": SURVEY_SOURCE,
                                    "rating": num(f["csat"])}))
    if reviews is not None and len(reviews):
        r = reviews[reviews["touchpoint_id"].notna()] if "touchpoint_id" in reviews.columns else reviews.iloc[:0]
        frames.append(pd.DataFrame({"touchpoint_id": r.get("touchpoint_id"), "source": REVIEW_SOURCE,
                                    "rating": num(r["rating"])}))
    counted = []
    for f in frames:
        if "rating" in f.columns:
            f = f.dropna(subset=["rating"])
            if f.empty:
                continue
            f = (f.assign(rating=f["rating"].round().astype(int))
                 .groupby(["touchpoint_id", "source", "rating"]).size().unstack("rating", fill_value=0)
                 .reindex(columns=scores, fill_value=0).reset_index())
        counted.append(f[["touchpoint_id", "source", *scores]])
    if not counted:
        return pd.DataFrame(columns=["touchpoint_id", "source", *scores])
    out = pd.concat(counted, ignore_index=True)
    out["touchpoint_id"] = out["touchpoint_id"].astype(object)
    out = out.groupby(["touchpoint_id", "source"])[scores].sum()
    return out[out.sum(axis=1) > 0].reset_index()


def rating_distribution(feedback: pd.DataFrame, reviews: pd.DataFrame, catalogue: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """Per touchpoint and source (survey CSAT, review rating): ratings, share of each score 1-5, mean.
    ``feedback`` is the survey answers or their statistics (:func:`helpers.analyse.compute.feedback_stats`)."""
    counts = _rating_counts(feedback, reviews)
    if counts.empty:
        return pd.DataFrame(columns=RATING_COLUMNS)
    counts = counts.set_index(["touchpoint_id", "source"])
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


THEME_TABLE_COLUMNS = ["touchpoint_id", "theme", "phrase", "kind", "texts", "touchpoint_texts", "share",
                       "mean_sentiment", "negative_share", "previous_texts", "previous_touchpoint_texts",
                       "previous_share", "change", "change_ci_low", "change_ci_high", "material", "quotes"]
COMPLAINT_SHARE_COLUMNS = ["touchpoint_id", "texts", "complaint_texts", "negative_theme_share", "ci_low", "ci_high",
                           "previous_texts", "previous_complaint_texts", "previous_share", "change", "change_ci_low",
                           "change_ci_high", "material", "complaint_themes"]


def _texts_per_key(scored: pd.DataFrame | None, key: str) -> pd.Series:
    """Number of texts (not empty) per ``key`` of a scored frame."""
    if scored is None or not len(scored):
        return pd.Series(dtype="int64")
    return scored[scored["label"] != "no text"].groupby(key).size()


def _change_interval(x1, n1, x2, n2, level: float) -> tuple[float, float]:
    """Newcombe interval of ``x1/n1 - x2/n2`` (NaN when a period has no texts)."""
    if not (n1 > 0 and n2 > 0):
        return np.nan, np.nan
    est = stats.diff_proportions_ci(x1, n1, x2, n2, level=level)
    return est.ci_low, est.ci_high


def _with_change(out: pd.DataFrame, now: str, n_now: str, before: str, n_before: str, level: float) -> pd.DataFrame:
    bounds = [_change_interval(a, b, c, d, level) for a, b, c, d in
              zip(out[now], out[n_now], out[before], out[n_before])]
    out["change_ci_low"] = pd.Series([b[0] for b in bounds], index=out.index, dtype="float64")
    out["change_ci_high"] = pd.Series([b[1] for b in bounds], index=out.index, dtype="float64")
    # a change is material when its interval excludes zero (NaN bounds compare False: not material)
    out["material"] = (out["change_ci_low"] > 0) | (out["change_ci_high"] < 0)
    return out


def theme_table(scored: pd.DataFrame, previous: pd.DataFrame | None = None, default_language: str = "en",
                top: int | None = 10, quotes: int = themes.QUOTES, quote_chars: int = themes.QUOTE_CHARS,
                level: float = 0.95) -> pd.DataFrame:
    """The themes of this period's texts per touchpoint (:func:`helpers.themes.themes`) with their change
    against ``previous`` (last period's scored texts): :data:`THEME_TABLE_COLUMNS`.

    ``share`` is the share of the touchpoint's texts holding the theme, ``previous_share`` the share of last
    period's texts of that touchpoint holding the same phrase, ``change`` their difference with a Newcombe
    interval; ``material`` is true when that interval excludes zero. ``quotes`` is a list of up to ``quotes``
    short sentences (as written, masked by ingest, not escaped).
    """
    prev = previous if previous is not None and len(previous) else None
    t = themes.theme_changes(scored, prev, default_language=default_language, top=top, quotes=quotes,
                             quote_chars=quote_chars)
    n_prev = _texts_per_key(prev, "touchpoint_id")
    t["previous_touchpoint_texts"] = t["touchpoint_id"].map(n_prev).fillna(0).astype("int64")
    t = _with_change(t, "texts", "touchpoint_texts", "previous_texts", "previous_touchpoint_texts", level)
    t["quotes"] = [list(q) for q in t["quotes"]]
    return t[THEME_TABLE_COLUMNS].reset_index(drop=True)


def complaint_share(scored: pd.DataFrame, theme_tab: pd.DataFrame, previous: pd.DataFrame | None = None,
                    default_language: str = "en", level: float = 0.95) -> pd.DataFrame:
    """Per touchpoint: the share of its texts holding at least one of its complaint themes
    (:func:`helpers.themes.negative_theme_share`, Wilson interval) this period and, for the same complaint
    themes, last period (``previous``), with the change and its Newcombe interval (``material`` when the
    interval excludes zero): :data:`COMPLAINT_SHARE_COLUMNS`."""
    if scored is None or not len(scored) or not (scored["label"] != "no text").any():
        return pd.DataFrame(columns=COMPLAINT_SHARE_COLUMNS)
    now = themes.negative_theme_share(scored, theme_tab, default_language=default_language, level=level)
    if previous is not None and len(previous) and (previous["label"] != "no text").any():
        before = themes.negative_theme_share(previous, theme_tab, default_language=default_language, level=level)
        before = before.set_index("touchpoint_id")
    else:
        before = pd.DataFrame(columns=["texts", "complaint_texts"])
    now["previous_texts"] = now["touchpoint_id"].map(before["texts"]).fillna(0).astype("int64")
    now["previous_complaint_texts"] = now["touchpoint_id"].map(before["complaint_texts"]).fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        prev_share = now["previous_complaint_texts"] / now["previous_texts"].where(now["previous_texts"] > 0)
    now["previous_share"] = prev_share.astype("float64")
    now["change"] = now["negative_theme_share"] - now["previous_share"]
    now = _with_change(now, "complaint_texts", "texts", "previous_complaint_texts", "previous_texts", level)
    now["complaint_themes"] = [list(c) for c in now["complaint_themes"]]
    return now[COMPLAINT_SHARE_COLUMNS].reset_index(drop=True)


def period_texts(feedback: pd.DataFrame, reviews: pd.DataFrame, default_language: str = "en") -> pd.DataFrame:
    """The scored texts of one period's feedback and reviews (:func:`comment_texts`, :func:`score_comments`)."""
    return score_comments(comment_texts(feedback, reviews), default_language=default_language)
