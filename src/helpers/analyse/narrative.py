"""Every word step 2 shows: sentences (``say_*``), findings, table parts and column headers,
figure titles and axis labels. KPI labels and number formats come from :mod:`helpers.kpis`.

Functions take the :class:`~helpers.analyse.step.AnalyseResult` (any object with its
attributes) and return escaped HTML (:mod:`helpers.display`) or plain strings.
"""

from __future__ import annotations

import pandas as pd
from babel import Locale, UnknownLocaleError

from helpers import display, i18n, journeys, kpis, sentiment
from helpers.analyse.compute import segment_gap, significant_changes
from helpers.config import STAGES
from helpers.errors import DataError
from helpers.i18n import N_, _, ngettext, pgettext


class Messages(dict):
    """A dict of messages marked with ``N_``: looking one up gives it in the active language."""

    def __getitem__(self, key):
        return _(super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default


# Translators: a value that is not available
NA = N_("n/a")
NO_INTERVAL = N_("no interval")

#: titles, axis labels and legends of the figures (see :mod:`helpers.analyse.figures`), translated when looked up
FIGURE = Messages({
    "kpi_title": N_("KPIs with 95% intervals"),
    "no_interval": N_("no interval (n < 2)"),
    "stage": N_("Stage"),
    # Translators: {kpi} is a KPI in lower case ("conversion rate")
    "trend_title": N_("Weekly {kpi}"),
    "week": N_("week"),
    "no_data": N_("no data"),
    "transition_title": N_("Where journeys go next (share of the moves from each row)"),
    "no_journeys": N_("no journeys"),
    # Translators: the axis of the touchpoints a journey moves from
    "from": N_("from"),
    # Translators: the axis of the touchpoints a journey moves to
    "to": N_("to"),
    "funnel_title": N_("Stage funnel: journeys reaching each stage"),
    # Translators: after the number of journeys of a stage; {rate}, {lo} and {hi} are percentages
    "funnel_next": N_("-> next stage {rate} ({lo}-{hi})"),
    "journeys": N_("journeys"),
    "sentiment_title": N_("Sentiment of comments and reviews (share of texts, 95% intervals)"),
    "no_texts": N_("no texts"),
    "sentiment_axis": N_("share of texts: negative <- | -> positive"),
    "negative": N_("negative"),
    "positive": N_("positive"),
})


def pct(v) -> str:
    """A share in percent with one decimal ("30.1%"), ``n/a`` when missing."""
    return kpis.fmt_percent(v, 1) or _(NA)


def interval(lo, hi, percent: bool = True, digits: int = 2) -> str:
    """A level interval: "28.3% to 31.9%" (shares) or "3.81 to 4.02"."""
    if pd.isna(lo) or pd.isna(hi):
        return _(NO_INTERVAL)
    if percent:
        # Translators: an interval, e.g. "28.3% to 31.9%"
        return _("{lo} to {hi}").format(lo=pct(lo), hi=pct(hi))
    return _("{lo} to {hi}").format(lo=kpis.fmt_number(lo, digits), hi=kpis.fmt_number(hi, digits))


def change(kpi: str, v, long: bool = False) -> str:
    """A change of a KPI in its unit ("+7.4 pp"), ``n/a`` when missing."""
    return kpis.fmt_change(kpi, v, long=long) or _(NA)


def change_interval(kpi: str, lo, hi) -> str:
    return kpis.fmt_interval(kpi, lo, hi) or _(NO_INTERVAL)


def duration(days: float) -> str:
    """A span in days as words: minutes below an hour, hours below two days, else days."""
    if days is None or pd.isna(days):
        return _(NA)
    if days < 1 / 24:
        minutes = round(days * 1440)
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=kpis.fmt_count(minutes))
    if days < 2:
        # Translators: {n} is a number with one decimal ("12.0")
        return _("{n} hours").format(n=kpis.fmt_number(days * 24, 1))
    # Translators: {n} is a number with one decimal ("3.2")
    return _("{n} days").format(n=kpis.fmt_number(days, 1))


#: the counted nouns of this step, each a message with its plural forms
_NOUNS = {
    "event": lambda n: ngettext("{n} event", "{n} events", n),
    "customer": lambda n: ngettext("{n} customer", "{n} customers", n),
    "journey": lambda n: ngettext("{n} journey", "{n} journeys", n),
    "response": lambda n: ngettext("{n} response", "{n} responses", n),
    "review": lambda n: ngettext("{n} review", "{n} reviews", n),
    "purchase": lambda n: ngettext("{n} purchase", "{n} purchases", n),
    "text": lambda n: ngettext("{n} text", "{n} texts", n),
    "customers' orders": lambda n: ngettext("{n} customer's orders", "{n} customers' orders", n),
}


def _counted(noun: str, n) -> str:
    """``n`` with its noun in the active language: "1 event", "1,234 events"."""
    n = int(n)
    return _NOUNS[noun](n).format(n=kpis.fmt_count(n))


def stage_name(stage: str) -> str:
    """A journey stage in the active language, lower case (the words of step 1)."""
    from helpers.analyse.queries import UNKNOWN
    from helpers.identify.narrative import stage_name as name

    if stage == UNKNOWN:
        # Translators: the stage of a touchpoint found in the data but missing from the client's catalogue
        return pgettext("journey stage", "(not catalogued)")
    return name(stage)


def _list(items) -> str:
    """Items as the active language lists them: "A, B and C"."""
    from helpers.identify.narrative import listing

    return listing(items)


