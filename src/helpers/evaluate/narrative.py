"""Every word step 4 shows: verdict sentences, notes, overview, table headers, captions, figure labels.

KPI names and every number go through :mod:`helpers.kpis`, so an effect reads the same
here and in the executive summary ("+7.4 pp" in a table, "+7.4 percentage points" in a
sentence) and a p value is never in scientific notation. The functions take an
:class:`~helpers.evaluate.step.EvaluationResult` (or one of its table rows).
"""

from __future__ import annotations

import pandas as pd

from helpers import display, kpis
from helpers.evaluate.compute.verdicts import TOO_EARLY, TOO_LITTLE, VERDICTS, Verdict

DESIGN_NAMES = {
    "ab": "A/B test",
    "did": "difference-in-differences",
    "its": "interrupted time series",
    "none": "not evaluated",
}
CAPTION = "Did the changes move their KPIs?"
METHODS_CAPTION = "Methods and data behind each verdict"
NO_CHANGES = "No changes logged."
TABLE_COLUMNS = {"change": "Change", "kpi": "KPI", "design": "Design", "effect": "Effect", "ci": "95% CI",
                 "relative": "Relative", "p": "p", "p_adj": "Adjusted p", "mde": "MDE",
                 "power": "Power (5% change)", "verdict": "Verdict", "method": "Method",
                 "observations": "Observations", "checks": "Checks", "note": "Note"}
#: what a KPI is measured on, for the note on a client without that data
_TABLE_WORDS = {"events": "event data", "feedback": "survey responses"}
_CONSTANT_WHERE = {"its": "in every week", "did": "everywhere", "ab": "for every unit"}
_GROUP = {True: "treated", False: "control"}
_WHEN = {True: "after", False: "before"}


# ---------------------------------------------------------------------------
# KPI words and numbers
# ---------------------------------------------------------------------------


def kpi_name(kpi: str) -> str:
    """The KPI as a sentence names it ("conversion", "CSAT")."""
    return kpis.short(kpi)


def kpi_label(kpi: str) -> str:
    """The KPI as a table or an axis names it ("Conversion rate", "CSAT (1-5)")."""
    return kpis.label(kpi)


def change_words(kpi: str, v, currency: str | None = None, signed: bool = True) -> str:
    """A change in a sentence: "+7.4 percentage points", "0.25 points", "DKK 12", "+1,234 events per week"."""
    k = kpis.get(kpi)
    try:
        value = float(v)
    except (TypeError, ValueError):
        value = float("nan")
    if value != value:
        return "n/a"
    if k.unit == "currency":
        amount = kpis.fmt_money(abs(value), currency, k.decimals)
        text = kpis.fmt_change(kpi, value)
        sign = text[0] if signed and text[:1] in "+-" else ""
        return sign + amount
    text = kpis.fmt_change(kpi, value if signed else abs(value), long=True)
    if not signed:
        text = text.lstrip("+")
    return f"{text} events per week" if kpi == "volume" else text


def change_cell(kpi: str, v) -> str:
    """A change in a table cell ("+7.4 pp", "+0.25"); empty when unknown."""
    return kpis.fmt_change(kpi, v)


def _p(p) -> str:
    """"p = 0.012" or "p < 0.001"."""
    text = kpis.fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def p_words(p_adj) -> str:
    text = kpis.fmt_p(p_adj)
    return f"adjusted p {text}" if text.startswith("<") else f"adjusted p = {text}"


# ---------------------------------------------------------------------------
# Verdicts and notes
# ---------------------------------------------------------------------------


