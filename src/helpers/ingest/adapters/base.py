"""The adapter interface: how one kind of raw export becomes rows of a canonical table.

An adapter is chosen per source in client.yml (``tool:`` names a tool preset,
otherwise ``adapter:``, default ``canonical``) and gets the source's options
(``columns:`` and extra keys). It reads the file's columns, checks that what
it needs is there (a missing column is a file-level :class:`SchemaError`),
and turns each raw chunk into a frame with canonical column names holding the
raw values. Conversion, validation, pseudonymisation and accounting are
shared (helpers.ingest.core). The life of an adapter on one file::

    adapter = cls(source, cfg, path, label)    # options checked (ConfigError)
    reader = adapter.open()                    # helpers.ingest.readers.Reader
    adapter.bind(reader.columns)               # raw column of each canonical column
    for chunk in reader.chunks():
        frame, rows = adapter.records(chunk)   # canonical names, raw values, file rows; `_reject` column
    frame, rows = adapter.finish()             # records held back until the end of the file (or None)
    adapter.notes, adapter.warnings            # shown in ingest's summary; warnings go in the manifest

Options every adapter understands:

``columns``        canonical column -> column name in the file
``constants``      canonical column -> one value for every row (``source: trustpilot``)
``touchpoint_map`` raw value -> touchpoint id ("Butik Aarhus": store); values equal to a
                   catalogue id or name (any case) are mapped without being listed
``timezone``       time zone of this file's timestamps when it differs from the client's
``sheet``          Excel sheet name or 0-based number; ``header_row``: 1-based row of the header

A tool preset (:class:`ToolPreset`) is an adapter for the export of one named
tool; see the package docstring (``helpers.ingest.adapters``).
"""

from __future__ import annotations

import difflib
import hashlib
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from helpers.config import ClientConfig, SourceMapping
from helpers.errors import ConfigError, SchemaError
from helpers.ingest.readers import Layout, RawChunk, Reader, open_reader
from helpers.schema import REQUIRED_COLUMNS, SCHEMAS, columns_for


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


