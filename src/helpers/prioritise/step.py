"""Step 3 for one client and period: everything the prioritise notebook shows.

>>> result = run("nordlys", "2026Q3")
>>> result.ranking            # the ranked, explained priority list
>>> result.drivers.table      # key drivers with bootstrap intervals
>>> result.models             # attribution: Markov and heuristic models side by side
>>> findings(result)          # what the executive summary reads (helpers.artifacts.Findings)

:func:`compute` reads top to bottom: read the client's data, run the event-level
queries (journey paths, time decay in days), then the statistics on those aggregates
(attribution, friction, key drivers, performance, ROI, ranking). The words are in
:mod:`helpers.prioritise.narrative`, the figures in :mod:`helpers.prioritise.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers import artifacts, data
from helpers.analyse.step import comments_of, feedback_daily
from helpers.config import load_client
from helpers.periods import Period
from helpers.prioritise import narrative, queries
from helpers.prioritise.attribution import MarkovResult
from helpers.prioritise.compute import DriverGap, KeyDrivers, combine


@dataclass(frozen=True)
class PrioritiseResult:
    """Everything step 3 shows, computed once per client and period."""

    client: str
    client_name: str
    period: str
    currency: str
    outcome: str
    catalogue: pd.DataFrame
    paths: pd.DataFrame
    markov: MarkovResult | None
    models: pd.DataFrame
    models_revenue: pd.DataFrame
    friction: pd.DataFrame
    drivers: KeyDrivers | None
    driver_window: str
    performance: pd.DataFrame
    ipm: pd.DataFrame
    roi: pd.DataFrame
    ranking: pd.DataFrame
    weights: dict
    notes: tuple = field(default_factory=tuple)
    driver_gap: DriverGap | None = None
    half_life_steps: float = combine.HALF_LIFE_STEPS
    #: negative-theme share per touchpoint, now and against last period (:func:`combine.complaint_input`)
    complaints: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def names(self) -> dict:
        return dict(zip(self.catalogue["touchpoint_id"], self.catalogue["name"]))

    @property
    def labels(self) -> dict:
        """Display names of every touchpoint in the result; ids missing from the catalogue are marked."""
        seen = set(self.friction["channel"]) if len(self.friction) else set()
        out = {t: narrative.not_catalogued(t) for t in seen}
        out.update(self.names)
        return out

    @property
    def outcome_label(self) -> str:
        return narrative.OUTCOME_SHORT[self.outcome]

    @property
    def has_evidence(self) -> bool:
        """True when at least one touchpoint has survey, attribution or journey data behind its score."""
        return combine.has_evidence(self.ranking)

    def top_priorities(self, n: int = 3) -> pd.DataFrame:
        """The first ``n`` rows of the ranking (none when no touchpoint has evidence behind its score)."""
        if not self.has_evidence:
            return self.ranking.head(0)
        return self.ranking.sort_values("rank").head(n)


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None, *,
            n_boot: int = 200, seed: int = 20260701) -> PrioritiseResult:
    """Compute the step 3 result for ``client`` and ``period`` (no caching; see :func:`run`).

    Feedback, costs and a segment column are optional: without feedback there is no
    key-driver analysis, without costs no ROI, and the notes say so.
    """
    cfg = load_client(client, root)
    per = Period.parse(period)
    start, end = per.bounds()
    first = combine.rolling_window(per)
    window_start = first.bounds()[0]
    catalogue = cfg.catalogue_frame()
    src = data.ClientData(client, root=root, con=con)
    notes: list[str] = []

    # event-level queries: paths per quarter of the rolling year, the period's paths, time decay in days
    by_quarter = queries.paths_by_quarter(src.events, window_start, end)
    paths = queries.period_paths(src.events, per, by_quarter)
    days = (queries.time_decay_days(src.events, start, end, combine.HALF_LIFE_DAYS) if combine.has_journeys(paths)
            else None)

    # attribution and friction of the period's journeys
    attribution = combine.attribute(paths, days, half_life_steps=combine.HALF_LIFE_STEPS,
                                 half_life_days=combine.HALF_LIFE_DAYS)
    if attribution.markov is None:
        notes.append(narrative.NO_JOURNEYS)
    elif attribution.markov.total_conversions == 0:
        notes.append(narrative.NO_CONVERSIONS)

    # key drivers over the rolling year, performance in the period: the survey answers stay in the engine
    # (the relationship surveys come back one row per rated touchpoint, a sample of them above
    # queries.MAX_DRIVER_SURVEYS; the ratings of the period as daily statistics; only texts to score)
    rows = None
    if src.has("feedback") and int(src.table("feedback").count().execute()) > 0:
        rows, sample = queries.driver_rows(src.table("feedback"), cfg.survey_overall, window_start, end)
        if sample is not None:
            notes.append(narrative.driver_sample_note(sample["sampled"], sample["surveys"]))
    drivers, gap = combine.analyse_drivers(rows, cfg.survey_overall, window_start, end, n_boot=n_boot, seed=seed,
                                        notes=notes)
    if gap is not None:
        notes.append(narrative.no_drivers_note(gap))
    perf = combine.performance(feedback_daily(src, catalogue, start, end), start, end)
    ipm = combine.importance_performance_table(drivers, perf)

    # ROI per quarter where costs are known, then the ranking with bootstrap stability
    roi = combine.roi_by_quarter(by_quarter, src.frame("costs"), first, per, model=narrative.MODEL_LABELS["markov"])
    weights = cfg.priority_weights.model_dump()
    p_start, _ = per.previous().bounds()
    comments = comments_of(src, [(p_start, end)])
    complaints = combine.complaint_input(comments, src.frame("reviews"), per, cfg.language)
    ranking = combine.rank(catalogue, drivers, perf, attribution, paths, weights,
                        outcome=narrative.OUTCOME_SHORT[cfg.survey_overall], n_boot=n_boot, seed=seed,
                        complaints=complaints)
    return PrioritiseResult(
        client=client, client_name=cfg.name, period=per.label, currency=cfg.currency, outcome=cfg.survey_overall,
        catalogue=catalogue, paths=paths, markov=attribution.markov, models=attribution.models,
        models_revenue=attribution.models_revenue, friction=attribution.friction, drivers=drivers,
        driver_window=f"{first.label} to {per.label}", performance=perf, ipm=ipm, roi=roi, ranking=ranking,
        weights=weights, notes=tuple(notes), driver_gap=gap, half_life_steps=combine.HALF_LIFE_STEPS,
        complaints=complaints,
    )


run = data.cached_step(compute)
run.__doc__ = "The step 3 result, cached until client.yml or the processed data change."


def findings(result: PrioritiseResult) -> artifacts.Findings:
    """Headline findings, metrics and tables for the executive summary (``helpers.artifacts.save``).

    Tables: ``priorities`` (when a touchpoint has evidence), ``drivers``, ``attribution`` and
    ``roi`` (when computed).
    """
    top = result.top_priorities()
    metrics = {
        "period": result.period,
        "driver_r2": None if result.drivers is None else round(float(result.drivers.r2), 4),
        "conversion_probability": None if result.markov is None else round(result.markov.conversion_probability, 4),
        "journeys": int(result.paths["journeys"].sum()) if len(result.paths) else 0,
        "top_priorities": list(top["touchpoint_id"]),
    }
    tables = {"priorities": result.ranking.copy()} if result.has_evidence else {}
    if result.drivers is not None:
        tables["drivers"] = result.drivers.table.copy()
    if len(result.models):
        tables["attribution"] = result.models.copy()
    if len(result.roi):
        tables["roi"] = result.roi.copy()
    return artifacts.Findings("prioritise", tuple(narrative.findings_text(result)), metrics, tables)
