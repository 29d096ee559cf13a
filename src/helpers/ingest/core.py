"""Ingest: raw exports -> canonical Parquet, rejects and a manifest.

``ingest_client(client)`` reads top to bottom:

1. load client.yml and resolve each source's files (globs allowed);
2. per file, stream chunks through its adapter, convert values (local time ->
   UTC, decimal commas), pseudonymise identifiers, mask free text, reject
   future dates, validate with the canonical schema
   (:func:`helpers.schema.split_valid`), reject repeated ids (the first
   accepted row of an id wins), and append accepted rows to Parquet
   and rejected rows (original values, file, row, reason) to a rejects CSV;
3. write ``_manifest.json`` and move everything into place at the end.

All outputs are first written to a staging folder; a failure (a broken file
raises a :class:`~helpers.errors.KitError`) leaves the previous
``processed/`` and ``rejects/`` untouched. ``dry_run=True`` writes nothing.

Accounting: for every file ``accepted + rejected == rows_read``. ``rows_read``
counts the records the adapter makes from the file: one per data row, except
for adapters that reshape (a wide survey export gives one record per response
and rated touchpoint; ``file_rows`` then holds the number of data rows).
A file in which not a single row can be used is treated as broken (a mapping,
date format or decimal problem) and raises instead of rejecting everything.
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from helpers import data, paths
from helpers.config import ClientConfig, load_client
from helpers.errors import ConfigError, DataError, KitError, SchemaError
from helpers.ingest.adapters import Adapter, adapter_for, tools
from helpers.ingest.convert import (
    DATE_FORMS,
    DATE_SHORT,
    as_text,
    date_order,
    merge_date_evidence,
    order_of,
    parse_numbers,
    parse_timestamps,
)
from helpers.ingest.keys import KeyRegistry
from helpers.ingest.privacy import TEXT_COLUMNS, Pseudonymiser, mask_series
from helpers.ingest.readers import RawChunk
from helpers.schema import KEYS, SCHEMAS, columns_for, split_valid

log = logging.getLogger("tpkit.ingest")

MANIFEST = "_manifest.json"
TABLE_ORDER = ("events", "feedback", "orders", "reviews", "costs")
#: identifier columns replaced by their keyed hash
PSEUDONYMISED = ("customer_id", "journey_id")
#: unique keys checked across chunks and files (first occurrence wins)
UNIQUE_KEYS = {t: ((k,) if isinstance(k, str) else None) for t, k in KEYS.items()}
UNIQUE_KEYS["costs"] = ("touchpoint_id", "period")
EXAMPLES = 5


# ---------------------------------------------------------------- results


@dataclass
class FileReport:
    """What happened to one raw file."""

    table: str
    file: str  # relative to the client folder, "raw/events.csv"
    adapter: str = "canonical"
    sha256: str = ""
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    file_rows: int | None = None
    min_ts: str | None = None
    max_ts: str | None = None
    description: str = ""
    reasons: Counter = field(default_factory=Counter)
    examples: list = field(default_factory=list)  # (row, reason, {column: value})
    unknown_touchpoints: Counter = field(default_factory=Counter)
    error: str | None = None  # dry run: why the file cannot be ingested
    date_order: str | None = None  # DMY, MDY, YMD or None (ISO dates or no dates)
    notes: list = field(default_factory=list)  # what reading changed (renamed columns, excluded responses)
    warnings: list = field(default_factory=list)  # what may be wrong; in the manifest

    def manifest_entry(self) -> dict:
        entry = {"table": self.table, "file": self.file, "sha256": self.sha256, "rows_read": self.rows_read,
                 "accepted": self.accepted, "rejected": self.rejected, "min_ts": self.min_ts,
                 "max_ts": self.max_ts, "adapter": self.adapter}
        if self.file_rows is not None and self.file_rows != self.rows_read:
            entry["file_rows"] = self.file_rows
        if self.date_order:
            entry["date_order"] = self.date_order
        if self.notes:
            entry["notes"] = list(self.notes)
        if self.warnings:
            entry["warnings"] = list(self.warnings)
        return entry


@dataclass
class IngestResult:
    """The outcome of :func:`ingest_client`; ``format()`` is what the CLI prints."""

    client: str
    files: list[FileReport]
    processed_dir: Path | str
    rejects_dir: Path
    dry_run: bool = False

    @property
    def tables(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for t in TABLE_ORDER:
            reps = [f for f in self.files if f.table == t]
            if reps:
                out[t] = {"rows": sum(f.accepted for f in reps), "rejected": sum(f.rejected for f in reps)}
        return out

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def unknown_touchpoints(self) -> Counter:
        total: Counter = Counter()
        for f in self.files:
            total.update(f.unknown_touchpoints)
        return total

    @property
    def warnings(self) -> list[str]:
        return [f"{f.file}: {w}" for f in self.files for w in f.warnings]

    def manifest(self) -> dict:
        return {"client": self.client, "files": [f.manifest_entry() for f in self.files], "tables": self.tables,
                "warnings": self.warnings}

    def _remarks(self) -> list[str]:
        out = []
        for f in self.files:
            out += [f"  warning: {f.file}: {w}" for w in f.warnings]
            out += [f"  note: {f.file}: {n}" for n in f.notes]
        return out

    def format(self, details: bool = False) -> str:
        verb = "would ingest" if self.dry_run else "ingested"
        lines = [f"{self.client}: {verb} {len(self.files)} file(s)"
                 + ("" if self.dry_run else f" into {self.processed_dir}")]
        w = max([len(f.file) for f in self.files] + [4])
        lines.append(f"  {'table':<9} {'file':<{w}} {'read':>11} {'accepted':>11} {'rejected':>9}")
        for f in self.files:
            lines.append(f"  {f.table:<9} {f.file:<{w}} {f.rows_read:>11,} {f.accepted:>11,} {f.rejected:>9,}")
        lines.append(f"  {'total':<9} {'':<{w}} {self.rows_read:>11,} {self.accepted:>11,} {self.rejected:>9,}")
        if self.rejected and not self.dry_run:
            lines.append(f"  rejected rows and their reasons: {self.rejects_dir}/<table>.csv")
        unknown = self.unknown_touchpoints
        if unknown:
            shown = ", ".join(f"{k} ({v:,})" for k, v in unknown.most_common(8))
            lines.append(f"  kept rows at touchpoints not in the catalogue: {shown}"
                         + (" ..." if len(unknown) > 8 else ""))
        lines.extend(self._remarks())
        if details:
            for f in self.files:
                lines.append("")
                lines.append(f"{f.file} -> {f.table} (adapter {f.adapter}"
                             + (f"; {f.description})" if f.description else ")"))
                if f.error:
                    lines.append("  CANNOT BE INGESTED: " + f.error.replace("\n", "\n  "))
                    continue
                lines.append(f"  would accept {f.accepted:,} and reject {f.rejected:,} of {f.rows_read:,} rows"
                             if self.dry_run else
                             f"  accepted {f.accepted:,} and rejected {f.rejected:,} of {f.rows_read:,} rows")
                if f.min_ts:
                    lines.append(f"  time span (UTC): {f.min_ts} to {f.max_ts}")
                if f.reasons:
                    lines.append("  reasons:")
                    for reason, n in f.reasons.most_common(10):
                        lines.append(f"    {n:>7,}  {reason}")
                    if len(f.reasons) > 10:
                        lines.append(f"    ... and {len(f.reasons) - 10} other reasons")
                if f.examples:
                    lines.append("  examples:")
                    for row, reason, values in f.examples:
                        shown = ", ".join(f"{k}={v!r}" for k, v in values.items() if v is not None)
                        lines.append(f"    row {row}: {reason}")
                        lines.append(f"      {shown[:160]}")
                if f.unknown_touchpoints:
                    lines.append("  touchpoints not in the catalogue (kept): "
                                 + ", ".join(f"{k} ({v:,})" for k, v in f.unknown_touchpoints.most_common(10)))
        return "\n".join(lines)


def load_manifest(client: str, root: str | Path | None = None) -> dict:
    """The manifest of the last successful ingest of ``client`` (in the client's ``storage:``)."""
    manifest = data.load_manifest(client, root)
    if manifest is None:
        raise DataError(f"no ingest manifest for client '{client}' (looked for "
                        f"{data.storage(client, root).uri().rstrip('/')}/{MANIFEST})",
                        hint=f"run `tpkit ingest {client}`")
    return manifest


# ---------------------------------------------------------------- schema helpers


def _arrow_type(dtype: str) -> pa.DataType:
    if dtype.startswith("datetime64"):
        return pa.timestamp("us")
    if dtype in ("bool", "boolean"):
        return pa.bool_()
    if dtype.startswith("float") or dtype.startswith("int"):
        return pa.float64()
    return pa.string()


def arrow_schema(table: str, columns: list[str] | None = None) -> pa.Schema:
    """The Parquet schema of a canonical table (canonical column order)."""
    schema = SCHEMAS[table]
    cols = [c for c in schema.columns if columns is None or c in columns]
    return pa.schema([pa.field(c, _arrow_type(str(schema.columns[c].dtype))) for c in cols])


_VALUE = re.compile(r"(value|read|date) ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?\d[\d.:eE+\-]*)")


def reason_kind(reason: str) -> str:
    """A reason without the offending value, for counting ("csat: value 7.0 ..." -> "csat: value … ...")."""
    parts = [re.sub(r"\(first seen in .*?\)", "", _VALUE.sub(r"\1 …", p)).strip() for p in reason.split("; ")]
    return "; ".join(dict.fromkeys(parts))


# ---------------------------------------------------------------- one table's outputs


class _TableSink:
    """Parquet parts and the rejects CSV of one table, in the staging folder (or nowhere for a dry run)."""

    def __init__(self, table: str, staging: Path | None) -> None:
        self.table = table
        self.staging = staging
        self.parts: list[Path] = []
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.rejects_path = staging / "rejects" / f"{table}.csv" if staging else None
        self.reject_columns = columns_for(table) + ["source_file", "row", "reason"]
        self.rejects_written = 0
        self._pool = None
        self._pending = None

    def open_part(self, columns: list[str]) -> None:
        if self.staging is None:
            return
        self.schema = arrow_schema(self.table, columns)
        part = self.staging / "parts" / f"{self.table}.{len(self.parts)}.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        self.parts.append(part)
        self.writer = pq.ParquetWriter(part, self.schema, compression="zstd")

    def write(self, accepted: pd.DataFrame) -> None:
        if self.writer is None or accepted.empty:
            return
        data = {}
        for f in self.schema:
            if f.name not in accepted:
                data[f.name] = pa.nulls(len(accepted), f.type)
                continue
            col = accepted[f.name]
            if pa.types.is_string(f.type) and not (pd.api.types.is_string_dtype(col) and col.dtype != object):
                col = col.astype("str")
            arr = pa.array(col, from_pandas=True)
            data[f.name] = arr if arr.type == f.type else arr.cast(f.type)
        table = pa.table(data, schema=self.schema)
        # Arrow encodes and compresses without the GIL: write in the background while the next chunk
        # is validated (one write in flight, so memory stays at about two chunks)
        self._wait()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"parquet-{self.table}")
        self._pending = self._pool.submit(self.writer.write_table, table)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close_part(self) -> None:
        try:
            self._wait()
        finally:
            if self.writer is not None:
                self.writer.close()
                self.writer = None
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def reject(self, frame: pd.DataFrame) -> None:
        if self.rejects_path is None or frame.empty:
            return
        self.rejects_path.parent.mkdir(parents=True, exist_ok=True)
        out = frame.reindex(columns=self.reject_columns)
        out.to_csv(self.rejects_path, mode="a", header=self.rejects_written == 0, index=False,
                   encoding="utf-8", lineterminator="\n")
        self.rejects_written += len(out)

    def finish(self) -> Path | None:
        """Combine the parts into staging/processed/<table>.parquet."""
        self.close_part()
        if self.staging is None or not self.parts:
            return None
        target = self.staging / "processed" / f"{self.table}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        if len(self.parts) == 1:
            os.replace(self.parts[0], target)
            return target
        names = set()
        for p in self.parts:
            names |= set(pq.ParquetFile(p).schema_arrow.names)
        schema = arrow_schema(self.table, sorted(names))
        with pq.ParquetWriter(target, schema, compression="zstd") as writer:
            for p in self.parts:
                for batch in pq.ParquetFile(p).iter_batches(batch_size=262_144):
                    t = pa.Table.from_batches([batch])
                    cols = [t[f.name] if f.name in t.column_names else pa.nulls(t.num_rows, f.type) for f in schema]
                    writer.write_table(pa.table(cols, schema=schema))
        for p in self.parts:
            p.unlink()
        return target


