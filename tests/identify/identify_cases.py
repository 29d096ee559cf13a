"""The hand-made project the step 1 tests run on: a few clients, a dozen events each,
whose expected numbers can be counted by eye from the tables below."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import yaml

Q3 = "2026Q3"
START, END = dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# ---------------------------------------------------------------------------
# a small hand-made project
# ---------------------------------------------------------------------------

SHOP_CATALOGUE = [
    {"id": "search_ads", "name": "Search ads", "kind": "digital", "stage": "awareness", "owner": "Marketing",
     "sources": ["events"]},
    {"id": "website", "name": "Website", "kind": "digital", "stage": "consideration", "owner": "E-commerce",
     "sources": ["events", "feedback"]},
    {"id": "store", "name": "Store <Main St>", "kind": "physical", "stage": "decision", "owner": "Retail",
     "sources": ["orders", "feedback"]},
    {"id": "checkout", "name": "Checkout", "kind": "digital", "stage": "decision", "owner": "E-commerce",
     "sources": ["events"]},
    {"id": "trade_fair", "name": "Trade fair", "kind": "physical", "stage": "awareness", "owner": "Sales",
     "sources": ["interviews"]},
    {"id": "support", "name": "Support", "kind": "digital", "stage": "retention", "owner": "Service",
     "sources": ["events", "feedback", "reviews"]},
]

# journey, customer, time, touchpoint, converted, revenue
SHOP_EVENTS = [
    ("j1", "c1", "2026-07-02 10:00", "search_ads", False, 0.0),
    ("j1", "c1", "2026-07-05 10:00", "website", False, 0.0),
    ("j1", "c1", "2026-07-06 10:00", "checkout", True, 100.0),
    ("j1", "c1", "2026-07-20 10:00", "support", False, 0.0),
    ("j2", "c2", "2026-07-10 09:00", "tiktok_ads", False, 0.0),
    ("j2", "c2", "2026-07-11 09:00", "website", False, 0.0),
    ("j3", "c3", "2026-06-20 08:00", "search_ads", False, 0.0),  # journey began before the period
    ("j3", "c3", "2026-07-15 08:00", "website", False, 0.0),
    ("j3", "c3", "2026-07-16 08:00", "checkout", True, 50.0),
    ("j4", "c1", "2026-08-01 12:00", "website", False, 0.0),
    ("j4", "c1", "2026-08-01 12:05", "checkout", True, 80.0),
    ("j5", "c4", "2026-09-30 23:59", "tiktok_ads", False, 0.0),
    ("j5", "c4", "2026-10-02 10:00", "checkout", True, 60.0),  # purchase after the period
    ("j6", "c5", "2026-07-07 15:00", "checkout", True, 20.0),  # direct purchase, no earlier touch
]

SHOP_FEEDBACK = [
    # response, customer, time, touchpoint, csat, nps, source
    ("r1", "c1", "2026-07-06 11:00", "checkout", 4, 9, "survey"),
    ("r2", "c3", "2026-07-16 09:00", "checkout", 2, 5, None),
    ("r3", "c2", "2026-07-11 10:00", "website", 5, None, "survey"),
    ("r4", None, "2026-08-10 10:00", "store", 3, None, "interview"),
    ("r5", None, "2026-05-01 10:00", "trade_fair", 4, None, "interview"),  # before the period
    ("r6", "c1", "2026-07-21 10:00", "support", 1, 2, "survey"),
    ("r7", "c8", "2026-07-30 10:00", None, 4, 8, "survey"),  # relationship question: no touchpoint
    ("r8", "c9", "2026-07-12 10:00", "instagram", 3, None, "survey"),  # not catalogued
]

SHOP_ORDERS = [
    ("o1", "c1", "2026-07-06 10:00", 100.0, "checkout"),
    ("o2", "c3", "2026-07-16 08:00", 50.0, "checkout"),
    ("o3", "c6", "2026-07-09 14:00", 30.0, "store"),
    ("o4", "c7", "2026-08-15 16:00", 45.0, "store"),
]

SHOP_REVIEWS = [
    ("v1", "trustpilot", "2026-07-22 10:00", 2, "slow <b>reply</b>", "support"),
    ("v2", "google", "2026-08-02 10:00", 5, "great", None),
    ("v3", "google", "2026-09-01 10:00", 4, "nice shop", "store"),
]


def write_client(root: Path, client: str, catalogue: list[dict], tables: dict[str, pd.DataFrame],
                 manifest: dict | None = None, name: str | None = None) -> None:
    folder = root / "data" / client
    (folder / "processed").mkdir(parents=True, exist_ok=True)
    (folder / "client.yml").write_text(yaml.safe_dump({"name": name or client.title(), "touchpoints": catalogue}))
    for table, df in tables.items():
        df.to_parquet(folder / "processed" / f"{table}.parquet", index=False)
    if manifest is not None:
        (folder / "processed" / "_manifest.json").write_text(json.dumps(manifest))


def events_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["journey_id", "customer_id", "ts", "touchpoint_id", "converted", "revenue"])
    df["ts"] = pd.to_datetime(df["ts"]).astype("datetime64[us]")
    return df


def frame(rows, columns) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    df["ts"] = pd.to_datetime(df["ts"]).astype("datetime64[us]")
    return df


def build_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    write_client(
        root, "shop", SHOP_CATALOGUE,
        {
            "events": events_frame(SHOP_EVENTS),
            "feedback": frame(SHOP_FEEDBACK, ["response_id", "customer_id", "ts", "touchpoint_id", "csat", "nps",
                                              "source"]),
            "orders": frame(SHOP_ORDERS, ["order_id", "customer_id", "ts", "revenue", "touchpoint_id"]),
            "reviews": frame(SHOP_REVIEWS, ["review_id", "source", "ts", "rating", "text", "touchpoint_id"]),
        },
        manifest={"client": "shop",
                  "files": [{"table": "events", "file": "raw/events.csv", "rows_read": 16, "accepted": 14,
                             "rejected": 2},
                            {"table": "feedback", "file": "raw/survey.xlsx", "rows_read": 8, "accepted": 8,
                             "rejected": 0}],
                  "tables": {"events": {"rows": 14, "rejected": 2}, "feedback": {"rows": 8, "rejected": 0}}},
        name="Shop & <Co>",
    )
    write_client(
        root, "solo",
        [{"id": "website", "name": "Website", "kind": "digital", "stage": "consideration"}],
        {"events": events_frame([("a", "u1", "2026-07-03 10:00", "website", False, 0.0),
                                 ("a", "u1", "2026-07-04 10:00", "website", True, 30.0),
                                 ("b", "u2", "2026-08-03 10:00", "website", False, 0.0)])},
    )
    write_client(
        root, "quiet",
        [{"id": "website", "name": "Website", "kind": "digital", "stage": "consideration"},
         {"id": "store", "name": "Store", "kind": "physical", "stage": "decision"}],
        {"events": events_frame([("a", "u1", "2026-02-03 10:00", "website", False, 0.0),
                                 ("a", "u1", "2026-02-04 10:00", "store", True, 30.0)])},
    )
    write_client(root, "empty", [{"id": "website", "name": "Website", "kind": "digital", "stage": "awareness"}], {})
    return root


def row(df: pd.DataFrame, tp: str) -> pd.Series:
    """The one row of ``df`` for touchpoint ``tp``."""
    rows = df[df["touchpoint_id"] == tp]
    assert len(rows) == 1, f"{tp} appears {len(rows)} times"
    return rows.iloc[0]
