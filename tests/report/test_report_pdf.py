"""report.pdf from the report's HTML with headless Chromium, read back with poppler's pdfinfo and pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from helpers import report
from helpers.report import browser
from report_helpers import make_project, notebooks_dir, write_notebook

NAME = 'Fjeld & "Søn" </style> A/S'
WIDE = ("import pandas as pd\n"
        "wide = pd.DataFrame({f'Column number {i}': [f'value {i}.{j}' for j in range(3)] for i in range(17)})\n"
        "wide['Rightmost NPS'] = [1, 2, 3]")


@pytest.fixture(scope="module")
def tools():
    chromium = browser.find_chromium()
    missing = [n for n, p in (("chromium", chromium), ("pdftotext", shutil.which("pdftotext")),
                              ("pdfinfo", shutil.which("pdfinfo"))) if not p]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make chromium installs chromium and poppler-utils)")
    return chromium


@pytest.fixture(scope="module")
def wide_report(tmp_path_factory):
    base = tmp_path_factory.mktemp("pdf")
    root = make_project(base / "proj", {"fjeld": NAME})
    nbs = notebooks_dir(base / "nbs")
    write_notebook(nbs / "01-wide.ipynb", "Step 1: A wide table", "from helpers import display", WIDE,
                   'display.show_table(wide, caption="Twenty columns")')
    batch = report.build_reports("2026Q3", clients=["fjeld"], root=root, notebooks_dir=nbs, progress=False, echo=None)
    assert batch.ok, batch.table()
    return batch.results[0].report


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.browser
def test_pdf_is_a4_with_page_numbers_footer_and_no_cut_table(tools, wide_report, tmp_path):
    pdf = browser.print_pdf(wide_report, tmp_path / "report.pdf", chromium=tools)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert abs(float(size.group(1)) - 595.3) < 2 and abs(float(size.group(2)) - 841.9) < 2, info  # A4
    text = _text(pdf)
    flat = re.sub(r"\s+", "", text)  # pdftotext drops some spaces of the small footer text
    assert pages >= 2
    for page in range(1, pages + 1):
        assert f"{page}/{pages}" in flat
    # the running footer carries the client's name as written (quotes, ampersand, a tag-like text) and the period
    assert flat.count(re.sub(r"\s+", "", f"{NAME} · 2026Q3")) >= pages
    # every row of the 18-column table is on the page up to its rightmost cell (1, 2, 3), none cut off and no
    # cell broken over two lines: the wide table has a landscape A4 page of its own
    rows = re.findall(r"^\s*value 0\.\d(?:\s+value \d+\.\d){16}\s+([123])\s*$", text, re.M)
    assert rows == ["1", "2", "3"], text[:3000]
    sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert re.search(r"size:\s+841\.\d+ x 59[45]\.\d+ pts", sizes), sizes  # a landscape A4 page


@pytest.mark.browser
def test_pdf_is_the_same_for_the_same_html_apart_from_its_dates(tools, wide_report, tmp_path):
    a = browser.print_pdf(wide_report, tmp_path / "a.pdf", chromium=tools).read_bytes()
    b = browser.print_pdf(wide_report, tmp_path / "b.pdf", chromium=tools).read_bytes()
    strip = re.compile(rb"/(CreationDate|ModDate) \(D:[^)]*\)")
    assert strip.sub(b"", a) == strip.sub(b"", b)


def test_pdf_without_chromium_is_a_clear_error(tmp_path):
    from helpers.errors import ReportError

    page = tmp_path / "r.html"
    page.write_text("<html><body>x</body></html>")
    with pytest.raises(ReportError, match="Chromium"):
        browser.print_pdf(page, tmp_path / "r.pdf", chromium=str(tmp_path / "no-such-chromium"))
