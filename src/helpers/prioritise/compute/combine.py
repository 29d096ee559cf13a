"""How step 3 puts its measures together, on the small aggregates the queries return.

Each function is one stage of :func:`helpers.prioritise.step.compute`: attribution
and friction of the period's paths, key drivers of the rolling year, current
performance and the importance-performance matrix, ROI per quarter, bootstrap
draws of every ranking component and the ranked list. No Ibis, no figures, no words
(notes are collected as the warnings the statistics raise; the step words the rest).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from helpers.errors import DataError
from helpers.periods import Period
from helpers.prioritise.attribution import (
    MarkovResult,
    ParsedPaths,
    attribution_models,
    markov_attribution,
    markov_draws,
    parse_paths,
)
from helpers.prioritise.compute.drivers import (
    KeyDrivers,
    PrioritiseWarning,
    driver_dataset,
    key_drivers,
    touchpoint_performance,
)
from helpers.prioritise.compute.dropoff import friction as friction_table
from helpers.prioritise.compute.dropoff import roi as roi_table
from helpers.prioritise.compute.ranking import importance_performance, rank_touchpoints

MIN_SURVEYS = 30
MIN_RATINGS = 30
HALF_LIFE_STEPS = 2.0
HALF_LIFE_DAYS = 7.0
RANKING_COLUMNS = ["touchpoint_id", "name", "rank", "score", "reason", "top3_share", "stage", "experience",
                   "sales", "reach", "effort", "importance", "csat", "attribution_share", "dropoff_excess",
                   "reach_share", "complaints", "negative_theme_share"]
COMPLAINT_COLUMNS = ["touchpoint_id", "texts", "complaint_texts", "negative_theme_share", "ci_low", "ci_high",
                     "previous_texts", "previous_share", "change", "change_ci_low", "change_ci_high", "material",
                     "rising_theme", "rising_share", "rising_previous_share", "previous_period"]
IPM_COLUMNS = ["touchpoint_id", "importance", "performance", "quadrant"]
ROI_COLUMNS = ["touchpoint_id", "period", "model", "cost", "attributed_revenue", "roi", "revenue_per_cost"]


def rolling_window(period: Period) -> Period:
    """First period of the rolling year that ends with ``period`` (key drivers need a year of answers)."""
    return period.shift(-3 if period.kind == "quarter" else -11)


def catch_warnings(notes: list, fn, *args, **kwargs):
    """Run ``fn`` and keep the text of prioritisation warnings in ``notes`` (for the report, not stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PrioritiseWarning)
        out = fn(*args, **kwargs)
    for w in caught:
        if issubclass(w.category, PrioritiseWarning) and str(w.message) not in notes:
            notes.append(str(w.message))
        elif not issubclass(w.category, PrioritiseWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


# ---------------------------------------------------------------------------
# Attribution and friction of the period's journeys
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Attribution:
    """Markov and heuristic attribution and drop-off of one path table (empty without journeys)."""

    parsed: ParsedPaths | None
    markov: MarkovResult | None
    models: pd.DataFrame
    models_revenue: pd.DataFrame
    friction: pd.DataFrame


def has_journeys(paths: pd.DataFrame) -> bool:
    return bool(len(paths)) and paths["journeys"].sum() > 0


def attribute(paths: pd.DataFrame, days: pd.DataFrame | None, *, half_life_steps: float = HALF_LIFE_STEPS,
              half_life_days: float = HALF_LIFE_DAYS) -> Attribution:
    """Every attribution model and the friction table of ``paths``.

    ``days``: time-decay attribution in days per touchpoint (index touchpoint_id, columns
    conversions and revenue; :func:`helpers.prioritise.queries.time_decay_days`), added
    to the models as column ``time_decay_<half_life_days>d``.
    """
    if not has_journeys(paths):
        return Attribution(None, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame())
    parsed = parse_paths(paths)
    markov = markov_attribution(parsed)
    models = attribution_models(parsed, markov=markov, half_life=half_life_steps)
    models_rev = attribution_models(parsed, markov=markov, value="revenue", half_life=half_life_steps)
    if days is not None:
        col = f"time_decay_{half_life_days:g}d"
        models[col] = days["conversions"].reindex(models["channel"]).fillna(0.0).to_numpy()
        models_rev[col] = days["revenue"].reindex(models_rev["channel"]).fillna(0.0).to_numpy()
    return Attribution(parsed, markov, models, models_rev, friction_table(parsed))


# ---------------------------------------------------------------------------
# Key drivers and performance
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class DriverGap:
    """Why there is no key-driver analysis.

    ``reason``: ``no_feedback`` (no feedback table or no rows), ``invalid`` (the feedback
    cannot be pivoted into a relationship survey; ``message`` says why) or ``too_few``
    (``answers`` surveys and ``drivers`` touchpoints with enough ratings).
    """

    reason: Literal["no_feedback", "invalid", "too_few"]
    answers: int = 0
    drivers: int = 0
    min_answers: int = MIN_SURVEYS
    min_ratings: int = MIN_RATINGS
    message: str = ""


def analyse_drivers(feedback: pd.DataFrame, outcome: str, start, end, *, n_boot: int, seed: int,
                    notes: list) -> tuple[KeyDrivers | None, DriverGap | None]:
    """Key drivers of ``outcome`` over ``[start, end)`` with bootstrap intervals, or why there are none.
    ``feedback`` is the survey answers, or the relationship-survey rows of the window
    (:func:`helpers.prioritise.queries.driver_rows`); None when the client has no feedback."""
    if feedback is None:
        return None, DriverGap("no_feedback")
    try:
        frame, drivers, dropped = driver_dataset(feedback, outcome, start=start, end=end, min_ratings=MIN_RATINGS)
    except DataError as exc:
        return None, DriverGap("invalid", message=exc.message)
    if len(frame) < MIN_SURVEYS or len(drivers) < 2:
        return None, DriverGap("too_few", answers=len(frame), drivers=len(drivers))
    kd = catch_warnings(notes, key_drivers, frame, outcome, drivers, n_boot=n_boot, seed=seed)
    return KeyDrivers(kd.target, kd.table, kd.r2, kd.n, kd.n_boot, kd.draws, kd.warning, tuple(dropped)), None


def performance(feedback: pd.DataFrame, start, end) -> pd.DataFrame:
    """Current CSAT per touchpoint with intervals (an empty table without feedback)."""
    return touchpoint_performance(feedback, start=start, end=end)


def importance_performance_table(drivers: KeyDrivers | None, perf: pd.DataFrame) -> pd.DataFrame:
    """The importance-performance matrix; empty when key drivers or current CSAT are missing."""
    if drivers is None or not len(perf):
        return pd.DataFrame(columns=IPM_COLUMNS)
    return importance_performance(drivers.table, perf)


# ---------------------------------------------------------------------------
# ROI per quarter
# ---------------------------------------------------------------------------

def roi_by_quarter(paths_by_quarter: pd.DataFrame, costs: pd.DataFrame, first: Period, period: Period, *,
                   model: str) -> pd.DataFrame:
    """ROI per touchpoint and quarter of the rolling year where costs are known (Markov revenue).

    Only whole quarters from ``first`` to ``period`` count (a month period leaves partial
    quarters out); ``model`` names the attribution model in the output.
    """
    empty = pd.DataFrame(columns=ROI_COLUMNS)
    if costs is None or costs.empty or paths_by_quarter.empty:
        return empty
    costs = costs.assign(period=costs["period"].astype(str))
    known = set(costs["period"])
    quarters = [q for q in sorted(paths_by_quarter["quarter"].unique()) if q in known
                and Period.parse(q).start >= first.start and Period.parse(q).end <= period.end]
    rows = []
    for q in quarters:
        part = paths_by_quarter[paths_by_quarter["quarter"] == q]
        if part["conversions"].sum() > 0:
            mk = markov_attribution(part)
            rows.append(mk.table.rename(columns={"channel": "touchpoint_id"})[["touchpoint_id", "revenue"]]
                        .assign(period=q))
    if not rows:
        return empty
    roi = roi_table(pd.concat(rows), costs, model=model)
    return roi[roi["period"].isin(quarters)].reset_index(drop=True)


# ---------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------

def reach(friction: pd.DataFrame, paths: pd.DataFrame) -> pd.DataFrame | None:
    """Share of the period's journeys that reach each touchpoint (None without journeys)."""
    if not len(friction):
        return None
    total = float(paths["journeys"].sum())
    return pd.DataFrame({"touchpoint_id": friction["channel"], "reach": friction["reached"] / total})


def complaint_input(feedback: pd.DataFrame, reviews: pd.DataFrame, period: Period,
                    language: str = "en") -> pd.DataFrame:
    """Per touchpoint: its negative-theme share this period and its change against the previous period
    (:func:`helpers.analyse.complaint_share`), and the complaint theme whose share rose most with an interval of
    the change that excludes zero (``rising_theme``, as written; empty when none): :data:`COMPLAINT_COLUMNS`.

    The texts are the period's survey comments and review texts, scored and grouped into themes as step 2 does.
    """
    from helpers import sentiment
    from helpers.analyse.compute import text

    lang = sentiment.normalise_language(language, "en")
    now, before = [text.period_texts(_window(feedback, p), _window(reviews, p), default_language=lang)
                   for p in (period, period.previous())]
    themes = text.theme_table(now, before, default_language=lang)
    shares = text.complaint_share(now, themes, before, default_language=lang)
    if shares.empty:
        return pd.DataFrame(columns=COMPLAINT_COLUMNS)
    rising = themes[(themes["kind"] == "complaint") & themes["material"] & (themes["change"] > 0)]
    top = rising.sort_values(["change", "theme"], ascending=[False, True]).drop_duplicates("touchpoint_id")
    top = top.set_index("touchpoint_id")
    phrase = top["phrase"].to_dict()
    shares["rising_theme"] = [str(phrase.get(t, "")) for t in shares["touchpoint_id"]]
    shares["rising_share"] = shares["touchpoint_id"].map(top["share"]).astype("float64")
    shares["rising_previous_share"] = shares["touchpoint_id"].map(top["previous_share"]).astype("float64")
    shares["previous_period"] = period.previous().label
    return shares[COMPLAINT_COLUMNS]


def _window(frame: pd.DataFrame | None, period: Period) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[] if frame is None else frame.columns)
    start, end = period.bounds()
    ts = pd.to_datetime(frame["ts"])
    return frame[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))]


