"""Adapters for real exports (GA4, survey tools, review sites, CRM, coding sheets) and messy files."""

from __future__ import annotations

import codecs
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.demo.ga4 import to_ga4, write_ga4_sample
from helpers.errors import ConfigError, SchemaError
from helpers.ingest import ingest_client, load_manifest, pseudonym
from ingest_helpers import EXPORTS, assert_no_personal_data, copy_exports_client, make_client

KEY = "test-key-not-secret"


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", KEY)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The committed sample client, ingested once."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TPKIT_KEY", KEY)
    root = tmp_path_factory.mktemp("exports")
    folder = copy_exports_client(root)
    result = ingest_client("nordhavn", root=root)
    yield root, folder, result
    mp.undo()


def _read(folder, table):
    return pd.read_parquet(folder / "processed" / f"{table}.parquet")


# ---------------------------------------------------------------- the sample client


def test_sample_exports_ingest_cleanly(exports):
    root, folder, result = exports
    manifest = load_manifest("nordhavn", root=root)
    assert {f["adapter"] for f in manifest["files"]} == {"ga4", "survey", "coding", "reviews", "crm", "canonical"}
    for entry in manifest["files"]:
        assert entry["rejected"] == 0, entry
        assert entry["accepted"] == entry["rows_read"] > 0, entry
    assert set(manifest["tables"]) == {"events", "feedback", "orders", "reviews", "costs"}
    assert not result.unknown_touchpoints
    assert not (folder / "rejects").exists() or not any((folder / "rejects").iterdir())


def test_sample_exports_leak_no_personal_data(exports):
    root, folder, _ = exports
    raw_ids = {f"DK-{100000 + i}" for i in range(40)}
    for line in (EXPORTS / "raw" / "ga4" / "events_20260701.jsonl").read_text().splitlines():
        raw_ids.add(json.loads(line)["user_pseudo_id"])
    assert assert_no_personal_data(folder, raw_ids) > 300


def test_ga4_touchpoint_rules_conversions_and_sessions(exports):
    _, folder, _ = exports
    ev = _read(folder, "events")
    lines = [json.loads(x) for x in (EXPORTS / "raw/ga4/events_20260701.jsonl").read_text().splitlines()]
    assert len(ev) == len(lines)
    # event_timestamp is UTC microseconds: kept exactly, no time-zone shift
    assert sorted(ev["ts"].astype("int64")) == sorted(int(x["event_timestamp"]) for x in lines)
    purchases = [x for x in lines if x["event_name"] == "purchase"]
    conv = ev[ev["converted"]]
    assert len(conv) == len(purchases)
    assert set(conv["touchpoint_id"]) == {"checkout"}
    assert conv["revenue"].sum() == pytest.approx(sum(x["ecommerce"]["purchase_revenue"] for x in purchases))
    assert (ev.loc[~ev["converted"], "revenue"] == 0).all()
    # faq by page pattern, newsletter by medium, search ads by source + medium (event-level source)
    faq_pages = sum("/hjaelp/" in x["event_params"][1]["value"]["string_value"] and x["event_name"] == "page_view"
                    for x in lines)
    assert (ev["touchpoint_id"] == "faq").sum() == faq_pages
    starts = [x for x in lines if x["event_name"] == "session_start"]
    assert (ev["touchpoint_id"] == "newsletter").sum() == sum(
        x["collected_traffic_source"]["manual_medium"] == "email" for x in starts)
    assert (ev["touchpoint_id"] == "search_ads").sum() == sum(
        x["collected_traffic_source"]["manual_medium"] == "cpc" for x in starts)
    # one journey per GA4 session, customer = keyed hash of user_pseudo_id
    sessions = {(x["user_pseudo_id"], x["event_params"][0]["value"]["int_value"]) for x in lines}
    assert ev["journey_id"].nunique() == len(sessions)
    assert set(ev["customer_id"]) == {pseudonym(x["user_pseudo_id"], KEY.encode()) for x in lines}


