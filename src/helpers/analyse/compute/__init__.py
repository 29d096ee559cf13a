"""Step 2 statistics and tables on aggregates (pandas, scipy, statsmodels); never imports matplotlib.

* :mod:`.kpis`: survey KPIs, the KPI table, changes between periods, weekly series;
* :mod:`.journeys`: transitions, paths, stage funnel, exits, time to purchase;
* :mod:`.text`: rating distributions, sentiment and themes of texts;
* :mod:`.value`: repeat purchase and customer lifetime value.
"""

from helpers.analyse.compute.journeys import (
    collapse_path,
    exit_table,
    funnel_table,
    path_table,
    time_to_convert_table,
    transition_matrix,
    transition_table,
)
from helpers.analyse.compute.kpis import (
    LEVELS,
    STAT_COLUMNS,
    add_dimensions,
    build_kpi_table,
    compare_kpis,
    csat_moments,
    feedback_kpis,
    feedback_kpis_from_stats,
    feedback_stats,
    in_window,
    no_feedback,
    rollup_stats,
    segment_gap,
    significant_changes,
    weekly_table,
)
from helpers.analyse.compute.text import (
    BUSINESS,
    comment_texts,
    complaint_share,
    period_texts,
    rating_distribution,
    score_comments,
    sentiment_summary,
    theme_table,
)
from helpers.analyse.compute.value import customer_frame, customer_value, customer_value_from, no_value, value_summary

__all__ = [
    "BUSINESS", "LEVELS", "add_dimensions", "build_kpi_table", "collapse_path", "comment_texts", "compare_kpis",
    "complaint_share", "customer_frame", "customer_value", "customer_value_from", "exit_table", "feedback_kpis",
    "funnel_table", "in_window", "no_feedback", "STAT_COLUMNS", "csat_moments", "feedback_kpis_from_stats",
    "feedback_stats", "rollup_stats",
    "no_value", "path_table", "rating_distribution", "score_comments", "segment_gap", "sentiment_summary",
    "significant_changes", "time_to_convert_table", "transition_matrix", "transition_table", "value_summary",
    "weekly_table",
    "period_texts", "theme_table",
]
