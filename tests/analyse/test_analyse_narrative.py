"""Step 2 sentences and tables: escaped, formatted through helpers.kpis."""

from __future__ import annotations

import pytest

from helpers import analyse


def test_show_escapes_and_formats(hand):
    _, r = hand
    html = analyse.show(r, "kpis", caption="<b>KPIs</b>")._repr_html_()
    assert "&lt;b&gt;KPIs&lt;/b&gt;" in html and "Conversion" in html and "%" in html
    for name in analyse.PARTS:
        assert analyse.show(r, name)._repr_html_()
    assert "1.0 days" not in analyse.show(r, "time_to_convert")._repr_html_()  # one day shows as 24.0 hours
    assert "24.0 hours" in analyse.show(r, "time_to_convert")._repr_html_()
    with pytest.raises(Exception, match="unknown part"):
        analyse.show(r, "nonsense")


@pytest.mark.parametrize("days, text", [(0.01, "14 minutes"), (0.5, "12.0 hours"), (3.25, "3.2 days"),
                                         (float("nan"), "n/a")])
def test_duration_words(days, text):
    assert analyse.duration(days) == text


def test_sentiment_method_is_stated(hand):
    _, r = hand
    assert "word lists" in analyse.say_sentiment(r)._repr_html_()


def test_changes_are_formatted_through_the_kpi_vocabulary(hand):
    """A change of conversion reads "+50.0 pp" in the table and the list, as in the other steps."""
    from helpers import kpis

    _, r = hand
    assert kpis.fmt_change("conversion", 0.5) == "+50.0 pp"
    changes = r.changes.assign(significant=r.changes["change"].notna() & r.changes["ci_low"].notna())
    flagged = r.__class__(**{**r.__dict__, "changes": changes})
    html = analyse.show(flagged, "changes")._repr_html_()
    web = changes[(changes["touchpoint_id"] == "web") & (changes["kpi"] == "conversion")
                  & changes["comparison"].str.startswith("previous")].iloc[0]
    assert kpis.fmt_change("conversion", web["change"]) in html
    assert kpis.fmt_interval("conversion", web["ci_low"], web["ci_high"]) in html
    items = analyse.say_changes(flagged)._repr_html_()
    assert "Website: conversion +50.0 pp" in items
    found = analyse.findings(flagged).findings
    top = analyse.significant_changes(changes, r.names).head(3)
    for _, c in top.iterrows():
        assert (f"{c['name']}: {kpis.label(c['kpi'])} {kpis.fmt_change(c['kpi'], c['change'])} against the "
                f"{c['comparison']}.") in found
