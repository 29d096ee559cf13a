"""The executive summary: what the four steps found, in a page.

``notebooks/00-summary.ipynb`` calls these with the ``artifacts_dir`` the step
notebooks saved to (:mod:`helpers.artifacts`). A step that saved nothing shows
"not available" instead of failing. Every value from data is escaped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import artifacts, kpis
from helpers.artifacts import Findings
from helpers.config import load_client
from helpers.display import HTML, esc, show_table
from helpers.errors import KitError
from helpers.periods import Period

STEP_TITLES = {
    "identify": "Identify",
    "analyse": "Collect and analyse",
    "prioritise": "Prioritise",
    "evaluate": "Implement and evaluate",
}
NOT_AVAILABLE = "not available"
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
    out = pd.DataFrame({"Rank": df["rank"].astype("Int64").to_numpy(), "Touchpoint": name.to_numpy()})
    if "score" in df.columns:
        out["Score"] = pd.to_numeric(df["score"], errors="coerce").round(2).to_numpy()
    out["Why"] = df["reason"].to_numpy()
    return out


def verdict_table(collected: dict[str, Findings]) -> pd.DataFrame | None:
    """One row per change and KPI: effect with its 95% interval in the KPI's unit, adjusted p and the verdict."""
    step = collected.get("evaluate")
    df = step.table("verdicts") if step is not None else None
    if df is None:
        return None
    effect = []
    for _, row in df.iterrows():
        text = kpis.fmt_change(row["kpi"], row.get("effect"))
        interval = kpis.fmt_interval(row["kpi"], row.get("ci_low"), row.get("ci_high"))
        effect.append(f"{text} ({interval})" if text and interval else text)
    out = pd.DataFrame({"Change": df["change_id"].to_numpy(),
                        "KPI": [kpis.short(k) for k in df["kpi"]]})
    if "design" in df.columns:
        out["Method"] = df["design"].to_numpy()
    out["Effect (95% CI)"] = effect
    if "p_adj" in df.columns:
        out["Adjusted p"] = [kpis.fmt_p(v) for v in df["p_adj"]]
    out["Verdict"] = df["verdict"].to_numpy()
    return out


def _not_available(what: str) -> HTML:
    return HTML(f'<p class="tp-na">{esc(what)}: {NOT_AVAILABLE}.</p>')


def overview(collected: dict) -> HTML:
    """Headline counts as cards: touchpoints with data, blind spots, priorities, changes evaluated."""
    ident = collected["identify"].metrics if "identify" in collected else {}
    cards = []
    if "touchpoints" in ident:
        cards.append((f"{ident.get('touchpoints_with_data', 0)} / {ident['touchpoints']}", "touchpoints with data"))
    if "blind_spots" in ident:
        cards.append((str(ident["blind_spots"]), "blind spots (no data)"))
    prio = priority_table(collected, n=1000)
    if prio is not None:
        cards.append((str(len(prio)), "touchpoints ranked"))
    verdicts = verdict_table(collected)
    if verdicts is not None:
        cards.append((str(verdicts["Change"].nunique()), "changes evaluated"))
    available = sum(1 for s in artifacts.STEPS if s in collected and collected[s].available)
    cards.append((f"{available} / {len(artifacts.STEPS)}", "analysis steps available"))
    body = "".join(f'<div class="tp-card"><div class="tp-card-value">{esc(v)}</div>'
                   f'<div class="tp-card-label">{esc(label)}</div></div>' for v, label in cards)
    return HTML(f'<div class="tp-cards">{body}</div>')


def top_findings(collected: dict, per_step: int = 3) -> HTML:
    """Up to ``per_step`` findings of each step, in step order; "not available" for a step without any."""
    blocks = []
    for step in artifacts.STEPS:
        payload = collected.get(step, Findings.missing(step))
        title = STEP_TITLES[step]
        findings = list(payload.findings[:per_step])
        if not payload.available:
            inner = f'<p class="tp-na">{NOT_AVAILABLE}</p>'
        elif not findings:
            inner = '<p class="tp-na">No findings recorded.</p>'
        else:
            inner = '<ul class="tp-list">' + "".join(f"<li>{esc(f)}</li>" for f in findings) + "</ul>"
        blocks.append(f'<div class="tp-step"><p class="tp-step-name">{esc(title)}</p>{inner}</div>')
    return HTML("".join(blocks))


def top_priorities(collected: dict, n: int = 5) -> HTML:
    table = priority_table(collected, n)
    if table is None:
        return _not_available("Priorities")
    if table.empty:
        return HTML('<p class="tp-na">No touchpoint could be ranked in this period.</p>')
    return show_table(table, caption=f"Top {len(table)} touchpoints to work on")


def verdicts(collected: dict) -> HTML:
    table = verdict_table(collected)
    if table is None:
        return _not_available("Verdicts on changes")
    if table.empty:
        return HTML('<p class="tp-na">No changes were logged for this period.</p>')
    return show_table(table, caption="Did the changes move their KPIs?")


def say_scope(client: str, period: str, root: str | Path | None = None) -> HTML:
    """One sentence naming the client and period covered."""
    p = Period.parse(period)
    try:
        name = load_client(client, root or None).name
    except KitError:
        name = client
    span = f"{p.start:%-d %B %Y} to {p.last_day:%-d %B %Y}"
    return HTML(f'<p class="tp-say">This report covers <strong>{esc(name)}</strong> for {esc(p.label)} '
                f'({esc(span)}). It summarises the four analysis steps that follow; the appendix lists the data, '
                f'code and settings it was built from.</p>')
