"""Step 1, narrative layer: sentences, tables and findings say what the result shows, escaped."""

from __future__ import annotations

from pathlib import Path

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
