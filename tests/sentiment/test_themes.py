"""Themes: hand-built corpora whose phrases, shares, sentiment and changes are counted by hand."""

import math

import pandas as pd
import pytest

from helpers import sentiment, themes


def _scored(rows, language="en"):
    """rows: (touchpoint, text); scored with the default method as step 2 does."""
    frame = pd.DataFrame(rows, columns=["touchpoint_id", "text"])
    scored = sentiment.score_texts(frame["text"], pd.Series([language] * len(frame)), default_language=language)
    return pd.concat([frame, scored], axis=1)


SUPPORT = [
    ("support", "The waiting time was terrible."),
    ("support", "Terrible waiting time on the phone."),
    ("support", "Waiting time is awful, but the agent was kind."),
    ("support", "The agent was kind and helpful."),
    ("support", "A kind agent solved it."),
    ("support", "Invoice arrived."),
]
SHOP = [
    ("shop", "Lovely staff in the shop."),
    ("shop", "The staff were lovely."),
    ("shop", "Lovely staff, long queue."),
    ("shop", "Parking was fine."),
]


def test_phrases_are_lemmatised_and_skip_function_and_opinion_words():
    got = themes.phrases("The waiting times were terrible", "en")
    assert "wait time" in got  # "waiting times" -> lemmas "wait time"
    assert "the" not in got and "terrible" not in got  # a function word and a bare opinion word are no themes
    assert all(not p.startswith("the ") for p in got)
    # a negation may start a phrase, but a phrase never ends with one
    assert "not helpful" in themes.phrases("The agent was not helpful", "en")
    assert not any(p.endswith(" ikke") or p == "ikke" for p in themes.phrases("Det virker ikke", "da"))
    # Danish inflections fall together: "lange ventetider" and "lang ventetid" are one phrase
    assert set(themes.phrases("Lange ventetider", "da")) == set(themes.phrases("lang ventetid", "da")) == {
        "lang ventetid"}


def test_theme_share_sentiment_and_kind_per_touchpoint():
    t = themes.themes(_scored(SUPPORT + SHOP), min_texts=3)
    support = t[t["touchpoint_id"] == "support"].set_index("theme")
    # "waiting time" is in texts 1-3 of the 6 support texts; the theme is its lemmas, the phrase its wording
    assert support.loc["wait time", "phrase"] == "waiting time"
    assert support.loc["wait time", "texts"] == 3 and support.loc["wait time", "share"] == pytest.approx(0.5)
    assert support.loc["wait time", "kind"] == "complaint"
    assert support.loc["wait time", "negative_share"] == 1.0
    # "agent" is in texts 3-5; always in a clause with "kind" (+2), so praise
    assert support.loc["agent", "texts"] == 3 and support.loc["agent", "kind"] == "praise"
    # "time" and "waiting" alone are grouped into "wait time" (same texts); "invoice" occurs once
    assert "time" not in support.index and "waiting" not in support.index and "invoice" not in support.index
    shop = t[t["touchpoint_id"] == "shop"].set_index("theme")
    # "lovely staff" (2 texts) is below min_texts; "lovely" alone is an opinion word, not a theme
    assert list(shop.index) == ["staff"]
    row = shop.iloc[0]
    assert row["texts"] == 3 and row["share"] == pytest.approx(3 / 4) and row["kind"] == "praise"
    assert row["touchpoint_texts"] == 4


def test_theme_sentiment_is_that_of_the_clause_holding_it():
    # the texts are positive overall, but the clause about the queue is negative in all three
    rows = [("shop", "Great shop, but the checkout was slow."), ("shop", "Lovely staff. The checkout was slow."),
            ("shop", "Excellent prices! Slow checkout though.")]
    scored = _scored(rows)
    t = themes.themes(scored, min_texts=3).set_index("theme")
    expected = sum(sentiment.score_text(c, "en").score
                   for c in ["but the checkout was slow", "the checkout was slow", "slow checkout though"]) / 3
    assert t.loc["checkout", "mean_sentiment"] == pytest.approx(expected)
    assert t.loc["checkout", "kind"] == "complaint" and t.loc["checkout", "negative_share"] == 1.0


def test_quotes_are_the_sentences_holding_the_theme_cut_at_a_word():
    t = themes.themes(_scored(SUPPORT), min_texts=3).set_index("theme")
    quotes = t.loc["wait time", "quotes"]
    assert len(quotes) == 3 and len(set(quotes)) == 3
    assert "Waiting time is awful, but the agent was kind." in quotes
    assert themes.cut("one two three four", 12) == "one two…"
    assert themes.cut("short", 12) == "short"
    assert themes.cut("a  text\nover lines", 50) == "a text over lines"
    long = "word " * 40
    assert len(themes.cut(long, 30)) <= 30 and themes.cut(long, 30).endswith("word…")


def test_praise_and_complaints_lists():
    t = themes.themes(_scored(SUPPORT + SHOP), min_texts=3)
    pc = themes.praise_and_complaints(t, top=3)
    support = pc[pc["touchpoint_id"] == "support"]
    assert list(support[support["kind"] == "complaint"]["theme"]) == ["wait time"]
    assert list(support[support["kind"] == "complaint"]["phrase"]) == ["waiting time"]
    assert list(support[support["kind"] == "praise"]["theme"]) == ["agent"]
    assert set(pc["rank"]) == {1}


def test_change_against_last_period():
    previous = _scored([("support", "Waiting time was terrible."), ("support", "Fine."), ("support", "Fine."),
                        ("support", "Fine.")])
    t = themes.theme_changes(_scored(SUPPORT), previous, min_texts=3).set_index("theme")
    # this period 3 of 6 texts, last period 1 of 4
    assert t.loc["wait time", "previous_texts"] == 1
    assert t.loc["wait time", "previous_share"] == pytest.approx(0.25)
    assert t.loc["wait time", "change"] == pytest.approx(0.5 - 0.25)
    none = themes.theme_changes(_scored(SUPPORT), None, min_texts=3)
    assert none["previous_share"].isna().all() and (none["previous_texts"] == 0).all()


def test_negative_theme_share_with_wilson_interval():
    scored = _scored(SUPPORT + SHOP)
    t = themes.themes(scored, min_texts=3)
    share = themes.negative_theme_share(scored, t).set_index("touchpoint_id")
    assert share.loc["support", "texts"] == 6 and share.loc["support", "complaint_texts"] == 3
    assert share.loc["support", "negative_theme_share"] == pytest.approx(0.5)
    # Wilson interval of 3/6 at 95%: centre (3 + z^2/2) / (6 + z^2), half-width z sqrt(pq n + z^2/4) / (n + z^2)
    z = 1.959963984540054
    centre = (3 + z * z / 2) / (6 + z * z)
    half = z * math.sqrt(3 * 3 / 6 + z * z / 4) / (6 + z * z)
    assert share.loc["support", "ci_low"] == pytest.approx(centre - half)
    assert share.loc["support", "ci_high"] == pytest.approx(centre + half)
    assert share.loc["shop", "complaint_texts"] == 0 and share.loc["shop", "complaint_themes"] == ()


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="sentiment"):
        themes.themes(pd.DataFrame({"touchpoint_id": ["a"], "text": ["x"], "label": ["positive"]}))
