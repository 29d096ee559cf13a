"""The agency's portfolio page ``reports/index.html``: every client of a period on one page.

>>> portfolio.write("2026Q3", root=root)      # after `tpkit reports --period 2026Q3`

One row per client: its headline KPIs (NPS, CSAT, conversion) from the saved artifacts of
step 2 with their change against the previous period (when that period's artifacts exist), the
change verdicts of step 4, and links to report.html and report.pdf (when made). A client whose
last build failed gets a row saying so, with the path of its failed notebook. Earlier periods
whose reports exist keep a section below the current one. The page is self-contained (inline CSS,
no script, no external asset) and every text from the data is escaped.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

from helpers import artifacts, i18n, kpis, paths
from helpers.i18n import N_, _

__all__ = ["ClientRow", "HEADLINE", "collect", "render", "write"]

HEADLINE = ("nps", "csat", "conversion")
VERDICT_CLASS = {"moved as expected": "good", "moved against expectation": "bad"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d232a;max-width:80rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #d6dbe0;padding:.45rem .6rem;text-align:left;vertical-align:top}
th{background:#f2f4f6}td.num{text-align:right;white-space:nowrap}
.chg{display:block;color:#5b6670;font-size:.85em}.good{color:#1e7b34}.bad{color:#b3261e}
.failed{background:#fdecea}.muted{color:#5b6670}ul{margin:0;padding-left:1.1rem}
@media print{body{margin:0}table{page-break-inside:auto}tr{page-break-inside:avoid}}
"""


@dataclass
class ClientRow:
    client: str
    name: str
    period: str
    status: str  # "built", "failed", "missing"
    report: Path | None = None
    pdf: Path | None = None
    levels: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    verdicts: list = field(default_factory=list)  # (change_id, kpi, verdict)
    error: str = ""
    failed_notebook: Path | None = None


def _name(client: str, root) -> str:
    try:
        from helpers.config import load_client

        return load_client(client, root).name
    except Exception:  # a broken client.yml still gets its row (and the batch reports the error)
        return client


def _metrics(folder: Path) -> dict:
    f = artifacts.load(folder / "artifacts", "analyse")
    return {k: f.metrics.get(k) for k in HEADLINE} if f.available else {}


def collect(period: str, root=None, batch=None) -> list[ClientRow]:
    """One row per client of ``period``; ``batch`` (a :class:`~helpers.report.runner.BatchResult`) tells which
    clients failed in this run, otherwise a ``failed/`` folder left by the last run does."""
    from helpers.periods import Period

    prev = str(Period.parse(period).previous())
    failed = {r.client: r for r in (batch.results if batch is not None else []) if r.status == "failed"}
    rows = []
    clients = sorted(set(paths.list_clients(root)) | set(failed))
    for client in clients:
        out = paths.reports_dir(client, period, root)
        row = ClientRow(client, _name(client, root), period, "missing")
        html_path = out / "report.html"
        if html_path.is_file():
            row.status, row.report = "built", html_path
            row.pdf = out / "report.pdf" if (out / "report.pdf").is_file() else None
        if client in failed or (out / "failed").is_dir():
            row.status = "failed"
            res = failed.get(client)
            err = out / "failed" / "error.txt"
            row.error = (res.error if res else "") or (err.read_text(encoding="utf-8").strip() if err.is_file() else "")
            nb = res.failed_notebook if res else None
            row.failed_notebook = nb or next(iter(sorted((out / "failed").glob("*.ipynb"))), None)
        row.levels = _metrics(out)
        before = _metrics(paths.reports_dir(client, prev, root))
        row.changes = {k: (row.levels[k] - before[k]) if row.levels.get(k) is not None and before.get(k) is not None
                       else None for k in HEADLINE}
        ev = artifacts.load(out / "artifacts", "evaluate")
        if ev.available and "verdicts" in ev.tables:
            t = ev.tables["verdicts"]
            row.verdicts = [(str(r.change_id), str(r.kpi), str(r.verdict)) for r in t.itertuples()]
        rows.append(row)
    return rows


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _href(target: Path, index: Path) -> str:
    from urllib.parse import quote

    return quote(os.path.relpath(target, index.parent).replace(os.sep, "/"))


