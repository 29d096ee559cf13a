"""The review's figures (matplotlib Figure objects, never pyplot), readable in greyscale print:
each series has its own line style and marker, not only its own colour."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from helpers import kpis
from helpers.periods import Period
from helpers.review import narrative as say
from helpers.review.compute import TREND_KPIS

__all__ = ["trend_figure", "calibration_figure", "show_trend", "show_calibration", "STYLES"]

#: one look per series: colour, line style and marker differ together (greyscale-safe)
STYLES = ({"color": "#1f4e79", "ls": "-", "marker": "o"}, {"color": "#d9822b", "ls": "--", "marker": "s"},
          {"color": "#4d4d4d", "ls": ":", "marker": "^"}, {"color": "#6a9f58", "ls": "-.", "marker": "D"})
CHANGE_COLOR = "#b22222"


def _position(day, periods: list[str]) -> float | None:
    """Where a date falls on an axis whose tick i is the middle of period i."""
    for i, label in enumerate(periods):
        p = Period.parse(label)
        if p.start <= day <= p.last_day:
            span = (p.last_day - p.start).days + 1
            return i - 0.5 + (day - p.start).days / span
    return None


def trend_figure(trends: pd.DataFrame, changes: pd.DataFrame | None = None) -> Figure | None:
    """NPS, CSAT and conversion per journey stage over every period, 95% intervals as error bars,
    and a vertical line at the start of each logged change."""
    if not len(trends):
        return None
    periods = sorted(trends["period"].unique(), key=lambda s: (Period.parse(s).start))
    kpis_shown = [k for k in TREND_KPIS if k in set(trends["kpi"])]
    fig = Figure(figsize=(9, 2.8 * len(kpis_shown) + 0.6), layout="constrained")
    axes = fig.subplots(len(kpis_shown), 1, sharex=True, squeeze=False)[:, 0]
    stages = list(dict.fromkeys(trends["stage"]))
    for ax, kpi in zip(axes, kpis_shown):
        part = trends[trends["kpi"] == kpi]
        for i, stage in enumerate(stages):
            s = part[part["stage"] == stage]
            if not len(s):
                continue
            x = np.array([periods.index(p) for p in s["period"]], dtype=float) + (i - 1.5) * 0.04
            y = s["value"].to_numpy()
            err = np.vstack([y - s["ci_low"].to_numpy(), s["ci_high"].to_numpy() - y])
            ax.errorbar(x, y, yerr=np.nan_to_num(err), capsize=2, lw=1.4, ms=5, label=say.stage_name(stage),
                        **STYLES[i % len(STYLES)])
        if kpis.get(kpi).is_proportion:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: kpis.fmt_percent(v, 0)))
        ax.set_title(say.trend_title(kpi), loc="left", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        for c in ([] if changes is None else changes.itertuples()):
            pos = _position(c.start, periods)
            if pos is None:
                continue
            ax.axvline(pos, color=CHANGE_COLOR, ls=(0, (1, 2)), lw=1)
            if ax is axes[0]:
                ax.annotate(say.change_marker(c.change_id, c.description), (pos, 1.0),
                            xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right",
                            fontsize=7, color=CHANGE_COLOR)
    axes[-1].set_xticks(range(len(periods)), periods)
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return fig


def calibration_figure(calibration: pd.DataFrame, currency: str | None = None) -> Figure | None:
    """Mean predicted against mean actual purchases and revenue per customer, by decile of predicted value."""
    if not len(calibration):
        return None
    xlabel, pred_label, act_label, ylabel = say.calibration_axes()
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, measure in zip(axes, ("purchases", "revenue")):
        d = calibration["decile"].to_numpy()
        ax.plot(d, calibration[f"predicted_{measure}"], label=pred_label, **STYLES[0])
        ax.plot(d, calibration[f"actual_{measure}"], label=act_label, **STYLES[1])
        ax.set_title(say.calibration_title(measure), loc="left", fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.set_xticks(d)
        ax.grid(alpha=0.3)
        if measure == "revenue":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: kpis.fmt_money(v, currency)))
    axes[0].legend(fontsize=8, frameon=False)
    return fig


def _show(fig) -> None:
    from IPython.display import display as ipy_display

    from helpers.display import enable_figures

    if fig is not None and enable_figures():
        ipy_display(fig)


def show_trend(result) -> None:
    """Display the all-period trend figure in a notebook (outside IPython: nothing is shown)."""
    _show(trend_figure(result.trends, result.changes_log))


def show_calibration(result) -> None:
    """Display the forecast calibration figure in a notebook (outside IPython: nothing is shown)."""
    _show(calibration_figure(result.backtest.calibration, result.currency))
