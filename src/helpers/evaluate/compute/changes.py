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
from scipy import stats as st

from helpers import kpis, stats
from helpers.errors import ConfigError, DataError
from helpers.evaluate.compute.estimators import (
    NULL_DRAWS,
    EffectResult,
    ab_test,
    gls_ar1,
    interrupted_time_series,
    level_shift,
    linear_trend,
    mde_from_draws,
    mde_from_se,
    power_from_draws,
    power_from_se,
)
from helpers.i18n import _

NAN = float("nan")
WEEK = pd.Timedelta(days=7)
FEEDBACK_KPIS = ("csat", "nps", "top2box", "ces")
JOURNEY_KPIS = ("conversion", "revenue")
EVENT_KPIS = (*JOURNEY_KPIS, "volume")
DESIGNS = ("ab", "did", "its", "none")

#: weeks of history an interrupted time series or a difference-in-differences needs before the change
MIN_PRE_WEEKS = 8
#: weeks after the change below which an interrupted time series is "too early to tell": its post-change
#: level and slope need at least three points (bench/bench_verdicts.py: size and coverage hold from there)
MIN_POST_WEEKS = 3
#: weeks after the change below which a difference-in-differences is "too early to tell"
DID_MIN_POST_WEEKS = 2
#: a pre-trend check or placebo fails below this (unadjusted) p value
CHECK_ALPHA = 0.05
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
REASONS = ("no values", "no data after", "too few weeks", "too few weeks after", "too few in a group",
           "no ab column", "ab variants", "no table", "error")


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
    #: the design's checks: ``{"pretrend": Check, "placebo": Check}`` (DiD and ITS)
    checks: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """A pre-trend check or a placebo: what was tested, its estimate and p value, and whether it passed.

    ``p`` is NaN (and ``passed`` None) when the history is too short to run it; ``weeks`` is
    how many weeks before the change the placebo date lies.
    """

    kind: str
    estimate: float = NAN
    p: float = NAN
    weeks: int = 0
    reason: str = ""

    @property
    def passed(self) -> bool | None:
        return None if not np.isfinite(self.p) else bool(self.p >= CHECK_ALPHA)


def too_early(design: str, after: int, needed: int, start: dt.date, lag_days: int = 0, **kw) -> Outcome:
    """Fewer weeks after the change than ``needed``: the verdict can be told from ``start + needed`` weeks."""
    when = start + dt.timedelta(weeks=needed, days=lag_days)
    return Outcome(design, status="too early", reason="too few weeks after",
                   detail={"after": after, "min_after": needed, "from": when}, **kw)


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


def _mde_power(res: EffectResult, ref: float, alpha: float) -> tuple[float, float]:
    """MDE (80% power) and power to detect ``ref`` of a test at ``alpha``: from the samples of the fitted error
    model where the estimate has them (difference-in-differences and ITS with AR(1) plus noise errors: the t formula
    ignores that the standard error scatters with the estimated autocorrelation and states too small an MDE over
    long windows, docs/verdicts.md), else from the standard error."""
    if res.null_draws is not None:
        mde = mde_from_draws(res.null_draws, res.df, alpha)
        if np.isfinite(mde):
            return mde, power_from_draws(ref, res.null_draws, res.df, alpha)
    return mde_from_se(res.se, res.df, alpha), power_from_se(ref, res.se, res.df, alpha)


def with_power(res: EffectResult, ref: float, alpha: float = 0.05) -> EffectResult:
    """``res`` with its MDE (80% power) and its power to detect ``ref``, both for a test at level ``alpha``."""
    mde, pw = _mde_power(res, ref, alpha)
    return replace(res, mde=mde, power=pw, extra={**res.extra, "reference": ref})


