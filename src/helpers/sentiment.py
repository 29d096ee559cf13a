"""Sentiment of Danish, Swedish, Norwegian and English customer comments.

Default method (:data:`METHOD`), the same for every client, no training:

* the text is lower-cased and split into sentences (``.!?`` and line breaks) and clauses
  (``,;:`` and brackets); apostrophes are dropped ("don't" becomes "dont");
* the language is the ``language`` value given for the text when it is da/sv/no/en, otherwise
  detected with lingua (:func:`detect_language`; texts under :data:`MIN_DETECT_WORDS` words, and texts whose
  most likely language is hardly more likely than the client's own, get the client's language);
* each word is looked up in the kit's word lists (``helpers/resources/lexicon_{da,sv,no,en}.txt``, scores
  -3..+3), then as its simplemma lemma, then without a common suffix; words the kit does not list are looked up
  in AFINN (the published lexicons of the ``afinn`` package: AFINN-da for Danish and Norwegian Bokmål, which share
  most of their written vocabulary, AFINN-en for English; scores -5..+5 scaled to -3..+3), including AFINN's
  multi-word entries ("fungerer ikke");
* a negation up to three words earlier in the same clause flips the word and scales it by 0.74 (as in VADER);
  a negation with no opinion word after it in its clause counts -1 (negation marks complaints in reviews,
  Potts 2011, "On the negativity of negation"); a degree adverb right before a word multiplies it by 1.3
  ("meget", "very") or 0.7 ("lidt", "a bit");
* in a sentence with a contrast word ("men", "but", "dog", "however"), the words before it count half and the
  words after it 1.5 times (as in VADER);
* the text score is ``sum / sqrt(sum^2 + 15)`` (the normalisation of VADER), in -1..1;
  above 0.05 is positive, below -0.05 negative, otherwise neutral.

A client with enough rated texts of its own (review stars, CSAT of survey comments) can instead use a model
trained on them (:func:`fit_client_model`): it is used only when its cross-validated accuracy beats the default
method on the same held-out texts.

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

import numpy as np
import pandas as pd

from helpers.i18n import N_

LANGUAGES = ("da", "sv", "en", "no")
LANGUAGE_NAMES = {"da": "Danish", "sv": "Swedish", "en": "English", "no": "Norwegian"}
NEGATION_WINDOW = 3
#: A negated opinion word counts -0.74 times its score (VADER's N_SCALAR).
NEGATION_SCALAR = 0.74
#: A negation with no opinion word after it in its clause.
NEGATION_ALONE = -1.0
BOOST = 1.3
DAMPEN = 0.7
#: Weight of the words before and after a contrast word in its sentence (VADER's "but" rule).
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
#: AFINN scores run from -5 to +5; the kit's from -3 to +3.
AFINN_SCALE = 3 / 5
#: Which AFINN list serves which language (none is published for Swedish).
AFINN_FILES = {"da": "AFINN-da-32.txt", "no": "AFINN-da-32.txt", "en": "AFINN-en-165.txt"}
#: simplemma's code of each language.
SIMPLEMMA_CODES = {"da": "da", "sv": "sv", "no": "nb", "en": "en"}
#: Texts with fewer words keep the default language (too short to detect reliably).
MIN_DETECT_WORDS = 3
#: The client's language wins when lingua's confidence in it is this close to the top language's.
DETECT_MARGIN = 0.2
ALPHA = 15.0
THRESHOLD = 0.05
#: Suffixes tried (longest first) when a word is not in the list as it stands.
SUFFIXES = {
    "da": ("erne", "ene", "ere", "este", "ede", "et", "en", "er", "e", "t"),
    "sv": ("arna", "orna", "are", "aste", "ade", "an", "en", "et", "ar", "or", "a", "t"),
    "en": ("ing", "ed", "ly", "es", "s"),
    "no": ("ene", "ere", "este", "et", "en", "er", "e", "t"),
}
# marked for the report's catalogs; step 2 shows it translated (the artifact metric keeps the English text)
METHOD = N_(
    "Sentiment is scored with word lists for Danish, Swedish, Norwegian and English: the kit's own, then the "
    "published AFINN lexicons (Danish, also used for Norwegian, and English), with words reduced to their "
    "dictionary form (simplemma). Each opinion word counts from -3 to +3; a negation up to three words earlier "
    "reverses it, \"very\" strengthens and \"a bit\" softens it, and after \"but\" a sentence counts more than "
    "before it. The sum is scaled to -1..1 (positive above 0.05, negative below -0.05). The language comes from "
    "the data where given, otherwise it is detected per text (lingua); very short texts keep the client's language."
)

_SENTENCE = re.compile(r"[.!?\n\u2026]+")
_CLAUSE = re.compile(r"[;:,()\[\]]+")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Lexicon:
    """The word lists of one language."""

    language: str
    words: dict = field(repr=False)
    negators: frozenset = field(repr=False)
    stopwords: frozenset = field(repr=False)
    boosters: frozenset = field(default=frozenset(), repr=False)
    dampeners: frozenset = field(default=frozenset(), repr=False)
    contrast: frozenset = field(default=frozenset(), repr=False)

    def lookup(self, token: str) -> float | None:
        """Score of ``token``, or of its stem without a common suffix; None when unknown."""
        if token in self.words:
            return self.words[token]
        for suffix in SUFFIXES.get(self.language, ()):
            stem = token[: -len(suffix)]
            if token.endswith(suffix) and len(stem) >= 3 and stem in self.words:
                return self.words[stem]
        return None


_SECTIONS = ("stopwords", "negators", "boosters", "dampeners", "contrast")


def parse_lexicon(language: str, text: str) -> Lexicon:
    """Read a word-list file: ``[words]`` ("word score" lines) and word sections ``[stopwords]``, ``[negators]``,
    ``[boosters]``, ``[dampeners]``, ``[contrast]``; '#' starts a comment."""
    section, words = None, {}
    sets: dict[str, set] = {name: set() for name in _SECTIONS}
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
        elif section in sets:
            sets[section].update(w.lower() for w in line.split())
        else:
            raise ValueError(f"lexicon_{language}.txt line {lineno}: text outside a section")
    return Lexicon(language, words, **{name: frozenset(values) for name, values in sets.items()})


@lru_cache(maxsize=None)
def load_lexicon(language: str) -> Lexicon:
    """The shipped word lists of ``language`` (da, sv, no or en)."""
    if language not in LANGUAGES:
        raise ValueError(f"no word list for language {language!r}; the kit ships {', '.join(LANGUAGES)}")
    text = resources.files("helpers").joinpath("resources", f"lexicon_{language}.txt").read_text(encoding="utf-8")
    return parse_lexicon(language, text)


@dataclass(frozen=True)
class Afinn:
    """An AFINN word list: single words and multi-word entries (tuples), scores -5..+5."""

    words: dict = field(repr=False)
    phrases: dict = field(repr=False)
    longest: int = 1


@lru_cache(maxsize=None)
def load_afinn(language: str) -> Afinn | None:
    """The AFINN list the ``afinn`` package ships for ``language`` (see :data:`AFINN_FILES`); None for Swedish."""
    name = AFINN_FILES.get(language)
    if name is None:
        return None
    text = resources.files("afinn").joinpath("data", name).read_text(encoding="utf-8")
    words, phrases = {}, {}
    for line in text.splitlines():
        if "\t" not in line:
            continue
        term, score = line.rsplit("\t", 1)
        parts = tuple(_WORD.findall(term.lower().replace("'", "")))
        if len(parts) == 1:
            words[parts[0]] = float(score)
        elif parts:
            phrases[parts] = float(score)
    return Afinn(words, phrases, max((len(k) for k in phrases), default=1))


@lru_cache(maxsize=200_000)
def lemma(word: str, language: str) -> str:
    """Dictionary form of ``word`` (simplemma); the word itself when simplemma does not know it."""
    import simplemma

    code = SIMPLEMMA_CODES.get(language)
    return simplemma.lemmatize(word, lang=code) if code else word


def sentences(text) -> list[list[list[str]]]:
    """Lower-cased words of ``text`` by sentence and clause (apostrophes dropped)."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return []
    text = str(text).lower().replace("'", "").replace("\u2019", "")
    out = []
    for sent in _SENTENCE.split(text):
        parts = [words for part in _CLAUSE.split(sent) if (words := _WORD.findall(part))]
        if parts:
            out.append(parts)
    return out


