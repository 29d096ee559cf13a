"""The executive summary: what the four steps found, in a page.

``notebooks/00-summary.ipynb`` calls these with the ``artifacts_dir`` the step
notebooks saved to (:mod:`helpers.artifacts`). A step that saved nothing shows
"not available" instead of failing. Every value from data is escaped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import artifacts, i18n, kpis
from helpers.artifacts import Findings
from helpers.config import load_client
from helpers.display import HTML, change_label, esc, show_table
from helpers.errors import KitError
from helpers.evaluate.narrative import verdict_name
from helpers.i18n import N_, _, ngettext
from helpers.periods import Period

STEP_TITLES = {
    "identify": N_("Identify"),
    "analyse": N_("Collect and analyse"),
    "prioritise": N_("Prioritise"),
    "evaluate": N_("Implement and evaluate"),
}
NOT_AVAILABLE = N_("not available")
PRIORITY_COLUMNS = ("touchpoint_id", "rank", "reason")
VERDICT_COLUMNS = ("change_id", "kpi", "verdict")


def collect(artifacts_dir: str | Path) -> dict[str, Findings]:
    """Each step's saved :class:`~helpers.artifacts.Findings` (``available`` False where it saved nothing)."""
    return artifacts.load_all(artifacts_dir)


def priority_table(collected: dict[str, Findings], n: int = 5) -> pd.DataFrame | None:
    """The top ``n`` ranked touchpoints (rank, touchpoint, score, why), or None when step 3 has none."""
    step = collected.get("prioritise")
    df = step.table("priorities") if step is not None else None
    if df is None:
        return None
    df = df.sort_values("rank", kind="stable").head(n)
    name = df["name"] if "name" in df.columns else df["touchpoint_id"]
    out = pd.DataFrame({_("Rank"): df["rank"].astype("Int64").to_numpy(), _("Touchpoint"): name.to_numpy()})
    if "score" in df.columns:
        out[_("Score")] = pd.to_numeric(df["score"], errors="coerce").round(2).to_numpy()
    out[_("Why")] = df["reason"].to_numpy()
    return out


def change_descriptions(client: str | None, root: str | Path | None = None) -> dict[str, str]:
    """What each logged change in the client's ``client.yml`` changed, by change id (empty without a client).

    ``client.yml`` requires a description for every change, so a change the file no longer lists is the
    only one shown by its id alone.
    """
    if not client:
        return {}
    return {c.id: c.description for c in load_client(client, root or None).changes}


def verdict_table(collected: dict[str, Findings], descriptions: dict[str, str] | None = None) -> pd.DataFrame | None:
    """One row per change and KPI: effect with its 95% interval in the KPI's unit, adjusted p and the verdict.

    A change is named by what was changed (``descriptions``, by change id) with its id in small type.
    """
    descriptions = descriptions or {}
    step = collected.get("evaluate")
    df = step.table("verdicts") if step is not None else None
    if df is None:
        return None
    effect = []
    for _i, row in df.iterrows():
        text = kpis.fmt_change(row["kpi"], row.get("effect"))
        interval = kpis.fmt_interval(row["kpi"], row.get("ci_low"), row.get("ci_high"))
        # Translators: an effect and its 95% interval, e.g. "+2.1 pp (+0.4 to +3.8)"
        effect.append(_("{effect} ({interval})").format(effect=text, interval=interval) if text and interval
                      else text)
    changes = [change_label(c, descriptions.get(c)) for c in df["change_id"]]
    out = pd.DataFrame({_("Change"): pd.Series(changes, dtype=object).to_numpy(),
                        _("KPI"): [kpis.short(k) for k in df["kpi"]]})
    if "design" in df.columns:
        out[_("Method")] = df["design"].to_numpy()
    out[_("Effect (95% CI)")] = effect
    if "p_adj" in df.columns:
        out[_("Adjusted p")] = [kpis.fmt_p(v) for v in df["p_adj"]]
    out[_("Verdict")] = [verdict_name(v) for v in df["verdict"]]
    return out


def _not_available(what: str) -> HTML:
    # Translators: {what} names a part of the summary ("Priorities")
    text = _("{what}: not available.").format(what=what)
    return HTML(f'<p class="tp-na">{esc(text)}</p>')


def _changes(collected: dict) -> int | None:
    step = collected.get("evaluate")
    df = step.table("verdicts") if step is not None else None
    return None if df is None else int(df["change_id"].nunique())


