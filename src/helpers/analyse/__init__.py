"""Step 2: collect and analyse - KPIs with uncertainty, trends, journeys, feedback, customer value.

>>> result = run("nordlys", "2026Q3")          # every event aggregate computed once
>>> result.kpis["touchpoint"]                   # KPI table by touchpoint (also stage, kind, segment)
>>> kpi_figure(result.kpis["touchpoint"])        # figures take the computed tables
>>> result.funnel, result.exits, result.paths, result.transitions

One layer per module:

* :mod:`.queries`: the event-level Ibis expressions (DuckDB or Spark, unchanged); only small
  aggregates come back as pandas DataFrames;
* :mod:`.compute`: statistics and tables on those aggregates (the survey answers as sufficient
  statistics per day, touchpoint and segment) and on the small tables (reviews, costs); every
  rate carries a confidence interval from :mod:`helpers.stats`, and an interval that cannot be
  computed is NaN with a ``note``;
* :mod:`.figures`: matplotlib Figure objects (never pyplot);
* :mod:`.narrative`: every sentence, table header and figure text the step shows;
* :mod:`.step`: :class:`AnalyseResult`, :func:`compute`, :func:`run` (cached) and :func:`findings`.

Definitions used throughout

* The journeys of a period are defined once in :mod:`helpers.journeys` (docs/data-model.md,
  "Journeys"): a journey belongs to the period in which its first event falls, with all its
  events. A journey *touches* a touchpoint (stage, segment) when any of its events is there.
  The conversion rate of a touchpoint is converted journeys touching it divided by journeys
  touching it (Wilson interval). A journey is converted when it has a converting event.
* Paths are the touchpoints of a journey in time order with repeats collapsed
  ("a > a > b" is "a > b"), up to and including the first purchase.
* The stage funnel counts journeys by the furthest stage they reached (awareness,
  consideration, decision, retention); step conversion is the share of journeys reaching a
  stage that also reach the next one.
* The exit rate of a touchpoint is the share of journeys touching it that end there
  without a purchase, compared with all other touchpoints before and at the purchase pooled
  (Newcombe interval); after-purchase touchpoints are left out.
"""

from helpers.analyse.compute import (
    BUSINESS,
    LEVELS,
    add_dimensions,
    build_kpi_table,
    collapse_path,
    comment_texts,
    compare_kpis,
    complaint_share,
    customer_value,
    exit_table,
    feedback_kpis,
    feedback_kpis_from_stats,
    feedback_stats,
    funnel_table,
    in_window,
    path_table,
    rating_distribution,
    rollup_stats,
    score_comments,
    segment_gap,
    sentiment_summary,
    significant_changes,
    theme_table,
    time_to_convert_table,
    transition_matrix,
    transition_table,
    value_summary,
    weekly_table,
)
from helpers.analyse.narrative import (
    PARTS,
    PERCENT_COLUMNS,
    PRETTY,
    duration,
    part,
    say_changes,
    say_data,
    say_exits,
    say_funnel,
    say_kpis,
    say_overview,
    say_paths,
    say_segments,
    say_sentiment,
    say_themes,
    say_time_to_convert,
    say_value,
    show,
    show_all_themes,
    show_themes,
)
from helpers.analyse.queries import (
    END,
    NO_SEGMENT,
    STAGE_INDEX,
    START,
    UNKNOWN,
    bounds,
    collapsed_expr,
    customer_segment_expr,
    exits_expr,
    feedback_stats_expr,
    feedback_texts_expr,
    first_touch_expr,
    funnel_expr,
    journey_outcomes_expr,
    journey_touch_expr,
    labelled_periods_expr,
    paths_expr,
    prepare_expr,
    time_to_convert_expr,
    transitions_expr,
    volume_expr,
    weekly_expr,
)
from helpers.analyse.step import (
    AnalyseResult,
    compute,
    customer_values,
    event_kpis,
    exit_rates,
    feedback_daily,
    findings,
    journey_paths,
    journey_transitions,
    kpi_table,
    review_sentiment,
    run,
    stage_funnel,
    weekly_trends,
)
from helpers.clv import clv, fit_bgnbd, fit_gamma_gamma
from helpers.config import STAGES

#: figure functions, imported on first use so that the statistics load without matplotlib
_FIGURES = ("STAGE_COLOURS", "figure_titles", "funnel_figure", "kpi_figure", "segment_figure",
            "sentiment_figure", "transition_heatmap", "trend_figure")


def __getattr__(name: str):
    if name in _FIGURES:
        from helpers.analyse import figures

        return getattr(figures, name)
    raise AttributeError(f"module 'helpers.analyse' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FIGURES))

__all__ = [
    "BUSINESS", "END", "LEVELS", "NO_SEGMENT", "PARTS", "PERCENT_COLUMNS", "PRETTY", "STAGES", "STAGE_COLOURS",
    "STAGE_INDEX", "START", "UNKNOWN", "AnalyseResult", "add_dimensions", "bounds", "build_kpi_table", "clv",
    "collapse_path", "collapsed_expr", "comment_texts", "compare_kpis", "complaint_share", "compute",
    "customer_segment_expr", "customer_value", "customer_values", "duration", "event_kpis", "exit_rates",
    "exit_table", "exits_expr", "feedback_kpis", "figure_titles", "findings", "first_touch_expr", "fit_bgnbd",
    "fit_gamma_gamma", "funnel_expr", "funnel_figure", "funnel_table", "in_window", "journey_outcomes_expr",
    "journey_paths", "journey_touch_expr", "journey_transitions", "kpi_figure", "kpi_table", "labelled_periods_expr",
    "part", "path_table", "paths_expr", "prepare_expr", "rating_distribution", "review_sentiment", "run",
    "say_changes", "say_data", "say_exits", "say_funnel", "say_kpis", "say_overview", "say_paths", "say_segments",
    "say_sentiment", "say_time_to_convert", "say_value", "score_comments", "segment_gap", "sentiment_summary",
    "sentiment_figure", "show", "significant_changes", "stage_funnel", "time_to_convert_expr",
    "time_to_convert_table", "transition_heatmap", "transition_matrix", "transition_table", "transitions_expr",
    "trend_figure", "value_summary", "volume_expr", "weekly_expr", "weekly_table", "weekly_trends",
    "say_themes", "show_all_themes", "show_themes", "theme_table",
    "feedback_daily", "feedback_kpis_from_stats", "feedback_stats", "feedback_stats_expr", "feedback_texts_expr",
    "rollup_stats",
]