def at_level(res: EffectResult, alpha: float) -> EffectResult:
    """``res`` with MDE and power recomputed for a test at ``alpha`` (the level its adjusted verdict uses).

    A two-proportion A/B test uses the formulas of :mod:`helpers.stats` on its group sizes,
    every other estimate :func:`mde_from_se` and :func:`power_from_se` on its standard error.
    """
    if not np.isfinite(alpha):
        return res
    if "mde_proportions" in res.extra:
        pa, n_h = res.extra["mde_proportions"]
        ref = res.extra.get("reference", NAN)
        p_ref = min(max(pa + ref, 1e-6), 1 - 1e-6) if np.isfinite(ref) else NAN
        pw = stats.power_two_proportions(pa, p_ref, n_h, alpha=alpha) if np.isfinite(p_ref) and p_ref != pa else NAN
        return replace(res, mde=stats.mde_two_proportions(pa, n_h, alpha=alpha), power=pw)
    mde, pw = _mde_power(res, res.extra.get("reference", NAN), alpha)
    return replace(res, mde=mde, power=pw)


# ---------------------------------------------------------------------------
# Interrupted time series
# ---------------------------------------------------------------------------


def its_outcome(weekly: pd.DataFrame, kpi: str, win: Window, lag_days: int = 0, checks: bool = True,
                draws: int = NULL_DRAWS) -> Outcome:
    """Interrupted time series of the weekly KPI of the changed touchpoint, with its two checks.

    Fewer than :data:`MIN_POST_WEEKS` weeks after the change is "too early" (with the date
    from which it can be told, ``lag_days`` later for KPIs that need the data to mature).
    """
    series = collapse(weekly, kpi)
    nb, na = int((series["week"] < 0).sum()), int((series["week"] >= 0).sum())
    if len(weekly) == 0:
        return too_little("its", "no values")
    if na == 0:
        return too_little("its", "no data after", n_before=nb)
    if nb < MIN_PRE_WEEKS:
        return too_little("its", "too few weeks", {"before": nb, "after": na, "min_before": MIN_PRE_WEEKS,
                                                   "min_after": MIN_POST_WEEKS}, n_before=nb, n_after=na)
    if na < MIN_POST_WEEKS:
        return too_early("its", na, MIN_POST_WEEKS, win.local_start, lag_days, n_before=nb, n_after=na)
    if series["value"].nunique() == 1:
        return constant("its", float(series["value"].iloc[0]), len(series), n_before=nb, n_after=na)
    w = None if kpi == "volume" else "n"
    its = interrupted_time_series(series, "value", "week", 0, weights=w, draws=draws)
    frame = its.frame.copy()
    frame["date"] = [win.local_start + dt.timedelta(weeks=float(k)) for k in frame["week"]]
    res = with_power(its.effect, reference(kpi, its.effect.baseline))
    return Outcome("its", res, n_before=nb, n_after=na, checks=its_checks(series, na, w) if checks else {},
                   plot={"kind": "its", "frame": frame, "level": its.level, "slope": its.slope})


def _placebo_weeks(n_pre: int, n_post: int, min_post: int) -> int:
    """Weeks of the placebo's fake after-period: as many as the real one, leaving MIN_PRE_WEEKS before it."""
    return min(n_post, n_pre - MIN_PRE_WEEKS) if n_pre - MIN_PRE_WEEKS >= min_post else 0


def its_checks(series: pd.DataFrame, n_post: int, weights: str | None) -> dict:
    """Pre-trend check (curvature of the history: is a straight line right to extend?) and placebo.

    The pre-trend check fits a quadratic to the weeks before the change and tests its
    square term; the placebo moves the change date back by as many weeks as there are after
    it and runs the same interrupted time series on the history alone.
    """
    pre = series[series["week"] < 0].reset_index(drop=True)
    out = {}
    t = pre["week"].to_numpy(dtype=float)
    if len(pre) >= MIN_PRE_WEEKS:
        tc = t - t.mean()
        X = pd.DataFrame({"const": 1.0, "time": tc, "square": tc**2 - np.mean(tc**2)})
        g = gls_ar1(pre["value"].to_numpy(dtype=float), X, t, None if weights is None else pre[weights])
        se = float(np.sqrt(g.cov[2, 2])) if g.cov[2, 2] > 0 else NAN
        est = float(g.params["square"])
        p = float(2 * st.t.sf(abs(est) / se, g.df_resid)) if se > 0 else NAN
        out["pretrend"] = Check("curvature", est, p)
    else:
        out["pretrend"] = Check("curvature", reason="history too short")
    h = _placebo_weeks(len(pre), n_post, MIN_POST_WEEKS)
    if h:
        fake = pre.assign(week=pre["week"] + h)
        r = interrupted_time_series(fake, "value", "week", 0, weights=weights).effect
        out["placebo"] = Check("placebo", r.estimate, r.p, weeks=h)
    else:
        out["placebo"] = Check("placebo", reason="history too short")
    return out


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


