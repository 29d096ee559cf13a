"""Themes of customer comments: recurring phrases per touchpoint, with their sentiment, change and quotes.

A theme is a phrase of one to three words, reduced to dictionary forms with simplemma ("lange ventetider" and
"lang ventetid" are one theme; ``phrase`` is its most frequent wording), that occurs in at least ``min_texts``
texts of a touchpoint. Phrases never start
or end with a function word (``helpers/resources/stopwords_{da,sv,no,en}.txt``), except that a negation may start
one ("ikke venlig"). Overlapping phrases are grouped: going from the most frequent (the longer first on a tie), a
phrase is left out when it shares a word with a theme already kept and at least :data:`OVERLAP` of its texts are
that theme's texts.

Each theme has its share of the touchpoint's texts, its sentiment (the mean, over the texts holding it, of the
default method's score of the clause that holds it: in "great gym, but the showers are cold" the showers are a
complaint), the share of those clauses that are negative, and up to three short quotes (the sentence that holds
the phrase, cut at a word boundary). A theme is praise when its sentiment is above
:data:`helpers.sentiment.THRESHOLD`, a complaint when below minus that, mixed otherwise.

Input is the frame of scored texts step 2 builds (``touchpoint_id``, ``text``, ``language``, ``sentiment``,
``label``); texts are already masked by ingest and are not escaped here (the report layer escapes them).

>>> t = themes(scored)                      # one row per touchpoint and theme
>>> praise_and_complaints(t)                # the top praise and complaint themes per touchpoint
>>> theme_changes(scored, scored_last)      # each theme's share against last period
>>> negative_theme_share(scored, t)         # share of a touchpoint's texts with a complaint theme
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from helpers import sentiment

MAX_WORDS = 3
MIN_TEXTS = 3
#: A phrase sharing a word with a kept theme is left out when this share of its texts are that theme's texts.
OVERLAP = 0.5
QUOTES = 3
QUOTE_CHARS = 100
THEME_COLUMNS = ["touchpoint_id", "theme", "phrase", "words", "texts", "touchpoint_texts", "share", "mean_sentiment",
                 "negative_share", "kind", "quotes"]

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?\u2026])\s+|\n+")


@lru_cache(maxsize=None)
def stopwords(language: str) -> frozenset:
    """Function words of ``language`` that a theme may not start or end with (with the word list's function words,
    degree adverbs and contrast words)."""
    text = resources.files("helpers").joinpath("resources", f"stopwords_{language}.txt").read_text(encoding="utf-8")
    words = {w.lower() for line in text.splitlines() for w in line.split("#", 1)[0].split()}
    lex = sentiment.load_lexicon(language)
    return frozenset(words | lex.stopwords | lex.boosters | lex.dampeners | lex.contrast)


def _lemmas(words: list[str], language: str) -> list[str]:
    return [sentiment.lemma(w, language) for w in words]


def phrases(text, language: str, surfaces: dict | None = None) -> dict[str, float]:
    """The theme candidates of one text: lemmatised phrases of 1 to :data:`MAX_WORDS` words within a clause, each
    with the sentiment of the clause that holds it (the mean when it occurs in several). A single word that is
    itself an opinion word ("god", "slow") is no theme; phrases holding one are ("venligt personale").
    ``surfaces``, when given, collects the words as written for each phrase."""
    language = sentiment.normalise_language(language, "en")
    stop, negators = stopwords(language), sentiment.load_lexicon(language).negators
    found: dict[str, list[float]] = {}
    for clause in sentiment.clauses(text):
        lem = _lemmas(clause, language)
        value = None
        for i in range(len(clause)):
            first = clause[i]
            if (first in stop or lem[i] in stop) and first not in negators:
                continue
            for n in range(1, MAX_WORDS + 1):
                if i + n > len(clause):
                    break
                last, last_lemma = clause[i + n - 1], lem[i + n - 1]
                if (last in stop or last_lemma in stop or last in negators or any(c.isdigit() for c in last)
                        or len(last) < 3):
                    continue
                if n == 1 and sentiment.word_score(last, language) is not None:
                    continue
                if value is None:
                    value = sentiment.score_text(" ".join(clause), language).score
                found.setdefault(" ".join(lem[i:i + n]), []).append(value)
                if surfaces is not None:
                    surfaces.setdefault(" ".join(lem[i:i + n]), []).append(" ".join(clause[i:i + n]))
    return {p: float(np.mean(v)) for p, v in found.items()}


@lru_cache(maxsize=200_000)
def _phrases_of(text, language: str) -> dict[str, float]:
    """:func:`phrases` of one text, computed once per text and language (the theme table, its change and the
    complaint share all read the same texts); callers must not change the returned dict."""
    return phrases(text, language)


def cut(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut to at most ``limit`` characters at a word boundary (with "…" when cut)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(" ,;:-") + "…"


def quote(text, theme: str, language: str, limit: int = QUOTE_CHARS) -> str:
    """The sentence of ``text`` that holds ``theme``, cut to ``limit`` characters; the text's start otherwise."""
    for part in _SENTENCE_SPLIT.split(str(text)):
        if theme in _phrases_of(part, language):
            return cut(part, limit)
    return cut(text, limit)


