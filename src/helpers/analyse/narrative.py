"""Every word step 2 shows: sentences (``say_*``), findings, table parts and column headers,
figure titles and axis labels. KPI labels and number formats come from :mod:`helpers.kpis`.

Functions take the :class:`~helpers.analyse.step.AnalyseResult` (any object with its
attributes) and return escaped HTML (:mod:`helpers.display`) or plain strings.
"""

from __future__ import annotations

import pandas as pd

from helpers import display, kpis, sentiment
from helpers.analyse.compute import segment_gap, significant_changes
from helpers.config import STAGES
from helpers.errors import DataError

NA = "n/a"
NO_INTERVAL = "no interval"

#: titles, axis labels and legends of the figures (see :mod:`helpers.analyse.figures`)
FIGURE = {
    "kpi_title": "KPIs with 95% intervals",
    "no_interval": "no interval (n < 2)",
    "stage": "Stage",
    "trend_title": "Weekly {kpi}",
    "week": "week",
    "no_data": "no data",
    "transition_title": "Where journeys go next (share of the moves from each row)",
    "no_journeys": "no journeys",
    "from": "from",
    "to": "to",
    "funnel_title": "Stage funnel: journeys reaching each stage",
    "funnel_next": "  -> next stage {rate} ({lo}-{hi})",
    "journeys": "journeys",
    "sentiment_title": "Sentiment of comments and reviews (share of texts, 95% intervals)",
    "no_texts": "no texts",
    "sentiment_axis": "share of texts: negative <- | -> positive",
    "negative": "negative",
    "positive": "positive",
}


def pct(v) -> str:
    """A share in percent with one decimal ("30.1%"), ``n/a`` when missing."""
    return kpis.fmt_percent(v, 1) or NA


def interval(lo, hi, percent: bool = True, digits: int = 2) -> str:
    """A level interval: "28.3% to 31.9%" (shares) or "3.81 to 4.02"."""
    if pd.isna(lo) or pd.isna(hi):
        return NO_INTERVAL
    if percent:
        return f"{pct(lo)} to {pct(hi)}"
    return f"{kpis.fmt_number(lo, digits)} to {kpis.fmt_number(hi, digits)}"


def change(kpi: str, v, long: bool = False) -> str:
    """A change of a KPI in its unit ("+7.4 pp"), ``n/a`` when missing."""
    return kpis.fmt_change(kpi, v, long=long) or NA


def change_interval(kpi: str, lo, hi) -> str:
    return kpis.fmt_interval(kpi, lo, hi) or NO_INTERVAL


def duration(days: float) -> str:
    """A span in days as words: minutes below an hour, hours below two days, else days."""
    if days is None or pd.isna(days):
        return NA
    if days < 1 / 24:
        return f"{days * 1440:.0f} minutes"
    if days < 2:
        return f"{days * 24:.1f} hours"
    return f"{days:.1f} days"


def _changes(result) -> pd.DataFrame:
    return significant_changes(result.changes, result.names)


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

def say_overview(result) -> display.HTML:
    t = result.totals
    return display.say(
        "In {period}, {client} recorded {events:,} events from {customers:,} customers in {journeys:,} journeys; "
        "{conv:,} journeys ended in a purchase ({rate}). Surveys returned {responses:,} responses and "
        "{reviews:,} reviews were written.",
        period=result.period, client=result.client_name, events=t["events"], customers=t["customers"],
        journeys=t["journeys"], conv=t["converted_journeys"],
        rate=pct(t["converted_journeys"] / t["journeys"]) if t["journeys"] else "no journeys",
        responses=t["responses"], reviews=t["reviews"])


def say_data(result) -> display.HTML:
    """Which optional inputs the client has not provided and what the step leaves out without them
    (nothing to show when every input is there)."""
    missing = [text for name, text in (
        ("segment", "the events carry no customer segment, so there is no comparison by segment"),
        ("feedback", "there is no survey table, so there is no CSAT, top-2-box or NPS"),
        ("orders", "there is no orders table, so there is no repeat purchase or customer lifetime value"),
        ("reviews", "there is no reviews table, so only survey comments are scored"),
    ) if name in result.missing]
    if not missing:
        return display.HTML("")
    return display.HTML(display.say("Some optional inputs are not provided, so parts of this step are left out:"
                                    ).markup + display.bullets(missing).markup)


