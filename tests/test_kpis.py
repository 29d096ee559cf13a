"""helpers.kpis: one format per quantity, in the locale's own conventions, never scientific notation."""

from __future__ import annotations

import math

import pytest

from helpers import i18n, kpis

NBSP = "\u00a0"


@pytest.mark.parametrize("locale, number, percent", [
    ("en", "1,234.5", "30.1%"),
    ("da", "1.234,5", f"30,1{NBSP}%"),
    ("sv", f"1{NBSP}234,5", f"30,1{NBSP}%"),
    ("nb", f"1{NBSP}234,5", f"30,1{NBSP}%"),
])
def test_numbers_and_percentages_follow_the_locale(locale, number, percent):
    assert kpis.fmt_number(1234.5, 1, locale) == number
    assert kpis.fmt_percent(0.301, 1, locale) == percent
    assert kpis.fmt_level("conversion", 0.301, locale) == percent


def test_the_active_language_is_the_default_locale():
    with i18n.using("da"):
        assert kpis.fmt_count(1022937) == "1.022.937"
        assert kpis.fmt_p(6.46e-18) == "< 0,001"
    assert kpis.fmt_count(1022937) == "1,022,937"


def test_changes_are_in_the_kpis_own_unit():
    assert kpis.fmt_change("conversion", 0.074) == "+7.4 pp"
    assert kpis.fmt_change("conversion", 0.074, long=True) == "+7.4 percentage points"
    assert kpis.fmt_change("csat", -0.25) == "-0.25"
    assert kpis.fmt_change("nps", 3.04, long=True) == "+3.0 NPS points"
    assert kpis.fmt_change("conversion", 0.00004) == "0.0 pp"  # rounds to zero: no sign
    assert kpis.fmt_interval("conversion", 0.061, 0.089) == "+6.1 to +8.9"
    assert kpis.fmt_interval("csat", 3.1, 3.4, change=False) == "3.10 to 3.40"


def test_p_values_are_never_in_scientific_notation():
    for p in (6.46e-18, 1e-300, 0.0, 0.00049, 0.0005, 0.0312, 0.5, 1.0):
        text = kpis.fmt_p(p)
        assert "e" not in text.lower() and text
        value = float(text.lstrip("< "))
        assert value == pytest.approx(max(round(p, 3), 0.001) if p < 0.001 else round(p, 3), abs=1e-12)
    assert kpis.fmt_p(math.nan) == ""


def test_money_carries_the_clients_currency():
    assert kpis.fmt_money(1234.4, "DKK") == f"DKK{NBSP}1,234"
    assert kpis.fmt_money(1234.4, "DKK", locale="da") == f"1.234{NBSP}kr."
    assert kpis.fmt_money(1234.4, "SEK", locale="sv") == f"1{NBSP}234{NBSP}kr"
    assert kpis.fmt_money(1234.4, None) == "1,234"


def test_every_kpi_has_a_label_and_a_unit_and_unknown_ones_are_neutral():
    for name, k in kpis.KPIS.items():
        assert k.label and k.short and k.unit
        assert kpis.label(name) == k.label
    assert kpis.get("mystery").unit == "ratio" and kpis.fmt_level("mystery", 1.234) == "1.23"
    assert set(kpis.PERCENT_KPIS) >= {"conversion", "top2box", "exit_rate"}


def test_fmt_day_writes_the_short_day_and_month_of_each_language():
    import datetime as dt

    day = dt.date(2026, 7, 1)
    # CLDR's MMMd patterns: English "Jul 1", Danish "1. jul.", Swedish "1 juli", Norwegian "1. juli"
    assert [kpis.fmt_day(day, locale=loc) for loc in ("en", "da", "sv", "nb")] == ["Jul 1", "1. jul.", "1 juli",
                                                                                   "1. juli"]


def test_a_date_axis_is_labelled_in_the_active_language():
    import datetime as dt

    from matplotlib.figure import Figure

    from helpers import i18n

    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([dt.date(2026, 7, 1), dt.date(2026, 9, 30)], [1, 2])
    with i18n.using("da"):
        kpis.date_axis(ax.xaxis)
        labels = [ax.xaxis.get_major_formatter()(v) for v in ax.get_xticks()]
    assert labels and any("aug." in t or "sep." in t for t in labels), labels
    assert not any(m in " ".join(labels) for m in ("Aug", "Sep"))
