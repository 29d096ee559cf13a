"""Every word `tpkit monitor` shows, through the message catalogs (:mod:`helpers.i18n`)."""

from __future__ import annotations

from helpers import i18n, kpis
from helpers.i18n import N_, _
from helpers.monitor import sequences as sq

DASH = "\u2013"
__all__ = ["DESIGNS", "format_table", "say_row", "verdict_text"]

DESIGNS = {
    "ab": N_("A/B test: difference between the variants per unit"),
    "did": N_("weekly difference treated minus control, after vs before"),
    "its": N_("weekly level, after vs before"),
}
REASONS = {
    "too early": N_("too early: too few units or weeks since the start"),
    "no data": N_("not enough data before the start to compare with"),
    "not sequential": N_("volume is not checked between reports (no variance per unit)"),
}
COLUMNS = (N_("Change"), N_("KPI"), N_("Weeks"), N_("Effect"), N_("Always-valid 95% interval"),
           N_("Planned effect"), N_("Verdict"))


def verdict_text(row) -> str:
    """The verdict of one row: "moved", "no effect of the planned size", "keep collecting, about until 4 May 2027"."""
    if row.verdict == sq.MOVED:
        return _("moved")
    if row.verdict == sq.NO_EFFECT:
        return _("no effect of the planned size")
    if row.reason in ("no data", "not sequential") or (row.reason == "too early" and row.until is None):
        return _(REASONS[row.reason])
    if row.until is None:
        return _("keep collecting: no verdict within two years at the current volume")
    return _("keep collecting, about until {date}").format(date=i18n.fmt_date(row.until, form="medium"))


def say_row(row, currency: str | None = None) -> tuple[str, ...]:
    loc = i18n.locale()
    label = kpis.label(row.kpi)
    cells = (kpis.fmt_change(row.kpi, row.estimate, locale=loc),
             kpis.fmt_interval(row.kpi, row.ci_low, row.ci_high, locale=loc),
             kpis.fmt_change(row.kpi, row.planned, locale=loc))
    return (row.change_id, label, kpis.fmt_count(row.weeks, locale=loc), *(c or DASH for c in cells),
            verdict_text(row))


def _table(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in (header, *rows)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_table(result) -> str:
    """The monitor's answer as plain text: a heading, one line per change and KPI, and how to read it."""
    with i18n.using(result.language):
        head = _("{client}: running changes as of {date}").format(
            client=result.name, date=i18n.fmt_date(result.as_of))
        if not result.rows:
            body = _("No change has started before this date.")
        else:
            body = _table(tuple(_(c) for c in COLUMNS), [say_row(r, result.currency) for r in result.rows])
        notes = [_("Sequence per change:")]
        for r in result.rows:
            what = _(DESIGNS.get(r.design, r.design))
            notes.append(f"  {r.change_id} ({kpis.label(r.kpi)}): {what}")
        notes.append(_("The intervals stay valid however often they are looked at (always-valid confidence "
                       "sequences), so a verdict may be acted on as soon as it appears. \"No effect of the planned "
                       "size\" means the interval lies within plus or minus the planned effect."))
        if result.future:
            notes.append(_("Not started yet: {changes}").format(changes=", ".join(result.future)))
        import textwrap

        notes = [textwrap.fill(n, 110, subsequent_indent="    " if n.startswith("  ") else "") for n in notes]
        return "\n".join([head, "", body, "", *notes])
