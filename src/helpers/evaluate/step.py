"""Step 4 for one client and period: every logged change, every KPI it should move.

>>> result = run("nordlys", "2026Q3")
>>> result.table[["change_id", "kpi", "design", "effect", "p_adj", "verdict"]]
>>> artifacts.save(artifacts_dir, findings(result))

:func:`compute` reads top to bottom: the client's changes log and data span, then for
each change and KPI the window, the design, the frames the design needs (survey
responses in pandas, event aggregates through :mod:`helpers.evaluate.queries`), the
estimate (:mod:`helpers.evaluate.compute`), and last the Benjamini-Hochberg adjustment
over the report and the verdicts (worded by :mod:`helpers.evaluate.narrative`).

Optional data stays optional: without event data, survey responses or an A/B column a
KPI that needs them gets "too little data" and says which data is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import artifacts, data, stats
from helpers.analyse import queries as aq
from helpers.config import load_client
from helpers.errors import ConfigError, KitError
from helpers.evaluate import narrative, queries
from helpers.evaluate.compute import changes as ch
from helpers.evaluate.compute.verdicts import ALPHA, TOO_EARLY, VERDICTS, decide
from helpers.periods import Period

__all__ = ["COLUMNS", "VERDICT_COLUMNS", "EvaluationResult", "compute", "evaluate_changes", "findings", "run",
           "verdict_table"]

NAN = float("nan")
COLUMNS = ["change_id", "touchpoint_id", "description", "start", "kpi", "expected_direction", "design", "method",
           "n", "n_before", "n_after", "unit", "baseline", "effect", "ci_low", "ci_high", "relative_effect",
           "relative_ci_low", "relative_ci_high", "p", "p_adj", "level", "mde", "power", "pretrend_p", "placebo_p",
           "srm_p", "checks", "verdict", "verdict_text", "note"]
#: the columns of the verdict table the executive summary reads (artifact ``evaluate__verdicts``)
VERDICT_COLUMNS = ["change_id", "kpi", "design", "effect", "ci_low", "ci_high", "p_adj", "verdict"]


@dataclass(frozen=True)
class EvaluationResult:
    """Everything step 4 shows: the verdict table and, per change and KPI, what the figures draw."""

    client: str
    period: str
    table: pd.DataFrame
    details: dict
    changes: tuple
    timezone: str
    title: str = ""
    currency: str | None = None
    alpha: float = ALPHA


class _Data:
    """The client's data as step 4 reads it: through :class:`helpers.data.ClientData`, span known."""

    def __init__(self, cd: data.ClientData) -> None:
        self.has_events = cd.has("events")
        self.has_feedback = cd.has("feedback")
        # the survey answers stay in the engine: each estimator asks for its touchpoints and window
        self.feedback_table = cd.table("feedback") if self.has_feedback else None
        self.feedback_columns = tuple(self.feedback_table.columns) if self.feedback_table is not None else ()
        self.events = cd.events if self.has_events else None
        lows, highs = [], []
        for table in (self.events, self.feedback_table):
            if table is None:
                continue
            r = queries.span(table).execute()
            if len(r) and pd.notna(r["lo"].iloc[0]):
                lows.append(pd.Timestamp(r["lo"].iloc[0]))
                highs.append(pd.Timestamp(r["hi"].iloc[0]))
        self.lo = min(lows) if lows else None
        self.end = max(highs) if highs else None

    def feedback(self, lo, hi, touchpoints=None, customers=None, extra: tuple[str, ...] = ()) -> pd.DataFrame:
        """The survey answers in ``[lo, hi)`` at ``touchpoints`` (:func:`helpers.evaluate.queries.feedback_rows`)."""
        if self.feedback_table is None:
            return pd.DataFrame(columns=["ts", "touchpoint_id", "customer_id", "segment", "csat", "nps", *extra])
        out = queries.feedback_rows(self.feedback_table, lo, hi, touchpoints, customers, extra).execute()
        out["ts"] = pd.to_datetime(out["ts"]).astype("datetime64[us]")
        return out

    def missing(self, kpi: str) -> str | None:
        """The table a KPI needs that the client does not have."""
        if kpi in ch.FEEDBACK_KPIS and not self.has_feedback:
            return "feedback"
        if kpi in ch.EVENT_KPIS and not self.has_events:
            return "events"
        return None

    def matured(self, hi: pd.Timestamp) -> pd.Timestamp:
        """``hi`` without the last :data:`~helpers.evaluate.compute.changes.MATURITY` of the data."""
        return min(hi, self.end - ch.MATURITY) if self.end is not None else hi

    def weekly(self, kpi: str, touchpoints, lo, hi, s0) -> pd.DataFrame:
        """Weekly sum and count of ``kpi`` per touchpoint and segment, with the days each week has."""
        if kpi in ch.FEEDBACK_KPIS:
            out = ch.feedback_weekly(self.feedback(lo, hi, touchpoints), kpi, touchpoints, lo, hi, s0)
        elif kpi in ch.JOURNEY_KPIS:
            hi = self.matured(hi)
            out = ch.event_weekly(queries.journey_weekly(self.events, touchpoints, lo, hi, s0).execute(), kpi)
        else:
            out = ch.event_weekly(queries.volume_weekly(self.events, touchpoints, lo, hi, s0).execute(), kpi)
        return ch.with_days(out, s0, lo, hi)


