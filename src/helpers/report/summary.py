"""The executive summary: what the four steps found, in a page.

``notebooks/00-summary.ipynb`` calls these with the ``artifacts_dir`` the step
notebooks saved to (:mod:`helpers.artifacts`). A step that saved nothing shows
"not available" instead of failing. Every value from data is escaped.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from helpers import artifacts
from helpers.display import HTML, esc, show_table

STEP_TITLES = {
    "identify": "Identify",
    "analyse": "Collect and analyse",
    "prioritise": "Prioritise",
    "evaluate": "Implement and evaluate",
}
NOT_AVAILABLE = "not available"
PRIORITY_COLUMNS = ("touchpoint_id", "rank", "reason")
VERDICT_COLUMNS = ("change_id", "kpi", "verdict")


def collect(artifacts_dir: str | Path) -> dict[str, dict]:
    """Each step's saved findings, metrics and tables, with ``available`` False where it saved nothing."""
    out = {}
    for step in artifacts.STEPS:
        available = bool(artifacts_dir) and (Path(artifacts_dir) / f"{step}.json").is_file()
        payload = artifacts.load(artifacts_dir, step) if available else {
            "step": step, "findings": [], "metrics": {}, "tables": {}}
        payload["available"] = available
        out[step] = payload
    return out


def _find_table(payload: dict, columns: tuple[str, ...]) -> pd.DataFrame | None:
    for name in sorted(payload.get("tables", {})):
        df = payload["tables"][name]
        if all(c in df.columns for c in columns):
            return df
    return None


def priority_table(collected: dict, n: int = 5) -> pd.DataFrame | None:
    """The top ``n`` ranked touchpoints (rank, touchpoint, score, why), or None when step 3 has none."""
    df = _find_table(collected.get("prioritise", {}), PRIORITY_COLUMNS)
    if df is None:
        return None
    df = df.sort_values("rank", kind="stable").head(n)
    name = df["name"] if "name" in df.columns else df["touchpoint_id"]
    out = pd.DataFrame({"Rank": df["rank"].astype("Int64").to_numpy(), "Touchpoint": name.to_numpy()})
    if "score" in df.columns:
        out["Score"] = pd.to_numeric(df["score"], errors="coerce").round(2).to_numpy()
    out["Why"] = df["reason"].to_numpy()
    return out


def _fmt(v, digits: int = 2) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "" if v is None else str(v)
    return "" if math.isnan(f) else f"{f:,.{digits}f}"


def _fmt_p(v) -> str:
    """A p value as people read it: three decimals, and "< 0.001" below that."""
    text = _fmt(v, 3)
    return "< 0.001" if text == "0.000" else text


def verdict_table(collected: dict) -> pd.DataFrame | None:
    """One row per change and KPI: effect with its 95% interval, adjusted p and the verdict."""
    df = _find_table(collected.get("evaluate", {}), VERDICT_COLUMNS)
    if df is None:
        return None
    effect = []
    for _, row in df.iterrows():
        text = _fmt(row.get("effect"))
        if text and "ci_low" in row and "ci_high" in row and _fmt(row["ci_low"]):
            text += f" ({_fmt(row['ci_low'])} to {_fmt(row['ci_high'])})"
        effect.append(text)
    out = pd.DataFrame({"Change": df["change_id"].to_numpy(), "KPI": df["kpi"].to_numpy()})
    if "design" in df.columns:
        out["Method"] = df["design"].to_numpy()
    out["Effect (95% CI)"] = effect
    if "p_adj" in df.columns:
        out["Adjusted p"] = [_fmt_p(v) for v in df["p_adj"]]
    out["Verdict"] = df["verdict"].to_numpy()
    return out


def _not_available(what: str) -> HTML:
    return HTML(f'<p class="tp-na">{esc(what)}: {NOT_AVAILABLE}.</p>')


def overview(collected: dict) -> HTML:
    """Headline counts as cards: touchpoints with data, blind spots, priorities, changes evaluated."""
    ident = collected.get("identify", {}).get("metrics", {})
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
    available = sum(1 for s in artifacts.STEPS if collected.get(s, {}).get("available"))
    cards.append((f"{available} / {len(artifacts.STEPS)}", "analysis steps available"))
    body = "".join(f'<div class="tp-card"><div class="tp-card-value">{esc(v)}</div>'
                   f'<div class="tp-card-label">{esc(label)}</div></div>' for v, label in cards)
    return HTML(f'<div class="tp-cards">{body}</div>')


def top_findings(collected: dict, per_step: int = 3) -> HTML:
    """Up to ``per_step`` findings of each step, in step order; "not available" for a step without any."""
    blocks = []
    for step in artifacts.STEPS:
        payload = collected.get(step, {})
        title = STEP_TITLES[step]
        findings = [f for f in payload.get("findings", []) if str(f).strip()][:per_step]
        if not payload.get("available"):
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
    from helpers.config import load_client
    from helpers.errors import KitError
    from helpers.periods import Period

    p = Period.parse(period)
    try:
        name = load_client(client, root or None).name
    except KitError:
        name = client
    span = f"{p.start:%-d %B %Y} to {p.last_day:%-d %B %Y}"
    return HTML(f'<p class="tp-say">This report covers <strong>{esc(name)}</strong> for {esc(p.label)} '
                f'({esc(span)}). It summarises the four analysis steps that follow; the appendix lists the data, '
                f'code and settings it was built from.</p>')
