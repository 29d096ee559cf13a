"""Step 2 figures show what they claim."""

from __future__ import annotations

from matplotlib.figure import Figure

from helpers import analyse


def test_figures_show_what_they_claim(hand):
    _, r = hand
    fig = analyse.kpi_figure(r.kpis["touchpoint"], title="KPIs")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Ads", "Website", "FAQ", "Store", "Checkout", "Survey mail"]
    assert "KPIs" in analyse.figure_titles(fig)
    heat = analyse.transition_heatmap(r.transitions, names=r.names)
    assert [t.get_text() for t in heat.axes[0].get_yticklabels()][0] == "(start)"
    funnel = analyse.funnel_figure(r.funnel)
    assert len(funnel.axes[0].patches) == 4
    seg = analyse.kpi_figure(r.kpis["segment"], label="segment", measures=("conversion",))
    assert [t.get_text() for t in seg.axes[0].get_yticklabels()] == ["club", "guest"]
