"""Across quarters, for one client and period: what became of last period's priorities, how good
last period's forecast was, and the KPI trends over every period with data.

>>> result = run("nordlys", "2026Q3")
>>> result.since              # last period's top priorities: rank now, changes and verdicts, KPI moves
>>> result.backtest.totals    # the CLV forecast made at the end of 2026Q2 against what happened in 2026Q3
>>> result.trends             # NPS, CSAT, conversion per journey stage for every period
>>> artifacts.save(artifacts_dir, findings(result))

:func:`compute` reads top to bottom: last period's priorities and verdicts from its saved
report artifacts (``reports/<client>/<previous>/artifacts/``; recomputed with steps 3 and 4
when they are missing, and the result says so), this period's ranking and verdicts, the
touchpoint KPIs of both periods, the forecast back-test on the orders, and the trends.
The statistics are in :mod:`helpers.review.compute`, the words in
:mod:`helpers.review.narrative`, the figures in :mod:`helpers.review.figures`.

The review's tables are saved with step 4's findings (its ``evaluate`` artifact), so the
executive summary finds them next to the verdicts: ``since_last_period``,
``since_changes``, ``too_early``, ``forecast_backtest``, ``forecast_calibration``, ``trends``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers import artifacts, data, evaluate, paths, prioritise
from helpers.analyse import queries as aq
from helpers.analyse.compute import build_kpi_table, feedback_kpis, in_window, no_feedback
from helpers.analyse.narrative import comparison_name
from helpers.analyse.step import feedback_daily
from helpers.config import STAGES, load_client
from helpers.errors import KitError
from helpers.periods import Period
from helpers.report.runner import ARTIFACTS
from helpers.review import compute as calc
from helpers.review import narrative, queries

__all__ = ["ReviewResult", "compute", "run", "findings", "previous_artifacts_dir", "SINCE_COLUMNS"]

SINCE_COLUMNS = [*calc.MOVE_COLUMNS, "change_ids",
                 *[f"{k}_{c}" for k in calc.MOVE_KPIS for c in ("before", "now", "change", "ci_low", "ci_high")]]
#: a period counts in the trends when the data covers at least this much of it
MIN_PERIOD_DATA = pd.Timedelta(days=7)
CHANGE_COLUMNS = ["change_id", "touchpoint_id", "description", "start", "kpi", "verdict", "effect", "ci_low",
                  "ci_high"]


@dataclass(frozen=True)
class ReviewResult:
    """Everything the "across periods" sections show."""

    client: str
    client_name: str
    period: str
    previous: str
    #: which of last period's results were recomputed because its report artifacts are missing
    recomputed: tuple[str, ...]
    #: False when the previous period lies before the first data (nothing to look back on)
    has_previous: bool
    since: pd.DataFrame
    since_changes: pd.DataFrame
    too_early: pd.DataFrame
    backtest: calc.Backtest
    trends: pd.DataFrame
    changes_log: pd.DataFrame
    evaluation: object = None
    currency: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def previous_top(self) -> pd.DataFrame:
        """Last period's top priorities, in their order then."""
        s = self.since[self.since["status"] != calc.ENTERED]
        return s.sort_values("rank_before", kind="stable")


def previous_artifacts_dir(client: str, period: Period, root=None) -> Path:
    """Where the previous period's report saved its artifacts."""
    return paths.reports_dir(client, period.previous().label, root) / ARTIFACTS


def _previous(client: str, per: Period, root, recomputed: list[str]) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Last period's ranking and verdict table: from its artifacts, else recomputed."""
    prev = per.previous()
    folder = previous_artifacts_dir(client, per, root)
    ranking = artifacts.load(folder, "prioritise").table("priorities")
    if ranking is None:
        recomputed.append("priorities")
        res = prioritise.run(client, prev, root=root)
        ranking = res.ranking if res.has_evidence else None
    verdicts = artifacts.load(folder, "evaluate").table("verdicts")
    if verdicts is None:
        recomputed.append("verdicts")
        verdicts = evaluate.verdict_table(evaluate.run(client, prev, root=root))
    return ranking, verdicts