def reason(outcome_reason: str, detail: dict, kpi: str) -> str:
    """Why a change and KPI has no estimate (:data:`helpers.evaluate.compute.changes.REASONS`)."""
    d = detail
    if outcome_reason == "no values":
        return f"the data hold no {kpi_name(kpi)} values for this touchpoint in the window evaluated"
    if outcome_reason == "no data after":
        return "no data after the change"
    if outcome_reason == "too few weeks":
        return (f"{d['before']} usable weeks before and {d['after']} after the change "
                f"(at least {d['min_before']} and {d['min_after']} needed)")
    if outcome_reason == "too few weeks after":
        weeks = "week" if d["after"] == 1 else "weeks"
        return (f"only {d['after']} {weeks} of data after the change (at least {d['min_after']} needed); "
                f"the verdict can be given with data up to {d['from']:%Y-%m-%d}")
    if outcome_reason == "too few in a group":
        have = ", ".join(f"{_GROUP[t]} {_WHEN[p]}: {v}" for (t, p), v in d["cells"].items())
        return f"too few {d['unit']} in a group ({have})"
    if outcome_reason == "no ab column":
        what = "survey responses have" if d["table"] == "feedback" else "events have"
        return f"the {what} no A/B column '{d['column']}'"
    if outcome_reason == "ab variants":
        have = ", ".join(f"{k}: {v}" for k, v in d["counts"].items()) or "none"
        return f"an A/B test needs two variants with at least {d['min']} {d['unit']} each ({have})"
    if outcome_reason == "no table":
        return f"there are no {_TABLE_WORDS[d['table']]} for this client, and {kpi_name(kpi)} is measured on them"
    if outcome_reason == "error":
        return str(d.get("message", "")).rstrip(".")
    return outcome_reason


def note(outcome, kpi: str, currency: str | None = None) -> str:
    """The note of a table row: why there is no estimate, or the estimator's own caveat."""
    if outcome.status == "constant":
        value = kpis.fmt_level(kpi, outcome.detail["value"], currency=currency)
        return f"the KPI is {value} {_CONSTANT_WHERE[outcome.design]}: nothing to test"
    if outcome.status == TOO_LITTLE or (outcome.status == TOO_EARLY and outcome.reason):
        return reason(outcome.reason, outcome.detail, kpi)
    return outcome.result.note if outcome.result is not None else ""


# ---------------------------------------------------------------------------
# Checks: pre-trend, placebo, sample-ratio mismatch
# ---------------------------------------------------------------------------

_CHECK_NAMES = {"pretrend": "pre-trend", "placebo": "placebo", "srm": "sample ratio"}


def failed_checks(outcome) -> tuple[str, ...]:
    """The checks of an outcome that failed: ``"pretrend"``, ``"placebo"`` (DiD, ITS), ``"srm"`` (A/B)."""
    if outcome is None or outcome.result is None:
        return ()
    failed = [k for k in ("pretrend", "placebo") if k in outcome.checks and outcome.checks[k].passed is False]
    if outcome.result.extra.get("srm"):
        failed.append("srm")
    return tuple(failed)


def checks_cell(outcome) -> str:
    """The checks column of the methods table: "pre-trend passed (p = 0.41); placebo failed (p = 0.012)"."""
    if outcome is None or outcome.result is None:
        return ""
    parts = []
    for key in ("pretrend", "placebo"):
        c = outcome.checks.get(key)
        if c is None:
            continue
        name = _CHECK_NAMES[key] + (f" {c.weeks} weeks earlier" if key == "placebo" and c.weeks else "")
        if c.passed is None:
            parts.append(f"{name} not run ({c.reason})")
        else:
            parts.append(f"{name} {'passed' if c.passed else 'failed'} ({_p(c.p)})")
    if "srm_p" in outcome.result.extra and outcome.design == "ab":
        ok = not outcome.result.extra.get("srm")
        parts.append(f"sample ratio {'as planned' if ok else 'mismatch'} ({_p(outcome.result.extra['srm_p'])})")
    return "; ".join(parts)


