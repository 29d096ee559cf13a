"""The report's colours stay apart in greyscale print (helpers.palette), checked on the palette and on a figure."""

import io
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from helpers import palette


@pytest.mark.parametrize(("colour", "expected"), [
    ("#ffffff", 100.0), ("#000000", 0.0),
    # published CIE L* of sRGB greys: 119/255 is L* 50.03, 128/255 is L* 53.59 (Lindbloom's calculator)
    ("#777777", 50.03), ("#808080", 53.59),
    # sRGB primaries: red L* 53.24, green 87.73, blue 32.30
    ("#ff0000", 53.24), ("#00ff00", 87.73), ("#0000ff", 32.30),
])
def test_lightness_matches_published_cie_lstar(colour, expected):
    assert palette.lightness(colour) == pytest.approx(expected, abs=0.02)


def test_lightness_rejects_a_malformed_colour():
    with pytest.raises(ValueError, match="#rrggbb"):
        palette.lightness("#fff")


@pytest.mark.parametrize("name", sorted(palette.GROUPS))
def test_every_group_is_apart_in_greyscale_or_marked(name):
    group = palette.GROUPS[name]
    assert palette.confusable(group) == []


def test_the_checker_catches_a_confusable_pair():
    red_green = palette.Group({"a": "#c0392b", "b": "#2e8b57"})  # the old sentiment pair: L* 45 and 51
    assert palette.confusable(red_green) == [("a", "b")]
    assert palette.confusable(palette.Group(red_green.colours, {"a": "///", "b": ""})) == []


def test_the_four_journey_stages_differ_in_lightness_alone():
    """Bars of the stage funnel carry no marker: their four colours must differ by lightness."""
    levels = [palette.lightness(palette.STAGE_COLOURS[s]) for s in ("awareness", "consideration", "decision",
                                                                      "retention")]
    assert all(abs(a - b) >= palette.MIN_DELTA_L for a, b in combinations(levels, 2))


def _grey_levels_of_bars(fig) -> list[float]:
    """CIE L* of the centre pixel of each bar of a rendered figure, read back from the PNG."""
    from matplotlib.image import imread

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)  # same dpi: data coordinates map to pixels
    buf.seek(0)
    img = imread(buf)
    height, width = img.shape[:2]
    ax = fig.axes[0]
    levels = []
    for bar in ax.patches:
        if bar.get_width() <= 0:
            continue
        x, y = bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2
        px, py = ax.transData.transform((x, y))
        r, g, b = img[int(height - py), int(px), :3]
        # ITU-R BT.601 luma: how a greyscale printer renders the pixel; then its lightness
        luma = 0.299 * r + 0.587 * g + 0.114 * b
        levels.append(palette.lightness((luma, luma, luma)))
    return levels


def test_a_rendered_funnel_prints_as_distinct_greys():
    from helpers.analyse import figures

    funnel = pd.DataFrame({"stage": ["awareness", "consideration", "decision", "retention"],
                           "journeys": [4000, 2500, 900, 400], "step_conversion": [0.6, 0.4, 0.3, np.nan],
                           "step_conversion_ci_low": [0.55, 0.35, 0.25, np.nan],
                           "step_conversion_ci_high": [0.65, 0.45, 0.35, np.nan]})
    levels = _grey_levels_of_bars(figures.funnel_figure(funnel))
    assert len(levels) == 4
    gaps = [abs(a - b) for a, b in combinations(levels, 2)]
    # BT.601 luma differs a little from L*'s luminance weights: allow a few units of slack
    assert min(gaps) >= palette.MIN_DELTA_L - 4, levels
