"""The step 2 result and how it is computed, read top to bottom.

:func:`compute` reads the client's data through :class:`helpers.data.ClientData` and runs, in
order: KPI tables, changes against earlier periods, weekly trends, journeys, feedback texts
and customer value. :func:`run` caches it; :func:`findings` is what the executive summary
gets. Optional inputs (segments on the events, feedback, orders, reviews) may be missing:
the step then leaves out what needs them and says so (``result.missing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers import artifacts, data, engine, journeys, progress, sentiment
from helpers.analyse import compute as calc
from helpers.analyse import narrative
from helpers.analyse import queries as q
from helpers.config import load_client
from helpers.errors import DataError
from helpers.periods import Period

CATALOGUE_COLUMNS = ["touchpoint_id", "name", "kind", "stage", "phase", "owner", "sources"]
#: the event columns the step's aggregates read (the slice of the period keeps only these)
PERIOD_COLUMNS = ("customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue", "segment")


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
    #: themes per touchpoint with their change against the previous period (see :func:`calc.theme_table`)
    themes: pd.DataFrame
    #: share of each touchpoint's texts with a complaint theme, now and last period (:func:`calc.complaint_share`)
    complaint_shares: pd.DataFrame
    value: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)
    #: optional inputs the client does not have: "segment", "feedback", "orders", "reviews"
    missing: tuple[str, ...] = ()
    #: the period the themes are compared with
    previous_period: str = ""

    @property
    def order(self) -> list[str]:
        """Catalogued touchpoint ids in catalogue order."""
        return list(self.catalogue["touchpoint_id"])

    @property
    def names(self) -> dict:
        return dict(zip(self.catalogue["touchpoint_id"], self.catalogue["name"]))


def event_kpis(ev, feedback: pd.DataFrame, keys: list[str], catalogue: pd.DataFrame, level: float = 0.95):
    """KPI table of prepared events ``ev`` (Ibis) and the period's survey answers per ``keys``: their daily
    statistics (:func:`feedback_daily`) or the answers themselves (pandas)."""
    volume, touched = q.execute_together(q.volume_expr(ev, keys), q.journey_touch_expr(ev, keys), keys)
    fb = calc.feedback_kpis(feedback if len(feedback) else calc.no_feedback(keys), keys, level)
    return calc.build_kpi_table(volume, touched, fb, keys, catalogue, level)


DAILY_KEYS = ["day", "touchpoint_id", "segment"]


def feedback_daily(src: data.ClientData, catalogue: pd.DataFrame, start, end) -> pd.DataFrame:
    """The survey answers of ``[start, end)`` as sufficient statistics per day, touchpoint and segment
    (:func:`helpers.analyse.queries.feedback_stats_expr`, computed by the engine), with ``stage`` and ``kind``
    from the catalogue and ``(no segment)`` where the segment is missing. A few rows per day come back,
    never the answers."""
    if not src.has("feedback"):
        return pd.DataFrame(columns=[*DAILY_KEYS, "stage", "kind", *calc.STAT_COLUMNS])
    daily = q.feedback_stats_expr(src.table("feedback"), start, end).execute()
    # ingest holds CSAT to 1-5 and NPS to 0-10 in whole numbers; a table written some other way that breaks
    # this would be miscounted by the category sums, so it is an error, as it is for the answers in pandas
    scores = daily[[f"csat_{k}" for k in range(1, 6)]].sum(axis=1)
    categories = daily[["promoters", "passives", "detractors"]].sum(axis=1)
    bad = daily[(scores != daily["csat_n"]) | (categories != daily["nps_n"])]
    if len(bad):
        first = bad.iloc[0]
        raise DataError(f"the feedback table of '{src.client}' has CSAT or NPS answers that are not whole numbers "
                        f"on the 1-5 and 0-10 scales (first on {pd.Timestamp(first['day']).date()} at "
                        f"{first['touchpoint_id']})",
                        hint=f"run `tpkit ingest {src.client}` again so the answers are checked")
    daily["day"] = pd.to_datetime(daily["day"]).astype("datetime64[us]")
    for c in ("touchpoint_id", "segment"):
        daily[c] = daily[c].astype(object).where(daily[c].notna(), None)
    return calc.add_dimensions(daily, catalogue)


def in_days(daily: pd.DataFrame, start, end) -> pd.DataFrame:
    """The rows of :func:`feedback_daily` with ``day`` in ``[start, end)``."""
    return calc.in_window(daily, start, end, ts_col="day")


def _comparison_name(per: Period, label: str, other: Period) -> str:
    return narrative.comparison_name(per.kind, label, other.label)


def kpi_changes(events, catalogue: pd.DataFrame, per: Period, current: pd.DataFrame, fb_now: pd.DataFrame,
                feedback_all: pd.DataFrame) -> pd.DataFrame:
    """Changes of the touchpoint KPIs against the previous period and the same period last year
    (one scan of the events for both). ``fb_now`` and ``feedback_all`` are survey answers or their daily
    statistics (:func:`feedback_daily`)."""
    others = {"previous": per.previous(), "last year": per.same_period_last_year()}
    labelled = q.labelled_periods_expr(events, catalogue, {k: p.bounds() for k, p in others.items()})
    vol_o, jour_o = q.execute_together(q.volume_expr(labelled, ["period", "touchpoint_id"]),
                                       q.journey_touch_expr(labelled, ["touchpoint_id"], extra=("period",)),
                                       ["period", "touchpoint_id"])
    changes = []
    for label, other in others.items():
        o_start, o_end = other.bounds()
        fb_o = calc.in_window(feedback_all, o_start, o_end, ts_col="day" if "day" in feedback_all.columns else "ts")
        fbk = calc.feedback_kpis(fb_o if len(fb_o) else calc.no_feedback(["touchpoint_id"]), ["touchpoint_id"])
        before = calc.build_kpi_table(vol_o[vol_o["period"] == label].drop(columns="period"),
                                      jour_o[jour_o["period"] == label].drop(columns="period"), fbk,
                                      ["touchpoint_id"], catalogue)
        changes.append(calc.compare_kpis(current, before, fb_now, fb_o, _comparison_name(per, label, other)))
    return pd.concat(changes, ignore_index=True)


def weekly_trends_of(events, catalogue: pd.DataFrame, per: Period, feedback_all: pd.DataFrame,
                     history: int) -> pd.DataFrame:
    """Weekly series per touchpoint over the last ``history`` periods (this one included); ``feedback_all``
    is survey answers or their daily statistics (:func:`feedback_daily`)."""
    h_start, _ = per.shift(-(history - 1)).bounds()
    _, end = per.bounds()
    wvol, wjour = q.weekly_expr(q.prepare_expr(events, catalogue, h_start, end), ["touchpoint_id"], end=end)
    vol, jour = q.execute_together(wvol, wjour, ["week", "touchpoint_id"])
    ts_col = "day" if "day" in feedback_all.columns else "ts"
    return calc.weekly_table(vol, jour, calc.in_window(feedback_all, h_start, end, ts_col=ts_col),
                             ["touchpoint_id"])


def path_counts(ev) -> pd.DataFrame:
    """Journeys and conversions per collapsed path of the period's events ``ev``. A path is a list collected per
    journey, held in memory by the engine, so above :func:`helpers.engine.piece_rows` events it is computed in
    hash buckets of the journey id and the buckets' counts added up."""
    pieces = engine.pieces_for(int(ev.count().execute()))
    parts = [q.paths_expr(piece).execute() for piece in engine.in_pieces(ev, "journey_id", pieces)]
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts).groupby("path", as_index=False)[["journeys", "conversions"]].sum()


