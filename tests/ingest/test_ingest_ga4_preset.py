"""GA4 preset on the genuine BigQuery export sample: orders from purchase events, event-scoped traffic source,
segments from device/geo. Expected values are computed from the raw file with duckdb, not by the kit."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from helpers.ingest import ingest_client, load_manifest

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "real-exports"
GA4 = CORPUS / "ga4" / "ga4_events_sampled.snappy.parquet"
pytestmark = pytest.mark.skipif(not GA4.is_file(), reason=f"the real-export corpus is not at {CORPUS}")

CATALOGUE = [
    {"id": "organic_search", "name": "Organic search", "kind": "digital", "stage": "awareness"},
    {"id": "referral", "name": "Referral", "kind": "digital", "stage": "awareness"},
    {"id": "checkout", "name": "Checkout", "kind": "digital", "stage": "decision"},
]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")


def _client(root: Path, sources: list[dict], name: str = "shop") -> Path:
    folder = root / "data" / name
    (folder / "raw").mkdir(parents=True)
    (folder / "raw" / GA4.name).symlink_to(GA4)
    cfg = {"name": "Shop", "timezone": "Europe/Copenhagen", "touchpoints": CATALOGUE, "sources": sources}
    (folder / "client.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return folder


def _sql(query: str):
    return duckdb.connect().sql(query.replace("T", f"read_parquet('{GA4}')", 1)).fetchall()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TPKIT_KEY", "test-key-not-secret")
    root = tmp_path_factory.mktemp("ga4")
    rules = [{"touchpoint": "checkout", "event": "purchase"},
             {"touchpoint": "organic_search", "medium": "organic"},
             {"touchpoint": "referral", "medium": "referral"}]
    folder = _client(root, [
        {"table": "events", "file": f"raw/{GA4.name}", "tool": "ga4", "rules": rules,
         "segment_property": "device.category"},
        {"table": "orders", "file": f"raw/{GA4.name}", "tool": "ga4", "segment_property": "geo.country"},
    ])
    result = ingest_client("shop", root=root)
    yield root, folder, result
    mp.undo()


def test_orders_revenue_equals_purchase_revenue_of_the_raw_file(ingested):
    root, folder, _ = ingested
    (n_purchase, n_with_revenue, revenue), = _sql(
        "select count(*), count(ecommerce.purchase_revenue), sum(ecommerce.purchase_revenue) from T "
        "where event_name = 'purchase'")
    assert revenue == 41529 and n_with_revenue == 575  # the figure, from the raw file
    orders = pd.read_parquet(folder / "processed" / "orders.parquet")
    assert len(orders) == n_with_revenue
    assert orders["revenue"].sum() == pytest.approx(revenue)
    assert orders["order_id"].is_unique
    entry = next(f for f in load_manifest("shop", root=root)["files"] if f["table"] == "orders")
    assert entry["rows_read"] == n_purchase and entry["rejected"] == n_purchase - n_with_revenue
    (lo, hi), = _sql("select min(make_timestamp(event_timestamp)), max(make_timestamp(event_timestamp)) from T "
                     "where event_name = 'purchase' and ecommerce.purchase_revenue is not null")
    assert orders["ts"].min() == pd.Timestamp(lo) and orders["ts"].max() == pd.Timestamp(hi)
    rejects = pd.read_csv(folder / "rejects" / "orders.csv")
    assert len(rejects) == n_purchase - n_with_revenue
    assert rejects["reason"].str.contains("without ecommerce.purchase_revenue").all()


def test_purchases_without_revenue_and_repeated_transactions_are_reported(ingested):
    root, _, result = ingested
    manifest = load_manifest("shop", root=root)
    text = " ".join(manifest.get("warnings", []))
    (missing,), = _sql("select count(*) from T where event_name = 'purchase' and ecommerce.purchase_revenue is null")
    assert f"{missing:,} of 624 purchase events have no purchase_revenue" in text
    (repeats,), = _sql("select coalesce(sum(n - 1), 0) from (select count(*) n from T where event_name = 'purchase' "
                       "and ecommerce.transaction_id not in ('(not set)') and ecommerce.purchase_revenue is not null "
                       "group by ecommerce.transaction_id having count(*) > 1)")
    assert repeats > 0 and f"{repeats:,} purchase events repeat a transaction id" in text


def test_source_medium_rules_match_the_events_own_source(ingested):
    _, folder, _ = ingested
    events = pd.read_parquet(folder / "processed" / "events.parquet")
    (n_events,), = _sql("select count(*) from T")
    assert len(events) == n_events
    # the event's own medium: event_params medium (the sample has no collected_traffic_source), or the user's
    # first medium on first_visit events; never the user's medium on every event
    (organic,), = _sql(
        "select count(*) from T where event_name <> 'purchase' and coalesce("
        "nullif(lower(list_filter(event_params, x -> x.key = 'medium')[1].value.string_value), '(not set)'), "
        "case when event_name = 'first_visit' then lower(traffic_source.medium) end) = 'organic'")
    (user_level,), = _sql("select count(*) from T where event_name <> 'purchase' and traffic_source.medium = 'organic'")
    assert (events["touchpoint_id"] == "organic_search").sum() == organic
    assert organic < user_level / 2
    (purchases,), = _sql("select count(*) from T where event_name = 'purchase'")
    assert (events["touchpoint_id"] == "checkout").sum() == purchases


def test_device_category_is_the_segment(ingested):
    _, folder, _ = ingested
    events = pd.read_parquet(folder / "processed" / "events.parquet")
    expected = dict(_sql("select device.category, count(*) from T group by 1"))
    assert events["segment"].value_counts().to_dict() == expected
    orders = pd.read_parquet(folder / "processed" / "orders.parquet")
    countries = dict(_sql("select geo.country, count(*) from T where event_name = 'purchase' "
                          "and ecommerce.purchase_revenue is not null group by 1"))
    countries = {k: v for k, v in countries.items() if k not in (None, "(not set)")}
    assert orders["segment"].value_counts().to_dict() == countries


def test_a_missing_segment_property_is_a_warning(tmp_path):
    _client(tmp_path, [{"table": "events", "file": f"raw/{GA4.name}", "tool": "ga4",
                        "segment_property": "loyalty_tier"}])
    ingest_client("shop", root=tmp_path)
    warnings = load_manifest("shop", root=tmp_path).get("warnings", [])
    assert any("segment_property 'loyalty_tier'" in w and "24,219 of 24,219" in w for w in warnings), warnings
