"""Across periods: what became of last period's priorities, how good last period's forecast was,
and every period's trends (issue 16, part A).

>>> from helpers import review
>>> result = review.run("nordlys", "2026Q3")
>>> result.since                    # last period's top five against this period's, with changes and KPI moves
>>> result.backtest.totals          # the CLV forecast of 2026Q2 against what happened in 2026Q3
>>> review.trend_figure(result.trends, result.changes_log)

Layers as in the step packages: :mod:`.queries` (Ibis), :mod:`.compute` (statistics, no
matplotlib), :mod:`.figures`, :mod:`.narrative` (every word), :mod:`.step` (result, cached run,
findings). See docs/across-quarters.md.
"""

from helpers.review.compute import (
           Backtest,
           Forecast,
           backtest,
           bootstrap_ratio,
           forecast,
           forecast_from_summary,
           kpi_moves,
           ranking_moves,
           stage_trends,
           too_early_status,
)
from helpers.review.figures import calibration_figure, show_calibration, show_trend, trend_figure
from helpers.review.narrative import show_backtest, show_since, show_trends, summary_section
from helpers.review.step import ReviewResult, compute, findings, previous_artifacts_dir, run

__all__ = ["Backtest", "Forecast", "ReviewResult", "backtest", "bootstrap_ratio", "calibration_figure", "compute",
           "findings", "forecast", "forecast_from_summary", "kpi_moves", "previous_artifacts_dir", "ranking_moves",
           "run", "show_backtest", "show_calibration", "show_since", "show_trend", "show_trends", "stage_trends",
           "summary_section", "too_early_status", "trend_figure"]
