"""Step 3 for one client and period: everything the prioritise notebook shows.

>>> result = run("nordlys", "2026Q3")
>>> result.ranking            # the ranked, explained priority list
>>> result.drivers.table      # key drivers with bootstrap intervals
>>> result.models             # attribution: Markov and heuristic models side by side

Event-level work (journey paths, time decay in days) runs in the client's Ibis
backend; everything else works on the small aggregates.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import data, display
from helpers.config import load_client
from helpers.errors import DataError
from helpers.periods import Period
from helpers.prioritise import figures
from helpers.prioritise.attribution import (
    MODEL_LABELS,
    MarkovResult,
    attribution_models,
    markov_attribution,
    markov_draws,
    parse_paths,
)
from helpers.prioritise.drivers import (
    KeyDrivers,
    PrioritiseWarning,
    driver_dataset,
    key_drivers,
    touchpoint_performance,
)
from helpers.prioritise.dropoff import friction as friction_table
from helpers.prioritise.dropoff import roi as roi_table
from helpers.prioritise.journeys import journey_paths, time_decay_days_expr
from helpers.prioritise.ranking import importance_performance, rank_touchpoints

MIN_SURVEYS = 30
MIN_RATINGS = 30
HALF_LIFE_STEPS = 2.0
HALF_LIFE_DAYS = 7.0
OUTCOME_LABELS = {"nps": "likelihood to recommend (NPS question)", "csat": "overall satisfaction"}
OUTCOME_SHORT = {"nps": "NPS", "csat": "overall satisfaction"}
RANKING_COLUMNS = ["touchpoint_id", "name", "rank", "score", "reason", "top3_share", "stage", "experience",
                   "sales", "reach", "effort", "importance", "csat", "attribution_share", "dropoff_excess",
                   "reach_share"]


def _window(period: Period) -> Period:
    """First period of the rolling year that ends with ``period``."""
    return period.shift(-3 if period.kind == "quarter" else -11)


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

    @property
    def names(self) -> dict:
        return dict(zip(self.catalogue["touchpoint_id"], self.catalogue["name"]))

    @property
    def labels(self) -> dict:
        """Display names of every touchpoint in the result; ids missing from the catalogue are marked."""
        seen = set(self.friction["channel"]) if len(self.friction) else set()
        out = {t: f"{t} (not catalogued)" for t in seen}
        out.update(self.names)
        return out

    @property
    def outcome_label(self) -> str:
        return OUTCOME_SHORT[self.outcome]


def _catch(notes: list, fn, *args, **kwargs):
    """Run ``fn`` and keep the text of prioritisation warnings for the report (not stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PrioritiseWarning)
        out = fn(*args, **kwargs)
    for w in caught:
        if issubclass(w.category, PrioritiseWarning) and str(w.message) not in notes:
            notes.append(str(w.message))
        elif not issubclass(w.category, PrioritiseWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return out


def _touchpoint_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.rename(columns={"channel": "touchpoint_id"})


def _drivers(feedback, outcome, window_start, end, n_boot, seed, notes):
    if feedback is None or feedback.empty:
        return None, "there is no feedback data"
    try:
        frame, drivers, dropped = driver_dataset(feedback, outcome, start=window_start, end=end,
                                                 min_ratings=MIN_RATINGS)
    except DataError as exc:
        return None, exc.message
    if len(frame) < MIN_SURVEYS or len(drivers) < 2:
        return None, (f"the relationship survey has {len(frame)} answers and {len(drivers)} touchpoints with at least "
                      f"{MIN_RATINGS} ratings in the period used; key-driver analysis needs at least {MIN_SURVEYS} "
                      "answers and two touchpoints")
    kd = _catch(notes, key_drivers, frame, outcome, drivers, n_boot=n_boot, seed=seed)
    return KeyDrivers(kd.target, kd.table, kd.r2, kd.n, kd.n_boot, kd.draws, kd.warning, tuple(dropped)), ""


def _draws(result_parts: dict, n_boot: int, seed: int) -> dict:
    """Bootstrap resamples of every ranking component (rows: resamples, columns: touchpoints)."""
    rng = np.random.default_rng(seed + 1)
    out = {}
    kd = result_parts.get("drivers")
    if kd is not None and len(kd.draws):
        out["importance"] = kd.draws
    perf = result_parts.get("performance")
    if perf is not None and len(perf):
        se = ((perf["csat_ci_high"] - perf["csat_ci_low"]) / (2 * 1.96)).fillna(0.0).to_numpy()
        sims = perf["csat"].to_numpy()[None, :] + se[None, :] * rng.standard_normal((n_boot, len(perf)))
        out["csat"] = pd.DataFrame(sims, columns=list(perf["touchpoint_id"]))
    pp = result_parts.get("parsed")
    if pp is not None:
        out["attribution"] = markov_draws(pp, n_boot=n_boot, seed=seed)
        fr = result_parts["friction"]
        reached = fr["reached"].to_numpy()
        rate = fr["dropoff_rate"].fillna(0.0).to_numpy()
        drops = rng.binomial(reached.astype(np.int64)[None, :], rate[None, :], size=(n_boot, len(fr)))
        with np.errstate(invalid="ignore", divide="ignore"):
            excess = drops / reached[None, :] - fr["average"].to_numpy()[None, :]
        out["excess"] = pd.DataFrame(excess, columns=list(fr["channel"]))
    return out


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None, *,
            n_boot: int = 200, seed: int = 20260701) -> PrioritiseResult:
    """Compute the step 3 result for ``client`` and ``period`` (no caching; see :func:`run`)."""
    cfg = load_client(client, root)
    per = Period.parse(period)
    start, end = per.bounds()
    first = _window(per)
    window_start = first.bounds()[0]
    con = con if con is not None else data.connect(client, root=root)
    events = data.table(con, "events", client, root=root)
    catalogue = cfg.catalogue_frame()
    notes: list[str] = []

    # journeys and attribution (paths per quarter of the rolling year: the period's own and ROI)
    by_q = journey_paths(events, window_start, end, by_quarter=True)
    if per.kind == "quarter":
        current = by_q[by_q["quarter"] == per.label].drop(columns="quarter").reset_index(drop=True)
    else:
        current = journey_paths(events, start, end)
    markov, models, models_rev, fric, parsed = None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), None
    if len(current) and current["journeys"].sum() > 0:
        parsed = parse_paths(current)
        markov = markov_attribution(parsed)
        models = attribution_models(parsed, markov=markov, half_life=HALF_LIFE_STEPS)
        models_rev = attribution_models(parsed, markov=markov, value="revenue", half_life=HALF_LIFE_STEPS)
        days = time_decay_days_expr(events, start, end, HALF_LIFE_DAYS).execute().set_index("touchpoint_id")
        col = f"time_decay_{HALF_LIFE_DAYS:g}d"
        models[col] = days["conversions"].reindex(models["channel"]).fillna(0.0).to_numpy()
        models_rev[col] = days["revenue"].reindex(models_rev["channel"]).fillna(0.0).to_numpy()
        fric = friction_table(parsed)
        if markov.total_conversions == 0:
            notes.append("no journey that started in the period converted, so nothing can be attributed")
    else:
        notes.append("no journeys started in the period")

    # key drivers and performance
    feedback = data.read_small(client, "feedback", root=root) if data.has_table(client, "feedback", root) else None
    kd, why = _drivers(feedback, cfg.survey_overall, window_start, end, n_boot, seed, notes)
    if kd is None:
        notes.append(f"no key-driver analysis: {why}")
    perf = (touchpoint_performance(feedback, start=start, end=end) if feedback is not None
            else pd.DataFrame(columns=["touchpoint_id", "csat", "csat_ci_low", "csat_ci_high", "ratings"]))
    ipm = importance_performance(kd.table, perf) if kd is not None and len(perf) else pd.DataFrame(
        columns=["touchpoint_id", "importance", "performance", "quadrant"])

    # ROI per quarter of the rolling year where costs are known (Markov revenue)
    roi = pd.DataFrame(columns=["touchpoint_id", "period", "model", "cost", "attributed_revenue", "roi",
                                "revenue_per_cost"])
    if data.has_table(client, "costs", root):
        costs = data.read_small(client, "costs", root=root)
        # whole quarters inside the rolling year only (a month period leaves partial quarters out)
        quarters = [q for q in sorted(by_q["quarter"].unique()) if q in set(costs["period"].astype(str))
                    and Period.parse(q).start >= first.start and Period.parse(q).end <= per.end]
        rows = []
        for q in quarters:
            part = by_q[by_q["quarter"] == q]
            if part["conversions"].sum() > 0:
                mk = markov_attribution(part)
                rows.append(_touchpoint_frame(mk.table)[["touchpoint_id", "revenue"]].assign(period=q))
        if rows:
            roi = roi_table(pd.concat(rows), costs.assign(period=costs["period"].astype(str)),
                            model=MODEL_LABELS["markov"])
            roi = roi[roi["period"].isin(quarters)].reset_index(drop=True)

    # ranking with bootstrap stability
    reach = None
    if len(fric):
        total = float(current["journeys"].sum())
        reach = pd.DataFrame({"touchpoint_id": fric["channel"], "reach": fric["reached"] / total})
    draws = _draws({"drivers": kd, "performance": perf, "parsed": parsed, "friction": fric}, n_boot, seed)
    weights = cfg.priority_weights.model_dump()
    ranking = rank_touchpoints(
        catalogue,
        importance=kd.table if kd is not None else None,
        performance=perf,
        attribution=_touchpoint_frame(markov.table) if markov is not None else None,
        friction=_touchpoint_frame(fric) if len(fric) else None,
        reach=reach, weights=weights, draws=draws, outcome=OUTCOME_SHORT[cfg.survey_overall],
    )
    return PrioritiseResult(
        client=client, client_name=cfg.name, period=per.label, currency=cfg.currency, outcome=cfg.survey_overall,
        catalogue=catalogue, paths=current, markov=markov, models=models, models_revenue=models_rev,
        friction=fric, drivers=kd, driver_window=f"{first.label} to {per.label}", performance=perf, ipm=ipm,
        roi=roi, ranking=ranking[RANKING_COLUMNS], weights=weights, notes=tuple(notes),
    )


