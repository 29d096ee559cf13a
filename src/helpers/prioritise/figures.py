"""Figures of step 3, built on :class:`matplotlib.figure.Figure` (never pyplot) and returned.

The importance-performance matrix labels every touchpoint: labels start next to
their point and are pushed apart (and away from points and quadrant names) until
no two overlap; a thin leader line joins a label that moved to its point.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from helpers import kpis, palette
from helpers.display import enable_figures
from helpers.i18n import pgettext
from helpers.prioritise import narrative
from helpers.prioritise.compute.ranking import QUADRANT_ORDER
from helpers.prioritise.narrative import FIGURE_TEXT as TEXT
from helpers.prioritise.narrative import MODEL_LABELS

enable_figures()  # a returned Figure shows once, as a PNG, in notebooks and reports

# colours, markers and hatches from helpers.palette: apart in greyscale print
QUADRANT_COLOURS = palette.QUADRANT_COLOURS
QUADRANT_MARKERS = palette.QUADRANT_MARKERS
COMPONENT_COLOURS = palette.COMPONENT_COLOURS
COMPONENT_HATCHES = palette.COMPONENT_HATCHES
MODEL_PALETTE = palette.MODEL_PALETTE
MODEL_HATCHES = palette.MODEL_HATCHES
FLAG_COLOURS = palette.FLAG_COLOURS
FLAG_MARKERS = palette.FLAG_MARKERS


def _ssqrt(v):
    v = np.asarray(v, dtype=float)
    return np.sign(v) * np.sqrt(np.abs(v))


def _ssquare(v):
    v = np.asarray(v, dtype=float)
    return np.sign(v) * v * v


def _names(ids, names: dict | None) -> list[str]:
    names = names or {}
    return [str(names.get(i, i)) for i in ids]


# ---------------------------------------------------------------------------
# Label placement without overlaps
# ---------------------------------------------------------------------------

def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Overlap in x and y of two boxes (x0, y0, x1, y1); non-positive means apart."""
    return min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])