# ---------------------------------------------------------------- one file


class _FileIngest:
    """Streams one raw file through its adapter into a table sink."""

    def __init__(self, adapter: Adapter, sink: _TableSink, report: FileReport, *, pseudo: Pseudonymiser,
                 seen: KeyRegistry, now: pd.Timestamp, catalogue: set[str]) -> None:
        self.a = adapter
        self.sink = sink
        self.report = report
        self.pseudo = pseudo
        self.seen = seen
        self.now = now
        self.catalogue = catalogue
        self.table = adapter.table
        self.schema = SCHEMAS[self.table]
        self.key = UNIQUE_KEYS.get(self.table)
        self.first_bad_row: int | None = None

    def run(self) -> None:
        reader = self.a.open()
        self.report.description = reader.description
        # Scandinavian exports separated by ';' write decimal commas: there "1.234" is one thousand two
        # hundred and thirty-four (decimal points such as "12.5" still read as they are)
        self.decimal = self.a.source.decimal or ("," if getattr(reader, "delimiter", None) == ";" else None)
        self.a.bind(reader.columns)
        self.sink.open_part(self.a.output_columns())
        self.filled = self._watched()
        file_rows = 0
        ts_min = ts_max = None
        chunks = reader.chunks()
        first = next(chunks, None)
        self.order = self._date_order(first)
        self.report.date_order = self.order
        for chunk in itertools.chain([first] if first is not None else [], chunks):
            file_rows += len(chunk.frame)
            if list(chunk.frame.columns) != reader.columns:  # JSON records need not all have every field
                extra = [c for c in chunk.frame.columns if c not in reader.columns and chunk.frame[c].notna().any()]
                if extra:  # the reader's columns are the fields of the whole file: this must not happen
                    raise RuntimeError(f"{self.report.file}: fields {extra} are missing from the reader's columns")
                chunk.frame = chunk.frame.reindex(columns=reader.columns)
            raw, rows = self.a.records(chunk)
            if raw.empty:
                continue
            self._count_filled(raw)
            accepted = self._process(raw.reset_index(drop=True), np.asarray(rows))
            if "ts" in accepted and not accepted.empty:
                lo, hi = accepted["ts"].min(), accepted["ts"].max()
                ts_min = lo if ts_min is None or lo < ts_min else ts_min
                ts_max = hi if ts_max is None or hi > ts_max else ts_max
            self.sink.write(accepted)
        held = self.a.finish()
        if held is not None and not held[0].empty:
            self._count_filled(held[0])
            accepted = self._process(held[0].reset_index(drop=True), np.asarray(held[1]))
            if "ts" in accepted and not accepted.empty:
                lo, hi = accepted["ts"].min(), accepted["ts"].max()
                ts_min = lo if ts_min is None or lo < ts_min else ts_min
                ts_max = hi if ts_max is None or hi > ts_max else ts_max
            self.sink.write(accepted)
        self.report.notes.extend(self.a.notes)
        self.report.warnings.extend(self.a.warnings)
        self.report.warnings.extend(self._empty_columns())
        self.sink.close_part()
        self.report.file_rows = file_rows
        if ts_min is not None:
            self.report.min_ts = ts_min.isoformat()
            self.report.max_ts = ts_max.isoformat()
        if self.report.accepted == 0 and self.report.rejected > 0:
            top, _ = self.report.reasons.most_common(1)[0]
            column = top.split(":", 1)[0] if ":" in top else None
            if "duplicate value" in top:
                hint = ("every row repeats an id seen before: is the same export listed twice in client.yml, "
                        "or copied into raw/ twice?")
            else:
                hint = ("check the column mapping (`columns:`), the date format (`date_format:`, dates read: "
                        f"{DATE_FORMS}) and the decimal separator (`decimal:`) of this source in client.yml")
            raise SchemaError(
                f"no row can be used: all {self.report.rejected:,} rows were rejected, most often for "
                f"\"{top}\"",
                file=self.report.file, row=self.first_bad_row, column=column, hint=hint,
            )

    # -- configured columns without data
    def _watched(self) -> dict[str, int]:
        """Optional columns the source maps by name in client.yml (a segment column, a variant): each must
        hold data somewhere in the file, else the analyst hears of it."""
        cols = self.schema.columns
        return {canon: 0 for canon in self.a.source.columns
                if canon in self.a.mapping and canon in cols and cols[canon].nullable}

    def _count_filled(self, raw: pd.DataFrame) -> None:
        for canon in self.filled:
            if canon in raw:
                self.filled[canon] += int(as_text(raw[canon]).notna().sum())

    def _empty_columns(self) -> list[str]:
        return [f"the column '{self.a.mapping[canon]}' (mapped to '{canon}' in client.yml) has no value in any "
                f"row: every record's {canon} is empty" for canon, n in self.filled.items() if n == 0]

    # -- dates
    def _date_order(self, first: RawChunk | None) -> str | None:
        """The day/month order of the ts column, from all its values (a second pass when the first chunk
        has dates such as 10/4/2022); a ``date_format``, ``date_order`` or the tool preset decides first."""
        src = self.a.source
        raw = self.a.mapping.get("ts")
        preset = getattr(self.a, "date_order", None)
        if src.date_format or first is None or raw is None or raw not in first.frame:
            return src.date_order or preset
        if src.date_order or preset:
            return src.date_order or preset
        order, evidence = date_order(first.frame[raw])
        if order is None:
            return None
        if order in ("?", "DMY", "MDY"):  # later chunks may hold the deciding (or a contradicting) value
            evidence = {}
            for chunk in self.a.open().chunks():
                evidence = merge_date_evidence(evidence, date_order(chunk.frame[raw])[1])
            self.a.notes[:] = list(dict.fromkeys(self.a.notes))
            order = order_of(evidence)
        if order == "?":
            raise SchemaError(
                f"the dates in column '{raw}' can be day-first or month-first: none of its {evidence['values']:,} "
                "values has a day above 12, so the order cannot be proven from the file",
                file=self.report.file, column=raw,
                hint="set `date_order: MDY` (month first, as in the US) or `date_order: DMY` (day first) for this "
                     "source in client.yml, or `date_format:` (for example \"%m/%d/%Y %H:%M:%S\")")
        if order == "mixed":
            raise SchemaError(
                f"the dates in column '{raw}' mix day-first ({evidence['day_first_example']!r}) and month-first "
                f"({evidence['month_first_example']!r}) values", file=self.report.file, column=raw,
                hint="set `date_format:` for this source in client.yml; values in another form are then rejected "
                     "with their row")
        return order

    # -- one chunk
    def _process(self, raw: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        n = len(raw)
        problems: dict[int, list[str]] = {}
        if "_reject" in raw:
            pre = raw.pop("_reject")
            _add(problems, pre.notna().to_numpy(), lambda i, pre=pre: str(pre.iat[i]))
        work = self._convert(raw, problems)
        accepted = self._validate(work, rows, problems, n)
        self._reject(raw, work, rows, problems)
        self.report.rows_read += n
        self.report.accepted += len(accepted)
        self.report.rejected += len(problems)
        if "touchpoint_id" in accepted and self.catalogue:
            tp = accepted["touchpoint_id"].dropna()
            unknown = tp[~tp.isin(self.catalogue)]
            if not unknown.empty:
                self.report.unknown_touchpoints.update(unknown.value_counts().to_dict())
        return accepted

    def _convert(self, raw: pd.DataFrame, problems: dict[int, list[str]]) -> pd.DataFrame:
        """Raw values -> canonical types; unreadable values are problems of their row."""
        work = pd.DataFrame(index=raw.index)
        cols = self.schema.columns
        for c in raw.columns:
            if c not in cols:
                continue
            dtype = str(cols[c].dtype)
            s = raw[c]
            if c == "ts":
                conv, bad = parse_timestamps(s, self.a.timezone, self.a.source.date_format, self.order)
                _add(problems, bad,
                     lambda i, s=s: f"ts: cannot read {_show(s.iat[i])} as a date/time (expected {DATE_SHORT})")
                future = (conv > self.now).to_numpy()
                _add(problems, future, lambda i, s=s: f"ts: date {_show(s.iat[i])} is in the future")
                work[c] = conv
            elif dtype.startswith("float"):
                conv, bad = parse_numbers(s, self.decimal)
                _add(problems, bad, lambda i, s=s, c=c: f"{c}: cannot read {_show(s.iat[i])} as a number")
                work[c] = conv
            elif dtype == "bool":
                work[c] = s if pd.api.types.is_bool_dtype(s) else as_text(s)
            elif c in PSEUDONYMISED:
                work[c] = self.pseudo(as_text(s))
            elif c in TEXT_COLUMNS:
                work[c] = mask_series(as_text(s))
            elif c == "touchpoint_id":
                work[c] = self.a.map_touchpoints(as_text(s))
            else:
                work[c] = as_text(s)
        return work

    def _validate(self, work: pd.DataFrame, rows: np.ndarray, problems: dict[int, list[str]], n: int
                  ) -> pd.DataFrame:
        """The canonical schema, and the table's key: the first *accepted* row of a key wins (across chunks
        and files), so an invalid row does not block a corrected row with the same id later. Each round
        validates the first remaining occurrence of every key not yet taken; a key is registered only
        for a row that is accepted, and later occurrences of a key that was not get the next round."""
        own = np.fromiter(problems, dtype=np.int64, count=len(problems))  # rows we reject ourselves
        keyed = bool(self.key) and all(k in work for k in self.key)
        if keyed:
            keys = [work[k].astype("string").str.strip() for k in self.key]
            joined = keys[0] if len(keys) == 1 else keys[0].str.cat(keys[1:], sep="|")
            complete = joined.notna().to_numpy()
            joined = joined.to_numpy(dtype=object)
        remaining = np.ones(n, dtype=bool)
        dup = np.zeros(n, dtype=bool)
        parts: list[tuple[np.ndarray, pd.DataFrame]] = []
        seen = self.seen
        while remaining.any():
            this = remaining.copy()
            if keyed:
                taken = remaining & complete & seen.contains(joined)
                dup |= taken
                remaining &= ~taken
                this = remaining.copy()
                cand = np.flatnonzero(remaining & complete)
                later = pd.Series(joined[cand]).duplicated(keep="first").to_numpy()
                this[cand[later]] = False
            pos = np.flatnonzero(this)
            remaining[pos] = False
            if pos.size == 0 and parts:
                continue
            acc_pos, accepted = self._validate_round(work, pos, own, problems)
            if keyed:
                fresh = acc_pos[complete[acc_pos]]
                seen.add(joined[fresh], self.report.file, rows[fresh])
            parts.append((acc_pos, accepted))
        dup_at = np.flatnonzero(dup)
        for i, first in zip(dup_at, seen.first_seen(joined[dup_at]) if dup_at.size else []):
            k = joined[i]
            where = f"row {first[1]}" if first[0] == self.report.file else f"{first[0]} row {first[1]}"
            problems.setdefault(int(i), []).append(
                f"{'+'.join(self.key)}: duplicate value {k!r} (first seen in {where})")
        if len(parts) == 1:
            return parts[0][1]
        order = np.argsort(np.concatenate([p_ for p_, _ in parts]), kind="stable")  # back into file order
        return pd.concat([f for _, f in parts], ignore_index=True).iloc[order].reset_index(drop=True)

    def _validate_round(self, work: pd.DataFrame, pos: np.ndarray, own: np.ndarray,
                        problems: dict[int, list[str]]) -> tuple[np.ndarray, pd.DataFrame]:
        accepted, rejected = split_valid(self.table, work.iloc[pos].assign(_pos=pos))
        rejected_pos = rejected["_pos"].to_numpy(dtype=np.int64) if not rejected.empty else np.array([], np.int64)
        for p_, reason in zip(rejected_pos, rejected["reason"].to_numpy() if not rejected.empty else []):
            mine = problems.setdefault(int(p_), [])
            for part in str(reason).split("; "):
                col = part.split(":", 1)[0]
                # a value we could not read shows up again as missing: report it once
                if part.endswith("value is missing") and any(x.startswith(f"{col}: ") for x in mine):
                    continue
                mine.append(part)
        acc_pos = pos[~np.isin(pos, rejected_pos)]
        # rows only we flagged (unreadable values, future dates) are still in `accepted`: take them out
        good = ~np.isin(acc_pos, own)
        return acc_pos[good], accepted[good].reset_index(drop=True)

    def _reject(self, raw: pd.DataFrame, work: pd.DataFrame, rows: np.ndarray, problems: dict) -> None:
        if not problems:
            return
        pos = np.array(sorted(problems), dtype=np.int64)
        # the canonical columns only (the rejects file has no others), so the examples show nothing else
        out = raw.iloc[pos][[c for c in raw.columns if c in self.schema.columns]].copy()
        # no personal data in rejects either: identifiers hashed, free text masked
        for c in out.columns:
            if c in PSEUDONYMISED or c in TEXT_COLUMNS:
                out[c] = work[c].iloc[pos].to_numpy()
        out["source_file"] = self.report.file
        out["row"] = rows[pos]
        out["reason"] = ["; ".join(dict.fromkeys(problems[int(p)])) for p in pos]
        if self.first_bad_row is None:
            self.first_bad_row = int(rows[pos[0]])
        for r in out["reason"]:
            self.report.reasons[reason_kind(r)] += 1
        room = EXAMPLES - len(self.report.examples)
        if room > 0:
            for rec in out.head(room).to_dict("records"):
                values = {k: _plain(v) for k, v in rec.items() if k not in ("source_file", "row", "reason")}
                self.report.examples.append((int(rec["row"]), rec["reason"], values))
        self.sink.reject(out)


def _add(problems: dict[int, list[str]], mask, reason_of) -> None:
    for i in np.flatnonzero(np.asarray(mask)):
        problems.setdefault(int(i), []).append(reason_of(int(i)))


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= 60 else text[:57] + "...'"


def _plain(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v if isinstance(v, (int, float, bool)) else str(v)




# ---------------------------------------------------------------- the client


def _resolve(cfg: ClientConfig, client_dir: Path) -> list[tuple]:
    """(source, path, label) for every file of every source, in client.yml order."""
    out = []
    for source in cfg.sources:
        pattern = client_dir / source.file
        if any(ch in source.file for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(str(pattern)))
            if not matches:
                raise DataError(f"no file matches '{source.file}' (table {source.table})", file=cfg.path,
                                hint=f"put the exports in {pattern.parent} or correct `file:` in client.yml")
        else:
            matches = [pattern]
            if not pattern.is_file():
                raise DataError(f"the source file '{source.file}' (table {source.table}) does not exist",
                                file=pattern, hint="put the export there or correct `file:` in client.yml")
        for p in matches:
            try:
                label = p.relative_to(client_dir).as_posix()
            except ValueError:
                label = str(p)
            out.append((source, p, label))
    return out


def _hash_in_background(path: Path):
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    future = pool.submit(_sha256, path)
    pool.shutdown(wait=False)  # the hash goes on; the caller waits on the future
    return future


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def check_sources(cfg: ClientConfig) -> None:
    """The adapter, tool and options of every source, before any file is read.

    Raises one :class:`ConfigError` naming client.yml and each wrong source (``sources[2]``) with the
    allowed keys and values.
    """
    problems: list[tuple[str, str | None]] = []
    for i, source in enumerate(cfg.sources):
        try:
            tool = getattr(source, "tool", None)
            if tool:
                preset = tools.get(tool, file=cfg.path)
                if preset.tables and source.table not in preset.tables:
                    raise ConfigError(f"tool '{tool}' feeds {' or '.join(preset.tables)}, not '{source.table}'",
                                      file=cfg.path, hint=f"table: {preset.tables[0]}")
            adapter_for(source, cfg, cfg.dir / source.file, source.file)
        except ConfigError as exc:
            problems.append((f"sources[{i}] ({source.file}): {exc.message}", exc.hint))
    if len(problems) == 1:
        raise ConfigError(problems[0][0], file=cfg.path, hint=problems[0][1])
    if problems:
        raise ConfigError(f"{len(problems)} sources are configured wrongly:\n"
                          + "\n".join(f"  - {msg}" + (f" ({hint})" if hint else "") for msg, hint in problems),
                          file=cfg.path, hint="correct the keys named above")


def ingest_client(client: str, root: str | Path | None = None, dry_run: bool = False) -> IngestResult:
    """Ingest every source of ``client`` listed in its client.yml (see the module docstring)."""
    cfg = load_client(client, root)
    check_sources(cfg)
    client_dir = cfg.dir
    store = data.storage(client, root, cfg)
    processed = store.local or store.uri()  # where `storage:` puts the tables (default processed/)
    rejects = paths.rejects_dir(client, root)
    if not cfg.sources:
        raise DataError("client.yml lists no sources", file=cfg.path,
                        hint="add `sources:` entries (table and file) for the exports in raw/")
    files = _resolve(cfg, client_dir)
    staging = None if dry_run else client_dir / f".ingest-{uuid.uuid4().hex[:8]}"
    result = IngestResult(client=client, files=[], processed_dir=processed, rejects_dir=rejects, dry_run=dry_run)
    sinks: dict[str, _TableSink] = {}
    seen: dict[str, KeyRegistry] = {}
    pseudo = Pseudonymiser()
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    catalogue = set(cfg.touchpoint_ids)
    errors: list[KitError] = []
    try:
        for source, path, label in files:
            sink = sinks.setdefault(source.table, _TableSink(source.table, staging))
            report = FileReport(table=source.table, file=label, adapter=source.adapter)
            digest = _hash_in_background(path)  # hashlib reads and hashes without the GIL
            try:
                adapter = adapter_for(source, cfg, path, label)
                _FileIngest(adapter, sink, report, pseudo=pseudo, seen=seen.setdefault(source.table, KeyRegistry()),
                            now=now, catalogue=catalogue).run()
            except KitError as exc:
                sink.close_part()
                if not dry_run:
                    raise
                errors.append(exc)
                report.error = str(exc)
            finally:
                report.sha256 = digest.result()
            log.info("%s -> %s: %s read, %s accepted, %s rejected", label, source.table, report.rows_read,
                     report.accepted, report.rejected)
            for w in report.warnings:
                log.warning("%s: %s", label, w)
            result.files.append(report)
        if dry_run:
            if errors:
                if len(errors) == 1 and len(files) == 1:
                    raise errors[0]
                raise DataError(f"{len(errors)} file(s) cannot be ingested:\n"
                                + "\n".join(f"  - {e}" for e in errors)
                                + "\n\n" + result.format(details=True),
                                hint="fix the files named above and run `tpkit validate` again")
            return result
        for sink in sinks.values():
            sink.finish()
        (staging / "processed").mkdir(parents=True, exist_ok=True)
        (staging / "processed" / MANIFEST).write_text(
            json.dumps(result.manifest(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _publish(staging, store, rejects, produced=set(sinks))
    finally:
        for sink in sinks.values():  # no background write may outlive a failed run
            try:
                sink.close_part()
            except Exception:  # noqa: BLE001 - the original error is the one to report
                pass
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return result


def _publish(staging: Path, store, rejects: Path, produced: set[str]) -> None:
    """Move the staged outputs into place; canonical tables and rejects of earlier runs that this run
    did not produce are removed, so the storage always matches its manifest. The manifest moves last."""
    rejects.mkdir(parents=True, exist_ok=True)
    for t in TABLE_ORDER:
        rsrc = staging / "rejects" / f"{t}.csv"
        if rsrc.exists():
            os.replace(rsrc, rejects / f"{t}.csv")
        elif (rejects / f"{t}.csv").exists():
            (rejects / f"{t}.csv").unlink()
    data.publish_tables(store, staging / "processed", TABLE_ORDER, produced, MANIFEST)