class Adapter:
    """Base adapter: canonical columns found by name (or through ``columns:``), one record per row."""

    name = "canonical"
    #: options this adapter reads besides the SourceMapping fields
    options: tuple[str, ...] = ()
    #: True when one raw row can give several records (rows_read then counts records)
    reshapes = False
    #: other names a canonical column often has in this kind of export (matched ignoring case,
    #: spaces and punctuation), used when ``columns:`` does not name the column
    aliases: dict[str, tuple[str, ...]] = {}
    #: canonical columns the adapter makes itself (not read from one raw column)
    produces: tuple[str, ...] = ()
    _common = ("constants", "touchpoint_map", "timezone", "sheet", "header_row")

    def __init__(self, source: SourceMapping, cfg: ClientConfig, path: Path, label: str) -> None:
        self.source = source
        self.cfg = cfg
        self.path = path
        self.label = label  # file path shown in messages (relative to the client folder)
        self.table = source.table
        self.opts = dict(source.model_extra or {})
        self.check_options()
        self.timezone = self.opts.get("timezone") or cfg.timezone
        self.constants = {str(k): v for k, v in (self.opts.get("constants") or {}).items()}
        self.mapping: dict[str, str] = {}  # canonical -> raw column
        self.tp_lookup = self._touchpoint_lookup()
        #: what the adapter did that the analyst should know (renamed columns, excluded test responses)
        self.notes: list[str] = []
        #: what may be wrong (a property missing from the data); recorded in the manifest
        self.warnings: list[str] = []

    # -- options
    def _where(self) -> str:
        return f"source '{self.source.file}' (table {self.table}, {self._kind()})"

    def _kind(self) -> str:
        tool = getattr(self.source, "tool", None)
        return f"tool '{tool}'" if tool else f"adapter '{self.name}'"

    def option_error(self, key: str, problem: str, hint: str | None = None) -> ConfigError:
        """A :class:`ConfigError` naming client.yml, the source and its option ``key``."""
        return ConfigError(f"{self._where()}: `{key}`: {problem}", file=self.cfg.path, hint=hint)

    def column_keys(self) -> list[str]:
        """The names ``columns:`` of this source may map: canonical columns and the adapter's own fields."""
        return list(dict.fromkeys([*columns_for(self.table), *getattr(self, "FIELDS", {}), *self.extra_column_keys]))

    #: names besides the canonical columns that ``columns:`` may map (GA4's ``user_pseudo_id``, ...)
    extra_column_keys: ClassVar[tuple[str, ...]] = ()

    def check_options(self) -> None:
        """Unknown options, values outside what an option accepts and options that contradict each other
        are :class:`ConfigError` naming the file, the source, the option and the allowed values."""
        allowed = list(self.options + self._common)
        fields = [f for f in SourceMapping.model_fields if f not in self.opts]
        for key in self.opts:
            if key not in allowed:
                raise ConfigError(
                    f"{self._where()}: unknown option '{key}'{did_you_mean(key, allowed + fields)}",
                    file=self.cfg.path,
                    hint=f"a source has the keys {', '.join(fields)}; this {self._kind()} also reads "
                         f"{', '.join(allowed) or 'none'}")
        keys = self.column_keys()
        for canon in self.source.columns:
            if canon not in keys:
                raise self.option_error(f"columns.{canon}", f"'{canon}' is not a column of this source"
                                        f"{did_you_mean(canon, keys)}", hint=f"`columns:` maps {', '.join(keys)}")
        for key, value in self.opts.items():
            check = self.option_checks.get(key) or OPTION_CHECKS.get(key)
            problem = check(self, value) if check else None
            if problem:
                raise self.option_error(key, problem)
        self.check_conflicts()

    #: checks of this adapter's own options (see :data:`OPTION_CHECKS`)
    option_checks: ClassVar[dict[str, Callable[[Any, Any], str | None]]] = {}

    #: option -> the canonical column it sets for every row (then the column must not be mapped as well)
    option_sets: ClassVar[dict[str, str]] = {"touchpoint": "touchpoint_id", "site": "source"}

    def check_conflicts(self) -> None:
        """Options that contradict each other or the column mapping."""
        mapped = set(self.source.columns)
        constants = self.opts.get("constants") or {}
        for key, canon in self.option_sets.items():
            if key not in self.opts or key not in self.options:
                continue
            if canon in mapped:
                raise self.option_error(key, f"sets '{canon}' of every row, but `columns:` also maps '{canon}' to "
                                             f"the column '{self.source.columns[canon]}'",
                                        hint=f"keep one: remove `{key}:` or remove `{canon}` from `columns:`")
            if canon in constants:
                raise self.option_error(key, f"sets '{canon}' of every row, as `constants.{canon}` does",
                                        hint=f"keep one of `{key}:` and `constants.{canon}`")
        for canon in constants:
            if canon in mapped:
                raise self.option_error(f"constants.{canon}", f"sets '{canon}' of every row, but `columns:` also "
                                                              f"maps it to the column '{self.source.columns[canon]}'",
                                        hint=f"keep one: remove `constants.{canon}` or `columns.{canon}`")
        if self.opts.get("header_row") is not None and not self.source.header:
            raise self.option_error("header_row", "names the row of the header, but the source has `header: false`",
                                    hint="remove one of `header_row:` and `header: false`")
        if self.opts.get("sheet") is not None:
            fmt = self.source.format
            suffix = Path(self.source.file).suffix.lower()
            if fmt not in ("auto", "xlsx") or (fmt == "auto" and suffix not in (".xlsx", ".xlsm", "")):
                raise self.option_error("sheet", f"is for Excel workbooks; '{self.source.file}' is not one",
                                        hint="remove `sheet:` (or name the .xlsx file)")
        if "csat_columns" in self.opts and self.opts.get("layout") == "long":
            raise self.option_error("layout", "is 'long' (one touchpoint per row), but `csat_columns:` describes a "
                                              "wide export (one column per touchpoint)",
                                    hint="remove `layout: long`, or remove `csat_columns:` and map touchpoint_id")
        wide = "csat_columns" in self.opts or self.opts.get("layout") == "wide"
        for key in ("comment_columns", "overall_csat"):
            if key in self.opts and key in self.options and not wide:
                raise self.option_error(key, "is read only from a wide export (`csat_columns:`, one column per "
                                             "touchpoint)", hint=f"add `csat_columns:` or remove `{key}:`")

    # -- reading
    #: how the file's header is laid out; a preset may set it (Qualtrics: three header rows)
    def layout(self) -> Layout:
        s = self.source
        return Layout(header=s.header, names=s.names, header_rows=s.header_rows, skip_rows=s.skip_rows)

    def open(self) -> Reader:
        s = self.source
        self.reader = open_reader(self.path, s.format, delimiter=s.delimiter, encoding=s.encoding,
                                  sheet=self.opts.get("sheet"), header_row=self.opts.get("header_row"),
                                  layout=self.layout())
        self.notes.extend(self.reader.notes)
        return self.reader

    def want(self) -> list[str]:
        """Canonical columns this adapter fills from the file."""
        return columns_for(self.table)

    #: fill required but nullable columns (feedback.customer_id, reviews.text, ...) with nulls when the
    #: export has no such column; the canonical adapter insists on every required column instead
    fill_nullable = False

    def required(self) -> list[str]:
        need = [c for c in REQUIRED_COLUMNS[self.table] if c not in self.constants and c not in self.produces]
        if self.fill_nullable:
            cols = SCHEMAS[self.table].columns
            need = [c for c in need if not cols[c].nullable]
        return need

    def output_columns(self) -> list[str]:
        """Canonical columns of the records (after :meth:`bind`)."""
        have = set(self.mapping) | set(self.constants) | set(self.produces)
        if self.fill_nullable:
            have |= set(REQUIRED_COLUMNS[self.table])
        return [c for c in columns_for(self.table) if c in have]

    def option_column(self, option: str, columns: list[str]) -> str | None:
        """A raw column named by an adapter option, checked against the file."""
        raw = self.opts.get(option)
        if raw is None:
            return None
        hit = raw if raw in columns else {_norm(c): c for c in columns}.get(_norm(raw))
        if hit is None:
            raise SchemaError(f"the column '{raw}' (option `{option}` in client.yml) is not in the file",
                              file=self.label, row=1, column=str(raw),
                              hint=f"the file has the columns: {_list(columns)}")
        return hit

    def bind(self, columns: list[str]) -> None:
        """Find the raw column of each canonical column; raise when a required one is missing."""
        explicit = dict(self.source.columns)
        by_norm = {_norm(c): c for c in columns}
        for canon, raw in explicit.items():
            if raw not in columns:
                alt = by_norm.get(_norm(raw))
                if alt is None:
                    raise SchemaError(
                        f"the column '{raw}' (mapped to '{canon}' in client.yml) is not in the file",
                        file=self.label, row=1, column=raw,
                        hint=f"the file has the columns: {_list(columns)}; correct `columns:` of this source",
                    )
                raw = alt
            self.mapping[canon] = raw
        for canon in self.want():
            if canon not in self.mapping and canon not in self.constants:
                for name in (canon, *self.aliases.get(canon, ())):
                    hit = by_norm.get(_norm(name))
                    if hit is not None:
                        self.mapping[canon] = hit
                        break
        self._check_ambiguous(columns)
        missing = [c for c in self.required() if c not in self.mapping]
        if missing:
            raise SchemaError(
                f"required column(s) missing for table '{self.table}': {', '.join(missing)}",
                file=self.label, row=1, column=missing[0],
                hint=_missing_hint(columns, missing),
            )

    def _check_ambiguous(self, columns: list[str]) -> None:
        """A mapped column whose name the file repeats cannot be told apart from its namesakes."""
        renamed = getattr(getattr(self, "reader", None), "renamed", {}) or {}
        for canon, raw in self.mapping.items():
            if raw in renamed.values():
                where = [i for i, c in enumerate(columns, start=1) if c == raw or renamed.get(c) == raw]
                others = [repr(c) for c in columns if renamed.get(c) == raw]
                raise SchemaError(
                    f"the header names column '{raw}' {len(where)} times (columns "
                    f"{', '.join(map(str, where[:-1]))} and {where[-1]})".replace(" 2 times", " twice"),
                    file=self.label, row=1, column=raw,
                    hint=f"'{raw}' is read as '{canon}': give the columns distinct names in the export, or map "
                         f"`{canon}` to the one meant by its new name ({', '.join(others)})")

    def records(self, chunk: RawChunk) -> tuple[pd.DataFrame, np.ndarray]:
        """Canonical column names, raw values; and the file row of each record.

        A column ``_reject`` (text or missing) rejects a record for a reason only the adapter knows.
        """
        frame = pd.DataFrame({canon: chunk.frame[raw] for canon, raw in self.mapping.items()},
                             index=chunk.frame.index)
        for canon, value in self.constants.items():
            frame[canon] = value
        if self.fill_nullable:
            cols = SCHEMAS[self.table].columns
            for canon in REQUIRED_COLUMNS[self.table]:
                if canon not in frame and cols[canon].nullable:
                    frame[canon] = None
        return frame, chunk.rows

    def finish(self) -> tuple[pd.DataFrame, np.ndarray] | None:
        """Records held back until the whole file was read (several raw rows per record); None by default."""
        return None

    # -- touchpoints
    def _touchpoint_lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for tp in self.cfg.touchpoints:
            lookup[tp.id.lower()] = tp.id
            lookup[tp.name.strip().lower()] = tp.id
        for raw, tp_id in (self.opts.get("touchpoint_map") or {}).items():
            lookup[str(raw).strip().lower()] = str(tp_id)
        return lookup

    def map_touchpoints(self, series: pd.Series) -> pd.Series:
        """Catalogue names and ``touchpoint_map`` values to ids; other values are kept as they are."""
        if series.isna().all():
            return series
        codes, uniques = pd.factorize(series)
        mapped = np.array([self.tp_lookup.get(str(u).strip().lower(), u) for u in uniques] + [None], dtype=object)
        return pd.Series(mapped[codes], index=series.index).astype("str")


