"""The methods and provenance appendix: what data, code and settings a report was built from.

Everything here is deterministic for the same inputs (no clock time): the build
time and durations go to ``run.json`` beside the report instead.
"""

from __future__ import annotations

from helpers import data, kpis
from helpers.display import esc
from helpers.errors import KitError
from helpers.i18n import N_, _

METHODS = N_(
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
        return kpis.fmt_count(int(v))
    except (TypeError, ValueError):
        return ""


def inputs_section(client: str, root) -> str:
    try:
        manifest = data.load_manifest(client, root)
    except KitError:
        manifest = None
    if manifest is None:
        text = _("Ingest manifest not available: input files cannot be listed.")
        return f'<p class="tp-na">{esc(text)}</p>'
    files = sorted(manifest.get("files", []), key=lambda f: (str(f.get("table")), str(f.get("file"))))
    rows = [[esc(f.get("table", "")), f'<code>{esc(f.get("file", ""))}</code>',
             f'<span class="tp-hash">{esc(f.get("sha256", ""))}</span>',
             _count(f.get("rows_read")), _count(f.get("accepted")), _count(f.get("rejected"))] for f in files]
    # Translators: keep the <code>rejects/</code> markup as it is
    note = "<p>" + _("Each raw export as received, identified by its SHA-256 hash. Every row read was either "
                     "accepted or rejected with its reason (rejected rows are kept in the client's "
                     "<code>rejects/</code> folder).") + "</p>"
    table = _table([_("Table"), _("File"), "SHA-256", _("Rows read"), _("Accepted"), _("Rejected")], rows, {3, 4, 5})
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
    heading, lead = _("Warnings from ingest"), _("What ingest found that may affect the figures of this report:")
    return (f'<h3 id="appendix-ingest-warnings">{esc(heading)}</h3><p>{esc(lead)}</p>'
            f'<ul class="tp-warnings">{items}</ul>')


def appendix_html(job, cfg) -> tuple[str, list[dict]]:
    """The appendix markup and its table-of-contents entries."""
    versions = dict(job.versions)
    params = job.notebook_parameters()
    shown = {k: (_("(the project folder)") if k == "root" else v) for k, v in params.items()}
    param_rows = [[f"<code>{esc(k)}</code>", f"<code>{esc(repr(v))}</code>"] for k, v in shown.items()]
    pkg_rows = [[esc(k), esc(v)] for k, v in versions.items()]
    notebooks = ", ".join(p.name for p in (*job.steps, job.summary))
    heads = {"appendix": _("Methods and provenance"), "appendix-methods": _("Methods"),
             "appendix-inputs": _("Input data"), "appendix-code": _("Code and packages"),
             "appendix-parameters": _("Parameters")}
    toc = [{"level": 1 if key == "appendix" else 2, "id": key, "text": text} for key, text in heads.items()]
    labels = {"version": _("Code version"), "code": _("Code fingerprint"), "inputs": _("Inputs fingerprint"),
              "notebooks": _("Notebooks"), "kernel": _("Kernel")}
    params_lead = _("The values every notebook of this report was run with.")
    # Translators: keep the <code>run.json</code> markup as it is
    run_note = _("The time of the run and the duration of each notebook are recorded in <code>run.json</code> "
                 "beside this report rather than in it, so that the same inputs always give an identical report.")
    parts = [
        '<div class="tp-appendix">',
        f'<h1 id="appendix">{esc(heads["appendix"])}</h1>',
        f'<h2 id="appendix-methods">{esc(heads["appendix-methods"])}</h2>', f"<p>{esc(_(METHODS))}</p>",
        f'<h2 id="appendix-inputs">{esc(heads["appendix-inputs"])}</h2>', inputs_section(job.client, job.root),
        f'<h2 id="appendix-code">{esc(heads["appendix-code"])}</h2>',
        "<dl>",
        f"<dt>{esc(labels['version'])}</dt><dd><code>{esc(job.code_version)}</code></dd>",
        f'<dt>{esc(labels["code"])}</dt><dd><span class="tp-hash">{esc(job.code_hash)}</span></dd>',
        f'<dt>{esc(labels["inputs"])}</dt><dd><span class="tp-hash">{esc(job.fingerprint)}</span></dd>',
        f"<dt>{esc(labels['notebooks'])}</dt><dd>{esc(notebooks)}</dd>",
        f"<dt>{esc(labels['kernel'])}</dt><dd><code>{esc(job.kernel_name)}</code></dd>",
        "</dl>",
        _table([_("Package"), _("Version")], pkg_rows),
        f'<h2 id="appendix-parameters">{esc(heads["appendix-parameters"])}</h2>',
        f"<p>{esc(params_lead)}</p>",
        _table([_("Parameter"), _("Value")], param_rows),
        f"<p>{run_note}</p>",
        "</div>",
    ]
    return "\n".join(parts), toc
