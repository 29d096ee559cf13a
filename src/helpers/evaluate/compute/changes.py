"""One change and KPI from small frames: weekly series, the design's rows, the estimate and its status.

The step (:mod:`helpers.evaluate.step`) reads the frames (survey responses, the
executed weekly aggregates of :mod:`helpers.evaluate.queries`); the functions here turn
them into an :class:`Outcome`: the estimate, or why there is none (``status`` and a
``reason`` code with its ``detail``; :mod:`helpers.evaluate.narrative` words it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.evaluate.compute.estimators import (
    EffectResult,
    ab_test,
    diff_in_diff,
    interrupted_time_series,
    mde_from_se,
    power_from_se,
)

NAN = float("nan")
WEEK = pd.Timedelta(days=7)
FEEDBACK_KPIS = ("csat", "nps", "top2box", "ces")
JOURNEY_KPIS = ("conversion", "revenue")
EVENT_KPIS = (*JOURNEY_KPIS, "volume")
DESIGNS = ("ab", "did", "its", "none")

MIN_PRE_WEEKS = 8
MIN_POST_WEEKS = 3
MIN_WEEK_DAYS = 3
MIN_WEEK_N = 3
MIN_AB_UNITS = 10
HISTORY_WEEKS = 156
DID_PRE_WEEKS = 52
REFERENCE_RELATIVE = 0.05
REFERENCE_ABSOLUTE = {"nps": 5.0}
#: journeys first seen this close to the end of the data may not have converted yet: left out of journey KPIs
MATURITY = pd.Timedelta(days=7)

#: why a change and KPI has no estimate (``Outcome.reason``); ``Outcome.detail`` holds the numbers
REASONS = ("no values", "no data after", "too few weeks", "too few in a group", "no ab column", "ab variants",
           "no table", "error")


def utc(day: dt.date, tz: str) -> pd.Timestamp:
    """Local midnight of ``day`` in ``tz`` as a naive UTC timestamp (the canonical ``ts`` convention)."""
    return pd.Timestamp(day).tz_localize(tz).tz_convert("UTC").tz_localize(None)


def unit_values(fb: pd.DataFrame, kpi: str) -> pd.Series:
    """The KPI of each survey response: CSAT, CES, top-2-box (0/1) or the NPS contribution (-100, 0, 100)."""
    if kpi == "csat":
        return pd.to_numeric(fb["csat"], errors="coerce")
    if kpi == "ces":
        return pd.to_numeric(fb["ces"], errors="coerce") if "ces" in fb else pd.Series(NAN, index=fb.index)
    if kpi == "top2box":
        c = pd.to_numeric(fb["csat"], errors="coerce")
        return (c >= 4).astype(float).where(c.notna())
    if kpi == "nps":
        s = pd.to_numeric(fb["nps"], errors="coerce")
        return (100.0 * (s >= 9) - 100.0 * (s <= 6)).where(s.notna())
    raise DataError(f"'{kpi}' is not a feedback KPI")


def week_days(weeks: np.ndarray, s0: pd.Timestamp, lo: pd.Timestamp, hi: pd.Timestamp) -> np.ndarray:
    """Days of each week (counted from ``s0``) inside ``[lo, hi)``."""
    starts = s0 + pd.to_timedelta(weeks * 7, unit="D")
    a = np.maximum(starts.values, np.datetime64(lo))
    b = np.minimum((starts + WEEK).values, np.datetime64(hi))
    return np.clip((b - a) / np.timedelta64(1, "D"), 0, 7)


@dataclass(frozen=True)
class Window:
    """The data one change is evaluated on."""

    start: pd.Timestamp  # UTC of local midnight of the start date
    lo: pd.Timestamp  # first data used (UTC)
    hi: pd.Timestamp  # end of data used (UTC, exclusive)
    local_start: dt.date
    tz: str


@dataclass
class Outcome:
    """The evaluation of one change and KPI.

    ``status``: ``ok``, ``constant`` (the KPI did not vary), ``too early`` or ``too little
    data``; without an estimate ``reason`` (one of :data:`REASONS`) and ``detail`` say why.
    """

    design: str
    result: EffectResult | None = None
    status: str = "ok"
    reason: str = ""
    detail: dict = field(default_factory=dict)
    n_before: int = 0
    n_after: int = 0
    unit: str = "weeks"
    plot: dict = field(default_factory=dict)


def too_little(design: str, reason: str, detail: dict | None = None, **kw) -> Outcome:
    return Outcome(design, status="too little data", reason=reason, detail=detail or {}, **kw)


def constant(design: str, value: float, n: int, **kw) -> Outcome:
    """A KPI with the same value everywhere: nothing to test (an estimate of 0 without standard error)."""
    res = EffectResult(0.0, 0.0, 0.0, 0.0, NAN, n, "", baseline=value)
    return Outcome(design, res, status="constant", detail={"value": value}, **kw)


def reference(kpi: str, baseline: float) -> float:
    """The reference effect for the power column: 5% of the baseline (5 points for NPS)."""
    if kpi in REFERENCE_ABSOLUTE:
        return REFERENCE_ABSOLUTE[kpi]
    return REFERENCE_RELATIVE * abs(baseline) if np.isfinite(baseline) else NAN


def design_for(change, kpi: str) -> str:
    """``ab`` with an assignment column, ``did`` with a logged control, ``its`` otherwise."""
    if change.ab_column and kpi != "volume":
        return "ab"
    if change.control is not None and (change.control.touchpoints or change.control.segments):
        return "did"
    return "its"


def groups(change) -> tuple[list[str], list[str]]:
    """Touchpoints of the treated and control groups."""
    if change.control is not None and change.control.touchpoints:
        ctrl_tps = list(change.control.touchpoints)
    else:
        ctrl_tps = [change.touchpoint]
    return [change.touchpoint], ctrl_tps


def _in_segments(seg: pd.Series, wanted) -> pd.Series:
    return seg.astype("string").isin(list(wanted)).fillna(False) if wanted else pd.Series(True, index=seg.index)


# ---------------------------------------------------------------------------
# Weekly series
# ---------------------------------------------------------------------------


def feedback_weekly(fb: pd.DataFrame, kpi: str, touchpoints, lo, hi, s0) -> pd.DataFrame:
    """Sum and count of a survey KPI per touchpoint, segment and week."""
    sel = fb[fb["touchpoint_id"].isin(touchpoints) & (fb["ts"] >= lo) & (fb["ts"] < hi)].copy()
    sel["value"] = unit_values(sel, kpi)
    sel = sel[sel["value"].notna()]
    sel["week"] = np.floor((sel["ts"] - s0) / WEEK).astype("int64")
    if "segment" not in sel:
        sel["segment"] = pd.NA
    g = sel.groupby(["touchpoint_id", "segment", "week"], dropna=False)["value"]
    return pd.DataFrame({"sum": g.sum(), "n": g.size()}).reset_index()


def event_weekly(aggregates: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The executed weekly journey or volume aggregates as sum and count of ``kpi``."""
    w = aggregates
    if kpi == "volume":
        w["sum"] = w["n"]
    else:
        w["sum"] = w["conversions"] if kpi == "conversion" else w["revenue"]
    return w[["touchpoint_id", "segment", "week", "sum", "n"]].copy()


