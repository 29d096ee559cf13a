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
from helpers.i18n import N_, _, ngettext, pgettext

if TYPE_CHECKING:  # annotations only: the step imports this module
    from helpers.prioritise.step import PrioritiseResult


class Messages(dict):
    """A dict of messages marked with ``N_``: looking one up gives it in the active language."""

    def __getitem__(self, key):
        return _(super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------

#: the overall outcome of the relationship survey, in a sentence and in short
OUTCOME_LABELS = Messages({"nps": N_("likelihood to recommend (NPS question)"), "csat": N_("overall satisfaction")})
OUTCOME_SHORT = Messages({"nps": N_("NPS"), "csat": N_("overall satisfaction")})

#: attribution models as a reader sees them (column headers, legend, ROI model)
MODEL_LABELS = Messages({
    "markov": N_("Markov (removal effect)"),
    "first_touch": N_("First touch"),
    "last_touch": N_("Last touch"),
    "linear": N_("Linear"),
    "time_decay": N_("Time decay"),
    "position_based": N_("Position-based (40/20/40)"),
})


def model_label(column: str, half_life_steps: float = 2.0) -> str:
    """The header of an attribution model column (``time_decay_7d``: "Time decay (7-day half-life)")."""
    if column == "time_decay":
        decimals = len(f"{half_life_steps:g}".partition(".")[2])
        # Translators: an attribution model; {n} is the half-life in steps of a journey
        return _("Time decay ({n}-step half-life)").format(n=kpis.fmt_number(half_life_steps, decimals))
    if column.startswith("time_decay_"):
        # Translators: an attribution model; {n} is the half-life in days
        return _("Time decay ({n}-day half-life)").format(n=column.removeprefix("time_decay_").removesuffix("d"))
    return MODEL_LABELS.get(column, column.replace("_", " ").capitalize())


def not_catalogued(touchpoint_id: str) -> str:
    """How a touchpoint seen in the data but missing from client.yml is named."""
    # Translators: {id} is a touchpoint id found in the data but missing from the client's catalogue
    return _("{id} (not catalogued)").format(id=touchpoint_id)


def stage_name(stage: str) -> str:
    """A journey stage in the active language, lower case (the words of step 1)."""
    from helpers.identify.narrative import stage_name as name

    return name(stage)


def quadrant_name(quadrant: str) -> str:
    """A quadrant of the importance-performance matrix in the active language, lower case."""
    words = {"fix first": pgettext("quadrant", "fix first"), "keep up": pgettext("quadrant", "keep up"),
             "possible overkill": pgettext("quadrant", "possible overkill"),
             "low priority": pgettext("quadrant", "low priority")}
    return words.get(quadrant, str(quadrant))


def flag_name(flag: str) -> str:
    """A drop-off flag ("above average", "below average") in the active language."""
    words = {"above average": pgettext("drop-off flag", "above average"),
             "below average": pgettext("drop-off flag", "below average")}
    return words.get(flag, str(flag))


# ---------------------------------------------------------------------------
# Notes met while computing
# ---------------------------------------------------------------------------

NO_JOURNEYS = N_("no journeys started in the period")
NO_CONVERSIONS = N_("no journey that started in the period converted, so nothing can be attributed")


def driver_gap_text(gap) -> str:
    """Why there is no key-driver analysis (``gap``: :class:`helpers.prioritise.compute.DriverGap`)."""
    if gap.reason == "no_feedback":
        return _("there is no feedback data")
    if gap.reason == "invalid":
        return gap.message
    # Translators: {answers} and {drivers} are counts with their nouns ("7 answers", "1 touchpoint");
    # {min_ratings} and {min_answers} are numbers
    return _("the relationship survey has {answers} and {drivers} with at least {min_ratings} ratings in the "
             "period used; key-driver analysis needs at least {min_answers} answers and two touchpoints").format(
        answers=ngettext("{n} answer", "{n} answers", int(gap.answers)).format(n=kpis.fmt_count(gap.answers)),
        drivers=ngettext("{n} touchpoint", "{n} touchpoints", int(gap.drivers)).format(n=kpis.fmt_count(gap.drivers)),
        min_ratings=kpis.fmt_count(gap.min_ratings), min_answers=kpis.fmt_count(gap.min_answers))


def driver_sample_note(sampled: int, total: int) -> str:
    # Translators: {sampled} and {total} are counts of relationship surveys
    return _("the key drivers are estimated on a random sample of {sampled} of the {total} relationship surveys "
             "of the past year, plenty for stable estimates").format(
        sampled=kpis.fmt_count(sampled), total=kpis.fmt_count(total))


def no_drivers_note(gap) -> str:
    # Translators: {why} says why (e.g. "there is no feedback data")
    return _("no key-driver analysis: {why}").format(why=driver_gap_text(gap))


# ---------------------------------------------------------------------------
# Reasons of the priority list
# ---------------------------------------------------------------------------

def _ordinal(n: int) -> str:
    """``n`` as an ordinal: "1st", "2nd" (each language's own form: "1.", "1:a")."""
    if 10 <= n % 100 <= 20:
        # Translators: ordinal of a number ending in 11-19 (English "11th"; Danish "11.", Swedish "11:e")
        text = pgettext("ordinal 11-19", "{n}th")
    elif n % 10 == 1:
        # Translators: ordinal of a number ending in 1 but not 11 (English "21st"; Swedish "21:a")
        text = pgettext("ordinal ending in 1", "{n}st")
    elif n % 10 == 2:
        # Translators: ordinal of a number ending in 2 but not 12 (English "22nd"; Swedish "22:a")
        text = pgettext("ordinal ending in 2", "{n}nd")
    elif n % 10 == 3:
        # Translators: ordinal of a number ending in 3 but not 13 (English "23rd"; Swedish "23:e")
        text = pgettext("ordinal ending in 3", "{n}rd")
    else:
        # Translators: ordinal of any other number (English "4th"; Danish "4.", Swedish "4:e")
        text = pgettext("ordinal", "{n}th")
    return text.format(n=n)


def _percent(v) -> str:
    return kpis.fmt_percent(v, 0)


def _csat(v) -> str:
    return kpis.fmt_number(v, 1)


def _csat_clause(table: pd.DataFrame, i: int, avg: float) -> str:
    row = table.iloc[i]
    same = table[(table["stage"] == row["stage"]) & table["csat"].notna()]
    values = dict(csat=_csat(row["csat"]), stage=stage_name(row["stage"]))
    if len(same) > 1 and row["csat"] <= same["csat"].min():
        # Translators: {stage} is a journey stage ("decision")
        return _("CSAT {csat}, the lowest of the {stage} stage").format(**values)
    if len(same) > 1 and row["csat"] >= same["csat"].max():
        return _("CSAT {csat}, the highest of the {stage} stage").format(**values)
    if row["csat"] < avg:
        return _("CSAT {csat} (below average)").format(**values)
    return _("CSAT {csat} (above average)").format(**values)


def _impact_clause(k: int, n_drivers: int, outcome: str) -> str:
    values = dict(outcome=outcome, rank=_ordinal(k), n=n_drivers)
    if k <= max(1, round(n_drivers / 3)):
        # Translators: {outcome} is the survey outcome ("NPS"), {rank} an ordinal ("2nd"), {n} the number of drivers
        return ngettext("high impact on {outcome} ({rank} of {n} driver)",
                        "high impact on {outcome} ({rank} of {n} drivers)", n_drivers).format(**values)
    if k <= round(2 * n_drivers / 3):
        return ngettext("moderate impact on {outcome} ({rank} of {n} driver)",
                        "moderate impact on {outcome} ({rank} of {n} drivers)", n_drivers).format(**values)
    return ngettext("low impact on {outcome} ({rank} of {n} driver)",
                    "low impact on {outcome} ({rank} of {n} drivers)", n_drivers).format(**values)


def _sales_phrase(row, flag) -> str:
    bits = []
    if pd.notna(row["attribution_share"]) and row["attribution_share"] > 0:
        # Translators: part of a touchpoint's reason; {share} is a percentage
        bits.append(_("{share} of conversions attributed").format(share=_percent(row["attribution_share"])))
    if flag == "above average" and pd.notna(row["dropoff_excess"]) and row["dropoff_excess"] >= 0.02:
        points = round(float(row["dropoff_excess"]) * 100)
        bits.append(ngettext("{n} percentage point more drop-off than average",
                             "{n} percentage points more drop-off than average", points).format(
            n=kpis.fmt_number(row["dropoff_excess"] * 100, 0)))
    # Translators: joins the two sales parts of a reason
    return _("{first} and {second}").format(first=bits[0], second=bits[1]) if len(bits) == 2 else "".join(bits)


def _join_clauses(clauses: list[str]) -> str:
    text = clauses[0]
    for more in clauses[1:]:
        # Translators: joins two parts of a touchpoint's reason for its priority
        text = _("{first}; {second}").format(first=text, second=more)
    return text


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
            text = _impact_clause(int(imp_rank.iloc[i]), n_drivers, outcome)
            if pd.notna(row["csat"]):
                # Translators: a touchpoint's impact ("high impact on NPS (1st of 2 drivers)") and its CSAT
                text = _("{impact}, {csat}").format(impact=text, csat=_csat_clause(table, i, avg_csat))
            phrases.append((w["experience"] * row["experience"] + 1e-9, text))
        elif pd.notna(row["csat"]):
            # Translators: {csat} is a touchpoint's CSAT clause ("CSAT 3.2 (below average)")
            phrases.append((w["experience"] * 0.0, _("{csat} (too few survey ratings to measure its impact)").format(
                csat=_csat_clause(table, i, avg_csat))))
        sales = _sales_phrase(row, friction_flags[i] if friction_flags is not None else None)
        if sales:
            phrases.append((w["sales"] * row["sales"] + 1e-9, sales))
        if pd.notna(row["reach_share"]) and row["reach_share"] > 0:
            phrases.append((w["reach"] * row["reach"],
                            _("reaches {share} of journeys").format(share=_percent(row["reach_share"]))))
        if not phrases:
            out.append(_("No survey ratings or journey data in the period: measure it before prioritising"))
            continue
        phrases.sort(key=lambda p: -p[0])
        clauses = [p[1] for p in phrases[:2]]
        if pd.notna(row["effort"]) and row["effort"] >= 0.75 and w["effort"] > 0:
            clauses.append(_("hard to change (effort 4-5 of 5)"))
        text = _join_clauses(clauses)
        out.append(text[0].upper() + text[1:])
    return out


# ---------------------------------------------------------------------------
# Figure titles
# ---------------------------------------------------------------------------

#: the words inside the charts (titles, axis labels, legends, empty-chart notes), translated when looked up
FIGURE_TEXT = Messages({
    "ipm_title": N_("Importance for {outcome} against current performance"),
    "ipm_empty": N_("no key-driver data for this period"),
    "ipm_x": N_("Current CSAT (1-5)"),
    "ipm_y": N_("Importance for {outcome} (share of explained variance, square-root scale)"),
    "attribution_title": N_("Attributed {value} by model"),
    "attribution_x": N_("attributed {value}"),
    "no_journeys": N_("no journeys in this period"),
    "friction_title": N_("Journeys that end without purchase right after each touchpoint"),
    "friction_average": N_("average {avg}"),
    "friction_x": N_("share of journeys reaching the touchpoint that end right after it without purchase"),
    "priority_title": N_("Priority score and what it is made of"),
    "priority_empty": N_("nothing to rank"),
    "priority_experience": N_("experience impact"),
    "priority_sales": N_("sales impact"),
    "priority_reach": N_("reach"),
    "priority_effort": N_("effort (subtracted)"),
    "priority_complaints": N_("complaints"),
    "priority_stability": N_("(top 3 in {share} of resamples)"),
    "priority_x": N_("priority score (0-100)"),
})


def ipm_title(result: PrioritiseResult) -> str:
    # Translators: {outcome} is the survey outcome ("NPS"), {period} the period ("2026Q3")
    return _("Importance for {outcome} against current CSAT, {period}").format(outcome=result.outcome_label,
                                                                               period=result.period)


def attribution_unit(result: PrioritiseResult, value: str) -> str:
    if value == "conversions":
        return _("conversions")
    # Translators: {currency} is a currency code ("DKK")
    return _("revenue ({currency})").format(currency=result.currency)


def attribution_title(result: PrioritiseResult, value: str) -> str:
    # Translators: {value} is "conversions" or "revenue (DKK)", {period} the period ("2026Q3")
    return _("Attributed {value} by model, journeys started in {period}").format(
        value=attribution_unit(result, value), period=result.period)


# ---------------------------------------------------------------------------
# Tables for readers
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": N_("Touchpoint id"), "name": N_("Touchpoint"), "rank": N_("Rank"), "score": N_("Score"),
    "reason": N_("Why"), "top3_share": N_("In top 3 (resamples)"), "stage": N_("Stage"),
    "experience": N_("Experience impact"), "sales": N_("Sales impact"), "reach": N_("Reach (relative)"),
    "effort": N_("Effort"), "importance": N_("Importance"), "csat": N_("CSAT"),
    "attribution_share": N_("Attribution share"), "dropoff_excess": N_("Drop-off vs average"),
    "reach_share": N_("Share of journeys"), "driver": N_("Touchpoint"), "relative_weight": N_("Relative weight"),
    "rw_ci_low": N_("RW 95% low"), "rw_ci_high": N_("RW 95% high"), "shapley": N_("Shapley R2 share"),
    "shapley_ci_low": N_("Shapley 95% low"), "shapley_ci_high": N_("Shapley 95% high"),
    "performance": N_("CSAT now"), "quadrant": N_("Quadrant"), "channel": N_("Touchpoint"),
    "reached": N_("Journeys reaching"), "dropoffs": N_("Ended there"), "dropoff_rate": N_("Drop-off rate"),
    "dropoff_ci_low": N_("95% low"), "dropoff_ci_high": N_("95% high"), "average": N_("Average"),
    "excess": N_("Difference"), "flag": N_("Compared with average"), "period": N_("Quarter"), "model": N_("Model"),
    "cost": N_("Cost"), "attributed_revenue": N_("Attributed revenue"), "roi": N_("ROI"),
    "revenue_per_cost": N_("Revenue per unit cost"), "removal_effect": N_("Removal effect"), "share": N_("Share"),
    "removal_effect_revenue": N_("Removal effect (revenue)"),
    "conversions": N_("Conversions"), "revenue": N_("Revenue"), "path": N_("Path"), "journeys": N_("Journeys"),
    "nulls": N_("Without purchase"), "ratings": N_("Ratings"), "top2box": N_("Top-2-box"),
    "importance_share": N_("Importance"),
}