def say_kpis(result) -> display.HTML:
    k = result.kpis["touchpoint"]
    conv = k[(k["journeys"] >= 30) & k["conversion"].notna() & (k["stage"] != "decision")
             & (k["stage"] != "retention")]
    csat = k[k["csat_n"] >= 10]
    if conv.empty and csat.empty:
        return display.say("Too few journeys and ratings in {period} to compare touchpoints.", period=result.period)
    parts, vals = [], {}
    if not conv.empty:
        best, worst = conv.loc[conv["conversion"].idxmax()], conv.loc[conv["conversion"].idxmin()]
        parts.append("Before the purchase, journeys that touch {best} convert most often ({bc}, {bci}) and those "
                     "that touch {worst} least often ({wc}, {wci}).")
        vals.update(best=best["name"], bc=pct(best["conversion"]),
                    bci=interval(best["conversion_ci_low"], best["conversion_ci_high"]), worst=worst["name"],
                    wc=pct(worst["conversion"]), wci=interval(worst["conversion_ci_low"], worst["conversion_ci_high"]))
    if not csat.empty:
        hi, lo = csat.loc[csat["csat"].idxmax()], csat.loc[csat["csat"].idxmin()]
        parts.append(" CSAT is highest at {hi} ({hv:.2f}, n={hn:,}) and lowest at {lo} ({lv:.2f}, n={ln:,}).")
        vals.update(hi=hi["name"], hv=hi["csat"], hn=int(hi["csat_n"]), lo=lo["name"], lv=lo["csat"],
                    ln=int(lo["csat_n"]))
    return display.say("".join(parts), **vals)


def say_segments(result) -> display.HTML:
    seg = result.kpis.get("segment")
    gap = segment_gap(seg) if seg is not None else None
    if gap is None:
        return display.say("The events of {client} carry no customer segments to compare.",
                           client=result.client_name)
    hi, lo, d = gap["high"], gap["low"], gap["difference"]
    text = ("Journeys of {a} customers convert at {ac} ({aci}), {b} customers at {bc} ({bci}): {ratio:.1f} times "
            "as often, a difference of {d} ({di}){sig}.")
    vals = dict(a=hi["segment"], ac=pct(hi["conversion"]),
                aci=interval(hi["conversion_ci_low"], hi["conversion_ci_high"]), b=lo["segment"],
                bc=pct(lo["conversion"]), bci=interval(lo["conversion_ci_low"], lo["conversion_ci_high"]),
                ratio=gap["ratio"], d=change("conversion", d.value, long=True),
                di=change_interval("conversion", d.ci_low, d.ci_high),
                sig="" if d.excludes(0) else ", which is within the noise")
    if pd.notna(hi["csat"]) and pd.notna(lo["csat"]):
        text += " Mean CSAT is {acs:.2f} ({acsi}) for {a} and {bcs:.2f} ({bcsi}) for {b}."
        vals.update(acs=hi["csat"], acsi=interval(hi["csat_ci_low"], hi["csat_ci_high"], percent=False),
                    bcs=lo["csat"], bcsi=interval(lo["csat_ci_low"], lo["csat_ci_high"], percent=False))
    return display.say(text, **vals)


def say_changes(result) -> display.HTML:
    sig = _changes(result)
    if sig.empty:
        return display.say("No KPI of a touchpoint changed by more than its uncertainty against the previous "
                           "period or the same period last year.")
    items = [f"{r['name']}: {kpis.short(r['kpi'])} {change(r['kpi'], r['change'])} "
             f"({change_interval(r['kpi'], r['ci_low'], r['ci_high'])}) against the {r['comparison']}"
             for _, r in sig.head(8).iterrows()]
    head = display.say("{n} changes have a 95% interval that excludes zero (only those are flagged); the clearest "
                       "are:", n=len(sig))
    return display.HTML(head.markup + display.bullets(items).markup)


def say_funnel(result) -> display.HTML:
    f = result.funnel
    steps = f[f["step_conversion"].notna() & (f["journeys"] > 0)]
    if steps.empty:
        return display.say("No journeys in {period}.", period=result.period)
    worst = steps.loc[steps["drop_off"].idxmax()]
    nxt = STAGES[STAGES.index(worst["stage"]) + 1]
    return display.say("The largest drop-off is from {s} to {n}: {d} of journeys that reach {s} go no further "
                       "({lo} to {hi}).", s=worst["stage"], n=nxt, d=pct(worst["drop_off"]),
                       lo=pct(worst["drop_off_ci_low"]), hi=pct(worst["drop_off_ci_high"]))


