"""Canonical tables (DESIGN.md section 3) as pandera schemas.

Timestamps are stored as naive UTC (``datetime64[us]``): ingest converts from
the client's time zone, so every engine reads the same instants.
Optional columns (``segment``, ``variant``, ...) may be absent from a file;
when present they are validated.

:func:`split_valid` is how ingest applies a schema: it never raises on bad
rows, it returns the good rows and the bad rows each with a ``reason``.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from helpers.config import KINDS, STAGES
from helpers.errors import SchemaError

_ts = dict(dtype="datetime64[us]", coerce=True)


def _str(nullable: bool = False, required: bool = True, **kw) -> pa.Column:
    checks = [] if nullable else [pa.Check(lambda s: s.astype(str).str.strip().str.len() > 0, element_wise=False,
                                             error="must not be empty")]
    return pa.Column(str, nullable=nullable, required=required, coerce=True, checks=checks, **kw)


TOUCHPOINTS = pa.DataFrameSchema(
    {
        "touchpoint_id": _str(unique=True),
        "name": _str(),
        "kind": pa.Column(str, pa.Check.isin(KINDS)),
        "stage": pa.Column(str, pa.Check.isin(STAGES)),
        "owner": _str(nullable=True),
        "sources": _str(nullable=True),
    },
    name="touchpoints",
    strict=False,
)

EVENTS = pa.DataFrameSchema(
    {
        "customer_id": _str(),
        "ts": pa.Column(**_ts),
        "touchpoint_id": _str(),
        "journey_id": _str(),
        "converted": pa.Column(bool, coerce=True),
        "revenue": pa.Column(float, pa.Check.ge(0), coerce=True, nullable=True),
        "segment": _str(nullable=True, required=False),
        "variant": _str(nullable=True, required=False),
    },
    name="events",
    strict=False,
)

FEEDBACK = pa.DataFrameSchema(
    {
        "response_id": _str(unique=True),
        "survey_id": _str(nullable=True, required=False),
        "customer_id": _str(nullable=True),
        "ts": pa.Column(**_ts),
        "touchpoint_id": _str(nullable=True),
        "csat": pa.Column(float, pa.Check.isin([1, 2, 3, 4, 5]), nullable=True, coerce=True),
        "nps": pa.Column(float, pa.Check.isin(list(range(11))), nullable=True, coerce=True),
        "ces": pa.Column(float, pa.Check.in_range(1, 7), nullable=True, coerce=True, required=False),
        # binary satisfaction (Zendesk's good/bad rating): true satisfied, false not, missing = not rated
        "satisfied": pa.Column("boolean", nullable=True, coerce=True, required=False),
        "comment": _str(nullable=True, required=False),
        # coded sentiment of interview/observation quotes: -1 negative, 0 neutral, 1 positive
        "sentiment": pa.Column(float, pa.Check.in_range(-1, 1), nullable=True, coerce=True, required=False),
        "source": _str(nullable=True, required=False),
        "segment": _str(nullable=True, required=False),
        "variant": _str(nullable=True, required=False),
    },
    name="feedback",
    strict=False,
)

ORDERS = pa.DataFrameSchema(
    {
        "order_id": _str(unique=True),
        "customer_id": _str(),
        "ts": pa.Column(**_ts),
        "revenue": pa.Column(float, pa.Check.ge(0), coerce=True),
        "touchpoint_id": _str(nullable=True, required=False),
        "segment": _str(nullable=True, required=False),
    },
    name="orders",
    strict=False,
)

REVIEWS = pa.DataFrameSchema(
    {
        "review_id": _str(unique=True),
        "source": _str(),
        "ts": pa.Column(**_ts),
        "rating": pa.Column(float, pa.Check.isin([1, 2, 3, 4, 5]), coerce=True),
        "title": _str(nullable=True, required=False),
        "text": _str(nullable=True),
        "touchpoint_id": _str(nullable=True),
        "reply": _str(nullable=True, required=False),
        "language": _str(nullable=True, required=False),
    },
    name="reviews",
    strict=False,
)

COSTS = pa.DataFrameSchema(
    {
        "touchpoint_id": _str(),
        "period": pa.Column(str, pa.Check.str_matches(r"^\d{4}(Q[1-4]|-\d{2})$"), coerce=True),
        "cost": pa.Column(float, pa.Check.ge(0), coerce=True),
    },
    name="costs",
    strict=False,
    unique=["touchpoint_id", "period"],
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "touchpoints": TOUCHPOINTS,
    "events": EVENTS,
    "feedback": FEEDBACK,
    "orders": ORDERS,
    "reviews": REVIEWS,
    "costs": COSTS,
}

#: columns that must be present in a file for each table (required=True in the schema)
REQUIRED_COLUMNS = {
    name: [c for c, col in schema.columns.items() if col.required] for name, schema in SCHEMAS.items()
}

#: the unique key of each table, used for duplicate detection across chunks
KEYS = {"events": None, "feedback": "response_id", "orders": "order_id", "reviews": "review_id", "costs": None}


def columns_for(table: str) -> list[str]:
    return list(SCHEMAS[table].columns)


_TRUE = {"true", "1", "yes", "y", "t", "ja", "j"}
_FALSE = {"false", "0", "no", "n", "f", "nej"}


def _coerce(series: pd.Series, dtype: str) -> tuple[pd.Series, pd.Series]:
    """Convert one column; return (converted, mask of values that could not be read)."""
    present = series.notna()
    if dtype.startswith("datetime64"):
        if pd.api.types.is_datetime64_any_dtype(series):
            out = series.dt.tz_convert("UTC").dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        else:
            out = pd.to_datetime(series, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
        out = out.astype("datetime64[us]")
    elif dtype in ("bool", "boolean"):
        nullable = dtype == "boolean"  # pandas' nullable boolean: a missing value stays missing
        if pd.api.types.is_bool_dtype(series):
            return series.astype(dtype), pd.Series(False, index=series.index)
        text = series.astype("string").str.strip().str.lower()
        out = pd.Series(pd.NA, index=series.index, dtype="boolean")
        out[text.isin(_TRUE)] = True
        out[text.isin(_FALSE)] = False
        bad = present & out.isna()
        return (out if nullable else out.fillna(False).astype(bool)), bad
    elif dtype.startswith("float") or dtype.startswith("int"):
        out = pd.to_numeric(series, errors="coerce").astype("float64")
    else:
        # text stays in pandas' Arrow-backed ``str`` dtype (missing = NaN): converting millions of values
        # to Python objects is slow
        text = series if (pd.api.types.is_string_dtype(series) and series.dtype != object) else series.astype("str")
        out = text.str.strip().where(present)
        return out, pd.Series(False, index=series.index)
    return out, present & out.isna()


def _failure_reason(row) -> str:
    col = row.column
    check = str(row.check)
    value = row.failure_case
    if check == "not_nullable":
        what = "value is missing"
    elif check in ("field_uniqueness", "multiple_fields_uniqueness") or check.startswith("unique"):
        what = f"duplicate value {value!r}"
    elif check.startswith("isin"):
        what = f"value {value!r} is not one of the allowed values {check[len('isin('):-1]}"
    elif check.startswith("greater_than_or_equal_to"):
        what = f"value {value!r} must be >= {check.split('(')[-1].rstrip(')')}"
    elif check.startswith("in_range"):
        what = f"value {value!r} is outside the range {check[len('in_range('):-1]}"
    elif check.startswith("str_matches"):
        what = f"value {value!r} has the wrong form (expected {check[len('str_matches('):-1]})"
    else:
        what = f"value {value!r}: {check}"
    return f"{col}: {what}" if isinstance(col, str) else what


def _kind_word(dtype: str) -> str:
    if dtype.startswith("datetime64"):
        return "an ISO date/time (YYYY-MM-DD[ HH:MM:SS])"
    return {"bool": "true/false", "boolean": "true/false", "float64": "a number"}.get(dtype, dtype)


def split_valid(table: str, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate ``df`` against the canonical schema of ``table``.

    Returns ``(accepted, rejected)``. ``accepted`` has canonical dtypes and
    only the canonical columns present; ``rejected`` holds the original values
    of the failing rows plus a ``reason`` column (all reasons of a row joined
    with "; "). ``len(accepted) + len(rejected) == len(df)`` always.
    A missing required column is a file-level :class:`SchemaError`.
    """
    schema = SCHEMAS[table]
    df = df.reset_index(drop=True)
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in df.columns]
    if missing:
        raise SchemaError(f"table '{table}' lacks the column(s) {', '.join(missing)}",
                          hint=f"the file needs the columns {', '.join(REQUIRED_COLUMNS[table])}")
    keep = [c for c in schema.columns if c in df.columns]
    work = pd.DataFrame(index=df.index)
    problems: dict[int, list[str]] = {}
    for c in keep:
        col = df[c]
        if pd.api.types.is_string_dtype(col) and col.dtype != object:
            col = col.where(col.str.strip().ne("").fillna(True))
        elif pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            col = col.where(~col.astype("string").str.strip().fillna("").eq(""), None)
        dtype = str(schema.columns[c].dtype)
        work[c], bad = _coerce(col, dtype)
        if dtype == "bool" and not schema.columns[c].nullable:
            # a blank flag is not "false": a purchase must not vanish from conversion rates
            for i in col.index[col.isna()]:
                problems.setdefault(i, []).append(f"{c}: value is missing (write true or false)")
        for i in bad[bad].index:
            problems.setdefault(i, []).append(f"{c}: cannot read {df.at[i, c]!r} as {_kind_word(dtype)}")
    try:
        schema.validate(work, lazy=True)
    except SchemaErrors as exc:
        fc = exc.failure_cases
        frame_level = fc[fc["index"].isna()]
        if not frame_level.empty:
            msgs = "; ".join(sorted({f"{r.column}: {r.check}" for r in frame_level.itertuples()}))
            raise SchemaError(f"table '{table}' cannot be validated: {msgs}") from None
        for r in fc.itertuples():
            i = int(r.index)
            reason = _failure_reason(r)
            # a value that could not be read is reported once, not again as missing
            if r.check == "not_nullable" and any(p.startswith(f"{r.column}: cannot read") for p in problems.get(i, [])):
                continue
            problems.setdefault(i, []).append(reason)
    if table == "events" and {"converted", "revenue"} <= set(work.columns):
        stray = work["revenue"].fillna(0).gt(0) & ~work["converted"]
        for i in work.index[stray.to_numpy()]:
            problems.setdefault(i, []).append(
                "revenue: revenue on an event that is not a purchase (set converted to true, or leave revenue empty)")
    bad = df.index.isin(list(problems))
    rejected = df[bad].copy()
    rejected["reason"] = ["; ".join(dict.fromkeys(problems[i])) for i in rejected.index]
    accepted = work[~bad].reset_index(drop=True)
    return accepted, rejected.reset_index(drop=True)