#: columns holding shares, shown in percent
PERCENT = ("top3_share", "importance", "attribution_share", "dropoff_excess", "reach_share", "relative_weight",
           "rw_ci_low", "rw_ci_high", "shapley", "shapley_ci_low", "shapley_ci_high", "dropoff_rate",
           "dropoff_ci_low", "dropoff_ci_high", "excess", "roi", "removal_effect", "share", "performance_share",
           "removal_effect_revenue", "importance_share")
PARTS = ("priorities", "components", "drivers", "ipm", "attribution", "models", "models_revenue", "friction",
         "roi", "paths")
NOTHING_TO_SHOW = N_("Nothing to show for this period.")


def header(column: str) -> str:
    """The column header of ``column`` in the active language."""
    if column == "top2box":
        return kpis.short("top2box").capitalize()
    return _(PRETTY[column]) if column in PRETTY else column


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
         empty: str | None = None) -> display.HTML:
    """One table of the result, escaped and with readable column names."""
    df = part(result, name)
    if df.empty:
        return display.say("{note}", note=_(NOTHING_TO_SHOW) if empty is None else _(empty))
    if name == "ipm":
        df = df.rename(columns={"importance": "importance_share"})
    decimals = {"attribution": 1, "models": 1, "models_revenue": 0, "roi": 1}.get(name, 2)
    if name in ("attribution", "roi"):  # money without cents
        for c in [c for c in ("revenue", "cost", "attributed_revenue") if c in df.columns]:
            df[c] = [kpis.fmt_number(v, 0) for v in df[c]]
    words = {"quadrant": quadrant_name, "flag": flag_name, "stage": stage_name}
    for c in [c for c in words if c in df.columns]:
        df[c] = [v if pd.isna(v) or v == "" else words[c](v) for v in df[c]]
    percent = [header(c) for c in df.columns if c in PERCENT]
    pretty = df.rename(columns={c: header(c) for c in df.columns})
    return display.show_table(pretty, caption=caption, percent=percent, decimals=decimals)


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] not in ("NP", "CS") else text