def say_exits(result) -> display.HTML:
    e = result.exits
    if e.empty:
        return display.say("No journeys in {period}.", period=result.period)
    more = e[e["more_exits"]]
    if more.empty:
        return display.say("No touchpoint ends journeys without a purchase more often than the others.")
    top = more.iloc[0]
    others = ", ".join(more["name"].iloc[1:4].astype(str))
    return display.say("Journeys touching {tp} end without a purchase more often than journeys that do not touch "
                       "it: {rate} against {others_rate} ({diff} percentage points, 95% interval {lo} to {hi}; "
                       "adjusted for the {m} touchpoints compared). {exit} of the journeys touching it end there."
                       + (" Also lost more often: {others}." if others else ""),
                       tp=top["name"], rate=pct(top["lost_rate"]), others_rate=pct(top["others_lost_rate"]),
                       diff=f"{100 * top['difference']:+.1f}", lo=f"{100 * top['difference_ci_low']:+.1f}",
                       hi=f"{100 * top['difference_ci_high']:+.1f}", m=int(e["p_value"].notna().sum()),
                       exit=pct(top["exit_rate"]), others=others)


def say_paths(result) -> display.HTML:
    p = result.paths
    if p.empty:
        return display.say("No journeys in {period}.", period=result.period)
    top = p.iloc[0]
    conv = p[p["conversions"] > 0]
    text = "There are {n:,} distinct paths; the most common is {path} ({share} of journeys)."
    vals = dict(n=len(p), path=top["path"], share=pct(top["share"]))
    if len(conv):
        c = conv.sort_values("conversions", ascending=False).iloc[0]
        text += " Most purchases follow {cpath} ({cn:,} purchases)."
        vals.update(cpath=c["path"], cn=int(c["conversions"]))
    return display.say(text, **vals)


def say_time_to_convert(result) -> display.HTML:
    t = result.time_to_convert
    if t.empty or not t["converting_journeys"].iloc[0]:
        return display.say("No journey converted in {period}.", period=result.period)
    r = t.iloc[0]
    return display.say("Half of the purchasing journeys buy within {m} of their first touch; the middle "
                       "half take {q1} to {q3} (n={n:,}).", m=duration(r["median_days"]), q1=duration(r["q1_days"]),
                       q3=duration(r["q3_days"]), n=int(r["converting_journeys"]))


def say_sentiment(result) -> display.HTML:
    s = result.sentiment
    method = display.say("Method: {m}", m=sentiment.METHOD)
    if s.empty:
        return display.HTML(display.say("No comments or review texts in {period}.", period=result.period).markup
                            + method.markup)
    ok = s[s["texts"] >= 10]
    if ok.empty:
        ok = s
    worst = ok.loc[ok["negative"].idxmax()]
    langs = sorted({lang for v in s["languages"] for lang in str(v).split(", ") if lang})
    head = display.say("{n:,} texts were scored ({langs}). The most negative are {src} texts about {tp}: {neg} "
                       "negative ({lo} to {hi}).", n=int(s["texts"].sum()),
                       langs=", ".join(sentiment.LANGUAGE_NAMES.get(x, x) for x in langs), src=worst["source"],
                       tp=result.names.get(worst["touchpoint_id"], worst["touchpoint_id"]),
                       neg=pct(worst["negative"]), lo=pct(worst["negative_ci_low"]),
                       hi=pct(worst["negative_ci_high"]))
    return display.HTML(head.markup + method.markup)


