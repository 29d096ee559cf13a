"""Default sentiment method: shipped word lists, AFINN, lemmas, negation, intensifiers, contrast, language."""

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
    assert lex.negators and lex.stopwords and lex.boosters and lex.dampeners and lex.contrast
    assert not (lex.negators & set(lex.words)), "a negation word must not also be an opinion word"
    assert not ((lex.boosters | lex.dampeners | lex.contrast) & set(lex.words)), "a modifier is not an opinion word"


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
        # helpful +2, negated: -2 * 0.74
        ("The staff was not helpful", "en", -1.48, ("not helpful",)),
        ("Ekspedienten var ikke venlig", "da", -1.48, ("ikke venlig",)),
        ("Personalen var inte trevlig", "sv", -1.48, ("inte trevlig",)),
        # AFINN-en lists the phrase "don't like" at -2: scaled to -2 * 3/5
        ("I don't like it", "en", -1.2, ("dont like",)),
    ],
)
def test_negation_flips_the_word_it_precedes(text, lang, total, negative):
    s = sentiment.score_text(text, lang)
    assert s.total == pytest.approx(total)
    assert s.negative_terms == negative
    assert s.label == "negative"


def test_negation_of_a_negative_word_is_positive_and_stops_at_punctuation():
    # "problemer" -> lemma "problem" (-2), negated: +1.48
    assert sentiment.score_text("Ingen problemer med leveringen", "da").total == pytest.approx(1.48)
    # the comma ends the clause: "not" does not reach "slow"; "but" halves "not cheap" and raises "slow" by half
    s = sentiment.score_text("Not cheap, but slow", "en")
    assert s.negative_terms == ("not cheap", "slow")
    assert s.total == pytest.approx(-1 * 0.74 * 0.5 - 2 * 1.5)
    # beyond three words a negation no longer applies to "good"; it counts on its own (-1)
    assert sentiment.score_text("not at all in any way good", "en").total == pytest.approx(2 - 1)


def test_a_negation_without_an_opinion_word_counts_minus_one():
    assert sentiment.score_text("The parcel did not arrive", "en").total == -1
    assert sentiment.score_text("Pakken kom aldrig", "da").label == "negative"
    no_rule = sentiment.Settings(negation_alone=0.0)
    assert sentiment.score_text("The parcel did not arrive", "en", settings=no_rule).label == "neutral"


def test_boosters_and_dampeners_scale_the_next_word():
    assert sentiment.score_text("very good", "en").total == pytest.approx(2 * 1.3)
    assert sentiment.score_text("a bit slow", "en").total == pytest.approx(-2 * 0.7)
    assert sentiment.score_text("meget venlig", "da").total == pytest.approx(2 * 1.3)
    assert sentiment.score_text("very good", "en", settings=sentiment.Settings(intensifiers=False)).total == 2


def test_after_but_the_sentence_counts_more():
    # good (2) before "but": x0.5; slow (-2) after: x1.5 -> 1 - 3
    assert sentiment.score_text("Good but slow", "en").total == pytest.approx(-2)
    assert sentiment.score_text("Slow but good", "en").label == "positive"
    # a new sentence is not affected by the "but" of the previous one
    assert sentiment.score_text("Good. But slow", "en").total == pytest.approx(2 - 3)
    assert sentiment.score_text("Good but slow", "en", settings=sentiment.Settings(contrast=False)).total == 0


def test_words_missing_from_the_kit_list_come_from_afinn():
    from afinn import Afinn

    da, afinn = sentiment.load_lexicon("da"), Afinn(language="da")
    for word in ("arrogance", "anspændt", "behagelig"):
        assert word not in da.words and da.lookup(word) is None
        expected = afinn.score(word) * 3 / 5
        assert sentiment.score_text(f"Det var {word}", "da").total == pytest.approx(expected)
    assert sentiment.score_text("Det var behagelig", "da", settings=sentiment.Settings(afinn=False)).total == 0
    assert sentiment.load_afinn("sv") is None  # no AFINN list is published for Swedish
    assert sentiment.load_afinn("no") == sentiment.load_afinn("da")


def test_lemmas_find_inflected_forms():
    assert sentiment.lemma("personalet", "da") == "personale"
    assert sentiment.lemma("tilfredse", "da") == "tilfreds"
    assert sentiment.lemma("løsningen", "no") == "løsning"
    from afinn import Afinn

    da = sentiment.load_lexicon("da")
    # the kit lists "forsinkelse" (-2); neither the word list nor its suffix rule finds the plural definite form
    assert da.lookup("forsinkelserne") is None
    assert sentiment.score_text("forsinkelserne", "da").total == da.words["forsinkelse"]
    # AFINN-da lists "behagelig" (+2), not "behagelige"
    assert Afinn(language="da").score("behagelige") == 0
    expected = Afinn(language="da").score("behagelig") * 0.6
    assert sentiment.score_text("behagelige", "da").total == pytest.approx(expected)
    assert sentiment.score_text("forsinkelserne", "da", settings=sentiment.Settings(lemmas=False)).total == 0


def test_the_earlier_lexicon_only_rules_remain_available():
    s = sentiment.score_text("Ingen problemer, not helpful", "da", settings=sentiment.LEXICON_ONLY)
    assert s.total == 2  # "ingen problemer" +2; "not"/"helpful" are not Danish words


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
        ("Eg er svært nøgd med tenesta, og dei var hjelpsame", "no"),  # Nynorsk counts as Norwegian
    ],
)
def test_language_is_detected_with_lingua(text, expected):
    assert sentiment.detect_language(text, default="en" if expected != "en" else "da") == expected


def test_detection_falls_back_to_the_default_for_short_texts():
    assert sentiment.detect_language("Super!", default="sv") == "sv"
    assert sentiment.detect_language("Great service", default="da") == "da"  # two words: too short
    assert sentiment.detect_language("", default="da") == "da"


@pytest.mark.parametrize("value, code", [("DA", "da"), ("sv_SE", "sv"), ("en-GB", "en"), ("English", "en"),
                                         ("nb", "no"), ("no", "no"), ("nn", "no"),
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
    for part in ("Danish, Swedish, Norwegian and English", "negation", "AFINN", "simplemma", "lingua"):
        assert part in sentiment.METHOD
