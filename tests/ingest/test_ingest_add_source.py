"""`tpkit add-source` on the genuine exports in ../shared/real-exports (read in place, never copied into the
repository): the tool and table are detected, `--write` + `tpkit ingest` give the records, date ranges
and sums computed here from the raw files with the csv/json modules and pyarrow."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "real-exports"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-export corpus is not at {CORPUS} "
                                  "(it sits beside the repository and is never copied into it)")

CLIENT_YML = """\
# Test client for add-source
name: Acme  # shown in reports
timezone: Europe/Copenhagen
touchpoints:
  # the catalogue
  - {id: web, name: Website, kind: digital, stage: consideration}
  - {id: store, name: Store, kind: physical, stage: decision}
  - {id: survey, name: Feedback survey, kind: digital, stage: retention}
  - {id: support, name: Customer service, kind: digital, stage: retention}
sources: []  # filled by tpkit add-source
"""

#: file -> (tool, table) expected from the file alone
EXPECTED = {
    "ga4/ga4_events_sampled.snappy.parquet": ("ga4", "events"),
    "survey/qualtrics_sample.csv": ("qualtrics", "feedback"),
    "survey/google_forms_social_media_survey_responses.csv": ("google-forms", "feedback"),
    "survey/surveymonkey_fivethirtyeight_starwars.csv": ("surveymonkey", "feedback"),
    "survey/devon_community_survey_2016_likert_summary.csv": ("generic", None),
    "reviews/google_takeout_maps_Reviews.json": ("google-reviews", "reviews"),
    "reviews/trustpilot_dk_gyms_scraped.csv": ("trustpilot", "reviews"),
    "reviews/trustpilot_scraped_card_text.csv": ("trustpilot", "reviews"),
    "ecommerce/shopify_orders_export_subset_cols.csv": ("shopify", "orders"),
    "support/zendesk_api_ticket_trial.json": ("zendesk", "events"),
    "support/zendesk_api_satisfaction_rating_docs_example.json": ("zendesk", "feedback"),
}


def tpkit(*args, root: Path) -> subprocess.CompletedProcess:
    exe = REPO / ".venv" / "bin" / "tpkit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "helpers.cli"]
    return subprocess.run([*cmd, *args, "--root", str(root)], capture_output=True, text=True, timeout=600)


def client(tmp_path: Path, *files: str) -> Path:
    folder = tmp_path / "data" / "acme"
    (folder / "raw").mkdir(parents=True)
    (folder / "client.yml").write_text(CLIENT_YML, encoding="utf-8")
    for f in files:  # a copy in the test's temporary client folder, as an analyst puts an export in raw/
        shutil.copyfile(CORPUS / f, folder / "raw" / Path(f).name)
    return folder


def add_source(tmp_path: Path, f: str, *flags: str) -> tuple[subprocess.CompletedProcess, dict]:
    res = tpkit("add-source", "acme", Path(f).name, "--json", *flags, root=tmp_path)
    return res, (json.loads(res.stdout) if res.stdout.strip().startswith("{") else {})


def ingest(tmp_path: Path) -> dict:
    res = tpkit("ingest", "acme", root=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads((tmp_path / "data" / "acme" / "processed" / "_manifest.json").read_text())


def table(tmp_path: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(tmp_path / "data" / "acme" / "processed" / f"{name}.parquet")


def csv_records(f: str, encoding: str = "utf-8", header_rows: int = 1) -> list[dict]:
    with open(CORPUS / f, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    names = rows[0]
    return [dict(zip(names, r)) for r in rows[header_rows:] if any(c.strip() for c in r)]


# ---------------------------------------------------------------- detection of every file


@needs_corpus
@pytest.mark.parametrize("f", sorted(EXPECTED))
def test_add_source_detects_tool_and_table(tmp_path, f):
    client(tmp_path, f)
    res, out = add_source(tmp_path, f)
    tool, tbl = EXPECTED[f]
    assert out["tool"] == tool, res.stdout + res.stderr
    assert out["table"] == tbl
    for key in ("rows", "header_rows", "encoding", "delimiter", "date_order", "ts_min", "ts_max", "source"):
        assert key in out
    assert out["delimiter"] == ("," if f.endswith(".csv") else None)


@needs_corpus
def test_every_corpus_file_outside_nordic_is_listed():
    found = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()
             and p.suffix != ".md" and not p.relative_to(CORPUS).as_posix().startswith("nordic/")}
    assert found == set(EXPECTED)


# ---------------------------------------------------------------- what only the analyst decides


@needs_corpus
def test_survey_without_csat_or_nps_question_exits_2_naming_the_flags(tmp_path):
    f = "survey/qualtrics_sample.csv"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f)
    assert res.returncode == 2
    assert "--csat COLUMN or --nps COLUMN" in res.stderr
    assert "--touchpoint ID" in res.stderr
    assert out["header_rows"] == 3 and out["rows"] == 1


@needs_corpus
def test_generic_file_with_no_table_exits_2_naming_table(tmp_path):
    f = "survey/devon_community_survey_2016_likert_summary.csv"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f)
    assert res.returncode == 2 and "--table" in res.stderr
    assert out["encoding"] == "utf-8-sig"


@needs_corpus
def test_surveymonkey_two_header_rows_combined_and_missing_dates_refused(tmp_path):
    f = "survey/surveymonkey_fivethirtyeight_starwars.csv"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f, "--touchpoint", "survey")
    assert res.returncode == 2
    assert out["header_rows"] == 2
    with open(CORPUS / f, encoding="cp1252", newline="") as fh:
        n = sum(1 for _ in csv.reader(fh)) - 2
    assert out["rows"] == n == 250
    assert "ts" in res.stderr  # FiveThirtyEight removed Start Date / End Date: no response time to read


# ---------------------------------------------------------------- --write + ingest against the raw files


def _written(tmp_path: Path) -> str:
    text = (tmp_path / "data" / "acme" / "client.yml").read_text()
    assert "# the catalogue" in text and "# shown in reports" in text  # comments kept
    return text


@needs_corpus
def test_ga4_events_and_orders(tmp_path):
    f = "ga4/ga4_events_sampled.snappy.parquet"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f, "--write")
    assert res.returncode == 0, res.stderr
    assert [s["table"] for s in out["sources"]] == ["events", "orders"]
    raw = pq.read_table(CORPUS / f)
    micros = raw.column("event_timestamp")
    lo = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=pc.min(micros).as_py())
    hi = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=pc.max(micros).as_py())
    assert out["rows"] == raw.num_rows == 24_219
    assert pd.Timestamp(out["ts_min"]).tz_localize(None) == pd.Timestamp(lo)
    assert pd.Timestamp(out["ts_max"]).tz_localize(None) == pd.Timestamp(hi)
    _written(tmp_path)
    ingest(tmp_path)
    events = table(tmp_path, "events")
    assert len(events) == raw.num_rows
    assert events["ts"].min() == pd.Timestamp(lo) and events["ts"].max() == pd.Timestamp(hi)
    purchase = pc.equal(raw.column("event_name"), "purchase")
    revenue = pc.struct_field(raw.column("ecommerce"), "purchase_revenue").filter(purchase)
    orders = table(tmp_path, "orders")
    assert len(orders) == revenue.length() - revenue.null_count == 575
    assert orders["revenue"].sum() == pytest.approx(pc.sum(revenue).as_py())
    assert round(orders["revenue"].sum()) == 41_529


@needs_corpus
def test_qualtrics_with_touchpoint_and_csat(tmp_path):
    f = "survey/qualtrics_sample.csv"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f, "--touchpoint", "survey", "--csat", "Q1", "--write")
    assert res.returncode == 0, res.stderr
    recs = csv_records(f, header_rows=3)
    assert out["rows"] == len(recs) == 1
    assert out["ts_min"] == dt.datetime.strptime(recs[0]["RecordedDate"], "%Y-%m-%d %H:%M:%S").isoformat()
    assert out["source"] == {"file": "raw/qualtrics_sample.csv", "table": "feedback", "tool": "qualtrics",
                             "columns": {"csat": "Q1"}, "touchpoint": "survey"}
    _written(tmp_path)
    ingest(tmp_path)
    fb = table(tmp_path, "feedback")
    assert len(fb) == 1 and fb["csat"].tolist() == [float(recs[0]["Q1"])]
    assert fb["response_id"].tolist() == [recs[0]["ResponseId"]]
    assert fb["touchpoint_id"].tolist() == ["survey"]


@needs_corpus
def test_google_forms_us_dates_read_month_first(tmp_path):
    f = "survey/google_forms_social_media_survey_responses.csv"
    client(tmp_path, f)
    recs = csv_records(f)
    likert = next(c for c in recs[0] if c.startswith("On a scale from 1 to 5"))
    res, out = add_source(tmp_path, f, "--touchpoint", "survey", "--csat", likert, "--write")
    assert res.returncode == 0, res.stderr
    stamps = [dt.datetime.strptime(r["Timestamp"], "%m/%d/%Y %H:%M:%S") for r in recs]
    assert out["rows"] == len(recs) == 40
    assert out["date_order"] == "MDY"
    assert out["ts_min"] == min(stamps).isoformat() and out["ts_max"] == max(stamps).isoformat()
    ingest(tmp_path)
    fb = table(tmp_path, "feedback")
    assert len(fb) == 40
    values = [float(r[likert]) for r in recs if r[likert].strip()]
    assert fb["csat"].sum() == pytest.approx(sum(values))
    local = fb["ts"].dt.tz_localize("UTC").dt.tz_convert("Europe/Copenhagen").dt.tz_localize(None)
    assert local.min() == pd.Timestamp(min(stamps)) and local.max() == pd.Timestamp(max(stamps))


@needs_corpus
@pytest.mark.parametrize("f,rating_key,ts_key", [
    ("reviews/trustpilot_dk_gyms_scraped.csv", "rating", "datetime"),
    ("reviews/google_takeout_maps_Reviews.json", "Star Rating", "Published"),
])
def test_reviews(tmp_path, f, rating_key, ts_key):
    client(tmp_path, f)
    res, out = add_source(tmp_path, f)
    assert res.returncode == 2 and "--touchpoint ID" in res.stderr
    res, out = add_source(tmp_path, f, "--touchpoint", "store", "--write")
    assert res.returncode == 0, res.stderr
    if f.endswith(".json"):
        recs = [feat["properties"] for feat in json.loads((CORPUS / f).read_text())["features"]]
    else:
        recs = csv_records(f)
    stamps = [pd.Timestamp(r[ts_key]).tz_convert("UTC").tz_localize(None) for r in recs]
    assert out["rows"] == len(recs)
    assert pd.Timestamp(out["ts_min"]).tz_convert("UTC").tz_localize(None) == min(stamps)
    assert pd.Timestamp(out["ts_max"]).tz_convert("UTC").tz_localize(None) == max(stamps)
    man = ingest(tmp_path)
    rv = table(tmp_path, "reviews")
    # the scrape holds some reviews twice (identical rows): each review is kept once, the repeats rejected
    unique = list({json.dumps(r, sort_keys=True): r for r in recs}.values())
    assert len(rv) == len(unique) and man["files"][0]["rejected"] == len(recs) - len(unique)
    assert rv["rating"].sum() == pytest.approx(sum(float(r[rating_key]) for r in unique))
    assert rv["ts"].min() == min(stamps) and rv["ts"].max() == max(stamps)
    assert set(rv["touchpoint_id"]) == {"store"}


@needs_corpus
def test_trustpilot_card_text(tmp_path):
    f = "reviews/trustpilot_scraped_card_text.csv"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f, "--touchpoint", "web", "--write")
    recs = csv_records(f)
    assert out["rows"] == len(recs) == 1
    # the scraped card kept no "Rated N out of 5": no record can be used, so nothing is written
    assert "Rated" not in recs[0]["text"]
    assert res.returncode == 2 and "star rating" in res.stderr
    assert "raw/trustpilot_scraped_card_text.csv" not in (tmp_path / "data/acme/client.yml").read_text()
    cfg = tmp_path / "data/acme/client.yml"  # had the analyst written the entry by hand: a clear refusal
    cfg.write_text(cfg.read_text().replace("sources: []", "sources:\n  - {file: raw/trustpilot_scraped_card_text.csv, "
                                           "table: reviews, tool: trustpilot, touchpoint: web}"))
    res = tpkit("ingest", "acme", root=tmp_path)
    assert res.returncode == 2 and "star rating" in res.stderr and "Traceback" not in res.stderr


@needs_corpus
def test_shopify_orders(tmp_path):
    f = "ecommerce/shopify_orders_export_subset_cols.csv"
    client(tmp_path, f)
    res, out = add_source(tmp_path, f, "--write")
    assert res.returncode == 0, res.stderr
    recs = csv_records(f)
    assert out["rows"] == len(recs) == 1057
    stamps = [dt.datetime.strptime(r["Created at"], "%Y-%m-%d %H:%M:%S %z") for r in recs]
    assert out["ts_min"] == min(stamps).isoformat() and out["ts_max"] == max(stamps).isoformat()
    ingest(tmp_path)
    orders = table(tmp_path, "orders")
    first: dict[str, dict] = {}
    for r in recs:  # one order per Name; order-level values sit on its first row
        first.setdefault(r["Name"], r)
    assert len(orders) == len(first)
    assert orders["revenue"].sum() == pytest.approx(sum(float(r["Total"]) for r in first.values()))
    utc = [s.astimezone(dt.timezone.utc).replace(tzinfo=None) for s in stamps]
    assert orders["ts"].min() == pd.Timestamp(min(utc)) and orders["ts"].max() == pd.Timestamp(max(utc))


@needs_corpus
@pytest.mark.parametrize("f,tbl", [("support/zendesk_api_ticket_trial.json", "events"),
                                   ("support/zendesk_api_satisfaction_rating_docs_example.json", "feedback")])
def test_zendesk(tmp_path, f, tbl):
    client(tmp_path, f)
    res, _ = add_source(tmp_path, f)
    assert res.returncode == 2 and "--touchpoint ID" in res.stderr
    res, out = add_source(tmp_path, f, "--touchpoint", "support", "--write")
    assert res.returncode == 0, res.stderr
    obj = json.loads((CORPUS / f).read_text())
    assert out["rows"] == 1
    created = pd.Timestamp(obj["created_at"]).tz_convert("UTC").tz_localize(None)
    assert pd.Timestamp(out["ts_min"]).tz_convert("UTC").tz_localize(None) == created
    man = ingest(tmp_path)
    entry = next(e for e in man["files"] if e["table"] == tbl)
    assert entry["rows_read"] == 1 and entry["accepted"] == 1
    got = table(tmp_path, tbl)
    assert got["ts"].tolist() == [created] and got["touchpoint_id"].tolist() == ["support"]
