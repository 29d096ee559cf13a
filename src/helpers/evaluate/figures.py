"""The figures of step 4: one per change, a panel per KPI (matplotlib Figure objects, never pyplot).

Each panel shows the weekly KPI, the change date and what the KPI would have done
without the change: the earlier trend extended (time series), the control's weeks plus
the earlier gap (difference-in-differences), the control variant (A/B test).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from helpers import kpis, palette
from helpers.errors import DataError
from helpers.evaluate import narrative as say
from helpers.evaluate.compute.changes import weekly_means

__all__ = ["change_figure", "change_figures", "show_figures"]

BLUE, ORANGE, GREY, RED = (palette.EVALUATE_COLOURS[k] for k in ("before", "changed", "comparison", "change"))
#: orange and grey are equally light in greyscale print: the comparison series (control group, control
#: variant, observed weeks) has square markers and a dotted line, the changed one round markers and a solid line
COMPARISON_STYLE = {"marker": "s", "ls": ":"}


def _dates(start: dt.date, weeks) -> list[dt.date]:
    return [start + dt.timedelta(weeks=float(w)) for w in weeks]


def _percent_axis(ax, kpi: str) -> None:
    if kpis.get(kpi).is_proportion:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: kpis.fmt_percent(v, 0)))


def _draw_its(ax, plot: dict, start: dt.date) -> None:
    f = plot["frame"]
    pre, post = f[~f["post"]], f[f["post"]]
    ax.plot(f["date"], f["observed"], "o-", color=GREY, ms=3, lw=0.8, label=say.figure_label("its_observed"))
    ax.plot(pre["date"], pre["fitted"], color=BLUE, lw=2, label=say.figure_label("its_fit_before"))
    ax.plot(post["date"], post["fitted"], color=ORANGE, lw=2, label=say.figure_label("its_fit_after"))
    ax.plot(post["date"], post["counterfactual"], "--", color=BLUE, lw=1.6,
            label=say.figure_label("its_counterfactual"))
    ax.fill_between(post["date"], post["cf_low"], post["cf_high"], color=BLUE, alpha=0.15, lw=0,
                    label=say.figure_label("its_band"))


def _draw_did(ax, plot: dict, start: dt.date) -> None:
    rows, eff = plot["rows"], plot["effect"]
    m = weekly_means(rows, "treated", plot.get("weights"))
    tr, ct = m[m["treated"] == 1].sort_values("week"), m[m["treated"] == 0].sort_values("week")
    gap = tr.loc[tr["week"] < 0, "value"].mean() - ct.loc[ct["week"] < 0, "value"].mean()
    ax.plot(_dates(start, tr["week"]), tr["value"], "o-", color=ORANGE, ms=3, lw=0.9,
            label=say.figure_label("did_treated"))
    ax.plot(_dates(start, ct["week"]), ct["value"], color=GREY, ms=3, lw=0.9, **COMPARISON_STYLE,
            label=say.figure_label("did_control"))
    cpost = ct[ct["week"] >= 0]
    cf = cpost["value"] + gap
    half_lo, half_hi = eff.ci_low - eff.estimate, eff.ci_high - eff.estimate
    ax.plot(_dates(start, cpost["week"]), cf, "--", color=BLUE, lw=1.6, label=say.figure_label("did_counterfactual"))
    if np.isfinite(half_lo):
        ax.fill_between(_dates(start, cpost["week"]), cf - half_hi, cf - half_lo, color=BLUE, alpha=0.15, lw=0,
                        label=say.figure_label("did_band"))


def _draw_ab(ax, plot: dict, start: dt.date) -> None:
    rows, eff = plot["rows"], plot["effect"]
    ctrl, trt = eff.extra.get("control"), eff.extra.get("treatment")
    rows = rows.assign(variant=rows["variant"].astype(str))
    m = weekly_means(rows, "variant")
    for label, colour, style in ((ctrl, GREY, COMPARISON_STYLE), (trt, ORANGE, {"marker": "o", "ls": "-"})):
        part = m[m["variant"] == label].sort_values("week")
        ax.plot(_dates(start, part["week"]), part["value"], color=colour, ms=3, lw=0.9, **style,
                label=say.variant_label(label, control=label == ctrl))
    weeks = sorted(rows["week"].unique())
    if weeks and np.isfinite(eff.baseline):
        x = _dates(start, [weeks[0], weeks[-1]])
        ax.plot(x, [eff.baseline] * 2, "--", color=BLUE, lw=1.6, label=say.variant_counterfactual(trt))
        if np.isfinite(eff.ci_low):
            ax.fill_between(x, eff.baseline + eff.ci_low, eff.baseline + eff.ci_high, color=ORANGE, alpha=0.15, lw=0,
                            label=say.variant_band(trt))


_DRAWERS = {"its": _draw_its, "did": _draw_did, "ab": _draw_ab}


def change_figure(result, change_id: str) -> Figure:
    """The KPI series of one change: the change date, the fit and what the KPI would have done without it."""
    keys = [k for k in result.details if k[0] == change_id]
    if not keys:
        known = ", ".join(dict.fromkeys(k[0] for k in result.details)) or "none"
        raise DataError(f"no change '{change_id}' in the evaluation", hint=f"changes are: {known}")
    fig = Figure(figsize=(10.5, 3.4 * len(keys)), dpi=100, layout="constrained")
    axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    rows = result.table.set_index(["change_id", "kpi"])
    for ax, key in zip(axes, keys):
        det = result.details[key]
        row = rows.loc[key]
        start = det["start"]
        drawer = _DRAWERS.get(det["plot"].get("kind"))
        if drawer is None:
            ax.text(0.5, 0.5, str(row["verdict_text"]), ha="center", va="center", wrap=True, fontsize=10,
                    transform=ax.transAxes, parse_math=False)
            ax.set_axis_off()
        else:
            drawer(ax, det["plot"], start)
            ax.axvline(start, color=RED, lw=1.2, ls=":", label=say.change_line(start))
            ax.set_ylabel(say.kpi_label(det["kpi"]))
            _percent_axis(ax, det["kpi"])
            kpis.date_axis(ax.xaxis)  # month names in the report's language
            ax.legend(fontsize=7.5, loc="best", frameon=False)
            ax.grid(alpha=0.25)
        ax.set_title(say.panel_title(det["kpi"], row["design"], row["verdict"]), fontsize=10, loc="left",
                     parse_math=False)
    fig.suptitle(say.figure_title(change_id, result.details[keys[0]]["description"]), fontsize=12, x=0.01,
                 ha="left", parse_math=False)
    return fig


def change_figures(result) -> list[Figure]:
    """One figure per change, in the order of the changes log."""
    return [change_figure(result, cid) for cid in dict.fromkeys(k[0] for k in result.details)]


def show_figures(result) -> None:
    """Display one figure per change in a notebook (outside IPython: nothing is shown)."""
    from IPython.display import display as ipy_display

    from helpers.display import enable_figures

    figs = change_figures(result)
    if enable_figures():
        for fig in figs:
            ipy_display(fig)