def overview(collected: dict) -> HTML:
    """Headline counts as cards: touchpoints with data, blind spots, priorities, changes evaluated."""
    ident = collected["identify"].metrics if "identify" in collected else {}
    cards = []
    if "touchpoints" in ident:
        # Translators: the value of a summary card, e.g. "5 / 6" (5 of the 6 catalogued touchpoints)
        value = _("{part} / {whole}").format(part=kpis.fmt_count(ident.get("touchpoints_with_data", 0)),
                                             whole=kpis.fmt_count(ident["touchpoints"]))
        # Translators: the labels under the numbers of the summary cards are labels, not sentences (always plural)
        cards.append((value, _("touchpoints with data")))
    if "blind_spots" in ident:
        cards.append((kpis.fmt_count(ident["blind_spots"]), _("blind spots (no data)")))
    prio = priority_table(collected, n=1000)
    if prio is not None:
        cards.append((kpis.fmt_count(len(prio)), _("touchpoints ranked")))
    changes = _changes(collected)
    if changes is not None:
        cards.append((kpis.fmt_count(changes), _("changes evaluated")))
    available = sum(1 for s in artifacts.STEPS if s in collected and collected[s].available)
    value = _("{part} / {whole}").format(part=kpis.fmt_count(available), whole=kpis.fmt_count(len(artifacts.STEPS)))
    cards.append((value, _("analysis steps available")))
    body = "".join(f'<div class="tp-card"><div class="tp-card-value">{esc(v)}</div>'
                   f'<div class="tp-card-label">{esc(label)}</div></div>' for v, label in cards)
    return HTML(f'<div class="tp-cards">{body}</div>')


def top_findings(collected: dict, per_step: int = 3) -> HTML:
    """Up to ``per_step`` findings of each step, in step order; "not available" for a step without any."""
    blocks = []
    for step in artifacts.STEPS:
        payload = collected.get(step, Findings.missing(step))
        title = _(STEP_TITLES[step])
        findings = list(payload.findings[:per_step])
        if not payload.available:
            inner = f'<p class="tp-na">{esc(_(NOT_AVAILABLE))}</p>'
        elif not findings:
            none = _("No findings recorded.")
            inner = f'<p class="tp-na">{esc(none)}</p>'
        else:
            inner = '<ul class="tp-list">' + "".join(f"<li>{esc(f)}</li>" for f in findings) + "</ul>"
        blocks.append(f'<div class="tp-step"><p class="tp-step-name">{esc(title)}</p>{inner}</div>')
    return HTML("".join(blocks))


def top_priorities(collected: dict, n: int = 5) -> HTML:
    table = priority_table(collected, n)
    if table is None:
        return _not_available(_("Priorities"))
    if table.empty:
        text = _("No touchpoint could be ranked in this period.")
        return HTML(f'<p class="tp-na">{esc(text)}</p>')
    caption = ngettext("Top {n} touchpoint to work on", "Top {n} touchpoints to work on", len(table))
    return show_table(table, caption=caption.format(n=kpis.fmt_count(len(table))))


def verdicts(collected: dict, client: str | None = None, root: str | Path | None = None) -> HTML:
    """The verdict table; with ``client`` each change is named by its description from ``client.yml``."""
    table = verdict_table(collected, change_descriptions(client, root))
    if table is None:
        return _not_available(_("Verdicts on changes"))
    if table.empty:
        text = _("No changes were logged for this period.")
        return HTML(f'<p class="tp-na">{esc(text)}</p>')
    return show_table(table, caption=_("Did the changes move their KPIs?"))


def period_span(period: Period) -> str:
    """The days a period covers as the active language writes them: "1 July 2026 to 30 September 2026"."""
    # Translators: the first and last day of the report's period
    return _("{start} to {end}").format(start=i18n.fmt_date(period.start), end=i18n.fmt_date(period.last_day))


def say_scope(client: str, period: str, root: str | Path | None = None) -> HTML:
    """One sentence naming the client and period covered."""
    p = Period.parse(period)
    try:
        name = load_client(client, root or None).name
    except KitError:
        name = client
    # Translators: {name} is the client's name (shown in bold), {period} the period ("2026Q3"), {span} its days
    # ("1 July 2026 to 30 September 2026")
    first = _("This report covers {name} for {period} ({span}).")
    second = _("It summarises the four analysis steps that follow; the appendix lists the data, code and settings "
               "it was built from.")
    text = esc(first).format(name=f"<strong>{esc(name)}</strong>", period=esc(p.label), span=esc(period_span(p)))
    return HTML(f'<p class="tp-say">{text} {esc(second)}</p>')
