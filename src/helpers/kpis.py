"""One definition per KPI: its name, label, unit, scale, good direction and formats.

Every step and the executive summary format KPI values through this module, so a
conversion effect reads the same everywhere ("+7.4 pp" in a table, "+7.4 percentage
points" in a sentence) and a p value is never shown in scientific notation.

>>> kpis.get("conversion").label
'Conversion rate'
>>> kpis.fmt_level("conversion", 0.301)
'30.1%'
>>> kpis.fmt_change("csat", 0.25)
'+0.25'
>>> kpis.fmt_interval("nps", -3.0, 8.5)
'-3.0 to +8.5'
>>> kpis.fmt_p(3e-18)
'< 0.001'

Numbers are formatted with Babel for a locale: the one given, else the report's
active language (:func:`helpers.i18n.activate`), so the same calls give "30,1 %" in a
Danish report.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from babel import Locale
from babel.numbers import NumberPattern, format_decimal

from helpers import i18n
from helpers.i18n import N_

Unit = Literal["proportion", "rating", "nps", "currency", "count", "days", "ratio"]


@dataclass(frozen=True)
class KPI:
    """How one KPI is named, scaled and shown.

    ``unit`` decides the formats: a ``proportion`` is shown in percent and changes in
    percentage points; a ``rating`` keeps two decimals on its ``scale``; ``nps`` is in
    points (-100..100) with one decimal; ``currency`` uses the client's currency.
    ``higher_is_better`` is None where no direction is good in itself (volume).
    """

    name: str
    label: str
    short: str
    unit: Unit
    scale: tuple[float, float] | None = None
    higher_is_better: bool | None = True
    decimals: int = 2

    @property
    def is_proportion(self) -> bool:
        return self.unit == "proportion"

    @property
    def change_unit(self) -> str:
        """The unit a change of this KPI is stated in, for sentences."""
        return {"proportion": N_("percentage points"), "nps": N_("NPS points"), "rating": N_("points"),
                "currency": "", "count": "", "days": N_("days"), "ratio": ""}[self.unit]

    @property
    def change_unit_short(self) -> str:
        # Translators: abbreviation of "percentage points" after a change of a rate ("+7.4 pp")
        return {"proportion": N_("pp"), "nps": "", "rating": "", "currency": "", "count": "",
                "days": N_("d"), "ratio": ""}[self.unit]


KPIS: dict[str, KPI] = {k.name: k for k in (
    KPI("conversion", N_("Conversion rate"), N_("conversion"), "proportion", (0, 1), decimals=1),
    KPI("csat", N_("CSAT (1-5)"), N_("CSAT"), "rating", (1, 5)),
    KPI("top2box", N_("Top-2-box (CSAT 4-5)"), N_("top-2-box"), "proportion", (0, 1), decimals=1),
    KPI("nps", N_("NPS (points)"), N_("NPS"), "nps", (-100, 100), decimals=1),
    KPI("ces", N_("Customer effort (CES)"), N_("CES"), "rating", (1, 7), higher_is_better=False),
    KPI("revenue", N_("Revenue per journey"), N_("revenue per journey"), "currency", decimals=0),
    KPI("volume", N_("Weekly events"), N_("weekly events"), "count", higher_is_better=None, decimals=0),
    KPI("events", N_("Events"), N_("events"), "count", higher_is_better=None, decimals=0),
    KPI("customers", N_("Customers"), N_("customers"), "count", higher_is_better=None, decimals=0),
    KPI("journeys", N_("Journeys"), N_("journeys"), "count", higher_is_better=None, decimals=0),
    KPI("exit_rate", N_("Exit rate without purchase"), N_("exit rate"), "proportion", (0, 1), higher_is_better=False,
        decimals=1),
    KPI("repeat_rate", N_("Repeat purchase rate"), N_("repeat rate"), "proportion", (0, 1), decimals=1),
    KPI("positive", N_("Positive comments"), N_("positive share"), "proportion", (0, 1), decimals=1),
    KPI("negative", N_("Negative comments"), N_("negative share"), "proportion", (0, 1), higher_is_better=False,
        decimals=1),
    KPI("rating", N_("Review rating (1-5)"), N_("rating"), "rating", (1, 5)),
    KPI("clv", N_("Customer lifetime value"), N_("CLV"), "currency", decimals=0),
)}

#: KPIs whose values are shares (0..1) and are shown in percent
PERCENT_KPIS = tuple(k for k, v in KPIS.items() if v.is_proportion)

MISSING = ""


def get(name: str) -> KPI:
    """The definition of KPI ``name``; an unknown name gets a neutral two-decimal definition."""
    if name in KPIS:
        return KPIS[name]
    return KPI(name, name, name, "ratio", higher_is_better=None)


def label(name: str) -> str:
    """The KPI's label in the report's language."""
    return i18n._(get(name).label)


def short(name: str) -> str:
    """The KPI's short name for sentences, in the report's language."""
    return i18n._(get(name).short)


def _finite(v) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _loc(locale: str | None) -> str:
    """The locale to format for: the one given, else the report's active language."""
    return locale or i18n.locale()


