"""Repeated texts are scored once: the result is the same as scoring every text on its own."""

import pandas as pd

from helpers import sentiment, themes


def test_repeated_texts_get_the_score_of_scoring_each_alone():
    texts = pd.Series(["Venligt personale, men lang ventetid", "Great service", "Venligt personale, men lang ventetid",
                       "", None, "Great service", "Hurtig levering"], index=[10, 11, 12, 13, 14, 15, 16])
    langs = pd.Series(["da", "en", "da", None, None, "sv", None], index=texts.index)
    out = sentiment.score_texts(texts, langs, default_language="da")
    assert list(out.index) == list(texts.index)
    for i, (text, lang) in enumerate(zip(texts, langs)):
        row = out.iloc[i]
        if not sentiment.tokenize(text):
            assert row["label"] == "no text" and row["sentiment"] == 0
            continue
        alone = sentiment.score_text(text, sentiment.normalise_language(lang), "da")
        assert (row["sentiment"], row["label"], row["language"]) == (alone.score, alone.label, alone.language)
        assert tuple(row["negative_terms"]) == tuple(alone.negative_terms)


def test_theme_phrases_of_a_repeated_text_equal_those_computed_afresh():
    text = "Personalet var venligt, men ventetiden i butikken var lang"
    first = themes._phrases_of(text, "da")
    assert first == themes.phrases(text, "da") and themes._phrases_of(text, "da") is first