run = data.cached_step(compute)
run.__doc__ = "The step 3 result, cached until client.yml or the processed data change."


# ---------------------------------------------------------------------------
# Figures of a result
# ---------------------------------------------------------------------------

def importance_performance_matrix(result: PrioritiseResult):
    return figures.importance_performance_figure(
        result.ipm, result.labels, outcome=result.outcome_label,
        title=f"Importance for {result.outcome_label} against current CSAT, {result.period}")


def attribution_chart(result: PrioritiseResult, value: str = "conversions"):
    models = result.models if value == "conversions" else result.models_revenue
    unit = "conversions" if value == "conversions" else f"revenue ({result.currency})"
    return figures.attribution_figure(models, result.labels, value=unit, half_life=HALF_LIFE_STEPS,
                                      title=f"Attributed {unit} by model, journeys started in {result.period}")


def friction_chart(result: PrioritiseResult):
    return figures.friction_figure(result.friction, result.labels)


def priority_chart(result: PrioritiseResult):
    return figures.priority_figure(result.ranking, result.weights)


# ---------------------------------------------------------------------------
# Tables for readers
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": "Touchpoint id", "name": "Touchpoint", "rank": "Rank", "score": "Score",
    "reason": "Why", "top3_share": "In top 3 (resamples)", "stage": "Stage", "experience": "Experience impact",
    "sales": "Sales impact", "reach": "Reach (relative)", "effort": "Effort", "importance": "Importance",
    "csat": "CSAT", "attribution_share": "Attribution share", "dropoff_excess": "Drop-off vs average",
    "reach_share": "Share of journeys", "driver": "Touchpoint", "relative_weight": "Relative weight",
    "rw_ci_low": "RW 95% low", "rw_ci_high": "RW 95% high", "shapley": "Shapley R2 share",
    "shapley_ci_low": "Shapley 95% low", "shapley_ci_high": "Shapley 95% high", "performance": "CSAT now",
    "quadrant": "Quadrant", "channel": "Touchpoint", "reached": "Journeys reaching", "dropoffs": "Ended there",
    "dropoff_rate": "Drop-off rate", "dropoff_ci_low": "95% low", "dropoff_ci_high": "95% high",
    "average": "Average", "excess": "Difference", "flag": "Compared with average", "period": "Quarter",
    "model": "Model", "cost": "Cost", "attributed_revenue": "Attributed revenue", "roi": "ROI",
    "revenue_per_cost": "Revenue per unit cost", "removal_effect": "Removal effect", "share": "Share",
    "removal_effect_revenue": "Removal effect (revenue)",
    "conversions": "Conversions", "revenue": "Revenue", "path": "Path", "journeys": "Journeys",
    "nulls": "Without purchase", "ratings": "Ratings", "top2box": "Top-2-box",
}


