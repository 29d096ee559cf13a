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