def say_value(result) -> display.HTML:
    v = result.value
    if v.get("by_segment") is None or len(v.get("by_segment", [])) == 0 or \
            not v["per_customer"]["clv"].notna().any():
        return display.say("{note}", note=v.get("note") or "No orders.")
    seg = v["by_segment"]
    ft = v["by_first_touchpoint"]
    parts = ["Over the next 12 months a customer is expected to be worth {mean:,.0f} {cur} on average "
             "(BG/NBD and Gamma-Gamma fitted by maximum likelihood on {n:,} customers' orders)."]
    per = v["per_customer"]
    vals = dict(mean=per["clv"].mean(), cur=result.currency, n=len(per))
    if len(seg) > 1:
        top = seg.loc[seg["clv_mean"].idxmax()]
        parts.append(" The {s} segment is worth most ({sv:,.0f} {cur}, {slo:,.0f} to {shi:,.0f}).")
        vals.update(s=top["segment"], sv=top["clv_mean"], slo=top["clv_ci_low"], shi=top["clv_ci_high"])
    big = ft[ft["customers"] >= 30]
    if len(big) > 1:
        rep = big.loc[big["repeat_rate"].idxmax()]
        parts.append(" Customers who first met the business at {ft} buy again most often ({rr}).")
        vals.update(ft=result.names.get(rep["first_touchpoint"], rep["first_touchpoint"]),
                    rr=pct(rep["repeat_rate"]))
    return display.say("".join(parts), **vals)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": "Touchpoint id", "name": "Touchpoint", "stage": "Stage", "kind": "Kind", "segment": "Segment",
    "events": "Events", "customers": "Customers", "journeys": "Journeys", "converted_journeys": "Purchases",
    "conversion": "Conversion", "conversion_ci_low": "Conv. low", "conversion_ci_high": "Conv. high",
    "revenue": "Revenue", "journey_revenue": "Revenue of journeys", "csat_n": "Ratings", "csat": "CSAT",
    "csat_ci_low": "CSAT low", "csat_ci_high": "CSAT high", "top2box": "Top-2-box", "nps_n": "NPS answers",
    "nps": "NPS", "nps_ci_low": "NPS low", "nps_ci_high": "NPS high", "note": "Note", "kpi": "KPI",
    "comparison": "Compared with", "current": "Now", "before": "Before", "change": "Change", "ci_low": "Low",
    "ci_high": "High", "significant": "Outside noise", "interval": "95% interval", "path": "Path", "steps": "Steps",
    "conversions": "Purchases",
    "nulls": "No purchase", "share": "Share", "from": "From", "to": "To", "count": "Moves",
    "probability": "Probability", "share_of_start": "Share of all journeys", "step_conversion": "To next stage",
    "step_conversion_ci_low": "Next low", "step_conversion_ci_high": "Next high", "drop_off": "Drop-off",
    "drop_off_ci_low": "Drop-off low", "drop_off_ci_high": "Drop-off high", "exits": "Exits",
    "exit_rate": "Exit rate", "exit_rate_ci_low": "Exit low", "exit_rate_ci_high": "Exit high",
    "average": "Average", "lost": "Lost", "lost_rate": "Lost share", "others_journeys": "Other journeys",
    "others_lost": "Others lost", "others_lost_rate": "Others lost share", "p_value": "p",
    "p_adjusted": "Adjusted p", "difference": "Difference", "difference_ci_low": "Diff. low",
    "difference_ci_high": "Diff. high", "more_exits": "Lost more often", "converting_journeys": "Purchasing journeys",
    "mean_days": "Mean", "q1_days": "25% buy within", "median_days": "Half buy within", "q3_days": "75% buy within",
    "source": "Source", "ratings": "Ratings", "share_1": "1", "share_2": "2", "share_3": "3", "share_4": "4",
    "share_5": "5", "mean": "Mean", "texts": "Texts", "mean_sentiment": "Mean sentiment", "negative": "Negative",
    "negative_ci_low": "Neg. low", "negative_ci_high": "Neg. high", "positive": "Positive", "languages": "Languages",
    "rank": "Rank", "term": "Complaint term", "first_touchpoint": "First touchpoint",
    "repeat_customers": "Repeat customers", "repeat_rate": "Repeat rate", "repeat_rate_ci_low": "Repeat low",
    "repeat_rate_ci_high": "Repeat high", "clv_mean": "12-month CLV", "clv_ci_low": "CLV low",
    "clv_ci_high": "CLV high", "clv_total": "CLV total",
}
PERCENT_COLUMNS = {"conversion", "conversion_ci_low", "conversion_ci_high", "top2box", "share", "probability",
                   "share_of_start", "step_conversion", "step_conversion_ci_low", "step_conversion_ci_high",
                   "drop_off", "drop_off_ci_low", "drop_off_ci_high", "exit_rate", "exit_rate_ci_low",
                   "exit_rate_ci_high", "average", "difference", "difference_ci_low", "difference_ci_high",
                   "lost_rate", "others_lost_rate", "share_1", "share_2", "share_3", "share_4", "share_5", "negative",
                   "negative_ci_low",
                   "negative_ci_high", "positive", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high"}
TIME_COLUMNS = ("mean_days", "q1_days", "median_days", "q3_days")
ALL_JOURNEYS = "all journeys"
EMPTY = "Nothing to show for this period."

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
    "complaints": (None, ["name", "rank", "term", "texts", "share"]),
    "value_segments": (None, ["segment", "customers", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high",
                              "clv_mean", "clv_ci_low", "clv_ci_high", "clv_total"]),
    "value_first_touchpoint": (None, ["name", "customers", "repeat_customers", "repeat_rate", "repeat_rate_ci_low",
                                      "repeat_rate_ci_high", "clv_mean", "clv_ci_low", "clv_ci_high"]),
}