def place_labels(ax, xs, ys, labels, *, fontsize: float = 8.5, obstacles=(), pad: float = 3.0,
                 max_iter: int = 400, colour: str = palette.INK) -> list:
    """Annotate points ``(xs, ys)`` with ``labels`` so that no two labels overlap.

    Works in display pixels: each label is a box anchored at its point plus an
    offset; overlapping boxes are pushed apart along the axis of least overlap,
    boxes are pushed off other points and ``obstacles`` (matplotlib artists), and
    kept inside the axes. Returns the annotation artists.
    """
    fig = ax.figure
    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    # settle the layout first (constrained layout moves the axes when drawn), measure, then freeze it
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    dpi = fig.dpi
    texts = [ax.annotate(str(lab), (x, y), xytext=(0, 0), textcoords="offset points", fontsize=fontsize,
                         ha="left", va="bottom", color=colour, parse_math=False, zorder=5)
             for x, y, lab in zip(xs, ys, labels)]
    if not texts:
        return texts
    pts = ax.transData.transform(np.column_stack([xs, ys]).astype(float))
    size = np.array([[t.get_window_extent(renderer).width, t.get_window_extent(renderer).height] for t in texts])
    frame = ax.get_window_extent(renderer)
    fixed = [np.array([b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad])
             for b in (o.get_window_extent(renderer) for o in obstacles)]
    marker = 5.0
    fixed += [np.array([x - marker, y - marker, x + marker, y + marker]) for x, y in pts]
    off = np.column_stack([np.full(len(texts), 6.0), np.full(len(texts), 3.0)])
    # start left of the point when the label would leave the axes on the right
    right = pts[:, 0] + off[:, 0] + size[:, 0] > frame.x1
    off[right, 0] = -6.0 - size[right, 0]

    def box(i):
        x0, y0 = pts[i] + off[i]
        return np.array([x0 - pad, y0 - pad, x0 + size[i, 0] + pad, y0 + size[i, 1] + pad])

    def inside(bx) -> bool:
        return bx[0] >= frame.x0 and bx[2] <= frame.x1 and bx[1] >= frame.y0 and bx[3] <= frame.y1

    for _ in range(max_iter):
        moved = False
        for i in range(len(texts)):
            bi = box(i)
            others = [box(j) for j in range(len(texts)) if j != i] + fixed

            def clashes(bx, others=others) -> int:
                return sum(1 for ob in others if min(_overlap(bx, ob)) > 0)

            for ob in others:
                ox, oy = _overlap(bi, ob)
                if ox <= 0 or oy <= 0:
                    continue
                # the four shortest moves that clear this box: prefer one inside the axes that
                # lands on nothing else, then the shortest (vertical moves count less)
                moves = [np.array([0.0, ob[3] - bi[1] + 0.5]), np.array([0.0, ob[1] - bi[3] - 0.5]),
                         np.array([ob[2] - bi[0] + 0.5, 0.0]), np.array([ob[0] - bi[2] - 0.5, 0.0])]
                shifted = [bi + np.r_[d, d] for d in moves]
                k = min(range(4), key=lambda m: (not inside(shifted[m]), clashes(shifted[m]),
                                                 1.6 * abs(moves[m][0]) + abs(moves[m][1])))
                off[i] += moves[k]
                bi = box(i)
                moved = True
            # stay inside the axes
            off[i, 0] += max(0.0, frame.x0 - bi[0]) - max(0.0, bi[2] - frame.x1)
            off[i, 1] += max(0.0, frame.y0 - bi[1]) - max(0.0, bi[3] - frame.y1)
        if not moved:
            break
    final = []
    for t, (x, y), lab, (ox, oy), (w, h) in zip(texts, zip(xs, ys), labels, off, size):
        t.remove()
        # a label whose box no longer touches its point gets a leader line
        far = ox > marker or ox + w < -marker or oy > marker + 4 or oy + h < -marker
        arrow = {"arrowstyle": "-", "color": palette.WHISKER, "lw": 0.6, "shrinkA": 1, "shrinkB": 4} if far else None
        final.append(ax.annotate(str(lab), (x, y), xytext=(ox * 72.0 / dpi, oy * 72.0 / dpi),
                                 textcoords="offset points", fontsize=fontsize, ha="left", va="bottom",
                                 color=colour, parse_math=False, zorder=5, arrowprops=arrow))
    fig.set_layout_engine("none")
    return final


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def importance_performance_figure(ipm: pd.DataFrame, names: dict | None = None, *, outcome: str = "NPS",
                                  performance_label: str | None = None, title: str | None = None) -> Figure:
    """Importance (share of the explained variance of the outcome) against current
    performance, quadrants named for action, every touchpoint labelled."""
    fig = Figure(figsize=(9.5, 7.0), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title or TEXT["ipm_title"].format(outcome=outcome), loc="left", fontsize=12)
    if ipm is None or ipm.empty:
        ax.text(0.5, 0.5, TEXT["ipm_empty"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    x, y = ipm["performance"].to_numpy(float), ipm["importance"].to_numpy(float)
    xcut = ipm.attrs.get("performance_cut", float(np.mean(x)))
    ycut = ipm.attrs.get("importance_cut", float(np.mean(y)))
    xpad = max((x.max() - x.min()) * 0.18, 0.15)
    ax.set_xlim(x.min() - xpad, x.max() + xpad)
    # square-root scale: most touchpoints have small shares; it spreads them out so labels fit
    ax.set_yscale("function", functions=(_ssqrt, _ssquare))
    top = y.max()
    ax.set_ylim(-0.004 * top, top * 1.25)
    ticks = [t for t in (0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0) if t <= top * 1.25]
    ax.set_yticks(ticks)
    ax.axvline(xcut, color=palette.REFERENCE, lw=0.8, ls="--")
    ax.axhline(ycut, color=palette.REFERENCE, lw=0.8, ls="--")
    corners = {"fix first": (0.01, 0.99, "left", "top"), "keep up": (0.99, 0.99, "right", "top"),
               "possible overkill": (0.99, 0.01, "right", "bottom"), "low priority": (0.01, 0.01, "left", "bottom")}
    obstacles = []
    for q in QUADRANT_ORDER:
        cx, cy, ha, va = corners[q]
        obstacles.append(ax.text(cx, cy, narrative.quadrant_name(q).capitalize(), transform=ax.transAxes, ha=ha,
                                 va=va, fontsize=10.5, fontweight="bold", color=QUADRANT_COLOURS[q], alpha=0.85))
    quadrant = ipm["quadrant"].to_numpy()
    for q in QUADRANT_ORDER:
        mask = quadrant == q
        if mask.any():
            ax.scatter(x[mask], y[mask], s=42, c=QUADRANT_COLOURS[q], marker=QUADRANT_MARKERS[q], edgecolor="white",
                       linewidth=0.8, zorder=4, gid=f"quadrant:{q}")
    ax.set_xlabel(performance_label or TEXT["ipm_x"])
    ax.set_ylabel(TEXT["ipm_y"].format(outcome=outcome))
    ax.yaxis.set_major_formatter(lambda v, _pos: kpis.fmt_percent(v, 0))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.grid(color=palette.GRID_LIGHT, zorder=0)
    labels = [textwrap.shorten(n, 34, placeholder="...") for n in _names(ipm["touchpoint_id"], names)]
    place_labels(ax, x, y, labels, obstacles=obstacles)
    return fig


def attribution_figure(models: pd.DataFrame, names: dict | None = None, *, value: str = "conversions",
                       top: int = 12, title: str | None = None, half_life: float = 2.0) -> Figure:
    """Attributed conversions (or revenue) per touchpoint under every model, side by side."""
    cols = [c for c in MODEL_LABELS if c in models.columns] + [c for c in models.columns
                                                                if c.startswith("time_decay_") and c != "time_decay"]
    df = models.head(top).iloc[::-1]
    n = max(len(df), 1)
    fig = Figure(figsize=(9.5, min(2.0 + 0.55 * n, 12)), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title or TEXT["attribution_title"].format(value=value), loc="left", fontsize=12)
    if df.empty:
        ax.text(0.5, 0.5, TEXT["no_journeys"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    height = 0.8 / len(cols)
    ypos = np.arange(len(df))
    for k, c in enumerate(cols):
        label = narrative.model_label(c, half_life)
        hatch = MODEL_HATCHES[k % len(MODEL_HATCHES)] or None
        # a hatch takes the edge colour: dark on hatched bars, white between plain ones
        ax.barh(ypos + (k - (len(cols) - 1) / 2) * height, df[c].to_numpy(float), height=height,
                color=MODEL_PALETTE[k % len(MODEL_PALETTE)], hatch=hatch, label=label,
                edgecolor="#444444" if hatch else "white", linewidth=0.3)
    ax.set_yticks(ypos, _names(df["channel"], names))
    ax.set_xlabel(TEXT["attribution_x"].format(value=value))
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", color=palette.GRID_LIGHT)
    return fig


def friction_figure(friction: pd.DataFrame, names: dict | None = None, title: str | None = None) -> Figure:
    """Drop-off rate after each touchpoint with its 95% Wilson interval, against the average."""
    df = friction.iloc[::-1]
    n = max(len(df), 1)
    fig = Figure(figsize=(9.0, min(1.8 + 0.42 * n, 12)), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title or TEXT["friction_title"], loc="left", fontsize=12)
    if df.empty:
        ax.text(0.5, 0.5, TEXT["no_journeys"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    ypos = np.arange(len(df))
    rate = df["dropoff_rate"].to_numpy(float)
    err = np.vstack([rate - df["dropoff_ci_low"].to_numpy(float), df["dropoff_ci_high"].to_numpy(float) - rate])
    ax.errorbar(rate, ypos, xerr=err, fmt="none", ecolor=palette.WHISKER, elinewidth=1.2, capsize=2.5, zorder=2)
    flags = df["flag"].fillna("").to_numpy()
    for flag, marker in FLAG_MARKERS.items():
        mask = flags == flag
        if mask.any():
            ax.scatter(rate[mask], ypos[mask], c=FLAG_COLOURS[flag], marker=marker, s=34, zorder=3,
                       label=narrative.flag_name(flag) if flag else pgettext("drop-off flag", "not clearly different"))
    avg = float(df["average"].iloc[0])
    ax.axvline(avg, color="#333333", lw=0.9, ls="--")
    ax.text(avg, len(df) - 0.4, " " + TEXT["friction_average"].format(avg=kpis.fmt_percent(avg, 0)), fontsize=8.5,
            va="bottom", ha="left")
    ax.set_yticks(ypos, _names(df["channel"], names))
    ax.set_ylim(-0.7, len(df) - 0.1)
    ax.xaxis.set_major_formatter(lambda v, _pos: kpis.fmt_percent(v, 0))
    ax.set_xlabel(TEXT["friction_x"])
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_axisbelow(True)
    ax.grid(axis="x", color=palette.GRID_LIGHT)
    return fig


def priority_figure(ranking: pd.DataFrame, weights: dict, top: int = 15, title: str | None = None) -> Figure:
    """Priority score per touchpoint split into its weighted components, with rank stability."""
    df = ranking.sort_values("rank").head(top).iloc[::-1]
    n = max(len(df), 1)
    fig = Figure(figsize=(9.5, min(1.8 + 0.45 * n, 12)), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title or TEXT["priority_title"], loc="left", fontsize=12)
    if df.empty:
        ax.text(0.5, 0.5, TEXT["priority_empty"], ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    # the complaint share is a component only where the client has customer texts (as in the ranking)
    texts = "negative_theme_share" in df.columns and ranking["negative_theme_share"].notna().any()
    parts = ("experience", "sales", "reach") + (("complaints",) if texts and "complaints" in df.columns else ())
    w = {**weights, "complaints": weights.get("complaints", 0.2)}
    total = sum(w[c] for c in parts)
    ypos = np.arange(len(df))
    left = np.zeros(len(df))
    for comp in parts:
        part = 100 * w[comp] * np.nan_to_num(df[comp].to_numpy(float)) / total
        ax.barh(ypos, part, left=left, color=COMPONENT_COLOURS[comp], label=TEXT[f"priority_{comp}"],
                hatch=COMPONENT_HATCHES[comp] or None, edgecolor="#7a4500" if COMPONENT_HATCHES[comp] else "white",
                linewidth=0.4)
        left += part
    if weights.get("effort", 0) > 0:
        part = 100 * weights["effort"] * df["effort"].to_numpy(float) / total
        ax.barh(ypos, -part, color=COMPONENT_COLOURS["effort"], label=TEXT["priority_effort"])
    for yv, (sc, st) in zip(ypos, zip(df["score"], df["top3_share"])):
        text = kpis.fmt_number(sc, 0) + ("  " + TEXT["priority_stability"].format(share=kpis.fmt_percent(st, 0))
                                          if pd.notna(st) and st > 0 else "")
        ax.text(max(left[yv], sc) + 1, yv, text, va="center", fontsize=8)
    ax.set_yticks(ypos, [f"{r}. {nm}" for r, nm in zip(df["rank"], df["name"].astype(str))])
    ax.set_xlim(min(0, -100 * weights.get("effort", 0) / total) - 2, max(105, left.max() + 45))
    ax.set_xlabel(TEXT["priority_x"])
    ax.set_axisbelow(True)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", color=palette.GRID_LIGHT)
    return fig


# ---------------------------------------------------------------------------
# Figures of a step result (what the notebook shows)
# ---------------------------------------------------------------------------

def importance_performance_matrix(result) -> Figure:
    """The importance-performance matrix of a :class:`~helpers.prioritise.step.PrioritiseResult`."""
    return importance_performance_figure(result.ipm, result.labels, outcome=result.outcome_label,
                                         title=narrative.ipm_title(result))


def attribution_chart(result, value: str = "conversions") -> Figure:
    """Attributed conversions (or ``value="revenue"``) per touchpoint under every model."""
    models = result.models if value == "conversions" else result.models_revenue
    return attribution_figure(models, result.labels, value=narrative.attribution_unit(result, value),
                              half_life=result.half_life_steps, title=narrative.attribution_title(result, value))


def friction_chart(result) -> Figure:
    return friction_figure(result.friction, result.labels)


def priority_chart(result) -> Figure:
    return priority_figure(result.ranking, result.weights)
