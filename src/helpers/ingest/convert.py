"""Value conversion for raw exports: local date/times to naive UTC, numbers with decimal commas.

Each function returns ``(converted, bad)`` where ``bad`` marks values that were
present but could not be read; the caller turns those into reject reasons.

Time zones: raw timestamps without an offset are local times in the client's
``timezone`` (or the source's own ``timezone:``). Daylight saving is applied
per value. Two rules make every local time readable:

* an *ambiguous* time (the repeated hour when clocks go back, 02:30 on the last
  Sunday of October in Europe) is read as its **first** occurrence (summer
  time), the earlier instant;
* a *nonexistent* time (the skipped hour when clocks go forward, 02:30 on the
  last Sunday of March) is read as if the clock had not been moved yet: it is
  shifted **forward by one hour** (02:30 -> 03:30 summer time = 01:30 UTC).

Values with an explicit offset (``2026-03-29T02:30:00+01:00``, ``...Z``) are
converted from that offset instead.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

DATE_SHORT = "YYYY-MM-DD HH:MM:SS, DD-MM-YYYY or DD.MM.YYYY"
DATE_FORMS = "YYYY-MM-DD[ HH:MM[:SS]], DD-MM-YYYY, DD.MM.YYYY or DD/MM/YYYY (with an optional time)"

_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_DAYFIRST = re.compile(r"^\s*(\d{1,2})[-./](\d{1,2})[-./](\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
_YEARFIRST_SLASH = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip()


def as_text(series: pd.Series) -> pd.Series:
    """Raw values as trimmed text (``str`` dtype); blanks become missing; 12345.0 from Excel reads "12345"."""
    if pd.api.types.is_bool_dtype(series):
        text = series.map({True: "true", False: "false"}).astype("str")
    elif pd.api.types.is_float_dtype(series):
        vals = series.to_numpy()
        integral = pd.notna(vals) & (np.mod(np.nan_to_num(vals), 1) == 0)
        text = series.astype("str").where(~integral, series.where(integral).astype("Int64").astype("str"))
        text = text.where(series.notna())
    elif pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        text = series.astype("str").where(series.notna())
    else:
        if not pd.api.types.is_string_dtype(series) or series.dtype == object:
            series = series.map(lambda v: v if v is None or isinstance(v, str) or v is pd.NA
                                or (isinstance(v, float) and np.isnan(v)) else str(v))
        text = series.astype("str").str.strip()
    return text.where(text.notna() & text.ne(""))


def _from_parts(parts: pd.DataFrame, day: int, month: int, year: int) -> pd.Series:
    y = pd.to_numeric(parts[year], errors="coerce")
    y = y.where(y >= 100, 2000 + y)
    frame = pd.DataFrame({
        "year": y,
        "month": pd.to_numeric(parts[month], errors="coerce"),
        "day": pd.to_numeric(parts[day], errors="coerce"),
        "hour": pd.to_numeric(parts[3], errors="coerce").fillna(0),
        "minute": pd.to_numeric(parts[4], errors="coerce").fillna(0),
        "second": pd.to_numeric(parts[5], errors="coerce").fillna(0),
    })
    return pd.to_datetime(frame, errors="coerce")


def parse_local_naive(series: pd.Series, date_format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Read text date/times without converting zones: (naive datetime64[us], has_offset mask, ...).

    Returns ``(naive, offset_mask)``; values with an explicit offset are returned already in UTC and
    flagged in ``offset_mask`` so they are not localised again.
    """
    text = _as_text(series)
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    offset = pd.Series(False, index=series.index)
    present = text.notna() & text.ne("")
    if not present.any():
        return out, offset
    if date_format:
        parsed = pd.to_datetime(text.where(present), format=date_format, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            offset[:] = parsed.notna()
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        return parsed.astype("datetime64[us]"), offset
    fast = _arrow_iso(text.where(present))
    if fast is not None:  # the usual case: every value a plain ISO date/time, parsed strictly by Arrow
        return fast, offset
    has_off = present & text.str.contains(_OFFSET, regex=True, na=False)
    plain = present & ~has_off
    if plain.any():
        parsed = pd.to_datetime(text.where(plain), format="ISO8601", errors="coerce")
        out[plain] = parsed[plain].astype("datetime64[us]")
    if has_off.any():
        parsed = pd.to_datetime(text.where(has_off), format="ISO8601", errors="coerce", utc=True)
        out[has_off] = parsed[has_off].dt.tz_localize(None).astype("datetime64[us]")
        offset |= has_off & out.notna()
    left = present & out.isna()
    if left.any():
        sub = text[left]
        parts = sub.str.extract(_DAYFIRST)
        ok = parts[0].notna()
        if ok.any():
            out.loc[ok[ok].index] = _from_parts(parts[ok], 0, 1, 2).astype("datetime64[us]")
        rest = sub[~ok]
        if not rest.empty:
            parts = rest.str.extract(_YEARFIRST_SLASH)
            ok2 = parts[0].notna()
            if ok2.any():
                out.loc[ok2[ok2].index] = _from_parts(parts[ok2], 2, 1, 0).astype("datetime64[us]")
    return out, offset


def _arrow_iso(text: pd.Series) -> pd.Series | None:
    """All values as naive ``datetime64[us]`` when every one is a valid ISO date/time without an offset.

    Arrow's cast is strict (no 30 February, no hour 24) and fast; one value it cannot read makes the
    caller take the slower path that tries the other forms value by value.
    """

    try:
        arr = pa.array(text, type=pa.string(), from_pandas=True).cast(pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    return pd.Series(arr.to_numpy(zero_copy_only=False), index=text.index).astype("datetime64[us]")


def localize_to_utc(naive: pd.Series, timezone: str) -> pd.Series:
    """Naive local times -> naive UTC (ambiguous: first occurrence; nonexistent: shifted forward 1 h)."""
    if timezone in ("UTC", "Etc/UTC", "GMT") or naive.isna().all():
        return naive.astype("datetime64[us]")
    aware = naive.dt.tz_localize(timezone, ambiguous=np.ones(len(naive), dtype=bool),
                                 nonexistent=pd.Timedelta(hours=1))
    return aware.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def parse_timestamps(series: pd.Series, timezone: str = "UTC", date_format: str | None = None
                     ) -> tuple[pd.Series, pd.Series]:
    """Raw date/times (text, Excel or Parquet values) -> naive UTC ``datetime64[us]`` and a mask of bad values."""
    present = series.notna()
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            out = series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        else:
            out = localize_to_utc(series.astype("datetime64[us]"), timezone)
        return out, pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]"), present
    naive, offset = parse_local_naive(series, date_format)
    local = ~offset
    out = naive.copy()
    if local.any():
        out[local] = localize_to_utc(naive[local], timezone)
    present &= _as_text(series).fillna("").ne("")
    return out, present & out.isna()


_CURRENCY = re.compile(r"(?i)(?:kr\.?|dkk|nok|sek|eur|usd|gbp|€|\$|£|,-)")


def parse_numbers(series: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Raw numbers -> float64 and a mask of bad values.

    Accepts "1234.5", "1234,5" (decimal comma), "1.234,50" and "1 234,50" (thousands separators),
    currency marks ("kr", "DKK", "€") and a trailing ",-". ``decimal=","`` reads "1.234" as 1234
    (otherwise 1.234); "12.5" is 12.5 either way.
    """
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64"), pd.Series(False, index=series.index)
    text = _as_text(series)
    present = text.notna() & text.ne("")
    if decimal == ",":
        out = pd.Series(np.nan, index=series.index)
        cand = text[present]
    else:
        out = pd.to_numeric(text.where(present), errors="coerce").astype("float64")
        cand = text[present & out.isna()]
    if not cand.empty:
        cleaned = cand.str.replace(_CURRENCY, "", regex=True).str.replace(r"[\s\u00a0\u202f']", "", regex=True)
        cleaned = cleaned.str.replace("\u2212", "-", regex=False)
        comma_dec = cleaned.str.fullmatch(r"[-+]?\d{1,3}(?:\.\d{3})*,\d+|[-+]?\d+,\d+|[-+]?\d{1,3}(?:\.\d{3})+")
        if decimal == ",":
            comma_dec = comma_dec | cleaned.str.fullmatch(r"[-+]?\d+")
        dot_thousands = cleaned.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
        fixed = cleaned.copy()
        fixed[comma_dec] = cleaned[comma_dec].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        fixed[dot_thousands & ~comma_dec] = cleaned[dot_thousands & ~comma_dec].str.replace(",", "", regex=False)
        out[cand.index] = pd.to_numeric(fixed, errors="coerce").astype("float64")
    return out, present & out.isna()
