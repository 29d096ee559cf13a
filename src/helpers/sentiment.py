"""Lexicon sentiment for Danish, Swedish, Norwegian and English customer comments.

The kit ships its own word lists (``helpers/resources/lexicon_{da,sv,no,en}.txt``):
opinion words scored from -3 to +3, negation words and frequent function words.
The method is deliberately simple and transparent, so a report can state it in
one sentence (:data:`METHOD`):

* the text is lower-cased and split into words (letters, digits, apostrophes dropped:
  "don't" becomes "dont"); punctuation ends a clause;
* the language is the ``language`` value given for the text when it is one of
  da/sv/no/en, otherwise the language whose function words occur most often
  (ties and texts without any go to the default language);
* every opinion word adds its score; a negation word up to three words earlier in
  the same clause flips the sign ("not helpful" counts -2, "ingen problemer" +2);
  a word not in the list is looked up again without a common inflection suffix;
* the text score is ``sum / sqrt(sum^2 + 15)`` (the normalisation of VADER), in -1..1;
  above 0.05 is positive, below -0.05 negative, otherwise neutral.

>>> score_text("Levering var ikke hurtig, og pakken var ødelagt").label
'negative'
>>> score_texts(reviews["text"], reviews.get("language"), default_language="da")
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import pandas as pd

LANGUAGES = ("da", "sv", "en", "no")
LANGUAGE_NAMES = {"da": "Danish", "sv": "Swedish", "en": "English", "no": "Norwegian"}
NEGATION_WINDOW = 3
ALPHA = 15.0
THRESHOLD = 0.05
#: Suffixes tried (longest first) when a word is not in the list as it stands.
SUFFIXES = {
    "da": ("erne", "ene", "ere", "este", "ede", "et", "en", "er", "e", "t"),
    "sv": ("arna", "orna", "are", "aste", "ade", "an", "en", "et", "ar", "or", "a", "t"),
    "en": ("ing", "ed", "ly", "es", "s"),
    "no": ("ene", "ere", "este", "et", "en", "er", "e", "t"),
}
METHOD = (
    "Sentiment is scored with the kit's own word lists for Danish, Swedish, Norwegian and English: each opinion word "
    "counts from -3 to +3, a negation up to three words earlier flips it, and the sum is scaled to -1..1 "
    "(positive above 0.05, negative below -0.05). The language comes from the data where given, otherwise "
    "from the function words of the text."
)

_CLAUSE = re.compile(r"[.!?;:,()\[\]\n]+")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Lexicon:
    """The word lists of one language."""

    language: str
    words: dict = field(repr=False)
    negators: frozenset = field(repr=False)
    stopwords: frozenset = field(repr=False)

    def lookup(self, token: str) -> float | None:
        """Score of ``token``, or of its stem without a common suffix; None when unknown."""
        if token in self.words:
            return self.words[token]
        for suffix in SUFFIXES.get(self.language, ()):
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= 3 and stem in self.words:
                return self.words[stem]
        return None


def parse_lexicon(language: str, text: str) -> Lexicon:
    """Read a word-list file: ``[stopwords]``, ``[negators]`` and ``[words]`` sections; '#' starts a comment."""
    section, words, negators, stopwords = None, {}, set(), set()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "words":
            parts = line.split()
            if len(parts) != 2:
                raise ValueError(f"lexicon_{language}.txt line {lineno}: expected 'word score', got {raw!r}")
            words[parts[0].lower()] = float(parts[1])
        elif section == "negators":
            negators.update(w.lower() for w in line.split())
        elif section == "stopwords":
            stopwords.update(w.lower() for w in line.split())
        else:
            raise ValueError(f"lexicon_{language}.txt line {lineno}: text outside a section")
    return Lexicon(language, words, frozenset(negators), frozenset(stopwords))


@lru_cache(maxsize=None)
def load_lexicon(language: str) -> Lexicon:
    """The shipped word lists of ``language`` (da, sv, no or en)."""
    if language not in LANGUAGES:
        raise ValueError(f"no word list for language {language!r}; the kit ships {', '.join(LANGUAGES)}")
    text = resources.files("helpers").joinpath("resources", f"lexicon_{language}.txt").read_text(encoding="utf-8")
    return parse_lexicon(language, text)


def clauses(text: str) -> list[list[str]]:
    """Lower-cased words of ``text``, grouped by clause (punctuation separates clauses)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    text = str(text).lower().replace("'", "").replace("\u2019", "")
    return [words for part in _CLAUSE.split(text) if (words := _WORD.findall(part))]


