"""Readers for raw exports: CSV (any delimiter and encoding), Excel .xlsx, Parquet, JSON.

Every reader streams: it yields :class:`RawChunk` objects of at most a few
hundred thousand rows, never the whole file. Each chunk carries the 1-based
row number of every record in the file, counting the header as row 1 (the
number a spreadsheet shows; for a CSV file without line breaks inside values
it is also the line number).

Problems with the file as a whole (empty, binary, unreadable encoding, broken
quoting, rows with the wrong number of fields, a missing header...) raise
:class:`~helpers.errors.DataError` naming the file, the row and what to fix.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from charset_normalizer import from_bytes
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from helpers.errors import DataError

CHUNK_ROWS = 250_000
CSV_BLOCK_BYTES = 16 << 20
SNIFF_BYTES = 1 << 20
MAX_LINE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
FORMATS = ("csv", "xlsx", "parquet", "jsonl", "json")

_MAGIC = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx file?)",
    b"PAR1": "a Parquet file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office) file",
    b"\x1f\x8b": "a gzip archive",
}


@dataclass
class RawChunk:
    frame: pd.DataFrame  # raw values under the file's own column names
    rows: np.ndarray  # 1-based row number in the file of each record (header = row 1)


def detect_format(path: Path, declared: str = "auto") -> str:
    if declared and declared != "auto":
        return declared
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix == ".xls":
        raise DataError("old Excel .xls files cannot be read", file=path,
                        hint="open it in Excel and save it as .xlsx (or export CSV)")
    return "csv"


@dataclass(frozen=True)
class Layout:
    """Where the header and the data are: ``header_rows`` rows of header (names from the first, or
    ``combine="join"``: a question row and an option row joined as "Question - Option"), ``skip_rows`` rows
    skipped after it, or no header at all (``header=False`` with ``names``)."""

    header: bool = True
    names: tuple[str, ...] | None = None
    header_rows: int = 1
    skip_rows: int = 0
    combine: str = "first"  # or "join"


def combine_header(rows: list[list[str]]) -> list[str]:
    """Two header rows (a question, then an option label or "Response" under it) -> one name per column.

    A blank question cell continues the question to its left (a multi-column question); the option is
    added as "Question - Option" unless it is blank or "Response"/"Open-Ended Response".
    """
    first, second = rows[0], rows[1] if len(rows) > 1 else []
    width = max(len(first), len(second))
    out, question = [], ""
    for i in range(width):
        q = (first[i] if i < len(first) else "").strip()
        o = (second[i] if i < len(second) else "").strip()
        if q:
            question = q
        if not question:
            out.append(o)
        elif not o or o.lower() in ("response", "open-ended response"):
            out.append(question)
        else:
            out.append(f"{question} - {o}")
    return out


def open_reader(path: Path, fmt: str = "auto", *, delimiter: str | None = None, encoding: str | None = None,
                sheet: str | int | None = None, header_row: int | None = None, layout: Layout | None = None
                ) -> "Reader":
    """The streaming reader for one raw file (format from the suffix unless declared)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("the file does not exist", file=path,
                        hint="put the export there or correct `file:` of this source in client.yml")
    if path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", file=path,
                        hint="export the data again; the export or the copy did not finish")
    fmt = detect_format(path, fmt)
    if fmt == "csv":
        return CsvReader(path, delimiter=delimiter, encoding=encoding, header_row=header_row, layout=layout)
    if fmt == "xlsx":
        return XlsxReader(path, sheet=sheet, header_row=header_row, layout=layout)
    if fmt == "parquet":
        return ParquetReader(path)
    if fmt in ("jsonl", "json"):
        return JsonReader(path, encoding=encoding)
    raise DataError(f"unknown format '{fmt}'", file=path, hint=f"use one of {', '.join(FORMATS)}")


