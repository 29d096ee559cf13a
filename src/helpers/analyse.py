"""Step 2: collect and analyse - KPIs with uncertainty, trends, journeys, feedback, customer value.

>>> result = run("nordlys", "2026Q3")          # every event aggregate computed once
>>> result.kpis["touchpoint"]                   # KPI table by touchpoint (also stage, kind, segment)
>>> kpi_figure(result.kpis["touchpoint"])        # figures take the computed tables
>>> result.funnel, result.exits, result.paths, result.transitions

Event-level work is written as Ibis expressions (the ``*_expr`` functions) and runs on the
client's engine (DuckDB by default, Spark unchanged); only small aggregates come back as
pandas DataFrames. Feedback, orders and reviews are small and read with
:func:`helpers.data.read_small`. Every rate carries a confidence interval from
:mod:`helpers.stats`; an interval that cannot be computed (one respondent, nothing to
compare) is NaN and the ``note`` column says why.

Definitions used throughout

* A journey *touches* a touchpoint (stage, segment) when any of its events in the period is
  there. The conversion rate of a touchpoint is converted journeys touching it divided by
  journeys touching it (Wilson interval). A journey is converted when it has a converting
  event in the period.
* Paths are the touchpoints of a journey in time order with repeats collapsed
  ("a > a > b" is "a > b"), up to and including the first purchase.
* The stage funnel counts journeys by the furthest stage they reached (awareness,
  consideration, decision, retention); step conversion is the share of journeys reaching a
  stage that also reach the next one.
* The exit rate of a touchpoint is the share of journeys touching it that end there
  without a purchase, compared with all other touchpoints before and at the purchase pooled
  (Newcombe interval); after-purchase touchpoints are left out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from scipy import stats as st

from helpers import data, display, sentiment, stats
from helpers.clv import clv, fit_bgnbd, fit_gamma_gamma  # noqa: F401  (re-exported: helpers.analyse.fit_bgnbd)
from helpers.config import STAGES, load_client
from helpers.errors import DataError
from helpers.display import enable_figures
from helpers.periods import Period

UNKNOWN = "(not catalogued)"
NO_SEGMENT = "(no segment)"
START, END = "(start)", "(end)"
BUSINESS = "(whole business)"
STAGE_INDEX = {s: i for i, s in enumerate(STAGES)}
#: KPI table levels and the columns each groups by.
LEVELS = {
    "overall": [],
    "touchpoint": ["touchpoint_id"],
    "stage": ["stage"],
    "kind": ["kind"],
    "segment": ["segment"],
    "touchpoint_segment": ["touchpoint_id", "segment"],
}
STAGE_COLOURS = {"awareness": "#8fb8de", "consideration": "#4f8fc0", "decision": "#1f4e79",
                 "retention": "#e39b3b", UNKNOWN: "#999999"}


# ---------------------------------------------------------------------------
# Ibis expressions (event level; DuckDB or Spark, unchanged)
# ---------------------------------------------------------------------------

def bounds(period: Period | str) -> tuple[dt.datetime, dt.datetime]:
    """Start and exclusive end of a period as naive UTC datetimes."""
    per = Period.parse(period)
    return dt.datetime.combine(per.start, dt.time()), dt.datetime.combine(per.end, dt.time())


def prepare_expr(events, catalogue: pd.DataFrame, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """Events in ``[start, end)`` with ``stage``, ``kind``, ``stage_index`` from the catalogue,
    ``segment`` (``(no segment)`` where missing or absent) and ``revenue`` without nulls."""
    ev = events
    if start is not None:
        ev = ev.filter(ev.ts >= start)
    if end is not None:
        ev = ev.filter(ev.ts < end)
    stage_map = dict(zip(catalogue["touchpoint_id"], catalogue["stage"])) if len(catalogue) else {}
    kind_map = dict(zip(catalogue["touchpoint_id"], catalogue["kind"])) if len(catalogue) else {}
    index_map = {t: STAGE_INDEX[s] for t, s in stage_map.items()}
    tp = ev.touchpoint_id
    seg = ev.segment.cast("string").fill_null(NO_SEGMENT) if "segment" in ev.columns else ibis.literal(NO_SEGMENT)
    return ev.mutate(
        stage=tp.substitute(stage_map, else_=ibis.literal(UNKNOWN)) if stage_map else ibis.literal(UNKNOWN),
        kind=tp.substitute(kind_map, else_=ibis.literal(UNKNOWN)) if kind_map else ibis.literal(UNKNOWN),
        stage_index=(tp.substitute(index_map, else_=ibis.null("int64")) if index_map
                     else ibis.null("int64")).cast("int64"),
        segment=seg,
        revenue=ev.revenue.cast("float64").fill_null(0.0),
        converted=ev.converted.cast("boolean").fill_null(False),
    )


def _group_agg(table, keys: list[str], **aggs):
    return table.group_by(keys).agg(**aggs) if keys else table.agg(**aggs)


def volume_expr(ev, keys: list[str]):
    """Events, distinct customers and revenue recorded at the events, per ``keys``."""
    return _group_agg(ev, keys, events=ev.count(), customers=ev.customer_id.nunique(), revenue=ev.revenue.sum())


def journey_outcomes_expr(ev, extra: tuple[str, ...] = ()):
    """One row per journey (and ``extra`` keys such as a period label): converted (0/1) and its revenue."""
    keys = [*extra, "journey_id"]
    return ev.group_by(keys).agg(journey_converted=ev.converted.cast("int64").max(),
                                 journey_revenue=ev.revenue.sum())


def journey_touch_expr(ev, keys: list[str], extra: tuple[str, ...] = ()):
    """Per ``keys``: journeys touching, converted journeys touching and their revenue."""
    outcomes = journey_outcomes_expr(ev, extra)
    touched = ev.select(*extra, "journey_id", *keys).distinct()
    joined = touched.join(outcomes, [*extra, "journey_id"])
    return _group_agg(joined, [*extra, *keys], journeys=joined.count(),
                      converted_journeys=joined.journey_converted.sum(),
                      journey_revenue=joined.journey_revenue.sum())


def labelled_periods_expr(events, catalogue: pd.DataFrame, periods: dict[str, tuple[dt.datetime, dt.datetime]]):
    """Prepared events of several periods at once, with their label in ``period``."""
    ev = events
    cond = None
    label = None
    for name, (start, end) in periods.items():
        inside = (ev.ts >= start) & (ev.ts < end)
        cond = inside if cond is None else cond | inside
        label = ibis.cases((inside, name), else_=label) if label is not None else ibis.cases((inside, name))
    ev = ev.filter(cond).mutate(period=label)
    return prepare_expr(ev, catalogue)


def weekly_expr(ev, keys: list[str]):
    """Per ISO week (Monday) and ``keys``: events, customers, journeys touching, converted journeys touching."""
    wk = ev.mutate(week=ev.ts.truncate("W"))
    outcomes = journey_outcomes_expr(wk)
    touched = wk.select("week", "journey_id", *keys).distinct().join(outcomes, "journey_id")
    vol = wk.group_by(["week", *keys]).agg(events=wk.count(), customers=wk.customer_id.nunique())
    jour = touched.group_by(["week", *keys]).agg(journeys=touched.count(),
                                                  converted_journeys=touched.journey_converted.sum())
    return vol, jour


def _ordered(ev):
    return ibis.window(group_by="journey_id", order_by=[ev.ts, ev.touchpoint_id])


def collapsed_expr(ev):
    """Events in journey order with ``pos`` (0-based), ``prev_tp`` and ``next_raw`` (the touchpoints of the
    events just before and after) and ``kept``: whether the event starts a run of its touchpoint, i.e.
    survives collapsing repeats ("a > a > b" is "a > b"). For a kept event ``prev_tp`` is also the
    previous touchpoint of the collapsed sequence, and the last event of a journey (``next_raw`` null)
    has the last touchpoint of the collapsed sequence, so one window pass serves paths and transitions."""
    base = ev.select("journey_id", "ts", "touchpoint_id", "converted")
    w = _ordered(base)
    base = base.mutate(prev_tp=base.touchpoint_id.lag().over(w), next_raw=base.touchpoint_id.lead().over(w),
                       pos=ibis.row_number().over(w))
    return base.mutate(kept=base.prev_tp.isnull() | (base.prev_tp != base.touchpoint_id))


def transitions_expr(ev):
    """Counts of moves between touchpoints (repeats collapsed), with ``(start)`` and ``(end)``."""
    c = collapsed_expr(ev)
    kept = c.filter(c.kept)
    moves = kept.select(from_tp=kept.prev_tp.fill_null(START), to_tp=kept.touchpoint_id)
    last = c.filter(c.next_raw.isnull())
    ends = last.select(from_tp=last.touchpoint_id, to_tp=ibis.literal(END))
    both = moves.union(ends, distinct=False)
    return both.group_by(["from_tp", "to_tp"]).agg(count=both.count())


def paths_expr(ev):
    """Per distinct path (repeats collapsed, up to and including the first purchase):
    journeys, conversions and journeys without purchase (``nulls``)."""
    j = ibis.window(group_by="journey_id")
    upto = ev.mutate(first_conv=ev.ts.min(where=ev.converted).over(j))
    upto = upto.filter(upto.first_conv.isnull() | (upto.ts <= upto.first_conv))
    w = _ordered(upto)
    upto = upto.mutate(prev_tp=upto.touchpoint_id.lag().over(w), pos=ibis.row_number().over(w))
    kept = upto.filter(upto.prev_tp.isnull() | (upto.prev_tp != upto.touchpoint_id))
    steps = kept.group_by("journey_id").agg(
        steps=ibis.struct({"pos": kept.pos, "tp": kept.touchpoint_id}).collect(),
        conv=kept.first_conv.notnull().cast("int64").max(),
    )
    per = steps.mutate(path=steps.steps.sort().map(lambda s: s.tp).join(" > "))
    return per.group_by("path").agg(journeys=per.count(), conversions=per.conv.sum())


def funnel_expr(ev):
    """Journeys by the furthest catalogued stage they reached (``depth``, 0 = awareness)."""
    per = ev.filter(ev.stage_index.notnull()).group_by("journey_id").agg(depth=ev.stage_index.max())
    return per.group_by("depth").agg(journeys=per.count())


def exits_expr(ev):
    """Per touchpoint: journeys whose last event in the period is there and that did not convert."""
    w = ibis.window(group_by="journey_id", order_by=[ibis.desc(ev.ts), ibis.desc(ev.touchpoint_id)])
    last = ev.mutate(rn=ibis.row_number().over(w),
                     jconv=ev.converted.cast("int64").max().over(ibis.window(group_by="journey_id")))
    last = last.filter((last.rn == 0) & (last.jconv == 0))
    return last.group_by("touchpoint_id").agg(exits=last.count())


def time_to_convert_expr(ev, keys: list[str]):
    """Days from a journey's first event to its first purchase: n, mean and quartiles per ``keys``
    (a journey's segment is that of its first purchase)."""
    per = ev.group_by("journey_id").agg(
        first_ts=ev.ts.min(),
        conv_ts=ev.ts.min(where=ev.converted),
        segment=ev.segment.max(where=ev.converted),
    )
    per = per.filter(per.conv_ts.notnull())
    per = per.mutate(days=(per.conv_ts.epoch_seconds() - per.first_ts.epoch_seconds()).cast("float64") / 86400.0)
    return _group_agg(per, keys, converting_journeys=per.count(), mean_days=per.days.mean(),
                      q1_days=per.days.quantile(0.25), median_days=per.days.quantile(0.5),
                      q3_days=per.days.quantile(0.75))


def first_touch_expr(events, end: dt.datetime, customers=None):
    """Per customer: the touchpoint of their first event before ``end`` (ties by touchpoint id).
    ``customers`` (an Ibis table with ``customer_id``) keeps only those customers."""
    ev = events.filter(events.ts < end).select("customer_id", "ts", "touchpoint_id")
    if customers is not None:
        ev = ev.semi_join(customers, "customer_id")
    w = ibis.window(group_by="customer_id", order_by=[ev.ts, ev.touchpoint_id])
    ranked = ev.mutate(rn=ibis.row_number().over(w))
    ranked = ranked.filter(ranked.rn == 0)
    return ranked.select("customer_id", first_touchpoint=ranked.touchpoint_id)


# ---------------------------------------------------------------------------
# Pure functions on small DataFrames
# ---------------------------------------------------------------------------

def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def in_window(df: pd.DataFrame, start: dt.datetime, end: dt.datetime, ts_col: str = "ts") -> pd.DataFrame:
    if df is None or df.empty:
        return pd.DataFrame(columns=[] if df is None else df.columns)
    ts = pd.to_datetime(df[ts_col])
    return df[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]


def add_dimensions(df: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Copy of a small table with ``stage``, ``kind`` and ``segment`` (as the events get them)."""
    out = df.copy()
    stage = dict(zip(catalogue["touchpoint_id"], catalogue["stage"]))
    kind = dict(zip(catalogue["touchpoint_id"], catalogue["kind"]))
    tp = out["touchpoint_id"] if "touchpoint_id" in out.columns else pd.Series(None, index=out.index, dtype=object)
    out["stage"] = tp.map(stage).fillna(UNKNOWN).astype(object)
    out["kind"] = tp.map(kind).fillna(UNKNOWN).astype(object)
    seg = out["segment"] if "segment" in out.columns else pd.Series(None, index=out.index, dtype=object)
    out["segment"] = seg.astype(object).where(seg.notna(), NO_SEGMENT)
    return out


def feedback_kpis(feedback: pd.DataFrame, keys: list[str], level: float = 0.95) -> pd.DataFrame:
    """Survey KPIs per ``keys``: CSAT mean with t interval, top-2-box (4-5 of 5) with Wilson
    interval, NPS with its interval. Rows without a touchpoint (relationship questions) count
    only when ``keys`` has no touchpoint, stage or kind (overall and segment tables).

    Columns: keys, csat_n, csat, csat_sd, csat_ci_low, csat_ci_high, top2box, top2box_ci_low,
    top2box_ci_high, nps_n, nps, nps_se, nps_ci_low, nps_ci_high, feedback_note.
    """
    cols = [*keys, "csat_n", "csat", "csat_sd", "csat_ci_low", "csat_ci_high", "top2box", "top2box_ci_low",
            "top2box_ci_high", "nps_n", "nps", "nps_se", "nps_ci_low", "nps_ci_high", "feedback_note"]
    fb = feedback
    if {"touchpoint_id", "stage", "kind"} & set(keys) and "touchpoint_id" in fb.columns:
        fb = fb[fb["touchpoint_id"].notna()]
    if fb.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in keys or c == "feedback_note" else "float64")
                             for c in cols})
    work = fb.assign(_all=1)
    gkeys = keys or ["_all"]
    csat = _num(work["csat"]) if "csat" in work.columns else pd.Series(np.nan, index=work.index)
    work = work.assign(_csat=csat, _top=(csat >= 4).astype("float64").where(csat.notna()))
    g = work.groupby(gkeys, dropna=False, sort=True)
    out = pd.DataFrame({
        "csat_n": g["_csat"].count(),
        "csat": g["_csat"].mean(),
        "csat_sd": g["_csat"].std(ddof=1),
        "_top": g["_top"].sum(),
    }).reset_index()
    ests = [stats.mean_ci_from_stats(m, s, n, level) for m, s, n in zip(out["csat"], out["csat_sd"], out["csat_n"])]
    out["csat_ci_low"] = [e.ci_low for e in ests]
    out["csat_ci_high"] = [e.ci_high for e in ests]
    top = stats.proportion_ci_frame(out, "_top", "csat_n", level=level, name="top2box")
    out["top2box"], out["top2box_ci_low"], out["top2box_ci_high"] = (
        top["top2box"], top["top2box_ci_low"], top["top2box_ci_high"])
    out["_csat_note"] = [e.note for e in ests]
    if "nps" in work.columns and work["nps"].notna().any():
        npsf = stats.nps_frame(work, gkeys, "nps", level=level)
        npsf = npsf.rename(columns={"n": "nps_n"})[[*gkeys, "nps_n", "nps", "nps_se", "nps_ci_low",
                                                     "nps_ci_high", "nps_note"]]
        out = out.merge(npsf, on=gkeys, how="outer")
    else:
        for c in ("nps_n", "nps", "nps_se", "nps_ci_low", "nps_ci_high"):
            out[c] = np.nan
        out["nps_note"] = ""
    out["csat_n"] = out["csat_n"].fillna(0)
    out["nps_n"] = out["nps_n"].fillna(0)
    out["feedback_note"] = [_join_notes(("CSAT: " + a) if isinstance(a, str) and a else "",
                                        ("NPS: " + b) if isinstance(b, str) and b else "")
                            for a, b in zip(out["_csat_note"], out["nps_note"])]
    out.loc[out["nps_n"] == 1, "feedback_note"] = [
        _join_notes(n, "NPS: one respondent") for n in out.loc[out["nps_n"] == 1, "feedback_note"]]
    if not keys:
        out = out.drop(columns="_all")
    return out[cols]


def _join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _keys_as_object(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.copy()
    for k in keys:
        out[k] = out[k].astype(object) if k in out.columns else pd.Series(dtype=object)
    return out


def build_kpi_table(volume: pd.DataFrame, journeys: pd.DataFrame, feedback: pd.DataFrame, keys: list[str],
                    catalogue: pd.DataFrame | None = None, level: float = 0.95) -> pd.DataFrame:
    """Join event volume, journey conversion and survey KPIs on ``keys`` into one KPI table.

    Adds conversion with its Wilson interval and a ``note`` column explaining every interval
    that is missing. When grouping by touchpoint, adds name, stage and kind from the
    catalogue (``(not catalogued)`` otherwise) and sorts along the journey.
    """
    if keys:
        frames = [_keys_as_object(f, keys) for f in (volume, journeys, feedback)]
        if keys == ["touchpoint_id"] and catalogue is not None:
            # every catalogued touchpoint gets a row, with or without data
            frames.insert(0, pd.DataFrame({"touchpoint_id": pd.Series(list(catalogue["touchpoint_id"]),
                                                                      dtype=object)}))
        out = frames[0]
        for f in frames[1:]:
            out = out.merge(f, on=keys, how="outer")
    else:
        out = pd.concat([volume.reset_index(drop=True), journeys.reset_index(drop=True),
                         feedback.reset_index(drop=True)], axis=1)
        if out.empty:
            out = pd.DataFrame([{}])
    for c in ("events", "customers", "journeys", "converted_journeys", "csat_n", "nps_n"):
        out[c] = _num(out[c]).fillna(0).astype("int64") if c in out.columns else 0
    for c in ("revenue", "journey_revenue"):
        out[c] = _num(out[c]).fillna(0.0) if c in out.columns else 0.0
    conv = stats.proportion_ci_frame(out, "converted_journeys", "journeys", level=level, name="conversion")
    for c in ("conversion", "conversion_ci_low", "conversion_ci_high"):
        out[c] = conv[c]
    out["note"] = [
        _join_notes("no journeys" if j == 0 else ("one journey: wide interval" if j == 1 else ""),
                    "no ratings" if cn == 0 and nn == 0 else "",
                    fb if isinstance(fb, str) else "")
        for j, cn, nn, fb in zip(out["journeys"], out["csat_n"], out["nps_n"], out.get("feedback_note", ""))
    ]
    if "touchpoint_id" in keys and catalogue is not None:
        names = dict(zip(catalogue["touchpoint_id"], catalogue["name"]))
        out["name"] = [names.get(t, f"{t} {UNKNOWN}") for t in out["touchpoint_id"]]
        out["stage"] = out["touchpoint_id"].map(dict(zip(catalogue["touchpoint_id"], catalogue["stage"]))).fillna(UNKNOWN)
        out["kind"] = out["touchpoint_id"].map(dict(zip(catalogue["touchpoint_id"], catalogue["kind"]))).fillna(UNKNOWN)
        order = {t: i for i, t in enumerate(catalogue["touchpoint_id"])}
        out["_s"] = out["stage"].map(STAGE_INDEX).fillna(len(STAGES))
        out["_o"] = out["touchpoint_id"].map(order).fillna(len(order))
        sort = ["_s", "_o", "touchpoint_id", *[k for k in keys if k != "touchpoint_id"]]
        out = out.sort_values(sort, kind="stable").drop(columns=["_s", "_o"])
        lead = ["touchpoint_id", "name", "stage", "kind", *[k for k in keys if k != "touchpoint_id"]]
    elif keys == ["stage"]:
        out["_s"] = out["stage"].map(STAGE_INDEX).fillna(len(STAGES))
        out = out.sort_values(["_s", "stage"]).drop(columns="_s")
        lead = keys
    else:
        out = out.sort_values(keys) if keys else out
        lead = keys
    cols = [*lead, "events", "customers", "journeys", "converted_journeys", "conversion", "conversion_ci_low",
            "conversion_ci_high", "revenue", "journey_revenue", "csat_n", "csat", "csat_sd", "csat_ci_low",
            "csat_ci_high", "top2box", "top2box_ci_low", "top2box_ci_high", "nps_n", "nps", "nps_se", "nps_ci_low",
            "nps_ci_high", "note"]
    for c in cols:
        if c not in out.columns:
            out[c] = np.nan
    return out[cols].reset_index(drop=True)


def compare_kpis(current: pd.DataFrame, before: pd.DataFrame, fb_now: pd.DataFrame, fb_before: pd.DataFrame,
                 comparison: str, key: str = "touchpoint_id", level: float = 0.95) -> pd.DataFrame:
    """Change of each KPI per ``key`` between two periods, with intervals.

    Conversion and top-2-box: difference of proportions, Newcombe interval; CSAT: difference of
    means, Welch interval (from the raw ratings ``fb_now``/``fb_before``); NPS: difference with
    se = sqrt(se1^2 + se2^2) and a normal interval. ``significant`` only where the interval
    excludes zero. Differences of proportions are in percentage points / 100 (0-1 scale).
    """
    z = float(st.norm.ppf(0.5 + level / 2))
    rows = []
    prev = before.set_index(key) if len(before) else pd.DataFrame()
    for _, now in current.iterrows():
        k = now[key]
        b = prev.loc[k] if k in prev.index else None
        def get(col, default=0.0):
            return float(b[col]) if b is not None and pd.notna(b[col]) else default
        # conversion
        e = stats.diff_proportions_ci(now["converted_journeys"], now["journeys"], get("converted_journeys"),
                                      get("journeys"), level=level)
        rows.append(_change_row(k, "conversion", comparison, now["conversion"], get("conversion", np.nan), e,
                                now["journeys"], get("journeys")))
        # top-2-box
        n_top_now = round(now["top2box"] * now["csat_n"]) if now["csat_n"] else 0
        n_top_b = round(get("top2box") * get("csat_n")) if get("csat_n") else 0
        e = stats.diff_proportions_ci(n_top_now, now["csat_n"], n_top_b, get("csat_n"), level=level)
        rows.append(_change_row(k, "top2box", comparison, now["top2box"], get("top2box", np.nan), e, now["csat_n"],
                                get("csat_n")))
        # CSAT (Welch on the raw ratings)
        a = _ratings(fb_now, key, k, "csat")
        bb = _ratings(fb_before, key, k, "csat")
        e = stats.diff_means_ci(a, bb, level=level)
        rows.append(_change_row(k, "csat", comparison, now["csat"], get("csat", np.nan), e, len(a), len(bb)))
        # NPS
        n1, n2 = now["nps_n"], get("nps_n")
        if n1 > 0 and n2 > 0:
            d = now["nps"] - get("nps")
            se = math.sqrt(now["nps_se"] ** 2 + get("nps_se") ** 2)
            if se > 0:
                e = stats.Estimate(d, se, d - z * se, d + z * se, n1 + n2, "nps_diff", level, "")
            else:
                e = stats.Estimate(d, se, np.nan, np.nan, n1 + n2, "nps_diff", level,
                                   "no variation in either period: no interval")
        else:
            e = stats.Estimate(np.nan, np.nan, np.nan, np.nan, n1 + n2, "nps_diff", level,
                               "a period has no responses")
        rows.append(_change_row(k, "nps", comparison, now["nps"], get("nps", np.nan), e, n1, n2))
    cols = [key, "kpi", "comparison", "current", "before", "change", "ci_low", "ci_high", "n_current", "n_before",
            "significant", "method", "note"]
    out = pd.DataFrame(rows, columns=cols)
    out["significant"] = out["significant"].astype(bool)
    return out


def _ratings(fb: pd.DataFrame, key: str, k, col: str) -> np.ndarray:
    if fb is None or fb.empty or col not in fb.columns:
        return np.array([], dtype=float)
    return _num(fb.loc[fb[key] == k, col]).dropna().to_numpy()


def _change_row(k, kpi, comparison, now, before, est: stats.Estimate, n_now, n_before) -> list:
    return [k, kpi, comparison, now, before, est.value, est.ci_low, est.ci_high, int(n_now), int(n_before),
            bool(est.excludes(0.0)), est.method, est.note]


def weekly_table(volume: pd.DataFrame, journeys: pd.DataFrame, feedback: pd.DataFrame, keys: list[str],
                 level: float = 0.95) -> pd.DataFrame:
    """Long weekly series: week, keys, kpi (events, customers, conversion, csat, nps), value, n,
    ci_low, ci_high. Weeks start on Monday."""
    frames = []
    if len(volume):
        v = volume.copy()
        for kpi in ("events", "customers"):
            frames.append(v[["week", *keys]].assign(kpi=kpi, value=_num(v[kpi]), n=_num(v[kpi]),
                                                    ci_low=np.nan, ci_high=np.nan))
    if len(journeys):
        j = stats.proportion_ci_frame(journeys, "converted_journeys", "journeys", level=level, name="rate")
        frames.append(j[["week", *keys]].assign(kpi="conversion", value=j["rate"], n=_num(j["journeys"]),
                                                ci_low=j["rate_ci_low"], ci_high=j["rate_ci_high"]))
    if feedback is not None and len(feedback):
        fb = feedback.copy()
        fb["week"] = pd.to_datetime(fb["ts"]).dt.to_period("W-SUN").dt.start_time
        fk = feedback_kpis(fb, ["week", *keys], level=level)
        frames.append(fk[["week", *keys]].assign(kpi="csat", value=fk["csat"], n=fk["csat_n"],
                                                 ci_low=fk["csat_ci_low"], ci_high=fk["csat_ci_high"]))
        frames.append(fk[["week", *keys]].assign(kpi="nps", value=fk["nps"], n=fk["nps_n"],
                                                 ci_low=fk["nps_ci_low"], ci_high=fk["nps_ci_high"]))
    cols = ["week", *keys, "kpi", "value", "n", "ci_low", "ci_high"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["week"] = pd.to_datetime(out["week"]).astype("datetime64[us]")
    out = out[out["n"].fillna(0) > 0]
    return out.sort_values(["kpi", *keys, "week"]).reset_index(drop=True)[cols]


def transition_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Transition counts with the probability of each move given where it starts (rows sum to 1)."""
    out = counts.rename(columns={"from_tp": "from", "to_tp": "to"}).copy()
    if out.empty:
        return pd.DataFrame(columns=["from", "to", "count", "probability"])
    out["count"] = out["count"].astype("int64")
    out["probability"] = out["count"] / out.groupby("from")["count"].transform("sum")
    return out.sort_values(["from", "count", "to"], ascending=[True, False, True]).reset_index(drop=True)


def transition_matrix(transitions: pd.DataFrame, value: str = "probability", order: list[str] | None = None):
    """Square from x to table of ``value`` (0 where no move), ``(start)`` first and ``(end)`` last."""
    if transitions.empty:
        return pd.DataFrame()
    seen = sorted((set(transitions["from"]) | set(transitions["to"])) - {START, END})
    states = [s for s in (order or []) if s in seen] + [s for s in seen if s not in (order or [])]
    rows = [START, *[s for s in states if s in set(transitions["from"])]]
    cols = [*[s for s in states if s in set(transitions["to"])], END]
    m = transitions.pivot_table(index="from", columns="to", values=value, aggfunc="sum", fill_value=0)
    return m.reindex(index=rows, columns=cols, fill_value=0)


def path_table(paths_counts: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Paths with journeys, conversions, journeys without purchase (nulls), share of journeys
    and conversion rate with a Wilson interval, most frequent first."""
    cols = ["path", "steps", "journeys", "conversions", "nulls", "share", "conversion", "conversion_ci_low",
            "conversion_ci_high"]
    if paths_counts.empty:
        return pd.DataFrame(columns=cols)
    out = paths_counts.copy()
    out["journeys"] = out["journeys"].astype("int64")
    out["conversions"] = out["conversions"].astype("int64")
    out["nulls"] = out["journeys"] - out["conversions"]
    out["steps"] = out["path"].str.count(" > ") + 1
    out["share"] = out["journeys"] / out["journeys"].sum()
    out = stats.proportion_ci_frame(out, "conversions", "journeys", level=level, name="conversion")
    out = out.sort_values(["journeys", "path"], ascending=[False, True])
    return out[cols].reset_index(drop=True)


def collapse_path(touchpoints: list[str]) -> str:
    """``["a", "a", "b", "a"]`` -> ``"a > b > a"`` (the definition :func:`paths_expr` applies)."""
    out: list[str] = []
    for t in touchpoints:
        if not out or out[-1] != t:
            out.append(str(t))
    return " > ".join(out)


def funnel_table(depths: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Stage funnel from journeys per furthest stage: journeys reaching each stage (or a later one),
    share of all journeys, step conversion to the next stage and drop-off, with Wilson intervals."""
    counts = dict(zip(_num(depths["depth"]).astype(int), _num(depths["journeys"]))) if len(depths) else {}
    reached = [sum(v for d, v in counts.items() if d >= i) for i in range(len(STAGES))]
    rows = []
    for i, stage in enumerate(STAGES):
        nxt = reached[i + 1] if i + 1 < len(STAGES) else np.nan
        rows.append({"stage": stage, "journeys": int(reached[i]), "next_journeys": nxt})
    out = pd.DataFrame(rows)
    total = reached[0]
    out["share_of_start"] = out["journeys"] / total if total else np.nan
    step = out.iloc[:-1].copy()
    step = stats.proportion_ci_frame(step, "next_journeys", "journeys", level=level, name="step_conversion")
    for c in ("step_conversion", "step_conversion_ci_low", "step_conversion_ci_high"):
        out[c] = pd.concat([step[c], pd.Series([np.nan])], ignore_index=True)
    out["drop_off"] = 1 - out["step_conversion"]
    out["drop_off_ci_low"] = 1 - out["step_conversion_ci_high"]
    out["drop_off_ci_high"] = 1 - out["step_conversion_ci_low"]
    out["note"] = ["no journeys reached this stage" if j == 0 else ("last stage" if i == len(STAGES) - 1 else "")
                   for i, j in enumerate(out["journeys"])]
    return out.drop(columns="next_journeys")


def exit_table(exits: pd.DataFrame, touching: pd.DataFrame, catalogue: pd.DataFrame | None = None,
               level: float = 0.95, skip_stages: tuple[str, ...] = ("retention",)) -> pd.DataFrame:
    """Exit rate per touchpoint (journeys ending there without purchase / journeys touching it)
    against all other touchpoints pooled; ``more_exits`` where the Newcombe interval of the
    difference lies above zero. Sorted by the difference, largest first.

    After-purchase (``retention``) touchpoints are left out: a journey there without a purchase
    in the period bought before the period started, so its "exit" is not a lost sale."""
    cols = ["touchpoint_id", "name", "stage", "journeys", "exits", "exit_rate", "exit_rate_ci_low",
            "exit_rate_ci_high", "average", "difference", "difference_ci_low", "difference_ci_high", "more_exits"]
    cat = catalogue if catalogue is not None else pd.DataFrame(columns=["touchpoint_id", "name", "stage"])
    skip = set(cat.loc[cat["stage"].isin(list(skip_stages)), "touchpoint_id"])
    t = touching[["touchpoint_id", "journeys"]].merge(exits, on="touchpoint_id", how="left")
    t = t[~t["touchpoint_id"].isin(list(skip))]
    t["exits"] = _num(t["exits"]).fillna(0).astype("int64")
    t["journeys"] = _num(t["journeys"]).fillna(0).astype("int64")
    t = t[t["journeys"] > 0]
    if t.empty:
        return pd.DataFrame(columns=cols)
    t = stats.proportion_ci_frame(t, "exits", "journeys", level=level, name="exit_rate")
    tot_x, tot_n = t["exits"].sum(), t["journeys"].sum()
    t["average"] = tot_x / tot_n
    diffs = [stats.diff_proportions_ci(x, n, tot_x - x, tot_n - n, level=level)
             for x, n in zip(t["exits"], t["journeys"])]
    t["difference"] = [e.value for e in diffs]
    t["difference_ci_low"] = [e.ci_low for e in diffs]
    t["difference_ci_high"] = [e.ci_high for e in diffs]
    t["more_exits"] = [bool(e.defined and e.ci_low > 0) for e in diffs]
    t["name"] = t["touchpoint_id"].map(dict(zip(cat["touchpoint_id"], cat["name"]))).fillna(t["touchpoint_id"])
    t["stage"] = t["touchpoint_id"].map(dict(zip(cat["touchpoint_id"], cat["stage"]))).fillna(UNKNOWN)
    t = t.sort_values(["difference", "touchpoint_id"], ascending=[False, True])
    return t[cols].reset_index(drop=True)


def time_to_convert_table(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = [*keys, "converting_journeys", "mean_days", "q1_days", "median_days", "q3_days"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = df.copy()
    out["converting_journeys"] = _num(out["converting_journeys"]).fillna(0).astype("int64")
    out = out[out["converting_journeys"] > 0] if keys else out
    return out.sort_values(keys).reset_index(drop=True)[cols] if keys else out[cols].reset_index(drop=True)


def rating_distribution(feedback: pd.DataFrame, reviews: pd.DataFrame, catalogue: pd.DataFrame | None = None
                        ) -> pd.DataFrame:
    """Per touchpoint and source (survey CSAT, review rating): ratings, share of each score 1-5, mean."""
    frames = []
    if feedback is not None and len(feedback) and "csat" in feedback.columns:
        f = feedback[feedback["touchpoint_id"].notna()]
        frames.append(pd.DataFrame({"touchpoint_id": f["touchpoint_id"], "source": "survey (CSAT)",
                                    "rating": _num(f["csat"])}))
    if reviews is not None and len(reviews):
        r = reviews[reviews["touchpoint_id"].notna()] if "touchpoint_id" in reviews.columns else reviews.iloc[:0]
        frames.append(pd.DataFrame({"touchpoint_id": r.get("touchpoint_id"), "source": "review",
                                    "rating": _num(r["rating"])}))
    cols = ["touchpoint_id", "name", "source", "ratings", *[f"share_{i}" for i in range(1, 6)], "mean"]
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["touchpoint_id", "source", "rating"])
    long = long.dropna(subset=["rating"])
    if long.empty:
        return pd.DataFrame(columns=cols)
    long["rating"] = long["rating"].round().astype(int)
    counts = long.groupby(["touchpoint_id", "source", "rating"]).size().unstack("rating", fill_value=0)
    counts = counts.reindex(columns=range(1, 6), fill_value=0)
    n = counts.sum(axis=1)
    out = pd.DataFrame({"ratings": n})
    for i in range(1, 6):
        out[f"share_{i}"] = counts[i] / n
    out["mean"] = (counts * np.arange(1, 6)).sum(axis=1) / n
    out = out.reset_index()
    names = dict(zip(catalogue["touchpoint_id"], catalogue["name"])) if catalogue is not None else {}
    out["name"] = out["touchpoint_id"].map(names).fillna(out["touchpoint_id"])
    if catalogue is not None:
        order = {t: i for i, t in enumerate(catalogue["touchpoint_id"])}
        out["_o"] = out["touchpoint_id"].map(order).fillna(len(order))
        out = out.sort_values(["_o", "touchpoint_id", "source"]).drop(columns="_o")
    return out[cols].reset_index(drop=True)


def comment_texts(feedback: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """Texts to score, one row each: source (review/survey), touchpoint_id, text, language, rating."""
    frames = []
    if reviews is not None and len(reviews):
        title = reviews["title"].fillna("").astype(str) if "title" in reviews.columns else ""
        text = reviews["text"].fillna("").astype(str)
        joined = (title + ". " + text).str.strip(". ") if isinstance(title, pd.Series) else text
        frames.append(pd.DataFrame({
            "source": "review",
            "touchpoint_id": reviews["touchpoint_id"] if "touchpoint_id" in reviews.columns else None,
            "text": joined,
            "language": reviews["language"] if "language" in reviews.columns else None,
            "rating": _num(reviews["rating"]),
        }))
    if feedback is not None and len(feedback) and "comment" in feedback.columns:
        f = feedback[feedback["comment"].notna() & (feedback["comment"].astype(str).str.strip() != "")]
        frames.append(pd.DataFrame({
            "source": "survey",
            "touchpoint_id": f["touchpoint_id"],
            "text": f["comment"].astype(str),
            "language": f["language"] if "language" in f.columns else None,
            "rating": _num(f["csat"]) if "csat" in f.columns else np.nan,
        }))
    cols = ["source", "touchpoint_id", "text", "language", "rating"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)[cols]
    out["touchpoint_id"] = out["touchpoint_id"].astype(object).where(out["touchpoint_id"].notna(), BUSINESS)
    return out


def score_comments(texts: pd.DataFrame, default_language: str = "en") -> pd.DataFrame:
    """``texts`` (from :func:`comment_texts`) with sentiment columns added."""
    scored = sentiment.score_texts(texts["text"], texts["language"], default_language=default_language)
    return pd.concat([texts.drop(columns="language"), scored], axis=1)


def sentiment_summary(scored: pd.DataFrame, keys: tuple[str, ...] = ("touchpoint_id", "source"),
                      level: float = 0.95) -> pd.DataFrame:
    """Per ``keys``: texts scored, mean sentiment, share negative and positive with Wilson intervals,
    languages seen."""
    cols = [*keys, "texts", "mean_sentiment", "negative", "negative_ci_low", "negative_ci_high", "positive",
            "positive_ci_low", "positive_ci_high", "languages"]
    s = scored[scored["label"] != "no text"] if len(scored) else scored
    if s.empty:
        return pd.DataFrame(columns=cols)
    g = s.groupby(list(keys), sort=True)
    out = pd.DataFrame({
        "texts": g.size(),
        "mean_sentiment": g["sentiment"].mean(),
        "_neg": g["label"].apply(lambda x: int((x == "negative").sum())),
        "_pos": g["label"].apply(lambda x: int((x == "positive").sum())),
        "languages": g["language"].apply(lambda x: ", ".join(sorted(set(x)))),
    }).reset_index()
    out = stats.proportion_ci_frame(out, "_neg", "texts", level=level, name="negative")
    out = stats.proportion_ci_frame(out, "_pos", "texts", level=level, name="positive")
    return out[cols].sort_values(list(keys)).reset_index(drop=True)


def complaint_terms(scored: pd.DataFrame, key: str = "touchpoint_id", top: int = 5) -> pd.DataFrame:
    """Most frequent negative opinion terms (negations included, e.g. "not helpful") per ``key``:
    term, texts containing it and their share of the texts of that ``key``."""
    cols = [key, "rank", "term", "texts", "share"]
    s = scored[scored["label"] != "no text"] if len(scored) else scored
    rows = []
    for k, grp in s.groupby(key, sort=True):
        counts = sentiment.term_counts(grp["negative_terms"])
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        rows += [(k, i + 1, term, n, n / len(grp)) for i, (term, n) in enumerate(ranked)]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------
# Customer value
# ---------------------------------------------------------------------------

def customer_value(orders: pd.DataFrame, customers: pd.DataFrame, end: dt.datetime, months: int = 12,
                   discount_rate_annual: float = 0.1, level: float = 0.95) -> dict:
    """BG/NBD and Gamma-Gamma fitted on the orders before ``end`` (weekly time unit) and the
    ``months``-month CLV of each customer, also summarised per segment and first touchpoint.

    ``customers`` has customer_id, first_touchpoint and segment (from the events). Returns a dict
    with ``per_customer``, ``by_segment``, ``by_first_touchpoint``, ``bgnbd``, ``gamma_gamma`` and
    ``note`` (why CLV is missing, when the models cannot be fitted).
    """
    from helpers import clv as clvmod

    o = orders[pd.to_datetime(orders["ts"]) < pd.Timestamp(end)] if len(orders) else orders
    empty = {"per_customer": pd.DataFrame(), "by_segment": pd.DataFrame(), "by_first_touchpoint": pd.DataFrame(),
             "bgnbd": None, "gamma_gamma": None, "note": "no orders before the end of the period"}
    if o is None or o.empty:
        return empty
    # the observation ends on the last day of the period (rfm_summary counts orders up to and including it)
    summary = clvmod.rfm_summary(o, observation_end=pd.Timestamp(end) - pd.Timedelta(microseconds=1), freq="W")
    per = summary.reset_index()
    per["orders"] = per["customer_id"].map(o.groupby("customer_id").size()).astype("int64")
    info = customers.drop_duplicates("customer_id") if len(customers) else pd.DataFrame(
        columns=["customer_id", "first_touchpoint", "segment"])
    per = per.merge(info, on="customer_id", how="left")
    if "segment" in o.columns and o["segment"].notna().any():
        last_seg = o.sort_values("ts").groupby("customer_id")["segment"].last()
        per["segment"] = per["customer_id"].map(last_seg).where(lambda s: s.notna(), per.get("segment"))
    per["segment"] = per["segment"].astype(object).where(per["segment"].notna(), NO_SEGMENT)
    per["first_touchpoint"] = per["first_touchpoint"].astype(object).where(per["first_touchpoint"].notna(),
                                                                         "(no events)")
    note, bg, gg = "", None, None
    per["expected_purchases"] = np.nan
    per["prob_alive"] = np.nan
    per["clv"] = np.nan
    x, tx, big_t = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    # maximum likelihood first; a small ridge penalty (as lifetimes' penalizer_coef) only when the
    # plain fit does not converge to finite values, which happens on data with hardly any drop-out
    for penalizer in (0.0, 0.001, 0.01):
        try:
            bg = clvmod.fit_bgnbd(summary, penalizer=penalizer)
            gg = clvmod.fit_gamma_gamma(summary, penalizer=penalizer)
            values = clvmod.clv(bg, gg, summary, months=months, discount_rate_annual=discount_rate_annual,
                                freq="W").to_numpy()
            expected = np.asarray(bg.expected_purchases(months * clvmod.PERIODS_PER_MONTH["W"], x, tx, big_t),
                                  dtype=float)
        except DataError as exc:
            note, bg, gg = f"CLV not estimated: {exc.message}", None, None
            break
        if np.all(np.isfinite(values)) and np.all(np.isfinite(expected)) and np.all(expected >= 0) \
                and np.all(values >= 0):
            per["expected_purchases"] = expected
            per["prob_alive"] = np.asarray(bg.prob_alive(x, tx, big_t), dtype=float)
            per["clv"] = values
            note = "" if penalizer == 0 else f"fitted with a ridge penalty of {penalizer} (the plain fit diverged)"
            break
        note = "CLV not estimated: the BG/NBD fit gives no finite, non-negative expectations on these orders"
    return {"per_customer": per, "by_segment": value_summary(per, "segment", level),
            "by_first_touchpoint": value_summary(per, "first_touchpoint", level), "bgnbd": bg, "gamma_gamma": gg,
            "note": note}


def value_summary(per_customer: pd.DataFrame, by: str, level: float = 0.95) -> pd.DataFrame:
    """Customers, repeat-purchase rate (share with two or more orders, Wilson interval) and mean
    12-month CLV (t interval) per ``by``."""
    cols = [by, "customers", "repeat_customers", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high",
            "clv_mean", "clv_ci_low", "clv_ci_high", "clv_total"]
    if per_customer.empty:
        return pd.DataFrame(columns=cols)
    g = per_customer.groupby(by, sort=True)
    out = pd.DataFrame({
        "customers": g.size(),
        "repeat_customers": g["orders"].apply(lambda x: int((x >= 2).sum())),
        "clv_mean": g["clv"].mean(),
        "_sd": g["clv"].std(ddof=1),
        "clv_total": g["clv"].sum(min_count=1),
    }).reset_index()
    out = stats.proportion_ci_frame(out, "repeat_customers", "customers", level=level, name="repeat_rate")
    ests = [stats.mean_ci_from_stats(m, s, n, level) if pd.notna(m) else None
            for m, s, n in zip(out["clv_mean"], out["_sd"], out["customers"])]
    out["clv_ci_low"] = [e.ci_low if e else np.nan for e in ests]
    out["clv_ci_high"] = [e.ci_high if e else np.nan for e in ests]
    return out.sort_values(["customers", by], ascending=[False, True])[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------
# The result of step 2 and how it is computed
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AnalyseResult:
    """Everything step 2 shows, computed once per client and period."""

    client: str
    client_name: str
    period: str
    currency: str
    catalogue: pd.DataFrame
    kpis: dict
    changes: pd.DataFrame
    weekly: pd.DataFrame
    paths: pd.DataFrame
    transitions: pd.DataFrame
    funnel: pd.DataFrame
    exits: pd.DataFrame
    time_to_convert: pd.DataFrame
    time_to_convert_by_segment: pd.DataFrame
    ratings: pd.DataFrame
    comments: pd.DataFrame
    sentiment: pd.DataFrame
    complaints: pd.DataFrame
    value: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)

    @property
    def order(self) -> list[str]:
        """Catalogued touchpoint ids in catalogue order."""
        return list(self.catalogue["touchpoint_id"])

    @property
    def names(self) -> dict:
        return dict(zip(self.catalogue["touchpoint_id"], self.catalogue["name"]))


def _small(client: str, name: str, root) -> pd.DataFrame:
    return data.read_small(client, name, root=root) if data.has_table(client, name, root) else pd.DataFrame()


def _no_feedback(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(dict.fromkeys(["touchpoint_id", "ts", "csat", "nps", *keys])))


def event_kpis(ev, feedback: pd.DataFrame, keys: list[str], catalogue: pd.DataFrame, level: float = 0.95):
    """KPI table of prepared events ``ev`` (Ibis) and the period's feedback (pandas) per ``keys``."""
    volume = volume_expr(ev, keys).execute()
    journeys = journey_touch_expr(ev, keys).execute()
    fb = feedback_kpis(feedback if len(feedback) else _no_feedback(keys), keys, level)
    return build_kpi_table(volume, journeys, fb, keys, catalogue, level)


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None,
            history: int = 4) -> AnalyseResult:
    """Compute the step 2 result for ``client`` and ``period`` (no caching; see :func:`run`).

    ``history`` is the number of periods (this one included) the weekly trends cover.
    """
    cfg = load_client(client, root)
    per = Period.parse(period)
    start, end = bounds(per)
    catalogue = cfg.catalogue_frame()
    if catalogue.empty:
        catalogue = pd.DataFrame(columns=["touchpoint_id", "name", "kind", "stage", "phase", "owner", "sources"])
    con = con if con is not None else data.connect(client, root=root)
    events = data.table(con, "events", client, root=root)
    # every aggregate reads the columns it needs straight from the Parquet file (or the Spark table):
    # materialising the period's events first would cost more memory than it saves time
    ev = prepare_expr(events, catalogue, start, end)
    return _compute(cfg, per, catalogue, con, events, ev, root, history)


def _compute(cfg, per: Period, catalogue: pd.DataFrame, con, events, ev, root, history: int) -> AnalyseResult:
    client = cfg.client_id
    start, end = bounds(per)
    has_segment = "segment" in events.columns
    feedback_all = _small(client, "feedback", root)
    feedback_all = add_dimensions(feedback_all, catalogue) if len(feedback_all) else feedback_all
    fb = in_window(feedback_all, start, end)
    levels = {k: v for k, v in LEVELS.items() if has_segment or "segment" not in v}
    kpis = {name: event_kpis(ev, fb, keys, catalogue) for name, keys in levels.items()}

    # change against the previous period and the same period last year (one scan for both)
    others = {"previous": per.previous(), "last year": per.same_period_last_year()}
    labelled = labelled_periods_expr(events, catalogue, {k: bounds(p) for k, p in others.items()})
    vol_o = volume_expr(labelled, ["period", "touchpoint_id"]).execute()
    jour_o = journey_touch_expr(labelled, ["touchpoint_id"], extra=("period",)).execute()
    changes = []
    for label, other in others.items():
        o_start, o_end = bounds(other)
        fb_o = in_window(feedback_all, o_start, o_end)
        fbk = feedback_kpis(fb_o if len(fb_o) else _no_feedback(["touchpoint_id"]), ["touchpoint_id"])
        before = build_kpi_table(vol_o[vol_o["period"] == label].drop(columns="period"),
                                 jour_o[jour_o["period"] == label].drop(columns="period"), fbk, ["touchpoint_id"],
                                 catalogue)
        name = f"{'previous ' + per.kind if label == 'previous' else 'same ' + per.kind + ' last year'} ({other.label})"
        changes.append(compare_kpis(kpis["touchpoint"], before, fb, fb_o, name))
    changes = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()

    # weekly trends over the last `history` periods
    h_start, _ = bounds(per.shift(-(history - 1)))
    ev_hist = prepare_expr(events, catalogue, h_start, end)
    wvol, wjour = weekly_expr(ev_hist, ["touchpoint_id"])
    weekly = weekly_table(wvol.execute(), wjour.execute(), in_window(feedback_all, h_start, end), ["touchpoint_id"])

    # journeys
    transitions = transition_table(transitions_expr(ev).execute())
    paths_ = path_table(paths_expr(ev).execute())
    funnel = funnel_table(funnel_expr(ev).execute())
    exits = exit_table(exits_expr(ev).execute(), kpis["touchpoint"][["touchpoint_id", "journeys"]], catalogue)
    ttc = time_to_convert_table(time_to_convert_expr(ev, []).execute(), [])
    ttc_seg = time_to_convert_table(time_to_convert_expr(ev, ["segment"]).execute(), ["segment"]) if has_segment \
        else time_to_convert_table(pd.DataFrame(), ["segment"])

    # feedback texts and ratings
    reviews_all = _small(client, "reviews", root)
    rv = in_window(reviews_all, start, end)
    ratings = rating_distribution(fb, rv, catalogue)
    scored = score_comments(comment_texts(fb, rv), default_language=sentiment.normalise_language(cfg.language, "en"))
    sent = sentiment_summary(scored)
    complaints = complaint_terms(scored)

    # customer value
    orders = _small(client, "orders", root)
    value: dict = {"note": "no orders table"}
    if len(orders):
        o = orders[pd.to_datetime(orders["ts"]) < pd.Timestamp(end)]
        ids = ibis.memtable(pa.table({"customer_id": pa.array(o["customer_id"].astype(str).unique())}))
        first = first_touch_expr(events, end, customers=ids).execute()
        if has_segment:
            segs = (events.filter(events.ts < end).semi_join(ids, "customer_id")
                    .group_by("customer_id").agg(segment=events.segment.max()).execute())
            first = first.merge(segs, on="customer_id", how="left")
        else:
            first["segment"] = NO_SEGMENT
        value = customer_value(o, first, end)

    overall = kpis["overall"].iloc[0] if len(kpis["overall"]) else pd.Series(dtype=object)
    totals = {
        "events": int(overall.get("events", 0) or 0),
        "customers": int(overall.get("customers", 0) or 0),
        "journeys": int(overall.get("journeys", 0) or 0),
        "converted_journeys": int(overall.get("converted_journeys", 0) or 0),
        "revenue": float(overall.get("revenue", 0.0) or 0.0),
        "responses": int(len(fb)),
        "reviews": int(len(rv)),
        "has_segment": has_segment,
    }
    return AnalyseResult(
        client=client, client_name=cfg.name, period=per.label, currency=cfg.currency, catalogue=catalogue,
        kpis=kpis, changes=changes, weekly=weekly, paths=paths_, transitions=transitions, funnel=funnel,
        exits=exits, time_to_convert=ttc, time_to_convert_by_segment=ttc_seg, ratings=ratings, comments=scored,
        sentiment=sent, complaints=complaints, value=value, totals=totals,
    )


run = data.cached_step(compute)
run.__doc__ = "The step 2 result, cached until client.yml or the processed data change."


def kpi_table(client: str, period: str | Period, by: str = "touchpoint", root: str | Path | None = None
              ) -> pd.DataFrame:
    """KPI table of a client and period by ``touchpoint``, ``stage``, ``kind``, ``segment``,
    ``touchpoint_segment`` or ``overall``."""
    result = run(client, period, root)
    if by not in result.kpis:
        raise DataError(f"no KPI table by '{by}'", hint=f"use one of {', '.join(result.kpis)}")
    return result.kpis[by].copy()


def journey_paths(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Paths of the period (path "a > b > c", journeys, conversions, nulls, ...), most frequent first."""
    return run(client, period, root).paths.copy()


def journey_transitions(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Transition counts and probabilities between touchpoints, with (start) and (end)."""
    return run(client, period, root).transitions.copy()


def stage_funnel(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Stage funnel with step conversion and drop-off and their intervals."""
    return run(client, period, root).funnel.copy()


def exit_rates(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Exit rate without purchase per touchpoint against all other touchpoints, with intervals."""
    return run(client, period, root).exits.copy()


def weekly_trends(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Weekly series per KPI and touchpoint over the last four periods."""
    return run(client, period, root).weekly.copy()


def review_sentiment(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Sentiment of review and survey texts by touchpoint and source (method: :data:`helpers.sentiment.METHOD`)."""
    return run(client, period, root).sentiment.copy()


def customer_values(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """12-month CLV, expected purchases and repeat purchases per customer, with segment and first touchpoint."""
    return run(client, period, root).value.get("per_customer", pd.DataFrame()).copy()


# ---------------------------------------------------------------------------
# Figures (seaborn on matplotlib Figure objects; nothing touches pyplot)
# ---------------------------------------------------------------------------

KPI_LABELS = {
    "conversion": "Conversion rate of journeys touching it",
    "csat": "CSAT (1-5)",
    "top2box": "Top-2-box (CSAT 4-5)",
    "nps": "NPS (points)",
    "events": "Events",
    "customers": "Customers",
    "exit_rate": "Exit rate without purchase",
}
PERCENT_KPIS = ("conversion", "top2box", "exit_rate", "negative", "positive", "repeat_rate")


def _label_column(df: pd.DataFrame, label: str) -> pd.Series:
    if label == "name" and "name" in df.columns and "segment" in df.columns and df["segment"].nunique() > 1:
        return df["name"].astype(str) + " / " + df["segment"].astype(str)
    return df[label].astype(str)


def kpi_figure(kpis: pd.DataFrame, measures: tuple[str, ...] = ("conversion", "csat", "nps"), label: str = "name",
               title: str | None = None, reference: pd.DataFrame | None = None) -> Figure:
    """Dot-and-interval chart: one row per touchpoint (or segment, stage: ``label``), one panel per
    KPI; dots coloured by stage where known; hollow dots have no interval (one respondent);
    the dashed line is the ``reference`` value (for example the overall KPI table)."""
    df = kpis.copy().reset_index(drop=True)
    df["_label"] = _label_column(df, label)
    order = list(dict.fromkeys(df["_label"]))
    height = max(2.6, 0.38 * len(order) + 1.4)
    fig = Figure(figsize=(3.6 * len(measures) + 1.8, height), dpi=110, layout="constrained")
    axes = fig.subplots(1, len(measures), sharey=True, squeeze=False)[0]
    hue = "stage" if "stage" in df.columns and label == "name" else None
    palette = STAGE_COLOURS if hue else None
    ypos = {lab: i for i, lab in enumerate(order)}
    for ax, m in zip(axes, measures):
        low, high = df.get(f"{m}_ci_low"), df.get(f"{m}_ci_high")
        y = df["_label"].map(ypos)
        if low is not None:
            ok = low.notna() & high.notna()
            ax.hlines(y[ok], low[ok], high[ok], color="#555555", lw=2, zorder=1)
        sub = df.assign(_y=y)
        points = sub[sub[m].notna()]
        h = hue if hue and points[hue].notna().any() else None  # no points: nothing to colour
        sns.scatterplot(data=points, x=m, y="_y", hue=h, palette=palette if h else None, s=60, zorder=2, ax=ax,
                        legend=False, edgecolor="#222222")
        if low is not None:
            hollow = sub[sub[m].notna() & ~(low.notna() & high.notna())]
            ax.scatter(hollow[m], hollow["_y"], s=70, facecolor="white", edgecolor="#222222", zorder=3,
                       label="no interval")
        if reference is not None and m in reference.columns and len(reference) and pd.notna(reference[m].iloc[0]):
            ax.axvline(float(reference[m].iloc[0]), color="#888888", ls="--", lw=1)
        ax.set_title(KPI_LABELS.get(m, m), fontsize=10)
        ax.set_xlabel("")
        ax.set_ylabel("")
        if m in PERCENT_KPIS:
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.grid(axis="x", color="#e5e5e5")
    axes[0].set_yticks(range(len(order)), order)
    axes[0].set_ylim(len(order) - 0.5, -0.5)
    handles = [Line2D([], [], marker="o", ls="", markerfacecolor=STAGE_COLOURS.get(s, "#999999"),
                      markeredgecolor="#222222", label=s) for s in [*STAGES, UNKNOWN]
               if hue and s in set(df["stage"])]
    handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="#222222",
                          label="no interval (n < 2)"))
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False,
                    title="Stage" if hue else None)
    fig.suptitle(title or "KPIs with 95% intervals", fontsize=12, x=0.01, ha="left")
    return fig


def trend_figure(weekly: pd.DataFrame, kpi: str = "conversion", touchpoints: list[str] | None = None, top: int = 6,
                 names: dict | None = None, title: str | None = None) -> Figure:
    """Weekly series of one KPI for the ``top`` touchpoints with most volume (or the ones given)."""
    df = weekly[weekly["kpi"] == kpi].copy()
    fig = Figure(figsize=(10, 4.2), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    if touchpoints is None and len(df):
        touchpoints = list(df.groupby("touchpoint_id")["n"].sum().sort_values(ascending=False).head(top).index)
    df = df[df["touchpoint_id"].isin(touchpoints or [])]
    df["touchpoint"] = df["touchpoint_id"].map(names or {}).fillna(df["touchpoint_id"])
    if len(df):
        sns.lineplot(data=df, x="week", y="value", hue="touchpoint", marker="o", markersize=4, ax=ax)
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=None)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    if kpi in PERCENT_KPIS:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("week")
    ax.set_ylabel(KPI_LABELS.get(kpi, kpi))
    ax.grid(axis="y", color="#e5e5e5")
    ax.set_title(title or f"Weekly {KPI_LABELS.get(kpi, kpi).lower()}", loc="left", fontsize=12)
    return fig


def transition_heatmap(transitions: pd.DataFrame, names: dict | None = None, order: list[str] | None = None,
                       title: str = "Where journeys go next (share of the moves from each row)") -> Figure:
    """Heatmap of transition probabilities (rows: from, columns: to), with percentages."""
    m = transition_matrix(transitions, "probability", order)
    n = max(len(m.columns), 2)
    fig = Figure(figsize=(min(max(2.0 + 0.62 * n, 7.5), 14), min(1.2 + 0.5 * max(len(m), 2), 12)), dpi=110,
                 layout="constrained")
    ax = fig.add_subplot()
    if m.empty:
        ax.text(0.5, 0.5, "no journeys", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    names = names or {}
    m = m.rename(index=lambda s: names.get(s, s), columns=lambda s: names.get(s, s))
    labels = m.map(lambda v: f"{v:.0%}" if v >= 0.005 else "")
    sns.heatmap(m, annot=labels.to_numpy(), fmt="", cmap="Blues", vmin=0, vmax=1, cbar=False, linewidths=0.5,
                linecolor="#eeeeee", annot_kws={"fontsize": 7}, ax=ax)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.set_title(title, loc="left", fontsize=12)
    return fig


def funnel_figure(funnel: pd.DataFrame, title: str = "Stage funnel: journeys reaching each stage") -> Figure:
    """Horizontal bars of journeys per stage, with the step conversion to the next stage and its interval."""
    fig = Figure(figsize=(9, 3.8), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    df = funnel.copy()
    sns.barplot(data=df, y="stage", x="journeys", hue="stage", palette=STAGE_COLOURS, legend=False, ax=ax)
    top = max(float(df["journeys"].max() or 0), 1.0)
    for i, row in df.reset_index(drop=True).iterrows():
        text = f"{int(row['journeys']):,}"
        if pd.notna(row["step_conversion"]):
            text += (f"  -> next stage {row['step_conversion']:.1%} "
                     f"({row['step_conversion_ci_low']:.1%}-{row['step_conversion_ci_high']:.1%})")
        ax.text(row["journeys"] + top * 0.01, i, text, va="center", fontsize=9)
    ax.set_xlim(0, top * 1.75)
    ax.set_xlabel("journeys")
    ax.set_ylabel("")
    ax.set_title(title, loc="left", fontsize=12)
    return fig


def sentiment_figure(summary: pd.DataFrame, names: dict | None = None,
                     title: str = "Sentiment of comments and reviews (share of texts, 95% intervals)") -> Figure:
    """Diverging bars per touchpoint and source: share negative (left) and positive (right)."""
    df = summary.copy().reset_index(drop=True)
    names = names or {}
    df["label"] = df["touchpoint_id"].map(lambda t: names.get(t, t)).astype(str) + " (" + df["source"] + ")"
    fig = Figure(figsize=(9, max(2.5, 0.4 * len(df) + 1.3)), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    if df.empty:
        ax.text(0.5, 0.5, "no texts", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    long = pd.concat([df.assign(share=-df["negative"], kind="negative"),
                      df.assign(share=df["positive"], kind="positive")])
    sns.barplot(data=long, y="label", x="share", hue="kind", palette={"negative": "#c0392b", "positive": "#2e8b57"},
                dodge=False, ax=ax)
    y = np.arange(len(df))
    ax.hlines(y, -df["negative_ci_high"], -df["negative_ci_low"], color="#222222", lw=1.2)
    ax.hlines(y, df["positive_ci_low"], df["positive_ci_high"], color="#222222", lw=1.2)
    ax.axvline(0, color="#222222", lw=0.8)
    ax.xaxis.set_major_formatter(lambda v, _: f"{abs(v):.0%}")
    ax.set_xlim(-1, 1)
    ax.set_xlabel("share of texts: negative <- | -> positive")
    ax.set_ylabel("")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=None)
    ax.set_title(title, loc="left", fontsize=12)
    return fig


def figure_titles(fig: Figure) -> list[str]:
    """Titles of a figure and its axes (for tests and alt texts)."""
    titles = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) else []
    for ax in fig.axes:
        titles += [t for t in (ax.get_title("left"), ax.get_title()) if t]
    return titles


# ---------------------------------------------------------------------------
# Narrative, display and findings
# ---------------------------------------------------------------------------

def _pct(v) -> str:
    return "n/a" if v is None or pd.isna(v) else f"{v:.1%}"


def _ci(lo, hi, pct: bool = True, digits: int = 2) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return "no interval"
    return f"{lo:.1%} to {hi:.1%}" if pct else f"{lo:.{digits}f} to {hi:.{digits}f}"


def say_overview(result: AnalyseResult) -> display.HTML:
    t = result.totals
    return display.say(
        "In {period}, {client} recorded {events:,} events from {customers:,} customers in {journeys:,} journeys; "
        "{conv:,} journeys ended in a purchase ({rate}). Surveys returned {responses:,} responses and "
        "{reviews:,} reviews were written.",
        period=result.period, client=result.client_name, events=t["events"], customers=t["customers"],
        journeys=t["journeys"], conv=t["converted_journeys"],
        rate=_pct(t["converted_journeys"] / t["journeys"]) if t["journeys"] else "no journeys",
        responses=t["responses"], reviews=t["reviews"])


def say_kpis(result: AnalyseResult) -> display.HTML:
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
        vals.update(best=best["name"], bc=_pct(best["conversion"]),
                    bci=_ci(best["conversion_ci_low"], best["conversion_ci_high"]), worst=worst["name"],
                    wc=_pct(worst["conversion"]), wci=_ci(worst["conversion_ci_low"], worst["conversion_ci_high"]))
    if not csat.empty:
        hi, lo = csat.loc[csat["csat"].idxmax()], csat.loc[csat["csat"].idxmin()]
        parts.append(" CSAT is highest at {hi} ({hv:.2f}, n={hn:,}) and lowest at {lo} ({lv:.2f}, n={ln:,}).")
        vals.update(hi=hi["name"], hv=hi["csat"], hn=int(hi["csat_n"]), lo=lo["name"], lv=lo["csat"],
                    ln=int(lo["csat_n"]))
    return display.say("".join(parts), **vals)


def segment_gap(kpis_by_segment: pd.DataFrame) -> dict | None:
    """The segments with the highest and lowest conversion, their ratio and the Newcombe interval
    of the difference; CSAT of both with the Welch-free comparison of their intervals."""
    seg = kpis_by_segment[(kpis_by_segment["journeys"] > 0) & (kpis_by_segment["segment"] != NO_SEGMENT)]
    if len(seg) < 2:
        return None
    hi, lo = seg.loc[seg["conversion"].idxmax()], seg.loc[seg["conversion"].idxmin()]
    diff = stats.diff_proportions_ci(hi["converted_journeys"], hi["journeys"], lo["converted_journeys"],
                                     lo["journeys"])
    return {"high": hi, "low": lo, "ratio": hi["conversion"] / lo["conversion"] if lo["conversion"] else np.inf,
            "difference": diff}


def say_segments(result: AnalyseResult) -> display.HTML:
    seg = result.kpis.get("segment")
    gap = segment_gap(seg) if seg is not None else None
    if gap is None:
        return display.say("The events of {client} carry no customer segments to compare.",
                           client=result.client_name)
    hi, lo, d = gap["high"], gap["low"], gap["difference"]
    text = ("Journeys of {a} customers convert at {ac} ({aci}), {b} customers at {bc} ({bci}): {ratio:.1f} times "
            "as often, a difference of {d:.1f} points ({dlo:.1f} to {dhi:.1f}){sig}.")
    vals = dict(a=hi["segment"], ac=_pct(hi["conversion"]), aci=_ci(hi["conversion_ci_low"], hi["conversion_ci_high"]),
                b=lo["segment"], bc=_pct(lo["conversion"]), bci=_ci(lo["conversion_ci_low"], lo["conversion_ci_high"]),
                ratio=gap["ratio"], d=100 * d.value, dlo=100 * d.ci_low, dhi=100 * d.ci_high,
                sig="" if d.excludes(0) else ", which is within the noise")
    if pd.notna(hi["csat"]) and pd.notna(lo["csat"]):
        text += " Mean CSAT is {acs:.2f} ({acsi}) for {a} and {bcs:.2f} ({bcsi}) for {b}."
        vals.update(acs=hi["csat"], acsi=_ci(hi["csat_ci_low"], hi["csat_ci_high"], pct=False),
                    bcs=lo["csat"], bcsi=_ci(lo["csat_ci_low"], lo["csat_ci_high"], pct=False))
    return display.say(text, **vals)


def significant_changes(result: AnalyseResult) -> pd.DataFrame:
    """Changes whose interval excludes zero, the clearest first (change / half-width of its interval)."""
    ch = result.changes
    if ch.empty:
        return ch
    sig = ch[ch["significant"]].copy()
    sig["name"] = sig["touchpoint_id"].map(result.names).fillna(sig["touchpoint_id"])
    # strongest evidence first: distance of the change from zero in units of its interval half-width
    sig["_abs"] = [abs(float(c)) / max((float(h) - float(lo)) / 2, 1e-12)
                   for c, lo, h in zip(sig["change"], sig["ci_low"], sig["ci_high"])]
    return sig.sort_values("_abs", ascending=False).drop(columns="_abs").reset_index(drop=True)


def _fmt_change(kpi: str, v: float) -> str:
    if pd.isna(v):
        return "n/a"
    if kpi in ("conversion", "top2box"):
        return f"{100 * v:+.1f} points"
    if kpi == "nps":
        return f"{v:+.1f} NPS points"
    return f"{v:+.2f}"


KPI_SHORT = {"conversion": "conversion", "top2box": "top-2-box", "csat": "CSAT", "nps": "NPS"}


def _fmt_interval(kpi: str, low: float, high: float) -> str:
    if pd.isna(low) or pd.isna(high):
        return "no interval"
    if kpi in ("conversion", "top2box"):
        return f"{100 * low:+.1f} to {100 * high:+.1f}"
    if kpi == "nps":
        return f"{low:+.1f} to {high:+.1f}"
    return f"{low:+.2f} to {high:+.2f}"


def say_changes(result: AnalyseResult) -> display.HTML:
    sig = significant_changes(result)
    if sig.empty:
        return display.say("No KPI of a touchpoint changed by more than its uncertainty against the previous "
                           "period or the same period last year.")
    items = [f"{r['name']}: {KPI_SHORT.get(r['kpi'], r['kpi'])} {_fmt_change(r['kpi'], r['change'])} "
             f"({_fmt_interval(r['kpi'], r['ci_low'], r['ci_high'])}) against the {r['comparison']}"
             for _, r in sig.head(8).iterrows()]
    head = display.say("{n} changes have a 95% interval that excludes zero (only those are flagged); the clearest "
                       "are:", n=len(sig))
    return display.HTML(head.markup + display.bullets(items).markup)


def say_funnel(result: AnalyseResult) -> display.HTML:
    f = result.funnel
    steps = f[f["step_conversion"].notna() & (f["journeys"] > 0)]
    if steps.empty:
        return display.say("No journeys in {period}.", period=result.period)
    worst = steps.loc[steps["drop_off"].idxmax()]
    nxt = STAGES[STAGES.index(worst["stage"]) + 1]
    return display.say("The largest drop-off is from {s} to {n}: {d} of journeys that reach {s} go no further "
                       "({lo} to {hi}).", s=worst["stage"], n=nxt, d=_pct(worst["drop_off"]),
                       lo=_pct(worst["drop_off_ci_low"]), hi=_pct(worst["drop_off_ci_high"]))


def say_exits(result: AnalyseResult) -> display.HTML:
    e = result.exits
    more = e[e["more_exits"]]
    if e.empty:
        return display.say("No journeys in {period}.", period=result.period)
    if more.empty:
        return display.say("No touchpoint ends journeys without a purchase more often than the others.")
    top = more.iloc[0]
    others = ", ".join(more["name"].iloc[1:4].astype(str))
    return display.say("Journeys end without a purchase after {tp} more often than after other touchpoints: "
                       "{rate} of journeys touching it end there ({lo} to {hi}), against {avg} on average."
                       + (" Also above average: {others}." if others else ""),
                       tp=top["name"], rate=_pct(top["exit_rate"]), lo=_pct(top["exit_rate_ci_low"]),
                       hi=_pct(top["exit_rate_ci_high"]), avg=_pct(top["average"]), others=others)


def say_paths(result: AnalyseResult) -> display.HTML:
    p = result.paths
    if p.empty:
        return display.say("No journeys in {period}.", period=result.period)
    top = p.iloc[0]
    conv = p[p["conversions"] > 0]
    text = "There are {n:,} distinct paths; the most common is {path} ({share} of journeys)."
    vals = dict(n=len(p), path=top["path"], share=_pct(top["share"]))
    if len(conv):
        c = conv.sort_values("conversions", ascending=False).iloc[0]
        text += " Most purchases follow {cpath} ({cn:,} purchases)."
        vals.update(cpath=c["path"], cn=int(c["conversions"]))
    return display.say(text, **vals)


def say_time_to_convert(result: AnalyseResult) -> display.HTML:
    t = result.time_to_convert
    if t.empty or not t["converting_journeys"].iloc[0]:
        return display.say("No journey converted in {period}.", period=result.period)
    r = t.iloc[0]
    return display.say("Half of the purchasing journeys buy within {m} of their first touch; the middle "
                       "half take {q1} to {q3} (n={n:,}).", m=duration(r["median_days"]), q1=duration(r["q1_days"]),
                       q3=duration(r["q3_days"]), n=int(r["converting_journeys"]))


def duration(days: float) -> str:
    """A span in days as words: minutes below an hour, hours below two days, else days."""
    if days is None or pd.isna(days):
        return "n/a"
    if days < 1 / 24:
        return f"{days * 1440:.0f} minutes"
    if days < 2:
        return f"{days * 24:.1f} hours"
    return f"{days:.1f} days"


def say_sentiment(result: AnalyseResult) -> display.HTML:
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
                       neg=_pct(worst["negative"]), lo=_pct(worst["negative_ci_low"]),
                       hi=_pct(worst["negative_ci_high"]))
    return display.HTML(head.markup + method.markup)


def say_value(result: AnalyseResult) -> display.HTML:
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
                    rr=_pct(rep["repeat_rate"]))
    return display.say("".join(parts), **vals)


PRETTY = {
    "touchpoint_id": "Touchpoint id", "name": "Touchpoint", "stage": "Stage", "kind": "Kind", "segment": "Segment",
    "events": "Events", "customers": "Customers", "journeys": "Journeys", "converted_journeys": "Purchases",
    "conversion": "Conversion", "conversion_ci_low": "Conv. low", "conversion_ci_high": "Conv. high",
    "revenue": "Revenue", "journey_revenue": "Revenue of journeys", "csat_n": "Ratings", "csat": "CSAT",
    "csat_ci_low": "CSAT low", "csat_ci_high": "CSAT high", "top2box": "Top-2-box", "nps_n": "NPS answers",
    "nps": "NPS", "nps_ci_low": "NPS low", "nps_ci_high": "NPS high", "note": "Note", "kpi": "KPI",
    "comparison": "Compared with", "current": "Now", "before": "Before", "change": "Change", "ci_low": "Low",
    "ci_high": "High", "significant": "Outside noise", "interval": "95% interval", "path": "Path", "steps": "Steps", "conversions": "Purchases",
    "nulls": "No purchase", "share": "Share", "from": "From", "to": "To", "count": "Moves",
    "probability": "Probability", "share_of_start": "Share of all journeys", "step_conversion": "To next stage",
    "step_conversion_ci_low": "Next low", "step_conversion_ci_high": "Next high", "drop_off": "Drop-off",
    "drop_off_ci_low": "Drop-off low", "drop_off_ci_high": "Drop-off high", "exits": "Exits",
    "exit_rate": "Exit rate", "exit_rate_ci_low": "Exit low", "exit_rate_ci_high": "Exit high",
    "average": "Average", "difference": "Difference", "difference_ci_low": "Diff. low",
    "difference_ci_high": "Diff. high", "more_exits": "Above average", "converting_journeys": "Purchasing journeys",
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
                   "share_1", "share_2", "share_3", "share_4", "share_5", "negative", "negative_ci_low",
                   "negative_ci_high", "positive", "repeat_rate", "repeat_rate_ci_low", "repeat_rate_ci_high"}

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
                     "average", "difference", "difference_ci_low", "difference_ci_high", "more_exits"]),
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


def part(result: AnalyseResult, name: str) -> pd.DataFrame:
    """The data behind one part of the report (see :data:`PARTS`)."""
    if name not in PARTS:
        raise DataError(f"unknown part '{name}'", hint=f"use one of {', '.join(PARTS)}")
    level, _ = PARTS[name]
    if level is not None:
        return result.kpis.get(level, pd.DataFrame())
    if name == "changes":
        return significant_changes(result) if len(result.changes) else result.changes
    if name == "time_to_convert":
        overall = result.time_to_convert.assign(segment="all journeys")
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


def _fmt_level(kpi: str, v: float) -> str:
    if pd.isna(v):
        return ""
    return _pct(v) if kpi in ("conversion", "top2box") else (f"{v:.1f}" if kpi == "nps" else f"{v:.2f}")


def show(result: AnalyseResult, name: str, caption: str | None = None,
         empty: str = "Nothing to show for this period.") -> display.HTML:
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
        shown = shown.assign(
            kpi=[KPI_SHORT.get(k, k) for k in df["kpi"]],
            current=[_fmt_level(k, v) for k, v in zip(df["kpi"], df["current"])],
            before=[_fmt_level(k, v) for k, v in zip(df["kpi"], df["before"])],
            change=[_fmt_change(k, v) for k, v in zip(df["kpi"], df["change"])],
            ci_low=[_fmt_interval(k, lo, hi) for k, lo, hi in zip(df["kpi"], df["ci_low"], df["ci_high"])],
        ).drop(columns="ci_high").rename(columns={"ci_low": "interval"})
    if name == "time_to_convert":
        shown = shown.assign(**{c: [duration(v) for v in df[c]] for c in
                                ("mean_days", "q1_days", "median_days", "q3_days") if c in shown.columns})
    percent = [PRETTY.get(c, c) for c in cols if c in PERCENT_COLUMNS and name != "changes"]
    return display.show_table(shown.rename(columns=PRETTY), caption=caption, percent=percent)


def findings(result: AnalyseResult) -> dict:
    """Findings, metrics and tables of step 2 for :func:`helpers.artifacts.save`."""
    out: list[str] = []
    t = result.totals
    if t["journeys"]:
        out.append(f"{t['converted_journeys']:,} of {t['journeys']:,} journeys in {result.period} ended in a purchase "
                   f"({t['converted_journeys'] / t['journeys']:.1%}).")
    gap = segment_gap(result.kpis["segment"]) if "segment" in result.kpis else None
    if gap is not None and gap["difference"].excludes(0):
        out.append(f"{gap['high']['segment']} journeys convert {gap['ratio']:.1f} times as often as "
                   f"{gap['low']['segment']} journeys ({gap['high']['conversion']:.1%} vs {gap['low']['conversion']:.1%}).")
    more = result.exits[result.exits["more_exits"]] if len(result.exits) else result.exits
    if len(more):
        r = more.iloc[0]
        out.append(f"Journeys end without a purchase after {r['name']} more often than elsewhere "
                   f"({r['exit_rate']:.1%} vs {r['average']:.1%} on average).")
    f = result.funnel[result.funnel["step_conversion"].notna() & (result.funnel["journeys"] > 0)]
    if len(f):
        w = f.loc[f["drop_off"].idxmax()]
        out.append(f"Largest funnel drop-off: {w['drop_off']:.1%} of journeys reaching {w['stage']} go no further.")
    sig = significant_changes(result)
    for _, r in sig.head(3).iterrows():
        out.append(f"{r['name']}: {KPI_LABELS.get(r['kpi'], r['kpi'])} {_fmt_change(r['kpi'], r['change'])} against "
                   f"the {r['comparison']}.")
    k = result.kpis["touchpoint"]
    rated = k[k["csat_n"] >= 10]
    if len(rated):
        lo = rated.loc[rated["csat"].idxmin()]
        out.append(f"Lowest CSAT: {lo['name']} ({lo['csat']:.2f}, n={int(lo['csat_n'])}).")
    overall = result.kpis["overall"].iloc[0] if len(result.kpis["overall"]) else {}
    metrics = {
        "journeys": t["journeys"], "purchases": t["converted_journeys"], "revenue": t["revenue"],
        "conversion": float(overall["conversion"]) if len(result.kpis["overall"]) and pd.notna(overall["conversion"]) else None,
        "csat": float(overall["csat"]) if len(result.kpis["overall"]) and pd.notna(overall["csat"]) else None,
        "nps": float(overall["nps"]) if len(result.kpis["overall"]) and pd.notna(overall["nps"]) else None,
        "sentiment_method": sentiment.METHOD,
    }
    tables = {"kpis": result.kpis["touchpoint"], "funnel": result.funnel, "exits": result.exits,
              "paths": result.paths.head(200), "changes": result.changes}
    if "segment" in result.kpis:
        tables["segments"] = result.kpis["segment"]
    return {"findings": out, "metrics": metrics, "tables": tables}


enable_figures()
