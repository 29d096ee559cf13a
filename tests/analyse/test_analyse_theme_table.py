"""Step 2 themes: hand-built corpora whose shares, changes and quotes are counted by hand; intervals of the
changes checked against statsmodels' Newcombe interval; the report escapes hostile texts."""

from types import SimpleNamespace

import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from helpers import analyse, artifacts
from helpers.analyse.compute import text

WAIT = "The waiting time was terrible."
WAITS = [WAIT, "Terrible waiting time today.", "Waiting time is awful.", "Such a terrible waiting time."]
KINDS = ["The agent was kind.", "A kind agent solved it.", "Kind and helpful agent."]
NEUTRAL = "Invoice arrived."


def _cycle(texts, n, tp="support"):
    return [(tp, texts[i % len(texts)]) for i in range(n)]


def _period(rows):
    """rows: (touchpoint, comment) -> the scored texts step 2 builds from survey comments."""
    fb = pd.DataFrame(rows, columns=["touchpoint_id", "comment"]).assign(language="en", csat=3.0)
    return text.period_texts(fb, pd.DataFrame(), default_language="en")


# this period: 10 support texts, 4 about the waiting time, 3 praising the agent; last period 1 of 10 and 3 of 10
NOW = _cycle(WAITS, 4) + _cycle(KINDS, 3) + [("support", NEUTRAL)] * 3
BEFORE = _cycle(WAITS, 1) + _cycle(KINDS, 3) + [("support", NEUTRAL)] * 6


@pytest.fixture(scope="module")
def table():
    return text.theme_table(_period(NOW), _period(BEFORE), default_language="en")


def test_theme_shares_and_changes_are_counted(table):
    t = table.set_index("theme")
    wait, agent = t.loc["wait time"], t.loc["agent"]
    assert wait["kind"] == "complaint" and agent["kind"] == "praise"
    assert (wait["texts"], wait["touchpoint_texts"], wait["share"]) == (4, 10, pytest.approx(0.4))
    assert (wait["previous_texts"], wait["previous_touchpoint_texts"]) == (1, 10)
    assert wait["previous_share"] == pytest.approx(0.1) and wait["change"] == pytest.approx(0.3)
    assert agent["share"] == pytest.approx(0.3) and agent["change"] == pytest.approx(0.0)
    lo, hi = confint_proportions_2indep(4, 10, 1, 10, method="newcomb", compare="diff")
    assert (wait["change_ci_low"], wait["change_ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert bool(wait["material"]) == (lo > 0 or hi < 0)
    assert not bool(agent["material"])
    assert list(table.columns) == text.THEME_TABLE_COLUMNS


def test_a_large_rise_is_material_and_no_previous_texts_is_no_change():
    now = _cycle(WAITS, 15) + [("support", NEUTRAL)] * 5
    before = _cycle(WAITS, 1) + [("support", NEUTRAL)] * 19
    t = text.theme_table(_period(now), _period(before)).set_index("theme")
    lo, _ = confint_proportions_2indep(15, 20, 1, 20, method="newcomb", compare="diff")
    assert lo > 0 and bool(t.loc["wait time", "material"])
    alone = text.theme_table(_period(now), _period([])).set_index("theme")
    assert alone.loc["wait time", "previous_touchpoint_texts"] == 0
    assert pd.isna(alone.loc["wait time", "change"]) and not bool(alone.loc["wait time", "material"])


def test_complaint_share_now_and_before():
    now, before = _period(NOW), _period(BEFORE)
    shares = text.complaint_share(now, text.theme_table(now, before), before).set_index("touchpoint_id")
    s = shares.loc["support"]
    # the one complaint theme ("wait time") is in 4 of 10 texts now and 1 of 10 last period
    assert (s["texts"], s["complaint_texts"], s["previous_texts"], s["previous_complaint_texts"]) == (10, 4, 10, 1)
    assert s["negative_theme_share"] == pytest.approx(0.4) and s["change"] == pytest.approx(0.3)
    assert list(s["complaint_themes"]) == ["wait time"]


def _result(table, names=None):
    names = names or {"support": "Support <desk>"}
    return SimpleNamespace(themes=table, names=names, order=list(names), period="2026Q3", previous_period="2026Q2")


LONG = ("The waiting time was terrible and I had to call again and again over three days before anyone picked up "
        "the phone at all.")
HOSTILE = '<script>alert("x")</script> The waiting time was terrible.'


def test_quotes_are_cut_short_and_escaped():
    rows = [("support", LONG), ("support", HOSTILE), ("support", WAITS[1]), ("support", WAITS[2]),
            ("support", NEUTRAL)]
    t = text.theme_table(_period(rows), None)
    quotes = t.set_index("theme").loc["wait time", "quotes"]
    assert 2 <= len(quotes) <= 3 and all(len(q) <= 100 for q in quotes)
    assert any(q.endswith("…") and LONG.startswith(q[:-1]) for q in quotes)  # the long text is cut at a word
    html = analyse.show_themes(_result(t.assign(quotes=[[HOSTILE, LONG]] * len(t))))._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Support &lt;desk&gt;" in html and "<desk>" not in html
    assert "What they complain about" in html


def test_compact_table_keeps_the_top_three_and_the_full_table_all():
    words = ["parking", "noise", "price", "door"]
    rows = [("shop", f"The {w} was terrible." if i % 2 else f"Awful {w}.") for k, w in enumerate(words)
            for i in range(3 + k)]
    t = text.theme_table(_period(rows), None)
    complaints = t[t["kind"] == "complaint"]
    assert set(complaints["phrase"]) == set(words)
    result = _result(t, {"shop": "Shop"})
    compact = analyse.show_themes(result)._repr_html_()
    assert compact.count("<tr>") == 1 + 3  # one header row and the three most frequent complaints
    assert "parking" not in compact and all(w in compact for w in ("noise", "price", "door"))
    full = analyse.show_all_themes(result)._repr_html_()
    assert full.startswith("<details") and all(w in full for w in words)
    cut = analyse.show_all_themes(result, max_rows=2)._repr_html_()
    assert "Showing 2 of 4 rows" in cut


def test_material_changes_are_bold_and_named_in_the_sentence():
    now = _cycle(WAITS, 15) + [("support", NEUTRAL)] * 5
    before = _cycle(WAITS, 1) + [("support", NEUTRAL)] * 19
    result = _result(text.theme_table(_period(now), _period(before)))
    assert "<strong>+70.0 pp</strong>" in analyse.show_themes(result)._repr_html_()
    said = analyse.say_themes(result)._repr_html_()
    assert "waiting time" in said and "5%" in said and "75%" in said and "2026Q2" in said


def test_themes_are_a_saved_artifact(hand, tmp_path):
    _, result = hand
    f = analyse.findings(result)
    assert list(f.tables["themes"].columns) == text.THEME_TABLE_COLUMNS
    artifacts.save(tmp_path, f)
    back = artifacts.load(tmp_path, "analyse").tables["themes"]
    assert len(back) == len(result.themes)


def test_a_quote_of_the_opposite_tone_is_not_shown_under_praise():
    t = text.theme_table(_period(_cycle(KINDS, 6)), None)
    agent = t[t["theme"] == "agent"].assign(quotes=[["The agent was kind.", "The agent was rude and useless."]])
    html = analyse.show_themes(_result(agent))._repr_html_()
    assert "What customers praise" in html and "The agent was kind." in html and "rude" not in html
