"""The demo report's layout in a real browser and in its PDF: no table cut off, long analyst tables folded.

Built with the real CLI (Danish, the nordlys demo client's language), laid out by headless Chromium at
1280 px (helpers.report.browser.layout) and printed to PDF, read back with pdftotext -layout.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from helpers.report import browser

PERIOD = "2026Q3"


@pytest.fixture(scope="module")
def danish(demo_root, tmp_path_factory):
    if browser.find_chromium() is None or not shutil.which("pdftotext"):
        pytest.skip("chromium or pdftotext not installed (make chromium installs both)")
    project = tmp_path_factory.mktemp("layout")
    shutil.copytree(demo_root / "data", project / "data")
    env = {**os.environ, "TPKIT_ROOT": str(project)}
    done = subprocess.run([sys.executable, "-m", "helpers.cli", "report", "nordlys", "--period", PERIOD,
                           "--language", "da", "--pdf", "--force"], cwd=project, env=env, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return project / "reports" / "nordlys" / PERIOD


def _last_headers(markup: str) -> list[str]:
    """The last column header of every table before the appendix."""
    body = markup.split('id="appendix"')[0]
    out = []
    for table in re.findall(r"<table\b.*?</table>", body, re.S):
        head = re.search(r"<thead>(.*?)</thead>", table, re.S)
        cells = re.findall(r"<th\b[^>]*>(.*?)</th>", head.group(1), re.S) if head else []
        if cells:
            out.append(html.unescape(re.sub(r"<[^>]+>", "", cells[-1])).strip())
    return [h for h in out if h]


@pytest.mark.slow
@pytest.mark.browser
def test_no_table_is_cut_off_at_1280_px(danish):
    page = browser.layout(danish / "report.html", width=1280)
    assert page.viewport <= 1280 and len(page.tables) >= 20
    cut = [(t["caption"][:60], t["header"], round(t["right"]), round(t["limit"])) for t in page.cut_tables]
    assert cut == [], f"tables wider than their box and not scrollable: {cut}"
    # every table (folded ones opened) was laid out: none is hidden with a zero width
    assert all(t["width"] > 0 for t in page.tables)


@pytest.mark.slow
@pytest.mark.browser
def test_long_analyst_tables_are_folded_so_the_reading_is_short(danish):
    markup = (danish / "report.html").read_text(encoding="utf-8")
    folded = re.findall(r'<details class="tp-more"><summary>([^<]*)</summary>', markup)
    assert len(folded) >= 3
    assert all(not s.startswith("Show the table") for s in folded), folded[:3]  # the summary line is translated
    page = browser.layout(danish / "report.html", width=1280)
    # the folded tables are a real part of the page: opening them makes it much longer
    assert page.opened_height > page.height * 1.15, (page.height, page.opened_height)
    # print opens them: the PDF copy has every block open, and the print styles unfold <details> too
    assert "<details" not in browser.printable(markup).replace("<details open", "")
    css = markup.split("@media print", 1)[1]
    assert "::details-content" in css and "break-before: page" in css


@pytest.mark.slow
@pytest.mark.browser
def test_every_table_of_the_pdf_shows_its_last_column(danish):
    markup = (danish / "report.html").read_text(encoding="utf-8")
    text = subprocess.run(["pdftotext", "-layout", str(danish / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = Counter(text.split())
    headers = _last_headers(markup)
    assert len(headers) >= 20
    # a header may wrap over two lines in a narrow column, so each of its words is looked for; a word
    # shared by several tables' last headers has to be printed at least that often
    needed = Counter(w for h in headers for w in h.split())
    missing = {w: (n, words[w]) for w, n in needed.items() if words[w] < n}
    assert not missing, f"last-column headers not (or not often enough) in the PDF: {missing}"
    # the folded tables are printed: the rows of the longest one (the theme list) are in the PDF
    longest = max(re.findall(r"<details[^>]*>(.*?)</details>", markup, re.S), key=len)
    first_cells = [html.unescape(c) for c in re.findall(r"<tr>\s*<td>([^<]{4,})</td>", longest)]
    assert first_cells and all(c.split()[0] in words for c in first_cells[:40])


def test_the_summary_names_each_change_by_its_description_with_the_id_small():
    import pandas as pd

    from helpers.artifacts import Findings
    from helpers.report import summary

    verdicts = pd.DataFrame({"change_id": ["CH-checkout", "CH-gone"], "kpi": ["conversion", "csat"],
                             "design": ["A/B test", "ITS"], "effect": [0.074, 0.31], "ci_low": [0.062, 0.26],
                             "ci_high": [0.086, 0.37], "p_adj": [1e-18, 0.2], "verdict": ["moved as expected"] * 2})
    steps = {"evaluate": Findings("evaluate", (), {}, {"verdicts": verdicts})}
    markup = summary.show_table(summary.verdict_table(steps, {"CH-checkout": "One-page checkout <beta>"})).markup
    assert 'One-page checkout &lt;beta&gt; <small class="tp-id">CH-checkout</small>' in markup
    assert "<td>CH-gone</td>" in markup  # a change client.yml no longer lists: its id alone
    assert "e-18" not in markup and "&lt; 0.001" in markup
