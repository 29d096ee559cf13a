"""Step 1 (identify): inventory, blind spots, unknowns, coverage, sources, first/last touches, journey map.

Most tests run on a hand-made project (three clients, a dozen events each) whose
expected numbers can be counted by eye from the tables below.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure

from helpers import artifacts, data, display, identify

ROOT = Path(__file__).resolve().parents[1]
from helpers.errors import ClientNotFoundError, DataError, PeriodError

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


def _write_client(root: Path, client: str, catalogue: list[dict], tables: dict[str, pd.DataFrame],
                  manifest: dict | None = None, name: str | None = None) -> None:
    folder = root / "data" / client
    (folder / "processed").mkdir(parents=True, exist_ok=True)
    (folder / "client.yml").write_text(yaml.safe_dump({"name": name or client.title(), "touchpoints": catalogue}))
    for table, df in tables.items():
        df.to_parquet(folder / "processed" / f"{table}.parquet", index=False)
    if manifest is not None:
        (folder / "processed" / "_manifest.json").write_text(json.dumps(manifest))


def _events(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["journey_id", "customer_id", "ts", "touchpoint_id", "converted", "revenue"])
    df["ts"] = pd.to_datetime(df["ts"]).astype("datetime64[us]")
    return df


def _frame(rows, columns) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    df["ts"] = pd.to_datetime(df["ts"]).astype("datetime64[us]")
    return df


def build_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    _write_client(
        root, "shop", SHOP_CATALOGUE,
        {
            "events": _events(SHOP_EVENTS),
            "feedback": _frame(SHOP_FEEDBACK, ["response_id", "customer_id", "ts", "touchpoint_id", "csat", "nps",
                                               "source"]),
            "orders": _frame(SHOP_ORDERS, ["order_id", "customer_id", "ts", "revenue", "touchpoint_id"]),
            "reviews": _frame(SHOP_REVIEWS, ["review_id", "source", "ts", "rating", "text", "touchpoint_id"]),
        },
        manifest={"client": "shop",
                  "files": [{"table": "events", "file": "raw/events.csv", "rows_read": 16, "accepted": 14,
                             "rejected": 2},
                            {"table": "feedback", "file": "raw/survey.xlsx", "rows_read": 8, "accepted": 8,
                             "rejected": 0}],
                  "tables": {"events": {"rows": 14, "rejected": 2}, "feedback": {"rows": 8, "rejected": 0}}},
        name="Shop & <Co>",
    )
    _write_client(
        root, "solo",
        [{"id": "website", "name": "Website", "kind": "digital", "stage": "consideration"}],
        {"events": _events([("a", "u1", "2026-07-03 10:00", "website", False, 0.0),
                            ("a", "u1", "2026-07-04 10:00", "website", True, 30.0),
                            ("b", "u2", "2026-08-03 10:00", "website", False, 0.0)])},
    )
    _write_client(
        root, "quiet",
        [{"id": "website", "name": "Website", "kind": "digital", "stage": "consideration"},
         {"id": "store", "name": "Store", "kind": "physical", "stage": "decision"}],
        {"events": _events([("a", "u1", "2026-02-03 10:00", "website", False, 0.0),
                            ("a", "u1", "2026-02-04 10:00", "store", True, 30.0)])},
    )
    _write_client(root, "empty", [{"id": "website", "name": "Website", "kind": "digital", "stage": "awareness"}], {})
    return root


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("identify"))


@pytest.fixture(scope="module")
def shop(project):
    return identify.run("shop", Q3, root=project)


def _row(df: pd.DataFrame, tp: str) -> pd.Series:
    rows = df[df["touchpoint_id"] == tp]
    assert len(rows) == 1, f"{tp} appears {len(rows)} times"
    return rows.iloc[0]


# ---------------------------------------------------------------------------
# pure functions
# ---------------------------------------------------------------------------

def test_feedback_source_labels_default_to_surveys():
    fb = pd.DataFrame({"source": ["survey", "Interview", None, "observation", "web form"]})
    assert list(identify.feedback_source_labels(fb)) == ["surveys", "interviews", "surveys", "observations",
                                                         "surveys"]
    assert list(identify.feedback_source_labels(pd.DataFrame({"x": [1, 2]}))) == ["surveys", "surveys"]


def test_source_activity_counts_period_and_spans_history():
    df = pd.DataFrame({
        "touchpoint_id": ["a", "a", "a", "b", None, "a"],
        "customer_id": ["x", "x", "y", "z", "x", "w"],
        "ts": pd.to_datetime(["2026-06-01 00:00", "2026-07-02 00:00", "2026-08-01 00:00", "2026-09-30 23:00",
                              "2026-07-05 00:00", "2026-10-01 00:00"]),
    })
    out = identify.source_activity(df, "orders", START, END).set_index("touchpoint_id")
    assert out.loc["a", "records"] == 2  # June is before, 1 October is after the period
    assert out.loc["a", "customers"] == 2
    assert out.loc["a", "first_seen"] == ts("2026-06-01")
    assert out.loc["a", "last_seen"] == ts("2026-08-01")
    assert out.loc["b", "records"] == 1
    assert set(out.index) == {"a", "b"}  # the row without a touchpoint is ignored
    assert (out["source"] == "orders").all()


def test_source_activity_without_customers_or_touchpoints():
    df = pd.DataFrame({"touchpoint_id": ["a"], "ts": pd.to_datetime(["2026-07-02"])})
    out = identify.source_activity(df, "reviews", START, END, customer_col=None)
    assert out.loc[0, "records"] == 1 and out.loc[0, "customers"] == 0
    no_tp = identify.source_activity(pd.DataFrame({"ts": pd.to_datetime(["2026-07-02"])}), "orders", START, END)
    assert no_tp.empty and list(no_tp.columns) == identify.ACTIVITY_COLUMNS


def test_current_csat_means_in_period_only():
    fb = pd.DataFrame({"touchpoint_id": ["a", "a", "a", "b", None],
                       "csat": [5, 3, 1, np.nan, 4],
                       "ts": pd.to_datetime(["2026-07-01", "2026-09-30", "2026-06-30", "2026-07-05", "2026-07-05"])})
    out = identify.current_csat(fb, START, END).set_index("touchpoint_id")
    assert out.loc["a", "csat"] == pytest.approx(4.0)
    assert out.loc["a", "csat_n"] == 2
    assert "b" not in out.index  # no rating


def test_pivot_coverage_fills_zeros_and_keeps_order():
    act = identify.combine_activity([
        pd.DataFrame({"touchpoint_id": ["b", "a"], "source": ["events", "events"], "records": [3, 1],
                      "customers": [2, 1], "first_seen": [ts("2026-07-01")] * 2, "last_seen": [ts("2026-07-02")] * 2}),
        pd.DataFrame({"touchpoint_id": ["a"], "source": ["reviews"], "records": [4], "customers": [0],
                      "first_seen": [ts("2026-07-01")], "last_seen": [ts("2026-07-02")]}),
    ])
    cov = identify.pivot_coverage(act, ["a", "b", "c"])
    assert list(cov["touchpoint_id"]) == ["a", "b", "c"]
    assert list(cov.columns) == ["touchpoint_id", "events", "surveys", "interviews", "orders", "reviews"]
    assert cov.set_index("touchpoint_id").loc["a", ["events", "reviews"]].tolist() == [1, 4]
    assert cov.set_index("touchpoint_id").loc["c"].sum() == 0


def test_touch_table_shares():
    first = pd.DataFrame({"touchpoint_id": ["a", "b"], "first_touches": [3, 1]})
    last = pd.DataFrame({"touchpoint_id": ["b", "x"], "last_touches": [2, 1]})
    out = identify.touch_table(first, last, {"a": "A", "b": "B"}, journeys=4, purchases=4).set_index("touchpoint_id")
    assert out.loc["a", "first_share"] == pytest.approx(0.75)
    assert out.loc["a", "last_touches"] == 0
    assert out.loc["b", "last_share"] == pytest.approx(0.5)
    assert out.loc["x", "name"] == "x (not catalogued)"
    assert list(out.index) == ["a", "b", "x"]


def test_build_source_inventory_without_manifest_leaves_rejects_unknown():
    stats = pd.DataFrame([{"table": "events", "rows": 10, "first": ts("2026-07-01"), "last": ts("2026-08-01"),
                           "rows_in_period": 9, "touchpoints_in_period": 2}])
    out = identify.build_source_inventory(stats, None)
    assert pd.isna(out.loc[0, "rejected"]) and np.isnan(out.loc[0, "share_rejected"])
    man = {"files": [{"table": "events", "file": "raw/a.csv", "rejected": 1},
                     {"table": "events", "file": "raw/b.csv", "rejected": 9}], "tables": {}}
    out = identify.build_source_inventory(stats, man)
    assert out.loc[0, "files"] == "raw/a.csv, raw/b.csv"
    assert out.loc[0, "rejected"] == 10
    assert out.loc[0, "share_rejected"] == pytest.approx(0.5)


def test_card_heights_grow_with_reach():
    h = identify.card_heights(pd.Series([0, 25, 100]))
    assert h.iloc[0] == pytest.approx(1.0) and h.iloc[2] == pytest.approx(1.8)
    assert h.iloc[0] < h.iloc[1] < h.iloc[2]
    assert (identify.card_heights(pd.Series([0, 0])) == 1.0).all()


# ---------------------------------------------------------------------------
# a client with several sources, a blind spot and unknown ids
# ---------------------------------------------------------------------------

def test_inventory_joins_catalogue_and_data(shop):
    inv = shop.inventory
    assert list(inv["touchpoint_id"]) == ["search_ads", "trade_fair", "website", "store", "checkout", "support"]
    assert list(inv["phase"]) == ["before purchase"] * 3 + ["during purchase"] * 2 + ["after purchase"]
    web = _row(inv, "website")
    assert (web["sources"], web["volume"], web["customers"]) == ("events, surveys", 5, 3)
    assert web["csat"] == pytest.approx(5.0) and web["status"] == "ok"
    checkout = _row(inv, "checkout")
    assert checkout["sources"] == "events, surveys, orders"
    assert checkout["volume"] == 8 and checkout["customers"] == 3
    assert checkout["csat"] == pytest.approx(3.0) and checkout["csat_n"] == 2
    assert checkout["first_seen"] == ts("2026-07-06 10:00") and checkout["last_seen"] == ts("2026-08-01 12:05")
    store = _row(inv, "store")
    assert store["sources"] == "interviews, orders, reviews" and store["missing_sources"] == ""
    assert store["customers"] == 2 and store["owner"] == "Retail"
    search = _row(inv, "search_ads")
    assert search["status"] == "one source" and search["first_seen"] == ts("2026-06-20 08:00")
    assert _row(inv, "support")["sources"] == "events, surveys, reviews"


def test_blind_spots_no_data_first_then_single_source(shop):
    spots = shop.blind_spots
    assert list(spots["touchpoint_id"]) == ["trade_fair", "search_ads"]
    fair = _row(spots, "trade_fair")
    assert fair["status"] == "no data"
    assert fair["issue"] == "no data in the period (last seen 2026-05-01)"
    assert fair["missing_sources"] == "interviews"
    assert _row(spots, "search_ads")["issue"] == "only one source (events)"


def test_unknowns_list_ids_missing_from_catalogue(shop):
    unk = shop.unknowns
    assert list(unk["touchpoint_id"]) == ["tiktok_ads", "instagram"]
    tik = _row(unk, "tiktok_ads")
    assert (tik["events"], tik["volume"], tik["customers"]) == (2, 2, 2)
    assert tik["last_seen"] == ts("2026-09-30 23:59")
    assert _row(unk, "instagram")["sources"] == "surveys"


def test_coverage_matrix_rows_and_columns(shop):
    cov = shop.coverage.set_index("touchpoint_id")
    assert list(cov.index) == list(shop.inventory["touchpoint_id"]) + ["tiktok_ads", "instagram"]
    assert cov.loc["tiktok_ads", "name"] == "tiktok_ads (not catalogued)"
    assert cov.loc["store", ["surveys", "interviews", "orders", "reviews"]].tolist() == [0, 1, 2, 1]
    assert cov.loc["trade_fair", ["events", "surveys", "interviews", "orders", "reviews"]].sum() == 0
    # every record in the period is counted once: 12 events, 7 feedback rows with a touchpoint, 4 orders, 2 reviews
    assert cov[["events", "surveys", "interviews", "orders", "reviews"]].to_numpy().sum() == 12 + 6 + 4 + 2


def test_first_and_last_touches(shop):
    t = shop.touches.set_index("touchpoint_id")
    assert shop.totals["journeys_started"] == 5  # j3 began in June
    assert shop.totals["purchases"] == 4  # j5 bought after the period
    assert t.loc["tiktok_ads", "first_touches"] == 2
    assert t.loc["tiktok_ads", "first_share"] == pytest.approx(0.4)
    assert (t.loc["search_ads", "first_touches"], t.loc["checkout", "first_touches"]) == (1, 1)
    assert t.loc["website", "last_touches"] == 3  # j1, j3, j4; j6 had no earlier touch
    assert t.loc["website", "last_share"] == pytest.approx(0.75)
    assert t["last_touches"].sum() == 3
    assert shop.touches.iloc[0]["touchpoint_id"] == "tiktok_ads"


def test_source_inventory_from_data_and_manifest(shop):
    src = shop.sources.set_index("table")
    assert list(src.index) == ["events", "feedback", "orders", "reviews"]
    ev = src.loc["events"]
    assert (ev["rows"], ev["rows_in_period"], ev["touchpoints_in_period"], ev["rejected"]) == (14, 12, 5, 2)
    assert ev["share_rejected"] == pytest.approx(2 / 16)
    assert ev["first"] == ts("2026-06-20 08:00") and ev["last"] == ts("2026-10-02 10:00")
    assert ev["files"] == "raw/events.csv"
    assert src.loc["feedback", "rejected"] == 0
    assert src.loc["reviews", "rows_in_period"] == 3
    assert shop.totals["events"] == 12 and shop.totals["customers"] == 5


def test_period_totals_and_month_period(project):
    aug = identify.compute("shop", "2026-08", root=project)
    assert aug.totals["events"] == 2
    assert aug.period == "2026-08"
    assert list(aug.unknowns["touchpoint_id"]) == []  # tiktok_ads was seen in July and September only


def test_findings_for_artifacts(shop, tmp_path):
    out = identify.findings(shop)
    text = " ".join(out["findings"])
    assert "Trade fair" in text and "tiktok_ads" in text
    assert out["metrics"]["blind_spots"] == 1 and out["metrics"]["unknown_touchpoints"] == 2
    assert out["metrics"]["unknown_records"] == 3
    path = artifacts.save(tmp_path, "identify", **out)
    back = artifacts.load(tmp_path, "identify")
    assert path.exists() and back["findings"] == out["findings"]
    assert set(back["tables"]) == {"inventory", "blind_spots", "unknowns", "coverage", "sources", "touches"}
    assert len(back["tables"]["coverage"]) == 8


def test_sentences_escape_data(shop):
    html = identify.say_overview(shop)._repr_html_()
    assert "Shop &amp; &lt;Co&gt;" in html and "<Co>" not in html
    assert "12 events" in html
    assert "Trade fair" in identify.say_blind_spots(shop)._repr_html_()
    assert "tiktok_ads" in identify.say_unknowns(shop)._repr_html_()
    touches = identify.say_touches(shop)._repr_html_()
    assert "tiktok_ads (not catalogued)" in touches and "Website" in touches
    assert "12.5%" in identify.say_sources(shop)._repr_html_()


def test_show_tables_are_escaped_with_readable_headers(shop):
    html = identify.show(shop, "inventory", caption="Inventory")._repr_html_()
    assert "Store &lt;Main St&gt;" in html and "<Main St>" not in html
    assert "Sources with data" in html and "catalogued_sources" not in html
    assert "2026-05-01" in identify.show(shop, "blind_spots")._repr_html_()
    assert "12.5%" in identify.show(shop, "sources")._repr_html_()
    with pytest.raises(DataError, match="use one of"):
        identify.show(shop, "nonsense")


def test_journey_map_cards_and_titles(shop):
    fig = identify.journey_map(shop.inventory, unknowns=shop.unknowns, title=shop.title)
    assert isinstance(fig, Figure)
    assert identify.journey_cards(fig) == list(shop.inventory["touchpoint_id"])
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Customer journey map: Shop & <Co>, 2026Q3"
    texts = [t.get_text() for t in ax.texts]
    for label in ("Awareness", "Consideration", "Decision", "Retention", "BEFORE PURCHASE", "DURING PURCHASE",
                  "AFTER PURCHASE"):
        assert label in texts
    assert texts.count("BEFORE PURCHASE") == 1  # one phase label spans awareness and consideration
    assert any("CSAT 3.00 (n=2)" in t for t in texts)
    assert any("no data in period" in t for t in texts)
    assert any("tiktok_ads (2 records)" in t for t in texts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["physical", "digital", "no data in period"]
    cards = {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("card:")}
    assert cards["card:store"].get_facecolor() != cards["card:website"].get_facecolor()  # kinds differ
    assert cards["card:checkout"].get_height() > cards["card:search_ads"].get_height()  # reach 3 vs 1
    assert cards["card:trade_fair"].get_linestyle() == "--"


def test_cached_run_reuses_result_until_data_change(project):
    first = identify.run("shop", "2026Q3", root=project)
    assert identify.run("shop", "2026-Q3", root=str(project)) is first
    assert identify.blind_spots("shop", Q3, root=project).equals(first.blind_spots)


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------

def test_client_with_one_touchpoint(project):
    res = identify.run("solo", Q3, root=project)
    assert len(res.inventory) == 1
    row = res.inventory.iloc[0]
    assert (row["volume"], row["customers"], row["status"]) == (3, 2, "one source")
    assert np.isnan(row["csat"])
    assert list(res.sources["table"]) == ["events"]
    assert pd.isna(res.sources.loc[0, "rejected"])  # no manifest
    fig = identify.journey_map(res.inventory, unknowns=res.unknowns, title=res.title)
    assert identify.journey_cards(fig) == ["website"]
    assert any("CSAT: no ratings" in t.get_text() for t in fig.axes[0].texts)
    assert _row(res.touches, "website")["first_touches"] == 2


def test_client_with_no_events_in_period(project):
    res = identify.run("quiet", Q3, root=project)
    assert (res.inventory["status"] == "no data").all()
    assert list(res.blind_spots["touchpoint_id"]) == ["website", "store"]
    assert res.totals["events"] == 0 and res.totals["first_event"] is None
    assert res.touches.empty and res.unknowns.empty
    assert "no events in 2026Q3" in identify.say_overview(res)._repr_html_()
    assert "No journeys" in identify.say_touches(res)._repr_html_()
    fig = identify.journey_map(res.inventory, unknowns=res.unknowns, title=res.title)
    assert len(identify.journey_cards(fig)) == 2
    out = identify.findings(res)
    assert out["metrics"]["blind_spots"] == 2 and "Website" in out["findings"][1]


def test_user_errors_say_what_to_fix(project):
    with pytest.raises(ClientNotFoundError, match="known clients"):
        identify.run("nobody", Q3, root=project)
    with pytest.raises(PeriodError, match="2026Q3"):
        identify.run("shop", "Q3 2026", root=project)
    with pytest.raises(DataError, match="tpkit ingest empty"):
        identify.run("empty", Q3, root=project)


def test_broken_manifest_is_a_data_error(tmp_path):
    root = build_project(tmp_path)
    (root / "data" / "solo" / "processed" / "_manifest.json").write_text("{not json")
    with pytest.raises(DataError, match="ingest solo"):
        identify.read_manifest("solo", root)


@pytest.mark.spark
def test_same_answer_on_spark(project):
    pytest.importorskip("pyspark")
    duck = identify.compute("shop", Q3, root=project)
    spark = identify.compute("shop", Q3, root=project, con=data.connect(engine="pyspark"))
    pd.testing.assert_frame_equal(duck.inventory, spark.inventory)
    pd.testing.assert_frame_equal(duck.touches, spark.touches)
    pd.testing.assert_frame_equal(duck.unknowns, spark.unknowns)
    assert duck.totals == spark.totals


def test_journey_map_draws_names_literally():
    cat = pd.DataFrame([{"touchpoint_id": "price", "name": "Fix $5$ 50% {x}", "kind": "physical",
                         "stage": "decision", "phase": "during purchase", "owner": "x", "sources": "events"}])
    act = identify.combine_activity([pd.DataFrame({
        "touchpoint_id": ["price"], "source": ["events"], "records": [1], "customers": [1],
        "first_seen": [ts("2026-07-01")], "last_seen": [ts("2026-07-01")]})])
    fig = identify.journey_map(identify.build_inventory(cat, act), title="Map of $A$ & B")
    fig.canvas.draw()  # mathtext would fail or change the text here
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("Fix $5$ 50% {x}" in t for t in texts)
    assert "1 customer\n" in next(t for t in texts if "customer" in t)


def test_empty_tables_show_a_note(project):
    res = identify.run("solo", Q3, root=project)
    html = identify.show(res, "unknowns", empty="All catalogued.")._repr_html_()
    assert "All catalogued." in html and "<table" not in html


def test_figures_show_as_png_in_ipython():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert display.enable_figures() is True
        fig = identify.journey_map(pd.DataFrame(columns=["touchpoint_id", "name", "kind", "stage", "status",
                                                         "customers", "volume", "csat", "csat_n"]), title="Empty")
        data, _ = shell.display_formatter.format(fig)
    finally:
        InteractiveShell.clear_instance()
    assert data["image/png"]  # base64 PNG, not only "<Figure size ...>"
    assert identify.journey_cards(fig) == []


# ---------------------------------------------------------------------------
# the notebook on the demo data
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_shows_planted_blind_spot_and_unknown(demo_root, tmp_path):
    import papermill as pm

    out, arts = tmp_path / "01-identify.ipynb", tmp_path / "artifacts"
    pm.execute_notebook(str(ROOT / "notebooks" / "01-identify.ipynb"), str(out), kernel_name="tpkit",
                        parameters={"client": "nordlys", "period": Q3, "root": str(demo_root),
                                    "artifacts_dir": str(arts)},
                        cwd=str(ROOT), progress_bar=False, execution_timeout=300)
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    html = " ".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "trade_fair" in html and "tiktok_ads" in html
    assert "Blind spots in 2026Q3" in html
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 1  # the journey map, shown once
    assert not [o for o in outputs if o.get("output_type") == "error"]
    saved = artifacts.load(arts, "identify")
    assert saved["metrics"]["blind_spots"] >= 1 and saved["metrics"]["unknown_touchpoints"] >= 1
    assert "trade_fair" in set(saved["tables"]["blind_spots"]["touchpoint_id"])


def test_cost_table_stats_counts_the_period_or_its_quarter():
    from helpers.periods import Period

    costs = pd.DataFrame({"touchpoint_id": ["a", "b", "a"], "period": ["2026Q3", "2026Q3", "2026Q2"],
                          "cost": [1.0, 2.0, 3.0]})
    q3 = identify.cost_table_stats(costs, Period.parse("2026Q3"))
    assert (q3["rows"], q3["rows_in_period"], q3["touchpoints_in_period"]) == (3, 2, 2)
    aug = identify.cost_table_stats(costs, Period.parse("2026-08"))
    assert aug["rows_in_period"] == 2
    assert identify.cost_table_stats(costs, Period.parse("2025Q1"))["touchpoints_in_period"] == 0


def test_client_with_empty_catalogue_lists_everything_as_unknown(tmp_path):
    root = build_project(tmp_path)
    _write_client(root, "bare", [], {"events": _events([("a", "u1", "2026-07-03 10:00", "website", False, 0.0)])})
    res = identify.run("bare", Q3, root=root)
    assert res.inventory.empty and res.blind_spots.empty
    assert list(res.unknowns["touchpoint_id"]) == ["website"]
    assert "1 event from 1 customer" in identify.say_overview(res)._repr_html_()
    assert "website (1 record)" in " ".join(identify.findings(res)["findings"])
    assert identify.journey_cards(identify.journey_map(res.inventory, unknowns=res.unknowns)) == []
