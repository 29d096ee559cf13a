"""Step 1, the step: compute and run on a hand-made project, findings, user errors, Spark, the notebook."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from identify_cases import Q3, build_project, events_frame, ts, write_client
from identify_cases import row as row_of

from helpers import artifacts, data, identify
from helpers.errors import ClientNotFoundError, DataError, PeriodError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("identify"))


@pytest.fixture(scope="module")
def shop(project):
    return identify.run("shop", Q3, root=project)


def test_inventory_joins_catalogue_and_data(shop):
    inv = shop.inventory
    assert list(inv["touchpoint_id"]) == ["search_ads", "trade_fair", "website", "store", "checkout", "support"]
    assert list(inv["phase"]) == ["before purchase"] * 3 + ["during purchase"] * 2 + ["after purchase"]
    web = row_of(inv, "website")
    assert (web["sources"], web["volume"], web["customers"]) == ("events, surveys", 5, 3)
    assert web["csat"] == pytest.approx(5.0) and web["status"] == "ok"
    checkout = row_of(inv, "checkout")
    assert checkout["sources"] == "events, surveys, orders"
    assert checkout["volume"] == 8 and checkout["customers"] == 3
    assert checkout["csat"] == pytest.approx(3.0) and checkout["csat_n"] == 2
    assert checkout["first_seen"] == ts("2026-07-06 10:00") and checkout["last_seen"] == ts("2026-08-01 12:05")
    store = row_of(inv, "store")
    assert store["sources"] == "interviews, orders, reviews" and store["missing_sources"] == ""
    assert store["customers"] == 2 and store["owner"] == "Retail"
    search = row_of(inv, "search_ads")
    assert search["status"] == "one source" and search["first_seen"] == ts("2026-06-20 08:00")
    assert row_of(inv, "support")["sources"] == "events, surveys, reviews"


def test_blind_spots_no_data_first_then_single_source(shop):
    spots = shop.blind_spots
    assert list(spots["touchpoint_id"]) == ["trade_fair", "search_ads"]
    fair = row_of(spots, "trade_fair")
    assert fair["status"] == "no data"
    assert fair["issue"] == "no data in the period (last seen 2026-05-01)"
    assert fair["missing_sources"] == "interviews"
    assert row_of(spots, "search_ads")["issue"] == "only one source (events)"


def test_unknowns_list_ids_missing_from_catalogue(shop):
    unk = shop.unknowns
    assert list(unk["touchpoint_id"]) == ["tiktok_ads", "instagram"]
    tik = row_of(unk, "tiktok_ads")
    assert (tik["events"], tik["volume"], tik["customers"]) == (2, 2, 2)
    assert tik["last_seen"] == ts("2026-09-30 23:59")
    assert row_of(unk, "instagram")["sources"] == "surveys"


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
    assert isinstance(out, artifacts.Findings) and out.step == "identify"
    text = " ".join(out.findings)
    assert "Trade fair" in text and "tiktok_ads" in text
    assert out.metrics["blind_spots"] == 1 and out.metrics["unknown_touchpoints"] == 2
    assert out.metrics["unknown_records"] == 3 and out.metrics["single_source"] == 1
    assert (out.metrics["touchpoints"], out.metrics["touchpoints_with_data"]) == (6, 5)
    assert out.metrics["events"] == 12 and out.metrics["journeys_started"] == 5 and out.metrics["purchases"] == 4
    assert out.metrics["first_event"] == "2026-07-02T10:00:00" and out.metrics["last_event"] == "2026-09-30T23:59:00"
    path = artifacts.save(tmp_path, out)
    back = artifacts.load(tmp_path, "identify")
    assert path.exists() and back.findings == out.findings and back.metrics == out.metrics
    assert set(back.tables) == {"inventory", "blind_spots", "unknowns", "coverage", "sources", "touches"}
    assert sorted(p.name for p in tmp_path.glob("identify__*.parquet")) == [
        f"identify__{t}.parquet" for t in ("blind_spots", "coverage", "inventory", "sources", "touches", "unknowns")]
    assert len(back.table("coverage")) == 8


def test_cached_run_reuses_result_until_data_change(project):
    first = identify.run("shop", "2026Q3", root=project)
    assert identify.run("shop", "2026-Q3", root=str(project)) is first
    assert identify.blind_spots("shop", Q3, root=project).equals(first.blind_spots)


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
    assert row_of(res.touches, "website")["first_touches"] == 2


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
    assert out.metrics["blind_spots"] == 2 and "Website" in out.findings[1]


def test_client_with_empty_catalogue_lists_everything_as_unknown(tmp_path):
    root = build_project(tmp_path)
    write_client(root, "bare", [], {"events": events_frame([("a", "u1", "2026-07-03 10:00", "website", False, 0.0)])})
    res = identify.run("bare", Q3, root=root)
    assert res.inventory.empty and res.blind_spots.empty
    assert list(res.unknowns["touchpoint_id"]) == ["website"]
    assert "1 event from 1 customer" in identify.say_overview(res)._repr_html_()
    assert "website (1 record)" in " ".join(identify.findings(res).findings)
    assert identify.journey_cards(identify.journey_map(res.inventory, unknowns=res.unknowns)) == []


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
    assert saved.available and saved.metrics["blind_spots"] >= 1 and saved.metrics["unknown_touchpoints"] >= 1
    assert "trade_fair" in set(saved.table("blind_spots")["touchpoint_id"])