def did_gap(rows: pd.DataFrame, weights: str | None) -> pd.DataFrame:
    """The weekly treated-minus-control gap: one row per week with both groups (``gap``, ``w``, ``post``).

    Unit rows (one per response) are averaged per group and week first; ``w`` is
    ``1 / (1/n_treated + 1/n_control)`` (the inverse variance of the gap up to a factor),
    or 1 for a KPI without a count (``weights=None`` on group-week rows).
    """
    if weights is None and "n" not in rows:
        g = rows.groupby(["treated", "week"])["value"].agg(["mean", "size"])
        g.columns = ["value", "n"]
    else:
        wcol = rows[weights] if weights else pd.Series(1.0, index=rows.index)
        g = (rows.assign(_w=wcol, _wv=rows["value"] * wcol).groupby(["treated", "week"])
             .agg(_wv=("_wv", "sum"), n=("_w", "sum")))
        g["value"] = g["_wv"] / g["n"]
    wide = g.reset_index().pivot(index="week", columns="treated", values=["value", "n"]).dropna()
    if wide.empty:
        return pd.DataFrame(columns=["week", "gap", "w", "post"])
    out = pd.DataFrame({"week": wide.index.to_numpy(dtype="int64"),
                        "gap": (wide[("value", 1)] - wide[("value", 0)]).to_numpy(dtype=float)})
    if weights is None and "n" in rows:
        out["w"] = 1.0
    else:
        out["w"] = 1.0 / (1.0 / wide[("n", 1)].to_numpy(dtype=float) + 1.0 / wide[("n", 0)].to_numpy(dtype=float))
    out["post"] = (out["week"] >= 0).astype(int)
    return out


def did_outcome(rows: pd.DataFrame, kpi: str, unit: str, weights: str | None, start: dt.date | None = None,
                lag_days: int = 0, checks: bool = True, draws: int = NULL_DRAWS) -> Outcome:
    """Difference-in-differences on the weekly treated-minus-control gap (:func:`did_gap`).

    The estimate is the gap's mean after the change minus its mean before, with AR(1) plus noise
    errors on the weekly index (REML) and t(n - 2) inference (:func:`~.estimators.level_shift`):
    valid with few weeks after the change, where week-clustered errors with two cells a week
    are not (issue 13). Fewer than :data:`DID_MIN_POST_WEEKS` weeks after the change with both
    groups is "too early"; fewer than :data:`MIN_PRE_WEEKS` before is too little data. With
    the estimate: the pre-trend check (the gap's linear trend before the change) and a placebo.
    """
    cells = rows.groupby(["treated", "post"]).size()
    if len(rows) == 0:
        return too_little("did", "no values", unit=unit)
    if int(rows["post"].eq(1).sum()) == 0:
        return too_little("did", "no data after", n_before=int(rows["post"].eq(0).sum()), unit=unit)
    gap = did_gap(rows, weights)
    nb, na = int((gap["post"] == 0).sum()), int((gap["post"] == 1).sum())
    if len(cells) < 4 or (na >= DID_MIN_POST_WEEKS and cells.min() < 2):
        have = {(bool(t), bool(p)): int(v) for (t, p), v in cells.items()}
        return too_little("did", "too few in a group", {"unit": unit, "cells": have},
                          n_before=int(rows["post"].eq(0).sum()), n_after=int(rows["post"].eq(1).sum()), unit=unit)
    if nb < MIN_PRE_WEEKS:
        return too_little("did", "too few weeks", {"before": nb, "after": na, "min_before": MIN_PRE_WEEKS,
                                                   "min_after": DID_MIN_POST_WEEKS}, n_before=nb, n_after=na,
                          unit="weeks")
    if na < DID_MIN_POST_WEEKS:
        return too_early("did", na, DID_MIN_POST_WEEKS, start or dt.date.today(), lag_days, n_before=nb,
                         n_after=na, unit="weeks")
    if rows["value"].nunique() == 1:
        return constant("did", float(rows["value"].iloc[0]), len(rows), n_before=nb, n_after=na, unit=unit)
    w = gap["w"].to_numpy()
    res = level_shift(gap["gap"].to_numpy(), gap["week"].to_numpy(), gap["post"].to_numpy(), w, draws=draws)
    sel = (rows["treated"] == 1) & (rows["post"] == 1)
    wt = rows.loc[sel, weights] if weights else None
    treated_post = float(np.average(rows.loc[sel, "value"], weights=wt))
    # Translators: {df}, {nb} and {na} are counts (degrees of freedom, weeks before and after the change)
    method = _("difference-in-differences (weekly treated-minus-control gap, AR(1) plus noise errors, t with {df} "
               "degrees of freedom; {nb} weeks before, {na} after)").format(df=kpis.fmt_count(round(res.df)),
                                                                   nb=kpis.fmt_count(nb), na=kpis.fmt_count(na))
    # n counts what the outcome's unit says: the weeks of the gap series (the rows are responses or group-weeks)
    res = replace(res, method=method, n=nb + na, baseline=treated_post - res.estimate,
                  extra={**res.extra, "cells": {f"{int(t)}{int(q)}": int(v) for (t, q), v in cells.items()},
                         "weeks_before": nb, "weeks_after": na})
    res = with_power(res, reference(kpi, res.baseline))
    return Outcome("did", res, n_before=nb, n_after=na, unit="weeks", checks=did_checks(gap, na) if checks else {},
                   plot={"kind": "did", "rows": rows, "weights": weights, "effect": res})