def _list(items: list[str]) -> str:
    """Items as the active language lists them: "A, B and C"."""
    from helpers.identify.narrative import listing

    return listing(items)


def _name(result: PrioritiseResult, touchpoint_id: str) -> str:
    return result.names.get(touchpoint_id, touchpoint_id)


def say_notes(result: PrioritiseResult) -> display.HTML:
    """Caveats met while computing (collinear drivers, missing data), or a short all-clear."""
    if not result.notes:
        return display.say(_("All parts of this step could be computed for {period}."), period=result.period)
    # notes are messages of this module (translated here) or sentences already in the report's language
    notes = [_(n) for n in result.notes]
    return display.HTML("<p class=\"tp-say\">" + display.esc(_("Read with care:")) + "</p>"
                        + display.bullets(notes).markup)


def _stability(stable: float) -> str:
    if stable >= 0.995:
        return _("Each of them stays in the top three in every bootstrap resample.")
    if stable >= 0.8:
        # Translators: {stable} is a percentage
        return _("Each of them stays in the top three in at least {stable} of the bootstrap resamples.")
    return _("The order is not settled: the least stable of them is in the top three in only {stable} of the "
             "bootstrap resamples.")


def say_drivers(result: PrioritiseResult) -> display.HTML:
    kd = result.drivers
    if kd is None:
        why = driver_gap_text(result.driver_gap) if result.driver_gap is not None else _("no relationship survey")
        # Translators: {why} says why (e.g. "there is no feedback data")
        return display.say(_("No key-driver analysis for {period}: {why}."), period=result.period, why=why)
    top = kd.table.head(3)
    stable = float(top["top3_share"].min())
    # Translators: {window} is the survey window ("2026Q2 to 2026Q3"), {n} a count, {r2} and {share} percentages,
    # {outcome} the survey outcome ("likelihood to recommend (NPS question)"), {names} a list of touchpoints
    text = _("Over {window} ({n} relationship-survey answers), the touchpoint ratings explain {r2} of the variation "
             "in {outcome}. The strongest drivers are {names}, which together account for {share} of what is "
             "explained.")
    first, _sep, last = result.driver_window.partition(" to ")
    # Translators: a span of periods, e.g. "2025Q4 to 2026Q3"
    window = _("{first} to {last}").format(first=first, last=last) if last else result.driver_window
    return display.say(text + " " + _stability(stable), window=window, n=kpis.fmt_count(kd.n),
                       r2=_percent(kd.r2), outcome=OUTCOME_LABELS[result.outcome],
                       names=_list([_name(result, d) for d in top["driver"]]),
                       share=_percent(float(top["relative_weight"].sum())), stable=_percent(stable))


