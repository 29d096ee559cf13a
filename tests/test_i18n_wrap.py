"""Steps 1 and 3, the executive summary, tables and the report frame speak the active language.

A tiny Danish catalog (in a temporary LOCALE_DIR) must change a sentence and a figure title of
every module; an AST check finds English words left outside the catalogs in those modules.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers import display, i18n

sys.path.insert(0, str(Path(__file__).parent / "identify"))
from identify_cases import Q3, build_project  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src" / "helpers"
MODULES = ["identify/narrative.py", "identify/figures.py", "prioritise/narrative.py", "prioritise/figures.py",
           "report/summary.py", "report/render.py", "display.py", "monitor/narrative.py", "review/narrative.py",
           "review/figures.py"]

PO = r'''msgid ""
msgstr ""
"Language: da\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "{client} catalogues {n}; {with_data} of them shows data in {period}."
msgid_plural "{client} catalogues {n}; {with_data} of them show data in {period}."
msgstr[0] "{client} har {n} i kataloget; {with_data} af dem har data i {period}."
msgstr[1] "{client} har {n} i kataloget; {with_data} af dem har data i {period}."

msgid "{n} touchpoint"
msgid_plural "{n} touchpoints"
msgstr[0] "{n} kontaktpunkt"
msgstr[1] "{n} kontaktpunkter"

msgid "{n} event"
msgid_plural "{n} events"
msgstr[0] "{n} hændelse"
msgstr[1] "{n} hændelser"

msgid "{n} customer"
msgid_plural "{n} customers"
msgstr[0] "{n} kunde"
msgstr[1] "{n} kunder"

msgid "The event data holds {events} from {customers} in the period."
msgstr "Hændelsesdata rummer {events} fra {customers} i perioden."

msgid "Customer journey map: {client}, {period}"
msgstr "Kunderejsekort: {client}, {period}"

msgctxt "journey stage"
msgid "awareness"
msgstr "opmærksomhed"

msgid "no data in period"
msgstr "ingen data i perioden"

msgctxt "table header"
msgid "Touchpoint"
msgstr "Forkert: en header uden kontekst"

msgid "Touchpoint"
msgstr "Kontaktpunkt"

msgid "No touchpoint costs are known for the quarters up to {period}, so there is no ROI."
msgstr "Der kendes ingen omkostninger for kontaktpunkterne i kvartalerne til og med {period}, så der er intet afkast."

msgid "Priority score and what it is made of"
msgstr "Prioritetsscore og hvad den består af"

msgctxt "quadrant"
msgid "fix first"
msgstr "ret først"

msgctxt "ordinal ending in 2"
msgid "{n}nd"
msgstr "{n}."

msgid "low impact on {outcome} ({rank} of {n} driver)"
msgid_plural "low impact on {outcome} ({rank} of {n} drivers)"
msgstr[0] "lille betydning for {outcome} ({rank} af {n} drivkraft)"
msgstr[1] "lille betydning for {outcome} ({rank} af {n} drivkræfter)"

msgid "This report covers {name} for {period} ({span})."
msgstr "Rapporten dækker {name} i {period} ({span})."

msgid "{start} to {end}"
msgstr "{start} til {end}"

msgid "Top {n} touchpoint to work on"
msgid_plural "Top {n} touchpoints to work on"
msgstr[0] "Det kontaktpunkt, der bør arbejdes med først"
msgstr[1] "De {n} kontaktpunkter, der bør arbejdes med først"

msgid "Identify"
msgstr "Kortlæg"

msgid "Showing {shown} of {total} row."
msgid_plural "Showing {shown} of {total} rows."
msgstr[0] "Viser {shown} af {total} række."
msgstr[1] "Viser {shown} af {total} rækker."

msgid "Customer touchpoint analysis"
msgstr "Analyse af kundens kontaktpunkter"

msgid "Contents"
msgstr "Indhold"

msgid ""
"## Top findings\n"
"\n"
"The main findings."
msgstr ""
"## Vigtigste resultater\n"
"\n"
"De vigtigste resultater."
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


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from helpers import identify

    return identify.run("shop", Q3, root=build_project(tmp_path_factory.mktemp("i18n_wrap")))


# --------------------------------------------------------------------------- step 1

def test_identify_sentence_table_and_journey_map_follow_the_language(danish, shop):
    from helpers import identify

    english = identify.say_overview(shop)._repr_html_()
    with i18n.using("da"):
        html = identify.say_overview(shop)._repr_html_()
        table = identify.show(shop, "inventory")._repr_html_()
        fig = identify.journey_map(shop.inventory, unknowns=shop.unknowns, title=shop.title)
    assert "Shop &amp; &lt;Co&gt; har 6 kontaktpunkter i kataloget; 5 af dem har data i 2026Q3." in html
    assert "Hændelsesdata rummer 12 hændelser fra" in html and "catalogues" not in html
    assert "catalogues 6 touchpoints; 5 of them show data" in english  # the source language is unchanged
    # a header without context is translated as marked with N_ (the contextual entry must not be used)
    assert "<th>Kontaktpunkt</th>" in table and "Forkert" not in table
    assert ">opmærksomhed<" in table  # the stage column holds the kit's words, translated
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Kunderejsekort: Shop & <Co>, 2026Q3"
    texts = [t.get_text() for t in ax.texts]
    assert "Opmærksomhed" in texts and "Awareness" not in texts
    assert "ingen data i perioden" in [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- step 3

def test_prioritise_sentence_reason_and_figures_follow_the_language(danish):
    from helpers.prioritise import figures, narrative

    result = SimpleNamespace(roi=pd.DataFrame(), period="2026Q3")
    with i18n.using("da"):
        html = narrative.say_roi(result)._repr_html_()
        table = pd.DataFrame({"stage": ["decision", "decision"], "importance": [0.5, 0.3], "csat": [3.2, 4.4],
                              "experience": [1.0, 0.2], "sales": [0.0, 0.0], "reach": [0.0, 0.0],
                              "effort": [np.nan] * 2, "attribution_share": [np.nan] * 2,
                              "dropoff_excess": [np.nan] * 2, "reach_share": [np.nan] * 2})
        reasons = narrative.reasons(table, outcome="NPS", weights={"experience": 1, "sales": 0, "reach": 0,
                                                                    "effort": 0})
        ranking = pd.DataFrame({"rank": [1], "name": ["Checkout"], "score": [80.0], "top3_share": [0.9],
                                "experience": [1.0], "sales": [0.5], "reach": [0.2], "effort": [0.0]})
        prio = figures.priority_figure(ranking, {"experience": 0.4, "sales": 0.4, "reach": 0.2, "effort": 0})
        ipm = pd.DataFrame({"touchpoint_id": ["a", "b"], "performance": [3.0, 4.5], "importance": [0.6, 0.1],
                            "quadrant": ["fix first", "low priority"]})
        matrix = figures.importance_performance_figure(ipm, {"a": "A", "b": "B"})
    assert "Der kendes ingen omkostninger" in html and "ROI." not in html
    assert reasons[1].startswith("Lille betydning for NPS (2. af 2 drivkræfter)")
    assert prio.axes[0].get_title(loc="left") == "Prioritetsscore og hvad den består af"
    assert "Ret først" in [t.get_text() for t in matrix.axes[0].texts]


def test_quadrants_and_flags_differ_by_marker_not_only_by_hue():
    from helpers.prioritise import figures

    ipm = pd.DataFrame({"touchpoint_id": list("abcd"), "performance": [3.0, 4.5, 4.6, 3.1],
                        "importance": [0.6, 0.5, 0.05, 0.04],
                        "quadrant": ["fix first", "keep up", "possible overkill", "low priority"]})
    ax = figures.importance_performance_figure(ipm, None).axes[0]
    paths = {c.get_gid(): c.get_paths()[0].vertices.round(3).tobytes() for c in ax.collections}
    assert len(paths) == 4 and len(set(paths.values())) == 4  # four quadrants, four marker shapes
    assert len(set(figures.MODEL_HATCHES)) >= 5 and len(set(figures.FLAG_MARKERS.values())) == 3


# --------------------------------------------------------------------------- summary, tables, frame

def test_summary_scope_caption_and_step_names_follow_the_language(danish, tmp_path):
    from helpers import artifacts
    from helpers.report import summary

    prio = pd.DataFrame({"touchpoint_id": ["a", "b"], "name": ["A", "B"], "rank": [1, 2], "score": [0.9, 0.5],
                         "reason": ["x", "y"]})
    artifacts.save(tmp_path, artifacts.Findings("prioritise", tables={"priorities": prio}))
    steps = summary.collect(tmp_path)
    english = summary.say_scope("no-such-client", "2026Q3", tmp_path).markup
    with i18n.using("da"):
        scope = summary.say_scope("no-such-client", "2026Q3", tmp_path).markup
        caption = summary.top_priorities(steps).markup
        findings = summary.top_findings(steps).markup
    assert "Rapporten dækker <strong>no-such-client</strong> i 2026Q3 (1. juli 2026 til 30. september 2026)." in scope
    assert "(1 July 2026 to 30 September 2026)" in english
    assert "De 2 kontaktpunkter, der bør arbejdes med først" in caption and "<th>Kontaktpunkt</th>" in caption
    assert ">Kortlæg<" in findings


def test_table_note_and_numbers_follow_the_language(danish):
    df = pd.DataFrame({"x": np.arange(1500) + 0.5})
    with i18n.using("da"):
        html = display.show_table(df, max_rows=3)._repr_html_()
    assert "Viser 3 af 1.500 rækker." in html and "1,5" in html
    assert "Showing 3 of 1,500 rows." in display.show_table(df, max_rows=3)._repr_html_()


def test_markdown_headings_contents_and_frame_follow_the_language(danish):
    from helpers.report import render

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Top findings\n\nThe main findings."),
                                         nbformat.v4.new_markdown_cell("## Not translated\n\nStays English.")])
    with i18n.using("da"):
        combined, toc = render.combine([("00-summary", nb)])
    assert [e["text"] for e in toc] == ["Vigtigste resultater", "Not translated"]
    assert "De vigtigste resultater." in combined.cells[0].source
    assert f'id="{toc[0]["id"]}"' in combined.cells[0].source
    html = render.render_html(combined, toc, client_name="Acme", period_label="2026Q3", language="da")
    assert '<html lang="da">' in html
    assert "Analyse af kundens kontaktpunkter" in html and ">Indhold</h2>" in html
    assert "Customer touchpoint analysis" not in html and 'href="#' + toc[0]["id"] in html
    english = render.render_html(combined, toc, client_name="Acme", period_label="2026Q3", language="en")
    assert '<html lang="en">' in english and "Customer touchpoint analysis" in english


# --------------------------------------------------------------------------- nothing left unmarked

MARKERS = {"_", "N_", "ngettext", "pgettext", "gettext"}
OPTIONS = {"loc", "textcoords", "boxstyle", "ha", "va"}
#: strings of these modules that are not report text (format templates of markup, sort keys, data values)
MIMETYPE = re.compile(r"^[a-z]+/[a-z0-9.+-]+$")
ALLOWED = re.compile(r"^(\{[a-z_]+\}[ ;,]*)+$")


def _english_words(text: str) -> bool:
    """True when ``text`` (markup and placeholders removed) holds two English-looking words in a row."""
    text = re.sub(r"<[^>]*>|\{[^}]*\}|&[a-z]+;", " ", text)
    return bool(re.search(r"[A-Za-z]{2,}[ ,:;.]+[A-Za-z]{2,}", text))


def _unmarked_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        # inside a catalog call, a raise (errors are not report text), a docstring or a data-value lookup
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in MARKERS or name == "count":  # count(n, "record"): the noun is a key of its messages
                skip.update(id(n) for n in ast.walk(node))
            # matplotlib options ("lower right", "offset points", box styles) are not text
            skip.update(id(k.value) for k in node.keywords if k.arg in OPTIONS)
        if isinstance(node, ast.Raise):
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            skip.add(id(node.body[0].value))
        if isinstance(node, ast.Compare):  # status == "above average": a data value, not text
            skip.update(id(n) for n in ast.walk(node))
        if isinstance(node, ast.Dict):  # keys are data values; values are checked
            skip.update(id(k) for k in node.keys if k is not None)
        if isinstance(node, ast.Subscript):
            skip.update(id(n) for n in ast.walk(node.slice))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if _english_words(node.value) and not ALLOWED.match(node.value) and not MIMETYPE.match(node.value):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value[:60]!r}")
    return found


# the data values these modules compare with or look up (quadrant names, flags, phases): not shown as written
DATA_VALUES = {"fix first", "keep up", "possible overkill", "low priority", "above average", "below average",
               "before purchase", "during purchase", "after purchase", "no data", "one source",
               # markup and matplotlib arguments, not text a reader sees
               '<details class="tp-more', "tp-table tp-wide", "axes fraction"}


@pytest.mark.parametrize("module", MODULES)
def test_no_english_text_outside_the_catalogs(module):
    found = [f for f in _unmarked_literals(SRC / module) if f.split(": ", 1)[1].strip("'\"") not in DATA_VALUES]
    assert found == [], "English text not marked for translation:\n" + "\n".join(found)


def test_the_check_finds_an_unmarked_sentence(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('from helpers import display\n'
                   'def say_it(r):\n    return display.say("Lowest CSAT is {tp}.", tp=r)\n'
                   'def fine(r):\n    return display.say(_("Lowest CSAT is {tp}."), tp=r)\n', encoding="utf-8")
    global SRC
    before, SRC = SRC, tmp_path
    try:
        found = _unmarked_literals(bad)
    finally:
        SRC = before
    assert found == ["bad.py:3: 'Lowest CSAT is {tp}.'"]
