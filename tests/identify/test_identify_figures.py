"""Step 1, figures layer: the journey map (cards, labels, sizes) and how it shows in a notebook."""

from __future__ import annotations

import pandas as pd
import pytest
from identify_cases import Q3, build_project, ts
from matplotlib.figure import Figure

from helpers import display, identify


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return identify.run("shop", Q3, root=build_project(tmp_path_factory.mktemp("identify_figures")))


def test_card_heights_grow_with_reach():
    h = identify.card_heights(pd.Series([0, 25, 100]))
    assert h.iloc[0] == pytest.approx(1.0) and h.iloc[2] == pytest.approx(1.8)
    assert h.iloc[0] < h.iloc[1] < h.iloc[2]
    assert (identify.card_heights(pd.Series([0, 0])) == 1.0).all()


def test_journey_map_cards_and_titles(shop):
    fig = identify.journey_map(shop.inventory, unknowns=shop.unknowns, title=shop.title)
    assert isinstance(fig, Figure)
    assert identify.journey_cards(fig) == list(shop.inventory["touchpoint_id"])
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Customer journey map: Shop & <Co>, 2026Q3"
    texts = [t.get_text() for t in ax.texts]
    for label in ("Awareness", "Consideration", "Decision", "Retention", "BEFORE PURCHASE", "DURING PURCHASE",
                  "AFTER PURCHASE"):
        assert label in texts
    assert texts.count("BEFORE PURCHASE") == 1  # one phase label spans awareness and consideration
    assert any("CSAT 3.00 (n=2)" in t for t in texts)
    assert any("no data in period" in t for t in texts)
    assert any("tiktok_ads (2 records)" in t for t in texts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["physical", "digital", "no data in period"]
    cards = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("card:")}
    assert cards["card:store"].get_facecolor() != cards["card:website"].get_facecolor()  # kinds differ
    assert cards["card:checkout"].get_height() > cards["card:search_ads"].get_height()  # reach 3 vs 1
    assert cards["card:trade_fair"].get_linestyle() == "--"


def test_journey_map_draws_names_literally():
    cat = pd.DataFrame([{"touchpoint_id": "price", "name": "Fix $5$ 50% {x}", "kind": "physical",
                         "stage": "decision", "phase": "during purchase", "owner": "x", "sources": "events"}])
    act = identify.combine_activity([pd.DataFrame({
        "touchpoint_id": ["price"], "source": ["events"], "records": [1], "customers": [1],
        "first_seen": [ts("2026-07-01")], "last_seen": [ts("2026-07-01")]})])
    fig = identify.journey_map(identify.build_inventory(cat, act), title="Map of $A$ & B")
    fig.canvas.draw()  # mathtext would fail or change the text here
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("Fix $5$ 50% {x}" in t for t in texts)
    assert "1 customer\n" in next(t for t in texts if "customer" in t)


def test_figures_show_as_png_in_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert display.enable_figures() is True
        fig = identify.journey_map(pd.DataFrame(columns=["touchpoint_id", "name", "kind", "stage", "status",
                                                         "customers", "volume", "csat", "csat_n"]), title="Empty")
        data, _ = shell.display_formatter.format(fig)
    finally:
        InteractiveShell.clear_instance()
    assert data["image/png"]  # base64 PNG, not only "<Figure size ...>"
    assert identify.journey_cards(fig) == []
