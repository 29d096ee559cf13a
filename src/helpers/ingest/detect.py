"""Look at one raw export on its own: which tool wrote it, which table it feeds and how to read it.

:func:`sample` reads the head of a file into a :class:`~helpers.ingest.adapters.base.Sample` (encoding,
CSV dialect, header rows, first records); :func:`detect` asks every registered tool preset
(``helpers.ingest.adapters.tools``) and ranks their answers; :func:`inspect` then reads the whole file
with the chosen preset, as ``tpkit ingest`` will, and finds what a source entry needs: the column
mapping, the day/month order of each date column (from all its values), the first and last time stamp,
the CSAT and NPS questions (by their wording in English, Danish, Swedish and Norwegian, and their
scale), and what only the analyst can decide (the touchpoint, a question the wording does not find).

``tpkit add-source`` prints the result (:meth:`Inspection.format`, :meth:`Inspection.to_json`) and
writes :attr:`Inspection.entries` into client.yml.

The CSV dialect comes from clevercsv (its data-consistency measure reads files the standard library's
sniffer gets wrong: semicolons with quoted text, one column, CR-only line ends); the encoding from the
readers (BOM, UTF-8, Windows-1252, then charset-normalizer), so that inspection and ingest agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import clevercsv
import pandas as pd
import pyarrow.parquet as pq
from openpyxl import load_workbook
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from helpers.config import ClientConfig, SourceMapping
from helpers.errors import ConfigError, DataError, KitError, SchemaError
from helpers.ingest.adapters import adapters, did_you_mean, tools
from helpers.ingest.adapters.base import Adapter, Detection, Sample, ToolPreset, _norm
from helpers.ingest.adapters.survey import SurveyAdapter
from helpers.ingest.convert import as_text, date_order, merge_date_evidence, order_of, parse_timestamps
from helpers.ingest.readers import SNIFF_BYTES, CsvReader, JsonReader, _cell_text, _flatten, detect_format

SAMPLE_ROWS = 50

# ---------------------------------------------------------------- questions by their wording

#: words of a "how likely are you to recommend" question (English, Danish, Swedish, Norwegian)
NPS_WORDS = re.compile(
    r"recommend|anbefal|rekommend|\bnps\b|net promoter", re.IGNORECASE)
#: words of a satisfaction question
CSAT_WORDS = re.compile(
    r"satisf|tilfreds|nöjd|nojd|fornøyd|fornoyd|fornöjd|\bcsat\b|tevreden", re.IGNORECASE)


@dataclass
class Question:
    column: str
    text: str
    kind: str  # csat or nps
    scale: tuple[float, float] | None


class Undecided(KitError):
    """Something only the analyst can decide: ``flag`` names the option of ``tpkit add-source`` that does."""

    exit_code = 2

    def __init__(self, message: str, flag: str, **kw) -> None:
        super().__init__(message, hint=f"decide it with {flag}", **kw)
        self.flag = flag


# ---------------------------------------------------------------- sample


def sample(path: Path, n: int = SAMPLE_ROWS) -> Sample:
    """The head of ``path``: columns, the first ``n`` records (header rows included) and how it is written."""
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "csv":
        return _csv_sample(path, n)
    if fmt == "xlsx":
        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = []
            for values in wb.worksheets[0].iter_rows(values_only=True):
                if not rows and not any(v is not None and str(v).strip() for v in values):
                    continue
                rows.append([_cell_text(v) or "" for v in values])
                if len(rows) >= n:
                    break
        finally:
            wb.close()
        while rows and rows[0] and not rows[0][-1]:
            for r in rows:
                r[:] = r[:len(rows[0]) - 1]
        return Sample(path, "xlsx", list(rows[0]) if rows else [], rows=rows)
    if fmt == "parquet":
        pf = pq.ParquetFile(path)
        columns = _flatten(pf.schema_arrow.empty_table()).schema.names
        batch = next(pf.iter_batches(batch_size=n), None)
        records = batch.to_pylist() if batch is not None else []
        return Sample(path, "parquet", list(columns), records=records)
    reader = JsonReader(path)
    if reader.array:
        records = list(reader._data[:n])
    else:
        records = [rec for _, rec in zip(range(n), (r for _, r in reader._lines()))]
    return Sample(path, fmt, list(reader.columns), records=records, encoding=reader.encoding)


def _csv_sample(path: Path, n: int) -> Sample:
    reader = CsvReader(path)  # the kit's encoding decision and its checks of the file (binary, HTML, empty)
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    text = reader._decode_head(head)
    lines = text.splitlines()
    if len(head) >= SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut
    body = "\n".join(lines)
    delimiter = dialect_delimiter(body) or reader.delimiter
    rows = []
    try:
        for rec in csv.reader(io.StringIO(body), delimiter=delimiter):
            rows.append(rec)
            if len(rows) >= n:
                break
    except csv.Error:
        pass  # a broken record further down: the rows read so far are the sample
    return Sample(path, "csv", list(rows[0]) if rows else [], rows=rows, encoding=reader.encoding,
                  delimiter=delimiter)


def dialect_delimiter(text: str) -> str | None:
    """The delimiter clevercsv finds in the first records of a CSV text (None when it finds none)."""
    head = "\n".join(text.splitlines()[:200])
    try:
        dialect = clevercsv.Detector().detect(head, delimiters=[",", ";", "\t", "|"])
    except Exception:  # noqa: BLE001 - clevercsv may fail on odd text; the readers' own sniffing then decides
        return None
    if dialect is None or not dialect.delimiter:
        return None
    return dialect.delimiter


# ---------------------------------------------------------------- detect


def detect(smp: Sample) -> list[Detection]:
    """Every registered preset's answer for ``smp``, best first (``generic`` last with 0.1)."""
    found = []
    for _, cls in tools.items():
        try:
            det = cls.detect(smp)
        except Exception:  # noqa: BLE001 - detect() must never raise; a broken preset must not stop the others
            det = None
        if det is not None:
            found.append(det)
    return sorted(found, key=lambda d: -d.score)