def comparison_name(kind: str, label: str, other: str) -> str:
    """The period a change is measured against: "previous quarter (2026Q2)", "same quarter last year (2025Q3)".

    ``kind``: the period's kind ("quarter", "month"); ``label``: "previous" or "last year"; ``other``: the
    label of the period compared with.
    """
    kinds = {"quarter": pgettext("period kind", "quarter"), "month": pgettext("period kind", "month"),
             "year": pgettext("period kind", "year"), "week": pgettext("period kind", "week")}
    values = dict(kind=kinds.get(kind, kind), other=other)
    if label == "previous":
        # Translators: {kind} is "quarter" or "month", {other} a period label ("2026Q2")
        return _("previous {kind} ({other})").format(**values)
    return _("same {kind} last year ({other})").format(**values)


def language_name(code: str) -> str:
    """The name of a text's language in the active language ("Danish"; "dansk" in a Danish report)."""
    if i18n.active() == "en":
        return sentiment.LANGUAGE_NAMES.get(code, code)
    try:
        return Locale.parse(code).get_language_name(i18n.active()) or code
    except (ValueError, UnknownLocaleError):
        return code


def source_name(source: str) -> str:
    """A text source of the sentiment tables ("survey (CSAT)", "review") in the active language."""
    words = {"survey (CSAT)": pgettext("text source", "survey (CSAT)"), "review": pgettext("text source", "review")}
    return words.get(source, str(source))


def _changes(result) -> pd.DataFrame:
    return significant_changes(result.changes, result.names)


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

def say_overview(result) -> display.HTML:
    t = result.totals
    return display.say(
        # Translators: {events}, {customers}, {journeys}, {responses} and {reviews} are counts with their nouns
        # ("1,234 events"); {conv} is a number, {rate} a percentage
        _("In {period}, {client} recorded {events} from {customers} in {journeys}; "
          "{conv} ended in a purchase ({rate}). Surveys returned {responses} and "
          "{reviews} were written."),
        period=result.period, client=result.client_name, events=_counted("event", t["events"]),
        customers=_counted("customer", t["customers"]), journeys=_counted("journey", t["journeys"]),
        conv=_counted("journey", t["converted_journeys"]),
        rate=pct(t["converted_journeys"] / t["journeys"]) if t["journeys"] else _("no journeys"),
        responses=_counted("response", t["responses"]), reviews=_counted("review", t["reviews"]))


def say_data(result) -> display.HTML:
    """Which optional inputs the client has not provided and what the step leaves out without them
    (nothing to show when every input is there)."""
    missing = [_(text) for name, text in (
        ("segment", N_("the events carry no customer segment, so there is no comparison by segment")),
        ("feedback", N_("there is no survey table, so there is no CSAT, top-2-box or NPS")),
        ("orders", N_("there is no orders table, so there is no repeat purchase or customer lifetime value")),
        ("reviews", N_("there is no reviews table, so only survey comments are scored")),
    ) if name in result.missing]
    if not missing:
        return display.HTML("")
    return display.HTML(display.say(_("Some optional inputs are not provided, so parts of this step are left out:")
                                    ).markup + display.bullets(missing).markup)


def say_kpis(result) -> display.HTML:
    k = result.kpis["touchpoint"]
    conv = k[(k["journeys"] >= 30) & k["conversion"].notna() & (k["stage"] != "decision")
             & (k["stage"] != "retention")]
    csat = k[k["csat_n"] >= 10]
    if conv.empty and csat.empty:
        return display.say(_("Too few journeys and ratings in {period} to compare touchpoints."), period=result.period)
    parts, vals = [], {}
    if not conv.empty:
        best, worst = conv.loc[conv["conversion"].idxmax()], conv.loc[conv["conversion"].idxmin()]
        # Translators: {best} and {worst} are touchpoints, {bc} and {wc} percentages, {bci} and {wci} intervals
        parts.append(_("Before the purchase, journeys that touch {best} convert most often ({bc}, {bci}) and those "
                       "that touch {worst} least often ({wc}, {wci})."))
        vals.update(best=best["name"], bc=pct(best["conversion"]),
                    bci=interval(best["conversion_ci_low"], best["conversion_ci_high"]), worst=worst["name"],
                    wc=pct(worst["conversion"]), wci=interval(worst["conversion_ci_low"], worst["conversion_ci_high"]))
    if not csat.empty:
        hi, lo = csat.loc[csat["csat"].idxmax()], csat.loc[csat["csat"].idxmin()]
        # Translators: {hi} and {lo} are touchpoints, {hv} and {lv} mean ratings (1-5), {hn} and {ln} counts
        parts.append(_("CSAT is highest at {hi} ({hv}, n={hn}) and lowest at {lo} ({lv}, n={ln})."))
        vals.update(hi=hi["name"], hv=kpis.fmt_number(hi["csat"], 2), hn=kpis.fmt_count(hi["csat_n"]), lo=lo["name"],
                    lv=kpis.fmt_number(lo["csat"], 2), ln=kpis.fmt_count(lo["csat_n"]))
    return display.say(" ".join(parts), **vals)


