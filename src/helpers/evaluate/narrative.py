"""Every word step 4 shows: verdict sentences, notes, overview, table headers, captions, figure labels.

KPI names and every number go through :mod:`helpers.kpis`, so an effect reads the same
here and in the executive summary ("+7.4 pp" in a table, "+7.4 percentage points" in a
sentence) and a p value is never in scientific notation. The functions take an
:class:`~helpers.evaluate.step.EvaluationResult` (or one of its table rows).
"""

from __future__ import annotations

import pandas as pd

from helpers import display, i18n, kpis
from helpers.evaluate.compute.verdicts import AGAINST, MOVED, NO_CHANGE, TOO_EARLY, TOO_LITTLE, VERDICTS, Verdict
from helpers.i18n import N_, _, ngettext, pgettext


class Messages(dict):
    """A dict of messages marked with ``N_``: looking one up gives it in the active language."""

    def __getitem__(self, key):
        return _(super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default


#: the evaluation designs; the step writes them into its table in the report's language
DESIGN_NAMES = Messages({
    "ab": N_("A/B test"),
    "did": N_("difference-in-differences"),
    "its": N_("interrupted time series"),
    "none": N_("not evaluated"),
})
CAPTION = N_("Did the changes move their KPIs?")
METHODS_CAPTION = N_("Methods and data behind each verdict")
NO_CHANGES = N_("No changes logged.")
TABLE_COLUMNS = Messages({"change": N_("Change"), "kpi": N_("KPI"), "design": N_("Design"), "effect": N_("Effect"),
                          "ci": N_("95% CI"), "relative": N_("Relative"), "p": "p", "p_adj": N_("Adjusted p"),
                          "mde": N_("MDE"), "power": N_("Power (5% change)"), "verdict": N_("Verdict"),
                          "method": N_("Method"), "observations": N_("Observations"), "checks": N_("Checks"),
                          "note": N_("Note")})
# Translators: {value} is the KPI's one value ("4.0", "12.5%")
_CONSTANT_WHERE = Messages({"its": N_("the KPI is {value} in every week: nothing to test"),
                            "did": N_("the KPI is {value} everywhere: nothing to test"),
                            "ab": N_("the KPI is {value} for every unit: nothing to test")})
#: the cells of a difference-in-differences: (treated, after the change); {n} is a count
_GROUP = Messages({(True, True): N_("treated after: {n}"), (True, False): N_("treated before: {n}"),
                   (False, True): N_("control after: {n}"), (False, False): N_("control before: {n}")})
#: the units an evaluation counts, each a message with its plural forms
_UNITS = {
    "weeks": lambda n: ngettext("{n} week", "{n} weeks", n),
    "responses": lambda n: ngettext("{n} response", "{n} responses", n),
    "journeys": lambda n: ngettext("{n} journey", "{n} journeys", n),
    "customers": lambda n: ngettext("{n} customer", "{n} customers", n),
    "events": lambda n: ngettext("{n} event", "{n} events", n),
    "units": lambda n: ngettext("{n} unit", "{n} units", n),
}


# ---------------------------------------------------------------------------
# KPI words and numbers
# ---------------------------------------------------------------------------


def kpi_name(kpi: str) -> str:
    """The KPI as a sentence names it ("conversion", "CSAT")."""
    return kpis.short(kpi)


def kpi_label(kpi: str) -> str:
    """The KPI as a table or an axis names it ("Conversion rate", "CSAT (1-5)")."""
    return kpis.label(kpi)


def verdict_name(verdict: str) -> str:
    """A verdict (one of :data:`VERDICTS`) in the active language; any other text as it is."""
    words = {MOVED: pgettext("verdict", "moved as expected"), AGAINST: pgettext("verdict", "moved against expectation"),
             NO_CHANGE: pgettext("verdict", "no detectable change"), TOO_EARLY: pgettext("verdict", "too early"),
             TOO_LITTLE: pgettext("verdict", "too little data")}
    return words.get(verdict, str(verdict))


def units(n, unit: str) -> str:
    """``n`` with the unit an evaluation counts: "12 weeks", "1 response"."""
    n = int(n)
    if unit in _UNITS:
        return _UNITS[unit](n).format(n=kpis.fmt_count(n))
    return f"{kpis.fmt_count(n)} {unit}"


def unit_word(unit: str) -> str:
    """What an evaluation counts, as a plural noun in the active language ("weeks", "responses")."""
    words = {"weeks": pgettext("counted unit", "weeks"), "responses": pgettext("counted unit", "responses"),
             "journeys": pgettext("counted unit", "journeys"), "customers": pgettext("counted unit", "customers"),
             "events": pgettext("counted unit", "events"), "units": pgettext("counted unit", "units")}
    return words.get(unit, str(unit))


def _day(day) -> str:
    """A date in a sentence: ISO in English (as the reports always wrote it), the language's own form otherwise."""
    if i18n.active() == "en":
        return day if isinstance(day, str) else f"{day:%Y-%m-%d}"
    try:
        return i18n.fmt_date(pd.Timestamp(day).date())
    except ValueError:
        return str(day)


def change_words(kpi: str, v, currency: str | None = None, signed: bool = True) -> str:
    """A change in a sentence: "+7.4 percentage points", "0.25 points", "DKK 12", "+1,234 events per week"."""
    k = kpis.get(kpi)
    try:
        value = float(v)
    except (TypeError, ValueError):
        value = float("nan")
    if value != value:
        # Translators: a value that is not available
        return _("n/a")
    if k.unit == "currency":
        amount = kpis.fmt_money(abs(value), currency, k.decimals)
        text = kpis.fmt_change(kpi, value)
        sign = text[0] if signed and text[:1] in "+-" else ""
        return sign + amount
    text = kpis.fmt_change(kpi, value if signed else abs(value), long=True)
    if not signed:
        text = text.lstrip("+")
    # Translators: {change} is a signed number of events ("+1,234")
    return _("{change} events per week").format(change=text) if kpi == "volume" else text


def change_cell(kpi: str, v) -> str:
    """A change in a table cell ("+7.4 pp", "+0.25"); empty when unknown."""
    return kpis.fmt_change(kpi, v)


def _p(p) -> str:
    """"p = 0.012" or "p < 0.001"."""
    text = kpis.fmt_p(p)
    # Translators: {p} is a p value below a bound ("< 0.001")
    return _("p {p}").format(p=text) if text.startswith("<") else _("p = {p}").format(p=text)


def p_words(p_adj) -> str:
    text = kpis.fmt_p(p_adj)
    # Translators: {p} is a p value adjusted for multiple tests, below a bound ("< 0.001")
    return _("adjusted p {p}").format(p=text) if text.startswith("<") else _("adjusted p = {p}").format(p=text)


# ---------------------------------------------------------------------------
# Verdicts and notes
# ---------------------------------------------------------------------------


def reason(outcome_reason: str, detail: dict, kpi: str) -> str:
    """Why a change and KPI has no estimate (:data:`helpers.evaluate.compute.changes.REASONS`)."""
    d = detail
    if outcome_reason == "no values":
        # Translators: {kpi} is a KPI ("conversion", "CSAT")
        return _("the data hold no {kpi} values for this touchpoint in the window evaluated").format(kpi=kpi_name(kpi))
    if outcome_reason == "no data after":
        return _("no data after the change")
    if outcome_reason == "too few weeks":
        # Translators: {before}, {after}, {min_before} and {min_after} are numbers of weeks
        return ngettext("{before} usable week before and {after} after the change "
                        "(at least {min_before} and {min_after} needed)",
                        "{before} usable weeks before and {after} after the change "
                        "(at least {min_before} and {min_after} needed)", int(d["before"])).format(
            before=kpis.fmt_count(d["before"]), after=kpis.fmt_count(d["after"]),
            min_before=kpis.fmt_count(d["min_before"]), min_after=kpis.fmt_count(d["min_after"]))
    if outcome_reason == "too few weeks after":
        # Translators: {weeks} is a count of weeks ("1 week"), {min_after} a number, {day} a date
        return _("only {weeks} of data after the change (at least {min_after} needed); "
                 "the verdict can be given with data up to {day}").format(
            weeks=units(d["after"], "weeks"), min_after=kpis.fmt_count(d["min_after"]), day=_day(d["from"]))
    if outcome_reason == "too few in a group":
        have = ", ".join(_GROUP[(bool(t), bool(p))].format(n=kpis.fmt_count(v)) for (t, p), v in d["cells"].items())
        # Translators: {unit} is what is counted ("weeks", "responses"), {have} the counts per group
        return _("too few {unit} in a group ({have})").format(unit=unit_word(d["unit"]), have=have)
    if outcome_reason == "no ab column":
        if d["table"] == "feedback":
            # Translators: {column} is the name of a column in the client's data
            return _("the survey responses have no A/B column '{column}'").format(column=d["column"])
        return _("the events have no A/B column '{column}'").format(column=d["column"])
    if outcome_reason == "ab variants":
        # Translators: {variant} is an A/B variant as the data name it, {n} a count
        have = ", ".join(_("{variant}: {n}").format(variant=k, n=kpis.fmt_count(v)) for k, v in d["counts"].items())
        # Translators: {units} is a count with its noun ("10 responses"), {have} the counts per variant
        return _("an A/B test needs two variants with at least {units} each ({have})").format(
            units=units(d["min"], d["unit"]), have=have or pgettext("no variants", "none"))
    if outcome_reason == "no table":
        if d["table"] == "feedback":
            # Translators: {kpi} is a KPI ("CSAT")
            return _("there are no survey responses for this client, and {kpi} is measured on them").format(
                kpi=kpi_name(kpi))
        return _("there are no event data for this client, and {kpi} is measured on them").format(kpi=kpi_name(kpi))
    if outcome_reason == "error":
        return str(d.get("message", "")).rstrip(".")
    return outcome_reason


def note(outcome, kpi: str, currency: str | None = None) -> str:
    """The note of a table row: why there is no estimate, or the estimator's own caveat."""
    if outcome.status == "constant":
        value = kpis.fmt_level(kpi, outcome.detail["value"], currency=currency)
        return _CONSTANT_WHERE[outcome.design].format(value=value)
    if outcome.status == TOO_LITTLE or (outcome.status == TOO_EARLY and outcome.reason):
        return reason(outcome.reason, outcome.detail, kpi)
    return outcome.result.note if outcome.result is not None else ""


# ---------------------------------------------------------------------------
# Checks: pre-trend, placebo, sample-ratio mismatch
# ---------------------------------------------------------------------------

_CHECK_NAMES = Messages({"pretrend": N_("pre-trend"), "placebo": N_("placebo"), "srm": N_("sample ratio")})


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
        name = _CHECK_NAMES[key]
        if key == "placebo" and c.weeks:
            # Translators: a check of a change's effect on an earlier, made-up change date; {n} is a number of weeks
            name = ngettext("placebo {n} week earlier", "placebo {n} weeks earlier", int(c.weeks)).format(
                n=kpis.fmt_count(c.weeks))
        if c.passed is None:
            # Translators: {check} is a check ("pre-trend"), {reason} why it was not run
            parts.append(_("{check} not run ({reason})").format(check=name, reason=c.reason))
        elif c.passed:
            # Translators: {check} is a check ("pre-trend"), {p} a p value ("p = 0.41")
            parts.append(_("{check} passed ({p})").format(check=name, p=_p(c.p)))
        else:
            parts.append(_("{check} failed ({p})").format(check=name, p=_p(c.p)))
    if "srm_p" in outcome.result.extra and outcome.design == "ab":
        ok = not outcome.result.extra.get("srm")
        p = _p(outcome.result.extra["srm_p"])
        # Translators: the sample-ratio check of an A/B test; {p} is a p value ("p = 0.41")
        parts.append((_("sample ratio as planned ({p})") if ok else _("sample ratio mismatch ({p})")).format(p=p))
    return "; ".join(parts)


def _caveat(outcome, key: str) -> str:
    """Why a failed check makes the estimate doubtful, in a clause."""
    if key == "srm":
        ex = outcome.result.extra
        exp = ex["expected"]
        # Translators: {nc} and {nt} are numbers of units, {control} and {treatment} A/B variants as the data
        # name them, {ec} and {et} the numbers the planned split expects, {p} a p value ("p < 0.001")
        return _("the variants have {nc} ({control}) and {nt} ({treatment}) units where the planned split expects "
                 "about {ec} and {et} (sample-ratio mismatch, {p}): the assignment may be broken and the "
                 "comparison biased").format(
            nc=kpis.fmt_count(ex["n_control"]), control=ex["control"], nt=kpis.fmt_count(ex["n_treatment"]),
            treatment=ex["treatment"], ec=kpis.fmt_count(round(exp.get(ex["control"], 0))),
            et=kpis.fmt_count(round(exp.get(ex["treatment"], 0))), p=_p(ex["srm_p"]))
    c = outcome.checks[key]
    values = dict(p=_p(c.p), weeks=kpis.fmt_count(c.weeks) if c.weeks is not None else "")
    if outcome.design == "did":
        if key == "pretrend":
            # Translators: a clause after "but"; {p} is a p value ("p = 0.012")
            return _("the groups already diverged before it (their gap trended before the change, "
                     "pre-trend check {p})").format(**values)
        # Translators: a clause after "but"; {weeks} is a number of weeks, {p} a p value ("p = 0.012")
        return _("the groups already moved apart before it (a placebo change date {weeks} weeks earlier shows a "
                 "shift too, {p})").format(**values)
    if key == "pretrend":
        return _("the series was not on a straight line before it (curvature check {p}), so the "
                 "extended trend is a doubtful counterfactual").format(**values)
    return _("the series already shifted before it (a placebo change date {weeks} weeks earlier shows a shift "
             "too, {p})").format(**values)


def _caveats(row: dict, verdict: Verdict) -> str:
    out = row.get("_outcome")
    if not verdict.warnings or out is None:
        return ""
    text = ""
    for k in verdict.warnings:
        # Translators: joins two reasons to doubt an estimate
        text = _caveat(out, k) if not text else _("{first} and {second}").format(first=text, second=_caveat(out, k))
    return text


def verdict_text(row: dict, verdict: Verdict, currency: str | None = None) -> str:
    """The verdict in a sentence, with the estimate, its interval and the adjusted p value.

    A failed pre-trend check, placebo or sample-ratio check keeps the verdict but changes its
    wording: "the change coincides with a rise ..., but the groups already diverged before it".
    """
    kpi = row["kpi"]
    if verdict.basis == TOO_EARLY:
        if row.get("note"):
            # Translators: {note} says why (a clause starting in lower case)
            return _("Too early to tell: {note}.").format(note=row["note"])
        # Translators: {start} is the change's start date
        return _("Too early: the change starts on {start}, after the period ends.").format(start=_day(row["start"]))
    if verdict.basis == TOO_LITTLE:
        return _("Too little data to evaluate: {note}.").format(note=row["note"])
    if verdict.basis == "constant":
        return _("No detectable change: {note}.").format(note=row["note"])
    eff, p_adj = row["effect"], row["p_adj"]
    # Translators: {lo} and {hi} are changes ("+1.2 percentage points"), {p} an adjusted p value ("adjusted p = 0.01")
    ci = _("95% CI {lo} to {hi}; {p}").format(lo=change_words(kpi, row["ci_low"], currency),
                                              hi=change_words(kpi, row["ci_high"], currency), p=p_words(p_adj))
    caveats = _caveats(row, verdict)
    # Translators: in the verdicts, {kpi} is a KPI ("conversion"), {size} an unsigned change ("7.4 percentage
    # points"), {ci} its interval and adjusted p value, {caveats} reasons to doubt the estimate
    values = dict(kpi=kpi_name(kpi), ci=ci, caveats=caveats)
    if verdict.basis == "significant":
        values["size"] = change_words(kpi, abs(eff), currency, signed=False)
        if caveats:
            if verdict.verdict == VERDICTS[0]:
                text = (_("Moved as expected, with a caveat: the change coincides with a rise of {size} in {kpi} "
                          "({ci}), but {caveats}.") if verdict.rose else
                        _("Moved as expected, with a caveat: the change coincides with a fall of {size} in {kpi} "
                          "({ci}), but {caveats}."))
            else:
                text = (_("Moved against expectation, with a caveat: the change coincides with a rise of {size} in "
                          "{kpi} ({ci}), but {caveats}.") if verdict.rose else
                        _("Moved against expectation, with a caveat: the change coincides with a fall of {size} in "
                          "{kpi} ({ci}), but {caveats}."))
            return text.format(**values)
        if verdict.verdict == VERDICTS[0]:
            text = (_("Moved as expected: {kpi} rose by {size} ({ci}).") if verdict.rose else
                    _("Moved as expected: {kpi} fell by {size} ({ci})."))
            return text.format(**values)
        if verdict.rose:
            text = (_("Moved against expectation: {kpi} rose by {size} although a fall was expected ({ci}).")
                    if not verdict.expected_up else
                    _("Moved against expectation: {kpi} rose by {size} although a rise was expected ({ci})."))
        else:
            text = (_("Moved against expectation: {kpi} fell by {size} although a rise was expected ({ci}).")
                    if verdict.expected_up else
                    _("Moved against expectation: {kpi} fell by {size} although a fall was expected ({ci})."))
        return text.format(**values)
    mde = row["mde"]
    values["estimate"] = change_words(kpi, eff, currency)
    if pd.notna(mde):
        values["mde"] = change_words(kpi, mde, currency, signed=False)
        # Translators: {estimate} is a signed change, {mde} the smallest change the data could detect
        text = _("No detectable change: the estimate is {estimate} ({ci}); with this volume only changes of about "
                 "{mde} or more would have been detected reliably (80% power after the adjustment).")
    else:
        text = _("No detectable change: the estimate is {estimate} ({ci}).")
    tail = (" " + _("Caution: {caveats}.")) if caveats else ""
    return (text + tail).format(**values)


# ---------------------------------------------------------------------------
# What the notebook shows
# ---------------------------------------------------------------------------


def say_overview(result) -> display.HTML:
    t = result.table
    if t.empty:
        return display.say(_("The changes log of {client} is empty: there is nothing to evaluate. Log changes under "
                             "<code>changes:</code> in client.yml."), client=result.title or result.client)
    counts = t["verdict"].value_counts()
    parts = [_verdict_count(v, int(counts[v])) for v in VERDICTS if v in counts]
    n_changes, n_p = int(t["change_id"].nunique()), int(t["p"].notna().sum())
    # Translators: {changes} and {pairs} are counts with their nouns ("2 logged changes", "3 change-KPI pairs"),
    # {summary} the count of each verdict, {tests} a count ("5 tests"), {alpha} a number ("0.05")
    return display.say(
        _("{changes} and {pairs} were evaluated with data up to the end of "
          "{period}: {summary}. P values are adjusted for the {tests} of this report (Benjamini-Hochberg); a "
          "change counts as moved when its adjusted p value is below {alpha}."),
        changes=ngettext("{n} logged change", "{n} logged changes", n_changes).format(n=kpis.fmt_count(n_changes)),
        pairs=ngettext("{n} change-KPI pair", "{n} change-KPI pairs", len(t)).format(n=kpis.fmt_count(len(t))),
        period=result.period, summary="; ".join(parts),
        tests=ngettext("{n} test", "{n} tests", n_p).format(n=kpis.fmt_count(n_p)),
        alpha=kpis.fmt_number(result.alpha, 2))


def _verdict_count(verdict: str, n: int) -> str:
    """How many change-KPI pairs got ``verdict``: "2 moved as expected"."""
    words = {
        MOVED: ngettext("{n} moved as expected", "{n} moved as expected", n),
        AGAINST: ngettext("{n} moved against expectation", "{n} moved against expectation", n),
        NO_CHANGE: ngettext("{n} no detectable change", "{n} no detectable change", n),
        TOO_EARLY: ngettext("{n} too early", "{n} too early", n),
        TOO_LITTLE: ngettext("{n} too little data", "{n} too little data", n),
    }
    return words[verdict].format(n=kpis.fmt_count(n)) if verdict in words else f"{kpis.fmt_count(n)} {verdict}"


def say_verdicts(result) -> display.HTML:
    # Translators: {change} is a change id ("CH-checkout"), {description} what was changed, {kpi} a KPI, {design}
    # an evaluation design ("A/B test"), {verdict} the verdict sentence
    items = [_("{change} ({description}), {kpi} by {design}: {verdict}").format(
        change=r.change_id, description=r.description, kpi=kpi_name(r.kpi), design=r.design, verdict=r.verdict_text)
        for r in result.table.itertuples()]
    return display.bullets(items or [_("No changes to evaluate.")])


def _change_labels(t: pd.DataFrame) -> list:
    """Each change named by what was changed, with its id small (the id alone without a description)."""
    descriptions = t["description"] if "description" in t else [None] * len(t)
    return [display.change_label(i, d) for i, d in zip(t["change_id"], descriptions)]


def display_table(result) -> pd.DataFrame:
    """The verdict table formatted for readers (effects in the KPI's unit, percentage points for rates)."""
    t = result.table
    c = TABLE_COLUMNS
    return pd.DataFrame({
        c["change"]: _change_labels(t),
        c["kpi"]: [kpi_label(k) for k in t["kpi"]],
        c["design"]: t["design"],
        c["effect"]: [change_cell(k, v) for k, v in zip(t["kpi"], t["effect"])],
        c["ci"]: [kpis.fmt_interval(k, a, b) for k, a, b in zip(t["kpi"], t["ci_low"], t["ci_high"])],
        c["relative"]: [kpis.fmt_percent(v, 1, sign=True) for v in t["relative_effect"]],
        c["p"]: [kpis.fmt_p(v) for v in t["p"]],
        c["p_adj"]: [kpis.fmt_p(v) for v in t["p_adj"]],
        c["mde"]: [change_cell(k, v).lstrip("+") for k, v in zip(t["kpi"], t["mde"])],
        c["power"]: [kpis.fmt_percent(v, 0) for v in t["power"]],
        c["verdict"]: [verdict_name(v) for v in t["verdict"]],
    })


def show(result, caption: str = CAPTION) -> display.HTML:
    if result.table.empty:
        return display.HTML(f'<p class="tp-note">{display.esc(_(NO_CHANGES))}</p>')
    return display.show_table(display_table(result), caption=_(caption))


def methods_table(result) -> pd.DataFrame:
    t = result.table
    c = TABLE_COLUMNS
    observations = [units(n, u) if n else "" for n, u in zip(t["n"], t["unit"])]
    return pd.DataFrame({c["change"]: _change_labels(t), c["kpi"]: [kpi_label(k) for k in t["kpi"]],
                         c["method"]: t["method"], c["observations"]: observations, c["checks"]: t["checks"],
                         c["note"]: t["note"]})


def show_methods(result) -> display.HTML:
    return display.show_table(methods_table(result), caption=_(METHODS_CAPTION))


def findings_lines(result) -> list[str]:
    """One headline per change and KPI for the executive summary."""
    # the client reads what was changed; the id only where the change has no description
    # Translators: {change} is what was changed ("New checkout page") or its id, {kpi} a KPI, {verdict} the verdict
    return [_("{change} ({kpi}): {verdict}").format(change=_described(r), kpi=kpi_name(r.kpi), verdict=r.verdict_text)
            for r in result.table.itertuples()]


def _described(row) -> str:
    description = getattr(row, "description", None)
    return str(description) if isinstance(description, str) and description.strip() else str(row.change_id)


# ---------------------------------------------------------------------------
# Figure labels
# ---------------------------------------------------------------------------

FIGURE_LABELS = Messages({
    "its_observed": N_("weekly value"),
    "its_fit_before": N_("fitted before"),
    "its_fit_after": N_("fitted after"),
    "its_counterfactual": N_("without the change (trend extended)"),
    "its_band": N_("95% interval of that trend"),
    "did_treated": N_("changed touchpoint"),
    # Translators: the control group of a difference-in-differences
    "did_control": N_("control"),
    "did_counterfactual": N_("changed touchpoint without the change (control + earlier gap)"),
    "did_band": N_("95% interval"),
})


def figure_label(key: str) -> str:
    return FIGURE_LABELS[key]


def variant_label(variant: str, control: bool) -> str:
    # Translators: {variant} is an A/B variant as the data name it ("A", "new")
    return _("variant {variant} (control)").format(variant=variant) if control else _("variant {variant}").format(
        variant=variant)


def variant_counterfactual(variant: str) -> str:
    return _("variant {variant} without the change").format(variant=variant)


def variant_band(variant: str) -> str:
    return _("95% interval of variant {variant}'s mean").format(variant=variant)


def change_line(start) -> str:
    # Translators: the legend of the line at the change's start date
    return _("change ({day})").format(day=_day(start))


def panel_title(kpi: str, design: str, verdict: str) -> str:
    # Translators: a panel title; {kpi} is a KPI label, {design} an evaluation design, {verdict} the verdict
    return _("{kpi}: {design}, {verdict}").format(kpi=kpi_label(kpi), design=design, verdict=verdict_name(verdict))


def figure_title(change_id: str, description: str) -> str:
    # Translators: {change} is a change id ("CH-checkout"), {description} what was changed
    return _("{change}: {description}").format(change=change_id, description=description)