# ---------------------------------------------------------------- inspect


@dataclass
class Inspection:
    path: Path
    file: str  # as written in client.yml (relative to the client folder)
    tool: str
    table: str | None
    detection: Detection | None
    encoding: str | None = None
    delimiter: str | None = None
    header_rows: int = 1
    rows: int = 0
    excluded: int = 0
    date_column: str | None = None
    date_order: str | None = None
    ts_min: str | None = None
    ts_max: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    csat: str | None = None
    nps: str | None = None
    notes: list[str] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)

    @property
    def source(self) -> dict | None:
        return self.entries[0] if self.entries else None

    def to_json(self) -> dict:
        return {
            "file": self.file, "tool": self.tool, "table": self.table,
            "score": self.detection.score if self.detection else None,
            "evidence": self.detection.evidence if self.detection else [],
            "rows": self.rows, "excluded": self.excluded, "header_rows": self.header_rows,
            "encoding": self.encoding, "delimiter": self.delimiter, "date_column": self.date_column,
            "date_order": self.date_order, "ts_min": self.ts_min, "ts_max": self.ts_max,
            "columns": self.mapping, "csat": self.csat, "nps": self.nps,
            "questions": [{"column": q.column, "text": q.text, "kind": q.kind,
                           "scale": list(q.scale) if q.scale else None} for q in self.questions],
            "notes": self.notes, "source": self.source, "sources": self.entries,
            "undecided": [{"problem": u.message, "flag": u.flag} for u in self.undecided],
        }

    def format(self) -> str:
        d = self.detection
        lines = [f"{self.file}", f"  tool:        {self.tool}" + (f"  ({'; '.join(d.evidence)})" if d else ""),
                 f"  table:       {self.table or '?'}"]
        if self.encoding:
            lines.append(f"  encoding:    {self.encoding}")
        if self.delimiter:
            lines.append(f"  delimiter:   {self.delimiter!r}")
        lines.append(f"  header rows: {self.header_rows}")
        lines.append(f"  records:     {self.rows:,}" + (f" ({self.excluded:,} excluded)" if self.excluded else ""))
        if self.date_column:
            order = {"DMY": "day first", "MDY": "month first", "YMD": "year first"}.get(self.date_order or "",
                                                                                       "ISO 8601")
            lines.append(f"  dates:       '{self.date_column}', {order}; {self.ts_min} to {self.ts_max}")
        if self.mapping:
            lines.append("  columns:     " + ", ".join(f"{k} <- '{v}'" for k, v in self.mapping.items()))
        for q in self.questions:
            scale = f" ({q.scale[0]:g}-{q.scale[1]:g})" if q.scale else ""
            lines.append(f"  {q.kind.upper()} question: '{q.column}'{scale}: {q.text[:80]}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def inspect(path: Path, cfg: ClientConfig, *, file: str | None = None, tool: str | None = None,
            table: str | None = None, touchpoint: str | None = None, csat: str | None = None,
            nps: str | None = None, date_order: str | None = None) -> Inspection:
    """Read ``path`` as the preset ``detect`` chooses (or ``tool``) and find its source entry.

    What the file cannot decide is collected in :attr:`Inspection.undecided` (the caller exits 2 and
    names the flag); a file that cannot be read raises the readers' :class:`KitError`.
    """
    path = Path(path)
    file = file or str(path)
    smp = sample(path)
    ranked = detect(smp)
    if tool:
        cls = tools.get(tool)
        det = next((d for d in ranked if d.tool == tool), None) or Detection(tool, cls.tables[0], 0.0,
                                                                              ["chosen with --tool"])
    else:
        det = ranked[0] if ranked and ranked[0].score >= 0.5 else None
    ins = Inspection(path, file, det.tool if det else "generic", None, det, encoding=smp.encoding,
                     delimiter=smp.delimiter if smp.format == "csv" else None)
    if det is not None:
        cls = tools.get(det.tool)
        ins.table = table or det.table
        if ins.table not in cls.tables:
            raise Undecided(f"a {det.tool} export feeds {' or '.join(cls.tables)}, not '{ins.table}'",
                            "--table " + "|".join(cls.tables))
    else:
        ins.table = table or _generic_table(smp)
        cls = _generic_class(ins.table)
        if ins.table is None:
            ins.undecided.append(Undecided(
                "no tool recognised and the columns do not show which table the file feeds "
                f"(columns: {', '.join(smp.columns[:12])})", "--table events|feedback|orders|reviews"))
            return ins
    entry = _entry(ins, det, cls, smp, touchpoint, csat, nps)
    if date_order:
        if date_order.upper() not in ("DMY", "MDY", "YMD"):
            raise Undecided(f"--date-order is DMY, MDY or YMD, not '{date_order}'", "--date-order DMY|MDY")
        entry["date_order"] = date_order.upper()
    adapter = _adapter(cls, entry, cfg, path, file)
    _read(ins, adapter, smp, cfg)
    _questions(ins, adapter, csat, nps)
    _finish_entry(ins, adapter, entry, touchpoint, cfg)
    ins.entries = [entry]
    if ins.tool == "ga4" and ins.table == "events" and table is None:
        ins.entries.append({"file": file, "table": "orders", "tool": "ga4"})
    return ins