def _caveat(outcome, key: str) -> str:
    """Why a failed check makes the estimate doubtful, in a clause."""
    if key == "srm":
        ex = outcome.result.extra
        exp = ex["expected"]
        return (f"the variants have {kpis.fmt_count(ex['n_control'])} ({ex['control']}) and "
                f"{kpis.fmt_count(ex['n_treatment'])} ({ex['treatment']}) units where the planned split expects "
                f"about {kpis.fmt_count(round(exp.get(ex['control'], 0)))} and "
                f"{kpis.fmt_count(round(exp.get(ex['treatment'], 0)))} (sample-ratio mismatch, "
                f"{_p(ex['srm_p'])}): the assignment may be broken and the comparison biased")
    c = outcome.checks[key]
    if outcome.design == "did":
        if key == "pretrend":
            return (f"the groups already diverged before it (their gap trended before the change, "
                    f"pre-trend check {_p(c.p)})")
        return (f"the groups already moved apart before it (a placebo change date {c.weeks} weeks earlier shows a "
                f"shift too, {_p(c.p)})")
    if key == "pretrend":
        return (f"the series was not on a straight line before it (curvature check {_p(c.p)}), so the "
                "extended trend is a doubtful counterfactual")
    return (f"the series already shifted before it (a placebo change date {c.weeks} weeks earlier shows a shift "
            f"too, {_p(c.p)})")


def _caveats(row: dict, verdict: Verdict) -> str:
    out = row.get("_outcome")
    if not verdict.warnings or out is None:
        return ""
    return " and ".join(_caveat(out, k) for k in verdict.warnings)


def verdict_text(row: dict, verdict: Verdict, currency: str | None = None) -> str:
    """The verdict in a sentence, with the estimate, its interval and the adjusted p value.

    A failed pre-trend check, placebo or sample-ratio check keeps the verdict but changes its
    wording: "the change coincides with a rise ..., but the groups already diverged before it".
    """
    kpi = row["kpi"]
    if verdict.basis == TOO_EARLY:
        if row.get("note"):
            return f"Too early to tell: {row['note']}."
        return f"Too early: the change starts on {row['start']}, after the period ends."
    if verdict.basis == TOO_LITTLE:
        return f"Too little data to evaluate: {row['note']}."
    if verdict.basis == "constant":
        return f"No detectable change: {row['note']}."
    eff, p_adj = row["effect"], row["p_adj"]
    ci = (f"95% CI {change_words(kpi, row['ci_low'], currency)} to {change_words(kpi, row['ci_high'], currency)}; "
          f"{p_words(p_adj)}")
    caveats = _caveats(row, verdict)
    if verdict.basis == "significant":
        word = "rose" if verdict.rose else "fell"
        size = change_words(kpi, abs(eff), currency, signed=False)
        if caveats:
            noun = "rise" if verdict.rose else "fall"
            lead = "Moved as expected" if verdict.verdict == VERDICTS[0] else "Moved against expectation"
            return (f"{lead}, with a caveat: the change coincides with a {noun} of {size} in {kpi_name(kpi)} "
                    f"({ci}), but {caveats}.")
        if verdict.verdict == VERDICTS[0]:
            return f"Moved as expected: {kpi_name(kpi)} {word} by {size} ({ci})."
        expected = "rise" if verdict.expected_up else "fall"
        return (f"Moved against expectation: {kpi_name(kpi)} {word} by {size} although a {expected} was "
                f"expected ({ci}).")
    mde = row["mde"]
    mde_txt = ""
    if pd.notna(mde):
        mde_txt = (f"; with this volume only changes of about {change_words(kpi, mde, currency, signed=False)} "
                   "or more would have been detected reliably (80% power after the adjustment)")
    tail = f" Caution: {caveats}." if caveats else ""
    return f"No detectable change: the estimate is {change_words(kpi, eff, currency)} ({ci}){mde_txt}.{tail}"


# ---------------------------------------------------------------------------
# What the notebook shows
# ---------------------------------------------------------------------------


def say_overview(result) -> display.HTML:
    t = result.table
    if t.empty:
        return display.say("The changes log of {client} is empty: there is nothing to evaluate. Log changes under "
                           "<code>changes:</code> in client.yml.", client=result.title or result.client)
    counts = t["verdict"].value_counts()
    parts = [f"{counts[v]} {v}" for v in VERDICTS if v in counts]
    return display.say(
        "{n_changes} logged change(s) and {n_tests} change-KPI pair(s) were evaluated with data up to the end of "
        "{period}: {summary}. P values are adjusted for the {n_p} tests of this report (Benjamini-Hochberg); a "
        "change counts as moved when its adjusted p value is below {alpha}.",
        n_changes=t["change_id"].nunique(), n_tests=len(t), period=result.period, summary="; ".join(parts),
        n_p=int(t["p"].notna().sum()), alpha=kpis.fmt_number(result.alpha, 2))


