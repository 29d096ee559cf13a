"""Turn executed notebooks into one self-contained, code-free HTML report.

:func:`clean_notebook` strips everything volatile (papermill timings, execution
timestamps, random cell ids) so the same inputs give the same bytes.
:func:`combine` joins the summary, the step notebooks and the provenance appendix
into one notebook, translating every markdown cell whole (its text is a catalog message,
see :mod:`helpers.catalogs`) and giving every heading a stable anchor for the table of contents.
:func:`render_html` exports it with the ``tpkit-report`` template (no network
resources, no code, no stderr) and the client's branding.
"""

from __future__ import annotations

import base64
import copy
import html
import mimetypes
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor

from helpers import i18n
from helpers.display import unfold_nested
from helpers.report.provenance import TEMPLATE_DIR

TEMPLATE_NAME = "tpkit-report"
DEFAULT_COLOUR = "#1f4e79"
DROP_TAGS = {"parameters", "injected-parameters", "remove", "remove-cell", "hide", "report-hide"}
DROP_MIMETYPES = ("application/javascript", "application/vnd.jupyter.widget-view+json",
                  "application/vnd.jupyter.widget-state+json", "text/markdown+raw")
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


# --------------------------------------------------------------------------- cleaning

def clean_notebook(nb, prefix: str = "cell"):
    """A copy of an executed notebook without volatile metadata (timings, kernel ids, random cell ids)."""
    nb = copy.deepcopy(nb)
    keep = {k: nb.metadata[k] for k in ("kernelspec", "language_info", "title") if k in nb.metadata}
    if "language_info" in keep:
        keep["language_info"] = {k: v for k, v in keep["language_info"].items() if k in ("name", "file_extension",
                                                                                      "mimetype", "version")}
    nb.metadata = nbformat.from_dict(keep)
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        cell.metadata = nbformat.from_dict({"tags": list(tags)} if tags else {})
        cell.id = f"{prefix}-{i}"
        if "attachments" in cell and not cell["attachments"]:
            del cell["attachments"]
        for out in cell.get("outputs", []):
            out.pop("transient", None)
            if "metadata" in out:
                out["metadata"] = {k: v for k, v in out["metadata"].items() if k != "papermill"}
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5)), 5)
    return nb


def error_summary(nb) -> str:
    """The first error of an executed notebook as one line (ename: evalue) with its cell number."""
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"cell {i}: {out.get('ename', 'Error')}: {out.get('evalue', '')}".strip()
    return ""


# --------------------------------------------------------------------------- combining

def _inline(text: str) -> str:
    """Escaped heading text with `code`, **strong** and *em* kept."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", out)


def _plain(text: str) -> str:
    return re.sub(r"[`*_]", "", text).strip()


def anchor_headings(source: str, prefix: str, toc: list[dict], max_level: int = 2) -> str:
    """Replace markdown headings by HTML headings with stable ids; record levels <= max_level in ``toc``."""
    lines, fenced = [], False
    for line in source.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        m = None if fenced else _HEADING.match(line)
        if not m:
            lines.append(line)
            continue
        level, text = len(m.group(1)), m.group(2)
        anchor = f"{prefix}-{len(toc) + 1}"
        if level <= max_level:
            toc.append({"level": level, "id": anchor, "text": _plain(text)})
        else:
            anchor = f"{prefix}-h{len(lines)}"
        lines.extend(["", f'<h{level} id="{anchor}">{_inline(text)}</h{level}>', ""])
    return "\n".join(lines)


def translate_markdown(source: str) -> str:
    """A markdown cell's text in the active language: the whole cell is one catalog message."""
    return i18n._(source) if source.strip() else source


def combine(parts: list[tuple[str, object]], title: str = "Report") -> tuple[object, list[dict]]:
    """One notebook from (name, cleaned notebook) parts, plus the table of contents entries.

    Markdown cells are translated into the active language before their headings get anchors,
    so the contents list the translated headings."""
    toc: list[dict] = []
    cells = []
    for _name, nb in parts:
        for cell in nb.cells:
            cell = copy.deepcopy(cell)
            if cell.cell_type == "markdown":
                cell.source = anchor_headings(translate_markdown(cell.source), f"s{len(cells)}", toc)
            cells.append(cell)
    for i, cell in enumerate(cells):
        cell.id = f"c{i}"
        if cell.cell_type == "code":
            cell.execution_count = None
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = None
    first = parts[0][1] if parts else nbformat.v4.new_notebook()
    meta = {k: v for k, v in first.metadata.items() if k in ("kernelspec", "language_info")}
    meta["title"] = title
    combined = nbformat.v4.new_notebook(cells=cells, metadata=meta)
    return combined, toc


