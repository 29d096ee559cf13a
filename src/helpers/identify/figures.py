"""The journey map of step 1 as a matplotlib :class:`~matplotlib.figure.Figure` (never pyplot).

Every label on it comes from :mod:`.narrative`; the layout (card sizes, columns,
phases) is drawn here.

>>> fig = journey_map(result.inventory, unknowns=result.unknowns, title=result.title)
>>> journey_cards(fig)      # touchpoint ids of the cards, in drawing order
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from helpers import display, palette
from helpers.config import STAGE_PHASE, STAGES
from helpers.i18n import _
from helpers.identify import narrative
from helpers.identify.compute import STATUS_NO_DATA

MAP_WIDTH_INCHES = 10.5
# the two kinds differ in lightness as well as hue (they stay apart in greyscale print) and in hatching
KIND_COLOURS = palette.KIND_COLOURS  # from helpers.palette: apart in greyscale print
KIND_EDGES = palette.KIND_EDGES
KIND_HATCHES = {"physical": "", "digital": "/"}


def card_heights(reach: pd.Series, low: float = 1.0, high: float = 1.8) -> pd.Series:
    """Card size per touchpoint from ``low`` (no reach) to ``high`` (the largest reach), on a
    square-root scale so that card area, not side length, follows reach. Used for heights
    and (with other bounds) widths."""
    reach = pd.to_numeric(reach).fillna(0).clip(lower=0).astype("float64")
    top = reach.max()
    if not top or top <= 0:
        return pd.Series(low, index=reach.index)
    return low + (high - low) * (reach / top) ** 0.5


def _stage_column(ax, x0: float, col_w: float, body_h: float, stage: str) -> None:
    ax.add_patch(FancyBboxPatch((x0, -(body_h + 0.25)), col_w, body_h + 0.25 + 0.6,
                                boxstyle="round,pad=0,rounding_size=0.12", facecolor=palette.PANEL,
                                edgecolor="none", zorder=0))
    ax.text(x0 + col_w / 2, 0.33, narrative.stage_label(stage), ha="center", va="center", fontsize=12,
            fontweight="bold", color=palette.INK)


def _phase_label(ax, columns: list[str], phase: str, col_w: float, col_gap: float) -> None:
    same = [j for j, s in enumerate(columns) if STAGE_PHASE[s] == phase]
    left = same[0] * (col_w + col_gap)
    right = same[-1] * (col_w + col_gap) + col_w
    ax.plot([left + 0.05, right - 0.05], [0.95, 0.95], color=palette.MUTED, lw=1.5)
    ax.text((left + right) / 2, 1.05, narrative.phase_label(phase), ha="center", va="bottom", fontsize=10,
            color="#444444", fontweight="bold")


def _card(ax, row, x0: float, col_w: float, y: float, h: float, w: float, inch: float) -> None:
    no_data = row["status"] == STATUS_NO_DATA
    ax.add_patch(FancyBboxPatch(
        (x0 + (col_w - w) / 2, y - h), w, h, boxstyle="round,pad=0,rounding_size=0.1",
        facecolor="white" if no_data else KIND_COLOURS.get(row["kind"], "#dddddd"),
        hatch=None if no_data else (KIND_HATCHES.get(row["kind"]) or None),
        edgecolor=KIND_EDGES.get(row["kind"], palette.MUTED), linewidth=1.6 if not no_data else 1.4,
        linestyle="--" if no_data else "-", zorder=2, gid=f"card:{row['touchpoint_id']}",
    ))
    lines = narrative.card_lines(row)
    # name above, details below, the block centred in the card (line heights in layout units)
    name_h = (lines[0].count("\n") + 1) * 10.5 * 1.2 / 72 / inch
    detail_h = (len(lines) - 1) * 9 * 1.25 / 72 / inch
    mid = y - h / 2 + (name_h + detail_h + 0.12) / 2
    ax.text(x0 + col_w / 2, mid, lines[0], ha="center", va="top", fontsize=10.5, linespacing=1.2,
            fontweight="bold", color="#111111", zorder=3, parse_math=False)
    ax.text(x0 + col_w / 2, mid - name_h - 0.12, "\n".join(lines[1:]), ha="center", va="top",
            fontsize=9, color="#333333" if not no_data else palette.ALERT, zorder=3,
            linespacing=1.25, parse_math=False)


def _legend(ax, n_unknown: int) -> None:
    words = narrative.map_legend()
    handles = [Patch(facecolor=KIND_COLOURS["physical"], edgecolor=KIND_EDGES["physical"], label=words["physical"]),
               Patch(facecolor=KIND_COLOURS["digital"], edgecolor=KIND_EDGES["digital"],
                     hatch=KIND_HATCHES["digital"], label=words["digital"]),
               Patch(facecolor="white", edgecolor=palette.MUTED, linestyle="--", label=words["no_data"])]
    ax.legend(handles=handles, loc="lower right", ncol=3, frameon=False, fontsize=9,
              bbox_to_anchor=(1.0, -0.02 if not n_unknown else 0.0), title=_(narrative.MAP_LEGEND_TITLE),
              title_fontsize=9)


def journey_map(inventory: pd.DataFrame, *, unknowns: pd.DataFrame | None = None,
                title: str | None = None) -> Figure:
    """The journey as a picture: stages as columns (labelled before/during/after purchase),
    one card per catalogued touchpoint, coloured by kind, sized by reach, with its current
    CSAT; touchpoints without data have a dashed outline. Ids in the data but not in the
    catalogue are listed under the map."""
    columns = list(STAGES)
    per_stage = {s: inventory[inventory["stage"] == s] for s in columns}
    reach = inventory["customers"].where(inventory["customers"] > 0, inventory["volume"])
    gap, col_w, col_gap, head = 0.35, 3.0, 0.35, 1.3
    text_lines = pd.Series([sum(part.count("\n") + 1 for part in narrative.card_lines(r))
                            for _i, r in inventory.iterrows()], index=inventory.index, dtype="float64")
    # area follows reach, but a card is never lower than its text
    heights = card_heights(reach, low=1.25, high=2.1).combine(0.24 * text_lines + 0.45, max)
    widths = card_heights(reach, low=0.78 * (col_w - 0.24), high=col_w - 0.24)
    stack = [heights[per_stage[s].index].sum() + gap * max(len(per_stage[s]) - 1, 0) for s in columns]
    body_h = max(max(stack, default=0), 1.2)
    n_unknown = 0 if unknowns is None else len(unknowns)
    foot = 0.9 if n_unknown else 0.3
    total_h = head + body_h + 0.4 + foot
    total_w = len(columns) * col_w + (len(columns) - 1) * col_gap
    inch = MAP_WIDTH_INCHES / total_w  # inches per layout unit: fonts stay legible when printed
    fig = Figure(figsize=(MAP_WIDTH_INCHES, min(max(total_h * inch, 4.0), 18.0)), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(-0.1, total_w + 0.1)
    ax.set_ylim(-(body_h + 0.4 + foot), head + 0.1)
    ax.set_axis_off()
    ax.set_title(_(narrative.MAP_TITLE) if title is None else title, fontsize=14, loc="left", fontweight="bold",
                 parse_math=False)
    phases_done = set()
    for i, stage in enumerate(columns):
        x0 = i * (col_w + col_gap)
        _stage_column(ax, x0, col_w, body_h, stage)
        if STAGE_PHASE[stage] not in phases_done:
            _phase_label(ax, columns, STAGE_PHASE[stage], col_w, col_gap)
            phases_done.add(STAGE_PHASE[stage])
        y = -0.1
        for idx, row in per_stage[stage].iterrows():
            h, w = float(heights[idx]), float(widths[idx])
            _card(ax, row, x0, col_w, y, h, w, inch)
            y -= h + gap
    _legend(ax, n_unknown)
    if n_unknown:
        ax.text(0, -(body_h + 0.55), narrative.map_footer(unknowns), ha="left", va="top", fontsize=9.5,
                color=palette.ALERT, fontweight="bold", parse_math=False)
    return fig


def journey_cards(fig: Figure) -> list[str]:
    """Touchpoint ids of the cards drawn on a journey map (in drawing order)."""
    return [p.get_gid().split(":", 1)[1] for ax in fig.axes for p in ax.patches
            if (p.get_gid() or "").startswith("card:")]


display.enable_figures()