def journey_tables(ev, touchpoint_kpis: pd.DataFrame, catalogue: pd.DataFrame, has_segment: bool,
                   overall: pd.DataFrame) -> dict:
    """Transitions, paths, stage funnel, exits and time to purchase of the period's journeys."""
    by_segment = (calc.time_to_convert_table(q.time_to_convert_expr(ev, ["segment"]).execute(), ["segment"])
                  if has_segment else calc.time_to_convert_table(pd.DataFrame(), ["segment"]))
    return {
        "transitions": calc.transition_table(q.transitions_expr(ev).execute()),
        "paths": calc.path_table(path_counts(ev)),
        "funnel": calc.funnel_table(q.funnel_expr(ev).execute()),
        "exits": calc.exit_table(q.exits_expr(ev).execute(),
                                 touchpoint_kpis[["touchpoint_id", "journeys", "converted_journeys"]], catalogue,
                                 total_journeys=int(overall["journeys"].sum()),
                                 total_converted=int(overall["converted_journeys"].sum())),
        "time_to_convert": calc.time_to_convert_table(q.time_to_convert_expr(ev, []).execute(), []),
        "time_to_convert_by_segment": by_segment,
    }


def text_tables(fb: pd.DataFrame, rv: pd.DataFrame, catalogue: pd.DataFrame, language: str,
                fb_before: pd.DataFrame | None = None, rv_before: pd.DataFrame | None = None,
                fb_ratings: pd.DataFrame | None = None) -> dict:
    """Rating distributions, scored texts, sentiment summary and themes of the period; the themes are compared
    with the texts of the previous period (``fb_before``, ``rv_before``). The survey ratings are those of
    ``fb_ratings`` (the answers' statistics, :func:`feedback_daily`) where given, else of ``fb``."""
    lang = sentiment.normalise_language(language, "en")
    scored = calc.period_texts(fb, rv, default_language=lang)
    before = calc.period_texts(fb_before, rv_before, default_language=lang)
    theme_tab = calc.theme_table(scored, before, default_language=lang)
    ratings = calc.rating_distribution(fb if fb_ratings is None else fb_ratings, rv, catalogue)
    return {"ratings": ratings, "comments": scored,
            "sentiment": calc.sentiment_summary(scored), "themes": theme_tab,
            "complaint_shares": calc.complaint_share(scored, theme_tab, before, default_language=lang)}