_TABLE_HINTS = {
    "reviews": ("rating", "stars", "star rating", "review", "review text"),
    "orders": ("order_id", "order id", "order number", "order", "revenue", "total", "order total"),
    "events": ("touchpoint_id", "event", "event_name", "journey_id"),
}


def _generic_table(smp: Sample) -> str | None:
    cols = smp.norm_columns
    for table, names in _TABLE_HINTS.items():
        if sum(1 for n in names if _norm(n) in cols) >= 2:
            return table
    if any(NPS_WORDS.search(c) or CSAT_WORDS.search(c) for c in smp.columns):
        return "feedback"
    return None


def _generic_class(table: str | None) -> type[Adapter]:
    if table == "feedback":
        return tools.get("generic")
    return adapters.get({"reviews": "reviews", "orders": "crm"}.get(table or "", "canonical"))


def _entry(ins: Inspection, det: Detection | None, cls, smp: Sample, touchpoint, csat, nps) -> dict:
    entry: dict = {"file": ins.file, "table": ins.table}
    if issubclass(cls, ToolPreset):
        entry["tool"] = cls.tool
    elif cls.name != "canonical":
        entry["adapter"] = cls.name
    if det is not None:
        entry.update(det.options)
    ins.header_rows = int(entry.get("header_rows", 1))
    entry.pop("header_rows", None)  # the preset decides its header rows itself
    cols = {}
    if csat:
        cols["csat"] = csat
    if nps:
        cols["nps"] = nps
    if cols:
        entry["columns"] = cols
    if touchpoint:
        entry["touchpoint"] = touchpoint
    if smp.format == "csv" and smp.delimiter and smp.delimiter != CsvReader(smp.path).delimiter:
        entry["delimiter"] = smp.delimiter
    return entry