def _since(moves: pd.DataFrame, kpi_moves: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    out = moves.copy()
    out["change_ids"] = [", ".join(changes.loc[changes["touchpoint_id"] == tp, "change_id"].drop_duplicates())
                         for tp in out["touchpoint_id"]]
    idx = kpi_moves.set_index(["touchpoint_id", "kpi"]) if len(kpi_moves) else None
    for k in calc.MOVE_KPIS:
        for col, src in (("before", "before"), ("now", "current"), ("change", "change"), ("ci_low", "ci_low"),
                         ("ci_high", "ci_high")):
            out[f"{k}_{col}"] = [float(idx.loc[(tp, k), src]) if idx is not None and (tp, k) in idx.index
                                 else float("nan") for tp in out["touchpoint_id"]]
    return out[SINCE_COLUMNS]


def _changes_at(cfg, touchpoints, verdicts: pd.DataFrame, per: Period) -> pd.DataFrame:
    """Changes logged at ``touchpoints`` that started before the end of ``per``, with this period's verdicts."""
    rows = []
    vt = verdicts.set_index(["change_id", "kpi"]) if len(verdicts) else None
    _, end = per.bounds()
    for ch in cfg.changes:
        if ch.touchpoint not in set(touchpoints) or pd.Timestamp(ch.start) >= pd.Timestamp(end):
            continue
        for kpi in ch.kpis:
            v = vt.loc[(ch.id, kpi)] if vt is not None and (ch.id, kpi) in vt.index else None
            rows.append([ch.id, ch.touchpoint, ch.description, ch.start, kpi,
                         v["verdict"] if v is not None else None,
                         *(float(v[c]) if v is not None else float("nan") for c in ("effect", "ci_low", "ci_high"))])
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def _touchpoint_kpis(src: data.ClientData, catalogue, feedback, per: Period):
    start, end = per.bounds()
    vol, jour = queries.touchpoint_aggregates(src.events, catalogue, start, end)
    fb = in_window(feedback, start, end, ts_col="day")
    fbk = feedback_kpis(fb if len(fb) else no_feedback(["touchpoint_id"]), ["touchpoint_id"])
    return build_kpi_table(vol, jour, fbk, ["touchpoint_id"], catalogue), fb


def _periods_with_data(src: data.ClientData, feedback_lo: pd.Timestamp | None, per: Period) -> list[Period]:
    lows = []
    if src.has("events"):
        lo, _hi = queries.data_span(src.events)
        if lo is not None:
            lows.append(lo)
    if feedback_lo is not None:
        lows.append(feedback_lo)
    if not lows:
        return []
    lo = min(lows)
    p = Period.containing(lo.date(), per.kind)
    if pd.Timestamp(p.bounds()[1]) - lo < MIN_PERIOD_DATA:  # a few hours of a period are not a period with data
        p = p.shift(1)
    out = []
    while p.start <= per.start and len(out) < 400:
        out.append(p)
        p = p.shift(1)
    return out


def _trends(src, catalogue, feedback, periods: list[Period]) -> pd.DataFrame:
    if not periods or not src.has("events"):
        return pd.DataFrame(columns=calc.TREND_COLUMNS)
    bounds = {p.label: p.bounds() for p in periods}
    vol, jour = queries.stage_aggregates(src.events, catalogue, bounds)
    fb = feedback
    if len(fb):
        fb = pd.concat([in_window(fb, *b, ts_col="day").assign(period=label) for label, b in bounds.items()],
                       ignore_index=True)
    stages = [s for s in STAGES if s in set(catalogue["stage"])] if len(catalogue) else []
    return calc.stage_trends(vol, jour, fb, list(bounds), stages)


def _backtest(src: data.ClientData, per: Period, n_boot: int, notes: list[str]) -> calc.Backtest:
    if not src.has("orders"):
        return calc.empty_backtest("no orders table")
    start, end = per.bounds()
    horizon = (pd.Timestamp(end) - pd.Timestamp(start)) / pd.Timedelta(days=1)
    _lo, hi = queries.data_span(src.table("orders"))
    if hi is not None and hi < pd.Timestamp(end) - pd.Timedelta(days=7):
        notes.append(narrative.orders_end_early(hi))
    # one row per customer from the engine (purchase days before the period), never the orders themselves
    total = queries.customers_before(src.table("orders"), start)
    share = aq.model_share(total)  # as step 2's customer value: a random sample above the cap
    summary = queries.customer_summary(src.table("orders"), start, share)
    if share is not None:
        notes.append(narrative.forecast_sample(len(summary), total))
    fc = calc.forecast_from_summary(summary, horizon)
    # with a sample, the period's buyers are those of the same sample (known and new customers alike)
    return calc.backtest(fc, queries.purchases_between(src.table("orders"), start, end, share), n_boot=n_boot)


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None, *,
            n_boot: int = 1000) -> ReviewResult:
    """Compute the review of ``client`` for ``period`` (no caching; see :func:`run`)."""
    cfg = load_client(client, root)
    per = Period.parse(period)
    prev = per.previous()
    src = data.ClientData(client, root=root, con=con)
    catalogue = cfg.catalogue_frame()
    # the survey answers stay in the engine: their statistics per day, touchpoint and segment from the first
    # answer to the end of the period serve the KPI moves and the trends
    _end = per.bounds()[1]
    fb_lo = queries.data_span(src.table("feedback"))[0] if src.has("feedback") else None
    feedback = (feedback_daily(src, catalogue, fb_lo.to_pydatetime().replace(tzinfo=None), _end)
                if fb_lo is not None else feedback_daily(src, catalogue, _end, _end))
    notes: list[str] = []
    periods = _periods_with_data(src, fb_lo, per)
    has_previous = bool(periods) and periods[0].start <= prev.start

    # last period's priorities and verdicts, this period's ranking and verdicts
    recomputed: list[str] = []
    before_rank, before_verdicts = _previous(client, per, root, recomputed) if has_previous else (None, None)
    now_p = prioritise.run(client, per, root=root)
    now_eval = evaluate.run(client, per, root=root)
    moves = calc.ranking_moves(before_rank, now_p.ranking if now_p.has_evidence else None)

    # what changed at those touchpoints, and how their KPIs moved
    changes = _changes_at(cfg, moves["touchpoint_id"], now_eval.table, per)
    if has_previous and src.has("events"):
        now_k, fb_now = _touchpoint_kpis(src, catalogue, feedback, per)
        before_k, fb_before = _touchpoint_kpis(src, catalogue, feedback, prev)
        kmoves = calc.kpi_moves(now_k, before_k, fb_now, fb_before, comparison_name(per.kind, "previous", prev.label),
                                touchpoints=moves["touchpoint_id"])
    else:
        kmoves = pd.DataFrame(columns=["touchpoint_id", "kpi"])
    since = _since(moves, kmoves, changes)

    too_early = calc.too_early_status(before_verdicts, now_eval.table)
    try:
        bt = _backtest(src, per, n_boot, notes) if has_previous else calc.empty_backtest("no previous period")
    except KitError as exc:
        bt = calc.empty_backtest(exc.message)
    trends = _trends(src, catalogue, feedback, periods)
    log = pd.DataFrame([[c.id, c.touchpoint, c.description, c.start] for c in cfg.changes],
                       columns=["change_id", "touchpoint_id", "description", "start"])
    return ReviewResult(client=client, client_name=cfg.name, period=per.label, previous=prev.label,
                        recomputed=tuple(recomputed), has_previous=has_previous, since=since, since_changes=changes,
                        too_early=too_early, backtest=bt, trends=trends, changes_log=log, evaluation=now_eval,
                        currency=cfg.currency, notes=tuple(notes))


run = data.cached_step(compute)
run.__doc__ = "The review, cached until client.yml or the processed data change."


def findings(result: ReviewResult) -> artifacts.Findings:
    """Step 4's findings with the review's added (one ``evaluate`` artifact for the summary to read)."""
    base = evaluate.findings(result.evaluation)
    bt = result.backtest
    metrics = dict(base.metrics)
    metrics["review"] = {
        "previous_period": result.previous, "has_previous": result.has_previous,
        "recomputed": list(result.recomputed),
        "previous_top": list(result.previous_top["touchpoint_id"]),
        "forecast_customers": int(bt.totals["customers"].iloc[0]) if bt.available else 0,
        "forecast_note": bt.note,
    }
    tables = dict(base.tables)
    tables.update({"since_last_period": result.since, "since_changes": result.since_changes,
                   "too_early": result.too_early, "forecast_backtest": bt.totals,
                   "forecast_calibration": bt.calibration, "trends": result.trends})
    return artifacts.Findings("evaluate", base.findings + tuple(narrative.findings_lines(result)), metrics, tables)