def part(result, name: str) -> pd.DataFrame:
    """The data behind one part of the report (see :data:`PARTS`)."""
    if name not in PARTS:
        raise DataError(f"unknown part '{name}'", hint=f"use one of {', '.join(PARTS)}")
    level, _ = PARTS[name]
    if level is not None:
        return result.kpis.get(level, pd.DataFrame())
    if name == "changes":
        return _changes(result) if len(result.changes) else result.changes
    if name == "time_to_convert":
        overall = result.time_to_convert.assign(segment=ALL_JOURNEYS)
        return pd.concat([overall, result.time_to_convert_by_segment], ignore_index=True)
    if name == "value_segments":
        return result.value.get("by_segment", pd.DataFrame())
    if name == "value_first_touchpoint":
        ft = result.value.get("by_first_touchpoint", pd.DataFrame())
        return ft.assign(touchpoint_id=ft["first_touchpoint"]) if len(ft) else ft
    if name == "paths":
        return result.paths.head(15)
    if name == "transitions":
        return result.transitions.sort_values("count", ascending=False).head(20)
    return getattr(result, name)


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
        return display.say("{note}", note=empty)
    df = df.copy()
    if "touchpoint_id" in df.columns and "name" not in df.columns:
        df["name"] = df["touchpoint_id"].map(result.names).fillna(df["touchpoint_id"])
    cols = [c for c in PARTS[name][1] if c in df.columns]
    shown = df[cols]
    if name == "changes":
        shown = _formatted_changes(shown, df)
    if name == "time_to_convert":
        shown = shown.assign(**{c: [duration(v) for v in df[c]] for c in TIME_COLUMNS if c in shown.columns})
    percent = [PRETTY.get(c, c) for c in cols if c in PERCENT_COLUMNS and name != "changes"]
    return display.show_table(shown.rename(columns=PRETTY), caption=caption, percent=percent)


# ---------------------------------------------------------------------------
# Findings for the executive summary
# ---------------------------------------------------------------------------

def findings_text(result) -> list[str]:
    """The headline findings of step 2, most important first."""
    out: list[str] = []
    t = result.totals
    if t["journeys"]:
        out.append(f"{t['converted_journeys']:,} of {t['journeys']:,} journeys in {result.period} ended in a purchase "
                   f"({pct(t['converted_journeys'] / t['journeys'])}).")
    gap = segment_gap(result.kpis["segment"]) if "segment" in result.kpis else None
    if gap is not None and gap["difference"].excludes(0):
        out.append(f"{gap['high']['segment']} journeys convert {gap['ratio']:.1f} times as often as "
                   f"{gap['low']['segment']} journeys ({pct(gap['high']['conversion'])} vs "
                   f"{pct(gap['low']['conversion'])}).")
    more = result.exits[result.exits["more_exits"]] if len(result.exits) else result.exits
    if len(more):
        r = more.iloc[0]
        out.append(f"Journeys touching {r['name']} end without a purchase more often than elsewhere "
                   f"({pct(r['lost_rate'])}, against {pct(r['others_lost_rate'])} of the journeys that do not "
                   f"touch it).")
    f = result.funnel[result.funnel["step_conversion"].notna() & (result.funnel["journeys"] > 0)]
    if len(f):
        w = f.loc[f["drop_off"].idxmax()]
        out.append(f"Largest funnel drop-off: {pct(w['drop_off'])} of journeys reaching {w['stage']} go no further.")
    for _, r in _changes(result).head(3).iterrows():
        out.append(f"{r['name']}: {kpis.label(r['kpi'])} {change(r['kpi'], r['change'])} against "
                   f"the {r['comparison']}.")
    k = result.kpis["touchpoint"]
    rated = k[k["csat_n"] >= 10]
    if len(rated):
        lo = rated.loc[rated["csat"].idxmin()]
        out.append(f"Lowest CSAT: {lo['name']} ({lo['csat']:.2f}, n={int(lo['csat_n'])}).")
    return out