def test_wide_survey_becomes_long_with_a_shared_survey_id(exports):
    _, folder, result = exports
    fb = _read(folder, "feedback")
    wide = fb[fb["response_id"].str.startswith("S-")]
    raw = pd.read_csv(EXPORTS / "raw/survey_wide.csv", sep=";", dtype=str, encoding="utf-8-sig")
    first = raw.iloc[0]
    rows = wide[wide["survey_id"] == first["Svar-ID"]]
    rel = rows[rows["touchpoint_id"].isna()].iloc[0]
    assert rel["response_id"] == first["Svar-ID"]
    assert rel["nps"] == 0  # "0 - Slet ikke sandsynligt"
    assert rel["csat"] == float(first["Alt i alt, hvor tilfreds er du?"])
    assert "[email]" in rel["comment"]
    rated = {tp: float(first[col]) for tp, col in [("website", "Hvor tilfreds var du med hjemmesiden?"),
                                                   ("store", "Hvor tilfreds var du med butikken?"),
                                                   ("delivery", "Hvor tilfreds var du med leveringen?")]
             if isinstance(first[col], str)}
    per_tp = rows[rows["touchpoint_id"].notna()]
    assert dict(zip(per_tp["touchpoint_id"], per_tp["csat"])) == rated
    assert per_tp["nps"].isna().all()
    assert set(wide["source"]) == {"survey"}
    # dd-mm-yyyy HH:MM local (summer time) -> UTC
    assert rel["ts"] == pd.Timestamp(pd.to_datetime(first["Besvaret"], format="%d-%m-%Y %H:%M")) - pd.Timedelta("2h")
    entry = next(f for f in result.files if f.file == "raw/survey_wide.csv")
    assert entry.file_rows == len(raw) and entry.rows_read == len(wide)
    manifest = load_manifest("nordhavn", root=exports[0])
    m = next(f for f in manifest["files"] if f["file"] == "raw/survey_wide.csv")
    assert m["file_rows"] == len(raw) and m["accepted"] + m["rejected"] == m["rows_read"]


def test_survey_with_touchpoint_column_from_excel(exports):
    _, folder, _ = exports
    fb = _read(folder, "feedback")
    long = fb[fb["response_id"].str.startswith("T-")]
    assert len(long) == 25
    assert set(long["touchpoint_id"]) <= {"service", "website", "store", "delivery"}
    assert long["csat"].between(1, 5).all() and long["nps"].between(0, 10).all()
    assert (long["survey_id"] == long["response_id"]).all()


def test_coding_sheets_become_feedback_with_their_source(exports):
    _, folder, _ = exports
    fb = _read(folder, "feedback")
    interviews = fb[fb["source"] == "interview"]
    observations = fb[fb["source"] == "observation"]
    assert len(interviews) == 12 and len(observations) == 12
    assert set(interviews["sentiment"]) == {-1.0, 0.0, 1.0}
    # observations are coded -2..2 (sentiment_range) and scaled to -1..1
    assert sorted(set(observations["sentiment"])) == [-1.0, -0.5, 0.0, 1.0]
    assert interviews["csat"].isna().all() and interviews["nps"].isna().all()
    assert interviews["survey_id"].str.startswith("INT-").all()
    assert "[email]" in " ".join(interviews["comment"])
    assert observations["customer_id"].isna().all()


def test_review_export_json(exports):
    _, folder, _ = exports
    rv = _read(folder, "reviews")
    raw = json.loads((EXPORTS / "raw/trustpilot.json").read_text())["reviews"]
    assert list(rv["review_id"]) == [r["id"] for r in raw]
    assert list(rv["rating"]) == [float(r["stars"]) for r in raw]
    assert set(rv["source"]) == {"trustpilot"} and set(rv["touchpoint_id"]) == {"review_site"}
    replied = rv[rv["reply"].notna()]
    assert len(replied) == sum(r["companyReply"] is not None for r in raw)
    assert all("[email]" in x and "[phone]" in x for x in replied["reply"])
    assert rv["ts"].iloc[0] == pd.Timestamp(raw[0]["createdAt"][:19])  # "...Z" is UTC already


def test_crm_export_cp1252_semicolons_decimal_commas(exports):
    _, folder, result = exports
    od = _read(folder, "orders")
    text = (EXPORTS / "raw/crm_orders.csv").read_bytes().decode("cp1252").splitlines()
    first = text[1].split(";")
    assert od["order_id"].iloc[0] == first[0]
    amount = float(first[3].replace(" kr.", "").replace(".", "").replace(",", "."))
    assert od["revenue"].iloc[0] == pytest.approx(amount)
    day = pd.to_datetime(first[2], format="%d.%m.%Y")
    assert od["ts"].iloc[0] == day - pd.Timedelta("2h")
    assert set(od["touchpoint_id"]) <= {"checkout", "store"}
    assert set(od["segment"]) == {"Privat", "Erhverv"}
    f = next(f for f in result.files if f.table == "orders")
    assert "cp1252" in f.description and "';'" in f.description


def test_crm_exclude_rule_rejects_with_its_reason(tmp_path):
    csv = ("Order number;Customer number;Order date;Total;Status\n"
           "1;C1;01.07.2026;1.200,00;Delivered\n2;C2;02.07.2026;99,50;Cancelled\n3;C3;03.07.2026;10;delivered\n")
    make_client(tmp_path, files={"o.csv": csv}, sources=[
        {"table": "orders", "file": "raw/o.csv", "adapter": "crm",
         "exclude": {"column": "Status", "values": ["cancelled"]}}])
    result = ingest_client("acme", root=tmp_path)
    assert (result.accepted, result.rejected) == (2, 1)
    rej = pd.read_csv(tmp_path / "data/acme/rejects/orders.csv")
    assert rej["reason"].item() == "excluded: Status is 'Cancelled'" and rej["row"].item() == 3