def clauses(text) -> list[list[str]]:
    """Lower-cased words of ``text``, grouped by clause (punctuation separates clauses)."""
    return [c for sent in sentences(text) for c in sent]


def tokenize(text) -> list[str]:
    """Lower-cased words of ``text`` (apostrophes dropped)."""
    return [w for clause in clauses(text) for w in clause]


def normalise_language(value, default: str | None = None) -> str | None:
    """'da', 'sv', 'no' or 'en' from a language value such as 'DA', 'da-DK', 'sv_SE', 'nb', 'English';
    else ``default``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return default
    text = str(value).strip().lower()
    names = {"danish": "da", "dansk": "da", "swedish": "sv", "svenska": "sv", "english": "en", "engelsk": "en",
             "norwegian": "no", "norsk": "no", "nb": "no", "nn": "no", "bokmål": "no", "nynorsk": "no"}
    code = names.get(text, re.split(r"[-_]", text)[0] if text else "")
    return code if code in LANGUAGES else default


@lru_cache(maxsize=1)
def _detector():
    """lingua detector for da, sv, nb, nn and en only (built once per process from the package's own models)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = (Language.DANISH, Language.SWEDISH, Language.BOKMAL, Language.NYNORSK, Language.ENGLISH)
    return LanguageDetectorBuilder.from_languages(*languages).build()


_LINGUA_CODES = {"DANISH": "da", "SWEDISH": "sv", "BOKMAL": "no", "NYNORSK": "no", "ENGLISH": "en"}


def language_confidence(text) -> dict[str, float]:
    """lingua's confidence per language code; 'no' is the larger of Bokmål and Nynorsk (adding them up would
    favour Norwegian over Danish in phrases the three share)."""
    out = dict.fromkeys(LANGUAGES, 0.0)
    for value in _detector().compute_language_confidence_values(str(text)):
        code = _LINGUA_CODES[value.language.name]
        out[code] = max(out[code], value.value)
    return out


@lru_cache(maxsize=100_000)
def detect_language(text: str, default: str = "en") -> str:
    """Language of ``text`` (da, sv, no or en) detected with lingua.

    ``default`` (the client's language) is kept for texts under :data:`MIN_DETECT_WORDS` words, and whenever its
    confidence is within :data:`DETECT_MARGIN` of the most likely language: Danish and Norwegian in particular
    share most short phrases, and a short ambiguous comment is most likely in the client's own language.
    """
    if len(tokenize(text)) < MIN_DETECT_WORDS:
        return default
    confidence = language_confidence(text)
    best = max(confidence, key=confidence.get)
    if default in confidence and confidence[default] >= confidence[best] - DETECT_MARGIN:
        return default
    return best


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


@dataclass(frozen=True)
class Settings:
    """Which rules the scorer applies; :data:`DEFAULT` is the kit's method. The benchmark switches them one by one
    (``Settings(afinn=False, lemmas=False, negation_scalar=1, negation_alone=0, intensifiers=False,
    contrast=False)`` is the kit's earlier lexicon-only method)."""

    afinn: bool = True
    lemmas: bool = True
    negation_scalar: float = NEGATION_SCALAR
    negation_alone: float = NEGATION_ALONE
    intensifiers: bool = True
    contrast: bool = True


DEFAULT = Settings()
LEXICON_ONLY = Settings(afinn=False, lemmas=False, negation_scalar=1.0, negation_alone=0.0, intensifiers=False,
                        contrast=False)


def _word_value(word: str, lex: Lexicon, afinn: Afinn | None, settings: Settings) -> float | None:
    value = lex.words.get(word)
    if value is None and settings.lemmas:
        value = lex.words.get(lemma(word, lex.language))
    if value is None:
        value = lex.lookup(word)
    if value is None and afinn is not None:
        value = afinn.words.get(word)
        if value is None and settings.lemmas:
            value = afinn.words.get(lemma(word, lex.language))
        value = None if value is None else value * AFINN_SCALE
    return value


def word_score(word: str, language: str) -> float | None:
    """Score of one lower-cased word in the default method's lists (-3..3), None when it is no opinion word."""
    lang = normalise_language(language, "en")
    return _word_value(word, load_lexicon(lang), load_afinn(lang), DEFAULT)


def _phrase(words: list[str], i: int, afinn: Afinn | None) -> tuple[int, float] | None:
    """Longest AFINN multi-word entry starting at ``words[i]``: (length, score scaled to -3..3)."""
    if afinn is None or not afinn.phrases:
        return None
    for n in range(min(afinn.longest, len(words) - i), 1, -1):
        value = afinn.phrases.get(tuple(words[i:i + n]))
        if value is not None:
            return n, value * AFINN_SCALE
    return None


def _contrast_weights(sentence: list[list[str]], lex: Lexicon, settings: Settings) -> list[list[float]]:
    """Weight of every word of a sentence: 0.5 before its last contrast word, 1.5 after it, 1 without one."""
    flat = [w for clause in sentence for w in clause]
    cut = max((k for k, w in enumerate(flat) if w in lex.contrast), default=None) if settings.contrast else None
    out, k = [], 0
    for clause in sentence:
        row = []
        for _ in clause:
            row.append(1.0 if cut is None else CONTRAST_BEFORE if k < cut else 1.0 if k == cut else CONTRAST_AFTER)
            k += 1
        out.append(row)
    return out


def _score_clause(words: list[str], weights: list[float], lex: Lexicon, afinn: Afinn | None,
                  settings: Settings) -> tuple[float, list[str], list[str]]:
    total, pos, neg, used = 0.0, [], [], set()
    i = 0
    while i < len(words):
        phrase = _phrase(words, i, afinn)
        if phrase is not None:
            n, value = phrase
            term, span = " ".join(words[i:i + n]), range(i, i + n)
            used.update(span)
        else:
            word, n = words[i], 1
            value = None if word in lex.negators else _word_value(word, lex, afinn, settings)
            if value is None:
                i += 1
                continue
            window = [k for k in range(max(0, i - NEGATION_WINDOW), i) if words[k] in lex.negators]
            term = word
            if window:
                value = -value * settings.negation_scalar
                term = f"{words[window[-1]]} {word}"
                used.update(window)
            if settings.intensifiers and i > 0:
                value *= BOOST if words[i - 1] in lex.boosters else DAMPEN if words[i - 1] in lex.dampeners else 1.0
        value *= weights[i]
        total += value
        (pos if value > 0 else neg if value < 0 else []).append(term)
        i += n
    if settings.negation_alone:
        total += sum(settings.negation_alone * weights[k] for k, w in enumerate(words)
                     if w in lex.negators and k not in used)
    return total, pos, neg


def score_text(text, language: str | None = None, default_language: str = "en",
               settings: Settings = DEFAULT) -> TextScore:
    """Score one text (see the module description for the method)."""
    lang = normalise_language(language) or detect_language(text, default=normalise_language(default_language, "en"))
    lex = load_lexicon(lang)
    afinn = load_afinn(lang) if settings.afinn else None
    total, pos, neg = 0.0, [], []
    for sentence in sentences(text):
        for words, weights in zip(sentence, _contrast_weights(sentence, lex, settings)):
            t, p, n = _score_clause(words, weights, lex, afinn, settings)
            total, pos, neg = total + t, pos + p, neg + n
    score = total / math.sqrt(total * total + ALPHA) if total else 0.0
    return TextScore(score, label_for(score), lang, total, tuple(pos), tuple(neg))


SCORED_COLUMNS = ["sentiment", "label", "language", "hits", "positive_terms", "negative_terms"]


def score_texts(texts: pd.Series, languages: pd.Series | None = None, default_language: str = "en",
                model: ClientModel | None = None, settings: Settings = DEFAULT) -> pd.DataFrame:
    """Score a column of texts; returns one row per text (same index) with :data:`SCORED_COLUMNS`.

    ``languages`` (optional, same index) holds a language per text; values that are not
    da/sv/no/en, and missing values, fall back to detection from the text itself.
    Missing or empty texts get score 0, label ``no text``. With a ``model`` from :func:`fit_client_model`
    whose ``use`` is true, ``sentiment`` and ``label`` come from the model (the terms still from the word lists).
    """
    default_language = normalise_language(default_language, "en")
    texts = pd.Series(texts)
    if languages is None:
        languages = pd.Series(None, index=texts.index, dtype=object)
    rows = []
    done: dict[tuple, tuple] = {}  # a text is scored once however often it occurs (exports repeat short answers)
    for text, lang in zip(texts.tolist(), pd.Series(languages).reindex(texts.index).tolist()):
        key = (text, lang) if isinstance(text, str) and (lang is None or isinstance(lang, str)) else None
        if key is not None and key in done:
            rows.append(done[key])
            continue
        if not tokenize(text):
            row = (0.0, "no text", normalise_language(lang, default_language), 0, (), ())
        else:
            s = score_text(text, normalise_language(lang), default_language, settings)
            row = (s.score, s.label, s.language, s.hits, s.positive_terms, s.negative_terms)
        if key is not None:
            done[key] = row
        rows.append(row)
    out = pd.DataFrame(rows, columns=SCORED_COLUMNS, index=texts.index)
    out["sentiment"] = out["sentiment"].astype("float64")
    out["hits"] = out["hits"].astype("int64")
    if model is not None and model.use and len(out):
        has_text = out["label"] != "no text"
        if has_text.any():
            value = model.predict_sentiment(texts[has_text], out.loc[has_text, "language"])
            out.loc[has_text, "sentiment"] = value
            out.loc[has_text, "label"] = [model_label(v) for v in value]
    return out


def term_counts(terms: pd.Series) -> Counter:
    """How often each term occurs in a column of term tuples (once per text)."""
    counter: Counter = Counter()
    for t in terms:
        counter.update(set(t))
    return counter


# ---------------------------------------------------------------------------
# Per-client model trained on the client's own rated texts
# ---------------------------------------------------------------------------

#: Ratings (1-5 stars or CSAT) of at most this are negative, of at least POSITIVE_RATING positive.
NEGATIVE_RATING, POSITIVE_RATING = 2, 4
#: Fewest texts of each polarity a client model is trained on.
MIN_TEXTS_PER_CLASS = 20
#: A model's sentiment within this distance of 0 is neutral.
MODEL_NEUTRAL = 0.2


def polarity(ratings) -> pd.Series:
    """'negative' for ratings of 1-2, 'positive' for 4-5, None for 3 and missing values."""
    r = pd.to_numeric(pd.Series(ratings), errors="coerce")
    return pd.Series(np.where(r <= NEGATIVE_RATING, "negative", np.where(r >= POSITIVE_RATING, "positive", None)),
                     index=r.index, dtype=object).where(r.notna(), None)


def model_label(value: float) -> str:
    if value > MODEL_NEUTRAL:
        return "positive"
    if value < -MODEL_NEUTRAL:
        return "negative"
    return "neutral"


def lemma_text(text, language: str) -> str:
    """The text's words as simplemma lemmas, clauses separated by ' | ' (the model's input)."""
    return " | ".join(" ".join(lemma(w, language) for w in c) for c in clauses(text))


def _features(texts: pd.Series, languages: pd.Series) -> pd.DataFrame:
    langs = [normalise_language(x, "en") for x in languages]
    lexicon = [score_text(t, lang).score for t, lang in zip(texts, langs)]
    return pd.DataFrame({"lemmas": [lemma_text(t, lang) for t, lang in zip(texts, langs)], "lexicon": lexicon})


def _pipeline(seed: int):
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    features = ColumnTransformer([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, token_pattern=r"[^\s|]+"),
         "lemmas"),
        ("lexicon", "passthrough", ["lexicon"]),
    ])
    return Pipeline([("features", features),
                     ("model", LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000, random_state=seed))])