def _adapter(cls, entry: dict, cfg: ClientConfig, path: Path, file: str) -> Adapter:
    keys = {k: v for k, v in entry.items() if k not in ("touchpoint",) or "touchpoint" in cls.options}
    source = SourceMapping(**keys)
    return cls(source, cfg, path, file)


def _read(ins: Inspection, adapter: Adapter, smp: Sample, cfg: ClientConfig) -> None:
    reader = adapter.open()
    ins.header_rows = max(len(reader.header_text or []), 1) if smp.format in ("csv", "xlsx") else 0
    try:
        adapter.bind(reader.columns)
    except SchemaError as exc:
        ins.rows = sum(len(chunk.frame) for chunk in reader.chunks())
        missing = exc.column or "?"
        ins.undecided.append(Undecided(
            f"{exc.message} (the {ins.tool} export has no such column: export it again with that column, or "
            f"map one in client.yml)", f"`columns: {{{missing}: <column>}}` in client.yml, --tool or --table"))
        return
    ins.mapping = dict(adapter.mapping)
    ins._columns = list(reader.columns)  # type: ignore[attr-defined]
    ins._values = {c: [] for c in reader.columns}  # type: ignore[attr-defined]
    ts_parts: list[pd.Series] = []
    for chunk in reader.chunks():
        ins.rows += len(chunk.frame)
        for c in ins._values:  # type: ignore[attr-defined]
            if c in chunk.frame and (adapter.table == "feedback"):
                vals = chunk.frame[c].dropna()
                ins._values[c].extend(vals.astype(str).tolist()[:100_000])  # type: ignore[attr-defined]
        frame, _ = adapter.records(chunk)
        ts_parts.append(_kept_ts(frame, ins))
    held = adapter.finish()
    if held is not None and not held[0].empty:
        ts_parts.append(_kept_ts(held[0], ins))
    ins.notes.extend(dict.fromkeys(adapter.notes + adapter.warnings))
    records = getattr(ins, "_records", 0)
    if records and getattr(ins, "_rejected", 0) == records:
        ins.undecided.append(Undecided(
            f"no record can be used: every one is rejected, for example \"{ins._reason}\"",  # type: ignore
            "no option: the export lacks what the table needs (export it again with it)"))
    ts = pd.concat([p for p in ts_parts if p is not None], ignore_index=True) if any(
        p is not None for p in ts_parts) else None
    if ts is not None and not ts.empty:
        _dates(ins, adapter, ts)


def _kept_ts(frame: pd.DataFrame, ins: Inspection) -> pd.Series | None:
    ins._records = getattr(ins, "_records", 0) + len(frame)  # type: ignore[attr-defined]
    if "_reject" in frame:
        reason = as_text(frame["_reject"])
        excluded = reason.str.startswith("excluded:").fillna(False)
        ins.excluded += int(excluded.sum())
        other = reason[reason.notna() & ~excluded]
        ins._rejected = getattr(ins, "_rejected", 0) + len(other)  # type: ignore[attr-defined]
        if len(other):
            ins._reason = other.iloc[0]  # type: ignore[attr-defined]
        frame = frame[frame["_reject"].isna().to_numpy()]
    if "ts" not in frame:
        return None
    return frame["ts"].reset_index(drop=True)


