"""The demo report in Danish, Swedish and Norwegian: every message translated, no English left in the analysis,
numbers in the locale's own format, and a PDF beside the HTML. Built with the real CLI."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from helpers import catalogs, i18n

PERIOD = "2026Q3"
#: English function words that never occur in professional Danish, Swedish or Norwegian text ("have", "for" and
#: "by" are Danish or Norwegian words too)
ENGLISH = ("the", "and", "of", "with", "which", "than", "were", "from", "this", "that", "these", "those", "are",
           "was", "has", "into", "each", "every", "their", "there", "when", "where", "while", "only",
           "also", "after", "before", "between", "should", "would", "could")
# English-style numbers that no Nordic format produces: millions with two commas, thousands with a comma and a
# decimal point, decimals with a point and one or two digits (a Danish thousands point has three; dates two points)
EN_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3}){2,}(?![\d])|(?<![\d.,])\d{1,3},\d{3}\.\d")
EN_DECIMAL = re.compile(r"(?<![\d.,\w])\d+\.\d{1,2}(?![\d.,])")
EN_PERCENT = re.compile(r"\d%")
# scientific notation in any locale: 6.46e-18, 6,46E-18, 1e+05
SCIENTIFIC = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?[eE][+\u2212-]?\d+(?![\w])")
# a table cell holding nothing but an integer of five digits or more: a count shown without its separators
BARE_INTEGER = re.compile(r"[\u2212-]?\d{5,}")


def test_every_message_has_a_translation_in_every_language():
    problems = catalogs.check()
    assert not problems, {lang: ids[:5] for lang, ids in problems.items()}


def _text(markup: str) -> str:
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S | re.I)
    markup = re.sub(r"<img\b[^>]*>", " ", markup)
    markup = re.sub(r"<[^>]+>", " ", markup)
    return re.sub(r"\s+", " ", html.unescape(markup))


def _data_strings(project: Path, client: str) -> list[str]:
    """Everything a report may quote from the client's own data: names, descriptions, review and comment texts."""
    cfg = yaml.safe_load((project / "data" / client / "client.yml").read_text(encoding="utf-8"))
    out = [cfg.get("name", "")]
    out += [t.get("name", "") for t in cfg.get("touchpoints", [])]
    out += [str(c.get(k, "")) for c in cfg.get("changes", []) for k in ("description", "id")]
    processed = project / "data" / client / "processed"
    for table, cols in (("feedback", ["comment", "segment"]), ("reviews", ["text", "source"]),
                        ("events", ["segment"])):
        path = processed / f"{table}.parquet"
        if path.is_file():
            have = [c for c in cols if c in pq.read_schema(path).names]
            frame = pd.read_parquet(path, columns=have)
            for c in have:
                out += [str(v) for v in frame[c].dropna().unique()[:20000]]
    # themes are phrases of the customers' own words (lemmatised, in the language the customer wrote)
    for path in (project / "reports" / client).glob("*/artifacts/analyse__themes.parquet"):
        frame = pd.read_parquet(path)
        out += [str(v) for c in ("theme", "phrase") if c in frame for v in frame[c].dropna().unique()]
    return sorted({s for s in out if s and len(s) > 1}, key=len, reverse=True)