class Reader:
    path: Path
    columns: list[str]
    description: str = ""
    #: the header rows as read (before renaming): a preset reads question text from them
    header_text: list[list[str]] = []
    #: what reading changed ("the column 'Response' appears 3 times: read as Response, Response_2, ...")
    notes: list[str] = []
    #: new name -> the name in the file, for renamed repeated or blank column names
    renamed: dict[str, str] = {}

    def chunks(self) -> Iterator[RawChunk]:  # pragma: no cover - interface
        raise NotImplementedError


def _check_header(path: Path, names: list, row: int = 1) -> tuple[list[str], list[str], dict[str, str]]:
    """Column names; repeated and blank names get a number (``Response_2``, ``column_7``) with a note.

    Returns ``(names, notes, renamed)``; mapping a renamed column by its original name is an error
    raised by the adapter (the name is ambiguous).
    """
    clean = ["" if raw is None else str(raw).strip() for raw in names]
    if all(not n for n in clean):
        raise DataError("the header row is blank", file=path, row=row,
                        hint="the first row must hold the column names (or set `header: false` and `names:`)")
    out: list[str] = []
    taken = set(clean)
    renamed: dict[str, str] = {}
    count: dict[str, int] = {}
    blanks: list[int] = []
    for i, name in enumerate(clean, start=1):
        if not name:
            new = f"column_{i}"
            while new in taken:
                new += "_"
            blanks.append(i)
            renamed[new] = ""
        elif name in count:
            count[name] += 1
            new = f"{name}_{count[name]}"
            while new in taken:
                new += "_"
            renamed[new] = name
        else:
            count[name] = 1
            new = name
        taken.add(new)
        out.append(new)
    notes = []
    for name, n in count.items():
        if n > 1:
            alias = [name] + [k for k, v in renamed.items() if v == name]
            notes.append(f"the column name '{name}' appears {n} times: read as {', '.join(alias)}")
    if blanks:
        notes.append(f"{len(blanks)} column(s) without a name read as "
                     + ", ".join(f"column_{i}" for i in blanks[:5]) + (" ..." if len(blanks) > 5 else ""))
    return out, notes, renamed


# ---------------------------------------------------------------- CSV


