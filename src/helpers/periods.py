"""Reporting periods: calendar quarters ("2026Q3") and months ("2026-09").

>>> p = Period.parse("2026Q3")
>>> p.start, p.end
(datetime.date(2026, 7, 1), datetime.date(2026, 10, 1))

``end`` is exclusive, so a timestamp ``ts`` is in the period when
``start <= ts < end``; ``last_day`` is the inclusive last date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from helpers.errors import PeriodError

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
ACCEPTED_FORMS = "a quarter such as '2026Q3' (also '2026-Q3') or a month such as '2026-09'"


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter or month. Build with :meth:`parse`."""

    year: int
    index: int  # quarter 1-4 or month 1-12
    kind: str  # "quarter" or "month"

    @classmethod
    def parse(cls, text: "str | Period") -> "Period":
        if isinstance(text, Period):
            return text
        if not isinstance(text, str):
            raise PeriodError(
                f"period must be text, got {type(text).__name__} {text!r}",
                hint=f"give {ACCEPTED_FORMS}",
            )
        m = _QUARTER.match(text)
        if m:
            return cls(int(m.group(1)), int(m.group(2)), "quarter")
        m = _MONTH.match(text)
        if m and 1 <= int(m.group(2)) <= 12:
            return cls(int(m.group(1)), int(m.group(2)), "month")
        raise PeriodError(f"'{text}' is not a period", hint=f"give {ACCEPTED_FORMS}")

    @classmethod
    def containing(cls, day: dt.date, kind: str = "quarter") -> "Period":
        if kind == "quarter":
            return cls(day.year, (day.month - 1) // 3 + 1, "quarter")
        return cls(day.year, day.month, "month")

    @classmethod
    def last_complete_quarter(cls, today: dt.date | None = None) -> "Period":
        today = today or dt.date.today()
        return cls.containing(today, "quarter").previous()

    @property
    def months(self) -> int:
        return 3 if self.kind == "quarter" else 1

    @property
    def _first_month(self) -> int:
        return (self.index - 1) * 3 + 1 if self.kind == "quarter" else self.index

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self._first_month, 1)

    @property
    def end(self) -> dt.date:
        """First day after the period (exclusive bound)."""
        m0 = self.year * 12 + self._first_month - 1 + self.months
        return dt.date(m0 // 12, m0 % 12 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.index}" if self.kind == "quarter" else f"{self.year}-{self.index:02d}"

    def shift(self, n: int) -> "Period":
        per_year = 4 if self.kind == "quarter" else 12
        k = self.year * per_year + self.index - 1 + n
        return Period(k // per_year, k % per_year + 1, self.kind)

    def previous(self) -> "Period":
        return self.shift(-1)

    def next(self) -> "Period":
        return self.shift(1)

    def same_period_last_year(self) -> "Period":
        return Period(self.year - 1, self.index, self.kind)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``(start, end)`` as naive datetimes (UTC, like stored timestamps); ``end`` exclusive."""
        return dt.datetime.combine(self.start, dt.time()), dt.datetime.combine(self.end, dt.time())

    def contains(self, when: dt.date | dt.datetime) -> bool:
        day = when.date() if isinstance(when, dt.datetime) else when
        return self.start <= day < self.end

    def __str__(self) -> str:
        return self.label
