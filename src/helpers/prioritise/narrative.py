"""Every word step 3 shows: sentences, notes, table labels, column headers, reasons, findings.

Numbers are formatted through :mod:`helpers.kpis` (percent, counts, money), so
the step reads like the rest of the report. Nothing here computes a statistic;
the functions take a :class:`~helpers.prioritise.step.PrioritiseResult` (or the
small tables in it) and say what it shows.

>>> narrative.say_priorities(result)      # the priority list in one paragraph
>>> narrative.show(result, "drivers")      # a table with readable column headers
>>> narrative.findings_text(result)        # headline sentences for the executive summary
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from helpers import display, kpis
from helpers.errors import DataError

if TYPE_CHECKING:  # annotations only: the step imports this module
    from helpers.prioritise.step import PrioritiseResult

# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------

#: the overall outcome of the relationship survey, in a sentence and in short
OUTCOME_LABELS = {"nps": "likelihood to recommend (NPS question)", "csat": "overall satisfaction"}
OUTCOME_SHORT = {"nps": kpis.short("nps"), "csat": "overall satisfaction"}

#: attribution models as a reader sees them (column headers, legend, ROI model)
MODEL_LABELS = {
    "markov": "Markov (removal effect)",
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position-based (40/20/40)",
}


def model_label(column: str, half_life_steps: float = 2.0) -> str:
    """The header of an attribution model column (``time_decay_7d``: "Time decay (7-day half-life)")."""
    if column == "time_decay":
        return f"Time decay ({half_life_steps:g}-step half-life)"
    if column.startswith("time_decay_"):
        return f"Time decay ({column.removeprefix('time_decay_').removesuffix('d')}-day half-life)"
    return MODEL_LABELS.get(column, column.replace("_", " ").capitalize())


def not_catalogued(touchpoint_id: str) -> str:
    """How a touchpoint seen in the data but missing from client.yml is named."""
    return f"{touchpoint_id} (not catalogued)"


# ---------------------------------------------------------------------------
# Notes met while computing
# ---------------------------------------------------------------------------

NO_JOURNEYS = "no journeys started in the period"
NO_CONVERSIONS = "no journey that started in the period converted, so nothing can be attributed"


def driver_gap_text(gap) -> str:
    """Why there is no key-driver analysis (``gap``: :class:`helpers.prioritise.compute.DriverGap`)."""
    if gap.reason == "no_feedback":
        return "there is no feedback data"
    if gap.reason == "invalid":
        return gap.message
    return (f"the relationship survey has {gap.answers} answers and {gap.drivers} touchpoints with at least "
            f"{gap.min_ratings} ratings in the period used; key-driver analysis needs at least {gap.min_answers} "
            "answers and two touchpoints")


def no_drivers_note(gap) -> str:
    return f"no key-driver analysis: {driver_gap_text(gap)}"


# ---------------------------------------------------------------------------
# Reasons of the priority list
# ---------------------------------------------------------------------------

def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _percent(v) -> str:
    return kpis.fmt_percent(v, 0)


def _csat(v) -> str:
    return kpis.fmt_number(v, 1)


def _csat_context(table: pd.DataFrame, i: int, avg: float) -> str:
    row = table.iloc[i]
    same = table[(table["stage"] == row["stage"]) & table["csat"].notna()]
    if len(same) > 1 and row["csat"] <= same["csat"].min():
        return f", the lowest of the {row['stage']} stage"
    if len(same) > 1 and row["csat"] >= same["csat"].max():
        return f", the highest of the {row['stage']} stage"
    return " (below average)" if row["csat"] < avg else " (above average)"


def _impact_level(k: int, n_drivers: int) -> str:
    if k <= max(1, round(n_drivers / 3)):
        return "high"
    return "moderate" if k <= round(2 * n_drivers / 3) else "low"


def _sales_phrase(row, flag) -> str:
    bits = []
    if pd.notna(row["attribution_share"]) and row["attribution_share"] > 0:
        bits.append(f"{_percent(row['attribution_share'])} of conversions attributed")
    if flag == "above average" and pd.notna(row["dropoff_excess"]) and row["dropoff_excess"] >= 0.02:
        bits.append(f"{kpis.fmt_number(row['dropoff_excess'] * 100, 0)} percentage points more drop-off than average")
    return " and ".join(bits)


def reasons(table: pd.DataFrame, *, outcome: str = "NPS", weights: dict, friction_flags: list | None = None
            ) -> list[str]:
    """One sentence per row of a ranking explaining its score from its two largest weighted components.

    ``table``: the columns of :func:`helpers.prioritise.rank_touchpoints`; ``weights``: the
    validated priority weights (experience, sales, reach, effort).
    """
    w = weights
    imp = table["importance"]
    n_drivers = int(imp.notna().sum())
    imp_rank = imp.rank(ascending=False, method="min")
    avg_csat = table["csat"].mean()
    out = []
    for i, row in table.reset_index(drop=True).iterrows():
        phrases = []
        if pd.notna(row["importance"]):
            k = int(imp_rank.iloc[i])
            text = f"{_impact_level(k, n_drivers)} impact on {outcome} ({_ordinal(k)} of {n_drivers} drivers)"
            if pd.notna(row["csat"]):
                text += f", CSAT {_csat(row['csat'])}" + _csat_context(table, i, avg_csat)
            phrases.append((w["experience"] * row["experience"] + 1e-9, text))
        elif pd.notna(row["csat"]):
            phrases.append((w["experience"] * 0.0, f"CSAT {_csat(row['csat'])}{_csat_context(table, i, avg_csat)} "
                                                   f"(too few survey ratings to measure its impact)"))
        sales = _sales_phrase(row, friction_flags[i] if friction_flags is not None else None)
        if sales:
            phrases.append((w["sales"] * row["sales"] + 1e-9, sales))
        if pd.notna(row["reach_share"]) and row["reach_share"] > 0:
            phrases.append((w["reach"] * row["reach"], f"reaches {_percent(row['reach_share'])} of journeys"))
        if not phrases:
            out.append("No survey ratings or journey data in the period: measure it before prioritising")
            continue
        phrases.sort(key=lambda p: -p[0])
        text = "; ".join(p[1] for p in phrases[:2])
        if pd.notna(row["effort"]) and row["effort"] >= 0.75 and w["effort"] > 0:
            text += "; hard to change (effort 4-5 of 5)"
        out.append(text[0].upper() + text[1:])
    return out


# ---------------------------------------------------------------------------
# Figure titles
# ---------------------------------------------------------------------------

#: the words inside the charts (titles, axis labels, legends, empty-chart notes)
FIGURE_TEXT = {
    "ipm_title": "Importance for {outcome} against current performance",
    "ipm_empty": "no key-driver data for this period",
    "ipm_x": "Current CSAT (1-5)",
    "ipm_y": "Importance for {outcome} (share of explained variance, square-root scale)",
    "attribution_title": "Attributed {value} by model",
    "attribution_x": "attributed {value}",
    "no_journeys": "no journeys in this period",
    "friction_title": "Journeys that end without purchase right after each touchpoint",
    "friction_average": "average {avg}",
    "friction_x": "share of journeys reaching the touchpoint that end right after it without purchase",
    "priority_title": "Priority score and what it is made of",
    "priority_empty": "nothing to rank",
    "priority_experience": "experience impact",
    "priority_sales": "sales impact",
    "priority_reach": "reach",
    "priority_effort": "effort (subtracted)",
    "priority_stability": "(top 3 in {share} of resamples)",
    "priority_x": "priority score (0-100)",
}


def ipm_title(result: PrioritiseResult) -> str:
    return f"Importance for {result.outcome_label} against current CSAT, {result.period}"


def attribution_unit(result: PrioritiseResult, value: str) -> str:
    return "conversions" if value == "conversions" else f"revenue ({result.currency})"


def attribution_title(result: PrioritiseResult, value: str) -> str:
    return f"Attributed {attribution_unit(result, value)} by model, journeys started in {result.period}"


# ---------------------------------------------------------------------------
# Tables for readers
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": "Touchpoint id", "name": "Touchpoint", "rank": "Rank", "score": "Score",
    "reason": "Why", "top3_share": "In top 3 (resamples)", "stage": "Stage", "experience": "Experience impact",
    "sales": "Sales impact", "reach": "Reach (relative)", "effort": "Effort", "importance": "Importance",
    "csat": "CSAT", "attribution_share": "Attribution share", "dropoff_excess": "Drop-off vs average",
    "reach_share": "Share of journeys", "driver": "Touchpoint", "relative_weight": "Relative weight",
    "rw_ci_low": "RW 95% low", "rw_ci_high": "RW 95% high", "shapley": "Shapley R2 share",
    "shapley_ci_low": "Shapley 95% low", "shapley_ci_high": "Shapley 95% high", "performance": "CSAT now",
    "quadrant": "Quadrant", "channel": "Touchpoint", "reached": "Journeys reaching", "dropoffs": "Ended there",
    "dropoff_rate": "Drop-off rate", "dropoff_ci_low": "95% low", "dropoff_ci_high": "95% high",
    "average": "Average", "excess": "Difference", "flag": "Compared with average", "period": "Quarter",
    "model": "Model", "cost": "Cost", "attributed_revenue": "Attributed revenue", "roi": "ROI",
    "revenue_per_cost": "Revenue per unit cost", "removal_effect": "Removal effect", "share": "Share",
    "removal_effect_revenue": "Removal effect (revenue)",
    "conversions": "Conversions", "revenue": "Revenue", "path": "Path", "journeys": "Journeys",
    "nulls": "Without purchase", "ratings": "Ratings", "top2box": kpis.short("top2box").capitalize(),
}

#: columns holding shares, shown in percent
PERCENT = ("top3_share", "importance", "attribution_share", "dropoff_excess", "reach_share", "relative_weight",
           "rw_ci_low", "rw_ci_high", "shapley", "shapley_ci_low", "shapley_ci_high", "dropoff_rate",
           "dropoff_ci_low", "dropoff_ci_high", "excess", "roi", "removal_effect", "share", "performance_share",
           "removal_effect_revenue")
PARTS = ("priorities", "components", "drivers", "ipm", "attribution", "models", "models_revenue", "friction",
         "roi", "paths")
NOTHING_TO_SHOW = "Nothing to show for this period."


def _named(df: pd.DataFrame, col: str, names: dict) -> pd.DataFrame:
    if df.empty or col not in df.columns:
        return pd.DataFrame()
    out = df.copy()
    out[col] = [names.get(t, not_catalogued(t)) for t in out[col]]
    return out


def _models(result: PrioritiseResult, df: pd.DataFrame) -> pd.DataFrame:
    labels = {c: model_label(c, result.half_life_steps) for c in df.columns if c != "channel"}
    return _named(df, "channel", result.names).rename(columns=labels)


def part(result: PrioritiseResult, name: str) -> pd.DataFrame:
    """One table of the result with touchpoint names (ids kept where useful)."""
    names = result.names
    if name == "priorities":
        return result.ranking[["rank", "name", "score", "top3_share", "reason", "stage"]].copy()
    if name == "components":
        return result.ranking[["rank", "name", "experience", "sales", "reach", "effort", "importance", "csat",
                               "attribution_share", "dropoff_excess", "reach_share"]].copy()
    if name == "drivers":
        if result.drivers is None:
            return pd.DataFrame()
        cols = [c for c in ("driver", "relative_weight", "rw_ci_low", "rw_ci_high", "shapley", "shapley_ci_low",
                            "shapley_ci_high", "top3_share") if c in result.drivers.table.columns]
        return _named(result.drivers.table[cols], "driver", names)
    if name == "ipm":
        return _named(result.ipm, "touchpoint_id", names).rename(columns={"touchpoint_id": "name"})
    if name == "attribution":
        if result.markov is None:
            return pd.DataFrame()
        return _named(result.markov.table.sort_values("removal_effect", ascending=False), "channel", names)
    if name in ("models", "models_revenue"):
        return _models(result, result.models if name == "models" else result.models_revenue)
    if name == "friction":
        return _named(result.friction.drop(columns=["average"], errors="ignore"), "channel", names)
    if name == "roi":
        return _named(result.roi, "touchpoint_id", names).rename(columns={"touchpoint_id": "name"})
    if name == "paths":
        return result.paths.head(15).copy()
    raise DataError(f"unknown part '{name}'", hint="use " + ", ".join(PARTS[:-1]) + " or " + PARTS[-1])


def show(result: PrioritiseResult, name: str, caption: str | None = None,
         empty: str = NOTHING_TO_SHOW) -> display.HTML:
    """One table of the result, escaped and with readable column names."""
    df = part(result, name)
    if df.empty:
        return display.say("{note}", note=empty)
    if name == "ipm":
        df = df.rename(columns={"importance": "importance_share"})
    decimals = {"attribution": 1, "models": 1, "models_revenue": 0, "roi": 1}.get(name, 2)
    if name in ("attribution", "roi"):  # money without cents
        for c in [c for c in ("revenue", "cost", "attributed_revenue") if c in df.columns]:
            df[c] = [kpis.fmt_number(v, 0) for v in df[c]]
    percent = [PRETTY.get(c, c) for c in df.columns if c in PERCENT]
    if "importance_share" in df.columns:
        percent.append("Importance")
    pretty = df.rename(columns={**PRETTY, "importance_share": "Importance"})
    return display.show_table(pretty, caption=caption, percent=percent, decimals=decimals)


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] not in ("NP", "CS") else text


def _list(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _name(result: PrioritiseResult, touchpoint_id: str) -> str:
    return result.names.get(touchpoint_id, touchpoint_id)


def say_notes(result: PrioritiseResult) -> display.HTML:
    """Caveats met while computing (collinear drivers, missing data), or a short all-clear."""
    if not result.notes:
        return display.say("All parts of this step could be computed for {period}.", period=result.period)
    return display.HTML("<p class=\"tp-say\">Read with care:</p>" + display.bullets(result.notes).markup)


def _stability(stable: float) -> str:
    if stable >= 0.995:
        return "Each of them stays in the top three in every bootstrap resample."
    if stable >= 0.8:
        return "Each of them stays in the top three in at least {stable} of the bootstrap resamples."
    return "The order is not settled: the least stable of them is in the top three in only {stable} of the " \
           "bootstrap resamples."


def say_drivers(result: PrioritiseResult) -> display.HTML:
    kd = result.drivers
    if kd is None:
        why = driver_gap_text(result.driver_gap) if result.driver_gap is not None else "no relationship survey"
        return display.say("No key-driver analysis for {period}: {why}.", period=result.period, why=why)
    top = kd.table.head(3)
    stable = float(top["top3_share"].min())
    text = (f"Over {{window}} ({{n}} relationship-survey answers), the touchpoint ratings explain "
            f"{{r2}} of the variation in {OUTCOME_LABELS[result.outcome]}. The strongest drivers are "
            "{names}, which together account for {share} of what is explained. " + _stability(stable))
    return display.say(text, window=result.driver_window, n=kpis.fmt_count(kd.n), r2=_percent(kd.r2),
                       names=_list([_name(result, d) for d in top["driver"]]),
                       share=_percent(float(top["relative_weight"].sum())), stable=_percent(stable))


def say_ipm(result: PrioritiseResult) -> display.HTML:
    if result.ipm.empty:
        return display.say("The importance-performance matrix needs key drivers and current CSAT; "
                           "{period} lacks one of them.", period=result.period)
    fix = result.ipm[result.ipm["quadrant"] == "fix first"]
    keep = _list([_name(result, t) for t in result.ipm.loc[result.ipm["quadrant"] == "keep up", "touchpoint_id"]])
    if fix.empty:
        return display.say("No important touchpoint performs below average: keep up {keep}.",
                           keep=keep or "the current level")
    one = len(fix) == 1
    return display.say("Fix first: {fix} " + ("matters" if one else "matter") + " more than average for {outcome} "
                       "but " + ("scores" if one else "score") + " below the average CSAT. Keep up: {keep}.",
                       fix=_list([_name(result, t) for t in fix["touchpoint_id"]]), outcome=result.outcome_label,
                       keep=keep or "none")


def say_attribution(result: PrioritiseResult) -> display.HTML:
    mk = result.markov
    if mk is None or mk.total_conversions == 0:
        return display.say("No conversions to attribute in {period}.", period=result.period)
    t = mk.table.sort_values("removal_effect", ascending=False)
    lead = t.iloc[0]
    last = result.models.set_index("channel")["last_touch"]
    gap = (t.set_index("channel")["conversions"] - last.reindex(t["channel"]).to_numpy()).sort_values()
    return display.say(
        "Journeys that started in {period} converted with probability {p} ({conv} purchases). "
        "Without {lead} that probability would fall by {re}, the largest removal effect; the Markov model "
        "gives it {share} of the conversions. Compared with last-touch attribution, the Markov model credits "
        "{under} with {delta} more conversions: last-touch counting undervalues it.",
        period=result.period, p=kpis.fmt_percent(mk.conversion_probability, 1),
        conv=kpis.fmt_count(mk.total_conversions), lead=_name(result, lead["channel"]),
        re=_percent(float(lead["removal_effect"])), share=_percent(float(lead["share"])),
        under=_name(result, gap.index[-1]), delta=kpis.fmt_count(float(gap.iloc[-1])))


def say_friction(result: PrioritiseResult) -> display.HTML:
    fr = result.friction
    if fr.empty:
        return display.say("No journeys in {period}.", period=result.period)
    high = fr[fr["flag"] == "above average"]
    if high.empty:
        return display.say("No touchpoint loses clearly more journeys than the average of {avg}.",
                           avg=_percent(float(fr["average"].iloc[0])))
    worst = high.iloc[0]
    return display.say(
        "{worst}: {rate} of the journeys reaching it end there without a purchase (95% interval "
        "{lo} to {hi}), against an average of {avg}. {n} lose more journeys than the "
        "average with an interval that excludes it.",
        worst=_name(result, worst["channel"]), rate=_percent(float(worst["dropoff_rate"])),
        lo=_percent(float(worst["dropoff_ci_low"])), hi=_percent(float(worst["dropoff_ci_high"])),
        avg=_percent(float(worst["average"])),
        n="One touchpoint" if len(high) == 1 else f"{len(high)} touchpoints")


def say_roi(result: PrioritiseResult) -> display.HTML:
    if result.roi.empty:
        return display.say("No touchpoint costs are known for the quarters up to {period}, so there is no ROI.",
                           period=result.period)
    cur = result.roi[result.roi["period"] == result.roi["period"].max()]
    valued = cur.dropna(subset=["roi"]).sort_values("roi", ascending=False)
    unvalued = [_name(result, t) for t in cur.loc[cur["roi"].isna(), "touchpoint_id"]]
    one = len(unvalued) == 1
    tail = ("" if not unvalued else " " + _list(unvalued) + (" is" if one else " are")
            + " not on paths to purchase, so attribution cannot value " + ("it." if one else "them."))
    if valued.empty:
        return display.say("No touchpoint with known costs in {q} is on a path to purchase.{tail}",
                           q=str(cur["period"].iloc[0]), tail=tail)
    best, worst = valued.iloc[0], valued.iloc[-1]
    return display.say(
        "In {q}, with revenue attributed by the Markov model, {best} returned {b} {cur} per {cur} spent "
        "and {worst} {w}. ROI counts only revenue of journeys that started in the quarter and is "
        "attributed, not measured in an experiment.{tail}",
        q=str(best["period"]), best=_name(result, best["touchpoint_id"]),
        b=kpis.fmt_number(float(best["revenue_per_cost"]), 1), worst=_name(result, worst["touchpoint_id"]),
        w=kpis.fmt_number(float(worst["revenue_per_cost"]), 1), cur=result.currency, tail=tail)


def say_priorities(result: PrioritiseResult) -> display.HTML:
    r = result.ranking.sort_values("rank").head(3)
    if r.empty or not result.has_evidence:
        return display.say("There is no survey or journey data in {period} to rank the touchpoints by.",
                           period=result.period)
    first = r.iloc[0]
    w = result.weights
    text = "Top priorities for {period}: {names}. {first} ranks first with a score of {score} of 100 ({reason})."
    values = dict(period=result.period, names=_list(list(r["name"])), first=first["name"],
                  score=kpis.fmt_number(float(first["score"]), 0),
                  reason=_lower_first(str(first["reason"]).rstrip(".")))
    if pd.notna(first["top3_share"]):
        text += " It stays in the top three in {stable} of the bootstrap resamples."
        values["stable"] = _percent(float(first["top3_share"]))
    text += " Weights from client.yml: experience {we:g}, sales {ws:g}, reach {wr:g}, effort {wf:g}."
    values.update(we=w["experience"], ws=w["sales"], wr=w["reach"], wf=w["effort"])
    return display.say(text, **values)


def findings_text(result: PrioritiseResult) -> list[str]:
    """The headline sentences of step 3 for the executive summary."""
    out = []
    for _, row in result.top_priorities().iterrows():
        out.append(f"Priority {row['rank']}: {row['name']} (score {kpis.fmt_number(row['score'], 0)}): "
                   f"{row['reason']}")
    if result.drivers is not None:
        d = result.drivers.table.iloc[0]
        out.append(f"Strongest driver of {result.outcome_label}: {_name(result, d['driver'])} "
                   f"({_percent(d['relative_weight'])} of the explained variance)")
    if result.markov is not None and result.markov.total_conversions > 0:
        t = result.markov.table.sort_values("removal_effect", ascending=False).iloc[0]
        out.append(f"Largest Markov removal effect: {_name(result, t['channel'])} "
                   f"({_percent(t['removal_effect'])} of conversions would be lost without it)")
    high = result.friction[result.friction["flag"] == "above average"] if len(result.friction) else result.friction
    if len(high):
        h = high.iloc[0]
        out.append(f"Highest drop-off: {_name(result, h['channel'])} ({_percent(h['dropoff_rate'])} of "
                   f"journeys reaching it end there, average {_percent(h['average'])})")
    return out


# ---------------------------------------------------------------------------
# Complaint themes as a reason of the priority list
# ---------------------------------------------------------------------------

#: a complaint theme whose share grew by at least this factor "doubled"; by more than DOUBLED_MAX, "more than doubled"
DOUBLED_MIN, DOUBLED_MAX = 1.8, 2.5


def _complaint_growth(theme: str, now: float, before: float, previous: str) -> str:
    from helpers import i18n

    values = dict(theme=theme, now=_percent(now), before=_percent(before), previous=previous)
    if not before > 0:
        return i18n._("complaints about {theme} are new since {previous} ({now} of its texts)").format(**values)
    ratio = now / before
    if ratio > DOUBLED_MAX:
        text = i18n._("complaints about {theme} more than doubled since {previous} ({before} to {now} of its texts)")
    elif ratio >= DOUBLED_MIN:
        text = i18n._("complaints about {theme} doubled since {previous} ({before} to {now} of its texts)")
    else:
        text = i18n._("complaints about {theme} rose from {before} to {now} of its texts since {previous}")
    return text.format(**values)


def complaint_reason(row, table_row) -> str:
    """The complaint clause of one touchpoint's reason ("" when there is nothing to say).

    ``row``: the touchpoint's row of the complaint input (``rising_theme``, ``rising_share``,
    ``rising_previous_share``, ``negative_theme_share``, ``previous_share``, ``material``, ``change``,
    ``previous_period``); ``table_row``: its ranking row (``complaints``: the scaled component). In order: a
    complaint theme whose rise is material; else a material rise or fall of the touchpoint's negative-theme share;
    else, for the touchpoint with the largest share, that it has the most complaints.
    """
    from helpers import i18n

    previous = str(row.get("previous_period", ""))
    if isinstance(row.get("rising_theme"), str) and row["rising_theme"]:
        return _complaint_growth(row["rising_theme"], float(row["rising_share"]),
                                 float(row["rising_previous_share"]), previous)
    values = dict(now=_percent(row["negative_theme_share"]), before=_percent(row["previous_share"]),
                  previous=previous)
    if bool(row.get("material")) and pd.notna(row.get("change")):
        text = (i18n._("complaints rose from {before} to {now} of its texts since {previous}") if row["change"] > 0
                else i18n._("complaints fell from {before} to {now} of its texts since {previous}"))
        return text.format(**values)
    if pd.notna(table_row.get("complaints")) and table_row["complaints"] >= 1.0 and row["negative_theme_share"] > 0:
        return i18n._("the most complaints of any touchpoint ({now} of its texts)").format(**values)
    return ""


def complaint_reasons(table: pd.DataFrame, complaints: pd.DataFrame) -> list[str]:
    """The complaint clause of every row of a ranking (:func:`complaint_reason`; "" where there is none or the
    touchpoint's share does not count)."""
    rows = complaints.drop_duplicates("touchpoint_id").set_index("touchpoint_id")
    out = []
    for _, r in table.iterrows():
        counted = pd.notna(r.get("negative_theme_share"))
        out.append(complaint_reason(rows.loc[r["touchpoint_id"]], r)
                   if counted and r["touchpoint_id"] in rows.index else "")
    return out


def show_complaints(result: PrioritiseResult) -> display.HTML:
    """The negative-theme share of each touchpoint now and last period, the input of the complaint component."""
    from helpers import i18n

    c = result.complaints
    if c is None or not len(c):
        return display.say("{note}", note=i18n._("No comments or review texts to find complaint themes in."))
    df = pd.DataFrame({
        i18n._("Touchpoint"): [_name(result, t) for t in c["touchpoint_id"]],
        i18n._("Texts"): c["texts"].astype(int),
        i18n._("With a complaint theme"): c["negative_theme_share"],
        i18n._("95% low"): c["ci_low"], i18n._("95% high"): c["ci_high"],
        i18n._("Last period"): c["previous_share"], i18n._("Change"): c["change"],
        i18n._("Clear change"): [i18n._("yes") if m else "" for m in c["material"]],
        i18n._("Rising complaint"): c["rising_theme"],
    })
    percent = [i18n._(k) for k in ("With a complaint theme", "95% low", "95% high", "Last period", "Change")]
    return display.show_table(df, caption=i18n._("Share of texts with a complaint theme, against {previous}").format(
        previous=str(c["previous_period"].iloc[0])), percent=percent)
