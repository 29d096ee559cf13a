"""The report's colours, in one place, chosen to stay apart when a report is printed in greyscale.

Every figure module takes its colours from here. Within each group, two colours either differ by at
least :data:`MIN_DELTA_L` in CIE L* lightness (what is left of a colour in greyscale print) or carry
their own marker, hatch or line style (:data:`GROUPS` lists both), so that no two series can be
confused on a black-and-white page. ``tests/test_palette.py`` checks this for every group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

#: smallest difference in CIE L* (0 black .. 100 white) that reads as a different grey in print
MIN_DELTA_L = 15.0

INK = "#222222"  # outlines, interval lines, zero lines
MUTED = "#555555"  # secondary lines and outlines
REFERENCE = "#888888"  # dashed reference lines (averages, cut-offs)
WHISKER = "#999999"  # error bars
GRID = "#e5e5e5"
GRID_LIGHT = "#eeeeee"
PANEL = "#f4f4f4"  # background of the touchpoint map's stage columns
ALERT = "#8a1c1c"  # "no data" text on the touchpoint map
SEQUENTIAL = "Blues"  # heatmaps: one hue, lightness carries the value

# journey stages (analyse): light to dark blue, retention orange, unknown grey; each stage has its own marker
STAGE_COLOURS = {"awareness": "#c6dbef", "consideration": "#3f7fb5", "decision": "#1f4e79",
                 "retention": "#e39b3b", "unknown": "#9a9a9a"}
STAGE_MARKERS = {"awareness": "o", "consideration": "s", "decision": "D", "retention": "^", "unknown": "X"}

# touchpoint kinds (identify map): fill and edge
KIND_COLOURS = {"physical": "#f3c37b", "digital": "#6b9fd1"}
KIND_EDGES = {"physical": "#9a5b00", "digital": "#1f4e79"}

# sentiment bars (analyse): negative is hatched as well as darker
SENTIMENT_COLOURS = {"negative": "#a93226", "positive": "#7dcea0"}
SENTIMENT_HATCHES = {"negative": "///", "positive": ""}

# importance-performance quadrants (prioritise)
QUADRANT_COLOURS = {"fix first": "#a93226", "keep up": "#1e8449", "possible overkill": "#e0a040",
                    "low priority": "#aab7b8"}
QUADRANT_MARKERS = {"fix first": "D", "keep up": "o", "possible overkill": "s", "low priority": "^"}

# priority score components (prioritise)
COMPONENT_COLOURS = {"experience": "#1f4e79", "sales": "#e08a1e", "reach": "#7fb3d5", "effort": "#e6e6e6",
                     "complaints": "#a23b3b"}
COMPONENT_HATCHES = {"experience": "", "sales": "///", "reach": "", "effort": "", "complaints": "..."}

# attribution models (prioritise): lightness alternates dark/light and each model has its own hatching
MODEL_PALETTE = ["#1f4e79", "#f5cba7", "#e08a1e", "#a9cce3", "#76448a", "#7fb3d5", "#c39bd3"]
MODEL_HATCHES = ["", "", "///", "...", "--", "\\\\\\", "xx"]

# exit rate against the average (prioritise)
FLAG_COLOURS = {"above average": "#a93226", "below average": "#1e8449", "": MUTED}
FLAG_MARKERS = {"above average": "^", "below average": "v", "": "o"}

# evaluation figures (evaluate): fitted before, changed series, comparison series, the change's date
EVALUATE_COLOURS = {"before": "#1f4e79", "changed": "#d9822b", "comparison": "#a6a6a6", "change": "#b22222"}
EVALUATE_STYLES = {"before": "-", "changed": "-o", "comparison": ":s", "change": ":|"}


@dataclass(frozen=True)
class Group:
    """Colours used side by side in one figure, with what else tells them apart (marker, hatch, line)."""

    colours: dict[str, str]
    marks: dict[str, str] = field(default_factory=dict)


GROUPS: dict[str, Group] = {
    "stages": Group(STAGE_COLOURS, STAGE_MARKERS),
    "kinds": Group(KIND_COLOURS),
    "sentiment": Group(SENTIMENT_COLOURS, SENTIMENT_HATCHES),
    "quadrants": Group(QUADRANT_COLOURS, QUADRANT_MARKERS),
    "components": Group(COMPONENT_COLOURS, COMPONENT_HATCHES),
    "models": Group(dict(enumerate(MODEL_PALETTE)), dict(enumerate(MODEL_HATCHES))),
    "flags": Group(FLAG_COLOURS, FLAG_MARKERS),
    "evaluate": Group(EVALUATE_COLOURS, EVALUATE_STYLES),
}


def rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` as sRGB components in 0..1."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def lightness(colour) -> float:
    """CIE L* (D65) of an sRGB colour given as ``#rrggbb`` or as 0..1 components."""
    r, g, b = rgb(colour) if isinstance(colour, str) else colour[:3]

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    return 116 * y ** (1 / 3) - 16 if y > (6 / 29) ** 3 else y * (29 / 3) ** 3


def confusable(group: Group, min_delta: float = MIN_DELTA_L) -> list[tuple]:
    """Pairs of a group's keys that print as about the same grey and share the same (or no) mark."""
    out = []
    for a, b in combinations(group.colours, 2):
        close = abs(lightness(group.colours[a]) - lightness(group.colours[b])) < min_delta
        if close and group.marks.get(a, "") == group.marks.get(b, ""):
            out.append((a, b))
    return out
