"""KPI tables on aggregates: survey KPIs, the joined KPI table, changes between periods, weekly series.

Every rate carries a confidence interval from :mod:`helpers.stats`; an interval that cannot
be computed (one respondent, nothing to compare) is NaN and the ``note`` column says why.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from scipy import stats as st

from helpers import stats
from helpers.analyse.queries import NO_SEGMENT, STAGE_INDEX, UNKNOWN
from helpers.config import STAGES
from helpers.errors import DataError

#: KPI table levels and the columns each groups by.
LEVELS = {
    "overall": [],
    "touchpoint": ["touchpoint_id"],
    "stage": ["stage"],
    "kind": ["kind"],
    "segment": ["segment"],
    "touchpoint_segment": ["touchpoint_id", "segment"],
}


def num(s: pd.Series) -> pd.Series:
    """A column as float64 (unparseable values NaN)."""
    return pd.to_numeric(s, errors="coerce").astype("float64")


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def in_window(df: pd.DataFrame, start: dt.datetime, end: dt.datetime, ts_col: str = "ts") -> pd.DataFrame:
    """Rows of a small table with ``ts_col`` in ``[start, end)``."""
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


def no_feedback(keys: list[str]) -> pd.DataFrame:
    """An empty feedback frame with the columns :func:`feedback_kpis` groups by."""
    return pd.DataFrame(columns=list(dict.fromkeys(["touchpoint_id", "ts", "csat", "nps", *keys])))


FEEDBACK_COLUMNS = ["csat_n", "csat", "csat_sd", "csat_ci_low", "csat_ci_high", "top2box", "top2box_ci_low",
                    "top2box_ci_high", "nps_n", "nps", "nps_se", "nps_ci_low", "nps_ci_high", "feedback_note"]

#: sufficient statistics of survey answers per group (:func:`feedback_stats`): every survey KPI, its
#: interval and its change between periods follow from them, and they add up over groups, so the engine
#: summarises the answers once per day, touchpoint and segment and every table rolls those rows up
STAT_COLUMNS = ["rows", "csat_n", "csat_sum", "csat_sumsq", "csat_min", "csat_max", "top2",
                *[f"csat_{k}" for k in range(1, 6)], "nps_n", "promoters", "passives", "detractors"]
_STAT_AGG = {c: ("min" if c == "csat_min" else "max" if c == "csat_max" else "sum") for c in STAT_COLUMNS}


def _answers_for(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows without a touchpoint (relationship questions) count only when ``keys`` has no touchpoint, stage
    or kind."""
    if {"touchpoint_id", "stage", "kind"} & set(keys) and "touchpoint_id" in df.columns:
        return df[df["touchpoint_id"].notna()]
    return df


def _empty(keys: list[str], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in keys or c == "feedback_note" else "float64")
                         for c in [*keys, *columns]})