def comments_of(src: data.ClientData, windows: list[tuple]) -> pd.DataFrame:
    """The survey answers with a comment in ``windows`` (:func:`helpers.analyse.queries.feedback_texts_expr`):
    the texts come to pandas to be scored, the ratings without text stay in the engine."""
    if not src.has("feedback") or "comment" not in src.table("feedback").columns:
        return pd.DataFrame(columns=["ts", "touchpoint_id", "csat", "comment"])
    out = q.feedback_texts_expr(src.table("feedback"), windows).execute()
    out["ts"] = pd.to_datetime(out["ts"])
    return out


def customer_value_of(src: data.ClientData, events, end, has_segment: bool) -> dict:
    """Repeat purchase and CLV of the customers with orders before ``end``. The order summary per customer
    (:func:`helpers.analyse.queries.rfm_expr`) and each customer's first touchpoint and segment are computed
    by the engine: one row per customer comes back, never the orders or the events."""
    if not src.has("orders"):
        return calc.no_value("no orders table")
    rfm = q.rfm_expr(src.table("orders"), end)
    total = int(rfm.count().execute())
    if total == 0:
        return calc.no_value("no orders before the end of the period")
    sample = None
    share = q.model_share(total)
    if share is not None:
        # a per-customer model on more customers than this would not fit the kernel: a random sample of the
        # customers, drawn by a hash of the id (the same customers on every run and engine run alike)
        rfm = rfm.filter(q.hash_share(rfm.customer_id) < share)
        sample = {"customers": total, "share": share}
    # the summary is kept by the engine once, then joined there to each customer's first touchpoint and segment:
    # one frame comes back, its texts in Arrow's buffers (ten million ids as Python strings would take 700 MB)
    kept = engine.materialise(rfm)
    try:
        info = q.customer_info_expr(events, end, kept.select("customer_id"), has_segment)
        cols = [*kept.columns, "first_touchpoint"] + (["segment"] if has_segment else [])
        per = kept.left_join(info, "customer_id").select(*cols).order_by("customer_id").execute()
    finally:
        engine.release(kept)
    per["orders"] = per["orders"].astype("int64")
    value = calc.customer_value_from(calc.customer_frame(per))
    if sample is not None:
        value["sample"] = {**sample, "sampled": len(per)}
    return value