def tokenize(text: str) -> list[str]:
    """Lower-cased words of ``text`` (apostrophes dropped)."""
    return [w for clause in clauses(text) for w in clause]


def normalise_language(value, default: str | None = None) -> str | None:
    """'da', 'sv', 'no' or 'en' from a language value such as 'DA', 'da-DK', 'sv_SE', 'nb', 'English';
    else ``default``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return default
    text = str(value).strip().lower()
    names = {"danish": "da", "dansk": "da", "swedish": "sv", "svenska": "sv", "english": "en", "engelsk": "en",
             "norwegian": "no", "norsk": "no", "nb": "no", "nn": "no"}
    code = names.get(text, re.split(r"[-_]", text)[0] if text else "")
    return code if code in LANGUAGES else default


def detect_language(text: str, default: str = "en") -> str:
    """The language whose function words occur most often in ``text``; ``default`` on a tie or none."""
    tokens = tokenize(text)
    hits = {lang: sum(t in load_lexicon(lang).stopwords for t in tokens) for lang in LANGUAGES}
    best = max(hits.values())
    winners = [lang for lang, n in hits.items() if n == best]
    if best == 0 or default in winners:
        return default
    return winners[0]


@dataclass(frozen=True)
class TextScore:
    """Sentiment of one text: score in -1..1, label, language and the opinion words found."""

    score: float
    label: str
    language: str
    total: float
    positive_terms: tuple[str, ...] = ()
    negative_terms: tuple[str, ...] = ()

    @property
    def hits(self) -> int:
        return len(self.positive_terms) + len(self.negative_terms)


def label_for(score: float) -> str:
    if score > THRESHOLD:
        return "positive"
    if score < -THRESHOLD:
        return "negative"
    return "neutral"


def score_text(text: str, language: str | None = None, default_language: str = "en") -> TextScore:
    """Score one text (see the module description for the method)."""
    lang = normalise_language(language) or detect_language(text, default=default_language)
    lex = load_lexicon(lang)
    total, pos, neg = 0.0, [], []
    for words in clauses(text):
        for i, word in enumerate(words):
            value = lex.lookup(word)
            if value is None or word in lex.negators:
                continue
            negated = any(w in lex.negators for w in words[max(0, i - NEGATION_WINDOW):i])
            if negated:
                value = -value
                term = f"{next(w for w in reversed(words[max(0, i - NEGATION_WINDOW):i]) if w in lex.negators)} {word}"
            else:
                term = word
            total += value
            if value > 0:
                pos.append(term)
            elif value < 0:
                neg.append(term)
    score = total / math.sqrt(total * total + ALPHA) if total else 0.0
    return TextScore(score, label_for(score), lang, total, tuple(pos), tuple(neg))


SCORED_COLUMNS = ["sentiment", "label", "language", "hits", "positive_terms", "negative_terms"]


def score_texts(texts: pd.Series, languages: pd.Series | None = None, default_language: str = "en") -> pd.DataFrame:
    """Score a column of texts; returns one row per text (same index) with :data:`SCORED_COLUMNS`.

    ``languages`` (optional, same index) holds a language per text; values that are not
    da/sv/no/en, and missing values, fall back to detection from the text itself.
    Missing or empty texts get score 0, label ``no text``.
    """
    default_language = normalise_language(default_language, "en")
    if languages is None:
        languages = pd.Series(None, index=texts.index, dtype=object)
    rows = []
    for text, lang in zip(texts.tolist(), languages.reindex(texts.index).tolist()):
        if not tokenize(text):
            rows.append((0.0, "no text", normalise_language(lang, default_language), 0, (), ()))
            continue
        s = score_text(text, normalise_language(lang), default_language)
        rows.append((s.score, s.label, s.language, s.hits, s.positive_terms, s.negative_terms))
    out = pd.DataFrame(rows, columns=SCORED_COLUMNS, index=texts.index)
    out["sentiment"] = out["sentiment"].astype("float64")
    out["hits"] = out["hits"].astype("int64")
    return out


def term_counts(terms: pd.Series) -> Counter:
    """How often each term occurs in a column of term tuples (once per text)."""
    counter: Counter = Counter()
    for t in terms:
        counter.update(set(t))
    return counter
