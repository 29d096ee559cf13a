"""Data-derived text is escaped wherever the display helpers put it."""

import pandas as pd

from helpers import display

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_say_escapes_values_but_keeps_the_template():
    html = display.say("Worst touchpoint: <b>{tp}</b> at {v:.1f}", tp=PAYLOAD, v=2.345)._repr_html_()
    assert "<b>" in html and "2.3" in html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_show_table_escapes_cells_and_caption():
    df = pd.DataFrame({"name": [PAYLOAD], "rate": [0.1234], "value": [1234.5678]})
    html = display.show_table(df, caption=PAYLOAD, percent=["rate"])._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert "12.3%" in html and "1,234.57" in html


def test_show_table_says_when_rows_are_cut():
    html = display.show_table(pd.DataFrame({"a": range(100)}), max_rows=10)._repr_html_()
    assert "Showing 10 of 100 rows" in html


def test_bullets_escape_unless_trusted():
    assert "&lt;i&gt;" in display.bullets(["<i>x</i>"])._repr_html_()
    assert "<i>x</i>" in display.bullets(["<i>x</i>"], trusted=True)._repr_html_()


def test_plain_text_fallback_strips_markup():
    assert repr(display.HTML("<p>a &amp; b</p>")) == "a & b"


def _rows(n):
    return pd.DataFrame({"touchpoint": [f"tp{i}" for i in range(n)], "records": range(n)})


def test_a_long_table_folds_under_its_visible_caption():
    html = display.show_table(_rows(display.COLLAPSE_ROWS + 5), caption="All records")._repr_html_()
    before, folded = html.split("<details", 1)
    assert "All records" in before and "<table" not in before
    assert "<summary>Show the table (20 rows)</summary>" in folded and "<table" in folded and "tp19" in folded


def test_a_short_table_stays_open_unless_asked():
    assert "<details" not in display.show_table(_rows(display.COLLAPSE_ROWS))._repr_html_()
    assert "<details" in display.show_table(_rows(3), collapse=True)._repr_html_()
    assert "<details" not in display.show_table(_rows(40), collapse=False)._repr_html_()


def test_change_label_shows_the_description_with_the_id_small_and_escaped():
    df = pd.DataFrame({"Change": [display.change_label("CH-1", "New <b>checkout</b>"), display.change_label("CH-2")],
                       "KPI": ["CSAT", "NPS"]})
    html = display.show_table(df)._repr_html_()
    assert 'New &lt;b&gt;checkout&lt;/b&gt; <small class="tp-id">CH-1</small>' in html
    assert "<td>CH-2</td>" in html and "<b>" not in html and "TPKITCELL" not in html
    assert str(display.change_label("CH-1", "New checkout")) == "New checkout (CH-1)"
    assert str(display.change_label("CH-2", float("nan"))) == "CH-2"


def test_a_folded_table_inside_a_folded_block_opens_with_it():
    inner = display.show_table(_rows(30))._repr_html_()
    outer = f'<details class="tp-details"><summary>All 30 themes</summary>{inner}</details>'
    out = display.unfold_nested(outer)
    assert out.count("<details") == 1 and out.count("</details>") == 1
    assert "<summary>All 30 themes</summary>" in out and "Show the table" not in out and "tp29" in out
    assert display.unfold_nested(inner) == inner  # alone it stays folded


def test_a_table_of_many_columns_is_marked_wide_for_a_landscape_print_page():
    wide = pd.DataFrame({f"c{i}": [1] for i in range(display.WIDE_COLUMNS)})
    assert 'class="dataframe tp-table tp-wide"' in display.show_table(wide)._repr_html_()
    assert "tp-wide" not in display.show_table(wide.iloc[:, 1:])._repr_html_()
    # few columns but long texts side by side (a method and a note) need the landscape page too
    texty = pd.DataFrame({"Method": ["interrupted time series (weighted segmented regression)"],
                          "Checks": ["pre-trend passed (p = 0.996); placebo 8 weeks earlier"],
                          "Note": ["seasonal adjustment with 52 weeks of history"]})
    assert "tp-wide" in display.show_table(texty)._repr_html_()