def say_segments(result) -> display.HTML:
    seg = result.kpis.get("segment")
    gap = segment_gap(seg) if seg is not None else None
    if gap is None:
        return display.say(_("The events of {client} carry no customer segments to compare."),
                           client=result.client_name)
    hi, lo, d = gap["high"], gap["low"], gap["difference"]
    # Translators: {a} and {b} are customer segments, {ac} and {bc} percentages, {aci} and {bci} intervals,
    # {ratio} a number ("2.1"), {d} a change ("+7.4 percentage points") and {di} its interval
    if d.excludes(0):
        text = _("Journeys of {a} customers convert at {ac} ({aci}), {b} customers at {bc} ({bci}): {ratio} times "
                 "as often, a difference of {d} ({di}).")
    else:
        text = _("Journeys of {a} customers convert at {ac} ({aci}), {b} customers at {bc} ({bci}): {ratio} times "
                 "as often, a difference of {d} ({di}), which is within the noise.")
    vals = dict(a=hi["segment"], ac=pct(hi["conversion"]),
                aci=interval(hi["conversion_ci_low"], hi["conversion_ci_high"]), b=lo["segment"],
                bc=pct(lo["conversion"]), bci=interval(lo["conversion_ci_low"], lo["conversion_ci_high"]),
                ratio=kpis.fmt_number(gap["ratio"], 1), d=change("conversion", d.value, long=True),
                di=change_interval("conversion", d.ci_low, d.ci_high))
    if pd.notna(hi["csat"]) and pd.notna(lo["csat"]):
        # Translators: {acs} and {bcs} are mean ratings (1-5), {acsi} and {bcsi} their intervals
        text += " " + _("Mean CSAT is {acs} ({acsi}) for {a} and {bcs} ({bcsi}) for {b}.")
        vals.update(acs=kpis.fmt_number(hi["csat"], 2),
                    acsi=interval(hi["csat_ci_low"], hi["csat_ci_high"], percent=False),
                    bcs=kpis.fmt_number(lo["csat"], 2),
                    bcsi=interval(lo["csat_ci_low"], lo["csat_ci_high"], percent=False))
    return display.say(text, **vals)


def say_changes(result) -> display.HTML:
    sig = _changes(result)
    if sig.empty:
        return display.say(_("No KPI of a touchpoint changed by more than its uncertainty against the previous "
                             "period or the same period last year."))
    # Translators: {name} is a touchpoint, {kpi} a KPI ("conversion"), {change} a change ("+7.4 pp"), {interval}
    # its 95% interval, {comparison} the period compared with ("previous quarter (2026Q2)")
    items = [_("{name}: {kpi} {change} ({interval}) against the {comparison}").format(
        name=r["name"], kpi=kpis.short(r["kpi"]), change=change(r["kpi"], r["change"]),
        interval=change_interval(r["kpi"], r["ci_low"], r["ci_high"]), comparison=r["comparison"])
        for _i, r in sig.head(8).iterrows()]
    head = display.say(ngettext("{n} change has a 95% interval that excludes zero (only those are flagged); the "
                                "clearest is:",
                                "{n} changes have a 95% interval that excludes zero (only those are flagged); the "
                                "clearest are:", len(sig)), n=kpis.fmt_count(len(sig)))
    return display.HTML(head.markup + display.bullets(items).markup)


def say_funnel(result) -> display.HTML:
    f = result.funnel
    steps = f[f["step_conversion"].notna() & (f["journeys"] > 0)]
    if steps.empty:
        return display.say(_("No journeys in {period}."), period=result.period)
    worst = steps.loc[steps["drop_off"].idxmax()]
    nxt = STAGES[STAGES.index(worst["stage"]) + 1]
    # Translators: {s} and {n} are journey stages ("consideration"), {d}, {lo} and {hi} percentages
    return display.say(_("The largest drop-off is from {s} to {n}: {d} of journeys that reach {s} go no further "
                         "({lo} to {hi})."), s=stage_name(worst["stage"]), n=stage_name(nxt), d=pct(worst["drop_off"]),
                       lo=pct(worst["drop_off_ci_low"]), hi=pct(worst["drop_off_ci_high"]))


def say_exits(result) -> display.HTML:
    e = result.exits
    if e.empty:
        return display.say(_("No journeys in {period}."), period=result.period)
    more = e[e["more_exits"]]
    if more.empty:
        return display.say(_("No touchpoint ends journeys without a purchase more often than the others."))
    top = more.iloc[0]
    others = _list(more["name"].iloc[1:4].astype(str))
    # Translators: {tp} is a touchpoint; {rate}, {others_rate} and {exit} are percentages, {diff} a change in
    # percentage points ("+4.2 pp") and {ci} its interval; {m} is the number of touchpoints compared
    text = _("Journeys touching {tp} end without a purchase more often than journeys that do not touch it: "
             "{rate} against {others_rate} ({diff}, 95% interval {ci}; adjusted for the {m} touchpoints "
             "compared). {exit} of the journeys touching it end there.")
    if others:
        # Translators: {others} lists touchpoints
        text += " " + _("Also lost more often: {others}.")
    return display.say(text, tp=top["name"], rate=pct(top["lost_rate"]), others_rate=pct(top["others_lost_rate"]),
                       diff=change("exit_rate", top["difference"]),
                       ci=kpis.fmt_interval("exit_rate", top["difference_ci_low"], top["difference_ci_high"]),
                       m=kpis.fmt_count(int(e["p_value"].notna().sum())), exit=pct(top["exit_rate"]),
                       others=others)