def _decimal(v: float, decimals: int, locale: str | None, sign: bool = False) -> str:
    locale = _loc(locale)
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(abs(v) if sign else v, format=pattern, locale=locale)
    if not sign:
        return text
    # a change that rounds to zero carries no sign
    if float(f"{abs(v):.{decimals}f}") == 0:
        return text
    return ("+" if v > 0 else "-") + text


def fmt_number(v, decimals: int = 0, locale: str | None = None, sign: bool = False) -> str:
    """A plain number with the locale's separators ("1,022,937"; "1.022.937" in Danish)."""
    return _decimal(float(v), decimals, locale, sign) if _finite(v) else MISSING


def fmt_count(n, locale: str | None = None) -> str:
    return fmt_number(n, 0, locale)


@lru_cache(maxsize=64)
def _pattern(locale: str, kind: str, decimals: int) -> tuple[Locale, NumberPattern]:
    """The locale's own percent or currency pattern with ``decimals`` fraction digits."""
    loc = Locale.parse(locale)
    base = loc.percent_formats[None] if kind == "percent" else loc.currency_formats["standard"]
    pattern = copy.copy(base)
    pattern.frac_prec = (decimals, decimals)
    return loc, pattern


def fmt_percent(v, decimals: int = 1, locale: str | None = None, sign: bool = False) -> str:
    """A share (0..1) in percent: "30.1%" (en), "30,1 %" (da, sv, nb)."""
    if not _finite(v):
        return MISSING
    v = float(v)
    loc, pattern = _pattern(_loc(locale), "percent", decimals)
    text = pattern.apply(abs(v) if sign else v, loc)
    if sign and float(f"{abs(v) * 100:.{decimals}f}") != 0:
        text = ("+" if v > 0 else "-") + text
    return text


def fmt_money(v, currency: str | None, decimals: int = 0, locale: str | None = None) -> str:
    """An amount in the client's currency ("DKK 1,234" / "1.234 kr."); a bare number without one."""
    if not _finite(v):
        return MISSING
    if not currency:
        return fmt_number(v, decimals, locale)
    locale = _loc(locale)
    loc, pattern = _pattern(locale, "currency", decimals)
    text = pattern.apply(float(v), loc, currency=currency, currency_digits=False)
    if locale == "en" and text.lstrip("-").startswith(currency):
        # "DKK1,234" reads better with a space, as English business text writes it
        text = text.replace(currency, currency + "\u00a0", 1)
    return text


def fmt_level(kpi: str, v, locale: str | None = None, currency: str | None = None) -> str:
    """A KPI's value as the report shows it: "30.1%", "3.62", "12.4", "DKK 1,250"."""
    if not _finite(v):
        return MISSING
    k = get(kpi)
    if k.is_proportion:
        return fmt_percent(v, k.decimals, locale)
    if k.unit == "currency":
        return fmt_money(v, currency, k.decimals, locale)
    return fmt_number(v, k.decimals, locale)


def fmt_change(kpi: str, v, locale: str | None = None, long: bool = False) -> str:
    """A change of a KPI in its own unit: "+7.4 pp" (or "+7.4 percentage points" with ``long``)."""
    if not _finite(v):
        return MISSING
    k = get(kpi)
    value = float(v) * (100 if k.is_proportion else 1)
    text = _decimal(value, k.decimals, locale, sign=True)
    unit = k.change_unit if long else k.change_unit_short
    return f"{text} {i18n._(unit)}" if unit else text


def fmt_interval(kpi: str, low, high, locale: str | None = None, change: bool = True) -> str:
    """An interval of a change ("+1.2 to +8.5", in pp for proportions) or of a level (``change=False``)."""
    if not (_finite(low) and _finite(high)):
        return MISSING
    if change:
        k = get(kpi)
        scale = 100 if k.is_proportion else 1
        lo = _decimal(float(low) * scale, k.decimals, locale, sign=True)
        hi = _decimal(float(high) * scale, k.decimals, locale, sign=True)
    else:
        lo, hi = fmt_level(kpi, low, locale), fmt_level(kpi, high, locale)
    # Translators: an interval, e.g. "+1.2 to +8.5" or "3.10 to 3.40"
    return i18n._("{low} to {high}").format(low=lo, high=hi)


def fmt_day(day, locale: str | None = None) -> str:
    """A day as a figure's date axis writes it, in the active language: "1 Jul" (en), "1. jul." (da)."""
    from babel.dates import format_skeleton

    return format_skeleton("MMMd", day, locale=_loc(locale))


def date_axis(axis) -> None:
    """Label a matplotlib date axis with :func:`fmt_day` in the active language (matplotlib writes English)."""
    from matplotlib.dates import num2date
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_day(num2date(v).date())))


def fmt_p(p, locale: str | None = None) -> str:
    """A p value with three decimals, "< 0.001" below that; never scientific notation."""
    if not _finite(p):
        return MISSING
    p = float(p)
    if p < 0.001:
        return "< " + format_decimal(0.001, format="0.000", locale=_loc(locale))
    return format_decimal(p, format="0.000", locale=_loc(locale))