@dataclass
class ClientModel:
    """A sentiment model trained on one client's rated texts (see :func:`fit_client_model`).

    ``cv`` holds the cross-validated scores of the model and of the default method on the same held-out texts
    (accuracy, negative_recall, macro_f1); ``use`` is true only when the model's accuracy is higher.
    """

    pipeline: object = field(repr=False)
    n_texts: int
    n_negative: int
    cv: dict
    use: bool
    reason: str

    def predict_sentiment(self, texts: pd.Series, languages: pd.Series) -> np.ndarray:
        """Model sentiment in -1..1: twice the probability of 'positive', minus 1."""
        if self.pipeline is None:
            raise ValueError(f"no client model was fitted: {self.reason}")
        proba = self.pipeline.predict_proba(_features(pd.Series(list(texts)), pd.Series(list(languages))))
        positive = list(self.pipeline.classes_).index("positive")
        return 2 * proba[:, positive] - 1


def _scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn.metrics import f1_score

    neg = truth == "negative"
    return {"accuracy": float((predicted == truth).mean()),
            "negative_recall": float((predicted[neg] == "negative").mean()) if neg.any() else float("nan"),
            "macro_f1": float(f1_score(truth, predicted, labels=["positive", "negative"], average="macro",
                                       zero_division=0))}


