"""Safe display of data-derived text and tables in notebooks and reports.

Anything that comes from client data (review text, touchpoint names, client
names) may contain markup. These helpers escape it where it is produced, so a
report can never run a script that arrived in the data.

>>> say("Lowest CSAT: {tp} ({v:.2f})", tp=worst_name, v=worst_value)
>>> show_table(kpis, caption="KPIs by touchpoint", percent=["conversion"])
"""

from __future__ import annotations

import html
import re
from typing import Iterable

import pandas as pd


def esc(value) -> str:
    """HTML-escape any value (quotes too)."""
    return html.escape(str(value), quote=True)


class HTML:
    """Minimal rich-display object (IPython renders ``_repr_html_``)."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:  # plain-text fallback in a terminal
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.markup))


def say(template: str, /, **values) -> HTML:
    """A sentence of interpretation. ``template`` is trusted (written by the kit);
    every ``{value}`` is escaped before it is formatted in."""
    safe = {k: _SafeValue(v) for k, v in values.items()}
    return HTML(f'<p class="tp-say">{template.format(**safe)}</p>')


def bullets(items: Iterable[str], *, trusted: bool = False) -> HTML:
    lis = "".join(f"<li>{i if trusted else esc(i)}</li>" for i in items)
    return HTML(f'<ul class="tp-list">{lis}</ul>')


class _SafeValue:
    """Wraps a value so that str.format escapes it after applying the format spec."""

    def __init__(self, value) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return esc(format(self.value, spec))

    def __str__(self) -> str:
        return esc(self.value)


class Labelled:
    """A table cell of a name with a short note in small type: ``Checkout redesign <small>CH-checkout</small>``.

    Both parts are escaped when the table is rendered (:func:`show_table`); in plain text the note
    follows in parentheses.
    """

    def __init__(self, text, note=None) -> None:
        self.text = "" if text is None else str(text)
        self.note = None if note is None or str(note) == "" else str(note)

    def markup(self) -> str:
        small = f' <small class="tp-id">{esc(self.note)}</small>' if self.note else ""
        return f"{esc(self.text)}{small}"

    def __str__(self) -> str:
        return f"{self.text} ({self.note})" if self.note else self.text

    def __eq__(self, other) -> bool:
        return isinstance(other, Labelled) and (self.text, self.note) == (other.text, other.note)

    def __hash__(self) -> int:
        return hash((self.text, self.note))


def change_label(change_id, description=None) -> Labelled:
    """How a table names a logged change: what was changed, with its id small (the id alone without a description)."""
    description = "" if description is None or (isinstance(description, float) and pd.isna(description)) \
        else str(description).strip()
    return Labelled(description, change_id) if description else Labelled(change_id)


# Tables with at least this many columns, or whose columns need more than WIDE_CHARS characters side by
# side, print on a landscape A4 page (class tp-wide)
WIDE_COLUMNS = 10
WIDE_CHARS = 100


def _needed_chars(shown: pd.DataFrame) -> int:
    """About how many characters a table's columns need side by side: each column's longest header word
    or its longest cell (long texts wrap at about 40 characters)."""
    total = 0
    for col in shown.columns:
        words = str(col).split() or [""]
        cells = shown[col].astype(str).str.len()
        total += max(max(len(w) for w in words), min(int(cells.max()) if len(cells) else 0, 40)) + 2
    return total
# Tables longer than this are analyst detail: shown collapsed (open in print), the caption above stays visible
COLLAPSE_ROWS = 15


def _labelled_cells(shown: pd.DataFrame) -> dict[str, str]:
    """Swap :class:`Labelled` cells for plain tokens (escaping leaves them alone); returns token -> markup."""
    marks: dict[str, str] = {}
    for col in shown.columns:
        if shown[col].dtype != object:
            continue
        values = shown[col].tolist()
        if not any(isinstance(v, Labelled) for v in values):
            continue
        for i, v in enumerate(values):
            if isinstance(v, Labelled):
                token = f"TPKITCELL{len(marks):06d}X"
                marks[token] = v.markup()
                values[i] = token
        shown[col] = values
    return marks


def collapsible(inner: str, summary: str, *, open_: bool = False) -> HTML:
    """``inner`` (trusted markup) in a ``<details>`` block whose ``<summary>`` (escaped) says what it holds.

    The report's print styles and its PDF show the content of every such block.
    """
    opened = " open" if open_ else ""
    return HTML(f'<details class="tp-more"{opened}><summary>{esc(summary)}</summary>{inner}</details>')


_DETAILS = re.compile(r"<details\b[^>]*>(\s*<summary\b.*?</summary>)?|</details>", re.S)


def unfold_nested(markup: str) -> str:
    """A folded table (``details.tp-more``) inside another folded block opens with it: one click, not two."""
    if markup.count("<details") < 2:
        return markup
    out, pos, stack = [], 0, []
    for m in _DETAILS.finditer(markup):
        tag = m.group(0)
        if tag.startswith("</"):
            drop = stack.pop() if stack else False
        else:
            drop = bool(stack) and 'class="tp-more"' in tag.split(">", 1)[0]
            stack.append(drop)
        out.append(markup[pos:m.start()])
        if not drop:
            out.append(tag)
        pos = m.end()
    out.append(markup[pos:])
    return "".join(out)


def show_table(
    df: pd.DataFrame,
    caption: str | None = None,
    *,
    percent: Iterable[str] = (),
    decimals: int = 2,
    max_rows: int = 60,
    index: bool = False,
    collapse: bool | None = None,
) -> HTML:
    """Render a DataFrame as an escaped HTML table (numbers rounded, % columns formatted).

    ``collapse``: show the table folded in a ``<details>`` block under its caption (None: when it has more
    than :data:`COLLAPSE_ROWS` rows). Cells may be :class:`Labelled` (a name with a small note).
    """
    from helpers import i18n, kpis  # Babel loads when a table is shown, not when a notebook imports display

    shown = df.head(max_rows).copy()
    marks = _labelled_cells(shown)
    percent = set(percent)
    formatters = {}
    # English keeps Python's own formatting (the numbers of reports already delivered stay the same);
    # other languages format with their locale through helpers.kpis
    english = i18n.active() == "en"
    for col in shown.columns:
        if col in percent:
            formatters[col] = ((lambda v: "" if pd.isna(v) else f"{v:.1%}") if english
                               else (lambda v: "" if pd.isna(v) else kpis.fmt_percent(v, 1)))
        elif pd.api.types.is_float_dtype(shown[col]):
            formatters[col] = ((lambda v, d=decimals: "" if pd.isna(v) else f"{v:,.{d}f}") if english
                               else (lambda v, d=decimals: "" if pd.isna(v) else kpis.fmt_number(v, d)))
        elif not english and pd.api.types.is_integer_dtype(shown[col]):
            formatters[col] = lambda v: "" if pd.isna(v) else kpis.fmt_count(v)
    wide = (len(shown.columns) + (shown.index.nlevels if index else 0) >= WIDE_COLUMNS
            or _needed_chars(shown) > WIDE_CHARS)
    body = shown.to_html(index=index, escape=True, formatters=formatters, na_rep="", border=0,
                         classes="tp-table tp-wide" if wide else "tp-table")
    # a caption written in a notebook is a catalog message (helpers.catalogs extracts it): shown translated
    cap = f'<p class="tp-caption">{esc(i18n._(caption))}</p>' if caption else ""
    more = ""
    if len(df) > max_rows:
        # Translators: a note under a table cut short; {shown} and {total} are numbers of rows
        note = i18n.ngettext("Showing {shown} of {total} row.", "Showing {shown} of {total} rows.", len(df))
        note = note.format(shown=kpis.fmt_count(max_rows), total=kpis.fmt_count(len(df)))
        more = f'<p class="tp-note">{esc(note)}</p>'
    for token, markup in marks.items():
        body = body.replace(token, markup)
    if collapse is None:
        collapse = len(df) > COLLAPSE_ROWS
    if collapse:
        # Translators: the line that opens a folded table; {n} is its number of rows
        summary = i18n.ngettext("Show the table ({n} row)", "Show the table ({n} rows)", len(df))
        return HTML(cap + collapsible(body + more, summary.format(n=kpis.fmt_count(len(df)))).markup)
    return HTML(cap + body + more)


def enable_figures() -> bool:
    """Let a notebook show a returned :class:`matplotlib.figure.Figure` as a PNG image.

    The kit's figure functions never touch pyplot, and IPython's inline backend
    registers its Figure formatter only once pyplot is imported (and not at all
    under another backend such as ``MPLBACKEND=Agg``). Keeps a format the user
    already chose. Returns True when running inside IPython.
    """
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - IPython comes with the notebook tools
        return False
    shell = get_ipython()
    if shell is None:
        return False
    png = shell.display_formatter.formatters["image/png"]
    if Figure not in png.type_printers:
        png.for_type(Figure, lambda fig: print_figure(fig, fmt="png", base64=True, bbox_inches="tight"))
    return True