def _list(columns: list[str], n: int = 20) -> str:
    shown = ", ".join(f"'{c}'" for c in columns[:n])
    return shown + (f" and {len(columns) - n} more" if len(columns) > n else "")


def _missing_hint(columns: list[str], missing: list[str]) -> str:
    if len(columns) == 1:
        only = columns[0]
        for sep, word in ((";", "semicolons"), (",", "commas"), ("\t", "tabs"), ("|", "bars")):
            if sep in only:
                return (f"the header holds one column '{only[:60]}', which looks separated by {word}: set "
                        f"`delimiter: \"{sep}\"` for this source in client.yml (or remove a wrong `delimiter:`)")
    if columns and _looks_like_data(columns):
        return "the first row looks like data, not column names: add a header row to the export"
    example = ", ".join(f"{c}: <column in file>" for c in missing)
    return f"the file has the columns: {_list(columns)}; add the columns or map them in client.yml: " \
           f"`columns: {{{example}}}`"


_DATA_LIKE = re.compile(r"^\s*(?:[-+]?\d+(?:[.,]\d+)?|\d{4}-\d{1,2}-\d{1,2}.*|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}.*)\s*$")


def _looks_like_data(columns: list[str]) -> bool:
    """A header with a date among its names, or mostly numbers, is a data row."""
    hits = [bool(_DATA_LIKE.match(str(c))) for c in columns]
    dates = any(re.match(r"^\s*(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})", str(c)) for c in columns)
    return dates or sum(hits) * 2 >= len(columns)