def say_ipm(result: PrioritiseResult) -> display.HTML:
    if result.ipm.empty:
        return display.say(_("The importance-performance matrix needs key drivers and current CSAT; "
                             "{period} lacks one of them."), period=result.period)
    fix = result.ipm[result.ipm["quadrant"] == "fix first"]
    keep = _list([_name(result, t) for t in result.ipm.loc[result.ipm["quadrant"] == "keep up", "touchpoint_id"]])
    if fix.empty:
        # Translators: {keep} lists touchpoints, or reads "the current level"
        return display.say(_("No important touchpoint performs below average: keep up {keep}."),
                           keep=keep or _("the current level"))
    # Translators: {fix} and {keep} list touchpoints ({keep} may read "none"); {outcome} is "NPS" or similar
    text = ngettext("Fix first: {fix} matters more than average for {outcome} but scores below the average CSAT. "
                    "Keep up: {keep}.",
                    "Fix first: {fix} matter more than average for {outcome} but score below the average CSAT. "
                    "Keep up: {keep}.", len(fix))
    return display.say(text, fix=_list([_name(result, t) for t in fix["touchpoint_id"]]),
                       outcome=result.outcome_label, keep=keep or pgettext("no touchpoints", "none"))


def say_attribution(result: PrioritiseResult) -> display.HTML:
    mk = result.markov
    if mk is None or mk.total_conversions == 0:
        return display.say(_("No conversions to attribute in {period}."), period=result.period)
    t = mk.table.sort_values("removal_effect", ascending=False)
    lead = t.iloc[0]
    last = result.models.set_index("channel")["last_touch"]
    gap = (t.set_index("channel")["conversions"] - last.reindex(t["channel"]).to_numpy()).sort_values()
    return display.say(
        # Translators: {p}, {re} and {share} are percentages, {conv} and {delta} counts, {lead} and {under} touchpoints
        _("Journeys that started in {period} converted with probability {p} ({conv} purchases). "
          "Without {lead} that probability would fall by {re}, the largest removal effect; the Markov model "
          "gives it {share} of the conversions. Compared with last-touch attribution, the Markov model credits "
          "{under} with {delta} more conversions: last-touch counting undervalues it."),
        period=result.period, p=kpis.fmt_percent(mk.conversion_probability, 1),
        conv=kpis.fmt_count(mk.total_conversions), lead=_name(result, lead["channel"]),
        re=_percent(float(lead["removal_effect"])), share=_percent(float(lead["share"])),
        under=_name(result, gap.index[-1]), delta=kpis.fmt_count(float(gap.iloc[-1])))