def part(result: PrioritiseResult, name: str) -> pd.DataFrame:
    """One table of the result with touchpoint names (ids kept where useful)."""
    names = result.names

    def named(df: pd.DataFrame, col: str) -> pd.DataFrame:
        if df.empty or col not in df.columns:
            return pd.DataFrame()
        out = df.copy()
        out[col] = [names.get(t, f"{t} (not catalogued)") for t in out[col]]
        return out

    if name == "priorities":
        return result.ranking[["rank", "name", "score", "top3_share", "reason", "stage"]].copy()
    if name == "components":
        return result.ranking[["rank", "name", "experience", "sales", "reach", "effort", "importance", "csat",
                               "attribution_share", "dropoff_excess", "reach_share"]].copy()
    if name == "drivers":
        if result.drivers is None:
            return pd.DataFrame()
        cols = [c for c in ("driver", "relative_weight", "rw_ci_low", "rw_ci_high", "shapley", "shapley_ci_low",
                            "shapley_ci_high", "top3_share") if c in result.drivers.table.columns]
        return named(result.drivers.table[cols], "driver")
    if name == "ipm":
        return named(result.ipm, "touchpoint_id").rename(columns={"touchpoint_id": "name"})
    if name == "attribution":
        if result.markov is None:
            return pd.DataFrame()
        t = result.markov.table.sort_values("removal_effect", ascending=False)
        return named(t, "channel")
    if name in ("models", "models_revenue"):
        df = result.models if name == "models" else result.models_revenue
        labels = {k: v for k, v in MODEL_LABELS.items()}
        labels.update({c: f"Time decay ({c.removeprefix('time_decay_').removesuffix('d')}-day half-life)"
                       for c in df.columns if c.startswith("time_decay_")})
        labels["time_decay"] = f"Time decay ({HALF_LIFE_STEPS:g}-step half-life)"
        return named(df, "channel").rename(columns=labels)
    if name == "friction":
        return named(result.friction.drop(columns=["average"], errors="ignore"), "channel")
    if name == "roi":
        return named(result.roi, "touchpoint_id").rename(columns={"touchpoint_id": "name"})
    if name == "paths":
        return result.paths.head(15).copy()
    raise DataError(f"unknown part '{name}'",
                    hint="use priorities, components, drivers, ipm, attribution, models, models_revenue, "
                         "friction, roi or paths")