class CsvReader(Reader):
    def __init__(self, path: Path, delimiter: str | None = None, encoding: str | None = None,
                 header_row: int | None = None, layout: Layout | None = None) -> None:
        self.path = path
        self.layout = layout or Layout()
        self.skip = max(int(header_row or 1) - 1, 0)  # lines before the header
        head = self._head()
        self.encoding = encoding or self._detect_encoding(head)
        text = self._decode_head(head)
        lines = text.splitlines()
        # drop title lines before the header, then leading blank lines
        lines = lines[self.skip:]
        while lines and not lines[0].strip():
            lines.pop(0)
            self.skip += 1
        if not lines:
            raise DataError("the file holds no text, only blank lines", file=path,
                            hint="export the data again")
        first = lines[0].lstrip()
        if first[:15].lower().startswith(("<!doctype html", "<html", "<?xml")):
            raise DataError("the file is a web page or XML document, not a CSV export", file=path, row=1,
                            hint="download the export itself (the link may have returned a login or error page)")
        self.delimiter = delimiter or self._sniff_delimiter(lines[:50])
        lay = self.layout
        n_head = lay.header_rows if lay.header else 0
        try:  # the header rows as records: a quoted question text may hold line breaks
            records = list(itertools.islice(csv.reader(io.StringIO("\n".join(lines)), delimiter=self.delimiter),
                                            max(n_head, 1)))
        except csv.Error as exc:
            raise DataError(f"the header cannot be read: {exc}", file=path, row=self.skip + 1) from None
        if not lay.header:
            header = list(lay.names or ())
            width = len(records[0]) if records else 0
            if width != len(header):
                raise DataError(f"`names:` gives {len(header)} column name(s) but the first row has {width} "
                                f"field(s)", file=path, row=self.skip + 1,
                                hint="list one name per column in `names:`")
            self.header_text = []
        else:
            if len(records) < n_head:
                raise DataError(f"the file has fewer than the {n_head} header rows it should have", file=path,
                                row=self.skip + 1, hint="check `header_rows:` (or `tool:`) of this source")
            self.header_text = records[:n_head]
            header = combine_header(records[:2]) if lay.combine == "join" else records[0]
        self.columns, self.notes, self.renamed = _check_header(path, header, row=self.skip + 1)
        self.first_data_row = self.skip + n_head + lay.skip_rows + 1
        self.description = f"CSV, delimiter {self.delimiter!r}, encoding {self.encoding}" + (
            f", {n_head} header rows" if n_head > 1 else "") + ("" if lay.header else ", no header row")

    # -- sniffing
    def _head(self) -> bytes:
        with open(self.path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
        for magic, what in _MAGIC.items():
            if head.startswith(magic):
                raise DataError(f"the file is {what}, not a CSV text file", file=self.path,
                                hint="export CSV, or name the file after its format (.xlsx, .parquet) "
                                     "or set `format:` for this source in client.yml")
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise DataError("the file holds binary data, not CSV text", file=self.path,
                            hint="export the data again as CSV (comma or semicolon separated text)")
        if not head.strip():
            raise DataError("the file holds no text, only blank lines", file=self.path,
                            hint="export the data again")
        if len(head) >= SNIFF_BYTES and b"\n" not in head and b"\r" not in head:
            raise DataError(f"the first line is longer than {SNIFF_BYTES // (1 << 20)} MB: the file has no line "
                            "breaks, so it is not a table", file=self.path, row=1,
                            hint="export the data again as CSV with one record per line")
        return head

    def _detect_encoding(self, head: bytes) -> str:
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        sample = head
        if len(head) >= SNIFF_BYTES:  # do not judge a multi-byte character cut at the end of the sample
            cut = max(head.rfind(b"\n"), 0)
            sample = head[:cut] if cut else head
        try:
            sample.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            bad_at = exc.start
        # valid UTF-8 multi-byte characters next to bytes that are not UTF-8: two encodings in one file
        if re.search(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", sample):
            row = sample[:bad_at].count(b"\n") + 1
            raise DataError("the file mixes two text encodings (UTF-8 and another, such as Windows-1252)",
                            file=self.path, row=row,
                            hint="open it in a text editor and save it again as UTF-8, or export it again")
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass

        best = from_bytes(sample).best()
        if best is None:
            raise DataError("the text encoding cannot be recognised", file=self.path,
                            hint="save the file as UTF-8, or set `encoding:` for this source in client.yml")
        return best.encoding

    def _decode_head(self, head: bytes) -> str:
        if len(head) >= SNIFF_BYTES:
            cut = head.rfind(b"\n")
            head = head[:cut] if cut > 0 else head
        try:
            return head.decode(self.encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataError(f"the file cannot be read as {self.encoding}: {exc}", file=self.path,
                            hint="save the file as UTF-8 or correct `encoding:` in client.yml") from None

    def _sniff_delimiter(self, lines: list[str]) -> str:
        best, best_score = ",", (0, 0)
        sample = [line for line in lines if line.strip()][:20]
        for cand in DELIMITERS:
            try:
                counts = [len(r) for r in csv.reader(sample, delimiter=cand)]
            except csv.Error:
                continue
            if not counts or counts[0] < 2:
                continue
            consistent = sum(1 for c in counts if c == counts[0])
            score = (consistent, counts[0])
            if score > best_score:
                best, best_score = cand, score
        return best

    # -- reading
    def chunks(self) -> Iterator[RawChunk]:
        names = self.columns
        invalid: list = []

        def on_invalid(row):
            invalid.append(row)
            return "error"

        encoding = "utf8" if self.encoding in ("utf-8", "utf-8-sig", "utf8") else self.encoding
        after = (self.layout.header_rows if self.layout.header else 0) + self.layout.skip_rows
        read_opts = pacsv.ReadOptions(column_names=names, skip_rows=self.skip, skip_rows_after_names=after,
                                      encoding=encoding, block_size=CSV_BLOCK_BYTES, use_threads=True)
        parse_opts = pacsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True,
                                        invalid_row_handler=on_invalid)
        conv_opts = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                                         quoted_strings_can_be_null=True, null_values=[""])
        row = self.first_data_row
        produced = 0
        try:
            with open(self.path, "rb") as fh:
                if encoding == "utf8" and self.encoding == "utf-8-sig":
                    fh.read(3)
                reader = pacsv.open_csv(fh, read_options=read_opts, parse_options=parse_opts,
                                        convert_options=conv_opts)
                for batch in reader:
                    if batch.num_rows == 0:
                        continue
                    frame = batch.to_pandas()
                    rows = np.arange(row, row + len(frame), dtype=np.int64)
                    row += len(frame)
                    produced += len(frame)
                    for start in range(0, len(frame), CHUNK_ROWS):
                        yield RawChunk(frame.iloc[start:start + CHUNK_ROWS].reset_index(drop=True),
                                       rows[start:start + CHUNK_ROWS])
        except (pa.ArrowInvalid, UnicodeDecodeError, pa.ArrowException) as exc:
            raise self._diagnose(str(exc), invalid) from None
        if produced == 0:
            raise DataError("the file has a header but no data rows", file=self.path, row=self.skip + 1,
                            hint="export the data again including the rows, or remove this source from client.yml")
        if self._odd_quotes():  # an inch mark (26" wheels) is fine; a quote that swallows rows is not
            problem = self._diagnose("unbalanced quotes", invalid, quotes_only=True)
            if problem is not None:
                raise problem

    def _odd_quotes(self) -> bool:
        """An odd number of quote characters: a quoted value runs to the end of the file (Arrow accepts that)."""
        if self.encoding not in ("utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-1", "ascii"):
            return False
        count = 0
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                count += block.count(b'"')
        return count % 2 == 1

    def _diagnose(self, message: str, invalid: list, quotes_only: bool = False) -> DataError | None:
        """Turn an Arrow parse error into a message with the row and what to fix (a slow, exact second pass)."""
        expected = len(self.columns)
        try:
            with open(self.path, encoding=self.encoding, newline="") as fh:
                for _ in range(self.skip):
                    fh.readline()
                reader = csv.reader(fh, delimiter=self.delimiter, strict=True)
                record = 0
                for fields in reader:
                    record += 1
                    if record == 1 or not fields or fields == [""]:
                        continue
                    row = self.skip + record
                    if any(len(f) > MAX_LINE_BYTES for f in fields):
                        return DataError(
                            f"a value in this row is longer than {MAX_LINE_BYTES // (1 << 20)} MB (a quote that "
                            "is never closed swallows the rest of the file)", file=self.path, row=row,
                            hint="check the quotes (\") in and after this row; each opening quote needs a closing one",
                        )
                    if len(fields) != expected:
                        last = reader.line_num
                        truncated = not _has_more(fh)
                        what = "fewer" if len(fields) < expected else "more"
                        hint = ("the last line is cut off: export the file again (the copy did not finish)"
                                if truncated and len(fields) < expected else
                                f"each row needs {expected} fields separated by {self.delimiter!r}; quote values "
                                "that contain the separator")
                        return DataError(f"row has {len(fields)} fields, {what} than the {expected} columns of "
                                         f"the header (line {last})", file=self.path, row=row, hint=hint)
        except csv.Error as exc:
            text = str(exc)
            if "EOF" in text or "unexpected end of data" in text:
                return DataError("a quoted value is never closed: the file ends inside quotes",
                                 file=self.path, row=self.skip + record + 1,
                                 hint="check the quotes (\") from this row on; each opening quote needs a closing one")
            return DataError(f"the CSV structure is broken: {text}", file=self.path, row=self.skip + record + 1,
                             hint="check quotes and separators in this row")
        except UnicodeDecodeError as exc:
            row = _row_of_byte(self.path, exc.start if hasattr(exc, "start") else 0, self.encoding)
            return DataError(f"bytes that are not valid {self.encoding} text (the file mixes encodings)",
                             file=self.path, row=row,
                             hint="open it in a text editor and save it again as UTF-8, or export it again")
        if quotes_only:
            return None
        if "UTF8" in message or "utf-8" in message.lower() or "decode" in message.lower():
            row = _first_bad_utf8_row(self.path)
            return DataError("bytes that are not valid UTF-8 text (the file mixes encodings)", file=self.path,
                             row=row, hint="save the file again as UTF-8, or export it again")
        if "straddling" in message or "block" in message:
            return DataError("a row is too long to be a table row (more than 16 MB)", file=self.path,
                             hint="check for a quote that is never closed or a missing line break")
        if invalid:
            return DataError(f"a row has {invalid[0].actual_columns} fields instead of {expected}", file=self.path,
                             hint="each row needs as many fields as the header")
        return DataError(f"the CSV file cannot be parsed: {message}", file=self.path,
                         hint="check separators, quotes and the encoding")


def _has_more(fh) -> bool:
    rest = fh.read(1 << 16)
    return bool(rest.strip())


def _first_bad_utf8_row(path: Path) -> int | None:
    with open(path, "rb") as fh:
        for i, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return i
    return None


def _row_of_byte(path: Path, offset: int, encoding: str) -> int | None:
    return _first_bad_utf8_row(path) if encoding.startswith("utf") else None


# ---------------------------------------------------------------- Excel


def _cell_text(v):

    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    text = str(v)
    return text if text.strip() else None


class XlsxReader(Reader):
    def __init__(self, path: Path, sheet: str | int | None = None, header_row: int | None = None,
                 layout: Layout | None = None) -> None:
        self.layout = layout or Layout()


        self.path = path
        try:
            self._wb = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
            raise DataError(f"not a valid Excel .xlsx workbook ({type(exc).__name__})", file=path,
                            hint="open it in Excel and save it as .xlsx again, or export CSV") from None
        names = self._wb.sheetnames
        if sheet is None:
            ws = self._wb.worksheets[0]
        elif isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit()):
            idx = int(sheet)
            if not 0 <= idx < len(names):
                raise DataError(f"the workbook has no sheet number {idx}", file=path,
                                hint=f"sheets are numbered from 0: {', '.join(names)}")
            ws = self._wb.worksheets[idx]
        elif sheet in names:
            ws = self._wb[sheet]
        else:
            raise DataError(f"the workbook has no sheet '{sheet}'", file=path,
                            hint=f"set `sheet:` to one of {', '.join(names)}")
        self.sheet = ws.title
        self._ws = ws
        self._rows = ws.iter_rows(values_only=True)
        self.header_row = 0
        wanted = int(header_row) if header_row else None
        for i, values in enumerate(self._rows, start=1):
            if (wanted and i == wanted) or (not wanted and any(v is not None and str(v).strip() for v in values)):
                self.header_row = i
                header = list(values)
                break
        else:
            raise DataError(f"sheet '{self.sheet}' is empty", file=path,
                            hint="export the data again, or name the right sheet with `sheet:` in client.yml")
        while header and (header[-1] is None or not str(header[-1]).strip()):
            header.pop()
        self.header_text = [[_cell_text(v) or "" for v in header]]
        for _ in range(self.layout.header_rows - 1 + self.layout.skip_rows):
            extra = next(self._rows, None)
            if extra is not None:
                self.header_text.append([_cell_text(v) or "" for v in extra])
        self._first = self.header_row + self.layout.header_rows + self.layout.skip_rows
        self.columns, self.notes, self.renamed = _check_header(path, header, row=self.header_row)
        self.description = f"Excel sheet '{self.sheet}'"

    def chunks(self) -> Iterator[RawChunk]:
        width = len(self.columns)
        buf: list[list] = []
        rows: list[int] = []
        produced = 0
        for i, values in enumerate(self._rows, start=self._first):
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            vals = [_cell_text(v) for v in values[:width]]
            vals += [None] * (width - len(vals))
            buf.append(vals)
            rows.append(i)
            if len(buf) >= 50_000:
                produced += len(buf)
                yield RawChunk(pd.DataFrame(buf, columns=self.columns, dtype=object), np.asarray(rows))
                buf, rows = [], []
        if buf:
            produced += len(buf)
            yield RawChunk(pd.DataFrame(buf, columns=self.columns, dtype=object), np.asarray(rows))
        self._wb.close()
        if produced == 0:
            raise DataError(f"sheet '{self.sheet}' has a header but no data rows", file=self.path,
                            row=self.header_row, hint="export the data again including the rows")