def _totals(overall_kpis: pd.DataFrame, responses: int, reviews: int, has_segment: bool) -> dict:
    overall = overall_kpis.iloc[0] if len(overall_kpis) else pd.Series(dtype=object)
    return {
        "events": int(overall.get("events", 0) or 0),
        "customers": int(overall.get("customers", 0) or 0),
        "journeys": int(overall.get("journeys", 0) or 0),
        "converted_journeys": int(overall.get("converted_journeys", 0) or 0),
        "revenue": float(overall.get("revenue", 0.0) or 0.0),
        "responses": int(responses),
        "reviews": int(reviews),
        "has_segment": has_segment,
    }


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None,
            history: int = 4) -> AnalyseResult:
    """Compute the step 2 result for ``client`` and ``period`` (no caching; see :func:`run`).

    ``history`` is the number of periods (this one included) the weekly trends cover.
    """
    cfg = load_client(client, root)
    per = Period.parse(period)
    start, end = per.bounds()
    catalogue = cfg.catalogue_frame()
    if catalogue.empty:
        catalogue = pd.DataFrame(columns=CATALOGUE_COLUMNS)
    src = data.ClientData(client, root=root, con=con)
    events = src.events
    has_segment = "segment" in events.columns
    missing = tuple(name for name, present in (("segment", has_segment), ("feedback", src.has("feedback")),
                                               ("orders", src.has("orders")), ("reviews", src.has("reviews")))
                    if not present)
    # the events of the period's journeys are computed once and kept by the engine (a temporary table on
    # DuckDB, a cached DataFrame on Spark): the KPI tables and journey tables below all read that slice
    kept = engine.materialise(journeys.period_events(events, start, end), PERIOD_COLUMNS)
    ev = q.prepare_expr(kept, catalogue)

    # the survey answers stay in the engine: their statistics per day cover every window the step reads
    # (this period, the previous one, the same period last year, the weekly history)
    p_start, p_end = per.previous().bounds()
    h_start, _ = per.shift(-(history - 1)).bounds()
    ly_start, _ = per.same_period_last_year().bounds()
    feedback_all = feedback_daily(src, catalogue, min(start, p_start, h_start, ly_start), end)
    fb = in_days(feedback_all, start, end)
    levels = {k: v for k, v in calc.LEVELS.items() if has_segment or "segment" not in v}
    kpis = {name: event_kpis(ev, fb, keys, catalogue) for name, keys in levels.items()}
    changes = kpi_changes(events, catalogue, per, kpis["touchpoint"], fb, feedback_all)
    weekly = weekly_trends_of(events, catalogue, per, feedback_all, history)
    with progress.part("journeys"):
        journey = journey_tables(ev, kpis["touchpoint"], catalogue, has_segment, kpis["overall"])
    # the period's slice is not read again: free the engine's memory for the texts and the customer models
    engine.release(kept)
    reviews_all = src.frame("reviews")
    rv = calc.in_window(reviews_all, start, end)
    with progress.part("feedback texts"):
        commented = comments_of(src, [(start, end), (p_start, p_end)])
        texts = text_tables(calc.in_window(commented, start, end), rv, catalogue, cfg.language,
                            calc.in_window(commented, p_start, p_end), calc.in_window(reviews_all, p_start, p_end),
                            fb_ratings=fb)
    with progress.part("customer value"):
        value = customer_value_of(src, events, end, has_segment)
    return AnalyseResult(
        client=cfg.client_id, client_name=cfg.name, period=per.label, currency=cfg.currency, catalogue=catalogue,
        kpis=kpis, changes=changes, weekly=weekly, **journey, **texts, value=value,
        totals=_totals(kpis["overall"], int(fb["rows"].sum()), len(rv), has_segment), missing=missing,
        previous_period=per.previous().label,
    )


run = data.cached_step(compute)
run.__doc__ = "The step 2 result, cached until client.yml or the processed data change."


def findings(result: AnalyseResult) -> artifacts.Findings:
    """Findings, metrics and tables of step 2 for the executive summary (:func:`helpers.artifacts.save`)."""
    t = result.totals
    overall = result.kpis["overall"].iloc[0] if len(result.kpis["overall"]) else None

    def level(col: str):
        return float(overall[col]) if overall is not None and pd.notna(overall[col]) else None

    metrics = {
        "journeys": t["journeys"], "purchases": t["converted_journeys"], "revenue": t["revenue"],
        "conversion": level("conversion"), "csat": level("csat"), "nps": level("nps"),
        "sentiment_method": sentiment.METHOD,
    }
    tables = {"kpis": result.kpis["touchpoint"], "funnel": result.funnel, "exits": result.exits,
              "paths": result.paths.head(200), "changes": result.changes, "themes": result.themes}
    if "segment" in result.kpis:
        tables["segments"] = result.kpis["segment"]
    return artifacts.Findings("analyse", tuple(narrative.findings_text(result)), metrics, tables)


# ---------------------------------------------------------------------------
# Accessors for analysts (each returns a copy of one part of the cached result)
# ---------------------------------------------------------------------------

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