def _group_stats(work: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    gkeys = keys or ["_all"]
    work = work.assign(_all=1) if not keys else work
    out = work.groupby(gkeys, dropna=False, sort=True).agg(_STAT_AGG).reset_index()
    return out.drop(columns="_all") if not keys else out


def feedback_stats(feedback: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sufficient statistics of the survey answers per ``keys`` (columns :data:`STAT_COLUMNS`): rows, CSAT
    answers, their sum, sum of squares, minimum and maximum, top-2-box answers (4-5 of 5), answers of each
    score 1-5, NPS answers and promoters, passives, detractors. The engine computes the same per day, touchpoint
    and segment (:func:`helpers.analyse.queries.feedback_stats_expr`); :func:`rollup_stats` adds them up."""
    for k in keys:
        if k not in feedback.columns:
            raise DataError(f"column '{k}' not in the feedback table", column=k,
                            hint=f"columns are {list(feedback.columns)}")
    fb = _answers_for(feedback, keys)
    if fb.empty:
        return _empty(keys, STAT_COLUMNS)
    nan = pd.Series(np.nan, index=fb.index)
    csat = num(fb["csat"]) if "csat" in fb.columns else nan
    nps = num(fb["nps"]) if "nps" in fb.columns else nan
    has_nps = nps.notna().to_numpy()
    categories = []
    for mask in stats.nps_categories(nps.to_numpy()[has_nps], "NPS scores in 'nps'"):
        full = np.zeros(len(fb), dtype="int64")
        full[has_nps] = mask
        categories.append(full)
    work = fb[keys].copy()
    work["rows"] = 1
    work["csat_n"] = csat.notna().astype("int64")
    work["csat_sum"] = csat.fillna(0.0)
    work["csat_sumsq"] = (csat * csat).fillna(0.0)
    work["csat_min"], work["csat_max"] = csat, csat
    work["top2"] = (csat >= 4).astype("int64")
    for k in range(1, 6):
        work[f"csat_{k}"] = (csat == k).astype("int64")
    work["nps_n"] = nps.notna().astype("int64")
    work["promoters"], work["passives"], work["detractors"] = categories
    return _group_stats(work, keys)


def rollup_stats(stats_frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sufficient statistics (:func:`feedback_stats`) added up to the groups of ``keys`` (a subset of their
    groups' columns, or ``stage``/``kind`` after :func:`add_dimensions`)."""
    st_ = _answers_for(stats_frame, keys)
    if st_.empty:
        return _empty(keys, STAT_COLUMNS)
    return _group_stats(st_[[*keys, *STAT_COLUMNS]], keys)


def csat_moments(st_: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSAT answers, mean and sample variance per row of a statistics frame. The variance is exactly 0 where
    every answer is the same (minimum = maximum) and NaN below two answers. Sums of whole 1-5 scores are exact
    in floating point for groups of up to millions of answers, so the variance carries only the rounding of
    the final division."""
    n = st_["csat_n"].to_numpy(dtype=float)
    s = st_["csat_sum"].to_numpy(dtype=float)
    ss = st_["csat_sumsq"].to_numpy(dtype=float)
    same = (st_["csat_min"].to_numpy(dtype=float) == st_["csat_max"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / n, np.nan)
        var = np.where(n >= 2, np.where(same, 0.0, np.maximum((ss - s * s / n) / (n - 1), 0.0)), np.nan)
    return n, mean, var


def feedback_kpis_from_stats(stats_frame: pd.DataFrame, keys: list[str], level: float = 0.95) -> pd.DataFrame:
    """:func:`feedback_kpis` from sufficient statistics per ``keys`` (:func:`feedback_stats`,
    :func:`rollup_stats`, or the engine's :func:`helpers.analyse.queries.feedback_stats_expr` rolled up)."""
    cols = [*keys, *FEEDBACK_COLUMNS]
    if stats_frame.empty:
        return _empty(keys, FEEDBACK_COLUMNS)
    out = stats_frame.sort_values(keys).reset_index(drop=True) if keys else stats_frame.reset_index(drop=True)
    n, mean, var = csat_moments(out)
    sd = np.sqrt(var)
    out["csat_n"], out["csat"], out["csat_sd"] = n, mean, sd
    ests = [stats.mean_ci_from_stats(m, s, k, level) for m, s, k in zip(mean, sd, n)]
    out["csat_ci_low"] = [e.ci_low for e in ests]
    out["csat_ci_high"] = [e.ci_high for e in ests]
    top = stats.proportion_ci_frame(out, "top2", "csat_n", level=level, name="top2box")
    out["top2box"], out["top2box_ci_low"], out["top2box_ci_high"] = (
        top["top2box"], top["top2box_ci_low"], top["top2box_ci_high"])
    npsf = stats.nps_counts_frame(out[["promoters", "passives", "detractors"]], level=level)
    out["nps_n"] = npsf["n"].astype(float)
    for c in ("nps", "nps_se", "nps_ci_low", "nps_ci_high"):
        out[c] = npsf[c]
    out["feedback_note"] = [join_notes(("CSAT: " + e.note) if e.note else "", ("NPS: " + b) if b else "")
                            for e, b in zip(ests, npsf["nps_note"])]
    out.loc[out["nps_n"] == 1, "feedback_note"] = [
        join_notes(n, "NPS: one respondent") for n in out.loc[out["nps_n"] == 1, "feedback_note"]]
    return out[cols]


def feedback_kpis(feedback: pd.DataFrame, keys: list[str], level: float = 0.95) -> pd.DataFrame:
    """Survey KPIs per ``keys``: CSAT mean with t interval, top-2-box (4-5 of 5) with Wilson
    interval, NPS with its interval. Rows without a touchpoint (relationship questions) count
    only when ``keys`` has no touchpoint, stage or kind (overall and segment tables).

    ``feedback`` is the survey answers, or their sufficient statistics (:func:`feedback_stats`, e.g. the
    engine's daily rows) with the ``keys`` among their columns.

    Columns: keys, csat_n, csat, csat_sd, csat_ci_low, csat_ci_high, top2box, top2box_ci_low,
    top2box_ci_high, nps_n, nps, nps_se, nps_ci_low, nps_ci_high, feedback_note.
    """
    summarised = "csat_sumsq" in feedback.columns
    st_ = rollup_stats(feedback, keys) if summarised else feedback_stats(feedback, keys)
    return feedback_kpis_from_stats(st_, keys, level)


def _keys_as_object(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.copy()
    for k in keys:
        out[k] = out[k].astype(object) if k in out.columns else pd.Series(dtype=object)
    return out


KPI_COLUMNS = ["events", "customers", "journeys", "converted_journeys", "conversion", "conversion_ci_low",
               "conversion_ci_high", "revenue", "journey_revenue", "csat_n", "csat", "csat_sd", "csat_ci_low",
               "csat_ci_high", "top2box", "top2box_ci_low", "top2box_ci_high", "nps_n", "nps", "nps_se", "nps_ci_low",
               "nps_ci_high", "note"]


def _joined(volume: pd.DataFrame, journeys: pd.DataFrame, feedback: pd.DataFrame, keys: list[str],
            catalogue: pd.DataFrame | None) -> pd.DataFrame:
    if not keys:
        out = pd.concat([volume.reset_index(drop=True), journeys.reset_index(drop=True),
                         feedback.reset_index(drop=True)], axis=1)
        return pd.DataFrame([{}]) if out.empty else out
    frames = [_keys_as_object(f, keys) for f in (volume, journeys, feedback)]
    if keys == ["touchpoint_id"] and catalogue is not None:
        # every catalogued touchpoint gets a row, with or without data
        frames.insert(0, pd.DataFrame({"touchpoint_id": pd.Series(list(catalogue["touchpoint_id"]), dtype=object)}))
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on=keys, how="outer")
    return out


def _sorted_along_journey(out: pd.DataFrame, keys: list[str], catalogue: pd.DataFrame | None):
    """The table in journey order (touchpoints by stage and catalogue order) and its leading columns."""
    if "touchpoint_id" in keys and catalogue is not None:
        names = dict(zip(catalogue["touchpoint_id"], catalogue["name"]))
        out["name"] = [names.get(t, f"{t} {UNKNOWN}") for t in out["touchpoint_id"]]
        out["stage"] = out["touchpoint_id"].map(dict(zip(catalogue["touchpoint_id"], catalogue["stage"]))
                                                ).fillna(UNKNOWN)
        out["kind"] = out["touchpoint_id"].map(dict(zip(catalogue["touchpoint_id"], catalogue["kind"]))
                                               ).fillna(UNKNOWN)
        order = {t: i for i, t in enumerate(catalogue["touchpoint_id"])}
        out["_s"] = out["stage"].map(STAGE_INDEX).fillna(len(STAGES))
        out["_o"] = out["touchpoint_id"].map(order).fillna(len(order))
        sort = ["_s", "_o", "touchpoint_id", *[k for k in keys if k != "touchpoint_id"]]
        out = out.sort_values(sort, kind="stable").drop(columns=["_s", "_o"])
        return out, ["touchpoint_id", "name", "stage", "kind", *[k for k in keys if k != "touchpoint_id"]]
    if keys == ["stage"]:
        out["_s"] = out["stage"].map(STAGE_INDEX).fillna(len(STAGES))
        return out.sort_values(["_s", "stage"]).drop(columns="_s"), keys
    return (out.sort_values(keys) if keys else out), keys


def build_kpi_table(volume: pd.DataFrame, journeys: pd.DataFrame, feedback: pd.DataFrame, keys: list[str],
                    catalogue: pd.DataFrame | None = None, level: float = 0.95) -> pd.DataFrame:
    """Join event volume, journey conversion and survey KPIs on ``keys`` into one KPI table.

    Adds conversion with its Wilson interval and a ``note`` column explaining every interval
    that is missing. When grouping by touchpoint, adds name, stage and kind from the
    catalogue (``(not catalogued)`` otherwise) and sorts along the journey.
    """
    out = _joined(volume, journeys, feedback, keys, catalogue)
    for c in ("events", "customers", "journeys", "converted_journeys", "csat_n", "nps_n"):
        out[c] = num(out[c]).fillna(0).astype("int64") if c in out.columns else 0
    for c in ("revenue", "journey_revenue"):
        out[c] = num(out[c]).fillna(0.0) if c in out.columns else 0.0
    conv = stats.proportion_ci_frame(out, "converted_journeys", "journeys", level=level, name="conversion")
    for c in ("conversion", "conversion_ci_low", "conversion_ci_high"):
        out[c] = conv[c]
    out["note"] = [
        join_notes("no journeys" if j == 0 else ("one journey: wide interval" if j == 1 else ""),
                   "no ratings" if cn == 0 and nn == 0 else "",
                   fb if isinstance(fb, str) else "")
        for j, cn, nn, fb in zip(out["journeys"], out["csat_n"], out["nps_n"], out.get("feedback_note", ""))
    ]
    out, lead = _sorted_along_journey(out, keys, catalogue)
    cols = [*lead, *KPI_COLUMNS]
    for c in cols:
        if c not in out.columns:
            out[c] = np.nan
    return out[cols].reset_index(drop=True)


CHANGE_COLUMNS = ["kpi", "comparison", "current", "before", "change", "ci_low", "ci_high", "n_current", "n_before",
                  "p_value", "p_adjusted", "significant", "method", "note"]

#: level of the Benjamini-Hochberg adjustment of a change table (its false discovery rate)
FDR = 0.05
_NPS_ADD = 0.75


def _nps_p(c1: tuple[int, int, int], c2: tuple[int, int, int], est: stats.Estimate) -> float:
    """Two-sided p of the normal test that :func:`helpers.stats.diff_nps_counts` inverts: ``d / se``, or the
    adjusted Wald ``d_a / se_a`` (3/4 promoter and 3/4 detractor added) where the plain variance is zero."""
    if not est.defined:
        return np.nan
    if est.se > 0:
        return float(2 * st.norm.sf(abs(est.value) / est.se))

    def parts(c):
        m = sum(c) + 4 * _NPS_ADD
        pp, pd_ = (c[0] + _NPS_ADD) / m, (c[2] + _NPS_ADD) / m
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / m

    (a1, v1), (a2, v2) = parts(c1), parts(c2)
    return float(2 * st.norm.sf(abs(a1 - a2) / math.sqrt(v1 + v2)))


def _welch_p(m1: float, v1: float, n1: float, m2: float, v2: float, n2: float, est: stats.Estimate) -> float:
    """Two-sided p of Welch's t test, the test the interval of :func:`helpers.stats.diff_means_ci_from_stats`
    inverts, from the two groups' means, sample variances and sizes."""
    if not est.defined:
        return np.nan
    return float(st.ttest_ind_from_stats(m1, math.sqrt(v1), n1, m2, math.sqrt(v2), n2, equal_var=False).pvalue)


def _stats_by(fb: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Sufficient statistics per ``key`` of raw survey answers or of a statistics frame, indexed by ``key``."""
    if fb is None or fb.empty:
        return _empty([key], STAT_COLUMNS).set_index(key)
    grouped = rollup_stats(fb, [key]) if "csat_sumsq" in fb.columns else feedback_stats(fb, [key])
    n, mean, var = csat_moments(grouped)
    return grouped.assign(csat_n=n, csat_mean=mean, csat_var=var).set_index(key)


def _proportion_change(x1, n1, x2, n2, level: float) -> tuple[stats.Estimate, float]:
    """Difference of proportions with the score interval and the pooled z test it inverts."""
    x1, n1, x2, n2 = (float(v) for v in (x1, n1, x2, n2))
    e = stats.diff_proportions_ci(x1, n1, x2, n2, method="score", level=level)
    p = stats.two_proportions_test(x1, n1, x2, n2)[1] if e.defined else np.nan
    if e.defined and not np.isfinite(p):
        # all or no successes in both periods: nothing varies, so nothing to test
        e = stats.Estimate(e.value, e.se, np.nan, np.nan, e.n, e.method, level,
                           "no variation in either period: no test")
    return e, p


def compare_kpis(current: pd.DataFrame, before: pd.DataFrame, fb_now: pd.DataFrame, fb_before: pd.DataFrame,
                 comparison: str, key: str = "touchpoint_id", level: float = 0.95) -> pd.DataFrame:
    """Change of each KPI per ``key`` between two periods, with intervals and p values.

    Conversion and top-2-box: difference of proportions with the score interval (Mee) and the
    pooled z test it inverts; CSAT: difference of means, Welch interval and test; NPS:
    :func:`helpers.stats.diff_nps_counts` on the promoter, passive and detractor counts, with the
    normal test it inverts. CSAT and NPS come from ``fb_now``/``fb_before``: the raw survey answers
    of each period or their sufficient statistics (:func:`feedback_stats`, with ``key`` among their
    columns). Differences of proportions are on the 0-1 scale.

    The rows of one call (every ``key`` x the four KPIs of one comparison) are one family:
    ``p_adjusted`` is Benjamini-Hochberg within it, and ``significant`` is ``p_adjusted < 0.05``.
    A row without an interval (no data, one answer, no variation) has no p value, does not
    count in the family and is never significant.
    """
    rows = []
    prev = before.set_index(key) if len(before) else pd.DataFrame()
    now_stats, before_stats = _stats_by(fb_now, key), _stats_by(fb_before, key)
    no_stats = pd.Series({"csat_n": 0.0, "csat_mean": np.nan, "csat_var": np.nan, "promoters": 0, "passives": 0,
                          "detractors": 0})
    for _, now in current.iterrows():
        k = now[key]
        b = prev.loc[k] if k in prev.index else None

        def get(col, default=0.0, b=b):
            return float(b[col]) if b is not None and pd.notna(b[col]) else default

        e, p = _proportion_change(now["converted_journeys"], now["journeys"], get("converted_journeys"),
                                  get("journeys"), level)
        rows.append(_change_row(k, "conversion", comparison, now["conversion"], get("conversion", np.nan), e,
                                now["journeys"], get("journeys"), p))
        n_top_now = round(now["top2box"] * now["csat_n"]) if now["csat_n"] else 0
        n_top_b = round(get("top2box") * get("csat_n")) if get("csat_n") else 0
        e, p = _proportion_change(n_top_now, now["csat_n"], n_top_b, get("csat_n"), level)
        rows.append(_change_row(k, "top2box", comparison, now["top2box"], get("top2box", np.nan), e, now["csat_n"],
                                get("csat_n"), p))
        a = now_stats.loc[k] if k in now_stats.index else no_stats
        bb = before_stats.loc[k] if k in before_stats.index else no_stats
        moments = (a["csat_mean"], a["csat_var"], a["csat_n"], bb["csat_mean"], bb["csat_var"], bb["csat_n"])
        e = stats.diff_means_ci_from_stats(*moments, level=level)
        rows.append(_change_row(k, "csat", comparison, now["csat"], get("csat", np.nan), e, a["csat_n"],
                                bb["csat_n"], _welch_p(*moments, est=e)))
        c1 = tuple(int(a[c]) for c in ("promoters", "passives", "detractors"))
        c2 = tuple(int(bb[c]) for c in ("promoters", "passives", "detractors"))
        e = stats.diff_nps_counts(*c1, *c2, level=level)
        rows.append(_change_row(k, "nps", comparison, now["nps"], get("nps", np.nan), e, sum(c1), sum(c2),
                                _nps_p(c1, c2, e)))
    out = pd.DataFrame(rows, columns=[key, *CHANGE_COLUMNS])
    out["p_value"] = out["p_value"].astype("float64")
    out["p_adjusted"] = stats.benjamini_hochberg(out["p_value"].to_numpy()) if len(out) else np.array([])
    out["significant"] = (out["p_adjusted"] < FDR).astype(bool)
    return out


def _change_row(k, kpi, comparison, now, before, est: stats.Estimate, n_now, n_before, p: float) -> list:
    p = float(p) if est.defined and np.isfinite(p) else np.nan
    return [k, kpi, comparison, now, before, est.value, est.ci_low, est.ci_high, int(n_now), int(n_before),
            p, np.nan, False, est.method, est.note]


def significant_changes(changes: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    """Changes significant after the Benjamini-Hochberg adjustment of their table (``significant``), the
    clearest first (change / half-width of its interval), with the touchpoint's ``name``."""
    if changes.empty:
        return changes
    sig = changes[changes["significant"]].copy()
    sig["name"] = sig["touchpoint_id"].map(names or {}).fillna(sig["touchpoint_id"])
    # strongest evidence first: distance of the change from zero in units of its interval half-width
    sig["_abs"] = [abs(float(c)) / max((float(h) - float(lo)) / 2, 1e-12)
                   for c, lo, h in zip(sig["change"], sig["ci_low"], sig["ci_high"])]
    return sig.sort_values("_abs", ascending=False).drop(columns="_abs").reset_index(drop=True)


def segment_gap(kpis_by_segment: pd.DataFrame) -> dict | None:
    """The segments with the highest and lowest conversion, their ratio and the Newcombe interval
    of the difference (None with fewer than two segments with journeys)."""
    seg = kpis_by_segment[(kpis_by_segment["journeys"] > 0) & (kpis_by_segment["segment"] != NO_SEGMENT)]
    if len(seg) < 2:
        return None
    hi, lo = seg.loc[seg["conversion"].idxmax()], seg.loc[seg["conversion"].idxmin()]
    diff = stats.diff_proportions_ci(hi["converted_journeys"], hi["journeys"], lo["converted_journeys"],
                                     lo["journeys"])
    return {"high": hi, "low": lo, "ratio": hi["conversion"] / lo["conversion"] if lo["conversion"] else np.inf,
            "difference": diff}


def weekly_table(volume: pd.DataFrame, journeys: pd.DataFrame, feedback: pd.DataFrame, keys: list[str],
                 level: float = 0.95) -> pd.DataFrame:
    """Long weekly series: week, keys, kpi (events, customers, conversion, csat, nps), value, n,
    ci_low, ci_high. Weeks start on Monday. ``feedback`` is the raw survey answers (with ``ts``) or their
    daily statistics (:func:`feedback_stats` with a ``day`` column)."""
    frames = []
    if len(volume):
        v = volume.copy()
        for kpi in ("events", "customers"):
            frames.append(v[["week", *keys]].assign(kpi=kpi, value=num(v[kpi]), n=num(v[kpi]),
                                                    ci_low=np.nan, ci_high=np.nan))
    if len(journeys):
        j = stats.proportion_ci_frame(journeys, "converted_journeys", "journeys", level=level, name="rate")
        frames.append(j[["week", *keys]].assign(kpi="conversion", value=j["rate"], n=num(j["journeys"]),
                                                ci_low=j["rate_ci_low"], ci_high=j["rate_ci_high"]))
    if feedback is not None and len(feedback):
        if "csat_sumsq" in feedback.columns:
            # daily statistics (:func:`helpers.analyse.queries.feedback_stats_expr`): the Monday of each day
            day = pd.to_datetime(feedback["day"])
            st_ = feedback.assign(week=(day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.normalize())
            fk = feedback_kpis_from_stats(rollup_stats(st_, ["week", *keys]), ["week", *keys], level=level)
        else:
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
