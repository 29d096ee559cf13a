"""Open a report in headless Chromium: screenshot, rendered DOM and every network request it made.

Used by the browser checks in the test suite and handy for a quick look at a report
from a terminal (``python -m helpers.report.browser report.html shot.png``).
"""

from __future__ import annotations

import html as htmlmod
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from helpers.errors import ReportError

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
         "--no-default-browser-check", "--disable-domain-reliability", "--disable-client-side-phishing-detection")
LOCAL_SCHEMES = ("file:", "data:", "about:", "chrome:", "chrome-search:", "devtools:")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


# Network cut off: every http(s) request goes to a proxy where nothing listens.
OFFLINE = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>")


@dataclass
class PageVisit:
    dom: str
    requests: list[str]  # URLs the page (not the browser's own services) requested
    screenshot: Path | None

    @property
    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


def _run(chromium: str, args: list[str], profile: Path, timeout: float) -> subprocess.CompletedProcess:
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


def net_log_urls(path: Path) -> list[str]:
    """URLs a page requested, from a Chromium ``--log-net-log`` file.

    Requests the browser makes for itself (component updates, account checks) have no
    initiating document ("not an origin") and are left out; everything a page loads has one.
    """
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text.endswith("}"):  # Chromium may stop before closing the JSON document
        text = text.rstrip(",\n ") + "]}"
    try:
        data = json.loads(text)
    except ValueError:
        return []
    types = {v: k for k, v in data.get("constants", {}).get("logEventTypes", {}).items()}
    urls = []
    for event in data.get("events", []):
        params = event.get("params") or {}
        url = params.get("url")
        if types.get(event.get("type")) != "URL_REQUEST_START_JOB" or not isinstance(url, str):
            continue
        if params.get("initiator") == "not an origin" and "file://" not in str(params.get("network_isolation_key")):
            continue
        if url not in urls:
            urls.append(url)
    return urls