def say_verdicts(result) -> display.HTML:
    items = [f"{r.change_id} ({r.description}), {kpi_name(r.kpi)} by {r.design}: {r.verdict_text}"
             for r in result.table.itertuples()]
    return display.bullets(items or ["No changes to evaluate."])


def display_table(result) -> pd.DataFrame:
    """The verdict table formatted for readers (effects in the KPI's unit, percentage points for rates)."""
    t = result.table
    c = TABLE_COLUMNS
    return pd.DataFrame({
        c["change"]: t["change_id"],
        c["kpi"]: [kpi_label(k) for k in t["kpi"]],
        c["design"]: t["design"],
        c["effect"]: [change_cell(k, v) for k, v in zip(t["kpi"], t["effect"])],
        c["ci"]: [kpis.fmt_interval(k, a, b) for k, a, b in zip(t["kpi"], t["ci_low"], t["ci_high"])],
        c["relative"]: [kpis.fmt_percent(v, 1, sign=True) for v in t["relative_effect"]],
        c["p"]: [kpis.fmt_p(v) for v in t["p"]],
        c["p_adj"]: [kpis.fmt_p(v) for v in t["p_adj"]],
        c["mde"]: [change_cell(k, v).lstrip("+") for k, v in zip(t["kpi"], t["mde"])],
        c["power"]: [kpis.fmt_percent(v, 0) for v in t["power"]],
        c["verdict"]: t["verdict"],
    })


def show(result, caption: str = CAPTION) -> display.HTML:
    if result.table.empty:
        return display.HTML(f'<p class="tp-note">{display.esc(NO_CHANGES)}</p>')
    return display.show_table(display_table(result), caption=caption)


def methods_table(result) -> pd.DataFrame:
    t = result.table
    c = TABLE_COLUMNS
    observations = [f"{kpis.fmt_count(n)} {u}" if n else "" for n, u in zip(t["n"], t["unit"])]
    return pd.DataFrame({c["change"]: t["change_id"], c["kpi"]: [kpi_label(k) for k in t["kpi"]],
                         c["method"]: t["method"], c["observations"]: observations, c["checks"]: t["checks"],
                         c["note"]: t["note"]})


def show_methods(result) -> display.HTML:
    return display.show_table(methods_table(result), caption=METHODS_CAPTION)


def findings_lines(result) -> list[str]:
    """One headline per change and KPI for the executive summary."""
    return [f"{r.change_id} ({kpi_name(r.kpi)}): {r.verdict_text}" for r in result.table.itertuples()]


# ---------------------------------------------------------------------------
# Figure labels
# ---------------------------------------------------------------------------

FIGURE_LABELS = {
    "its_observed": "weekly value",
    "its_fit_before": "fitted before",
    "its_fit_after": "fitted after",
    "its_counterfactual": "without the change (trend extended)",
    "its_band": "95% interval of that trend",
    "did_treated": "changed touchpoint",
    "did_control": "control",
    "did_counterfactual": "changed touchpoint without the change (control + earlier gap)",
    "did_band": "95% interval",
}


def figure_label(key: str) -> str:
    return FIGURE_LABELS[key]


def variant_label(variant: str, control: bool) -> str:
    return f"variant {variant}" + (" (control)" if control else "")


def variant_counterfactual(variant: str) -> str:
    return f"variant {variant} without the change"


def variant_band(variant: str) -> str:
    return f"95% interval of variant {variant}'s mean"


def change_line(start) -> str:
    return f"change ({start:%Y-%m-%d})"


def panel_title(kpi: str, design: str, verdict: str) -> str:
    return f"{kpi_label(kpi)}: {design}, {verdict}"


def figure_title(change_id: str, description: str) -> str:
    return f"{change_id}: {description}"