def add_appendix(nb, toc: list[dict], markup: str, entries: list[dict]) -> None:
    """Append trusted, already-escaped HTML as a final output-only cell, with its contents entries."""
    cell = nbformat.v4.new_code_cell(source="")
    cell.id = f"c{len(nb.cells)}"
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": markup})]
    nb.cells.append(cell)
    toc.extend(entries)


# --------------------------------------------------------------------------- nbconvert

class ReportPreprocessor(Preprocessor):
    """Keeps only what a client should read: no parameter cells, no stderr or warnings,
    no tracebacks, no bare object reprs, no scripts; cells without output are dropped."""

    def preprocess(self, nb, resources):
        kept = []
        for cell in nb.cells:
            if set(cell.get("metadata", {}).get("tags", [])) & DROP_TAGS:
                continue
            if cell.cell_type == "code":
                cell.outputs = [o for o in (self._output(o) for o in cell.get("outputs", [])) if o is not None]
                if not cell.outputs:
                    continue
            if cell.cell_type == "raw":
                continue
            kept.append(cell)
        nb.cells = kept
        nb.metadata.pop("widgets", None)
        return nb, resources

    @staticmethod
    def _output(out):
        kind = out.get("output_type")
        if kind == "error" or (kind == "stream" and out.get("name") != "stdout"):
            return None
        if kind in ("display_data", "execute_result"):
            data = {k: v for k, v in out.get("data", {}).items() if k not in DROP_MIMETYPES}
            if not data or (kind == "execute_result" and set(data) == {"text/plain"}):
                return None
            if "text/html" in data:  # a folded table inside a folded block opens with it
                markup = data["text/html"]
                data["text/html"] = unfold_nested(markup if isinstance(markup, str) else "".join(markup))
            out["data"] = data
        return out


def logo_data_uri(path: Path | None) -> str | None:
    """The client's logo as a data: URI (PNG, JPEG, GIF or SVG), or None."""
    if path is None or not Path(path).is_file():
        return None
    mime = mimetypes.guess_type(str(path))[0]
    if mime not in ("image/png", "image/jpeg", "image/gif", "image/svg+xml"):
        return None
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def safe_colour(colour: str | None) -> str:
    return colour if colour and re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else DEFAULT_COLOUR


def exporter(template_dir: Path = TEMPLATE_DIR):
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(template_dir)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    exp = HTMLExporter(config=c)
    exp.register_preprocessor(ReportPreprocessor(), enabled=True)
    return exp


def css_string(text: str) -> str:
    """``text`` as the body of a double-quoted CSS string, safe inside a <style> element.

    Every character but letters, digits and a few plain punctuation marks becomes a CSS
    hex escape, so neither a quote nor ``</style>`` from a client name can end the string.
    """
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_()")
    return "".join(c if c in safe else f"\\{ord(c):06x}" for c in str(text))


def frame_words(client_name: str, period_label: str) -> dict[str, str]:
    """The words of the report frame (cover, contents, logo) in the active language."""
    return {
        # Translators: the line above the client's name on the report's cover
        "kicker": i18n._("Customer touchpoint analysis"),
        # Translators: the title of the report's table of contents
        "contents": i18n._("Contents"),
        # Translators: the alternative text of the client's logo on the cover; {client} is the client's name
        "logo_alt": i18n._("{client} logo").format(client=client_name),
        # Translators: the document title (browser tab, PDF title); {period} is the period ("2026Q3")
        "title": i18n._("{client}: touchpoint report {period}").format(client=client_name, period=period_label),
    }


def render_html(nb, toc: list[dict], *, client_name: str, period_label: str, period_span: str = "",
                colour: str | None = None, logo: Path | None = None, footer: str = "",
                template_dir: Path = TEMPLATE_DIR, exp=None, language: str | None = None) -> str:
    """The report as one HTML string. Every value given here is escaped by the template.

    ``language`` (default: the active one) sets ``<html lang>`` and the words of the frame."""
    lang = i18n.check(language) if language else i18n.active()
    exp = exp or exporter(template_dir)
    exp.language_code = lang
    with i18n.using(lang):
        words = frame_words(client_name, period_label)
    resources = {
        "metadata": {"name": words["title"]},
        "tpkit": {
            **words,
            "lang": lang,
            "client_name": client_name,
            "period": period_label,
            "period_span": period_span,
            "colour": safe_colour(colour),
            "logo": logo_data_uri(logo),
            "toc": toc,
            "footer": footer,
            # running footer of every printed page (PDF): client and period
            "page_footer_css": css_string(f"{client_name} \u00b7 {period_label}"),
        },
    }
    body, _ = exp.from_notebook_node(nb, resources=resources)
    return body