@pytest.fixture(scope="module")
def built(demo_root, tmp_path_factory):
    project = tmp_path_factory.mktemp("languages")
    shutil.copytree(demo_root / "data", project / "data")
    env = {**os.environ, "TPKIT_ROOT": str(project)}
    out = {}
    for lang in ("da", "sv", "nb", "en"):
        done = subprocess.run([sys.executable, "-m", "helpers.cli", "report", "nordlys", "--period", PERIOD,
                               "--language", lang, "--pdf", "--force"], cwd=project, env=env, capture_output=True,
                              text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        folder = project / "reports" / "nordlys" / PERIOD
        keep = tmp_path_factory.mktemp(f"report-{lang}")
        for name in ("report.html", "report.pdf"):
            shutil.copy(folder / name, keep / name)
        out[lang] = keep
    return project, out


def _analysis_text(project: Path, folder: Path) -> tuple[str, str]:
    markup = (folder / "report.html").read_text(encoding="utf-8")
    text = _text(markup.split('id="appendix"')[0])  # the appendix lists package versions and file hashes
    text = re.sub(r"\u201c[^\u201d]*\u201d", " ", text)  # customers' quotes (“…”) stay as they wrote them
    for s in _data_strings(project, "nordlys"):
        text = text.replace(s, " ")
    return markup, text


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "sv", "nb"])
def test_report_is_marked_and_formatted_for_the_language(built, lang):
    project, folders = built
    markup, text = _analysis_text(project, folders[lang])
    assert re.search(rf'<html[^>]*\blang="{lang}"', markup), markup[:300]
    # the locale's own forms appear: a decimal comma and a no-break space before the percent sign
    # (the text's white space is normalised, so the no-break space reads as a space here)
    assert re.search(r"\d,\d", text) and re.search(r"\d %", text)
    with i18n.using(lang):
        for msgid in ("Contents", "Customer touchpoint analysis"):
            assert i18n._(msgid) != msgid and i18n._(msgid) in text


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "sv", "nb"])
def test_report_has_no_english_words_or_numbers(built, lang):
    project, folders = built
    _markup, text = _analysis_text(project, folders[lang])
    words = re.findall(r"[^\W\d_]+", text)  # whole words: "oförändrat" is no "of"
    english = sorted({w for w in words if w.lower() in ENGLISH})
    assert not english, f"English words in the {lang} report: {english}"
    assert not EN_PERCENT.search(text), EN_PERCENT.search(text)
    for pattern in (EN_THOUSANDS, EN_DECIMAL):
        hit = pattern.search(text)
        context = "" if hit is None else text[max(0, hit.start() - 80):hit.end() + 40]
        assert hit is None, f"{lang}: English number {hit.group(0)!r} in …{context}…"


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("lang", ["da", "sv", "nb"])
def test_the_pdf_is_in_the_language_too(built, lang):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed (make chromium installs poppler-utils)")
    pdf = built[1][lang] / "report.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    with i18n.using(lang):
        heading = i18n._("Customer touchpoint analysis")
    # the cover line is letter-spaced, so pdftotext splits it into single letters: compare without spaces
    flat = re.sub(r"\s+", "", text.upper())
    assert heading != "Customer touchpoint analysis" and re.sub(r"\s+", "", heading.upper()) in flat


def _cells(markup: str) -> list[str]:
    """The text of every table cell before the appendix (which lists hashes and versions)."""
    body = markup.split('id="appendix"')[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>",
                                                                                 body, re.S)]


def test_the_number_checks_catch_what_they_are_for():
    assert SCIENTIFIC.search("p = 6.46e-18") and SCIENTIFIC.search("6,46E-18") and SCIENTIFIC.search("1e+05")
    assert not SCIENTIFIC.search("2026Q3") and not SCIENTIFIC.search("CH-e2e")
    assert not SCIENTIFIC.search("< 0,001") and not SCIENTIFIC.search("1.022.937")
    assert BARE_INTEGER.fullmatch("77689") and not BARE_INTEGER.fullmatch("77.689")
    assert not BARE_INTEGER.fullmatch("77 689") and not BARE_INTEGER.fullmatch("2026Q3")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "sv", "nb", "en"])
def test_no_scientific_notation_and_no_bare_large_count(built, lang):
    project, folders = built
    markup, text = _analysis_text(project, folders[lang])
    hit = SCIENTIFIC.search(text)
    context = "" if hit is None else text[max(0, hit.start() - 80):hit.end() + 40]
    assert hit is None, f"{lang}: scientific notation {hit.group(0)!r} in …{context}…"
    data = set(_data_strings(project, "nordlys"))
    bare = sorted({c for c in _cells(markup) if BARE_INTEGER.fullmatch(c) and c not in data})
    assert not bare, f"{lang}: integers without thousands separators in tables: {bare[:10]}"
