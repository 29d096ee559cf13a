"""The data of `tpkit monitor`: for each running change and KPI, its always-valid interval today.

What the sequence is of depends on the change's design (the same choice as step 4,
:func:`helpers.evaluate.compute.changes.design_for`):

* **A/B test** (``ab_column``): the difference in the KPI's mean per unit (journey or survey
  response) between the tested variant and the control variant, over all units since the start.
  Its standard error is the plug-in ``sqrt(s_B^2/n_B + s_A^2/n_A)``; the sequence is always valid
  at every look (:func:`helpers.monitor.sequences.halfwidth`).
* **Control logged** (difference-in-differences): the weekly treated-minus-control difference;
  the estimate is its mean over the weeks since the start minus its mean over the weeks before.
* **Before/after** (interrupted time series in step 4): the weekly level of the KPI; the estimate
  is its mean since the start minus its mean before.

For both weekly designs each complete week is one observation (the week's mean), so shocks that
hit a whole week (a campaign, the weather) are in the standard error; the before part is measured
once and the after part grows, so alpha is split between them
(:func:`helpers.monitor.sequences.split_halfwidth`). This level comparison assumes no trend over
the history: step 4's time-series model (with its trend) remains the reference verdict at the
quarterly report.

The planned effect (the size "no effect of the planned size" is about, and the mixture's tau)
is the change's ``expected_effect`` for the KPI when client.yml gives one, else step 4's reference
effect: 5% of the baseline (5 points for NPS).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from helpers import data
from helpers.config import load_client
from helpers.errors import ConfigError
from helpers.evaluate import queries
from helpers.evaluate.compute import changes as ch
from helpers.monitor import sequences as sq

__all__ = ["ALPHA", "PRE_WEEKS", "MonitorResult", "MonitorRow", "as_of_default", "monitor", "running_changes"]

ALPHA = 0.05
#: weeks before the change that the before/after and control designs compare with
PRE_WEEKS = 26
#: fewest complete weeks before (and after) the change for a weekly design
MIN_PRE_WEEKS = 8
MIN_POST_WEEKS = 2
MIN_UNITS = 10
#: a verdict that would need more than this many weeks from today is "not within two years"
HORIZON_WEEKS = 104
NAN = float("nan")
WEEK = pd.Timedelta(days=7)
DESIGN_SEQUENCE = {"ab": "variant difference per unit", "did": "weekly treated minus control",
                   "its": "weekly level"}


@dataclass(frozen=True)
class MonitorRow:
    """One change and KPI at the look ``as_of``."""

    change_id: str
    touchpoint_id: str
    description: str
    kpi: str
    design: str  # "ab", "did", "its"
    start: dt.date
    weeks: int  # complete weeks (weekly designs) or days/7 (A/B) since the start
    n: int  # units (A/B) or weeks after the start
    estimate: float
    ci_low: float
    ci_high: float
    planned: float
    planned_source: str  # "client.yml" or "reference"
    verdict: str  # sequences.MOVED, NO_EFFECT, KEEP
    until: dt.date | None = None  # KEEP: the projected date of a decision (None: not within two years)
    reason: str = ""  # KEEP without estimate: "too early", "no data", "not sequential"
    looks: tuple = field(default_factory=tuple)  # (week, estimate, ci_low, ci_high) at each weekly look

    def to_json(self) -> dict:
        d = asdict(self)
        for k in ("start", "until"):
            d[k] = d[k].isoformat() if d[k] else None
        d["looks"] = [dict(zip(("week", "estimate", "ci_low", "ci_high"), map(_num, lk))) for lk in self.looks]
        for k in ("estimate", "ci_low", "ci_high", "planned"):
            d[k] = _num(d[k])
        return d


def _num(v):
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v


@dataclass(frozen=True)
class MonitorResult:
    client: str
    name: str
    as_of: dt.date
    language: str
    currency: str
    alpha: float
    rows: tuple[MonitorRow, ...]
    ended: tuple[str, ...] = ()  # changes that ended before as_of (monitored up to their end)
    future: tuple[str, ...] = ()  # changes starting after as_of (not monitored)

    def to_json(self) -> dict:
        return {"client": self.client, "as_of": self.as_of.isoformat(), "alpha": self.alpha,
                "rows": [r.to_json() for r in self.rows], "not_started": list(self.future)}


def running_changes(changes, as_of: dt.date) -> tuple[list, list]:
    """Changes whose start is before ``as_of`` (monitored) and those not yet started."""
    run = [c for c in changes if c.start < as_of]
    return run, [c for c in changes if c.start >= as_of]


def as_of_default(src: data.ClientData, tz: str) -> dt.date | None:
    """The last day with data (local date), or today when that is earlier."""
    ends = []
    if src.has("events"):
        r = queries.span(src.events).execute()
        if len(r) and pd.notna(r["hi"].iloc[0]):
            ends.append(pd.Timestamp(r["hi"].iloc[0]))
    if src.has("feedback"):
        r = queries.span(src.table("feedback")).execute()
        if len(r) and pd.notna(r["hi"].iloc[0]):
            ends.append(pd.Timestamp(r["hi"].iloc[0]))
    if not ends:
        return None
    last = max(ends).tz_localize("UTC").tz_convert(tz).date()
    return min(last, dt.date.today())


def planned_effect(change, kpi: str, baseline: float) -> tuple[float, str]:
    """The planned effect of ``change`` on ``kpi``: client.yml's ``expected_effect`` or step 4's reference."""
    given = getattr(change, "expected_effect", None)
    if isinstance(given, dict) and given.get(kpi) is not None:
        return abs(float(given[kpi])), "client.yml"
    if isinstance(given, (int, float)) and not isinstance(given, bool):
        return abs(float(given)), "client.yml"
    return ch.reference(kpi, baseline), "reference"


# ---------------------------------------------------------------------------
# units: one row per journey or survey response with group, week and value
# ---------------------------------------------------------------------------


def _feedback_units(fb: pd.DataFrame, kpi: str, tps, segments, lo, hi, s0, ab_column=None,
                    exclude=()) -> pd.DataFrame:
    sel = fb[fb["touchpoint_id"].isin(list(tps)) & (fb["ts"] >= lo) & (fb["ts"] < hi)]
    if segments and "segment" in sel:
        sel = sel[sel["segment"].astype("string").isin(list(segments)).fillna(False)]
    if exclude and "segment" in sel:
        sel = sel[~sel["segment"].astype("string").isin(list(exclude)).fillna(False)]
    out = pd.DataFrame({"value": ch.unit_values(sel, kpi).astype(float),
                        "week": np.floor((sel["ts"] - s0) / WEEK).astype("int64")})
    if ab_column:
        if ab_column not in sel:
            raise ConfigError(f"the feedback has no A/B column '{ab_column}'", hint="check ab_column in client.yml")
        out["variant"] = sel[ab_column].astype("string")
    return out[out["value"].notna()]


def _journey_weekly(events, kpi: str, tps, segments, lo, hi, s0, ab_column=None, exclude=()) -> pd.DataFrame:
    """Weekly n, sum and sum of squares of a journey KPI (per variant with ``ab_column``), from Ibis."""
    j = queries.touches(events, tps, lo, hi, ab_column)
    if segments:
        j = j.filter(j.segment.isin(list(segments)))
    if exclude:
        j = j.filter(~j.segment.isin(list(exclude)))
    v = j.converted.cast("float64") if kpi == "conversion" else j.revenue.cast("float64")
    j = j.mutate(week=queries._week(j.ts, s0), value=v)
    keys = ["week", "variant"] if ab_column else ["week"]
    if ab_column:
        j = j.filter(j.variant.notnull())
        j = j.mutate(variant=j.variant.cast("string"))
    g = j.group_by(keys).agg(n=j.count(), s=j.value.sum(), s2=(j.value * j.value).sum()).execute()
    return g


def _unit_weekly(units: pd.DataFrame, keys) -> pd.DataFrame:
    u = units.assign(v2=units["value"] ** 2)
    g = u.groupby(list(keys)).agg(n=("value", "size"), s=("value", "sum"), s2=("v2", "sum")).reset_index()
    return g


# ---------------------------------------------------------------------------
# the sequences
# ---------------------------------------------------------------------------


def _mean_var(n, s, s2):
    n, s, s2 = float(n), float(s), float(s2)
    if n < 2:
        return NAN, NAN
    m = s / n
    return m, max(s2 / n - m * m, 0.0) * n / (n - 1)


def ab_sequence(weekly: pd.DataFrame, control: str, treated: str, alpha: float, planned_fn):
    """Looks of the variant difference after each week: (week, est, lo, hi), the last look and n."""
    looks, last = [], None
    wk = weekly.sort_values("week")
    weeks = sorted(wk["week"].unique())
    cum = {}
    planned = tau = NAN
    for w in weeks:
        for var in (control, treated):
            part = wk[(wk["week"] <= w) & (wk["variant"] == var)]
            cum[var] = (part["n"].sum(), part["s"].sum(), part["s2"].sum())
        (na, sa, s2a), (nb, sb, s2b) = cum[control], cum[treated]
        if min(na, nb) < MIN_UNITS:
            continue
        ma, va = _mean_var(na, sa, s2a)
        mb, vb = _mean_var(nb, sb, s2b)
        if not math.isfinite(tau):
            planned, source = planned_fn(ma)
            tau = planned if planned > 0 else NAN
        se = math.sqrt(va / na + vb / nb)
        h = sq.halfwidth(se, tau, alpha) if math.isfinite(tau) else NAN
        est = mb - ma
        looks.append((int(w), est, est - h, est + h))
        last = (est, se, h, int(na + nb), (na, nb))
    return looks, last, planned, tau


def weekly_sequence(pre: np.ndarray, post: np.ndarray, alpha: float, tau: float):
    """Looks of ``mean(post[:k]) - mean(pre)`` for k = MIN_POST_WEEKS.. (weekly values, one per week).

    The week-to-week standard deviation is pooled over the before weeks and the after weeks seen
    so far (each around its own mean).
    """
    looks = []
    for k in range(MIN_POST_WEEKS, len(post) + 1):
        p = post[:k]
        dev = np.concatenate([pre - pre.mean(), p - p.mean()])
        sd = math.sqrt((dev**2).sum() / max(len(dev) - 2, 1))
        se_pre, se_post = sd / math.sqrt(len(pre)), sd / math.sqrt(k)
        h = float(sq.split_halfwidth(se_pre, se_post, tau, alpha))
        est = float(p.mean() - pre.mean())
        looks.append((k, est, est - h, est + h, se_pre, se_post))
    return looks


def _weekly_values(w: pd.DataFrame, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """Weekly means of the complete weeks: PRE_WEEKS before the start and n_post after."""
    w = w[w["n"] >= ch.MIN_WEEK_N].copy()
    w["value"] = w["s"] / w["n"]
    pre = w[(w["week"] < 0) & (w["week"] >= -PRE_WEEKS)].sort_values("week")["value"].to_numpy(float)
    post = w[(w["week"] >= 0) & (w["week"] < n_post)].sort_values("week")["value"].to_numpy(float)
    return pre, post


def _until(start: dt.date, weeks_now: float, factor: float, as_of: dt.date) -> dt.date | None:
    if not math.isfinite(factor):
        return None
    weeks = max(weeks_now * factor, weeks_now + 1)
    if weeks - weeks_now > HORIZON_WEEKS:
        return None
    return max(start + dt.timedelta(days=math.ceil(weeks * 7)), as_of + dt.timedelta(days=7))


class _Source:
    def __init__(self, cd: data.ClientData):
        self.has_events = cd.has("events")
        self.events = cd.events if self.has_events else None
        self.has_feedback = cd.has("feedback")
        # the survey answers stay in the engine: each look asks for its touchpoints and weeks
        self.feedback_table = cd.table("feedback") if self.has_feedback else None
        self.end = None
        if self.has_events:
            r = queries.span(self.events).execute()
            if len(r) and pd.notna(r["hi"].iloc[0]):
                self.end = pd.Timestamp(r["hi"].iloc[0])

    def feedback(self, lo, hi, touchpoints, ab_column: str | None = None) -> pd.DataFrame:
        """The survey answers at ``touchpoints`` in ``[lo, hi)`` (:func:`helpers.evaluate.queries.feedback_rows`)."""
        if self.feedback_table is None:
            return pd.DataFrame(columns=["ts", "touchpoint_id", "segment", "csat", "nps"])
        extra = (ab_column,) if ab_column else ()
        out = queries.feedback_rows(self.feedback_table, lo, hi, touchpoints, extra=extra).execute()
        out["ts"] = pd.to_datetime(out["ts"]).astype("datetime64[us]")
        return out


def _keep(change, kpi, design, reason, **kw) -> MonitorRow:
    base = dict(change_id=change.id, touchpoint_id=change.touchpoint, description=change.description, kpi=kpi,
                design=design, start=change.start, weeks=0, n=0, estimate=NAN, ci_low=NAN, ci_high=NAN,
                planned=NAN, planned_source="", verdict=sq.KEEP, reason=reason)
    base.update(kw)
    return MonitorRow(**base)


def _group_spec(change):
    """Treated and control touchpoints and segments; with a control of segments only, the treated group is
    every other segment of the same touchpoint."""
    tr_tps, ct_tps = ch.groups(change)
    tr_seg = tuple(change.treated_segments)
    ct_seg = tuple(change.control.segments) if change.control is not None else ()
    tr_excl = ct_seg if ct_seg and not tr_seg and list(tr_tps) == list(ct_tps) else ()
    return tr_tps, tr_seg, tr_excl, ct_tps, ct_seg


def monitor_one(src: _Source, change, kpi: str, as_of: dt.date, tz: str, alpha: float = ALPHA) -> MonitorRow:
    """The always-valid look at one change and KPI with data up to the end of ``as_of``."""
    design = ch.design_for(change, kpi)
    if kpi == "volume":
        return _keep(change, kpi, design, "not sequential")
    if (kpi in ch.FEEDBACK_KPIS and not src.has_feedback) or (kpi in ch.JOURNEY_KPIS and not src.has_events):
        return _keep(change, kpi, design, "no data")
    s0 = ch.utc(change.start, tz)
    last_day = min(as_of, change.end) if change.end else as_of
    hi = ch.utc(last_day + dt.timedelta(days=1), tz)
    if kpi in ch.JOURNEY_KPIS and src.end is not None:
        hi = min(hi, src.end - ch.MATURITY)
    weeks_now = max((hi - s0) / WEEK, 0.0)
    if design == "ab":
        return _ab(src, change, kpi, s0, hi, weeks_now, as_of, alpha)
    return _weekly(src, change, kpi, design, s0, hi, weeks_now, as_of, alpha)


def _ab(src, change, kpi, s0, hi, weeks_now, as_of, alpha) -> MonitorRow:
    tps, segs = [change.touchpoint], tuple(change.treated_segments)
    if kpi in ch.FEEDBACK_KPIS:
        units = _feedback_units(src.feedback(s0, hi, tps, change.ab_column), kpi, tps, segs, s0, hi, s0,
                                change.ab_column)
        weekly = _unit_weekly(units.dropna(subset=["variant"]), ["week", "variant"])
    else:
        weekly = _journey_weekly(src.events, kpi, tps, segs, s0, hi, s0, change.ab_column)
    variants = sorted(weekly["variant"].dropna().unique()) if len(weekly) else []
    if len(variants) < 2:
        return _keep(change, kpi, "ab", "too early", weeks=int(weeks_now))
    control = change.control_variant if change.control_variant in variants else variants[0]
    treated = next(v for v in variants if v != control)
    looks, last, planned, tau = ab_sequence(weekly, control, treated, alpha,
                                            lambda base: planned_effect(change, kpi, base))
    if last is None or not math.isfinite(tau):
        return _keep(change, kpi, "ab", "too early", weeks=int(weeks_now))
    est, se, h, n, (na, nb) = last
    source = planned_effect(change, kpi, NAN)[1]
    verdict = sq.decide(est, h, planned)
    until = None
    if verdict == sq.KEEP:
        factor = sq.looks_needed(est, h, planned, lambda k: sq.halfwidth(se / math.sqrt(k), tau, alpha))
        until = _until(change.start, weeks_now, factor, as_of)
    return MonitorRow(change.id, change.touchpoint, change.description, kpi, "ab", change.start, int(weeks_now), n,
                      est, est - h, est + h, planned, source, verdict, until, "",
                      tuple(lk for lk in looks))


def _weekly(src, change, kpi, design, s0, hi, weeks_now, as_of, alpha) -> MonitorRow:
    n_post = int(math.floor(weeks_now))
    lo = s0 - PRE_WEEKS * WEEK
    hi_weeks = s0 + n_post * WEEK
    tr_tps, tr_seg, tr_excl, ct_tps, ct_seg = _group_spec(change)

    def series(tps, segs, exclude=()):
        if kpi in ch.FEEDBACK_KPIS:
            units = _feedback_units(src.feedback(lo, hi_weeks, tps), kpi, tps, segs, lo, hi_weeks, s0, exclude=exclude)
            return _unit_weekly(units, ["week"])
        return _journey_weekly(src.events, kpi, tps, segs, lo, hi_weeks, s0, exclude=exclude)

    tw = series(tr_tps, tr_seg, tr_excl)
    pre, post = _weekly_values(tw, n_post)
    baseline = float(pre.mean()) if len(pre) else NAN
    if design == "did":
        cw = series(ct_tps, ct_seg)
        both = tw.merge(cw, on="week", suffixes=("_t", "_c"))
        both = both[(both["n_t"] >= ch.MIN_WEEK_N) & (both["n_c"] >= ch.MIN_WEEK_N)]
        gap = pd.DataFrame({"week": both["week"], "n": 1.0,
                            "s": both["s_t"] / both["n_t"] - both["s_c"] / both["n_c"]})
        pre, post = _weekly_values(gap.assign(n=ch.MIN_WEEK_N, s=gap["s"] * ch.MIN_WEEK_N), n_post)
    planned, source = planned_effect(change, kpi, baseline)
    if len(pre) < MIN_PRE_WEEKS or not (planned > 0):
        return _keep(change, kpi, design, "no data", weeks=n_post, planned=planned, planned_source=source)
    if len(post) < MIN_POST_WEEKS:
        until = change.start + dt.timedelta(weeks=MIN_POST_WEEKS)
        return _keep(change, kpi, design, "too early", weeks=n_post, planned=planned, planned_source=source,
                     until=max(until, as_of + dt.timedelta(days=1)))
    looks = weekly_sequence(pre, post, alpha, planned)
    k, est, low, high, se_pre, se_post = looks[-1]
    h = (high - low) / 2
    verdict = sq.decide(est, h, planned)
    until = None
    if verdict == sq.KEEP:
        factor = sq.looks_needed(est, h, planned,
                                 lambda f: float(sq.split_halfwidth(se_pre, se_post / math.sqrt(f), planned, alpha)))
        until = _until(change.start, weeks_now, factor, as_of)
    return MonitorRow(change.id, change.touchpoint, change.description, kpi, design, change.start, n_post, len(post),
                      est, low, high, planned, source, verdict, until, "",
                      tuple((lk[0], lk[1], lk[2], lk[3]) for lk in looks))


def monitor(client: str, as_of: dt.date | None = None, root=None, language: str | None = None,
            alpha: float = ALPHA) -> MonitorResult:
    """Every change of ``client`` that started before ``as_of``, each of its KPIs, looked at today."""
    cfg = load_client(client, root)
    cd = data.ClientData(client, root=root)
    if as_of is None:
        as_of = as_of_default(cd, cfg.timezone)
        if as_of is None:
            raise ConfigError(f"client '{client}' has no processed events or feedback",
                              hint=f"run `tpkit ingest {client}` first")
    src = _Source(cd)
    run, future = running_changes(cfg.changes, as_of)
    rows = tuple(monitor_one(src, c, kpi, as_of, cfg.timezone, alpha) for c in run for kpi in c.kpis)
    return MonitorResult(client, cfg.name, as_of, language or cfg.language, cfg.currency, alpha, rows,
                         future=tuple(c.id for c in future))