def draws(drivers: KeyDrivers | None, perf: pd.DataFrame, attribution: Attribution, n_boot: int,
          seed: int, complaints: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Bootstrap resamples of every ranking component (rows: resamples, columns: touchpoints).

    Importance from the key-driver bootstrap; CSAT normal around the mean with its
    standard error; attribution shares from resampled journeys; drop-off excess from
    binomial drop-offs at the observed rates; negative-theme shares binomial at the observed share
    (drawn after the others, so their resamples do not change).
    """
    rng = np.random.default_rng(seed + 1)
    out = {}
    if drivers is not None and len(drivers.draws):
        out["importance"] = drivers.draws
    if perf is not None and len(perf):
        se = ((perf["csat_ci_high"] - perf["csat_ci_low"]) / (2 * 1.96)).fillna(0.0).to_numpy()
        sims = perf["csat"].to_numpy()[None, :] + se[None, :] * rng.standard_normal((n_boot, len(perf)))
        out["csat"] = pd.DataFrame(sims, columns=list(perf["touchpoint_id"]))
    if attribution.parsed is not None:
        out["attribution"] = markov_draws(attribution.parsed, n_boot=n_boot, seed=seed)
        fr = attribution.friction
        reached = fr["reached"].to_numpy()
        rate = fr["dropoff_rate"].fillna(0.0).to_numpy()
        drops = rng.binomial(reached.astype(np.int64)[None, :], rate[None, :], size=(n_boot, len(fr)))
        with np.errstate(invalid="ignore", divide="ignore"):
            excess = drops / reached[None, :] - fr["average"].to_numpy()[None, :]
        out["excess"] = pd.DataFrame(excess, columns=list(fr["channel"]))
    if complaints is not None and len(complaints):
        n = complaints["texts"].to_numpy(dtype=np.int64)
        hits = rng.binomial(n[None, :], complaints["negative_theme_share"].fillna(0.0).to_numpy()[None, :],
                            size=(n_boot, len(complaints)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out["complaints"] = pd.DataFrame(hits / n[None, :], columns=list(complaints["touchpoint_id"]))
    return out


def rank(catalogue: pd.DataFrame, drivers: KeyDrivers | None, perf: pd.DataFrame, attribution: Attribution,
         paths: pd.DataFrame, weights: dict, *, outcome: str, n_boot: int, seed: int,
         complaints: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ranked priority list with bootstrap stability (columns :data:`RANKING_COLUMNS`); ``complaints``:
    the negative-theme shares of :func:`complaint_input` (none: the complaint component counts for no one)."""
    fric = attribution.friction
    ranking = rank_touchpoints(
        catalogue,
        importance=drivers.table if drivers is not None else None,
        performance=perf,
        attribution=(attribution.markov.table.rename(columns={"channel": "touchpoint_id"})
                     if attribution.markov is not None else None),
        friction=fric.rename(columns={"channel": "touchpoint_id"}) if len(fric) else None,
        reach=reach(fric, paths), complaints=complaints, weights=weights,
        draws=draws(drivers, perf, attribution, n_boot, seed, complaints), outcome=outcome,
    )
    return ranking[RANKING_COLUMNS]


def has_evidence(ranking: pd.DataFrame) -> bool:
    """True when at least one touchpoint has survey, attribution or journey data behind its score."""
    parts = ranking[["experience", "sales", "reach"]].fillna(0.0)
    return bool(len(parts)) and bool((parts.to_numpy() > 0).any())