def say_paths(result) -> display.HTML:
    p = result.paths
    if p.empty:
        return display.say(_("No journeys in {period}."), period=result.period)
    top = p.iloc[0]
    conv = p[p["conversions"] > 0]
    # Translators: {path} is a path of touchpoints ("Web > Shop"), {share} a percentage
    text = ngettext("There is {n} distinct path; the most common is {path} ({share} of journeys).",
                    "There are {n} distinct paths; the most common is {path} ({share} of journeys).", len(p))
    vals = dict(n=kpis.fmt_count(len(p)), path=top["path"], share=pct(top["share"]))
    if len(conv):
        c = conv.sort_values("conversions", ascending=False).iloc[0]
        # Translators: {cpath} is a path of touchpoints, {cn} a count with its noun ("12 purchases")
        text += " " + _("Most purchases follow {cpath} ({cn}).")
        vals.update(cpath=c["path"], cn=_counted("purchase", c["conversions"]))
    return display.say(text, **vals)


def say_time_to_convert(result) -> display.HTML:
    t = result.time_to_convert
    if t.empty or not t["converting_journeys"].iloc[0]:
        return display.say(_("No journey converted in {period}."), period=result.period)
    r = t.iloc[0]
    # Translators: {m}, {q1} and {q3} are durations ("3.2 days", "12.0 hours"), {n} a count
    return display.say(_("Half of the purchasing journeys buy within {m} of their first touch; the middle "
                         "half take {q1} to {q3} (n={n})."), m=duration(r["median_days"]), q1=duration(r["q1_days"]),
                       q3=duration(r["q3_days"]), n=kpis.fmt_count(r["converting_journeys"]))


def say_sentiment(result) -> display.HTML:
    s = result.sentiment
    # Translators: {m} describes how sentiment is scored
    method = display.say(_("Method: {m}"), m=_(sentiment.METHOD))
    if s.empty:
        return display.HTML(display.say(_("No comments or review texts in {period}."), period=result.period).markup
                            + method.markup)
    ok = s[s["texts"] >= 10]
    if ok.empty:
        ok = s
    worst = ok.loc[ok["negative"].idxmax()]
    langs = sorted({lang for v in s["languages"] for lang in str(v).split(", ") if lang})
    # Translators: {n} is a count with its noun ("1,234 texts"), {langs} a list of languages, {src} a source
    # ("survey", "review"), {tp} a touchpoint; {neg}, {lo} and {hi} are percentages
    head = display.say(_("{n} were scored ({langs}). The most negative are {src} texts about {tp}: {neg} "
                         "negative ({lo} to {hi})."), n=_counted("text", s["texts"].sum()),
                       langs=", ".join(language_name(x) for x in langs), src=source_name(worst["source"]),
                       tp=result.names.get(worst["touchpoint_id"], worst["touchpoint_id"]),
                       neg=pct(worst["negative"]), lo=pct(worst["negative_ci_low"]),
                       hi=pct(worst["negative_ci_high"]))
    return display.HTML(head.markup + method.markup)