def say_friction(result: PrioritiseResult) -> display.HTML:
    fr = result.friction
    if fr.empty:
        return display.say(_("No journeys in {period}."), period=result.period)
    high = fr[fr["flag"] == "above average"]
    if high.empty:
        # Translators: {avg} is a percentage
        return display.say(_("No touchpoint loses clearly more journeys than the average of {avg}."),
                           avg=_percent(float(fr["average"].iloc[0])))
    worst = high.iloc[0]
    # Translators: {worst} is a touchpoint; {rate}, {lo}, {hi} and {avg} are percentages
    first = _("{worst}: {rate} of the journeys reaching it end there without a purchase (95% interval "
              "{lo} to {hi}), against an average of {avg}.")
    second = ngettext("One touchpoint loses more journeys than the average with an interval that excludes it.",
                      "{n} touchpoints lose more journeys than the average with an interval that excludes it.",
                      len(high))
    return display.say(
        first + " " + second,
        worst=_name(result, worst["channel"]), rate=_percent(float(worst["dropoff_rate"])),
        lo=_percent(float(worst["dropoff_ci_low"])), hi=_percent(float(worst["dropoff_ci_high"])),
        avg=_percent(float(worst["average"])), n=kpis.fmt_count(len(high)))


def say_roi(result: PrioritiseResult) -> display.HTML:
    if result.roi.empty:
        return display.say(_("No touchpoint costs are known for the quarters up to {period}, so there is no ROI."),
                           period=result.period)
    cur = result.roi[result.roi["period"] == result.roi["period"].max()]
    valued = cur.dropna(subset=["roi"]).sort_values("roi", ascending=False)
    unvalued = [_name(result, t) for t in cur.loc[cur["roi"].isna(), "touchpoint_id"]]
    # Translators: {names} lists touchpoints
    tail = ("" if not unvalued else " " + ngettext(
        "{names} is not on paths to purchase, so attribution cannot value it.",
        "{names} are not on paths to purchase, so attribution cannot value them.", len(unvalued)).format(
        names=_list(unvalued)))
    if valued.empty:
        return display.say(_("No touchpoint with known costs in {q} is on a path to purchase.") + "{tail}",
                           q=str(cur["period"].iloc[0]), tail=tail)
    best, worst = valued.iloc[0], valued.iloc[-1]
    return display.say(
        # Translators: {q} is a quarter ("2026Q3"), {best} and {worst} touchpoints, {b} and {w} numbers, {cur} a
        # currency code ("DKK")
        _("In {q}, with revenue attributed by the Markov model, {best} returned {b} {cur} per {cur} spent "
          "and {worst} {w}. ROI counts only revenue of journeys that started in the quarter and is "
          "attributed, not measured in an experiment.") + "{tail}",
        q=str(best["period"]), best=_name(result, best["touchpoint_id"]),
        b=kpis.fmt_number(float(best["revenue_per_cost"]), 1), worst=_name(result, worst["touchpoint_id"]),
        w=kpis.fmt_number(float(worst["revenue_per_cost"]), 1), cur=result.currency, tail=tail)