def _kind(mean: float) -> str:
    if mean > sentiment.THRESHOLD:
        return "praise"
    if mean < -sentiment.THRESHOLD:
        return "complaint"
    return "mixed"


def _prepare(scored: pd.DataFrame, key: str, default_language: str) -> pd.DataFrame:
    missing = {key, "text", "sentiment", "label"} - set(scored.columns)
    if missing:
        raise ValueError(f"scored texts need the columns {sorted(missing)} (from helpers.sentiment.score_texts)")
    s = scored[scored["label"] != "no text"].copy()
    lang = s["language"] if "language" in s.columns else pd.Series(None, index=s.index)
    s["_lang"] = [sentiment.normalise_language(x, default_language) for x in lang]
    s["_phrases"] = [_phrases_of(t, x) for t, x in zip(s["text"], s["_lang"])]
    return s


def _select(counts: dict[str, set], min_texts: int, top: int | None) -> list[str]:
    ranked = sorted((p for p, idx in counts.items() if len(idx) >= min_texts),
                    key=lambda p: (-len(counts[p]), -len(p.split()), p))
    kept: list[str] = []
    for p in ranked:
        words = set(p.split())
        if any(words & set(k.split()) and len(counts[p] & counts[k]) >= OVERLAP * len(counts[p]) for k in kept):
            continue
        kept.append(p)
        if top is not None and len(kept) >= top:
            break
    return kept


def _surface(rows: pd.DataFrame, theme: str) -> str:
    """The most frequent wording of ``theme`` in ``rows`` (the first in alphabetical order on a tie)."""
    counts: Counter = Counter()
    for (text, lang), n in Counter(zip(rows["text"], rows["_lang"])).items():  # each distinct text once
        for form in _surfaces_of(text, lang).get(theme, ()):
            counts[form] += n
    if not counts:
        return theme
    most = max(counts.values())
    return str(sorted(f for f, c in counts.items() if c == most)[0])


@lru_cache(maxsize=200_000)
def _surfaces_of(text, language: str) -> dict[str, tuple[str, ...]]:
    """The words as written of each phrase of one text (:func:`phrases` with ``surfaces``), once per text."""
    forms: dict[str, list[str]] = {}
    phrases(text, language, surfaces=forms)
    return {p: tuple(v) for p, v in forms.items()}


def _quotes(group: pd.DataFrame, idx: set, theme: str, kind: str, n: int, limit: int) -> tuple[str, ...]:
    rows = group.loc[sorted(idx)]
    value = np.array([found[theme] for found in rows["_phrases"]])
    sign = {"praise": 1.0, "complaint": -1.0}.get(kind, 0.0)
    # the clauses that say it most clearly first; for a mixed theme, the most neutral ones
    order = rows.assign(_order=-sign * value if sign else np.abs(value)).sort_values("_order", kind="stable")
    out: list[str] = []
    for text, lang in zip(order["text"], order["_lang"]):
        q = quote(text, theme, lang, limit)
        if q not in out:
            out.append(q)
        if len(out) == n:
            break
    return tuple(out)