def _lag_days(kpi: str) -> int:
    """Days journey KPIs wait for the data to mature (the "too early" date moves by as much)."""
    return int(ch.MATURITY / pd.Timedelta(days=1)) if kpi in ch.JOURNEY_KPIS else 0


def _its(src: _Data, change, kpi: str, win: ch.Window) -> ch.Outcome:
    lo = max(win.lo, win.start - ch.HISTORY_WEEKS * ch.WEEK)
    return ch.its_outcome(src.weekly(kpi, [change.touchpoint], lo, win.hi, win.start), kpi, win, _lag_days(kpi))


def _did(src: _Data, change, kpi: str, win: ch.Window) -> ch.Outcome:
    lo = max(win.lo, win.start - ch.DID_PRE_WEEKS * ch.WEEK)
    if kpi in ch.FEEDBACK_KPIS:
        tr_tps, ct_tps = ch.groups(change)
        answers = src.feedback(lo, win.hi, sorted(set(tr_tps) | set(ct_tps)))
        rows = ch.did_response_rows(answers, change, kpi, lo, win.hi, win.start)
        return ch.did_outcome(rows, kpi, "responses", None, win.local_start)
    tr_tps, ct_tps = ch.groups(change)
    weekly = src.weekly(kpi, sorted(set(tr_tps) | set(ct_tps)), lo, win.hi, win.start)
    return ch.did_outcome(ch.did_week_rows(weekly, change, kpi), kpi, "group-weeks",
                          None if kpi == "volume" else "n", win.local_start, _lag_days(kpi))


def _ab(src: _Data, change, kpi: str, win: ch.Window) -> ch.Outcome:
    col = change.ab_column
    pre_lo = max(win.lo, win.start - ch.DID_PRE_WEEKS * ch.WEEK)
    if kpi in ch.FEEDBACK_KPIS:
        if col not in src.feedback_columns:
            return ch.too_little("ab", "no ab column", {"table": "feedback", "column": col}, unit="responses")
        # the test's answers, and the answers before the test of the same customers (the CUPED covariate)
        test = src.feedback(win.start, win.hi, [change.touchpoint], extra=(col,))
        test = test[test[col].notna()]
        pre = src.feedback(pre_lo, win.start, customers=aq.customers_table(test["customer_id"].dropna()),
                           extra=(col,)) if "customer_id" in test.columns and test["customer_id"].notna().any() \
            else test.iloc[:0]
        answers = pd.concat([pre, test], ignore_index=True)
        return ch.ab_outcome(ch.ab_response_rows(answers, change, kpi, win, pre_lo), kpi, win, "responses",
                             change.control_variant, change.split, change.id)
    if col not in src.events.columns:
        return ch.too_little("ab", "no ab column", {"table": "events", "column": col}, unit="journeys")
    units = queries.journey_units(src.events, change.touchpoint, win.start, src.matured(win.hi), col,
                                  pre_lo).execute()
    return ch.ab_outcome(ch.ab_journey_rows(units, kpi), kpi, win, "journeys", change.control_variant, change.split,
                         change.id)


_EVALUATE = {"its": _its, "did": _did, "ab": _ab}


def _evaluate(src: _Data, change, kpi: str, design: str, win: ch.Window, per: Period) -> ch.Outcome:
    """The outcome of one change and KPI, or why there is none."""
    if change.start >= per.end:
        return ch.Outcome(design, status=TOO_EARLY)
    missing = src.missing(kpi)
    if missing:
        return ch.too_little(design, "no table", {"table": missing})
    if src.lo is None or src.end < win.start:
        return ch.too_little(design, "no data after")
    try:
        return _EVALUATE[design](src, change, kpi, win)
    except ConfigError:
        raise  # a mistake in client.yml (for example a control variant that is not in the data): the user fixes it
    except KitError as exc:
        return ch.too_little(design, "error", {"message": exc.message})