# ---------------------------------------------------------------- Parquet


def _flatten(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


class ParquetReader(Reader):
    def __init__(self, path: Path) -> None:

        self.path = path
        try:
            self._file = pq.ParquetFile(path)
        except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
            raise DataError(f"not a readable Parquet file ({exc})", file=path,
                            hint="export it again, or name the file after its real format (.csv, .xlsx)") from None
        schema = _flatten(self._file.schema_arrow.empty_table()).schema
        self.columns, self.notes, self.renamed = _check_header(path, schema.names)
        self.description = "Parquet"

    def chunks(self) -> Iterator[RawChunk]:
        row = 2
        produced = 0
        try:
            for batch in self._file.iter_batches(batch_size=CHUNK_ROWS):
                table = _flatten(pa.Table.from_batches([batch]))
                frame = table.to_pandas()
                frame.columns = self.columns
                rows = np.arange(row, row + len(frame), dtype=np.int64)
                row += len(frame)
                produced += len(frame)
                yield RawChunk(frame, rows)
        except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
            raise DataError(f"the Parquet file is damaged ({exc})", file=self.path, row=row,
                            hint="export it again") from None
        if produced == 0:
            raise DataError("the Parquet file has no rows", file=self.path, hint="export the data again")


# ---------------------------------------------------------------- JSON


def _check_record(rec, path: Path, row: int) -> None:
    if not isinstance(rec, dict):
        raise DataError(f"expected one JSON object per record, found {type(rec).__name__}", file=path,
                        row=row, hint="export records as objects ({\"field\": value, ...})")


def _normalise_records(records: list) -> pd.DataFrame:
    frame = pd.json_normalize(records, sep=".")
    # a record that is null in some rows and an object in others gives "x" (all null) next to "x.y": drop "x"
    parents = [c for c in frame.columns if any(o.startswith(c + ".") for o in frame.columns)]
    return frame.drop(columns=[c for c in parents if frame[c].isna().all()])


def _collect_keys(record: dict, prefix: str, keys: dict, filled: set) -> None:
    """The column names ``pd.json_normalize(sep=".")`` gives one record (in order), and which are not null."""
    for k, v in record.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            _collect_keys(v, name + ".", keys, filled)
            continue
        keys.setdefault(name, None)
        if v is not None:
            filled.add(name)


def _columns_of(keys: dict, filled: set) -> list[str]:
    """All fields of a file: a field that is null in some records and an object in others gives "x" (always
    null) next to "x.y": "x" is dropped, as :func:`_normalise_records` drops it per chunk."""
    names = list(keys)
    parents = {n.rsplit(".", 1)[0] for n in names if "." in n}
    out, seen = [], set()
    for n in names:
        if n in parents and n not in filled:
            continue
        if n not in seen:
            seen.add(n)
            out.append(n)
    return out


def _records_of(data: dict) -> list:
    """The records of a JSON document that is one object.

    An envelope holding one list of objects (``{"tickets": [...]}``, a GeoJSON FeatureCollection's
    ``features``) gives that list; an envelope holding one object (``{"ticket": {...}}``) gives it as one
    record; any other object is itself one record (a single API object).
    """
    lists = [v for v in data.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
    if len(lists) == 1:
        return lists[0]
    if len(data) == 1:
        (only,) = data.values()
        if isinstance(only, dict):
            return [only]
    return [data]


class JsonReader(Reader):
    """JSON lines (one object per line) or one JSON array of objects (read at once: keep those small).

    The columns are the union of the fields of every record: JSON lines are read twice, once for the
    field names (and to find a broken line before anything is ingested) and once in chunks; an array is
    parsed once and kept in memory.
    """

    ARRAY_LIMIT = 512 << 20

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        self.encoding = encoding or "utf-8-sig"
        with open(path, "rb") as fh:
            head = fh.read(4096)
        for magic, what in _MAGIC.items():
            if head.startswith(magic):
                raise DataError(f"the file is {what}, not JSON", file=path,
                                hint="export JSON, or name the file after its real format")
        start = head.decode(self.encoding, errors="replace").lstrip()
        if not start:
            raise DataError("the file holds no text", file=path, hint="export the data again")
        self.array = start.startswith("[")
        if start.startswith("{"):
            # JSON lines when the first line is a whole object; otherwise one document holding a list
            with open(path, encoding=self.encoding, errors="replace") as fh:
                first_line = next((line for line in fh if line.strip()), "")
            try:
                json.loads(first_line)
            except json.JSONDecodeError:
                self.array = True
        if not self.array and not start.startswith("{"):
            raise DataError("not JSON: the file must start with '{' (JSON lines) or '[' (an array of records)",
                            file=path, row=1, hint="export JSON (or CSV) again")
        keys: dict[str, None] = {}
        filled: set[str] = set()
        count = 0
        if self.array:
            self._data = self._load_array()
            for i, rec in enumerate(self._data):
                _check_record(rec, path, i + 1)
                _collect_keys(rec, "", keys, filled)
            count = len(self._data)
        else:
            for _, rec in self._lines():
                _collect_keys(rec, "", keys, filled)
                count += 1
        if count == 0 or not keys:
            raise DataError("the file holds no records", file=path, hint="export the data again")
        self.columns = _columns_of(keys, filled)
        self.description = "JSON array" if self.array else "JSON lines"

    def _load_array(self) -> list:
        if self.path.stat().st_size > self.ARRAY_LIMIT:
            raise DataError("a JSON array this large cannot be streamed", file=self.path,
                            hint="export JSON lines (one record per line) instead")
        try:
            data = json.loads(self.path.read_text(encoding=self.encoding))
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON: {exc.msg}", file=self.path, row=exc.lineno,
                            hint="export the file again; it may be cut off") from None
        if isinstance(data, dict):
            data = _records_of(data)
        if not isinstance(data, list):
            raise DataError("the JSON holds no list of records", file=self.path,
                            hint="export an array of objects or JSON lines")
        return data

    def _lines(self) -> Iterator[tuple[int, dict]]:
        """(line number, record) of every non-blank line of a JSON lines file."""
        with open(self.path, encoding=self.encoding, errors="strict") as fh:
            lineno = 0
            try:
                for lineno, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataError(f"not a valid JSON record: {exc.msg} (character {exc.colno})",
                                        file=self.path, row=lineno,
                                        hint="each line must be one complete JSON object; the file may be cut off"
                                        ) from None
                    _check_record(rec, self.path, lineno)
                    yield lineno, rec
            except UnicodeDecodeError:
                raise DataError("bytes that are not valid UTF-8 text", file=self.path, row=lineno + 1,
                                hint="save the file as UTF-8") from None

    def chunks(self) -> Iterator[RawChunk]:
        if self.array:
            data = self._data
            for start in range(0, len(data), 50_000):
                part = data[start:start + 50_000]
                yield RawChunk(_normalise_records(part),
                               np.arange(start + 1, start + 1 + len(part)))
            return
        buf, rows = [], []
        for lineno, rec in self._lines():
            buf.append(rec)
            rows.append(lineno)
            if len(buf) >= 50_000:
                yield RawChunk(_normalise_records(buf), np.asarray(rows))
                buf, rows = [], []
        if buf:
            yield RawChunk(_normalise_records(buf), np.asarray(rows))