def say_value(result) -> display.HTML:
    v = result.value
    if v.get("by_segment") is None or len(v.get("by_segment", [])) == 0 or \
            not v["per_customer"]["clv"].notna().any():
        return display.say("{note}", note=_(v.get("note") or N_("No orders.")))
    seg = v["by_segment"]
    ft = v["by_first_touchpoint"]
    # Translators: {mean} is an amount, {cur} a currency code ("DKK"), {n} a count with its noun
    # ("1,234 customers' orders")
    parts = [_("Over the next 12 months a customer is expected to be worth {mean} {cur} on average "
               "(BG/NBD and Gamma-Gamma fitted by maximum likelihood on {n}).")]
    per = v["per_customer"]
    vals = dict(mean=kpis.fmt_number(per["clv"].mean(), 0), cur=result.currency,
                n=_counted("customers' orders", len(per)))
    if v.get("sample"):
        # Translators: {sampled} and {total} are counts of customers
        parts.append(_("The models were fitted on a random sample of {sampled} of the {total} customers with "
                       "orders; the tables below describe that sample."))
        vals.update(sampled=kpis.fmt_count(v["sample"]["sampled"]), total=kpis.fmt_count(v["sample"]["customers"]))
    if len(seg) > 1:
        top = seg.loc[seg["clv_mean"].idxmax()]
        # Translators: {s} is a customer segment; {sv}, {slo} and {shi} are amounts, {cur} a currency code
        parts.append(_("The {s} segment is worth most ({sv} {cur}, {slo} to {shi})."))
        vals.update(s=top["segment"], sv=kpis.fmt_number(top["clv_mean"], 0),
                    slo=kpis.fmt_number(top["clv_ci_low"], 0), shi=kpis.fmt_number(top["clv_ci_high"], 0))
    big = ft[ft["customers"] >= 30]
    if len(big) > 1:
        rep = big.loc[big["repeat_rate"].idxmax()]
        # Translators: {ft} is a touchpoint, {rr} a percentage
        parts.append(_("Customers who first met the business at {ft} buy again most often ({rr})."))
        vals.update(ft=result.names.get(rep["first_touchpoint"], rep["first_touchpoint"]),
                    rr=pct(rep["repeat_rate"]))
    return display.say(" ".join(parts), **vals)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": N_("Touchpoint id"), "name": N_("Touchpoint"), "stage": N_("Stage"), "kind": N_("Kind"),
    "segment": N_("Segment"), "events": N_("Events"), "customers": N_("Customers"), "journeys": N_("Journeys"),
    "converted_journeys": N_("Purchases"), "conversion": N_("Conversion"), "conversion_ci_low": N_("Conv. low"),
    "conversion_ci_high": N_("Conv. high"), "revenue": N_("Revenue"), "journey_revenue": N_("Revenue of journeys"),
    "csat_n": N_("Ratings"), "csat": N_("CSAT"), "csat_ci_low": N_("CSAT low"), "csat_ci_high": N_("CSAT high"),
    "top2box": N_("Top-2-box"), "nps_n": N_("NPS answers"), "nps": N_("NPS"), "nps_ci_low": N_("NPS low"),
    "nps_ci_high": N_("NPS high"), "note": N_("Note"), "kpi": N_("KPI"), "comparison": N_("Compared with"),
    "current": N_("Now"), "before": N_("Before"), "change": N_("Change"), "ci_low": N_("Low"), "ci_high": N_("High"),
    "significant": N_("Outside noise"), "interval": N_("95% interval"), "path": N_("Path"), "steps": N_("Steps"),
    "conversions": N_("Purchases"), "nulls": N_("No purchase"), "share": N_("Share"), "from": N_("From"),
    "to": N_("To"), "count": N_("Moves"), "probability": N_("Probability"),
    "share_of_start": N_("Share of all journeys"), "step_conversion": N_("To next stage"),
    "step_conversion_ci_low": N_("Next low"), "step_conversion_ci_high": N_("Next high"), "drop_off": N_("Drop-off"),
    "drop_off_ci_low": N_("Drop-off low"), "drop_off_ci_high": N_("Drop-off high"), "exits": N_("Exits"),
    "exit_rate": N_("Exit rate"), "exit_rate_ci_low": N_("Exit low"), "exit_rate_ci_high": N_("Exit high"),
    "lost": N_("Lost"), "lost_rate": N_("Lost share"), "others_journeys": N_("Other journeys"),
    "others_lost": N_("Others lost"), "others_lost_rate": N_("Others lost share"), "p_value": N_("p"),
    "p_adjusted": N_("Adjusted p"),
    "average": N_("Average"), "difference": N_("Difference"), "difference_ci_low": N_("Diff. low"),
    "difference_ci_high": N_("Diff. high"), "more_exits": N_("Lost more often"),
    "converting_journeys": N_("Purchasing journeys"), "mean_days": N_("Mean"), "q1_days": N_("25% buy within"),
    "median_days": N_("Half buy within"), "q3_days": N_("75% buy within"), "source": N_("Source"),
    "ratings": N_("Ratings"), "share_1": "1", "share_2": "2", "share_3": "3", "share_4": "4", "share_5": "5",
    "mean": N_("Mean"), "texts": N_("Texts"), "mean_sentiment": N_("Mean sentiment"), "negative": N_("Negative"),
    "negative_ci_low": N_("Neg. low"), "negative_ci_high": N_("Neg. high"), "positive": N_("Positive"),
    "languages": N_("Languages"), "rank": N_("Rank"),
    "first_touchpoint": N_("First touchpoint"), "repeat_customers": N_("Repeat customers"),
    "repeat_rate": N_("Repeat rate"), "repeat_rate_ci_low": N_("Repeat low"),
    "repeat_rate_ci_high": N_("Repeat high"), "clv_mean": N_("12-month CLV"), "clv_ci_low": N_("CLV low"),
    "clv_ci_high": N_("CLV high"), "clv_total": N_("CLV total"),
}
PERCENT_COLUMNS = {"conversion", "conversion_ci_low", "conversion_ci_high", "top2box", "share", "probability",
                   "share_of_start", "step_conversion", "step_conversion_ci_low", "step_conversion_ci_high",
                   "drop_off", "drop_off_ci_low", "drop_off_ci_high", "exit_rate", "exit_rate_ci_low",
                   "exit_rate_ci_high", "average", "difference", "difference_ci_low", "difference_ci_high",
                   "lost_rate", "others_lost_rate", "share_1", "share_2", "share_3", "share_4", "share_5", "negative",
                   "negative_ci_low",
                   "negative_ci_high", "positive", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high"}
TIME_COLUMNS = ("mean_days", "q1_days", "median_days", "q3_days")
ALL_JOURNEYS = N_("all journeys")
EMPTY = N_("Nothing to show for this period.")

#: What each part of :func:`show` displays: the table and the columns shown.
PARTS = {
    "kpis": ("touchpoint", ["name", "stage", "events", "customers", "journeys", "conversion", "conversion_ci_low",
                            "conversion_ci_high", "revenue", "csat_n", "csat", "csat_ci_low", "csat_ci_high",
                            "top2box", "nps", "nps_ci_low", "nps_ci_high", "note"]),
    "stages": ("stage", ["stage", "events", "customers", "journeys", "conversion", "conversion_ci_low",
                         "conversion_ci_high", "revenue", "csat", "csat_ci_low", "csat_ci_high", "nps", "note"]),
    "kinds": ("kind", ["kind", "events", "customers", "journeys", "conversion", "conversion_ci_low",
                       "conversion_ci_high", "revenue", "csat", "nps", "note"]),
    "segments": ("segment", ["segment", "events", "customers", "journeys", "conversion", "conversion_ci_low",
                             "conversion_ci_high", "revenue", "csat_n", "csat", "csat_ci_low", "csat_ci_high",
                             "top2box", "nps", "nps_ci_low", "nps_ci_high", "note"]),
    "touchpoint_segments": ("touchpoint_segment", ["name", "segment", "journeys", "conversion", "conversion_ci_low",
                                                   "conversion_ci_high", "csat_n", "csat", "nps", "note"]),
    "changes": (None, ["name", "kpi", "comparison", "current", "before", "change", "ci_low", "ci_high", "note"]),
    "paths": (None, ["path", "journeys", "share", "conversions", "conversion", "conversion_ci_low",
                     "conversion_ci_high"]),
    "transitions": (None, ["from", "to", "count", "probability"]),
    "funnel": (None, ["stage", "journeys", "share_of_start", "step_conversion", "step_conversion_ci_low",
                      "step_conversion_ci_high", "drop_off", "drop_off_ci_low", "drop_off_ci_high", "note"]),
    "exits": (None, ["name", "stage", "journeys", "exits", "exit_rate", "exit_rate_ci_low", "exit_rate_ci_high",
                     "lost_rate", "others_lost_rate", "difference", "difference_ci_low", "difference_ci_high",
                     "p_adjusted", "more_exits"]),
    "time_to_convert": (None, ["segment", "converting_journeys", "mean_days", "q1_days", "median_days", "q3_days"]),
    "ratings": (None, ["name", "source", "ratings", "share_1", "share_2", "share_3", "share_4", "share_5", "mean"]),
    "sentiment": (None, ["name", "source", "texts", "mean_sentiment", "negative", "negative_ci_low",
                         "negative_ci_high", "positive", "languages"]),
    "themes": (None, ["name", "phrase", "kind", "texts", "share", "mean_sentiment", "negative_share",
                      "previous_share", "change", "change_ci_low", "change_ci_high"]),
    "value_segments": (None, ["segment", "customers", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high",
                              "clv_mean", "clv_ci_low", "clv_ci_high", "clv_total"]),
    "value_first_touchpoint": (None, ["name", "customers", "repeat_customers", "repeat_rate", "repeat_rate_ci_low",
                                      "repeat_rate_ci_high", "clv_mean", "clv_ci_low", "clv_ci_high"]),
}


def part(result, name: str) -> pd.DataFrame:
    """The data behind one part of the report (see :data:`PARTS`)."""
    if name not in PARTS:
        raise DataError(f"unknown part '{name}'", hint=f"use one of {', '.join(PARTS)}")
    level, _columns = PARTS[name]
    if level is not None:
        return result.kpis.get(level, pd.DataFrame())
    if name == "changes":
        return _changes(result) if len(result.changes) else result.changes
    if name == "time_to_convert":
        overall = result.time_to_convert.assign(segment=_(ALL_JOURNEYS))
        return pd.concat([overall, result.time_to_convert_by_segment], ignore_index=True)
    if name == "value_segments":
        return result.value.get("by_segment", pd.DataFrame())
    if name == "value_first_touchpoint":
        ft = result.value.get("by_first_touchpoint", pd.DataFrame())
        return ft.assign(touchpoint_id=ft["first_touchpoint"]) if len(ft) else ft
    if name == "paths":
        return result.paths.head(15)
    if name == "transitions":
        top = result.transitions.sort_values("count", ascending=False).head(20)
        return top.assign(**{c: top[c].map(marker_name) for c in ("from", "to") if c in top})
    return getattr(result, name)


# Translators: the start and the end of a journey in the journey tables and the transition heatmap
MARKERS = {journeys.START: N_("(start)"), journeys.END: N_("(end)")}


def marker_name(value):
    """A journey's start and end markers in the active language; touchpoint ids as they are."""
    return _(MARKERS[value]) if isinstance(value, str) and value in MARKERS else value


def header(column: str) -> str:
    """The column header of ``column`` in the active language."""
    if column == "change":
        # Translators: a column header: how much a KPI changed
        return pgettext("difference of a KPI", "Change")
    return _(PRETTY[column]) if column in PRETTY else column


def _formatted_changes(shown: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    return shown.assign(
        kpi=[kpis.short(k) for k in df["kpi"]],
        current=[kpis.fmt_level(k, v) for k, v in zip(df["kpi"], df["current"])],
        before=[kpis.fmt_level(k, v) for k, v in zip(df["kpi"], df["before"])],
        change=[change(k, v) for k, v in zip(df["kpi"], df["change"])],
        ci_low=[change_interval(k, lo, hi) for k, lo, hi in zip(df["kpi"], df["ci_low"], df["ci_high"])],
    ).drop(columns="ci_high").rename(columns={"ci_low": "interval"})


def show(result, name: str, caption: str | None = None, empty: str = EMPTY) -> display.HTML:
    """One table of the result for a report: escaped, readable column names, percentages."""
    df = part(result, name)
    if df is None or len(df) == 0:
        return display.say("{note}", note=_(empty))
    df = df.copy()
    if "touchpoint_id" in df.columns and "name" not in df.columns:
        df["name"] = df["touchpoint_id"].map(result.names).fillna(df["touchpoint_id"])
    cols = [c for c in PARTS[name][1] if c in df.columns]
    shown = df[cols]
    if name == "changes":
        shown = _formatted_changes(shown, df)
    if name == "time_to_convert":
        shown = shown.assign(**{c: [duration(v) for v in df[c]] for c in TIME_COLUMNS if c in shown.columns})
    words = {"stage": stage_name, "source": source_name}
    shown = shown.assign(**{c: [v if pd.isna(v) or v == "" else words[c](v) for v in shown[c]]
                            for c in words if c in shown.columns})
    percent = [header(c) for c in cols if c in PERCENT_COLUMNS and name != "changes"]
    return display.show_table(shown.rename(columns=header), caption=caption, percent=percent)


# ---------------------------------------------------------------------------
# Themes: what customers praise and complain about
# ---------------------------------------------------------------------------

#: themes per kind and touchpoint in the client table, and quotes per theme
TOP_THEMES, TOP_QUOTES = 3, 2
#: rows of the full theme table before it is cut (it sits in a collapsed <details> element)
ALL_THEMES_ROWS = 60
#: theme columns of the full table (labels in the report's language, see :func:`theme_headers`)
THEME_PERCENT = ("share", "negative_share", "previous_share", "change", "change_ci_low", "change_ci_high")


def _pp(v) -> str:
    """A change of a share in percentage points ("+7.4 pp"); empty when missing."""
    if v is None or pd.isna(v):
        return ""
    return f"{kpis.fmt_number(float(v) * 100, 1, sign=True)} {i18n._('pp')}"


def theme_headers() -> dict:
    """Column headers of the theme tables in the report's language."""
    return {"name": i18n._("Touchpoint"), "phrase": i18n._("Theme"), "kind": i18n._("Kind"),
            "texts": i18n._("Texts"), "share": i18n._("Share of texts"), "mean_sentiment": i18n._("Sentiment"),
            "negative_share": i18n._("Negative mentions"), "previous_share": i18n._("Share last period"),
            "change": i18n.pgettext("difference of a KPI", "Change"), "change_ci_low": i18n._("Change low"),
            "change_ci_high": i18n._("Change high"), "quotes": i18n._("What customers write")}


def theme_kind(kind: str) -> str:
    return {"praise": i18n._("praise"), "complaint": i18n._("complaint"), "mixed": i18n._("mixed")}.get(kind, kind)


def _distinct_quotes(quotes, n: int = TOP_QUOTES) -> list[str]:
    """The first ``n`` quotes that differ in more than case and end punctuation."""
    seen, out = set(), []
    for q in quotes:
        key = str(q).strip().rstrip(".!?\u2026").casefold()
        if key not in seen:
            seen.add(key)
            out.append(str(q))
    return out[:n]


def _fits(quote: str, theme: str, kind: str) -> bool:
    """False for a quote whose clause that holds ``theme`` has the opposite tone of the table it is shown under
    (a complaint under praise), scored as :func:`helpers.themes.phrases` scores it."""
    from helpers import themes

    value = themes.phrases(quote, sentiment.detect_language(quote, "en")).get(theme)
    if value is None:
        return True
    return not ((kind == "praise" and value < -sentiment.THRESHOLD)
                or (kind == "complaint" and value > sentiment.THRESHOLD))


def _quote_list(quotes, theme: str = "", kind: str = "") -> str:
    fitting = [q for q in quotes if _fits(str(q), theme, kind)]
    items = "".join(f"<li>\u201c{display.esc(q)}\u201d</li>" for q in _distinct_quotes(fitting))
    return f'<ul class="tp-quotes">{items}</ul>' if items else ""


def _change_cell(row) -> str:
    text = _pp(row["change"])
    if not text:
        return display.esc(i18n._("no texts last period"))
    return f"<strong>{display.esc(text)}</strong>" if bool(row["material"]) else display.esc(text)


def _theme_rows(rows: pd.DataFrame) -> str:
    body = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in (
            display.esc(r["phrase"]), display.esc(kpis.fmt_percent(r["share"], 0)),
            display.esc(kpis.fmt_number(r["mean_sentiment"], 2, sign=True)), _change_cell(r),
            _quote_list(r["quotes"], r["theme"], r["kind"])))
        + "</tr>" for _, r in rows.iterrows())
    h = theme_headers()
    head = "".join(f"<th>{display.esc(h[c])}</th>" for c in ("phrase", "share", "mean_sentiment", "change", "quotes"))
    return f'<table class="tp-table tp-themes"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _ordered_touchpoints(result, ids) -> list:
    order = {t: i for i, t in enumerate(result.order)}
    return sorted(set(ids), key=lambda t: (order.get(t, len(order)), str(t)))