def _row(change, kpi: str, out: ch.Outcome, currency: str | None) -> dict:
    res = out.result
    base = res.baseline if res else NAN
    design_name = narrative.DESIGN_NAMES[out.design]
    row = {
        "change_id": change.id, "touchpoint_id": change.touchpoint, "description": change.description,
        "start": change.start, "kpi": kpi, "expected_direction": change.expected_direction,
        "design": design_name, "method": (res.method or design_name) if res else design_name,
        "n": res.n if res else 0, "n_before": out.n_before, "n_after": out.n_after, "unit": out.unit,
        "baseline": base, "effect": res.estimate if res else NAN,
        "ci_low": res.ci_low if res else NAN, "ci_high": res.ci_high if res else NAN,
        "p": res.p if res else NAN, "mde": res.mde if res else NAN, "power": res.power if res else NAN,
        "note": narrative.note(out, kpi, currency), "_status": out.status,
        "pretrend_p": out.checks["pretrend"].p if "pretrend" in out.checks else NAN,
        "placebo_p": out.checks["placebo"].p if "placebo" in out.checks else NAN,
        "srm_p": res.extra.get("srm_p", NAN) if res else NAN,
        "checks": narrative.checks_cell(out), "_outcome": out,
    }
    for k, src_col in (("relative_effect", "effect"), ("relative_ci_low", "ci_low"), ("relative_ci_high", "ci_high")):
        row[k] = row[src_col] / abs(base) if (np.isfinite(base) and base != 0) else NAN
    return row


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None, *,
            alpha: float = ALPHA) -> EvaluationResult:
    """Evaluate every logged change of ``client`` with the data up to the end of ``period`` (no caching)."""
    root = root or None
    per = Period.parse(period)
    cfg = load_client(client, root)
    src = _Data(data.ClientData(client, root, con))
    rows, details = [], {}
    for change in cfg.changes:
        start = ch.utc(change.start, cfg.timezone)
        end_day = min(per.end, change.end + dt.timedelta(days=1)) if change.end else per.end
        hi = ch.utc(end_day, cfg.timezone)
        if src.end is not None:
            hi = min(hi, src.end + pd.Timedelta(microseconds=1))
        win = ch.Window(start, src.lo if src.lo is not None else start, hi, change.start, cfg.timezone)
        for kpi in change.kpis:
            out = _evaluate(src, change, kpi, ch.design_for(change, kpi), win, per)
            rows.append(_row(change, kpi, out, cfg.currency))
            details[(change.id, kpi)] = {"design": out.design, "plot": out.plot, "start": change.start,
                                         "kpi": kpi, "description": change.description}
    table = pd.DataFrame(rows)
    if len(table):
        table["p_adj"] = stats.benjamini_hochberg(table["p"].to_numpy(dtype=float))
        # MDE and power at the unadjusted level each test needs to be called moved after the adjustment
        table["level"] = stats.benjamini_hochberg_levels(table["p"].to_numpy(dtype=float), alpha)
        for i, (out, lev) in enumerate(zip(table["_outcome"], table["level"])):
            if out.result is not None and out.status == "ok":
                res = ch.at_level(out.result, lev)
                table.loc[i, ["mde", "power"]] = [res.mde, res.power]
        records = table.to_dict("records")
        verdicts = [decide(r["_status"], r["effect"], r["p_adj"], r["expected_direction"], alpha,
                           narrative.failed_checks(r["_outcome"])) for r in records]
        table["verdict"] = [v.verdict for v in verdicts]
        table["verdict_text"] = [narrative.verdict_text(r, v, cfg.currency) for r, v in zip(records, verdicts)]
        table = table[COLUMNS]
    else:
        table = pd.DataFrame(columns=COLUMNS)
    return EvaluationResult(client, per.label, table.reset_index(drop=True), details, tuple(cfg.changes),
                            cfg.timezone, title=cfg.name, currency=cfg.currency, alpha=alpha)


run = data.cached_step(compute)
run.__doc__ = "The step 4 result, cached until client.yml or the processed data change."


def evaluate_changes(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """One row per change and KPI: design, effect with CI, p, BH-adjusted p, MDE, power and verdict."""
    return run(client, period, root).table


def verdict_table(result: EvaluationResult) -> pd.DataFrame:
    """The short verdict table the summary uses."""
    return result.table[VERDICT_COLUMNS].copy()


def findings(result: EvaluationResult) -> artifacts.Findings:
    """Headline findings, metrics and the verdict table for :func:`helpers.artifacts.save`."""
    t = result.table
    metrics = {"changes": int(t["change_id"].nunique()) if len(t) else 0, "tests": int(len(t))}
    for v in VERDICTS:
        metrics[v.replace(" ", "_")] = int((t["verdict"] == v).sum()) if len(t) else 0
    return artifacts.Findings("evaluate", tuple(narrative.findings_lines(result)), metrics,
                              {"verdicts": verdict_table(result)})
