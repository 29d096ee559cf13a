"""reports/index.html as the user makes it: `tpkit reports --period P` (real process), then `tpkit portfolio`."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from helpers import artifacts
from helpers.report import browser, portfolio
from report_helpers import make_project, notebooks_dir, write_notebook

EVIL = "Evil <script>document.title='PWNED'</script> & Co"
# a stand-in step 2 and 4: the headline metrics and a verdict table, as the real steps save them
STEP = (
    "from helpers import artifacts\nimport pandas as pd",
    'assert client != "broken", "the data of this client cannot be read"',
    'artifacts.save(artifacts_dir, artifacts.Findings("analyse", ("ok",), '
    '{"nps": 21.5, "csat": 3.9, "conversion": 0.31}))',
    'artifacts.save(artifacts_dir, artifacts.Findings("evaluate", (), {}, {"verdicts": pd.DataFrame('
    '{"change_id": ["CH-<b>x</b>"], "kpi": ["csat"], "design": ["A/B test"], "effect": [0.3], "ci_low": [0.1], '
    '"ci_high": [0.5], "p_adj": [0.01], "verdict": ["moved as expected"]})}))',
)


def tpkit(*args, cwd=None):
    exe = Path(sys.executable).with_name("tpkit")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=900)


def _links(page: str) -> list[str]:
    return [unquote(html.unescape(h)) for h in re.findall(r'href="([^"]+)"', page)]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("portfolio")
    root = make_project(base / "proj", {"alpha": "Alpha", "evil": EVIL, "broken": "Broken Ltd"})
    nbs = notebooks_dir(root / "notebooks")
    write_notebook(nbs / "02-analyse.ipynb", "Step 2", *STEP)
    # last period's headline metrics of alpha (no report: only its artifacts)
    artifacts.save(root / "reports" / "alpha" / "2026Q2" / "artifacts",
                   artifacts.Findings("analyse", (), {"nps": 18.0, "csat": 4.0, "conversion": 0.29}))
    proc = tpkit("reports", "--period", "2026Q3", "--root", str(root), "--jobs", "1")
    return root, proc


def test_reports_writes_the_portfolio_with_a_row_per_client(project):
    root, proc = project
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one client failed: the batch fails
    index = root / "reports" / "index.html"
    assert "portfolio page:" in proc.stdout and index.is_file()
    page = index.read_text(encoding="utf-8")
    links = _links(page)
    for client in ("alpha", "evil"):
        assert f"{client}/2026Q3/report.html" in links
    for link in links:
        assert (index.parent / link).is_file(), link  # every link resolves to a file
    assert "broken" not in " ".join(links)
    row = re.search(r'<tr class="failed">.*?</tr>', page, re.S).group(0)
    assert "Broken Ltd" in row and "failed" in row and "no report yet" in row
    # headline KPIs with the change against 2026Q2 (+3.5 NPS points, -0.10 CSAT, +2.0 pp)
    assert "21.5" in page and "+3.5" in page and "-0.10" in page and "+2.0 pp" in page
    # text from the data is escaped
    assert "<script>" not in page and "&lt;script&gt;" in page and "CH-&lt;b&gt;x&lt;/b&gt;" in page
    assert "moved as expected" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page


def test_portfolio_command_rebuilds_it_alone_in_another_language(project):
    root, _ = project
    index = root / "reports" / "index.html"
    index.unlink()
    proc = tpkit("portfolio", "--period", "2026Q3", "--root", str(root), "--language", "da")
    assert proc.returncode == 0, proc.stderr
    page = index.read_text(encoding="utf-8")
    assert '<html lang="da">' in page and "21,5" in page
    assert "Broken Ltd" in page  # its failed/ folder says it failed
    bad = tpkit("portfolio", "--period", "2026Q9", "--root", str(root))
    assert bad.returncode != 0 and "2026Q9" in bad.stderr and "Traceback" not in bad.stderr


def test_collect_keeps_earlier_periods_with_reports(project, tmp_path):
    root, _ = project
    copy = tmp_path / "proj"
    shutil.copytree(root, copy)
    old = copy / "reports" / "alpha" / "2026Q1"
    old.mkdir(parents=True)
    (old / "report.html").write_text("<html></html>", encoding="utf-8")
    page = portfolio.write("2026Q3", root=copy).read_text(encoding="utf-8")
    assert page.index("2026Q3") < page.index("2026Q1") and "alpha/2026Q1/report.html" in page


@pytest.mark.browser
def test_portfolio_opens_in_chromium_offline_without_script(project, tmp_path):
    found = browser.find_chromium()
    if found is None:
        pytest.skip("chromium is not installed (run `make chromium` as root)")
    root, _ = project
    index = portfolio.write("2026Q3", root=root)  # in English (another test rewrites the shared page in Danish)
    page = browser.visit(index, tmp_path / "index.png", chromium=found)
    assert page.dom and "Alpha" in page.dom
    assert "<title>Client portfolio</title>" in page.dom and "<script" not in page.dom
    assert page.remote_requests == []


@pytest.mark.slow
def test_reports_on_the_small_demo_links_both_reports(demo_root, tmp_path):
    """The real notebooks on the small demo: `tpkit reports` writes index.html linking both demo reports."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    shutil.copytree(demo_root / "data", root / "data")
    proc = tpkit("reports", "--period", "2026Q3", "--root", str(root), "--language", "en")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    index = root / "reports" / "index.html"
    page = index.read_text(encoding="utf-8")
    links = _links(page)
    assert {"nordlys/2026Q3/report.html", "fjordtech/2026Q3/report.html"} <= set(links)
    assert all((index.parent / link).is_file() for link in links)
    assert "Nordlys" in page and "Fjordtech" in page and "moved as expected" in page