def _weights(w: dict) -> str:
    def num(v) -> str:
        return kpis.fmt_number(v, len(f"{v:g}".partition(".")[2]))

    # Translators: the four priority weights from client.yml (numbers)
    return _("Weights from client.yml: experience {we}, sales {ws}, reach {wr}, effort {wf}.").format(
        we=num(w["experience"]), ws=num(w["sales"]), wr=num(w["reach"]), wf=num(w["effort"]))


def say_priorities(result: PrioritiseResult) -> display.HTML:
    r = result.ranking.sort_values("rank").head(3)
    if r.empty or not result.has_evidence:
        return display.say(_("There is no survey or journey data in {period} to rank the touchpoints by."),
                           period=result.period)
    first = r.iloc[0]
    # Translators: {names} lists touchpoints, {first} is one of them, {score} a number, {reason} why it ranks first
    text = _("Top priorities for {period}: {names}. {first} ranks first with a score of {score} of 100 "
             "({reason}).")
    values = dict(period=result.period, names=_list(list(r["name"])), first=first["name"],
                  score=kpis.fmt_number(float(first["score"]), 0),
                  reason=_lower_first(str(first["reason"]).rstrip(".")))
    if pd.notna(first["top3_share"]):
        # Translators: {stable} is a percentage
        text += " " + _("It stays in the top three in {stable} of the bootstrap resamples.")
        values["stable"] = _percent(float(first["top3_share"]))
    text += " {weights}"
    values["weights"] = _weights(result.weights)
    return display.say(text, **values)


