"""The methods and provenance appendix: what data, code and settings a report was built from.

Everything here is deterministic for the same inputs (no clock time): the build
time and durations go to ``run.json`` beside the report instead.
"""

from __future__ import annotations

from helpers.display import esc
from helpers.errors import KitError

METHODS = (
    "Every section was produced by a parameterised notebook run for this client and period on the canonical "
    "tables written at ingest. Rates and means are shown with 95% confidence intervals; comparisons between "
    "periods or groups use interval estimates rather than point values alone; when several changes or KPIs are "
    "tested together, p-values are adjusted for multiple testing (Benjamini-Hochberg). Customer identifiers are "
    "keyed pseudonyms, and e-mail addresses and phone numbers in free text are masked before analysis."
)


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="text-align:right">{esc(v)}</td>' if i in numeric else f"<td>{v}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f'<table class="tp-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _count(v) -> str:
    try:
        return f"{int(v):,}"
    except (TypeError, ValueError):
        return ""


def inputs_section(client: str, root) -> str:
    from helpers.ingest import load_manifest

    try:
        manifest = load_manifest(client, root)
    except KitError:
        return '<p class="tp-na">Ingest manifest not available: input files cannot be listed.</p>'
    files = sorted(manifest.get("files", []), key=lambda f: (str(f.get("table")), str(f.get("file"))))
    rows = [[esc(f.get("table", "")), f'<code>{esc(f.get("file", ""))}</code>',
             f'<span class="tp-hash">{esc(f.get("sha256", ""))}</span>',
             _count(f.get("rows_read")), _count(f.get("accepted")), _count(f.get("rejected"))] for f in files]
    note = ("<p>Each raw export as received, identified by its SHA-256 hash. Every row read was either accepted "
            "or rejected with its reason (rejected rows are kept in the client's <code>rejects/</code> folder).</p>")
    table = _table(["Table", "File", "SHA-256", "Rows read", "Accepted", "Rejected"], rows, {3, 4, 5})
    return note + table + warnings_section(manifest)


def ingest_warnings(manifest: dict) -> list[str]:
    """The warnings ingest recorded: the manifest's top-level list, else those of its files (with the file)."""
    top = manifest.get("warnings")
    if isinstance(top, list) and top:
        return [str(w) for w in top]
    return [f"{f.get('file', '')}: {w}" for f in manifest.get("files", []) for w in (f.get("warnings") or [])]


def warnings_section(manifest: dict) -> str:
    """A short list of what ingest warned about (a segment property missing from the data, purchases without
    revenue); nothing when there were no warnings. Every warning is escaped: it may quote the data."""
    found = list(dict.fromkeys(ingest_warnings(manifest)))
    if not found:
        return ""
    items = "".join(f"<li>{esc(w)}</li>" for w in found)
    return ('<h3 id="appendix-ingest-warnings">Warnings from ingest</h3>'
            "<p>What ingest found that may affect the figures of this report:</p>"
            f'<ul class="tp-warnings">{items}</ul>')


def appendix_html(job, cfg) -> tuple[str, list[dict]]:
    """The appendix markup and its table-of-contents entries."""
    versions = dict(job.versions)
    params = job.notebook_parameters()
    shown = {k: ("(the project folder)" if k == "root" else v) for k, v in params.items()}
    param_rows = [[f"<code>{esc(k)}</code>", f"<code>{esc(repr(v))}</code>"] for k, v in shown.items()]
    pkg_rows = [[esc(k), esc(v)] for k, v in versions.items()]
    notebooks = ", ".join(p.name for p in (*job.steps, job.summary))
    toc = [{"level": 1, "id": "appendix", "text": "Methods and provenance"},
           {"level": 2, "id": "appendix-methods", "text": "Methods"},
           {"level": 2, "id": "appendix-inputs", "text": "Input data"},
           {"level": 2, "id": "appendix-code", "text": "Code and packages"},
           {"level": 2, "id": "appendix-parameters", "text": "Parameters"}]
    parts = [
        '<div class="tp-appendix">',
        '<h1 id="appendix">Methods and provenance</h1>',
        '<h2 id="appendix-methods">Methods</h2>', f"<p>{esc(METHODS)}</p>",
        '<h2 id="appendix-inputs">Input data</h2>', inputs_section(job.client, job.root),
        '<h2 id="appendix-code">Code and packages</h2>',
        "<dl>",
        f"<dt>Code version</dt><dd><code>{esc(job.code_version)}</code></dd>",
        f'<dt>Code fingerprint</dt><dd><span class="tp-hash">{esc(job.code_hash)}</span></dd>',
        f'<dt>Inputs fingerprint</dt><dd><span class="tp-hash">{esc(job.fingerprint)}</span></dd>',
        f"<dt>Notebooks</dt><dd>{esc(notebooks)}</dd>",
        f"<dt>Kernel</dt><dd><code>{esc(job.kernel_name)}</code></dd>",
        "</dl>",
        _table(["Package", "Version"], pkg_rows),
        '<h2 id="appendix-parameters">Parameters</h2>',
        "<p>The values every notebook of this report was run with.</p>",
        _table(["Parameter", "Value"], param_rows),
        "<p>The time of the run and the duration of each notebook are recorded in <code>run.json</code> beside "
        "this report rather than in it, so that the same inputs always give an identical report.</p>",
        "</div>",
    ]
    return "\n".join(parts), toc
