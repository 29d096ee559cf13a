"""Reports in a real browser (headless Chromium): offline, no script from data runs, a screenshot.

Also the end-to-end build of a demo client's report from the real notebooks. Chromium is
installed with apt-get when it is missing and we are root (a fresh CI machine); otherwise the
browser checks are skipped with a note.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from helpers import report
from helpers.report import browser
from report_helpers import make_project, notebooks_dir, write_notebook

PAYLOAD_SCRIPT = "<script>document.title='PWNED';window.pwned=1</script>"
PAYLOAD_IMG = "<img src=x onerror=\"document.title='PWNED'\">"
PAYLOAD_REMOTE = '<img src="http://127.0.0.1:9/pwned.png">'
QUIET = {"progress": False, "echo": None}


@pytest.fixture(scope="session")
def chromium():
    found = browser.find_chromium()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, capture_output=True, env=env,
                       timeout=900)
        found = browser.find_chromium()
    if found is None:
        pytest.skip("chromium is not installed and cannot be installed here (run `make chromium` as root)")
    return found


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A report whose client name, touchpoint names and review text carry script payloads."""
    base = tmp_path_factory.mktemp("hostile")
    name = f"Evil {PAYLOAD_SCRIPT} Co"
    root = make_project(base / "proj", {"evil": name})
    nbs = notebooks_dir(base / "nbs")
    reviews = (f"import pandas as pd\nreviews = pd.DataFrame({{'touchpoint': [{PAYLOAD_IMG!r}, {PAYLOAD_REMOTE!r}],"
               f" 'text': [{PAYLOAD_SCRIPT!r}, 'fine']}})")
    write_notebook(nbs / "01-reviews.ipynb", "Step 1: Reviews", "from helpers import artifacts, display", reviews,
                   'display.show_table(reviews, caption="Reviews")',
                   f'display.say("Worst touchpoint: {{tp}}", tp={PAYLOAD_IMG!r})',
                   f'artifacts.save(artifacts_dir, artifacts.Findings("identify", '
                   f'[{PAYLOAD_SCRIPT!r}, {PAYLOAD_REMOTE!r}]))')
    batch = report.build_reports("2026Q3", clients=["evil"], root=root, notebooks_dir=nbs, **QUIET)
    assert batch.ok, batch.table()
    return batch.results[0].report


@pytest.mark.browser
def test_report_makes_no_network_request_and_runs_no_script_from_data(chromium, hostile_report, tmp_path):
    page = browser.visit(hostile_report, tmp_path / "hostile.png", chromium=chromium)
    assert page.dom, "chromium rendered nothing"
    assert page.remote_requests == [], page.remote_requests
    title = page.dom.split("<title>")[1].split("</title>")[0]
    assert title != "PWNED" and title.endswith("Co: touchpoint report 2026Q3"), "a payload changed the title"
    assert "window.pwned" in page.dom  # the payload text is there, as text
    assert "&lt;script&gt;document.title" in page.dom
    assert "&lt;img src=x onerror=" in page.dom  # shown as text ...
    assert "<img src=x" not in page.dom and '<img src="x"' not in page.dom  # ... never an element
    assert page.screenshot and page.screenshot.stat().st_size > 5000


@pytest.mark.browser
def test_the_network_log_sees_a_request_when_there_is_one(chromium, tmp_path):
    """The no-request check above can fail: a page with a remote image is caught."""
    page_file = tmp_path / "leaky.html"
    page_file.write_text(f"<html><body><p>x</p>{PAYLOAD_REMOTE}</body></html>")
    page = browser.visit(page_file, chromium=chromium)
    assert page.remote_requests == ["http://127.0.0.1:9/pwned.png"]


# ----------------------------------------------------------------------------- the demo, end to end

@pytest.fixture(scope="module")
def demo_report(demo_root):
    started = time.perf_counter()
    # the English report (the demo client's own language, Danish, is checked in test_report_languages)
    batch = report.build_reports("2026Q3", clients=["nordlys"], root=demo_root, language="en", **QUIET)
    assert batch.ok, batch.table()
    return batch.results[0].report, time.perf_counter() - started


@pytest.mark.slow
def test_demo_report_end_to_end(demo_report, demo_root):
    path, _ = demo_report
    html = path.read_text(encoding="utf-8")
    order = [html.index(s) for s in ("Executive summary", "Step 1", "Step 2", "Step 3", "Step 4",
                                     "Methods and provenance")]
    assert order == sorted(order)
    assert "<script" not in html.lower() and "Traceback" not in html
    assert "data:image/png;base64," in html
    assert "sha256" in html.lower() or "SHA-256" in html
    assert "not available" not in html.split("Methods and provenance")[0].split("Top findings")[1].split(
        "Top priorities")[0], "every step saved findings"
    kept = sorted(p.name for p in (path.parent / "notebooks").glob("*.ipynb"))
    assert kept == ["00-summary.ipynb", "01-identify.ipynb", "02-analyse.ipynb", "03-prioritise.ipynb",
                    "04-evaluate.ipynb"]

    started = time.perf_counter()
    again = report.build_reports("2026Q3", clients=["nordlys"], root=demo_root, language="en", **QUIET)
    assert again.results[0].status == "skipped" and time.perf_counter() - started < 2

    forced = report.build_reports("2026Q3", clients=["nordlys"], force=True, root=demo_root, language="en",
                                  **QUIET)
    assert forced.ok and path.read_text(encoding="utf-8") == html, "same inputs, same bytes"


@pytest.mark.slow
@pytest.mark.browser
def test_demo_report_in_the_browser(chromium, demo_report, tmp_path):
    path, _ = demo_report
    page = browser.visit(path, tmp_path / "demo-first-screen.png", chromium=chromium)
    assert page.remote_requests == []
    assert "Executive summary" in page.dom
    assert page.screenshot and page.screenshot.stat().st_size > 10000