PERCENT = ("top3_share", "importance", "attribution_share", "dropoff_excess", "reach_share", "relative_weight",
           "rw_ci_low", "rw_ci_high", "shapley", "shapley_ci_low", "shapley_ci_high", "dropoff_rate",
           "dropoff_ci_low", "dropoff_ci_high", "excess", "roi", "removal_effect", "share", "performance_share",
           "removal_effect_revenue")


def show(result: PrioritiseResult, name: str, caption: str | None = None,
         empty: str = "Nothing to show for this period.") -> display.HTML:
    """One table of the result, escaped and with readable column names."""
    df = part(result, name)
    if df.empty:
        return display.say("{note}", note=empty)
    if name == "ipm":
        df = df.rename(columns={"importance": "importance_share"})
    decimals = {"attribution": 1, "models": 1, "models_revenue": 0, "roi": 1}.get(name, 2)
    if name in ("attribution", "roi"):  # money without cents
        money = [c for c in ("revenue", "cost", "attributed_revenue") if c in df.columns]
        for c in money:
            df[c] = ["" if pd.isna(v) else f"{v:,.0f}" for v in df[c]]
    percent = [PRETTY.get(c, c) for c in df.columns if c in PERCENT or c == "importance_share"]
    pretty = df.rename(columns={**PRETTY, "importance_share": "Importance"})
    percent = [p if p != "importance_share" else "Importance" for p in percent]
    if "Importance" in pretty.columns and name == "ipm":
        percent.append("Importance")
    return display.show_table(pretty, caption=caption, percent=percent, decimals=decimals)


