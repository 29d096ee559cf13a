"""Shopify and WooCommerce presets: the genuine Shopify export of the corpus, and synthetic files in the
documented shapes (line items, discounts, refunds, cancelled and guest orders). Expected values come from the
raw files through the csv module."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers.ingest import ingest_client, load_manifest
from helpers.ingest.adapters.base import Sample
from helpers.ingest.adapters.commerce import ShopifyOrders, WooCommerceOrders, fold_line_items

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "real-exports"
SHOPIFY = CORPUS / "ecommerce" / "shopify_orders_export_subset_cols.csv"
CATALOGUE = [{"id": "webshop", "name": "Webshop", "kind": "digital", "stage": "decision"}]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")


def _client(root: Path, files: dict, sources: list[dict]) -> Path:
    folder = root / "data" / "shop"
    (folder / "raw").mkdir(parents=True)
    for name, content in files.items():
        target = folder / "raw" / name
        if isinstance(content, Path):
            target.symlink_to(content)
        else:
            target.write_text(content, encoding="utf-8")
    cfg = {"name": "Shop", "timezone": "Europe/Copenhagen", "touchpoints": CATALOGUE, "sources": sources}
    (folder / "client.yml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return folder


def _sample(path: Path, text: str) -> Sample:
    rows = list(csv.reader(io.StringIO(text)))
    return Sample(path=path, format="csv", columns=rows[0], rows=rows[:20])


@pytest.mark.skipif(not SHOPIFY.is_file(), reason=f"the real-export corpus is not at {CORPUS}")
def test_real_shopify_export_is_detected_and_ingested(tmp_path):
    text = SHOPIFY.read_text(encoding="utf-8")
    det = ShopifyOrders.detect(_sample(SHOPIFY, text))
    assert det is not None and det.tool == "shopify" and det.table == "orders"
    raw = list(csv.DictReader(io.StringIO(text)))
    folder = _client(tmp_path, {SHOPIFY.name: SHOPIFY},
                     [{"table": "orders", "file": f"raw/{SHOPIFY.name}", "tool": "shopify"}])
    ingest_client("shop", root=tmp_path)
    orders = pd.read_parquet(folder / "processed" / "orders.parquet")
    names = {r["Name"] for r in raw}
    assert len(orders) == len(names) == len(raw)  # this export has one line item per order
    assert orders["revenue"].sum() == pytest.approx(sum(float(r["Total"]) for r in raw))
    # "2014-11-25 14:45:53 +1100": the offset decides the instant
    utc = [pd.Timestamp(r["Created at"].replace(" +", "+").replace(" -", "-")).tz_convert("UTC").tz_localize(None)
           for r in raw]
    assert orders["ts"].min() == min(utc) and orders["ts"].max() == max(utc)
    # no e-mail column: every order is a customer of its own, and that is a warning
    assert orders["customer_id"].nunique() == len(orders)
    manifest = load_manifest("shop", root=tmp_path)
    assert any("no Email column" in w for w in manifest.get("warnings", [])), manifest


SHOPIFY_LINES = """\
Name,Email,Financial Status,Paid at,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Created at,\
Lineitem quantity,Lineitem name,Lineitem price,Refunded Amount,Cancelled at
#1001,ann@example.com,paid,2024-03-01 10:00:05 +0100,90.00,5.00,18.00,113.00,SPRING,10.00,2024-03-01 10:00:00 +0100,\
1,Mug,40.00,0.00,
#1001,ann@example.com,,,,,,,,,2024-03-01 10:00:00 +0100,2,Plate,30.00,,
#1001,ann@example.com,,,,,,,,,2024-03-01 10:00:00 +0100,1,Bowl,20.00,,
#1002,,paid,2024-03-02 12:00:00 +0100,50.00,0.00,10.00,60.00,,0.00,2024-03-02 12:00:00 +0100,1,Vase,50.00,,
#1003,bob@example.com,partially_refunded,2024-03-03 09:00:00 +0100,80.00,0.00,16.00,96.00,,0.00,\
2024-03-03 09:00:00 +0100,2,Cup,40.00,20.00,
#1003,bob@example.com,,,,,,,,,2024-03-03 09:00:00 +0100,1,Saucer,0.00,,
#1004,cy@example.com,refunded,2024-03-04 09:00:00 +0100,30.00,0.00,6.00,36.00,,0.00,2024-03-04 09:00:00 +0100,\
1,Jug,30.00,36.00,2024-03-04 11:00:00 +0100
#1005,ann@example.com,paid,2024-03-05 09:00:00 +0100,10.00,0.00,2.00,12.00,,0.00,2024-03-05 09:00:00 +0100,\
1,Spoon,10.00,,
#1005,ann@example.com,,,,,,,,,2024-03-05 09:00:00 +0100,1,Fork,0.00,,
"""


def test_shopify_line_items_fold_into_orders_with_refunds_guests_and_cancellations(tmp_path):
    det = ShopifyOrders.detect(_sample(Path("orders_export.csv"), SHOPIFY_LINES))
    assert det is not None and det.score >= 0.9
    folder = _client(tmp_path, {"orders_export.csv": SHOPIFY_LINES},
                     [{"table": "orders", "file": "raw/orders_export.csv", "tool": "shopify"}])
    result = ingest_client("shop", root=tmp_path)
    orders = pd.read_parquet(folder / "processed" / "orders.parquet").set_index("order_id")
    # 10 rows, 5 orders; #1004 cancelled (excluded, counted); #1005's last row held to the end of the file
    assert sorted(orders.index) == ["#1001", "#1002", "#1003", "#1005"]
    assert orders.loc["#1001", "revenue"] == 113.0           # Total is after the discount
    assert orders.loc["#1003", "revenue"] == 96.0 - 20.0     # net of the refund
    assert orders.loc["#1005", "revenue"] == 12.0
    assert orders.loc["#1002", "revenue"] == 60.0            # a guest order keeps its revenue
    assert orders.loc["#1001", "customer_id"] == orders.loc["#1005", "customer_id"]
    assert orders.loc["#1002", "customer_id"] not in set(orders.drop(index="#1002")["customer_id"])
    assert orders.loc["#1001", "ts"] == pd.Timestamp("2024-03-01 09:00:00")
    entry = load_manifest("shop", root=tmp_path)["files"][0]
    assert entry["rows_read"] == 5 and entry["accepted"] == 4 and entry["rejected"] == 1
    rejects = pd.read_csv(folder / "rejects" / "orders.csv")
    assert rejects["reason"].str.startswith("excluded: cancelled order").all()
    assert "ann@example.com" not in (folder / "processed" / "orders.parquet").read_bytes().decode("latin-1")
    assert result.accepted == 4


def test_shopify_revenue_modes_and_a_bad_mode(tmp_path):
    folder = _client(tmp_path, {"o.csv": SHOPIFY_LINES},
                     [{"table": "orders", "file": "raw/o.csv", "tool": "shopify", "revenue": "subtotal"}])
    ingest_client("shop", root=tmp_path)
    orders = pd.read_parquet(folder / "processed" / "orders.parquet").set_index("order_id")
    assert orders.loc["#1001", "revenue"] == 90.0
    from helpers.errors import ConfigError

    cfg = yaml.safe_load((folder / "client.yml").read_text())
    cfg["sources"][0]["revenue"] = "gross"
    (folder / "client.yml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match="revenue"):
        ingest_client("shop", root=tmp_path)


def test_fold_refuses_an_order_whose_rows_disagree():
    frame = pd.DataFrame({"Name": ["#1", "#1", "#2"], "Total": ["10", "11", "5"]})
    folded, first, counts, reason = fold_line_items(frame, [2, 3, 4], "Name", ["Total"])
    assert list(first) == [2, 4] and list(counts) == [2, 1]
    assert "disagree" in reason.iat[0] and pd.isna(reason.iat[1])


WOO_ANALYTICS = """\
Date,Order #,Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net Sales
2024-05-02 14:03:11,1201,Completed,Ann Berg,returning,Mug,1,,40.00
2024-05-02 15:10:00,1202,Processing,Bo Holm,new,"Plate, Bowl",2,SPRING,55.50
2024-05-03 09:00:00,1203,Cancelled,Ann Berg,returning,Vase,1,,30.00
2024-05-04 10:30:00,1204,Completed,Ann Berg,returning,Cup,1,,12.25
"""

WOO_EXPORT = """\
order_id,order_number,order_date,status,shipping_total,tax_total,discount_total,order_total,refunded_total,\
customer_id,billing_email
501,501,2024-06-01 10:00:00,completed,5.00,10.00,0.00,65.00,0.00,7,ann@example.com
502,502,2024-06-02 11:00:00,refunded,0.00,4.00,0.00,24.00,24.00,8,bo@example.com
503,503,2024-06-03 12:00:00,completed,0.00,2.00,3.00,17.00,5.00,0,
504,504,2024-06-04 12:00:00,failed,0.00,2.00,0.00,17.00,0.00,7,ann@example.com
"""


def test_woocommerce_analytics_download(tmp_path):
    det = WooCommerceOrders.detect(_sample(Path("orders.csv"), WOO_ANALYTICS))
    assert det is not None and det.tool == "woocommerce"
    assert ShopifyOrders.detect(_sample(Path("orders.csv"), WOO_ANALYTICS)) is None
    folder = _client(tmp_path, {"orders.csv": WOO_ANALYTICS},
                     [{"table": "orders", "file": "raw/orders.csv", "tool": "woocommerce"}])
    ingest_client("shop", root=tmp_path)
    orders = pd.read_parquet(folder / "processed" / "orders.parquet").set_index("order_id")
    assert sorted(orders.index) == ["1201", "1202", "1204"]
    assert orders["revenue"].sum() == pytest.approx(40.00 + 55.50 + 12.25)
    assert orders.loc["1201", "customer_id"] == orders.loc["1204", "customer_id"]


def test_woocommerce_order_export_refunds_guests_and_failed(tmp_path):
    det = WooCommerceOrders.detect(_sample(Path("orders.csv"), WOO_EXPORT))
    assert det is not None and det.tool == "woocommerce"
    folder = _client(tmp_path, {"orders.csv": WOO_EXPORT},
                     [{"table": "orders", "file": "raw/orders.csv", "tool": "woocommerce"}])
    ingest_client("shop", root=tmp_path)
    orders = pd.read_parquet(folder / "processed" / "orders.parquet").set_index("order_id")
    assert sorted(orders.index) == ["501", "502", "503"]
    assert orders.loc["501", "revenue"] == 65.0
    assert orders.loc["502", "revenue"] == 0.0        # fully refunded
    assert orders.loc["503", "revenue"] == 12.0       # guest (customer 0), refund taken off
    rejects = pd.read_csv(folder / "rejects" / "orders.csv")
    assert list(rejects["reason"]) == ["excluded: order status failed"]
