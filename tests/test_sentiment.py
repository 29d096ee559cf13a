"""Lexicon sentiment: shipped word lists, negation, language detection, scoring of a column."""

import math

import pandas as pd
import pytest

from helpers import sentiment


@pytest.mark.parametrize("lang", sentiment.LANGUAGES)
def test_shipped_word_lists_load_and_are_sane(lang):
    lex = sentiment.load_lexicon(lang)
    assert len(lex.words) > 100
    assert all(-3 <= v <= 3 for v in lex.words.values())
    assert sum(v > 0 for v in lex.words.values()) > 40 and sum(v < 0 for v in lex.words.values()) > 40
    assert lex.negators and lex.stopwords
    assert not (lex.negators & set(lex.words)), "a negation word must not also be an opinion word"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="da, sv, en"):
        sentiment.load_lexicon("de")  # the message lists da, sv, en, no


def test_parse_lexicon_reports_a_bad_line():
    with pytest.raises(ValueError, match="line 3"):
        sentiment.parse_lexicon("xx", "[words]\ngood 2\nbad\n")
    lex = sentiment.parse_lexicon("xx", "# c\n[negators]\nnot\n[words]\nGood 2 # comment\n[stopwords]\nthe a\n")
    assert lex.words == {"good": 2.0} and lex.negators == {"not"} and lex.stopwords == {"the", "a"}


def test_score_is_the_normalised_sum():
    # "good" (2) + "fast" (2) = 4 -> 4 / sqrt(16 + 15)
    s = sentiment.score_text("Good and fast.", "en")
    assert s.total == 4
    assert s.score == pytest.approx(4 / math.sqrt(31))
    assert s.label == "positive"
    assert s.positive_terms == ("good", "fast")


@pytest.mark.parametrize(
    "text, lang, total, negative",
    [
        ("The staff was not helpful", "en", -2, ("not helpful",)),
        ("I don't like it", "en", -1, ("dont like",)),
        ("Ekspedienten var ikke venlig", "da", -2, ("ikke venlig",)),
        ("Personalen var inte trevlig", "sv", -2, ("inte trevlig",)),
    ],
)
def test_negation_flips_the_word_it_precedes(text, lang, total, negative):
    s = sentiment.score_text(text, lang)
    assert s.total == total
    assert s.negative_terms == negative
    assert s.label == "negative"


def test_negation_of_a_negative_word_is_positive_and_stops_at_punctuation():
    assert sentiment.score_text("Ingen problemer med leveringen", "da").total == 2  # "problemer" -> "problem"
    # the comma ends the clause: "not" does not reach "slow"
    s = sentiment.score_text("Not cheap, but slow", "en")
    assert s.negative_terms == ("not cheap", "slow")
    # beyond three words a negation no longer applies
    assert sentiment.score_text("not at all in any way good", "en").total == 2


def test_inflected_forms_are_found_through_suffixes():
    lex = sentiment.load_lexicon("da")
    assert lex.lookup("problemerne") == lex.words["problem"]
    assert lex.lookup("xyzzy") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Jeg er meget glad for min nye sofa og den kom til tiden", "da"),
        ("Jag är mycket nöjd och det var enkelt att handla", "sv"),
        ("The delivery was late and the box was damaged", "en"),
        ("Jeg er veldig fornøyd, men det var litt dyrt å komme i gang", "no"),
    ],
)
def test_language_is_detected_from_function_words(text, expected):
    assert sentiment.detect_language(text, default="en" if expected != "en" else "da") == expected


def test_detection_falls_back_to_the_default():
    assert sentiment.detect_language("Super!", default="sv") == "sv"
    assert sentiment.detect_language("", default="da") == "da"


@pytest.mark.parametrize("value, code", [("DA", "da"), ("sv_SE", "sv"), ("en-GB", "en"), ("English", "en"),
                                         ("nb", "no"), ("no", "no"),
                                         ("de", None), (None, None), (float("nan"), None)])
def test_language_values_are_normalised(value, code):
    assert sentiment.normalise_language(value) == code


def test_score_texts_uses_the_language_column_and_marks_missing_text():
    texts = pd.Series(["Fin service", "Fin service", None, "  "], index=[10, 11, 12, 13])
    langs = pd.Series(["da", "sv", "en", None], index=[10, 11, 12, 13])
    out = sentiment.score_texts(texts, langs, default_language="da")
    assert list(out.index) == [10, 11, 12, 13]
    assert list(out.columns) == sentiment.SCORED_COLUMNS
    assert list(out["language"]) == ["da", "sv", "en", "da"]
    assert list(out["label"]) == ["positive", "positive", "no text", "no text"]
    assert out.loc[12, "sentiment"] == 0.0 and out.loc[12, "hits"] == 0


def test_score_texts_detects_when_the_language_column_is_unusable():
    texts = pd.Series(["Jag är inte nöjd och det var krångligt"])
    out = sentiment.score_texts(texts, pd.Series(["xx"]), default_language="en")
    assert out.loc[0, "language"] == "sv"
    assert out.loc[0, "label"] == "negative"
    assert set(out.loc[0, "negative_terms"]) == {"inte nöjd", "krångligt"}


def test_neutral_text_and_threshold():
    assert sentiment.score_text("The parcel arrived on Tuesday", "en").label == "neutral"
    assert sentiment.label_for(0.05) == "neutral" and sentiment.label_for(0.0501) == "positive"
    assert sentiment.label_for(-0.0501) == "negative"


def test_term_counts_count_each_text_once():
    counts = sentiment.term_counts(pd.Series([("slow", "slow", "rude"), ("slow",), ()]))
    assert counts == {"slow": 2, "rude": 1}


def test_method_is_stated():
    assert "Danish, Swedish, Norwegian and English" in sentiment.METHOD and "negation" in sentiment.METHOD