def did_checks(gap: pd.DataFrame, n_post: int) -> dict:
    """Pre-trend check (did the gap already trend before the change?) and placebo (a fake change date)."""
    pre = gap[gap["post"] == 0].reset_index(drop=True)
    out = {}
    if len(pre) >= MIN_PRE_WEEKS:
        r = linear_trend(pre["gap"].to_numpy(), pre["week"].to_numpy(), pre["w"].to_numpy())
        out["pretrend"] = Check("trend", r.estimate, r.p)
    else:
        out["pretrend"] = Check("trend", reason="history too short")
    h = _placebo_weeks(len(pre), n_post, DID_MIN_POST_WEEKS)
    if h:
        weeks = pre["week"].to_numpy()
        fake_post = (weeks >= weeks.max() - h + 1).astype(float)
        r = level_shift(pre["gap"].to_numpy(), weeks, fake_post, pre["w"].to_numpy())
        out["placebo"] = Check("placebo", r.estimate, r.p, weeks=h)
    else:
        out["placebo"] = Check("placebo", reason="history too short")
    return out


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


def ab_outcome(rows: pd.DataFrame, kpi: str, win: Window, unit: str, control: str | None = None,
               split: dict | None = None, change_id: str = "") -> Outcome:
    """The A/B test of the unit rows (CUPED when at least 10% of the units have a pre-test value).

    ``control`` is the change's ``control_variant`` (default: the first variant in sort
    order); a control variant absent from the data is a :class:`~helpers.errors.ConfigError`
    naming the change. ``split`` is the planned share per variant for the sample-ratio check.
    """
    if control is not None and len(rows) and str(control) not in set(rows["variant"].dropna().astype(str)):
        have = ", ".join(sorted(set(rows["variant"].dropna().astype(str)))) or "none"
        raise ConfigError(f"change '{change_id}': control_variant '{control}' is not in the data (variants: {have})",
                          hint="set control_variant in client.yml to one of the variants in the A/B column")
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
    ctrl = str(control) if control is not None else sorted(counts.index.astype(str))[0]
    base_mean = rows.loc[rows["variant"].astype(str) == ctrl, "value"].mean()
    res = ab_test(rows, "value", "variant", control=ctrl, covariate=use_cov,
                  reference_effect=reference(kpi, base_mean), split=split)
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