# ---------------------------------------------------------------------------
# Narrative
# ---------------------------------------------------------------------------

def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] not in ("NP", "CS") else text


def _pct(v: float) -> str:
    return "n/a" if v is None or pd.isna(v) else f"{v:.0%}"


def _list(items: list[str]) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def say_notes(result: PrioritiseResult) -> display.HTML:
    """Caveats met while computing (collinear drivers, missing data), or a short all-clear."""
    if not result.notes:
        return display.say("All parts of this step could be computed for {period}.", period=result.period)
    return display.HTML("<p class=\"tp-say\">Read with care:</p>" + display.bullets(result.notes).markup)


def say_drivers(result: PrioritiseResult) -> display.HTML:
    kd = result.drivers
    if kd is None:
        return display.say("No key-driver analysis for {period}: {why}.", period=result.period,
                           why=next((n.removeprefix("no key-driver analysis: ") for n in result.notes
                                     if n.startswith("no key-driver")), "no relationship survey"))
    top = kd.table.head(3)
    names = [result.names.get(d, d) for d in top["driver"]]
    text = (f"Over {{window}} ({{n:,}} relationship-survey answers), the touchpoint ratings explain "
            f"{{r2:.0%}} of the variation in {OUTCOME_LABELS[result.outcome]}. The strongest drivers are "
            "{names}, which together account for {share:.0%} of what is explained. ")
    stable = top["top3_share"].min()
    text += ("Each of them stays in the top three in every bootstrap resample." if stable >= 0.995 else
             "Each of them stays in the top three in at least {stable:.0%} of the bootstrap resamples."
             if stable >= 0.8 else "The order is not settled: the least stable of them is in the top three in "
                                   "only {stable:.0%} of the bootstrap resamples.")
    return display.say(text, window=result.driver_window, n=kd.n, r2=kd.r2, names=_list(names),
                       share=float(top["relative_weight"].sum()), stable=float(stable))