def visit(html: Path, screenshot: Path | None = None, *, width: int = 1280, height: int = 900,
          chromium: str | None = None, timeout: float = 60) -> PageVisit:
    """Open ``html`` twice in fresh profiles: once dumping the DOM with a network log, once for a screenshot."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    url = Path(html).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="tpkit-chromium-") as tmp:
        tmp = Path(tmp)
        log = tmp / "netlog.json"
        done = _run(chromium, [*OFFLINE, f"--log-net-log={log}", "--net-log-capture-mode=Everything",
                               "--virtual-time-budget=3000", "--dump-dom", url], tmp / "p1", timeout)
        dom = done.stdout.decode("utf-8", errors="replace")
        requests = net_log_urls(log)
        shot = None
        if screenshot is not None:
            screenshot = Path(screenshot).resolve()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            _run(chromium, [*OFFLINE, f"--screenshot={screenshot}", f"--window-size={width},{height}",
                            "--virtual-time-budget=3000", url], tmp / "p2", timeout)
            shot = screenshot if screenshot.is_file() else None
    return PageVisit(dom, requests, shot)


# Measures the laid-out page: the body height as the client first sees it (folded tables closed), then,
# with every <details> open, each table's right edge against its scroll box and the viewport.
_MEASURE_JS = r"""
(function () {
  var vw = document.documentElement.clientWidth;
  var out = {viewport: vw, height: Math.ceil(document.body.scrollHeight), tables: []};
  document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  out.opened_height = Math.ceil(document.body.scrollHeight);
  document.querySelectorAll('table').forEach(function (t, i) {
    var r = t.getBoundingClientRect(), box = null, el = t.parentElement, clip = vw;
    while (el && el !== document.documentElement) {
      var ox = getComputedStyle(el).overflowX;
      if (ox === 'auto' || ox === 'scroll') { box = el; break; }
      if (ox === 'hidden' || ox === 'clip') { clip = Math.min(clip, el.getBoundingClientRect().right); }
      el = el.parentElement;
    }
    var heads = t.querySelectorAll('thead th'), last = heads.length ? heads[heads.length - 1] : null;
    var right = Math.max(r.right, last ? last.getBoundingClientRect().right : r.right);
    var limit = clip, scrollable = false;
    if (box) {
      var b = box.getBoundingClientRect();
      limit = Math.min(clip, b.right);
      scrollable = box.scrollWidth > box.clientWidth + 1;
      if (b.right > clip + 0.5) { scrollable = false; }
    }
    out.tables.push({index: i, caption: (t.previousElementSibling || {}).textContent || '',
                     header: last ? last.textContent.trim() : '', right: right, limit: limit,
                     width: r.width, scroll_box: !!box, scrollable: scrollable,
                     cut: right > limit + 0.5 && !scrollable});
  });
  var pre = document.createElement('pre');
  pre.id = 'tp-layout';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


@dataclass
class Layout:
    viewport: int
    height: int  # body height with folded tables closed (what the client scrolls through)
    opened_height: int  # body height with every <details> open
    tables: list[dict]  # per table: header (last column), right, limit, scrollable, cut

    @property
    def cut_tables(self) -> list[dict]:
        return [t for t in self.tables if t["cut"]]


def layout(html: Path, *, width: int = 1280, height: int = 900, chromium: str | None = None,
           timeout: float = 120) -> Layout:
    """Lay ``html`` out in headless Chromium at ``width`` px and measure it (see :class:`Layout`).

    The report forbids scripts, so a copy without its Content-Security-Policy and with the
    measuring script appended is opened; the report itself is not changed.
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    text = Path(html).read_text(encoding="utf-8")
    text = re.sub(r"<meta[^>]*Content-Security-Policy[^>]*>", "", text, count=1)
    text = text.replace("</body>", f"<script>{_MEASURE_JS}</script></body>", 1)
    with tempfile.TemporaryDirectory(prefix="tpkit-chromium-") as tmp:
        copy = Path(tmp) / "measure.html"
        copy.write_text(text, encoding="utf-8")
        done = _run(chromium, [*OFFLINE, f"--window-size={width},{height}", "--virtual-time-budget=5000",
                               "--dump-dom", copy.as_uri()], Path(tmp) / "p", timeout)
    dom = done.stdout.decode("utf-8", errors="replace")
    found = re.search(r'<pre id="tp-layout">(.*?)</pre>', dom, re.S)
    if found is None:
        raise ReportError(f"Chromium did not lay out {html} (exit {done.returncode})")
    data = json.loads(htmlmod.unescape(found.group(1)))
    return Layout(data["viewport"], data["height"], data["opened_height"], data["tables"])


def printable(html: str) -> str:
    """The report's HTML as it is printed: every folded (``<details>``) block open."""
    return re.sub(r"<details(?![^>]*\bopen\b)", "<details open", html)


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None, timeout: float = 180) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium: A4 from the report's print styles.

    Page size, margins, page numbers and the running footer (client and period) come
    from the report's own ``@page`` rules, so Chromium's date/URL header is turned off.
    The file is the same for the same HTML apart from its creation date. Raises
    :class:`~helpers.errors.ReportError` when Chromium is missing or writes no PDF.
    """
    chromium = chromium or find_chromium()
    if chromium is None:
        raise ReportError("a PDF needs Chromium, which is not installed",
                          hint="install Debian's chromium package (make chromium) or leave out --pdf")
    pdf = Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    part = pdf.with_name(f".{pdf.name}.part")
    part.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="tpkit-chromium-") as tmp:
        # printed with its folded tables open (a PDF has no way to unfold them); the copy sits beside
        # the report so that anything it refers to relatively still resolves
        source = Path(html).resolve()
        opened = source.with_name(f".{source.stem}.print.html")
        opened.write_text(printable(source.read_text(encoding="utf-8")), encoding="utf-8")
        try:
            done = _run(chromium, [*OFFLINE, f"--print-to-pdf={part}", "--no-pdf-header-footer",
                                   "--virtual-time-budget=5000", opened.as_uri()], Path(tmp) / "p",
                        timeout)
        except subprocess.TimeoutExpired:
            part.unlink(missing_ok=True)
            raise ReportError(f"Chromium did not print {html} within {timeout:.0f} s") from None
        except OSError as exc:
            raise ReportError(f"Chromium could not be started ({exc})",
                              hint="install Debian's chromium package (make chromium)") from None
        finally:
            opened.unlink(missing_ok=True)
    if not part.is_file() or part.stat().st_size == 0 or not part.read_bytes().startswith(b"%PDF"):
        part.unlink(missing_ok=True)
        err = done.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        raise ReportError(f"Chromium wrote no PDF for {html} (exit {done.returncode}) {err[0]}".strip())
    part.replace(pdf)
    return pdf


if __name__ == "__main__":  # pragma: no cover - manual use
    page = visit(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(f"{len(page.requests)} requests, {len(page.remote_requests)} remote; screenshot: {page.screenshot}")