def _dates(ins: Inspection, adapter: Adapter, ts: pd.Series) -> None:
    src = adapter.source
    ins.date_column = adapter.mapping.get("ts") or "ts"
    order = src.date_order or getattr(adapter, "date_order", None)
    if not pd.api.types.is_datetime64_any_dtype(ts) and not src.date_format:
        found, evidence = date_order(ts)
        if found is not None and order is None:
            found = order_of(merge_date_evidence({}, evidence))
            if found == "?":
                ins.undecided.append(Undecided(
                    f"the dates in '{ins.date_column}' can be day-first or month-first: none of its "
                    f"{evidence['values']:,} values has a day above 12", "--date-order MDY|DMY"))
                return
            if found == "mixed":
                ins.undecided.append(Undecided(
                    f"the dates in '{ins.date_column}' mix day-first ({evidence['day_first_example']!r}) and "
                    f"month-first ({evidence['month_first_example']!r}) values", "--date-format FORMAT"))
                return
            order = found
        elif found is None and order is None:
            order = None
    ins.date_order = order
    if order is None and not pd.api.types.is_datetime64_any_dtype(ts):
        text = as_text(ts).dropna()
        if not text.empty and text.str.match(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}").all():
            ins.date_order = "YMD"
    utc, bad = parse_timestamps(ts, "UTC", src.date_format, order)
    if utc.notna().any():
        lo, hi = utc.idxmin(), utc.idxmax()
        ins.ts_min, ins.ts_max = _as_written(ts[lo], utc[lo], src.date_format, order), \
            _as_written(ts[hi], utc[hi], src.date_format, order)
    if bad.any():
        ins.notes.append(f"{int(bad.sum()):,} time stamp(s) in '{ins.date_column}' cannot be read as dates")


def _as_written(raw, utc: pd.Timestamp, date_format: str | None, order: str | None) -> str:
    """A time stamp in ISO 8601 as the file writes it: its own offset when it has one, else its local time."""
    if isinstance(raw, (pd.Timestamp, dt.datetime)):
        return pd.Timestamp(raw).isoformat()
    text = str(raw).strip()
    try:
        aware = pd.Timestamp(text)
        if aware.tzinfo is not None:
            return aware.isoformat()
    except (ValueError, TypeError):
        pass
    # no offset: parse_timestamps read it as UTC, which is the local time as written
    return utc.isoformat()


def _questions(ins: Inspection, adapter: Adapter, csat: str | None, nps: str | None) -> None:
    if ins.table != "feedback" or not hasattr(ins, "_columns") or not isinstance(adapter, SurveyAdapter):
        return  # a helpdesk's satisfaction rating is not a survey question
    ins.questions = _candidates(ins, adapter)
    for kind, given in (("csat", csat), ("nps", nps)):
        if given:
            setattr(ins, kind, given)
            continue
        mapped = adapter.mapping.get(kind)
        found = [q for q in ins.questions if q.kind == kind]
        if mapped and not found:
            setattr(ins, kind, mapped)
        elif len(found) == 1:
            setattr(ins, kind, found[0].column)
        elif len(found) > 1:
            ins.undecided.append(Undecided(
                f"{len(found)} {kind.upper()} questions: " + "; ".join(f"'{q.column}'" for q in found),
                f"--{kind} COLUMN"))
    for q in ins.questions:
        if q.kind == "csat" and q.column == ins.csat and q.scale and q.scale[1] > 5:
            ins.undecided.append(Undecided(
                f"the CSAT question '{q.column}' is answered on a 1-{q.scale[1]:g} scale; the kit's CSAT is 1-5",
                "--csat COLUMN (a 1-5 question)"))
    if not ins.csat and not ins.nps and not any(u.flag.startswith("--csat") or u.flag.startswith("--nps")
                                                  for u in ins.undecided):
        ins.undecided.append(Undecided("no CSAT or NPS question found by its wording (satisfied, tilfreds, nöjd, "
                                       "fornøyd; likely to recommend, anbefale, rekommendera) and its scale",
                                       "--csat COLUMN or --nps COLUMN"))


def _candidates(ins: Inspection, adapter: Adapter) -> list[Question]:
    """Columns whose question text reads as NPS (0-10 answers) or CSAT (1-5 or 1-7 answers)."""
    found = []
    texts = getattr(adapter, "questions", None) or {}
    for col in ins._columns:  # type: ignore[attr-defined]
        text = str(texts.get(col) or col)
        scale = _scale(ins._values.get(col, []))  # type: ignore[attr-defined]
        if scale is None:
            continue
        if NPS_WORDS.search(text) or NPS_WORDS.search(col):
            if scale[0] >= 0 and scale[1] <= 10 and scale[1] > 5:
                found.append(Question(col, text, "nps", scale))
        elif CSAT_WORDS.search(text) or CSAT_WORDS.search(col):
            if scale[0] >= 1 and scale[1] <= 7:
                found.append(Question(col, text, "csat", scale))
    return found