def say_ipm(result: PrioritiseResult) -> display.HTML:
    if result.ipm.empty:
        return display.say("The importance-performance matrix needs key drivers and current CSAT; "
                           "{period} lacks one of them.", period=result.period)
    fix = result.ipm[result.ipm["quadrant"] == "fix first"]
    keep = result.ipm[result.ipm["quadrant"] == "keep up"]
    if fix.empty:
        return display.say("No important touchpoint performs below average: keep up {keep}.",
                           keep=_list([result.names.get(t, t) for t in keep["touchpoint_id"]]) or "the current level")
    verb = "matters" if len(fix) == 1 else "matter"
    return display.say("Fix first: {fix} " + verb + " more than average for {outcome} but "
                       + ("scores" if len(fix) == 1 else "score") + " below the average CSAT. "
                       "Keep up: {keep}.", fix=_list([result.names.get(t, t) for t in fix["touchpoint_id"]]),
                       outcome=result.outcome_label,
                       keep=_list([result.names.get(t, t) for t in keep["touchpoint_id"]]) or "none")


def say_attribution(result: PrioritiseResult) -> display.HTML:
    mk = result.markov
    if mk is None or mk.total_conversions == 0:
        return display.say("No conversions to attribute in {period}.", period=result.period)
    t = mk.table.sort_values("removal_effect", ascending=False)
    lead = t.iloc[0]
    last = result.models.set_index("channel")["last_touch"]
    gap = (t.set_index("channel")["conversions"] - last.reindex(t["channel"]).to_numpy()).sort_values()
    under = gap.index[-1]
    return display.say(
        "Journeys that started in {period} converted with probability {p:.1%} ({conv:,.0f} purchases). "
        "Without {lead} that probability would fall by {re:.0%}, the largest removal effect; the Markov model "
        "gives it {share:.0%} of the conversions. Compared with last-touch attribution, the Markov model credits "
        "{under} with {delta:,.0f} more conversions: last-touch counting undervalues it.",
        period=result.period, p=mk.conversion_probability, conv=mk.total_conversions,
        lead=result.names.get(lead["channel"], lead["channel"]), re=float(lead["removal_effect"]),
        share=float(lead["share"]), under=result.names.get(under, under), delta=float(gap.iloc[-1]))


def say_friction(result: PrioritiseResult) -> display.HTML:
    fr = result.friction
    if fr.empty:
        return display.say("No journeys in {period}.", period=result.period)
    high = fr[fr["flag"] == "above average"]
    if high.empty:
        return display.say("No touchpoint loses clearly more journeys than the average of {avg:.0%}.",
                           avg=float(fr["average"].iloc[0]))
    worst = high.iloc[0]
    return display.say(
        "{worst}: {rate:.0%} of the journeys reaching it end there without a purchase (95% interval "
        "{lo:.0%} to {hi:.0%}), against an average of {avg:.0%}. {n} lose more journeys than the "
        "average with an interval that excludes it.",
        worst=result.names.get(worst["channel"], worst["channel"]), rate=float(worst["dropoff_rate"]),
        lo=float(worst["dropoff_ci_low"]), hi=float(worst["dropoff_ci_high"]), avg=float(worst["average"]),
        n="One touchpoint" if len(high) == 1 else f"{len(high)} touchpoints")


def say_roi(result: PrioritiseResult) -> display.HTML:
    if result.roi.empty:
        return display.say("No touchpoint costs are known for the quarters up to {period}, so there is no ROI.",
                           period=result.period)
    cur = result.roi[result.roi["period"] == result.roi["period"].max()]
    valued = cur.dropna(subset=["roi"]).sort_values("roi", ascending=False)
    unvalued = [result.names.get(t, t) for t in cur.loc[cur["roi"].isna(), "touchpoint_id"]]
    tail = ("" if not unvalued else " " + _list(unvalued) + (" is" if len(unvalued) == 1 else " are")
            + " not on paths to purchase, so attribution cannot value " + ("it." if len(unvalued) == 1 else "them."))
    if valued.empty:
        return display.say("No touchpoint with known costs in {q} is on a path to purchase.{tail}",
                           q=str(cur["period"].iloc[0]), tail=tail)
    best, worst = valued.iloc[0], valued.iloc[-1]
    return display.say(
        "In {q}, with revenue attributed by the Markov model, {best} returned {b:,.1f} {cur} per {cur} spent "
        "and {worst} {w:,.1f}. ROI counts only revenue of journeys that started in the quarter and is "
        "attributed, not measured in an experiment.{tail}",
        q=str(best["period"]), best=result.names.get(best["touchpoint_id"], best["touchpoint_id"]),
        b=float(best["revenue_per_cost"]), worst=result.names.get(worst["touchpoint_id"], worst["touchpoint_id"]),
        w=float(worst["revenue_per_cost"]), cur=result.currency, tail=tail)