def show_themes(result, top: int = TOP_THEMES) -> display.HTML:
    """Per touchpoint, "What customers praise" and "What they complain about": the ``top`` themes of each kind
    with their share of texts, sentiment, change against the previous period and two short quotes (escaped)."""
    t = result.themes
    pc = t[t["kind"].isin(["praise", "complaint"])] if len(t) else t
    if not len(pc):
        return display.say("{note}", note=i18n._("No recurring themes in the texts of the period."))
    parts = []
    for tp in _ordered_touchpoints(result, pc["touchpoint_id"]):
        mine = pc[pc["touchpoint_id"] == tp].sort_values(["texts", "theme"], ascending=[False, True])
        block = [f'<h4 class="tp-theme-touchpoint">{display.esc(result.names.get(tp, tp))}</h4>']
        for kind, title in (("praise", i18n._("What customers praise")),
                            ("complaint", i18n._("What they complain about"))):
            rows = mine[mine["kind"] == kind].head(top)
            if len(rows):
                block.append(f'<p class="tp-caption">{display.esc(title)}</p>' + _theme_rows(rows))
        parts.append("".join(block))
    note = i18n._("Share of texts: the share of the touchpoint's texts in {period} that mention the theme. "
                  "Sentiment: -1 (negative) to +1 (positive), of the sentences that mention it. Changes against "
                  "{previous} in bold have a 95% interval (Newcombe) that excludes zero.")
    return display.HTML("".join(parts) + display.say(note, period=result.period,
                                                     previous=result.previous_period).markup)


