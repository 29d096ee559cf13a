"""Ingest of canonical CSV exports: accounting, manifest, idempotence, dry run, time zones, personal data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from helpers.errors import DataError
from helpers.ingest import ingest_client, load_manifest, mask_text, pseudonym
from helpers.ingest.privacy import Pseudonymiser, load_key
from ingest_helpers import assert_no_personal_data
from ingest_helpers import make_client as _make_client

KEY = "test-key-not-secret"

EVENTS = """customer_id,ts,touchpoint_id,journey_id,converted,revenue,segment
NL-0012345,2026-03-29 02:30:00,web,J1,false,0,a
NL-0012345,2026-03-29 03:30:00,store,J1,true,199.5,a
NL-0012346,2026-10-25 02:30:00,web,J2,false,,b
NL-0012347,2026-13-01 10:00:00,web,J3,false,0,b
,2026-05-01 10:00:00,web,J4,false,0,b
NL-0012348,2026-05-01 10:00:00,kiosk,J5,true,-5,b
NL-0012348,2030-05-01 10:00:00,kiosk,J5,false,0,b
NL-0012349,2026-07-01 12:00:00,kiosk,J6,false,0,b
"""

FEEDBACK = """response_id,customer_id,ts,touchpoint_id,csat,nps,comment
r1,NL-0012345,2026-05-01 10:00:00,Store,5,10,Ring mig på 12 34 56 78 eller skriv til anna.hansen@example.dk
r2,NL-0012346,2026-05-01 11:00:00,web,7,9,
r2,NL-0012347,2026-05-01 12:00:00,web,4,11,hej
r3,,2026-05-01 12:00:00,,3,8,fint
r4,NL-0012349,2026-05-01 12:00:00,web,x,8,Call +46 70 123 45 67
r5,NL-0012350,2026-05-01 12:00:00,survey,4,6,"Line one,
line two"
"""


def make_client(root: Path, name: str = "acme", sources=None, files: dict | None = None, **extra) -> Path:
    files = files if files is not None else {"events.csv": EVENTS, "feedback.csv": FEEDBACK}
    if sources is None:
        sources = [{"table": "events", "file": "raw/events.csv"}, {"table": "feedback", "file": "raw/feedback.csv"}]
    return _make_client(root, name, sources=sources, files=files, **extra)


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", KEY)


@pytest.fixture
def client(tmp_path):
    make_client(tmp_path)
    return tmp_path


def test_accounting_per_file_and_manifest(client):
    result = ingest_client("acme", root=client)
    manifest = load_manifest("acme", root=client)
    assert manifest == json.loads((client / "data/acme/processed/_manifest.json").read_text())
    assert manifest["client"] == "acme"
    for entry in manifest["files"]:
        assert entry["accepted"] + entry["rejected"] == entry["rows_read"]
        assert len(entry["sha256"]) == 64
    by_file = {e["file"]: e for e in manifest["files"]}
    assert by_file["raw/events.csv"]["rows_read"] == 8
    assert by_file["raw/events.csv"]["rejected"] == 4
    assert by_file["raw/feedback.csv"]["rows_read"] == 6
    assert manifest["tables"]["events"] == {"rows": 4, "rejected": 4}
    assert manifest["tables"]["feedback"] == {"rows": 3, "rejected": 3}
    # the parquet files and the rejects files hold exactly those rows
    assert pq.read_metadata(client / "data/acme/processed/events.parquet").num_rows == 4
    rej = pd.read_csv(client / "data/acme/rejects/events.csv")
    assert len(rej) == 4 and list(rej.columns[-3:]) == ["source_file", "row", "reason"]
    assert result.rows_read == result.accepted + result.rejected == 14


def test_rejects_name_row_and_reason(client):
    ingest_client("acme", root=client)
    ev = pd.read_csv(client / "data/acme/rejects/events.csv").set_index("row")
    assert "ts: cannot read '2026-13-01 10:00:00'" in ev.loc[5, "reason"]
    assert ev.loc[5, "ts"] == "2026-13-01 10:00:00"  # the original value, not a converted one
    assert "customer_id: value is missing" in ev.loc[6, "reason"]
    assert "revenue: value -5.0 must be >= 0" in ev.loc[7, "reason"]
    assert "in the future" in ev.loc[8, "reason"]
    fb = pd.read_csv(client / "data/acme/rejects/feedback.csv").set_index("row")
    assert "csat: value 7.0 is not one of the allowed values" in fb.loc[3, "reason"]
    # the first r2 was rejected, so the second is judged on its own values, not as a duplicate
    assert "nps: value 11.0" in fb.loc[4, "reason"] and "duplicate" not in fb.loc[4, "reason"]
    assert "csat: cannot read 'x' as a number" in fb.loc[6, "reason"]


def test_unknown_touchpoints_are_kept_and_names_mapped(client):
    result = ingest_client("acme", root=client)
    ev = pd.read_parquet(client / "data/acme/processed/events.parquet")
    assert "kiosk" in set(ev["touchpoint_id"])
    assert result.unknown_touchpoints["kiosk"] == 1
    assert "kiosk" in result.format()
    fb = pd.read_parquet(client / "data/acme/processed/feedback.parquet")
    assert fb.loc[fb["response_id"] == "r1", "touchpoint_id"].item() == "store"  # catalogue name -> id
    assert fb.loc[fb["response_id"] == "r3", "touchpoint_id"].isna().all()  # relationship question


def test_canonical_types_and_utc_with_dst(client):
    ingest_client("acme", root=client)
    ev = pd.read_parquet(client / "data/acme/processed/events.parquet")
    assert str(ev["ts"].dtype) == "datetime64[us]"
    assert ev["converted"].dtype == bool and ev["revenue"].dtype == "float64"
    ts = list(ev["ts"])
    # 02:30 on the spring-forward day does not exist: read as 03:30 summer time = 01:30 UTC
    assert ts[0] == pd.Timestamp("2026-03-29 01:30")
    assert ts[1] == pd.Timestamp("2026-03-29 01:30")
    # 02:30 on the fall-back day happens twice: the first (summer time) occurrence
    assert ts[2] == pd.Timestamp("2026-10-25 00:30")
    # ordinary summer and winter times
    assert ts[3] == pd.Timestamp("2026-07-01 10:00")
    schema = pq.read_schema(client / "data/acme/processed/events.parquet")
    assert str(schema.field("ts").type) == "timestamp[us]"


def test_timezone_winter_and_summer(tmp_path):
    events = ("customer_id,ts,touchpoint_id,journey_id,converted,revenue\n"
              "a,2026-01-15 12:00:00,web,j,false,0\n"
              "a,2026-07-15 12:00:00,web,j,false,0\n"
              "a,2026-07-15T12:00:00+00:00,web,j,false,0\n"
              "a,15-01-2026 12:00,web,j,false,0\n"
              "a,15.07.2026,web,j,false,0\n")
    make_client(tmp_path, files={"events.csv": events}, sources=[{"table": "events", "file": "raw/events.csv"}],
                timezone="Europe/Oslo")
    ingest_client("acme", root=tmp_path)
    ts = list(pd.read_parquet(tmp_path / "data/acme/processed/events.parquet")["ts"])
    assert ts == [pd.Timestamp("2026-01-15 11:00"), pd.Timestamp("2026-07-15 10:00"),
                  pd.Timestamp("2026-07-15 12:00"), pd.Timestamp("2026-01-15 11:00"),
                  pd.Timestamp("2026-07-14 22:00")]


def test_idempotent(client):
    ingest_client("acme", root=client)
    out = client / "data/acme"
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and "raw" not in p.parts}
    ingest_client("acme", root=client)
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file() and "raw" not in p.parts}
    assert first.keys() == second.keys()
    for k in first:
        assert first[k] == second[k], k
    assert not [p for p in out.iterdir() if p.name.startswith(".ingest-")]


def test_dry_run_writes_nothing(client):
    before = sorted(p for p in client.rglob("*"))
    result = ingest_client("acme", root=client, dry_run=True)
    assert sorted(p for p in client.rglob("*")) == before
    text = result.format(details=True)
    assert "would accept 4 and reject 4 of 8 rows" in text
    assert "row 5:" in text and "reasons:" in text
    assert "anna.hansen" not in text


def test_dry_run_on_top_of_an_ingest_changes_nothing(client):
    ingest_client("acme", root=client)
    snap = {p: p.read_bytes() for p in client.rglob("*") if p.is_file()}
    ingest_client("acme", root=client, dry_run=True)
    assert {p: p.read_bytes() for p in client.rglob("*") if p.is_file()} == snap


def test_customer_ids_are_keyed_hashes(client, monkeypatch):
    ingest_client("acme", root=client)
    ev = pd.read_parquet(client / "data/acme/processed/events.parquet")
    assert set(ev["customer_id"]) >= {pseudonym("NL-0012345", KEY.encode())}
    assert all(re.fullmatch(r"[0-9a-f]{16}", c) for c in ev["customer_id"])
    # the same customer in two tables gets the same pseudonym, so tables still join
    fb = pd.read_parquet(client / "data/acme/processed/feedback.parquet")
    assert fb.loc[fb["response_id"] == "r1", "customer_id"].item() == ev["customer_id"].iloc[0]
    # another key gives other pseudonyms
    monkeypatch.setenv("TPKIT_KEY", "another key")
    ingest_client("acme", root=client)
    ev2 = pd.read_parquet(client / "data/acme/processed/events.parquet")
    assert not set(ev2["customer_id"]) & set(ev["customer_id"])


def test_hash_is_stable_and_keyed():
    p = Pseudonymiser(b"k1")
    s = pd.Series(["NL-1", " NL-1 ", None, "NL-2"])
    out = p(s)
    assert out[0] == out[1] == pseudonym("NL-1", b"k1") and pd.isna(out[2]) and out[3] != out[0]
    assert Pseudonymiser(b"k2")(s)[0] != out[0]
    assert len(out[0]) == 16


def test_key_file_created_on_first_use(tmp_path, monkeypatch):
    monkeypatch.delenv("TPKIT_KEY")
    keyfile = tmp_path / "cfg" / "tpkit" / "key"
    monkeypatch.setenv("TPKIT_KEY_FILE", str(keyfile))
    key = load_key()
    assert keyfile.is_file() and oct(keyfile.stat().st_mode)[-3:] == "600"
    assert load_key() == key and len(key) == 64


@pytest.mark.parametrize("text,expected", [
    ("Ring på 12 34 56 78 i morgen", "Ring på [phone] i morgen"),
    ("skriv til anna.hansen@example.dk tak", "skriv til [email] tak"),
    ("tlf +45 12345678", "tlf [phone]"),
    ("Norsk mobil 912 34 567", "Norsk mobil [phone]"),
    ("Svensk 070-123 45 67 eller 08-123 456 78", "Svensk [phone] eller [phone]"),
    ("intl +46 70 123 45 67 / 0047 22 33 44 55", "intl [phone] / [phone]"),
    ("UK +44 (0)20 7946 0958", "UK [phone]"),
    ("Ordre 12345 kom 2026-05-01 10:00:00, pris 1.234,50 kr", "Ordre 12345 kom 2026-05-01 10:00:00, pris 1.234,50 kr"),
    ("den 01.05.2026 kl 10", "den 01.05.2026 kl 10"),
    # Danish numbers in pairs whose first three groups look like a date are still phone numbers
    ("ring 20.12.34.56", "ring [phone]"),
    ("tlf.: 31-12-20-25", "tlf.: [phone]"),
    ("ring 20.12.34 56 i dag", "ring [phone] i dag"),
    ("kom 31-12-20 12:30 og 01.05.26 10.00", "kom 31-12-20 12:30 og 01.05.26 10.00"),
    ("31/12/2025 23:59", "31/12/2025 23:59"),
    ("kontakt: ole(at)firma.no", "kontakt: [email]"),
    ("mit CPR er 010185-1234", "mit CPR er [id]"),
    ("personnummer 19850101-1234 eller 850101-1234", "personnummer [id] eller [id]"),
    ("fødselsnummer 01018512345", "fødselsnummer [id]"),
])
def test_masking(text, expected):
    assert mask_text(text) == expected


def test_no_personal_data_in_processed_or_rejects(client):
    ingest_client("acme", root=client)
    raw_ids = {"NL-0012345", "NL-0012346", "NL-0012347", "NL-0012348", "NL-0012349", "NL-0012350"}
    assert_no_personal_data(client / "data/acme", raw_ids)


def test_missing_source_file_is_a_data_error(tmp_path):
    make_client(tmp_path, files={}, sources=[{"table": "events", "file": "raw/nope.csv"}])
    with pytest.raises(DataError, match="does not exist"):
        ingest_client("acme", root=tmp_path)


def test_failed_ingest_keeps_previous_outputs(client):
    ingest_client("acme", root=client)
    out = client / "data/acme"
    snap = {p: p.read_bytes() for p in (out / "processed").rglob("*")} | \
           {p: p.read_bytes() for p in (out / "rejects").rglob("*")}
    (out / "raw" / "feedback.csv").write_text("response_id,customer_id\nr1,x\n")
    with pytest.raises(DataError):
        ingest_client("acme", root=client)
    after = {p: p.read_bytes() for p in (out / "processed").rglob("*")} | \
            {p: p.read_bytes() for p in (out / "rejects").rglob("*")}
    assert after == snap
    assert not [p for p in out.iterdir() if p.name.startswith(".ingest-")]


def test_chunked_reading_keeps_accounting_and_duplicates_across_chunks(tmp_path, monkeypatch):
    from helpers.ingest import readers

    monkeypatch.setattr(readers, "CHUNK_ROWS", 7)
    lines = ["response_id,customer_id,ts,touchpoint_id,csat,nps"]
    for i in range(50):
        lines.append(f"r{i % 40},c{i},2026-05-01 10:00:00,web,{(i % 6) + 1},{i % 11}")
    make_client(tmp_path, files={"feedback.csv": "\n".join(lines) + "\n"},
                sources=[{"table": "feedback", "file": "raw/feedback.csv"}])
    result = ingest_client("acme", root=tmp_path)
    f = result.files[0]
    assert f.rows_read == 50 and f.accepted + f.rejected == 50
    rej = pd.read_csv(tmp_path / "data/acme/rejects/feedback.csv")
    dups = rej[rej["reason"].str.contains("duplicate")]
    # r5 (row 7, csat 6) was rejected: its repeat in row 47 (csat 4, four chunks later) is accepted
    assert len(dups) == 9 and dups["row"].min() == 42 and 47 not in set(dups["row"])
    fb = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet")
    assert fb["response_id"].is_unique
    assert fb.set_index("response_id").loc["r5", "customer_id"] == pseudonym("c45", KEY.encode())


def test_a_rejected_row_does_not_block_its_corrected_repeat(tmp_path):
    """Only accepted rows register their key: a corrected row after an invalid one keeps the id."""
    a = ("response_id,customer_id,ts,touchpoint_id,csat,nps\n"
         "r1,c1,2026-05-01 10:00:00,web,7,9\n"      # row 2: csat 7, rejected
         "r1,c1,2026-05-01 10:00:00,web,4,9\n"      # row 3: the corrected row, accepted
         "r1,c1,2026-05-01 10:00:00,web,5,9\n"      # row 4: a duplicate of row 3
         "r2,c2,2030-05-01 10:00:00,web,4,9\n"      # row 5: a future date, rejected
         "r3,c3,2026-05-01 10:00:00,web,x,9\n"      # row 6: unreadable csat, rejected
         "r2,c2,2026-05-01 10:00:00,web,4,9\n"      # row 7: r2 corrected, accepted
         "r4,c4,2026-05-01 10:00:00,web,9,9\n")     # row 8: csat 9, rejected
    b = ("response_id,customer_id,ts,touchpoint_id,csat,nps\n"
         "r4,c4,2026-05-01 10:00:00,web,3,9\n"      # r4 corrected in the next file: accepted
         "r3,c3,2026-05-01 10:00:00,web,2,9\n"      # r3 as well
         "r1,c1,2026-05-01 10:00:00,web,2,9\n")     # r1 was accepted in a.csv: a duplicate
    make_client(tmp_path, files={"a.csv": a, "b.csv": b},
                sources=[{"table": "feedback", "file": "raw/a.csv"}, {"table": "feedback", "file": "raw/b.csv"}])
    result = ingest_client("acme", root=tmp_path)
    fb = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet")
    assert fb["response_id"].tolist() == ["r1", "r2", "r4", "r3"]
    assert fb["csat"].tolist() == [4.0, 4.0, 3.0, 2.0]
    rej = pd.read_csv(tmp_path / "data/acme/rejects/feedback.csv")
    reasons = dict(zip(rej["source_file"] + ":" + rej["row"].astype(str), rej["reason"]))
    assert set(reasons) == {"raw/a.csv:2", "raw/a.csv:4", "raw/a.csv:5", "raw/a.csv:6", "raw/a.csv:8",
                            "raw/b.csv:4"}
    assert "duplicate value 'r1' (first seen in row 3)" in reasons["raw/a.csv:4"]
    assert "duplicate value 'r1' (first seen in raw/a.csv row 3)" in reasons["raw/b.csv:4"]
    assert not any("duplicate" in reasons[k] for k in ("raw/a.csv:2", "raw/a.csv:5", "raw/a.csv:6", "raw/a.csv:8"))
    assert [(f.accepted, f.rejected) for f in result.files] == [(2, 5), (2, 1)]


def test_stale_tables_are_removed_when_a_source_goes(client):
    ingest_client("acme", root=client)
    cfg = yaml.safe_load((client / "data/acme/client.yml").read_text())
    cfg["sources"] = cfg["sources"][:1]
    (client / "data/acme/client.yml").write_text(yaml.safe_dump(cfg))
    ingest_client("acme", root=client)
    assert not (client / "data/acme/processed/feedback.parquet").exists()
    assert not (client / "data/acme/rejects/feedback.csv").exists()
    assert [f["table"] for f in load_manifest("acme", root=client)["files"]] == ["events"]


def test_cli_ingest_and_validate(client, capsys):
    from helpers.cli import main

    assert main(["validate", "acme", "--root", str(client)]) == 0
    out = capsys.readouterr().out
    assert "would accept" in out and not (client / "data/acme/processed").exists()
    assert main(["ingest", "acme", "--root", str(client)]) == 0
    out = capsys.readouterr().out
    assert "raw/events.csv" in out and "rejected" in out


def test_load_manifest_without_ingest(tmp_path):
    with pytest.raises(DataError, match="tpkit ingest acme"):
        load_manifest("acme", root=tmp_path)




# ---------------------------------------------------------------- the demo clients (tests/conftest.py demo_root)


def test_demo_planted_rows_are_exactly_the_rejects(demo_root):
    from helpers import demo

    for client in demo.DEMO_CLIENTS:
        manifest = load_manifest(client, root=demo_root)
        for entry in manifest["files"]:
            assert entry["accepted"] + entry["rejected"] == entry["rows_read"], entry
            table = entry["table"]
            assert entry["rejected"] == len(demo.BAD_ROWS[table]), entry
            if entry["rejected"]:
                rej = pd.read_csv(demo_root / "data" / client / "rejects" / f"{table}.csv", dtype=str)
                assert len(rej) == entry["rejected"]
                assert rej["row"].astype(int).is_monotonic_increasing
        assert manifest["tables"]["events"]["rows"] == pq.read_metadata(
            demo_root / "data" / client / "processed" / "events.parquet").num_rows


def test_demo_outputs_hold_no_personal_data(demo_root):
    from helpers import demo

    for client in demo.DEMO_CLIENTS:
        folder = demo_root / "data" / client
        raw_ids = set(pd.read_csv(folder / "raw" / "orders.csv", usecols=["customer_id"], dtype=str)
                      ["customer_id"].dropna())
        assert raw_ids
        assert_no_personal_data(folder, raw_ids)
        text = (folder / "raw" / "feedback.csv").read_text(encoding="utf-8")
        assert "@example.dk" in text or "@example" in text  # the raw file did hold some


def test_demo_canonical_schema_and_utc(demo_root):
    from helpers.ingest import arrow_schema

    folder = demo_root / "data" / "nordlys" / "processed"
    for table in ("events", "feedback", "orders", "reviews", "costs"):
        schema = pq.read_schema(folder / f"{table}.parquet")
        expected = arrow_schema(table, schema.names)
        assert schema.names == expected.names
        for f in expected:
            assert schema.field(f.name).type == f.type, (table, f.name)
    raw = pd.read_csv(demo_root / "data/nordlys/raw/orders.csv", dtype=str, nrows=50)
    orders = pd.read_parquet(folder / "orders.parquet").head(50)
    local = pd.to_datetime(raw["ts"]).dt.tz_localize("Europe/Copenhagen").dt.tz_convert("UTC").dt.tz_localize(None)
    good = raw["order_id"].isin(orders["order_id"])
    assert (orders.set_index("order_id").loc[raw.loc[good, "order_id"], "ts"].to_numpy()
            == local[good].to_numpy()).all()


# ---------------------------------------------------------------- value conversion


@pytest.mark.parametrize("text,expected", [
    ("1234.5", 1234.5), ("1234,5", 1234.5), ("1.234,50", 1234.5), ("1 234,50", 1234.5), ("1,234.50", 1234.5),
    ("kr 1.234,50", 1234.5), ("1.234,50 DKK", 1234.5), ("€ 12,00", 12.0), ("100,-", 100.0), ("-3", -3.0),
    ("1\u00a0234,5", 1234.5), ("\u22123,5", -3.5),
])
def test_numbers_in_scandinavian_forms(text, expected):
    from helpers.ingest.convert import parse_numbers

    out, bad = parse_numbers(pd.Series([text], dtype="str"))
    assert not bad.iloc[0] and out.iloc[0] == pytest.approx(expected)


def test_unreadable_numbers_are_flagged_not_guessed():
    from helpers.ingest.convert import parse_numbers

    out, bad = parse_numbers(pd.Series(["abc", "1.2.3,4,5", "", None], dtype="str"))
    assert bad.tolist() == [True, True, False, False] and out.isna().all()
    out, bad = parse_numbers(pd.Series(["1.234", "12"], dtype="str"), decimal=",")
    assert out.tolist() == [1234.0, 12.0]


@pytest.mark.parametrize("text,utc", [
    ("2026-07-01 12:00:00", "2026-07-01 10:00"), ("2026-07-01T12:00", "2026-07-01 10:00"),
    ("2026-01-15 12:00", "2026-01-15 11:00"), ("01-07-2026 12:00", "2026-07-01 10:00"),
    ("01.07.2026", "2026-06-30 22:00"), ("1.7.26", "2026-06-30 22:00"), ("01/07/2026 12:00:30", "2026-07-01 10:00:30"),
    ("2026/07/01", "2026-06-30 22:00"), ("2026-07-01T12:00:00Z", "2026-07-01 12:00"),
    ("2026-07-01T12:00:00+02:00", "2026-07-01 10:00"),
    # daylight saving edges in Copenhagen: the skipped and the repeated hour
    ("2026-03-29 01:59:59", "2026-03-29 00:59:59"), ("2026-03-29 02:00:00", "2026-03-29 01:00"),
    ("2026-03-29 02:30:00", "2026-03-29 01:30"), ("2026-03-29 03:00:00", "2026-03-29 01:00"),
    ("2026-10-25 01:59:00", "2026-10-24 23:59"), ("2026-10-25 02:30:00", "2026-10-25 00:30"),
    ("2026-10-25 03:00:00", "2026-10-25 02:00"),
])
def test_local_times_to_utc(text, utc):
    from helpers.ingest.convert import parse_timestamps

    out, bad = parse_timestamps(pd.Series([text], dtype="str"), "Europe/Copenhagen")
    assert not bad.iloc[0] and out.iloc[0] == pd.Timestamp(utc)


def test_unreadable_dates_are_flagged():
    from helpers.ingest.convert import parse_timestamps

    out, bad = parse_timestamps(pd.Series(["2026-02-30", "31.13.2026", "soon", "", None], dtype="str"), "UTC")
    assert bad.tolist() == [True, True, True, False, False] and out.isna().all()


def test_reason_kinds_group_reasons_without_their_values():
    from helpers.ingest.core import reason_kind

    assert reason_kind("csat: value 7.0 is not one of the allowed values [1, 2, 3, 4, 5]") == \
        reason_kind("csat: value 0.0 is not one of the allowed values [1, 2, 3, 4, 5]")
    assert reason_kind("ts: cannot read 'soon' as a date/time") == reason_kind("ts: cannot read 'x' as a date/time")
    assert reason_kind("response_id: duplicate value 'r2' (first seen in row 3)") == \
        reason_kind("response_id: duplicate value 'r9' (first seen in raw/a.csv row 7)")


def test_rejects_and_examples_hold_only_canonical_columns(tmp_path):
    """A mapped column outside the schema is neither written to rejects nor shown in examples."""
    fb = ("response_id,customer_id,ts,touchpoint_id,csat,nps,Noter\n"
          "r1,c1,2026-05-01 10:00:00,web,7,9,ring 20.12.34.56\n"
          "r2,c2,2026-05-01 10:00:00,web,4,9,ok\n")
    make_client(tmp_path, files={"feedback.csv": fb},
                sources=[{"table": "feedback", "file": "raw/feedback.csv"}])
    result = ingest_client("acme", root=tmp_path)
    rej = pd.read_csv(tmp_path / "data/acme/rejects/feedback.csv", dtype=str)
    assert "notes" not in rej.columns and "Noter" not in rej.columns and len(rej) == 1
    (row, reason, values), = result.files[0].examples
    assert row == 2 and "csat" in reason and "notes" not in values and values["response_id"] == "r1"
    assert "20.12.34.56" not in result.format(details=True)


def test_planted_phone_numbers_leave_neither_processed_nor_rejects(tmp_path):
    """Accepted and rejected rows carrying phone numbers and e-mail addresses in every planted form."""
    from ingest_helpers import PLANTED_EMAILS, PLANTED_PHONES

    comments = list(PLANTED_PHONES) + list(PLANTED_EMAILS)
    lines = ["response_id,customer_id,ts,touchpoint_id,csat,nps,comment"]
    for i, text in enumerate(comments):
        csat = 4 if i % 2 else 9  # every other row is rejected
        lines.append(f'p{i},c{i},2026-05-01 10:00:00,web,{csat},8,"Ring {text} tak"')
    make_client(tmp_path, files={"feedback.csv": "\n".join(lines) + "\n"},
                sources=[{"table": "feedback", "file": "raw/feedback.csv"}])
    result = ingest_client("acme", root=tmp_path)
    assert result.accepted > 0 and result.rejected > 0
    assert_no_personal_data(tmp_path / "data/acme", {f"c{i}" for i in range(len(comments))})
