"""Step 2 figures: seaborn on :class:`matplotlib.figure.Figure` objects (nothing touches pyplot).

Each function takes a computed table of the result and returns a Figure; the words on it
come from :data:`helpers.analyse.narrative.FIGURE` and :mod:`helpers.kpis`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from helpers import display, kpis, palette
from helpers.analyse.compute import transition_matrix
from helpers.analyse.narrative import FIGURE, marker_name, source_name, stage_name
from helpers.analyse.queries import UNKNOWN
from helpers.config import STAGES
from helpers.display import enable_figures
from helpers.i18n import _

# colours from helpers.palette (apart in greyscale print; every stage has its own marker too)
STAGE_COLOURS = {**{k: v for k, v in palette.STAGE_COLOURS.items() if k != "unknown"},
                 UNKNOWN: palette.STAGE_COLOURS["unknown"]}
STAGE_MARKERS = {**{k: v for k, v in palette.STAGE_MARKERS.items() if k != "unknown"},
                 UNKNOWN: palette.STAGE_MARKERS["unknown"]}
SENTIMENT_HATCHES = palette.SENTIMENT_HATCHES
SENTIMENT_COLOURS = palette.SENTIMENT_COLOURS
PERCENT_KPIS = kpis.PERCENT_KPIS


def _percent_axis(axis) -> None:
    axis.set_major_formatter(lambda v, _: kpis.fmt_percent(v, 0))


def _label_column(df: pd.DataFrame, label: str) -> pd.Series:
    if label == "name" and "name" in df.columns and "segment" in df.columns and df["segment"].nunique() > 1:
        return df["name"].astype(str) + " / " + df["segment"].astype(str)
    return df[label].astype(str)


def _kpi_panel(ax, df: pd.DataFrame, m: str, hue: str | None, reference: pd.DataFrame | None) -> None:
    low, high = df.get(f"{m}_ci_low"), df.get(f"{m}_ci_high")
    y = df["_y"]
    if low is not None:
        ok = low.notna() & high.notna()
        ax.hlines(y[ok], low[ok], high[ok], color=palette.MUTED, lw=2, zorder=1)
    points = df[df[m].notna()]
    h = hue if hue and points[hue].notna().any() else None  # no points: nothing to colour
    sns.scatterplot(data=points, x=m, y="_y", hue=h, palette=STAGE_COLOURS if h else None, s=60, zorder=2, ax=ax,
                    legend=False, edgecolor=palette.INK, style=h, markers=STAGE_MARKERS if h else True)
    if low is not None:
        hollow = df[df[m].notna() & ~(low.notna() & high.notna())]
        ax.scatter(hollow[m], hollow["_y"], s=70, facecolor="white", edgecolor=palette.INK, zorder=3,
                   label=FIGURE["no_interval"])
    if reference is not None and m in reference.columns and len(reference) and pd.notna(reference[m].iloc[0]):
        ax.axvline(float(reference[m].iloc[0]), color=palette.REFERENCE, ls="--", lw=1)
    ax.set_title(kpis.label(m), fontsize=10)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if m in PERCENT_KPIS:
        _percent_axis(ax.xaxis)
    ax.grid(axis="x", color=palette.GRID)


def kpi_figure(kpis_table: pd.DataFrame, measures: tuple[str, ...] = ("conversion", "csat", "nps"),
               label: str = "name", title: str | None = None, reference: pd.DataFrame | None = None) -> Figure:
    """Dot-and-interval chart: one row per touchpoint (or segment, stage: ``label``), one panel per
    KPI; dots coloured by stage where known; hollow dots have no interval (one respondent);
    the dashed line is the ``reference`` value (for example the overall KPI table)."""
    df = kpis_table.copy().reset_index(drop=True)
    df["_label"] = _label_column(df, label)
    order = list(dict.fromkeys(df["_label"]))
    ypos = {lab: i for i, lab in enumerate(order)}
    df["_y"] = df["_label"].map(ypos)
    height = max(2.6, 0.38 * len(order) + 1.4)
    fig = Figure(figsize=(3.6 * len(measures) + 1.8, height), dpi=110, layout="constrained")
    axes = fig.subplots(1, len(measures), sharey=True, squeeze=False)[0]
    hue = "stage" if "stage" in df.columns and label == "name" else None
    for ax, m in zip(axes, measures):
        _kpi_panel(ax, df, m, hue, reference)
    axes[0].set_yticks(range(len(order)), order)
    axes[0].set_ylim(len(order) - 0.5, -0.5)
    handles = [Line2D([], [], marker=STAGE_MARKERS.get(s, "o"), ls="",
                      markerfacecolor=STAGE_COLOURS.get(s, STAGE_COLOURS[UNKNOWN]),
                      markeredgecolor=palette.INK, label=stage_name(s)) for s in [*STAGES, UNKNOWN]
               if hue and s in set(df["stage"])]
    handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor=palette.INK,
                          label=FIGURE["no_interval"]))
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False,
                    title=FIGURE["stage"] if hue else None)
    fig.suptitle(title or FIGURE["kpi_title"], fontsize=12, x=0.01, ha="left")
    return fig


def trend_figure(weekly: pd.DataFrame, kpi: str = "conversion", touchpoints: list[str] | None = None, top: int = 6,
                 names: dict | None = None, title: str | None = None) -> Figure:
    """Weekly series of one KPI for the ``top`` touchpoints with most volume (or the ones given)."""
    df = weekly[weekly["kpi"] == kpi].copy()
    fig = Figure(figsize=(10, 4.2), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    if touchpoints is None and len(df):
        touchpoints = list(df.groupby("touchpoint_id")["n"].sum().sort_values(ascending=False).head(top).index)
    df = df[df["touchpoint_id"].isin(touchpoints or [])]
    df["touchpoint"] = df["touchpoint_id"].map(names or {}).fillna(df["touchpoint_id"])
    if len(df):
        # each touchpoint has its own marker and dash pattern, so the lines stay apart in greyscale print
        sns.lineplot(data=df, x="week", y="value", hue="touchpoint", style="touchpoint", markers=True, dashes=True,
                     markersize=4, ax=ax)
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=None)
    else:
        ax.text(0.5, 0.5, FIGURE["no_data"], ha="center", va="center", transform=ax.transAxes)
    if kpi in PERCENT_KPIS:
        _percent_axis(ax.yaxis)
    if len(df) and pd.api.types.is_datetime64_any_dtype(df["week"]):
        kpis.date_axis(ax.xaxis)  # month names in the report's language
    ax.set_xlabel(FIGURE["week"])
    ax.set_ylabel(kpis.label(kpi))
    ax.grid(axis="y", color=palette.GRID)
    ax.set_title(title or FIGURE["trend_title"].format(kpi=kpis.label(kpi).lower()), loc="left", fontsize=12)
    return fig


def transition_heatmap(transitions: pd.DataFrame, names: dict | None = None, order: list[str] | None = None,
                       title: str = FIGURE["transition_title"]) -> Figure:
    """Heatmap of transition probabilities (rows: from, columns: to), with percentages."""
    m = transition_matrix(transitions, "probability", order)
    n = max(len(m.columns), 2)
    fig = Figure(figsize=(min(max(2.0 + 0.62 * n, 7.5), 14), min(1.2 + 0.5 * max(len(m), 2), 12)), dpi=110,
                 layout="constrained")
    ax = fig.add_subplot()
    if m.empty:
        ax.text(0.5, 0.5, FIGURE["no_journeys"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    names = names or {}
    m = m.rename(index=lambda s: marker_name(names.get(s, s)), columns=lambda s: marker_name(names.get(s, s)))
    labels = m.map(lambda v: kpis.fmt_percent(v, 0) if v >= 0.005 else "")
    sns.heatmap(m, annot=labels.to_numpy(), fmt="", cmap=palette.SEQUENTIAL, vmin=0, vmax=1, cbar=False, linewidths=0.5,
                linecolor=palette.GRID_LIGHT, annot_kws={"fontsize": 7}, ax=ax)
    ax.set_xlabel(FIGURE["to"])
    ax.set_ylabel(FIGURE["from"])
    ax.set_title(_(title), loc="left", fontsize=12)
    return fig


def funnel_figure(funnel: pd.DataFrame, title: str = FIGURE["funnel_title"]) -> Figure:
    """Horizontal bars of journeys per stage, with the step conversion to the next stage and its interval."""
    fig = Figure(figsize=(9, 3.8), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    df = funnel.copy()
    palette = {stage_name(s): c for s, c in STAGE_COLOURS.items()}
    df["stage"] = [stage_name(s) for s in df["stage"]]
    sns.barplot(data=df, y="stage", x="journeys", hue="stage", palette=palette, legend=False, ax=ax)
    top = max(float(df["journeys"].max() or 0), 1.0)
    for i, row in df.reset_index(drop=True).iterrows():
        text = kpis.fmt_count(int(row["journeys"]))
        if pd.notna(row["step_conversion"]):
            text += "  " + FIGURE["funnel_next"].format(rate=kpis.fmt_percent(row["step_conversion"]),
                                                 lo=kpis.fmt_percent(row["step_conversion_ci_low"]),
                                                 hi=kpis.fmt_percent(row["step_conversion_ci_high"]))
        ax.text(row["journeys"] + top * 0.01, i, text, va="center", fontsize=9)
    ax.set_xlim(0, top * 1.75)
    ax.set_xlabel(FIGURE["journeys"])
    ax.set_ylabel("")
    ax.set_title(_(title), loc="left", fontsize=12)
    return fig


def sentiment_figure(summary: pd.DataFrame, names: dict | None = None,
                     title: str = FIGURE["sentiment_title"]) -> Figure:
    """Diverging bars per touchpoint and source: share negative (left) and positive (right)."""
    df = summary.copy().reset_index(drop=True)
    names = names or {}
    df["label"] = (df["touchpoint_id"].map(lambda t: names.get(t, t)).astype(str) + " ("
                   + df["source"].map(source_name) + ")")
    fig = Figure(figsize=(9, max(2.5, 0.4 * len(df) + 1.3)), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    if df.empty:
        ax.text(0.5, 0.5, FIGURE["no_texts"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    neg, pos = FIGURE["negative"], FIGURE["positive"]
    long = pd.concat([df.assign(share=-df["negative"], kind=neg), df.assign(share=df["positive"], kind=pos)])
    sns.barplot(data=long, y="label", x="share", hue="kind",
                palette={neg: SENTIMENT_COLOURS["negative"], pos: SENTIMENT_COLOURS["positive"]},
                dodge=False, ax=ax)
    for bars, hatch in zip(ax.containers, (SENTIMENT_HATCHES["negative"], SENTIMENT_HATCHES["positive"])):
        for bar in bars:
            bar.set_hatch(hatch or None)
            bar.set_edgecolor(palette.INK if hatch else bar.get_facecolor())
    if ax.get_legend() is not None:
        for handle, hatch in zip(ax.get_legend().legend_handles,
                                 (SENTIMENT_HATCHES["negative"], SENTIMENT_HATCHES["positive"])):
            handle.set_hatch(hatch or None)
            handle.set_edgecolor(palette.INK if hatch else handle.get_facecolor())
    y = np.arange(len(df))
    ax.hlines(y, -df["negative_ci_high"], -df["negative_ci_low"], color=palette.INK, lw=1.2)
    ax.hlines(y, df["positive_ci_low"], df["positive_ci_high"], color=palette.INK, lw=1.2)
    ax.axvline(0, color=palette.INK, lw=0.8)
    ax.xaxis.set_major_formatter(lambda v, _: kpis.fmt_percent(abs(v), 0))
    ax.set_xlim(-1, 1)
    ax.set_xlabel(FIGURE["sentiment_axis"])
    ax.set_ylabel("")
    sns.move_legend(ax, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title=None)
    ax.set_title(_(title), loc="left", fontsize=12)
    return fig


def figure_titles(fig: Figure) -> list[str]:
    """Titles of a figure and its axes (for tests and alt texts)."""
    titles = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) else []
    for ax in fig.axes:
        titles += [t for t in (ax.get_title("left"), ax.get_title()) if t]
    return titles



def segment_figure(result, measures: tuple[str, ...] = ("conversion", "csat", "nps"), title: str | None = None):
    """:func:`kpi_figure` of the KPIs by segment; nothing (an empty display) when the events carry no
    segment, since :func:`helpers.analyse.narrative.say_segments` already says so."""
    seg = result.kpis.get("segment")
    if seg is None or seg.empty:
        return display.HTML("")
    return kpi_figure(seg, measures=measures, label="segment", title=title)


enable_figures()