def test_coding_sheet_stage_that_contradicts_the_catalogue_is_rejected(tmp_path):
    sheet = ("Touchpoint,Stage,Sentiment,Quote,Date\n"
             "Store,decision,positive,Nice,2026-08-01\n"
             "Store,awareness,negative,Meh,2026-08-01\n"
             "Website,consideration,furious,Bad,2026-08-01\n")
    make_client(tmp_path, files={"c.csv": sheet}, sources=[{"table": "feedback", "file": "raw/c.csv",
                                                            "adapter": "coding"}])
    ingest_client("acme", root=tmp_path)
    rej = pd.read_csv(tmp_path / "data/acme/rejects/feedback.csv").set_index("row")
    assert "differs from the catalogue stage 'decision'" in rej.loc[3, "reason"]
    assert "sentiment: cannot read 'furious'" in rej.loc[4, "reason"]
    fb = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet")
    assert fb["sentiment"].tolist() == [1.0] and fb["source"].tolist() == ["interview"]


def test_review_csv_with_star_forms_and_no_id(tmp_path):
    csv = ("Date,Rating,Headline,Review,Reply\n"
           "2026-07-01,4/5,Good,Fine shop,\n"
           "2026-07-02,★★☆☆☆,Meh,Slow delivery; call me on 12 34 56 78,Sorry!\n"
           "2026-07-03,\"4,0\",Ok,ok,\n"
           "2026-07-04,six,Bad,?,\n")
    make_client(tmp_path, files={"r.csv": csv}, sources=[{"table": "reviews", "file": "raw/r.csv",
                                                          "adapter": "reviews", "site": "google"}])
    ingest_client("acme", root=tmp_path)
    rv = pd.read_parquet(tmp_path / "data/acme/processed/reviews.parquet")
    assert rv["rating"].tolist() == [4.0, 2.0, 4.0]
    assert rv["review_id"].str.fullmatch(r"[0-9a-f]{16}").all() and rv["review_id"].is_unique
    assert "[phone]" in rv["text"].iloc[1] and set(rv["source"]) == {"google"}
    assert rv["touchpoint_id"].isna().all()
    first_ids = list(rv["review_id"])
    ingest_client("acme", root=tmp_path)
    assert list(pd.read_parquet(tmp_path / "data/acme/processed/reviews.parquet")["review_id"]) == first_ids
    rej = pd.read_csv(tmp_path / "data/acme/rejects/reviews.csv")
    assert "rating: cannot read 'six'" in rej["reason"].item()


# ---------------------------------------------------------------- GA4 shapes and the demo's GA4 path

RAW_EVENTS = """customer_id,ts,touchpoint_id,journey_id,converted,revenue,segment
NL-0000001,2026-03-29 01:59:00,web,J1,false,0,new
NL-0000001,2026-03-29 03:10:00,store,J1,true,450.5,new
NL-0000002,2026-07-01 09:00:00,web,J2,false,0,loyal
NL-0000002,2026-07-01 09:05:00,survey,J2,false,0,loyal
NL-0000002,2026-07-03 10:00:00,web,J3,false,0,loyal
NL-0000003,2026-10-25 02:30:00,store,J4,true,99,
"""


def _canonical_vs_ga4(tmp_path, fmt):
    make_client(tmp_path, name="canon", files={"events.csv": RAW_EVENTS},
                sources=[{"table": "events", "file": "raw/events.csv"}])
    ingest_client("canon", root=tmp_path)
    folder = make_client(tmp_path, name="ga", files={"events.csv": RAW_EVENTS})
    source = write_ga4_sample(folder / "raw/events.csv", folder / "raw/ga4", "Europe/Copenhagen",
                              ["web", "store", "survey"], fmt=fmt, rows_per_file=4)
    assert source["file"] == f"raw/ga4/events_*.{fmt}"
    make_client(tmp_path, name="ga", sources=[source])
    ingest_client("ga", root=tmp_path)
    a = pd.read_parquet(tmp_path / "data/canon/processed/events.parquet")
    b = pd.read_parquet(tmp_path / "data/ga/processed/events.parquet")
    return a, b


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv"])
def test_ga4_shaped_export_of_demo_events_ingests_to_the_same_events(tmp_path, fmt):
    a, b = _canonical_vs_ga4(tmp_path, fmt)
    cols = ["customer_id", "ts", "touchpoint_id", "converted", "revenue"]
    if fmt != "csv":
        cols.append("segment")
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True),
                                  check_dtype=False)
    # journeys are named differently (session ids) but group the same events
    assert (pd.factorize(a["journey_id"])[0] == pd.factorize(b["journey_id"])[0]).all()


