"""Per-client sentiment model and the language rules of the default method."""

import numpy as np
import pandas as pd
import pytest

from helpers import sentiment


def _corpus(n_per_class: int, seed: int = 1):
    """Texts whose polarity lies only in invented words no word list knows ("zorbel" good, "kramix" bad)."""
    rng = np.random.default_rng(seed)
    filler = ["the", "parcel", "came", "on", "tuesday", "with", "a", "note", "from", "the", "shop"]
    texts, ratings = [], []
    for rating, cue in [(5, "zorbel"), (1, "kramix")] * n_per_class:
        words = list(rng.choice(filler, size=6)) + [cue, cue + "s"]
        rng.shuffle(words)
        texts.append(" ".join(words))
        ratings.append(rating if rng.random() > 0.5 else rating - 1 if rating == 5 else rating + 1)
    return pd.Series(texts), pd.Series(ratings)


def test_polarity_of_ratings():
    got = sentiment.polarity([1, 2, 3, 4, 5, None, float("nan")]).tolist()
    assert got == ["negative", "negative", None, "positive", "positive", None, None]


def test_client_model_learns_what_the_word_lists_cannot_and_is_used():
    texts, ratings = _corpus(30)
    model = sentiment.fit_client_model(texts, ratings, ["en"] * len(texts))
    # the word lists find no opinion word: every text is neutral, so their polar accuracy is 0
    assert model.cv["lexicon"]["accuracy"] == 0
    assert model.cv["model"]["accuracy"] >= 0.95 and model.cv["model"]["negative_recall"] >= 0.95
    assert model.use and "cross-validation" in model.reason and model.n_texts == 60 and model.n_negative == 30
    new = pd.Series(["zorbel zorbels on tuesday", "kramix kramixs from the shop"])
    plain = sentiment.score_texts(new, default_language="en")
    assert list(plain["label"]) == ["neutral", "neutral"]
    scored = sentiment.score_texts(new, default_language="en", model=model)
    assert list(scored["label"]) == ["positive", "negative"]
    assert scored.loc[0, "sentiment"] > 0 > scored.loc[1, "sentiment"]


def test_client_model_is_not_used_when_the_word_lists_are_as_good():
    texts = pd.Series(["very good and friendly", "great fast service", "excellent staff"] * 10
                      + ["bad and slow", "terrible rude staff", "awful service"] * 10)
    ratings = [5] * 30 + [1] * 30
    model = sentiment.fit_client_model(texts, ratings, ["en"] * 60)
    assert model.cv["lexicon"]["accuracy"] == 1.0
    assert not model.use  # the model cannot beat 1.0
    assert list(sentiment.score_texts(pd.Series(["zorbel"]), model=model)["label"]) == ["neutral"]


def test_too_few_rated_texts_train_nothing():
    texts, ratings = _corpus(10)
    model = sentiment.fit_client_model(texts, ratings)
    assert not model.use and model.cv == {} and "needs 20 of each" in model.reason
    with pytest.raises(ValueError, match="no client model"):
        model.predict_sentiment(texts, ["en"] * len(texts))


def test_the_clients_language_wins_when_lingua_is_unsure():
    # valid Danish and Norwegian alike: a Danish client's comment stays Danish, a Norwegian client's Norwegian
    text = "Alt for lang ventetid."
    conf = sentiment.language_confidence(text)
    assert abs(conf["da"] - conf["no"]) < sentiment.DETECT_MARGIN
    assert sentiment.detect_language(text, "da") == "da" and sentiment.detect_language(text, "no") == "no"
    # a clear English text is English whatever the client's language
    assert sentiment.detect_language("The delivery was late and the box was damaged", "da") == "en"
