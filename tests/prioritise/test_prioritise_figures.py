"""Figures of step 3: labels that never overlap."""

from __future__ import annotations

import itertools

import numpy as np

from helpers import prioritise


def test_labels_of_crowded_points_do_not_overlap():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rng = np.random.default_rng(2)
    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x, y = 3.5 + 0.1 * rng.random(12), 0.1 * rng.random(12)
    ax.scatter(x, y)
    ax.set_xlim(3.0, 4.5)
    ax.set_ylim(-0.2, 0.5)
    texts = prioritise.place_labels(ax, x, y, [f"Touchpoint number {i}" for i in range(12)])
    fig.canvas.draw()
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t) for t in texts]  # the text itself, without its leader line
    for i, j in itertools.combinations(range(len(boxes)), 2):
        assert not boxes[i].overlaps(boxes[j]), (i, j)
    frame = ax.get_window_extent()
    assert all(frame.x0 - 1 <= b.x0 and b.x1 <= frame.x1 + 1 for b in boxes)