def fit_client_model(texts, ratings, languages=None, default_language: str = "en", folds: int = 5,
                     seed: int = 0) -> ClientModel:
    """Train a sentiment model on a client's rated texts (1-2 negative, 4-5 positive; 3 and unrated left out).

    Logistic regression on TF-IDF of lemma uni- and bigrams plus the default method's score, cross-validated in
    ``folds`` stratified folds. The default method is scored on the same held-out texts; the model is marked
    ``use`` only when its held-out accuracy is higher. With fewer than :data:`MIN_TEXTS_PER_CLASS` texts of
    either polarity nothing is trained (``use`` false, ``reason`` says why).
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    texts = pd.Series(list(texts), dtype=object)
    languages = (pd.Series([None] * len(texts), dtype=object) if languages is None
                 else pd.Series(list(languages), dtype=object))
    truth = polarity(list(ratings))
    keep = truth.notna().to_numpy() & np.array([bool(tokenize(t)) for t in texts])
    texts, truth = texts[keep].reset_index(drop=True), truth[keep].reset_index(drop=True).to_numpy()
    default_language = normalise_language(default_language, "en")
    langs = pd.Series([normalise_language(x) or detect_language(t, default_language)
                       for t, x in zip(texts, languages[keep])], dtype=object)
    n_neg, n_pos = int((truth == "negative").sum()), int((truth == "positive").sum())
    if min(n_neg, n_pos) < MIN_TEXTS_PER_CLASS:
        return ClientModel(None, len(texts), n_neg, {}, False,
                           f"{n_neg} negative and {n_pos} positive rated texts; a client model needs "
                           f"{MIN_TEXTS_PER_CLASS} of each")
    x = _features(texts, langs)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = cross_val_predict(_pipeline(seed), x, truth, cv=cv, method="predict_proba")
    classes = sorted(set(truth))  # cross_val_predict orders columns by sorted class labels
    value = 2 * predicted[:, classes.index("positive")] - 1
    model_pred = np.array([model_label(v) for v in value])
    lexicon_pred = np.array([label_for(v) for v in x["lexicon"]])
    scores = {"model": _scores(truth, model_pred), "lexicon": _scores(truth, lexicon_pred)}
    use = scores["model"]["accuracy"] > scores["lexicon"]["accuracy"]
    pipeline = _pipeline(seed).fit(x, truth)
    reason = (f"held-out accuracy {scores['model']['accuracy']:.3f} against {scores['lexicon']['accuracy']:.3f} "
              f"for the word lists ({folds}-fold cross-validation on {len(texts)} rated texts)")
    return ClientModel(pipeline, len(texts), n_neg, scores, use, reason)