def has_evidence(result: PrioritiseResult) -> bool:
    """True when at least one touchpoint has survey, attribution or journey data behind its score."""
    parts = result.ranking[["experience", "sales", "reach"]].fillna(0.0)
    return bool(len(parts)) and bool((parts.to_numpy() > 0).any())


def say_priorities(result: PrioritiseResult) -> display.HTML:
    r = result.ranking.sort_values("rank").head(3)
    if r.empty or not has_evidence(result):
        return display.say("There is no survey or journey data in {period} to rank the touchpoints by.",
                           period=result.period)
    first = r.iloc[0]
    w = result.weights
    text = ("Top priorities for {period}: {names}. {first} ranks first with a score of {score:.0f} of 100 "
            "({reason}).")
    values = dict(period=result.period, names=_list(list(r["name"])), first=first["name"],
                  score=float(first["score"]), reason=_lower_first(str(first["reason"]).rstrip(".")))
    if pd.notna(first["top3_share"]):
        text += " It stays in the top three in {stable:.0%} of the bootstrap resamples."
        values["stable"] = float(first["top3_share"])
    text += (" Weights from client.yml: experience {we:g}, sales {ws:g}, reach {wr:g}, effort {wf:g}.")
    values.update(we=w["experience"], ws=w["sales"], wr=w["reach"], wf=w["effort"])
    return display.say(text, **values)


def findings(result: PrioritiseResult) -> dict:
    """Findings, metrics and tables for the executive summary (``helpers.artifacts.save``)."""
    out = []
    top = result.ranking.sort_values("rank").head(3) if has_evidence(result) else result.ranking.head(0)
    for _, row in top.iterrows():
        out.append(f"Priority {row['rank']}: {row['name']} (score {row['score']:.0f}): {row['reason']}")
    if result.drivers is not None:
        d = result.drivers.table.iloc[0]
        out.append(f"Strongest driver of {result.outcome_label}: {result.names.get(d['driver'], d['driver'])} "
                   f"({d['relative_weight']:.0%} of the explained variance)")
    if result.markov is not None and result.markov.total_conversions > 0:
        t = result.markov.table.sort_values("removal_effect", ascending=False).iloc[0]
        out.append(f"Largest Markov removal effect: {result.names.get(t['channel'], t['channel'])} "
                   f"({t['removal_effect']:.0%} of conversions would be lost without it)")
    high = result.friction[result.friction["flag"] == "above average"] if len(result.friction) else result.friction
    if len(high):
        h = high.iloc[0]
        out.append(f"Highest drop-off: {result.names.get(h['channel'], h['channel'])} ({h['dropoff_rate']:.0%} of "
                   f"journeys reaching it end there, average {h['average']:.0%})")
    metrics = {
        "period": result.period,
        "driver_r2": None if result.drivers is None else round(float(result.drivers.r2), 4),
        "conversion_probability": None if result.markov is None else round(result.markov.conversion_probability, 4),
        "journeys": int(result.paths["journeys"].sum()) if len(result.paths) else 0,
        "top_priorities": list(top["touchpoint_id"]),
    }
    tables = {"priorities": result.ranking.copy()} if has_evidence(result) else {}
    if result.drivers is not None:
        tables["drivers"] = result.drivers.table.copy()
    if len(result.models):
        tables["attribution"] = result.models.copy()
    if len(result.roi):
        tables["roi"] = result.roi.copy()
    return {"findings": out, "metrics": metrics, "tables": tables}