def show_all_themes(result, max_rows: int = ALL_THEMES_ROWS) -> display.HTML:
    """Every theme of the period (analyst table) in a collapsed ``<details>`` element, at most ``max_rows`` rows."""
    t = result.themes
    if not len(t):
        return display.HTML("")
    df = t.assign(name=t["touchpoint_id"].map(result.names).fillna(t["touchpoint_id"]),
                  kind=[theme_kind(k) for k in t["kind"]])
    cols = PARTS["themes"][1]
    h = theme_headers()
    table = display.show_table(df[cols].rename(columns=h), percent=[h[c] for c in THEME_PERCENT],
                               max_rows=max_rows)
    summary = i18n.ngettext("All {n} themes of the period", "All {n} themes of the period", len(t)).format(
        n=kpis.fmt_count(len(t)))
    return display.HTML(f'<details class="tp-details"><summary>{display.esc(summary)}</summary>'
                        f"{table.markup}</details>")


def say_themes(result) -> display.HTML:
    """The complaint theme that rose most clearly against the previous period (or the most frequent complaint),
    and how themes are found."""
    t = result.themes
    method = display.say("{m}", m=i18n._(
        "Themes are phrases of one to three words, reduced to their dictionary form, that recur in at least three "
        "texts of a touchpoint; overlapping phrases are grouped. A theme is praise when the sentences that mention "
        "it are positive on average, a complaint when they are negative."))
    complaints = t[t["kind"] == "complaint"] if len(t) else t
    if not len(complaints):
        return display.HTML(display.say("{note}", note=i18n._("No complaint recurs in the texts of {period}.")
                                        .format(period=result.period)).markup + method.markup)
    rising = complaints[complaints["material"] & (complaints["change"] > 0)]
    if len(rising):
        r = rising.sort_values("change", ascending=False).iloc[0]
        head = display.say(i18n._("Complaints about {theme} at {tp} rose from {before} to {now} of its texts "
                                  "since {previous}."),
                           theme=r["phrase"], tp=result.names.get(r["touchpoint_id"], r["touchpoint_id"]),
                           before=kpis.fmt_percent(r["previous_share"], 0), now=kpis.fmt_percent(r["share"], 0),
                           previous=result.previous_period)
    else:
        r = complaints.sort_values(["share", "texts"], ascending=False).iloc[0]
        head = display.say(i18n._("The most frequent complaint is {theme} at {tp} ({now} of its texts); no "
                                  "complaint rose clearly against {previous}."),
                           theme=r["phrase"], tp=result.names.get(r["touchpoint_id"], r["touchpoint_id"]),
                           now=kpis.fmt_percent(r["share"], 0), previous=result.previous_period)
    return display.HTML(head.markup + method.markup)