def themes(scored: pd.DataFrame, key: str = "touchpoint_id", min_texts: int = MIN_TEXTS, top: int | None = 10,
           quotes: int = QUOTES, quote_chars: int = QUOTE_CHARS, default_language: str = "en") -> pd.DataFrame:
    """Recurring themes per ``key`` (see the module description): :data:`THEME_COLUMNS` (``key`` in place of
    touchpoint_id), ordered by ``key`` and number of texts."""
    cols = [key, *THEME_COLUMNS[1:]]
    s = _prepare(scored, key, default_language)
    rows = []
    for k, group in s.groupby(key, sort=True):
        counts: dict[str, set] = {}
        for i, found in zip(group.index, group["_phrases"]):
            for p in found:
                counts.setdefault(p, set()).add(i)
        for theme in _select(counts, min_texts, top):
            idx = counts[theme]
            values = np.array([group.at[i, "_phrases"][theme] for i in sorted(idx)])
            mean = float(values.mean())
            kind = _kind(mean)
            rows.append((k, theme, _surface(group.loc[sorted(idx)], theme), len(theme.split()), len(idx), len(group),
                         len(idx) / len(group), mean,
                         float((values < -sentiment.THRESHOLD).mean()), kind,
                         _quotes(group, idx, theme, kind, quotes, quote_chars)))
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values([key, "texts", "theme"], ascending=[True, False, True], kind="stable").reset_index(drop=True)


def praise_and_complaints(theme_table: pd.DataFrame, key: str = "touchpoint_id", top: int = 3) -> pd.DataFrame:
    """The ``top`` praise and complaint themes per ``key`` (most texts first): the theme table's rows with
    ``rank`` (1 = most frequent of its kind)."""
    t = theme_table[theme_table["kind"].isin(["praise", "complaint"])]
    t = t.sort_values([key, "kind", "texts", "theme"], ascending=[True, True, False, True], kind="stable")
    t = t.assign(rank=t.groupby([key, "kind"]).cumcount() + 1)
    return t[t["rank"] <= top].reset_index(drop=True)


def theme_changes(current: pd.DataFrame, previous: pd.DataFrame | None, key: str = "touchpoint_id",
                  default_language: str = "en", **kwargs) -> pd.DataFrame:
    """This period's themes (:func:`themes` of ``current``) with the share of last period's texts of the same
    ``key`` holding the same phrase: ``previous_texts``, ``previous_share`` and ``change`` (share minus previous
    share, in proportion points; NaN where last period has no texts for that ``key``)."""
    t = themes(current, key=key, default_language=default_language, **kwargs)
    prev_texts, prev_share = [], []
    p = _prepare(previous, key, default_language) if previous is not None and len(previous) else None
    groups = dict(tuple(p.groupby(key))) if p is not None else {}
    for k, theme in zip(t[key], t["theme"]):
        g = groups.get(k)
        if g is None or not len(g):
            prev_texts.append(0)
            prev_share.append(np.nan)
            continue
        n = int(sum(theme in found for found in g["_phrases"]))
        prev_texts.append(n)
        prev_share.append(n / len(g))
    t["previous_texts"] = pd.Series(prev_texts, index=t.index, dtype="int64")
    t["previous_share"] = pd.Series(prev_share, index=t.index, dtype="float64")
    t["change"] = t["share"] - t["previous_share"]
    return t


def negative_theme_share(scored: pd.DataFrame, theme_table: pd.DataFrame, key: str = "touchpoint_id",
                         default_language: str = "en", level: float = 0.95) -> pd.DataFrame:
    """Per ``key``: texts, texts holding at least one complaint theme of that ``key`` (``complaint_texts``), their
    share (``negative_theme_share``, a prioritisation input) with a Wilson interval, and the complaint themes."""
    from helpers import stats  # statsmodels is slow to import; only this function needs it

    cols = [key, "texts", "complaint_texts", "negative_theme_share", "ci_low", "ci_high", "complaint_themes"]
    s = _prepare(scored, key, default_language)
    complaints = theme_table[theme_table["kind"] == "complaint"].groupby(key)["theme"].apply(tuple).to_dict()
    rows = []
    for k, group in s.groupby(key, sort=True):
        mine = set(complaints.get(k, ()))
        hit = int(sum(bool(mine & found.keys()) for found in group["_phrases"]))
        est = stats.proportion_ci(hit, len(group), level=level)
        rows.append((k, len(group), hit, hit / len(group), est.ci_low, est.ci_high, tuple(sorted(mine))))
    return pd.DataFrame(rows, columns=cols)