def test_ga4_nested_parquet_and_rule_errors(tmp_path):
    ga = to_ga4(pd.read_csv(pd.io.common.StringIO(RAW_EVENTS), dtype=str), "Europe/Copenhagen")
    folder = make_client(tmp_path)
    pq.write_table(pa.Table.from_pandas(ga, preserve_index=False), folder / "raw/events_1.parquet")
    schema = pq.read_schema(folder / "raw/events_1.parquet")
    assert pa.types.is_list(schema.field("event_params").type)
    assert pa.types.is_struct(schema.field("traffic_source").type)
    src = {"table": "events", "file": "raw/events_*.parquet", "adapter": "ga4",
           "rules": [{"touchpoint": "web", "page": "/web/"}]}
    make_client(tmp_path, sources=[src])
    result = ingest_client("acme", root=tmp_path)
    ev = pd.read_parquet(folder / "processed/events.parquet")
    # unmatched events keep their event name and are listed as touchpoints not in the catalogue
    assert set(ev["touchpoint_id"]) == {"web", "purchase", "page_view"}
    assert result.unknown_touchpoints == {"purchase": 2, "page_view": 1}
    for bad_rules, msg in [([{"touchpoint": "nowhere", "event": "x"}], "not in the catalogue"),
                           ([{"touchpoint": "web"}], "at least one of"),
                           ([{"touchpoint": "web", "evnt": "x"}], "unknown key"),
                           ([{"touchpoint": "web", "page": "("}], "regular expression")]:
        make_client(tmp_path, sources=[dict(src, rules=bad_rules)])
        with pytest.raises(ConfigError, match=msg):
            ingest_client("acme", root=tmp_path)


def test_ga4_missing_fields_is_a_schema_error(tmp_path):
    make_client(tmp_path, files={"ga.csv": "event_name,user_pseudo_id\npage_view,1.2\n"},
                sources=[{"table": "events", "file": "raw/ga.csv", "adapter": "ga4"}])
    with pytest.raises(SchemaError, match="not a GA4 events export: missing event_timestamp"):
        ingest_client("acme", root=tmp_path)


# ---------------------------------------------------------------- messy files

ORDERS_ROWS = [("A-1", "C1", "01.07.2026", "1.234,50"), ("A-2", "C2", "15.07.2026", "99,95"),
               ("A-3", "C3", "31.07.2026", "12")]


def _orders_text(sep=";", date_sep="."):
    lines = [sep.join(["order_id", "customer_id", "ts", "revenue", "touchpoint_id"])]
    for oid, cid, day, amount in ORDERS_ROWS:
        day = day.replace(".", date_sep)
        if sep == ",":
            amount = f'"{amount}"'
        lines.append(sep.join([oid, cid, day, amount, "Store"]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name,data", [
    ("utf8", _orders_text().encode("utf-8")),
    ("utf8_bom", codecs.BOM_UTF8 + _orders_text().encode("utf-8")),
    ("cp1252", _orders_text().replace("Store", "Butik Ø").encode("cp1252")),
    ("utf16", _orders_text().encode("utf-16")),
    ("tabs_dashes", _orders_text(sep="\t", date_sep="-").encode("utf-8")),
    ("comma_quoted_decimal_comma", _orders_text(sep=",", date_sep="/").encode("utf-8")),
    ("crlf", _orders_text().replace("\n", "\r\n").encode("utf-8")),
])
def test_messy_csv_variants_read_the_same(tmp_path, name, data):
    make_client(tmp_path, files={"orders.csv": data}, sources=[{"table": "orders", "file": "raw/orders.csv"}],
                touchpoints=[{"id": "store", "name": "Butik Ø", "kind": "physical", "stage": "decision"}])
    result = ingest_client("acme", root=tmp_path)
    assert result.rejected == 0, result.format(details=True)
    od = pd.read_parquet(tmp_path / "data/acme/processed/orders.parquet")
    assert od["revenue"].tolist() == [1234.5, 99.95, 12.0]
    assert od["ts"].tolist() == [pd.Timestamp("2026-06-30 22:00"), pd.Timestamp("2026-07-14 22:00"),
                                 pd.Timestamp("2026-07-30 22:00")]
    assert set(od["touchpoint_id"]) == {"store"}


