"""Step 1, narrative layer: sentences, tables and findings say what the result shows, escaped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from identify_cases import Q3, build_project

from helpers import identify
from helpers.errors import DataError


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("identify_narrative"))


@pytest.fixture(scope="module")
def shop(project):
    return identify.run("shop", Q3, root=project)


def test_sentences_escape_data(shop):
    html = identify.say_overview(shop)._repr_html_()
    assert "Shop &amp; &lt;Co&gt;" in html and "<Co>" not in html
    assert "12 events" in html
    assert "Trade fair" in identify.say_blind_spots(shop)._repr_html_()
    assert "tiktok_ads" in identify.say_unknowns(shop)._repr_html_()
    touches = identify.say_touches(shop)._repr_html_()
    assert "tiktok_ads (not catalogued)" in touches and "Website" in touches
    assert "12.5%" in identify.say_sources(shop)._repr_html_()


def test_show_tables_are_escaped_with_readable_headers(shop):
    html = identify.show(shop, "inventory", caption="Inventory")._repr_html_()
    assert "Store &lt;Main St&gt;" in html and "<Main St>" not in html
    assert "Sources with data" in html and "catalogued_sources" not in html
    assert "2026-05-01" in identify.show(shop, "blind_spots")._repr_html_()
    assert "12.5%" in identify.show(shop, "sources")._repr_html_()
    with pytest.raises(DataError, match="use one of"):
        identify.show(shop, "nonsense")


def test_empty_tables_show_a_note(project):
    res = identify.run("solo", Q3, root=project)
    html = identify.show(res, "unknowns", empty="All catalogued.")._repr_html_()
    assert "All catalogued." in html and "<table" not in html


def test_wording_helpers_format_numbers_through_kpis():
    from helpers.identify import narrative

    assert narrative.count(1, "record") == "1 record"
    assert narrative.count(2830, "record") == "2,830 records"
    assert narrative.count(0, "event") == "0 events"
    row = {"name": "Support chat", "status": "ok", "customers": 1234, "volume": 5000, "csat": 3.456, "csat_n": 1500}
    assert narrative.card_lines(row) == ["Support chat", "1,234 customers", "CSAT 3.46 (n=1,500)"]
    assert narrative.card_lines({**row, "customers": 0, "csat": float("nan")})[1:] == ["5,000 records",
                                                                                      "CSAT: no ratings"]
    assert narrative.card_lines({**row, "status": "no data"})[1:] == ["no data in period"]


def test_pretty_formats_counts_shares_and_dates():
    from helpers.identify import narrative

    df = pd.DataFrame({"rows": [1022937], "share_rejected": [0.000041], "csat": [3.5],
                       "first": pd.to_datetime(["2026-07-01 10:00"]), "rejected": pd.array([pd.NA], dtype="Int64")})
    out = narrative.pretty(df).iloc[0].to_dict()
    assert out == {"Rows": "1,022,937", "Share rejected": "0.0%", "CSAT": "3.50", "From": "2026-07-01",
                   "Rejected": ""}


def test_blind_spot_issue_and_names():
    from helpers.identify import narrative

    assert narrative.blind_spot_issue("no data", "", pd.Timestamp("2026-05-01 10:00")) == (
        "no data in the period (last seen 2026-05-01)")
    assert narrative.blind_spot_issue("no data", "", pd.NaT) == "no data in the period (never seen)"
    assert narrative.blind_spot_issue("one source", "events", pd.Timestamp("2026-07-01")) == "only one source (events)"
    assert narrative.not_catalogued("tiktok_ads") == "tiktok_ads (not catalogued)"
    many = pd.DataFrame({"name": list("ABCDEFG")})
    assert narrative.names(many) == "A, B, C, D, E and 2 more"


def test_absent_sources_are_named_in_one_sentence():
    from helpers.identify import narrative

    assert narrative.absent_sentence(()) == ""
    one = narrative.absent_sentence(("costs",))
    assert one.startswith("This client supplied no cost data.") and "CSAT" not in one
    both = narrative.absent_sentence(("feedback", "reviews"))
    assert both.startswith("This client supplied no feedback or review data. Without feedback, no touchpoint has "
                           "a CSAT score.")
    assert narrative.absent_data(("feedback", "orders", "costs")) == "feedback, order or cost data"


def test_shop_findings_read_as_sentences(shop):
    text = identify.findings(shop).findings
    assert text[0] == "6 catalogued touchpoints; 5 with data in 2026Q3."
    assert "Blind spot: no data in 2026Q3 for Trade fair." in text
    assert "1 touchpoint relies on a single data source: Search ads." in text
    assert "Not in the catalogue: tiktok_ads (2 records), instagram (1 record); add to client.yml." in text
    assert text[-2] == "Most common first touch: tiktok_ads (not catalogued) (40% of journeys started in 2026Q3)."
    assert text[-1] == "No cost data for this client: that source is missing from the analysis."
    assert "costs" in shop.absent  # the shop supplied no costs: said in the text of the sources
    assert "This client supplied no cost data." in identify.say_sources(shop)._repr_html_()