# ---------------------------------------------------------------------------
# Findings for the executive summary
# ---------------------------------------------------------------------------

def findings_text(result) -> list[str]:
    """The headline findings of step 2, most important first."""
    out: list[str] = []
    t = result.totals
    if t["journeys"]:
        # Translators: {conv} is a number, {journeys} a count with its noun ("1,234 journeys"), {rate} a percentage
        out.append(_("{conv} of {journeys} in {period} ended in a purchase ({rate}).").format(
            conv=kpis.fmt_count(t["converted_journeys"]), journeys=_counted("journey", t["journeys"]),
            period=result.period, rate=pct(t["converted_journeys"] / t["journeys"])))
    gap = segment_gap(result.kpis["segment"]) if "segment" in result.kpis else None
    if gap is not None and gap["difference"].excludes(0):
        # Translators: {a} and {b} are customer segments, {ratio} a number ("2.1"), {ac} and {bc} percentages
        out.append(_("{a} journeys convert {ratio} times as often as {b} journeys ({ac} vs {bc}).").format(
            a=gap["high"]["segment"], ratio=kpis.fmt_number(gap["ratio"], 1), b=gap["low"]["segment"],
            ac=pct(gap["high"]["conversion"]), bc=pct(gap["low"]["conversion"])))
    more = result.exits[result.exits["more_exits"]] if len(result.exits) else result.exits
    if len(more):
        r = more.iloc[0]
        # Translators: {tp} is a touchpoint, {rate} and {others_rate} percentages
        out.append(_("Journeys touching {tp} end without a purchase more often than elsewhere "
                     "({rate}, against {others_rate} of the journeys that do not touch it).").format(
                         tp=r["name"], rate=pct(r["lost_rate"]), others_rate=pct(r["others_lost_rate"])))
    f = result.funnel[result.funnel["step_conversion"].notna() & (result.funnel["journeys"] > 0)]
    if len(f):
        w = f.loc[f["drop_off"].idxmax()]
        # Translators: {d} is a percentage, {stage} a journey stage ("consideration")
        out.append(_("Largest funnel drop-off: {d} of journeys reaching {stage} go no further.").format(
            d=pct(w["drop_off"]), stage=stage_name(w["stage"])))
    for _i, r in _changes(result).head(3).iterrows():
        # Translators: {name} is a touchpoint, {kpi} a KPI, {change} a change ("+7.4 pp"), {comparison} the period
        # compared with ("previous quarter (2026Q2)")
        out.append(_("{name}: {kpi} {change} against the {comparison}.").format(
            name=r["name"], kpi=kpis.label(r["kpi"]), change=change(r["kpi"], r["change"]),
            comparison=r["comparison"]))
    k = result.kpis["touchpoint"]
    rated = k[k["csat_n"] >= 10]
    if len(rated):
        lo = rated.loc[rated["csat"].idxmin()]
        # Translators: {name} is a touchpoint, {csat} a mean rating (1-5), {n} a count
        out.append(_("Lowest CSAT: {name} ({csat}, n={n}).").format(
            name=lo["name"], csat=kpis.fmt_number(lo["csat"], 2), n=kpis.fmt_count(lo["csat_n"])))
    return out