def with_days(weekly: pd.DataFrame, s0, lo, hi) -> pd.DataFrame:
    """Adds ``days``: how many days of each week lie inside the data window."""
    weekly["days"] = week_days(weekly["week"].to_numpy(dtype="int64"), s0, lo, hi) if len(weekly) else []
    return weekly


def collapse(weekly: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """One row per week (touchpoints and segments summed), weeks too short or too thin left out."""
    g = weekly.groupby("week").agg(sum=("sum", "sum"), n=("n", "sum"), days=("days", "first")).reset_index()
    if kpi == "volume":
        g["value"] = g["sum"] * 7.0 / g["days"].where(g["days"] > 0)
    else:
        g["value"] = g["sum"] / g["n"].where(g["n"] > 0)
    keep = (g["days"] >= MIN_WEEK_DAYS) & ((g["n"] >= MIN_WEEK_N) | (kpi == "volume"))
    return g[keep].sort_values("week").reset_index(drop=True)


def with_power(res: EffectResult, ref: float, alpha: float = 0.05) -> EffectResult:
    return replace(res, mde=mde_from_se(res.se, res.df, alpha), power=power_from_se(ref, res.se, res.df, alpha))


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------


def its_outcome(weekly: pd.DataFrame, kpi: str, win: Window) -> Outcome:
    """Interrupted time series of the weekly KPI of the changed touchpoint."""
    series = collapse(weekly, kpi)
    nb, na = int((series["week"] < 0).sum()), int((series["week"] >= 0).sum())
    if len(weekly) == 0:
        return too_little("its", "no values")
    if na == 0:
        return too_little("its", "no data after", n_before=nb)
    if nb < MIN_PRE_WEEKS or na < MIN_POST_WEEKS:
        return too_little("its", "too few weeks", {"before": nb, "after": na, "min_before": MIN_PRE_WEEKS,
                                                   "min_after": MIN_POST_WEEKS}, n_before=nb, n_after=na)
    if series["value"].nunique() == 1:
        return constant("its", float(series["value"].iloc[0]), len(series), n_before=nb, n_after=na)
    its = interrupted_time_series(series, "value", "week", 0, weights=None if kpi == "volume" else "n")
    frame = its.frame.copy()
    frame["date"] = [win.local_start + dt.timedelta(weeks=float(w)) for w in frame["week"]]
    res = with_power(its.effect, reference(kpi, its.effect.baseline))
    return Outcome("its", res, n_before=nb, n_after=na, plot={"kind": "its", "frame": frame,
                                                              "level": its.level, "slope": its.slope})


# ---------------------------------------------------------------------------
# Difference-in-differences
# ---------------------------------------------------------------------------


def did_response_rows(fb: pd.DataFrame, change, kpi: str, lo, hi, start) -> pd.DataFrame:
    """One row per survey response of the treated or control group: value, treated, week, post, cluster."""
    tr_tps, ct_tps = groups(change)
    ctrl_segments = change.control.segments if change.control else ()
    tps = sorted(set(tr_tps) | set(ct_tps))
    rows = fb[fb["touchpoint_id"].isin(tps) & (fb["ts"] >= lo) & (fb["ts"] < hi)].copy()
    rows["value"] = unit_values(rows, kpi)
    rows = rows[rows["value"].notna()]
    seg = rows["segment"] if "segment" in rows else pd.Series(pd.NA, index=rows.index)
    is_tr = rows["touchpoint_id"].isin(tr_tps) & _in_segments(seg, change.treated_segments)
    is_ct = rows["touchpoint_id"].isin(ct_tps) & _in_segments(seg, ctrl_segments) & ~is_tr
    rows = rows[is_tr | is_ct].assign(treated=is_tr[is_tr | is_ct].astype(int))
    rows["week"] = np.floor((rows["ts"] - start) / WEEK).astype("int64")
    rows["post"] = (rows["week"] >= 0).astype(int)
    rows["cluster"] = rows["week"]
    return rows


def did_week_rows(weekly: pd.DataFrame, change, kpi: str) -> pd.DataFrame:
    """One row per group (treated, control) and week from the weekly series of both groups' touchpoints."""
    tr_tps, ct_tps = groups(change)
    ctrl_segments = change.control.segments if change.control else ()
    seg = weekly["segment"]
    is_tr = weekly["touchpoint_id"].isin(tr_tps) & _in_segments(seg, change.treated_segments)
    is_ct = weekly["touchpoint_id"].isin(ct_tps) & _in_segments(seg, ctrl_segments) & ~is_tr
    weekly = weekly[is_tr | is_ct].assign(treated=is_tr[is_tr | is_ct].astype(int))
    rows = weekly.groupby(["treated", "week"]).agg(sum=("sum", "sum"), n=("n", "sum"),
                                                  days=("days", "first")).reset_index()
    rows = rows[rows["days"] >= MIN_WEEK_DAYS]
    rows["value"] = rows["sum"] * 7.0 / rows["days"] if kpi == "volume" else rows["sum"] / rows["n"]
    rows["post"] = (rows["week"] >= 0).astype(int)
    rows["cluster"] = rows["week"]
    return rows


def did_outcome(rows: pd.DataFrame, kpi: str, unit: str, weights: str | None) -> Outcome:
    """Difference-in-differences with week fixed effects and errors clustered by week."""
    cells = rows.groupby(["treated", "post"]).size()
    nb = int(rows["post"].eq(0).sum())
    na = int(rows["post"].eq(1).sum())
    if len(rows) == 0:
        return too_little("did", "no values", unit=unit)
    if na == 0:
        return too_little("did", "no data after", n_before=nb, unit=unit)
    if len(cells) < 4 or cells.min() < 2:
        have = {(bool(t), bool(p)): int(v) for (t, p), v in cells.items()}
        return too_little("did", "too few in a group", {"unit": unit, "cells": have}, n_before=nb, n_after=na,
                          unit=unit)
    if rows["value"].nunique() == 1:
        return constant("did", float(rows["value"].iloc[0]), len(rows), n_before=nb, n_after=na, unit=unit)
    res = diff_in_diff(rows, "value", "treated", "post", fixed_effects=["week"], cluster="cluster",
                       weights=weights, cluster_label="week")
    res = with_power(res, reference(kpi, res.baseline))
    return Outcome("did", res, n_before=nb, n_after=na, unit=unit,
                   plot={"kind": "did", "rows": rows, "weights": weights, "effect": res})


# ---------------------------------------------------------------------------
# A/B test
# ---------------------------------------------------------------------------


def ab_response_rows(fb: pd.DataFrame, change, kpi: str, win: Window, pre_lo) -> pd.DataFrame:
    """Survey responses of the test with their variant and the customer's pre-test mean (the covariate)."""
    col = change.ab_column
    rows = fb[(fb["touchpoint_id"] == change.touchpoint) & (fb["ts"] >= win.start) & (fb["ts"] < win.hi)
              & fb[col].notna()].copy()
    rows["value"] = unit_values(rows, kpi)
    pre = fb[(fb["ts"] < win.start) & (fb["ts"] >= pre_lo)].copy()
    pre["value"] = unit_values(pre, kpi)
    cov = pre.dropna(subset=["value"]).groupby("customer_id")["value"].mean() if "customer_id" in pre else None
    rows["covariate"] = rows["customer_id"].map(cov) if cov is not None and "customer_id" in rows else NAN
    rows["variant"] = rows[col]
    return rows


def ab_journey_rows(units: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The executed journeys of the test with ``value`` and ``covariate`` for ``kpi``."""
    units["value"] = units["converted"] if kpi == "conversion" else units["revenue"]
    units["covariate"] = units["pre_conversion"] if kpi == "conversion" else units["pre_revenue"]
    return units


def ab_outcome(rows: pd.DataFrame, kpi: str, win: Window, unit: str) -> Outcome:
    """The A/B test of the unit rows (CUPED when at least 10% of the units have a pre-test value)."""
    rows = rows[rows["value"].notna()]
    rows["week"] = np.floor((pd.to_datetime(rows["ts"]) - win.start) / WEEK).astype("int64")
    counts = rows["variant"].astype(str).value_counts()
    if len(rows) == 0:
        return too_little("ab", "no data after", unit=unit)
    if len(counts) != 2 or counts.min() < MIN_AB_UNITS:
        return too_little("ab", "ab variants", {"unit": unit, "min": MIN_AB_UNITS,
                                                "counts": {str(k): int(v) for k, v in counts.items()}}, unit=unit)
    coverage = float(rows["covariate"].notna().mean())
    use_cov = "covariate" if coverage >= 0.1 and rows["covariate"].nunique() > 1 else None
    if rows["value"].nunique() == 1:
        return constant("ab", float(rows["value"].iloc[0]), len(rows), n_before=int(counts.iloc[0]),
                        n_after=int(counts.iloc[1]), unit=unit)
    base_mean = rows.loc[rows["variant"].astype(str) == sorted(counts.index)[0], "value"].mean()
    res = ab_test(rows, "value", "variant", covariate=use_cov, reference_effect=reference(kpi, base_mean))
    ex = res.extra
    return Outcome("ab", res, n_before=ex.get("n_control", 0), n_after=ex.get("n_treatment", 0), unit=unit,
                   plot={"kind": "ab", "rows": rows[["variant", "week", "value"]], "effect": res})


def weekly_means(rows: pd.DataFrame, by: str, weights: str | None = None) -> pd.DataFrame:
    """Mean ``value`` per ``by`` group and week (weighted by ``weights``), as the figures draw them."""
    if weights:
        g = rows.assign(_wv=rows["value"] * rows[weights]).groupby([by, "week"])
        out = (g["_wv"].sum() / g[weights].sum()).rename("value")
    else:
        out = rows.groupby([by, "week"])["value"].mean()
    return out.reset_index()