def _kpi_cell(row: ClientRow, kpi: str) -> str:
    loc = i18n.locale()
    level = row.levels.get(kpi)
    if level is None:
        return '<td class="num muted">\u2013</td>'
    chg = row.changes.get(kpi)
    k = kpis.get(kpi)
    cls = "" if chg is None or chg == 0 else ("good" if (chg > 0) == k.higher_is_better else "bad")
    extra = f'<span class="chg {cls}">{_e(kpis.fmt_change(kpi, chg, locale=loc))}</span>' if chg is not None else ""
    return f'<td class="num">{_e(kpis.fmt_level(kpi, level, locale=loc))}{extra}</td>'


STATUS = {"built": N_("report ready"), "failed": N_("failed"), "missing": N_("no report for this period")}


def _row_html(row: ClientRow, index: Path) -> str:
    links = []
    if row.report:
        label = _("Report")
        links.append(f'<a href="{_href(row.report, index)}">{_e(label)}</a>')
    if row.pdf:
        links.append(f'<a href="{_href(row.pdf, index)}">PDF</a>')
    status = _e(_(STATUS[row.status]))
    if row.status == "failed":
        detail = _("the last good report is kept") if row.report else _("no report yet")
        status += f'<span class="chg">{_e(detail)}</span>'
        if row.error:
            status += f'<span class="chg">{_e(row.error)}</span>'
        if row.failed_notebook:
            status += f'<span class="chg">{_e(row.failed_notebook)}</span>'
    verdicts = "".join(f'<li><span class="{VERDICT_CLASS.get(v, "")}">{_e(c)} ({_e(kpis.label(k))}): '
                       f'{_e(_(v))}</span></li>' for c, k, v in row.verdicts)
    cls = ' class="failed"' if row.status == "failed" else ""
    none = _("no changes evaluated")
    return (f"<tr{cls}><td><strong>{_e(row.name)}</strong><span class=\"chg\">{_e(row.client)}</span></td>"
            f"<td>{status}</td>{''.join(_kpi_cell(row, k) for k in HEADLINE)}"
            f"<td>{'<ul>' + verdicts + '</ul>' if verdicts else _e(none)}</td>"
            f"<td>{' · '.join(links) or chr(0x2013)}</td></tr>")


def _section(period: str, rows: list[ClientRow], index: Path) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in (
        _("Client"), _("Status"), *(kpis.label(k) for k in HEADLINE), _("Changes"), _("Links")))
    body = "\n".join(_row_html(r, index) for r in rows)
    title = _("Period {period}").format(period=period)
    return f'<section><h2>{_e(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>' \
           f'</section>'


def render(sections: list[tuple[str, list[ClientRow]]], index: Path, language: str = "en") -> str:
    with i18n.using(language):
        title = _("Client portfolio")
        note = _("Headline KPIs of each client for the period, with the change against the previous period below "
                 "each value, and the verdicts on the changes each client has logged.")
        body = "\n".join(_section(p, rows, index) for p, rows in sections)
        return (f'<!DOCTYPE html>\n<html lang="{_e(language)}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{_e(title)}</title><style>{CSS}</style></head>"
                f'<body><h1>{_e(title)}</h1><p class="muted">{_e(note)}</p>\n{body}\n</body></html>\n')


def _earlier_periods(root, current: str) -> list[str]:
    base = Path(root).resolve() if root else paths.project_root()
    found = set()
    for html_path in (base / "reports").glob("*/*/report.html"):
        found.add(html_path.parent.name)
    return sorted((p for p in found if p != current), reverse=True)


def write(period: str, root=None, batch=None, language: str = "en") -> Path:
    """Write ``reports/index.html`` for ``period`` (first) and every earlier period with reports."""
    from helpers.periods import Period

    Period.parse(period)
    base = Path(root).resolve() if root else paths.project_root()
    index = base / "reports" / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    sections = [(period, collect(period, root, batch))]
    for p in _earlier_periods(root, period):
        try:
            Period.parse(p)
        except Exception:
            continue
        rows = [r for r in collect(p, root) if r.status != "missing"]
        if rows:
            sections.append((p, rows))
    tmp = index.with_suffix(".html.tmp")
    tmp.write_text(render(sections, index, language), encoding="utf-8")
    tmp.replace(index)
    return index
