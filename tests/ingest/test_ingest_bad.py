"""Broken files: each gives a KitError naming file, row and column and what to fix; exit code 2;
nothing half-written (the previous processed/ and rejects/ stay as they were)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers.cli import main
from helpers.errors import DataError, KitError
from helpers.ingest import ingest_client
from ingest_helpers import BAD, make_client

GOOD_EVENTS = ("customer_id,ts,touchpoint_id,journey_id,converted,revenue\n"
               "c1,2026-07-01 10:00:00,web,j1,false,0\nc1,2026-07-01 10:05:00,store,j1,true,100\n")

# file, source entry (besides table/file), table, what the message must contain, row, column
CASES = [
    ("empty.csv", {}, "feedback", ["empty (0 bytes)", "export the data again"], None, None),
    ("header_only.csv", {}, "feedback", ["header but no data rows"], 1, None),
    ("header_only_semicolon.csv", {"adapter": "crm"}, "orders", ["header but no data rows"], 1, None),
    ("blank_lines.csv", {}, "feedback", ["only blank lines"], None, None),
    ("wrong_delimiter.csv", {"delimiter": ","}, "feedback",
     ["required column(s) missing", "separated by semicolons", 'delimiter: ";"'], 1, "response_id"),
    ("missing_column.csv", {}, "feedback", ["required column(s) missing for table 'feedback': csat",
                                            "columns: {csat: <column in file>}"], 1, "csat"),
    ("non_numeric_scores.csv", {}, "feedback", ["no row can be used", "cannot read", "as a number"], 2, "csat"),
    ("truncated_last_line.csv", {}, "feedback", ["fewer than the 6 columns", "cut off"], 9, None),
    ("mixed_encodings.csv", {}, "feedback", ["mixes two text encodings", "save it again as UTF-8"], 6, None),
    ("binary.csv", {}, "feedback", ["binary data, not CSV text"], None, None),
    ("one_mb_line.csv", {}, "feedback", ["longer than 1 MB", "no line breaks"], 1, None),
    ("unclosed_quote.csv", {}, "feedback", ["never closed", "quotes"], 5, None),
    ("duplicate_header.csv", {}, "feedback", ["names column 'csat' twice (columns 5 and 7)"], 1, "csat"),
    ("not_a_zip.xlsx", {}, "orders", ["not a valid Excel .xlsx workbook", "save it as .xlsx again"], None, None),
    ("extra_fields.csv", {}, "feedback", ["8 fields, more than the 6 columns", "quote values"], 3, None),
    ("empty_sheet.xlsx", {}, "feedback", ["sheet 'Ark1' is empty", "sheet:"], None, None),
    ("header_only.xlsx", {}, "feedback", ["header but no data rows"], 1, None),
    ("zip_named_csv.csv", {}, "feedback", ["zip archive", "format:"], None, None),
    ("html_page.csv", {}, "feedback", ["web page", "download the export itself"], 1, None),
    ("no_header.csv", {}, "feedback", ["first row looks like data, not column names"], 1, "response_id"),
    ("all_bad_dates.csv", {}, "feedback", ["no row can be used", "ts: cannot read", "date_format"], 2, "ts"),
    ("broken.jsonl", {"adapter": "reviews"}, "reviews", ["not a valid JSON record", "cut off"], 3, None),
    ("not_json.json", {"adapter": "reviews"}, "reviews", ["not JSON"], 1, None),
    ("corrupt.parquet", {}, "events", ["not a readable Parquet file"], None, None),
    # a single JSON object is one record (an API object): here one without the columns a review needs
    ("json_without_records.json", {"adapter": "reviews"}, "reviews",
     ["required column(s) missing for table 'reviews'", "'status', 'count'"], 1, "source"),
    ("future_only.csv", {}, "feedback", ["no row can be used", "in the future"], 2, "ts"),
    ("not_ga4.csv", {"adapter": "ga4"}, "events", ["not a GA4 events export", "event_name"], 1, "event_name"),
    ("pdf_named_csv.csv", {}, "feedback", ["PDF document, not a CSV"], None, None),
    ("blank_header.csv", {}, "feedback", ["header row is blank"], 1, None),
    ("old_excel.xls", {}, "orders", ["old Excel .xls", "save it as .xlsx"], None, None),
]


def test_there_are_at_least_twenty_broken_files():
    files = {p.name for p in BAD.iterdir() if p.suffix != ".py"}
    assert len(files) >= 20
    assert files == {c[0] for c in CASES}


def _client(tmp_path, name, options, table):
    sources = [{"table": "events", "file": "raw/good_events.csv"}]
    files = {"good_events.csv": GOOD_EVENTS}
    make_client(tmp_path, sources=sources, files=files)
    ingest_client("acme", root=tmp_path)  # a previous good ingest that must survive
    folder = make_client(tmp_path, sources=sources + [{"table": table, "file": f"raw/{name}", **options}],
                         files={name: BAD / name})
    return folder


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "raw" not in p.relative_to(folder).parts and p.name != "client.yml"}


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")


@pytest.mark.parametrize("name,options,table,fragments,row,column", CASES, ids=[c[0] for c in CASES])
def test_broken_file_gives_a_clear_error_and_writes_nothing(tmp_path, capsys, name, options, table, fragments,
                                                            row, column):
    folder = _client(tmp_path, name, options, table)
    before = _snapshot(folder)
    with pytest.raises(KitError) as info:
        ingest_client("acme", root=tmp_path)
    err = info.value
    assert err.file and err.file.endswith(name), err
    assert err.hint, f"no hint on what to fix: {err}"
    assert err.row == row, str(err)
    assert err.column == column, str(err)
    for fragment in fragments:
        assert fragment in str(err), f"{fragment!r} not in {err}"
    # the CLI: exit code 2, one message naming the file, no traceback, nothing half-written
    for command in ("ingest", "validate"):
        assert main([command, "acme", "--root", str(tmp_path)]) == 2
        captured = capsys.readouterr()
        assert name in captured.err and "How to fix" in captured.err and "Traceback" not in captured.err
        if row is not None:
            assert f"row {row}" in captured.err
        if column is not None:
            assert f"column '{column}'" in captured.err
    assert _snapshot(folder) == before
    assert not [p for p in folder.iterdir() if p.name.startswith(".ingest-")]


def test_cli_subprocess_exit_code_and_message(tmp_path):
    _client(tmp_path, "truncated_last_line.csv", {}, "feedback")
    proc = subprocess.run([sys.executable, "-m", "helpers.cli", "ingest", "acme", "--root", str(tmp_path)],
                          capture_output=True, text=True, env={"TPKIT_KEY": "k", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "raw/truncated_last_line.csv, row 9" in proc.stderr and "Traceback" not in proc.stderr


def test_validate_lists_every_broken_file_and_the_good_ones(tmp_path, capsys):
    sources = [{"table": "events", "file": "raw/good_events.csv"},
               {"table": "feedback", "file": "raw/empty.csv"},
               {"table": "feedback", "file": "raw/duplicate_header.csv"}]
    make_client(tmp_path, sources=sources, files={"good_events.csv": GOOD_EVENTS, "empty.csv": BAD / "empty.csv",
                                                  "duplicate_header.csv": BAD / "duplicate_header.csv"})
    assert main(["validate", "acme", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "2 file(s) cannot be ingested" in err
    assert "raw/empty.csv" in err and "raw/duplicate_header.csv" in err
    assert "raw/good_events.csv" in err and "would accept 2 and reject 0 of 2 rows" in err
    assert not (tmp_path / "data/acme/processed").exists()


def test_mixed_encoding_after_the_sniffed_start(tmp_path):
    """A Windows-1252 byte deep inside an otherwise UTF-8 file is found while streaming, with its row."""
    lines = ["customer_id,ts,touchpoint_id,journey_id,converted,revenue"]
    lines += [f"c{i},2026-07-01 10:00:00,web,j{i},false,0" for i in range(40_000)]
    data = ("\n".join(lines) + "\n").encode("utf-8") + "cø,2026-07-01 10:00:00,web,j,false,0\n".encode("cp1252")
    assert len(data) > (1 << 20)
    make_client(tmp_path, sources=[{"table": "events", "file": "raw/e.csv"}], files={"e.csv": data})
    with pytest.raises(DataError) as info:
        ingest_client("acme", root=tmp_path)
    assert info.value.row == 40_002 and "UTF-8" in str(info.value)
    assert not (tmp_path / "data/acme/processed").exists()
