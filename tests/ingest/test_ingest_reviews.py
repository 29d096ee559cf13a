"""Trustpilot and Google reviews presets on the genuine corpus files and documented variants; expected values
from the raw files (csv and json modules)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.errors import SchemaError
from helpers.ingest import ingest_client
from helpers.ingest.adapters.base import Sample
from helpers.ingest.adapters.reviews import GoogleReviews, TrustpilotReviews, long_date, parse_card

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "real-exports" / "reviews"
TAKEOUT = CORPUS / "google_takeout_maps_Reviews.json"
GYMS = CORPUS / "trustpilot_dk_gyms_scraped.csv"
CARD = CORPUS / "trustpilot_scraped_card_text.csv"
real = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-export corpus is not at {CORPUS}")
CATALOGUE = [{"id": "gym", "name": "Gym", "kind": "physical", "stage": "retention"}]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")


def _client(root: Path, name: str, content, source: dict) -> Path:
    folder = root / "data" / "club"
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    target = folder / "raw" / name
    if isinstance(content, Path):
        target.symlink_to(content)
    else:
        target.write_text(content, encoding="utf-8")
    cfg = {"name": "Club", "timezone": "Europe/Copenhagen", "touchpoints": CATALOGUE,
           "sources": [{"table": "reviews", "file": f"raw/{name}", **source}]}
    (folder / "client.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return folder


def _csv_sample(path: Path, text: str) -> Sample:
    rows = list(csv.reader(io.StringIO(text)))
    return Sample(path=path, format="csv", columns=rows[0], rows=rows[:20])


def _utc(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values), utc=True, format="ISO8601").dt.tz_localize(None)


@real
def test_takeout_reviews_json(tmp_path):
    data = json.loads(TAKEOUT.read_text(encoding="utf-8"))
    props = [f["properties"] for f in data["features"]]
    sample = Sample(path=TAKEOUT, format="json", columns=["geometry.coordinates", "geometry.type",
                    "properties.Google Maps URL", "properties.Location.Business Name", "properties.Published",
                    "properties.Review Comment", "properties.Star Rating", "type"], records=data["features"])
    det = GoogleReviews.detect(sample)
    assert det is not None and det.tool == "google-reviews" and det.table == "reviews"
    assert TrustpilotReviews.detect(sample) is None
    folder = _client(tmp_path, TAKEOUT.name, TAKEOUT, {"tool": "google-reviews", "touchpoint": "gym"})
    ingest_client("club", root=tmp_path)
    reviews = pd.read_parquet(folder / "processed" / "reviews.parquet")
    assert len(reviews) == len(props)
    assert sorted(reviews["rating"]) == sorted(float(p["Star Rating"]) for p in props)
    assert set(reviews["ts"]) == set(_utc([p["Published"] for p in props]))
    assert (reviews["source"] == "google").all() and (reviews["touchpoint_id"] == "gym").all()
    assert reviews["review_id"].is_unique


@real
def test_scraped_trustpilot_list(tmp_path):
    text = GYMS.read_text(encoding="utf-8")
    raw = list(csv.DictReader(io.StringIO(text)))
    det = TrustpilotReviews.detect(_csv_sample(GYMS, text))
    assert det is not None and det.tool == "trustpilot"
    folder = _client(tmp_path, GYMS.name, GYMS, {"tool": "trustpilot"})
    ingest_client("club", root=tmp_path)
    reviews = pd.read_parquet(folder / "processed" / "reviews.parquet")
    # the scrape holds some reviews twice (whole rows repeated): each review once, the repeats rejected
    unique = list({tuple(r.values()): r for r in raw}.values())
    assert len(unique) < len(raw)
    assert len(reviews) == len(unique)
    rejects = pd.read_csv(folder / "rejects" / "reviews.csv")
    assert len(rejects) == len(raw) - len(unique) and rejects["reason"].str.contains("duplicate").all()
    assert reviews["rating"].sum() == sum(int(r["rating"]) for r in unique)
    ts = _utc([r["datetime"] for r in raw])
    assert reviews["ts"].min() == ts.min() and reviews["ts"].max() == ts.max()
    assert (reviews["source"] == "trustpilot").all()
    # the gym (enterprise column) is the touchpoint value; the review text is kept
    assert set(reviews["touchpoint_id"]) == {r["enterprise"] for r in raw}
    assert reviews["text"].str.contains("tilfreds").any()


@real
def test_scraped_card_without_stars_is_refused_with_the_reason(tmp_path):
    text = CARD.read_text(encoding="utf-8")
    raw = list(csv.DictReader(io.StringIO(text)))
    assert len(raw) == 1 and "Rated" not in raw[0]["text"]
    det = TrustpilotReviews.detect(_csv_sample(CARD, text))
    assert det is not None and det.tool == "trustpilot"
    card = parse_card(raw[0]["text"])
    assert card["rating"] is None and card["experienced"] == "2025-02-03"
    assert card["title"].startswith("I think everything here is real")
    _client(tmp_path, CARD.name, CARD, {"tool": "trustpilot"})
    with pytest.raises(SchemaError, match="no star rating"):
        ingest_client("club", root=tmp_path)


CARDS = '''company,text,timestamp
Shop,"EB
Erik B
DK • 3 reviews
Rated 4 out of 5 stars
2 days ago
Fast delivery
The parcel came the next day.
Date of experience: March 02, 2025",2025-03-05 10:00:00
Shop,"Bedømt til 2 ud af 5 stjerner
Verificeret
Langsom levering
Pakken kom efter to uger.
Oplevelsesdato: 1. marts 2025",2025-03-05 10:00:00
'''


def test_card_text_with_stars_in_english_and_danish(tmp_path):
    cards = list(csv.DictReader(io.StringIO(CARDS)))
    first, second = parse_card(cards[0]["text"]), parse_card(cards[1]["text"])
    assert (first["rating"], first["title"], first["text"]) == ("4", "Fast delivery", "The parcel came the next day.")
    assert (second["rating"], second["title"], second["experienced"]) == ("2", "Langsom levering", "2025-03-01")
    folder = _client(tmp_path, "tp.csv", CARDS, {"tool": "trustpilot"})
    ingest_client("club", root=tmp_path)
    reviews = pd.read_parquet(folder / "processed" / "reviews.parquet").sort_values("rating")
    assert list(reviews["rating"]) == [2.0, 4.0]
    # scraped 2025-03-05 10:00 local, "2 days ago": posted 2025-03-03 10:00 (09:00 UTC); no age: the date of
    # experience, 2025-03-01 local midnight (23:00 UTC the day before)
    assert list(reviews["ts"]) == [pd.Timestamp("2025-02-28 23:00"), pd.Timestamp("2025-03-03 09:00")]


BUSINESS = '''Review Id,Review Created (UTC),Review Consumer User Id,Review Title,Review Content,Review Stars,\
Source Of Review,Review Language,Domain URL,Webshop Name,Business Unit Id,Tags,Company Reply Date (UTC),Reply Content,\
Location Name
5f1a,2024-02-01 08:15:00,u1,Great,Helpful staff,5,Organic,da,www.x.dk,X,b1,,2024-02-02 09:00:00,Thank you!,Gym
5f1b,2024-02-03 20:00:00,u2,Crowded,Too busy at six,2,AFSv2,da,www.x.dk,X,b1,,,,Gym
'''


def test_trustpilot_business_export(tmp_path):
    det = TrustpilotReviews.detect(_csv_sample(Path("export.csv"), BUSINESS))
    assert det is not None and det.score >= 0.9
    folder = _client(tmp_path, "export.csv", BUSINESS, {"tool": "trustpilot"})
    ingest_client("club", root=tmp_path)
    reviews = pd.read_parquet(folder / "processed" / "reviews.parquet").set_index("review_id")
    assert reviews.loc["5f1a", "rating"] == 5 and reviews.loc["5f1b", "rating"] == 2
    assert reviews.loc["5f1a", "reply"] == "Thank you!" and reviews.loc["5f1a", "title"] == "Great"
    # "(UTC)": not shifted by the client's time zone
    assert reviews.loc["5f1a", "ts"] == pd.Timestamp("2024-02-01 08:15:00")
    assert (reviews["touchpoint_id"] == "gym").all()


def test_business_profile_reviews(tmp_path):
    doc = {"reviews": [
        {"name": "accounts/1/locations/2/reviews/r1", "reviewer": {"displayName": "A"}, "starRating": "FOUR",
         "comment": "Nice", "createTime": "2024-04-01T10:00:00Z", "updateTime": "2024-04-01T10:00:00Z",
         "reviewReply": {"comment": "Thanks", "updateTime": "2024-04-02T10:00:00Z"}},
        {"name": "accounts/1/locations/2/reviews/r2", "reviewer": {"displayName": "B"}, "starRating": "ONE",
         "createTime": "2024-04-03T10:00:00Z", "updateTime": "2024-04-03T10:00:00Z"}]}
    det = GoogleReviews.detect(Sample(path=Path("reviews.json"), format="json",
                                      columns=["name", "reviewer.displayName", "starRating", "comment", "createTime"],
                                      records=doc["reviews"]))
    assert det is not None and det.tool == "google-reviews"
    folder = _client(tmp_path, "reviews.json", json.dumps(doc), {"tool": "google-reviews", "touchpoint": "gym"})
    ingest_client("club", root=tmp_path)
    reviews = pd.read_parquet(folder / "processed" / "reviews.parquet").sort_values("ts")
    assert list(reviews["rating"]) == [4.0, 1.0]
    assert reviews["reply"].iloc[0] == "Thanks"


def test_long_dates():
    assert long_date("February 03, 2025") == "2025-02-03"
    assert long_date("13. november 2023") == "2023-11-13"
    assert long_date("3 februari 2025") == "2025-02-03"
    assert long_date("yesterday") is None