def _scale(values: list[str]) -> tuple[float, float] | None:
    if not values:
        return None
    text = pd.Series(values, dtype=object).astype(str).str.strip()
    lead = text.str.extract(r"^(\d{1,2})(?:[.,]0+)?(?:\s|$|\s*[-–:=(])", expand=False)
    nums = pd.to_numeric(lead, errors="coerce")
    if nums.isna().mean() > 0.05 or nums.notna().sum() == 0:
        return None
    return float(nums.min()), float(nums.max())


def _finish_entry(ins: Inspection, adapter: Adapter, entry: dict, touchpoint: str | None,
                  cfg: ClientConfig) -> None:
    cols = dict(entry.get("columns") or {})
    for kind in ("csat", "nps"):
        value = getattr(ins, kind)
        if value and adapter.mapping.get(kind) != value:
            cols[kind] = value
    if cols:
        entry["columns"] = cols
    if ins.date_order in ("DMY", "MDY") and ins.date_order != getattr(adapter, "date_order", None) \
            and "date_order" not in entry:
        entry["date_order"] = ins.date_order
    needs_tp = ins.table in ("feedback", "reviews") or (ins.table == "events" and ins.tool in ("zendesk",
                                                                                             "freshdesk"))
    if touchpoint:
        known = cfg.touchpoint_ids
        if touchpoint not in known:
            ins.undecided.append(Undecided(
                f"touchpoint '{touchpoint}' is not in the catalogue of {cfg.path}{did_you_mean(touchpoint, known)}",
                "--touchpoint ID (one of " + ", ".join(known) + ")"))
    elif needs_tp and "touchpoint_id" not in adapter.mapping:
        ids = ", ".join(cfg.touchpoint_ids) or "none yet: add the touchpoint to client.yml first"
        ins.undecided.append(Undecided(f"the file does not say which touchpoint its {ins.table} are about",
                                       f"--touchpoint ID (the catalogue has: {ids})"))


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


# ---------------------------------------------------------------- client.yml


def resolve_file(folder: Path, file: Path) -> tuple[Path, str]:
    """The export's path and its ``file:`` in client.yml: relative to the client folder when it is inside it
    (``raw/x.csv``; a bare name is looked up in ``raw/``), else the absolute path."""
    given = Path(file)
    for candidate in (given, folder / "raw" / given, folder / given):
        if candidate.is_file():
            path = candidate.resolve()
            break
    else:
        raise DataError("the file does not exist", file=given,
                        hint=f"put the export in {folder / 'raw'} or give its path")
    try:
        label = path.relative_to(folder.resolve()).as_posix()
    except ValueError:
        label = str(path)
    return path, label


def _yaml() -> YAML:
    y = YAML()  # round trip: comments, key order and quoting of the file are kept
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 120
    return y


def _flow(entry: dict) -> CommentedMap:
    out = CommentedMap()
    for k, v in entry.items():
        if isinstance(v, dict):
            out[k] = CommentedMap(v)  # block style: question texts with "?" or ":" need no quoting rules
        else:
            out[k] = v
    return out


def dump_entries(entries: list[dict]) -> str:
    """The YAML of source entries as they go under ``sources:``."""
    buf = io.StringIO()
    seq = CommentedSeq([_flow(e) for e in entries])
    _yaml().dump({"sources": seq}, buf)
    return buf.getvalue()


def add_entries(config: Path, entries: list[dict]) -> int:
    """Append ``entries`` to ``sources:`` of ``config`` keeping its comments; returns how many were added.

    An entry for the same file and table already there is an error (remove it first, or edit it).
    """
    y = _yaml()
    text = Path(config).read_text(encoding="utf-8")
    doc = y.load(text) or CommentedMap()
    sources = doc.get("sources")
    if sources is None:
        sources = doc["sources"] = CommentedSeq()
    have = {(str(s.get("file")), str(s.get("table"))) for s in sources if isinstance(s, dict)}
    for e in entries:
        if (e["file"], e["table"]) in have:
            raise ConfigError(f"client.yml already has a source for '{e['file']}' (table {e['table']})",
                              file=config, hint="remove or edit that entry, then run add-source --write again")
    for e in entries:
        sources.append(_flow(e))
    buf = io.StringIO()
    y.dump(doc, buf)
    Path(config).write_text(buf.getvalue(), encoding="utf-8")
    return len(entries)
