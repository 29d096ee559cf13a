import datetime as dt

import pytest

from helpers.errors import KitError, PeriodError
from helpers.periods import Period


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("2026Q3", dt.date(2026, 7, 1), dt.date(2026, 10, 1)),
        ("2026q1", dt.date(2026, 1, 1), dt.date(2026, 4, 1)),
        ("2025-Q4", dt.date(2025, 10, 1), dt.date(2026, 1, 1)),
        ("2026-09", dt.date(2026, 9, 1), dt.date(2026, 10, 1)),
        ("2026-12", dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
        ("2024-2", dt.date(2024, 2, 1), dt.date(2024, 3, 1)),
    ],
)
def test_parse_bounds(text, start, end):
    p = Period.parse(text)
    assert (p.start, p.end) == (start, end)
    assert p.last_day == end - dt.timedelta(days=1)


def test_labels_round_trip():
    for text in ["2026Q3", "2026-09", "2025Q1", "2025-01"]:
        assert Period.parse(Period.parse(text).label) == Period.parse(text)
        assert str(Period.parse(text)) == text


def test_previous_wraps_years():
    assert Period.parse("2026Q1").previous().label == "2025Q4"
    assert Period.parse("2026-01").previous().label == "2025-12"
    assert Period.parse("2025Q4").next().label == "2026Q1"
    assert Period.parse("2026Q3").shift(-6).label == "2025Q1"


def test_same_period_last_year():
    assert Period.parse("2026Q3").same_period_last_year().label == "2025Q3"
    assert Period.parse("2024-02").same_period_last_year().label == "2023-02"


def test_contains_is_half_open():
    q = Period.parse("2026Q3")
    assert q.contains(dt.date(2026, 7, 1))
    assert q.contains(dt.datetime(2026, 9, 30, 23, 59))
    assert not q.contains(dt.date(2026, 10, 1))
    assert not q.contains(dt.date(2026, 6, 30))


def test_last_complete_quarter():
    assert Period.last_complete_quarter(dt.date(2026, 11, 23)).label == "2026Q3"
    assert Period.last_complete_quarter(dt.date(2026, 2, 1)).label == "2025Q4"


@pytest.mark.parametrize("bad", ["2026Q5", "2026-13", "Q3 2026", "", "26Q1", "2026/09", "last quarter"])
def test_bad_strings_list_accepted_forms(bad):
    with pytest.raises(PeriodError) as info:
        Period.parse(bad)
    msg = str(info.value)
    assert "2026Q3" in msg and "2026-09" in msg
    assert isinstance(info.value, KitError)


def test_non_string_is_a_clear_error():
    with pytest.raises(PeriodError, match="must be text"):
        Period.parse(20263)


def test_bounds_are_naive_datetimes():
    start, end = Period.parse("2026Q3").bounds()
    assert start == dt.datetime(2026, 7, 1) and end == dt.datetime(2026, 10, 1)
    assert start.tzinfo is None