def test_explicit_options_delimiter_decimal_date_format_header_row(tmp_path):
    text = ("Export from ShopSystem 4.2\n\n"
            "id|kunde|dato|sum\nX1|C1|2026/07/01 13.45|1.500\nX2|C2|2026/07/02 08.00|2.000,25\n")
    make_client(tmp_path, files={"o.txt": text}, sources=[{
        "table": "orders", "file": "raw/o.txt", "delimiter": "|", "decimal": ",", "date_format": "%Y/%m/%d %H.%M",
        "header_row": 3, "columns": {"order_id": "id", "customer_id": "kunde", "ts": "dato", "revenue": "sum"}}])
    ingest_client("acme", root=tmp_path)
    od = pd.read_parquet(tmp_path / "data/acme/processed/orders.parquet")
    assert od["revenue"].tolist() == [1500.0, 2000.25]
    assert od["ts"].tolist() == [pd.Timestamp("2026-07-01 11:45"), pd.Timestamp("2026-07-02 06:00")]
    rows = load_manifest("acme", root=tmp_path)["files"][0]
    assert rows["rows_read"] == 2


def test_excel_orders_with_typed_cells(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ordrenummer", "Kundenummer", "Ordredato", "Beløb"])
    ws.append([1001, 5551234, pd.Timestamp("2026-07-01 12:00").to_pydatetime(), 1234.5])
    ws.append([1002, 5551235, pd.Timestamp("2026-01-01 12:00").to_pydatetime(), 10])
    ws.append([None, None, None, None])
    ws.append([1003, 5551236, "not a date", 3])
    folder = make_client(tmp_path, sources=[{"table": "orders", "file": "raw/o.xlsx", "adapter": "crm"}])
    wb.save(folder / "raw/o.xlsx")
    result = ingest_client("acme", root=tmp_path)
    od = pd.read_parquet(folder / "processed/orders.parquet")
    assert od["order_id"].tolist() == ["1001", "1002"]  # not "1001.0"
    assert od["customer_id"].iloc[0] == pseudonym("5551234", KEY.encode())
    assert od["ts"].tolist() == [pd.Timestamp("2026-07-01 10:00"), pd.Timestamp("2026-01-01 11:00")]
    rej = pd.read_csv(folder / "rejects/orders.csv")
    assert rej["row"].tolist() == [5]  # the Excel row number (the blank row 4 is skipped, but counted)
    assert result.files[0].rows_read == 3


def test_parquet_source_with_typed_columns(tmp_path):
    folder = make_client(tmp_path, sources=[{"table": "costs", "file": "raw/costs.parquet"}])
    pq.write_table(pa.table({"touchpoint_id": ["web", "store"], "period": ["2026Q3", "2026Q3"],
                             "cost": np.array([100.0, 250.5])}), folder / "raw/costs.parquet")
    ingest_client("acme", root=tmp_path)
    costs = pd.read_parquet(folder / "processed/costs.parquet")
    assert costs["cost"].tolist() == [100.0, 250.5]


def test_two_sources_for_one_table_are_combined(tmp_path):
    a = "response_id,customer_id,ts,touchpoint_id,csat,nps\nr1,c1,2026-07-01,web,5,9\n"
    b = ("response_id,customer_id,ts,touchpoint_id,csat,nps,segment\n"
         "r2,c2,2026-07-02,store,4,8,vip\nr1,c3,2026-07-03,web,3,7,x\n")
    make_client(tmp_path, files={"a.csv": a, "b.csv": b}, sources=[
        {"table": "feedback", "file": "raw/a.csv"}, {"table": "feedback", "file": "raw/b.csv"}])
    result = ingest_client("acme", root=tmp_path)
    fb = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet")
    assert fb["response_id"].tolist() == ["r1", "r2"]
    assert fb["segment"].isna().tolist() == [True, False]
    rej = pd.read_csv(tmp_path / "data/acme/rejects/feedback.csv")
    assert "first seen in raw/a.csv row 2" in rej["reason"].item()
    assert [f.rejected for f in result.files] == [0, 1]


def test_unknown_adapter_and_option_are_config_errors(tmp_path):
    make_client(tmp_path, files={"a.csv": "x\n1\n"}, sources=[{"table": "events", "file": "raw/a.csv",
                                                               "adapter": "magic"}])
    with pytest.raises(ConfigError, match="unknown adapter 'magic'"):
        ingest_client("acme", root=tmp_path)
    make_client(tmp_path, sources=[{"table": "events", "file": "raw/a.csv", "colums": {}}])
    with pytest.raises(ConfigError, match="unknown option"):
        ingest_client("acme", root=tmp_path)


def test_demo_client_ga4_path_gives_the_same_events(demo_root, tmp_path):
    import shutil

    from helpers.demo.ga4 import write_ga4_demo

    # work on a copy: the shared demo project must keep exactly its two clients
    shutil.copytree(demo_root / "data" / "nordlys", tmp_path / "data" / "nordlys")
    demo_root = tmp_path
    name = write_ga4_demo(demo_root, "nordlys")
    assert name == "nordlys-ga4"
    assert list((demo_root / "data" / name / "raw" / "ga4").glob("events_*.parquet"))
    result = ingest_client(name, root=demo_root)
    assert {f.adapter for f in result.files if f.table == "events"} == {"ga4"}
    from helpers.config import load_client

    canon = pd.read_parquet(demo_root / "data/nordlys/processed/events.parquet")
    ga = pd.read_parquet(demo_root / f"data/{name}/processed/events.parquet")
    catalogue = set(load_client("nordlys", demo_root).touchpoint_ids)
    cols = ["customer_id", "ts", "touchpoint_id", "converted", "revenue", "segment"]
    inside = canon[canon["touchpoint_id"].isin(catalogue)][cols]

    def key(df):  # each event hashed, counted: a multiset of events
        df = df.assign(revenue=df["revenue"].fillna(0.0))  # revenue off conversions: null or 0
        return pd.util.hash_pandas_object(df.astype(object), index=False).value_counts()

    a, b = key(inside), key(ga[ga["touchpoint_id"].isin(catalogue)][cols])
    missing = a.sub(b, fill_value=0)
    assert (missing <= 0).all(), f"{int((missing > 0).sum())} canonical events missing from the GA4 ingest"
    # the GA4 copy only adds rows the canonical file rejected (planted bad rows GA4 cannot express)
    assert 0 <= int(b.sum()) - len(inside) <= 9
    # events at touchpoints outside the catalogue keep their GA4 event name
    outside = ga[~ga["touchpoint_id"].isin(catalogue)]
    assert set(outside["touchpoint_id"]) <= {"page_view", "purchase"}
    # journeys: the same partition of events into journeys
    assert ga["journey_id"].nunique() == canon["journey_id"].nunique()


def test_survey_text_scales_and_per_touchpoint_comments(tmp_path):
    csv = ("ID;Date;Recommend;Store;Web;Store comment;Overall\n"
           "a1;01.08.2026 10:00;9;Meget tilfreds;4;Ring 12 34 56 78;Tilfreds\n"
           "a2;02.08.2026 11:00;10 - Extremely likely;;Utilfreds;;5\n"
           "a3;03.08.2026 12:00;maybe;3;;;4\n")
    make_client(tmp_path, files={"s.csv": csv}, sources=[{
        "table": "feedback", "file": "raw/s.csv", "adapter": "survey",
        "columns": {"response_id": "ID", "ts": "Date", "nps": "Recommend"},
        "csat_columns": {"store": "Store", "Website": "Web"}, "comment_columns": {"store": "Store comment"},
        "overall_csat": "Overall", "scale_labels": {"Meget tilfreds": 5, "Tilfreds": 4, "Utilfreds": 2}}])
    result = ingest_client("acme", root=tmp_path)
    fb = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet").set_index("response_id")
    assert fb.loc["a1", "nps"] == 9 and fb.loc["a1", "csat"] == 4 and pd.isna(fb.loc["a1", "touchpoint_id"])
    assert fb.loc["a1-store", "csat"] == 5 and fb.loc["a1-store", "comment"] == "Ring [phone]"
    assert fb.loc["a1-web", "csat"] == 4 and fb.loc["a1-web", "touchpoint_id"] == "web"  # catalogue name
    assert fb.loc["a2", "nps"] == 10 and fb.loc["a2-web", "csat"] == 2 and "a2-store" not in fb.index
    assert (fb.loc[["a1", "a1-store", "a1-web"], "survey_id"] == "a1").all()
    # "maybe" is not a score: only that record is rejected, the touchpoint rating of a3 is kept
    rej = pd.read_csv(tmp_path / "data/acme/rejects/feedback.csv")
    assert rej["response_id"].tolist() == ["a3"] and "nps: cannot read 'maybe'" in rej["reason"].item()
    assert fb.loc["a3-store", "csat"] == 3
    f = result.files[0]
    assert (f.file_rows, f.rows_read, f.accepted, f.rejected) == (3, 7, 6, 1)


def test_reviews_json_lines_and_ga4_user_journeys(tmp_path):
    lines = [{"reviewId": "x1", "rating": {"value": 5}, "publishedDate": "2026-07-01T10:00:00Z", "text": "Top",
              "title": "Fint"},
             {"reviewId": "x2", "rating": {"value": 2}, "publishedDate": "2026-07-02T10:00:00Z", "text": "Nej"}]
    ga = ("event_timestamp,event_name,user_pseudo_id,user_id,ga_session_id,page_location\n"
          "1782900000000000,page_view,p1,,11,https://x.dk/\n"
          "1782900060000000,page_view,p1,U-77,12,https://x.dk/\n"
          "1782900120000000,page_view,p2,,13,https://x.dk/\n")
    make_client(tmp_path, files={"r.jsonl": "\n".join(json.dumps(x) for x in lines) + "\n", "ga.csv": ga},
                sources=[{"table": "reviews", "file": "raw/r.jsonl", "adapter": "reviews", "site": "google"},
                         {"table": "events", "file": "raw/ga.csv", "adapter": "ga4", "journey": "user",
                          "customer": "user_id", "rules": [{"touchpoint": "web", "event": "page_view"}]}])
    ingest_client("acme", root=tmp_path)
    rv = pd.read_parquet(tmp_path / "data/acme/processed/reviews.parquet")
    assert rv["review_id"].tolist() == ["x1", "x2"] and rv["rating"].tolist() == [5.0, 2.0]
    assert rv["title"].isna().tolist() == [False, True]
    ev = pd.read_parquet(tmp_path / "data/acme/processed/events.parquet")
    key = KEY.encode()
    assert ev["customer_id"].tolist() == [pseudonym("p1", key), pseudonym("U-77", key), pseudonym("p2", key)]
    # one journey per user: p1's event before the login joins the user U-77 it signs in as
    assert ev["journey_id"].tolist() == [pseudonym("U-77", key), pseudonym("U-77", key), pseudonym("p2", key)]
    assert ev["ts"].iloc[0] == pd.Timestamp(1782900000000000, unit="us")


def test_a_quote_inside_an_unquoted_value_is_not_an_error(tmp_path):
    csv = ("order_id,customer_id,ts,revenue,touchpoint_id\n"
           'A1,C1,2026-07-01 10:00,4999,Cykel 26" hjul\nA2,C2,2026-07-02 10:00,10,store\n')
    make_client(tmp_path, files={"o.csv": csv}, sources=[{"table": "orders", "file": "raw/o.csv"}])
    result = ingest_client("acme", root=tmp_path)
    assert result.accepted == 2
    od = pd.read_parquet(tmp_path / "data/acme/processed/orders.parquet")
    assert od["touchpoint_id"].iloc[0] == 'Cykel 26" hjul'


def test_semicolon_files_default_to_decimal_commas(tmp_path):
    csv = "order_id;customer_id;ts;revenue\nA1;C1;01.07.2026;1.234\nA2;C2;02.07.2026;12.5\nA3;C3;03.07.2026;7,25\n"
    comma = csv.replace(";", ",").replace("7,25", '"7,25"').replace("A", "B")
    make_client(tmp_path, files={"o.csv": csv, "p.csv": comma},
                sources=[{"table": "orders", "file": "raw/o.csv"}, {"table": "orders", "file": "raw/p.csv"}])
    ingest_client("acme", root=tmp_path)
    od = pd.read_parquet(tmp_path / "data/acme/processed/orders.parquet")
    assert od["revenue"].tolist() == [1234.0, 12.5, 7.25, 1.234, 12.5, 7.25]
    # the same export listed twice: every row a duplicate, which is a file-level mistake
    make_client(tmp_path, sources=[{"table": "orders", "file": "raw/o.csv"}, {"table": "orders", "file": "raw/o.csv"}])
    with pytest.raises(SchemaError, match="listed twice"):
        ingest_client("acme", root=tmp_path)
    from helpers.ingest.convert import parse_numbers

    assert parse_numbers(pd.Series(["1.234"], dtype="str"))[0].item() == 1.234  # comma files: a decimal point


# ---------------------------------------------------------------- JSON fields that first appear late


def test_json_fields_first_seen_late_are_kept(tmp_path):
    """Columns are the fields of every record, not of the first thousand."""
    reviews = [{"id": f"R{i}", "stars": 4, "createdAt": "2026-07-01T10:00:00Z", "text": "ok",
                **({"companyReply": {"text": f"svar {i}"}} if i >= 1200 else {})} for i in range(1300)]
    events = []
    for i in range(1200):
        late = i >= 1100
        rec = {"event_name": "purchase" if late and i % 2 else "page_view",
               "event_timestamp": str(1782900000000000 + i * 1_000_000), "user_pseudo_id": f"p{i % 50}",
               "event_params": [{"key": "ga_session_id", "value": {"int_value": str(i // 10)}}]}
        if late:
            rec["user_id"] = f"U{i % 50}"
            if i % 2:
                rec["ecommerce"] = {"purchase_revenue": 100.0 + i}
        events.append(rec)
    make_client(tmp_path, files={"r.json": json.dumps(reviews),
                                 "r.jsonl": "\n".join(json.dumps({**x, "id": "L" + x["id"]}) for x in reviews) + "\n",
                                 "ga/events_1.jsonl": "\n".join(json.dumps(x) for x in events) + "\n"},
                sources=[{"table": "reviews", "file": "raw/r.json", "adapter": "reviews", "site": "trustpilot"},
                         {"table": "reviews", "file": "raw/r.jsonl", "adapter": "reviews", "site": "trustpilot"},
                         {"table": "events", "file": "raw/ga/events_*.jsonl", "adapter": "ga4",
                          "customer": "user_id", "rules": [{"touchpoint": "web", "event": "page_view"}]}])
    result = ingest_client("acme", root=tmp_path)
    assert result.rejected == 0
    rv = pd.read_parquet(tmp_path / "data/acme/processed/reviews.parquet").set_index("review_id")
    assert rv.loc["R1250", "reply"] == "svar 1250" and rv.loc["LR1299", "reply"] == "svar 1299"
    assert rv["reply"].notna().sum() == 200 and len(rv) == 2600
    ev = pd.read_parquet(tmp_path / "data/acme/processed/events.parquet")
    buys = ev[ev["converted"]]
    assert len(buys) == 50 and buys["revenue"].notna().all() and (buys["revenue"] > 1000).all()
    key = KEY.encode()
    assert ev["customer_id"].iloc[1150] == pseudonym("U0", key)  # the signed-in user, not the pseudo id


def test_json_reader_columns_cover_the_whole_file(tmp_path):
    from helpers.ingest.readers import JsonReader

    recs = [{"a": 1, "b": None}] * 1500 + [{"a": 2, "b": {"c": 3}, "late": "x"}]
    (tmp_path / "x.jsonl").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    (tmp_path / "x.json").write_text(json.dumps(recs))
    for name in ("x.jsonl", "x.json"):
        reader = JsonReader(tmp_path / name)
        assert reader.columns == ["a", "b.c", "late"]
        frames = list(reader.chunks())
        assert sum(len(c.frame) for c in frames) == 1501
        assert frames[-1].frame["late"].iloc[-1] == "x"


def test_ga4_login_inside_a_session_keeps_one_journey(tmp_path):
    """customer: user_id changes the customer at login, never the session journey."""
    ga = ("event_timestamp,event_name,user_pseudo_id,user_id,ga_session_id,page_location\n"
          "1782900000000000,page_view,p1,,11,https://x.dk/\n"
          "1782900060000000,login,p1,U-77,11,https://x.dk/\n"
          "1782900120000000,page_view,p1,U-77,11,https://x.dk/\n"
          "1782900180000000,page_view,p1,U-77,12,https://x.dk/\n"
          "1782900240000000,page_view,p2,U-77,13,https://x.dk/\n")
    make_client(tmp_path, files={"ga.csv": ga},
                sources=[{"table": "events", "file": "raw/ga.csv", "adapter": "ga4", "customer": "user_id",
                          "rules": [{"touchpoint": "web", "event": "page_view"}]}])
    ingest_client("acme", root=tmp_path)
    ev = pd.read_parquet(tmp_path / "data/acme/processed/events.parquet")
    key = KEY.encode()
    assert ev["customer_id"].tolist() == [pseudonym("p1", key)] + [pseudonym("U-77", key)] * 4
    assert ev["journey_id"].tolist() == [pseudonym(j, key) for j in ("p1.11", "p1.11", "p1.11", "p1.12", "p2.13")]


def test_sample_exports_hold_the_planted_personal_data():
    """The leak check above is only as good as what the raw exports hold: every planted value is there."""
    from helpers.ingest.readers import XlsxReader
    from ingest_helpers import PLANTED_EMAILS, PLANTED_PHONES

    texts = [(EXPORTS / "raw" / f).read_text(encoding="utf-8-sig") for f in ("survey_wide.csv", "trustpilot.json")]
    for chunk in XlsxReader(EXPORTS / "raw" / "survey_touchpoint.xlsx").chunks():
        texts.append(" ".join(chunk.frame["Comment"].dropna()))
    raw = "\n".join(texts)
    for phone in ("20.12.34.56", "31-12-20-25", "+45 20123456", "0046 70 123 45 67", "+47 912 34 567"):
        assert phone in raw and phone in PLANTED_PHONES
    for email in ("kari.nordmann@example.no", "kunde.service+ordre@example.com", "mette.larsen@example.dk"):
        assert email in raw and email in PLANTED_EMAILS


@pytest.mark.parametrize("leak", ["ring 20 12 34 56", "tlf 31.12.20.25", "+46 (0)70-123 45 67", "912 34 567",
                                  "mail KARI.NORDMANN@example.no"])
def test_leak_check_does_not_rely_on_the_masker(tmp_path, leak):
    from ingest_helpers import assert_no_personal_data

    (tmp_path / "processed").mkdir()
    pd.DataFrame({"comment": ["ok", leak]}).to_parquet(tmp_path / "processed" / "feedback.parquet")
    with pytest.raises(AssertionError):
        assert_no_personal_data(tmp_path, set())
