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

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

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
        unknown = sorted(set(self.opts) - set(self.options) - set(self._common))
        if unknown:
            raise ConfigError(
                f"source '{source.file}' (adapter '{self.name}'): unknown option(s) {', '.join(unknown)}",
                file=cfg.path,
                hint=f"options of this adapter: {', '.join(self.options + self._common) or 'none'}",
            )
        self.timezone = self.opts.get("timezone") or cfg.timezone
        self.constants = {str(k): v for k, v in (self.opts.get("constants") or {}).items()}
        self.mapping: dict[str, str] = {}  # canonical -> raw column
        self.tp_lookup = self._touchpoint_lookup()
        #: what the adapter did that the analyst should know (renamed columns, excluded test responses)
        self.notes: list[str] = []
        #: what may be wrong (a property missing from the data); recorded in the manifest
        self.warnings: list[str] = []

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