def stable_id(*parts) -> str:
    """A short deterministic id for exports without one (review sites, coding sheets)."""
    joined = "\x1f".join("" if p is None or (isinstance(p, float) and np.isnan(p)) else str(p) for p in parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- tool presets


@dataclass
class Sample:
    """The head of one raw file, for tool detection (made by :func:`helpers.ingest.detect.sample`).

    ``rows`` are the first records as text cells, header rows included (CSV and Excel); ``columns`` the
    names of the first row (CSV, Excel) or the fields (Parquet, JSON, nested names joined with "."),
    ``records`` the first records of a JSON/Parquet file as dicts (nested values kept).
    """

    path: Path
    format: str  # csv, xlsx, parquet, json, jsonl
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def norm_columns(self) -> set[str]:
        return {_norm(c) for c in self.columns}

    def has(self, *names: str) -> bool:
        """Every one of ``names`` is a column (ignoring case, spaces and punctuation)."""
        cols = self.norm_columns
        return all(_norm(n) in cols for n in names)


@dataclass
class Detection:
    """How well a preset recognises a file: ``score`` 0 (not this tool) .. 1 (certain), and why."""

    tool: str
    table: str
    score: float
    evidence: list[str] = field(default_factory=list)
    #: source-entry keys the file itself decides (``header_rows: 3``, ``date_format: ...``)
    options: dict = field(default_factory=dict)


class ToolPreset(Adapter):
    """An adapter for the export of one named tool (``tool: qualtrics`` in a source).

    A preset subclasses the adapter of its family (``SurveyAdapter``, ``ReviewsAdapter``, ``CrmAdapter``,
    ...) together with this class, sets ``tool`` and ``tables`` and implements :meth:`detect`. It may
    override ``open`` (header rows, skipped rows), ``bind``, ``records`` and ``finish``; ``self.notes``
    and ``self.warnings`` reach the analyst.
    """

    #: the name in ``tool:`` and in ``tpkit add-source --tool``
    tool: ClassVar[str] = ""
    #: canonical tables the tool's exports can feed; the first is the default
    tables: ClassVar[tuple[str, ...]] = ()
    #: one line for ``tpkit add-source`` and docs/ingest.md
    summary: ClassVar[str] = ""

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        """A :class:`Detection` when ``sample`` looks like this tool's export, else None. Never raises."""
        raise NotImplementedError


# ---------------------------------------------------------------- option values


def did_you_mean(word: object, choices) -> str:
    """ " (did you mean 'wide'?)" for a near miss among ``choices``, else ""."""
    names = [str(c) for c in choices]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6) or \
        difflib.get_close_matches(str(word).lower(), names, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def choice(*allowed: str) -> Callable[[Adapter, Any], str | None]:
    def check(adapter: Adapter, value: Any) -> str | None:
        if value in allowed:
            return None
        return f"'{value}' is not allowed{did_you_mean(value, allowed)}; allowed values: {', '.join(allowed)}"
    return check


def _text(adapter: Adapter, value: Any) -> str | None:
    return None if _is_text(value) else f"give a text (a name), not {value!r}"


def _not_in_catalogue(adapter: Adapter, value: Any) -> str | None:
    """None for a catalogue id or name, else why not (with the nearest id)."""
    ids = adapter.cfg.touchpoint_ids
    names = {t.name.strip().lower(): t.id for t in adapter.cfg.touchpoints}
    if value in ids or str(value).strip().lower() in names:
        return None
    return f"is not in the touchpoint catalogue{did_you_mean(value, ids)}; touchpoints: {', '.join(ids)}"


def _touchpoint(adapter: Adapter, value: Any) -> str | None:
    problem = _not_in_catalogue(adapter, value)
    return f"'{value}' {problem}" if problem else None


def _mapping(adapter: Adapter, value: Any) -> str | None:
    return None if isinstance(value, dict) and value else "give a mapping (key: value lines)"


def _touchpoint_columns(adapter: Adapter, value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return "give a mapping of touchpoint -> column, for example {store: \"How satisfied ... store?\"}"
    for tp, col in value.items():
        problem = _not_in_catalogue(adapter, tp)
        if problem:
            return f"the touchpoint '{tp}' {problem}"
        if not _is_text(col):
            return f"the column of touchpoint '{tp}' must be a column name, not {col!r}"
    return None


def _labels(low: float | None = None, high: float | None = None, nullable: bool = False):
    def check(adapter: Adapter, value: Any) -> str | None:
        if not isinstance(value, dict) or not value:
            return "give a mapping of label -> number, for example {\"Very satisfied\": 5}"
        for label, number in value.items():
            if number is None and nullable:
                continue
            if not _is_number(number):
                what = "a number or null (= no answer)" if nullable else "a number"
                return f"the value of '{label}' must be {what}, not {number!r}"
            if (low is not None and number < low) or (high is not None and number > high):
                return f"the value of '{label}' is {number}, outside {low:g} to {high:g}"
        return None
    return check


def _header_row(adapter: Adapter, value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return None
    return f"the header's row number counts from 1 (the first row), not {value!r}"


def _sheet(adapter: Adapter, value: Any) -> str | None:
    if (isinstance(value, int) and not isinstance(value, bool) and value >= 0) or _is_text(value):
        return None
    return f"give the sheet's name or its number counted from 0, not {value!r}"


def _timezone(adapter: Adapter, value: Any) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{value}' is not an IANA time zone; give for example Europe/Copenhagen or UTC"
    return None


def _constants(adapter: Adapter, value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return "give a mapping of canonical column -> value, for example {source: trustpilot}"
    cols = columns_for(adapter.table)
    for key in value:
        if key not in cols:
            return f"'{key}' is not a column of table {adapter.table}{did_you_mean(key, cols)}; " \
                   f"columns: {', '.join(cols)}"
    return None


def _touchpoint_map(adapter: Adapter, value: Any) -> str | None:
    if not isinstance(value, dict) or not value:
        return "give a mapping of raw value -> touchpoint id, for example {\"Butik Aarhus\": store}"
    for raw, tp in value.items():
        problem = _not_in_catalogue(adapter, tp)
        if problem:
            return f"'{raw}' maps to '{tp}', which {problem}"
    return None


def _exclude(adapter: Adapter, value: Any) -> str | None:
    example = "{column: Status, values: [Cancelled]}"
    if not isinstance(value, dict):
        return f"give a column and its values, for example {example}"
    extra = sorted(set(value) - {"column", "values"})
    if extra:
        return f"unknown key '{extra[0]}'{did_you_mean(extra[0], ('column', 'values'))}; allowed keys: column, values"
    if not _is_text(value.get("column")):
        return f"`column` must name the column, for example {example}"
    values = value.get("values")
    if not isinstance(values, (list, tuple, str)) or not values:
        return f"`values` must list the values to exclude, for example {example}"
    return None


def _range(adapter: Adapter, value: Any) -> str | None:
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(v) for v in value) \
            and value[0] < value[1]:
        return None
    return f"give the lowest and the highest value, such as [-2, 2], not {value!r}"


def _events(adapter: Adapter, value: Any) -> str | None:
    items = value if isinstance(value, (list, tuple)) else [value]
    if items and all(_is_text(v) for v in items):
        return None
    return f"give an event name or a list of them, such as [purchase], not {value!r}"


def _rules(adapter: Adapter, value: Any) -> str | None:
    if isinstance(value, list):
        return None
    return "give a list of rules, such as [{touchpoint: website, event: page_view}]"


#: what each adapter option accepts (an option an adapter does not list in ``options`` is an unknown key);
#: a check returns what is wrong, or None
OPTION_CHECKS: dict[str, Callable[[Adapter, Any], str | None]] = {
    # every adapter
    "constants": _constants,
    "touchpoint_map": _touchpoint_map,
    "timezone": _timezone,
    "sheet": _sheet,
    "header_row": _header_row,
    # reviews, support
    "touchpoint": _touchpoint,
    "site": _text,
    # survey
    "layout": choice("long", "wide"),
    "csat_columns": _touchpoint_columns,
    "comment_columns": _touchpoint_columns,
    "overall_csat": _text,
    # null (= no answer) is refused until the survey adapter reads it as a missing answer
    "scale_labels": _labels(nullable=True),
    # crm
    "exclude": _exclude,
    # coding
    "kind": choice("interview", "observation"),
    "sentiment_range": _range,
    "sentiment_labels": _labels(-1, 1),
    # ga4
    "rules": _rules,
    "conversion_events": _events,
    "journey": choice("session", "user"),
    "customer": choice("user_pseudo_id", "user_id"),
    "user_source": choice("first_visit", "all", "none"),
    "repeated_transactions": choice("keep", "drop"),
    "currency": choice("local", "usd"),
    "segment_property": _text,
}


def bind_fields(fields: dict[str, tuple[str, ...]], columns: list[str], mapped: dict, label: str) -> dict[str, str]:
    """``{logical field: column of the file}`` for a preset's ``fields`` (each with the names a tool uses).

    A column the analyst mapped in ``columns:`` wins; otherwise the first of the tool's names found, exactly or
    ignoring case, spaces and punctuation. A mapped column missing from the file is a :class:`SchemaError`.
    """
    by_norm = {_norm(c): c for c in columns}
    exact = set(columns)
    out: dict[str, str] = {}
    for logical, names in fields.items():
        explicit = mapped.get(logical)
        for n in (explicit,) if explicit else names:
            hit = n if n in exact else by_norm.get(_norm(n)) if n else None
            if hit is not None:
                out[logical] = hit
                break
        else:
            if explicit:
                raise SchemaError(f"the column '{explicit}' (mapped to '{logical}') is not in the file",
                                  file=label, row=1, column=explicit,
                                  hint=f"the file has the columns: {_list(columns)}")
    return out