def findings_text(result: PrioritiseResult) -> list[str]:
    """The headline sentences of step 3 for the executive summary."""
    out = []
    for _i, row in result.top_priorities().iterrows():
        # Translators: {rank} is a number, {name} a touchpoint, {score} a number, {reason} why it ranks there
        out.append(_("Priority {rank}: {name} (score {score}): {reason}").format(
            rank=row["rank"], name=row["name"], score=kpis.fmt_number(row["score"], 0), reason=row["reason"]))
    if result.drivers is not None:
        d = result.drivers.table.iloc[0]
        # Translators: {outcome} is "NPS" or similar, {name} a touchpoint, {share} a percentage
        out.append(_("Strongest driver of {outcome}: {name} ({share} of the explained variance)").format(
            outcome=result.outcome_label, name=_name(result, d["driver"]), share=_percent(d["relative_weight"])))
    if result.markov is not None and result.markov.total_conversions > 0:
        t = result.markov.table.sort_values("removal_effect", ascending=False).iloc[0]
        out.append(_("Largest Markov removal effect: {name} ({share} of conversions would be lost without it)").format(
            name=_name(result, t["channel"]), share=_percent(t["removal_effect"])))
    high = result.friction[result.friction["flag"] == "above average"] if len(result.friction) else result.friction
    if len(high):
        h = high.iloc[0]
        # Translators: {name} is a touchpoint, {rate} and {avg} percentages
        out.append(_("Highest drop-off: {name} ({rate} of journeys reaching it end there, average {avg})").format(
            name=_name(result, h["channel"]), rate=_percent(h["dropoff_rate"]), avg=_percent(h["average"])))
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
    for _i, r in table.iterrows():
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
        i18n._("Last period"): c["previous_share"], i18n.pgettext("difference of a KPI", "Change"): c["change"],
        i18n._("Clear change"): [i18n._("yes") if m else "" for m in c["material"]],
        i18n._("Rising complaint"): c["rising_theme"],
    })
    percent = [i18n._("With a complaint theme"), i18n._("95% low"), i18n._("95% high"), i18n._("Last period"),
               i18n.pgettext("difference of a KPI", "Change")]
    return display.show_table(df, caption=i18n._("Share of texts with a complaint theme, against {previous}").format(
        previous=str(c["previous_period"].iloc[0])), percent=percent)
