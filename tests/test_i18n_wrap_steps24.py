"""Steps 2 and 4 speak the active language: sentences, table words, verdicts and figure texts.

A tiny Danish catalog (in a temporary LOCALE_DIR) must change a sentence and a figure text of
each module; the AST check of tests/test_i18n_wrap.py finds English left outside the catalogs.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers import i18n

sys.path.insert(0, str(Path(__file__).parent))
from test_i18n_wrap import DATA_VALUES, SRC, _unmarked_literals  # noqa: E402

MODULES = ["analyse/narrative.py", "analyse/figures.py", "evaluate/narrative.py", "evaluate/figures.py"]

PO = r'''msgid ""
msgstr ""
"Language: da\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "the events carry no customer segment, so there is no comparison by segment"
msgstr "hændelserne har intet kundesegment, så der er ingen sammenligning på tværs af segmenter"

msgid "Some optional inputs are not provided, so parts of this step are left out:"
msgstr "Nogle valgfrie data mangler, så dele af dette trin udelades:"

msgid "{n} days"
msgstr "{n} dage"

msgid "Stage funnel: journeys reaching each stage"
msgstr "Trintragt: kunderejser, der når hvert trin"

msgctxt "journey stage"
msgid "decision"
msgstr "beslutning"

msgid "journeys"
msgstr "kunderejser"

msgid "Too little data to evaluate: {note}."
msgstr "For lidt data til en vurdering: {note}."

msgctxt "verdict"
msgid "too little data"
msgstr "for lidt data"

msgid "{kpi}: {design}, {verdict}"
msgstr "{kpi}: {design} – {verdict}"

msgid "interrupted time series"
msgstr "afbrudt tidsserie"

msgid "{n} logged change"
msgid_plural "{n} logged changes"
msgstr[0] "{n} registreret ændring"
msgstr[1] "{n} registrerede ændringer"
'''


@pytest.fixture
def danish(tmp_path, monkeypatch):
    folder = tmp_path / "locale" / "da" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "tpkit.po").write_text(PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


# --------------------------------------------------------------------------- step 2

def test_analyse_sentences_and_numbers_follow_the_language(danish):
    from helpers.analyse import narrative

    result = SimpleNamespace(missing=["segment"])
    english = narrative.say_data(result)._repr_html_()
    with i18n.using("da"):
        html = narrative.say_data(result)._repr_html_()
        days = narrative.duration(3.25)
    assert "Nogle valgfrie data mangler" in html and "hændelserne har intet kundesegment" in html
    assert "optional" not in html
    assert "Some optional inputs are not provided" in english  # the source language is unchanged
    assert days == "3,2 dage" and narrative.duration(3.25) == "3.2 days"


def test_analyse_figure_title_axis_and_stage_names_follow_the_language(danish):
    from helpers.analyse import figures

    funnel = pd.DataFrame({"stage": ["consideration", "decision"], "journeys": [1200, 300],
                           "step_conversion": [0.25, np.nan], "step_conversion_ci_low": [0.22, np.nan],
                           "step_conversion_ci_high": [0.28, np.nan]})
    with i18n.using("da"):
        ax = figures.funnel_figure(funnel).axes[0]  # the default title is a message translated when drawn
    assert ax.get_title(loc="left") == "Trintragt: kunderejser, der når hvert trin"
    assert ax.get_xlabel() == "kunderejser"
    assert "beslutning" in [t.get_text() for t in ax.get_yticklabels()]
    assert "1.200" in " ".join(t.get_text() for t in ax.texts)  # Danish thousands separator
    english = figures.funnel_figure(funnel).axes[0]
    assert english.get_title(loc="left") == "Stage funnel: journeys reaching each stage"


def test_stages_and_sentiment_differ_by_marker_and_hatch_not_only_by_hue():
    from helpers.analyse import figures

    assert len(set(figures.STAGE_MARKERS.values())) == len(figures.STAGE_MARKERS)
    summary = pd.DataFrame({"touchpoint_id": ["a"], "source": ["review"], "negative": [0.3], "positive": [0.5],
                            "negative_ci_low": [0.2], "negative_ci_high": [0.4], "positive_ci_low": [0.4],
                            "positive_ci_high": [0.6]})
    ax = figures.sentiment_figure(summary).axes[0]
    hatches = [bar.get_hatch() for bars in ax.containers for bar in bars]
    assert hatches == ["///", None]
    assert [h.get_hatch() for h in ax.get_legend().legend_handles] == ["///", None]


# --------------------------------------------------------------------------- step 4

def _evaluation():
    table = pd.DataFrame({"change_id": ["CH-1"], "kpi": ["conversion"], "design": ["interrupted time series"],
                          "verdict": ["too little data"], "verdict_text": ["x"]})
    details = {("CH-1", "conversion"): {"design": "its", "plot": {}, "start": dt.date(2026, 7, 1),
                                        "kpi": "conversion", "description": "New checkout"}}
    return SimpleNamespace(table=table, details=details)


def test_evaluate_verdicts_overview_and_panel_title_follow_the_language(danish):
    from helpers.evaluate import figures, narrative
    from helpers.evaluate.compute.verdicts import TOO_LITTLE, Verdict

    row = {"kpi": "conversion", "note": "3 usable weeks before and 0 after the change"}
    verdict = Verdict(TOO_LITTLE, TOO_LITTLE)
    overview = SimpleNamespace(table=pd.DataFrame({"change_id": ["a", "b"], "verdict": [TOO_LITTLE] * 2,
                                                   "p": [np.nan] * 2}), period="2026Q3", alpha=0.05)
    with i18n.using("da"):
        text = narrative.verdict_text(row, verdict)
        name = narrative.verdict_name(TOO_LITTLE)
        design = narrative.DESIGN_NAMES["its"]  # what the step writes into its table at run time
        html = narrative.say_overview(overview)._repr_html_()
        fig = figures.change_figure(_evaluation(), "CH-1")
    assert text == "For lidt data til en vurdering: 3 usable weeks before and 0 after the change."
    assert name == "for lidt data" and design == "afbrudt tidsserie"
    assert "2 registrerede ændringer" in html
    assert fig.axes[0].get_title(loc="left").endswith(": interrupted time series – for lidt data")
    assert narrative.verdict_text(row, verdict).startswith("Too little data to evaluate: ")
    assert narrative.verdict_name(TOO_LITTLE) == TOO_LITTLE
    assert narrative.DESIGN_NAMES["its"] == "interrupted time series"


def test_evaluate_comparison_series_differ_by_marker_and_line_style():
    from helpers.evaluate import figures

    assert figures.COMPARISON_STYLE["marker"] != "o" and figures.COMPARISON_STYLE["ls"] not in ("-", "solid")


# --------------------------------------------------------------------------- nothing left unmarked

#: matplotlib legend locations passed by position (sns.move_legend(ax, "upper left"))
LOCATIONS = {"upper left", "upper right", "lower left", "lower right", "center left", "center right"}


@pytest.mark.parametrize("module", MODULES)
def test_no_english_text_outside_the_catalogs(module):
    found = [f for f in _unmarked_literals(SRC / module)
             if f.split(": ", 1)[1].strip("'\"") not in DATA_VALUES | LOCATIONS]
    assert found == [], "English text not marked for translation:\n" + "\n".join(found)


def test_the_check_finds_an_unmarked_sentence_in_a_step_module(tmp_path):
    bad = tmp_path / "analyse" / "narrative.py"
    bad.parent.mkdir()
    bad.write_text('def say_it(r):\n    return f"{r} journeys ended in a purchase"\n', encoding="utf-8")
    import test_i18n_wrap

    before, test_i18n_wrap.SRC = test_i18n_wrap.SRC, tmp_path
    try:
        found = _unmarked_literals(bad)
    finally:
        test_i18n_wrap.SRC = before
    assert found == ["analyse/narrative.py:2: ' journeys ended in a purchase'"]
