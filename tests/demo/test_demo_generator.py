"""helpers.demo: deterministic demo data whose planted structure is really in the files."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.config import load_client
from helpers.demo import generator
from helpers.schema import columns_for

SMALL = 60_000


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    assert generator.write_demo(root, events=SMALL) == ["nordlys", "fjordtech"]
    return root


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "data").rglob("*")) if p.is_file()}


def _read(root: Path, client: str, table: str) -> pd.DataFrame:
    return pd.read_csv(root / "data" / client / "raw" / f"{table}.csv", dtype=str, keep_default_na=False)


def _clean_events(root: Path, client: str = "nordlys") -> pd.DataFrame:
    ev = _read(root, client, "events")
    ts = pd.to_datetime(ev["ts"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    rev = pd.to_numeric(ev["revenue"], errors="coerce")
    ok = ts.notna() & ev["customer_id"].ne("") & ev["touchpoint_id"].ne("") & ~(rev < 0) & \
        (ev["revenue"].eq("") | rev.notna())
    ev = ev[ok].assign(ts=ts[ok], revenue=rev[ok], converted=ev.loc[ok, "converted"].eq("true"))
    return ev


def test_same_seed_gives_byte_identical_files(small, tmp_path):
    again = tmp_path / "again"
    generator.write_demo(again, events=SMALL)
    assert _files(small) == _files(again)
    assert len(_files(small)) == 12  # 2 x (client.yml + 5 raw files)


def test_another_seed_gives_other_data(small, tmp_path):
    generator.write_demo(tmp_path, events=SMALL, seed=7, clients=("fjordtech",))
    a = (small / "data/fjordtech/raw/events.csv").read_bytes()
    b = (tmp_path / "data/fjordtech/raw/events.csv").read_bytes()
    assert a != b


def test_sizes_scale_with_events(tmp_path):
    counts = {}
    for n in (20_000, 80_000):
        root = tmp_path / str(n)
        generator.write_demo(root, events=n, clients=("nordlys",))
        ev = _read(root, "nordlys", "events")
        counts[n] = (len(ev), ev["customer_id"].nunique())
        assert abs(len(ev) - n) / n < 0.15
    assert counts[80_000][0] > 3 * counts[20_000][0]
    assert counts[80_000][1] > 3 * counts[20_000][1]
    # about 20 events per customer
    assert 10 < counts[80_000][0] / counts[80_000][1] < 30


def test_client_yml_loads_and_matches_ground_truth(small):
    for client in ("nordlys", "fjordtech"):
        cfg = load_client(client, small)
        gt = generator.GROUND_TRUTH[client]
        assert tuple(cfg.touchpoint_ids) == gt.catalogue
        assert {c.id for c in cfg.changes} == set(gt.changes)
        assert {s.table for s in cfg.sources} == set(generator.RAW_FILES)
        assert all(s.adapter == "canonical" and (cfg.dir / s.file).is_file() for s in cfg.sources)
    nl = load_client("nordlys", small)
    assert nl.timezone == "Europe/Copenhagen" and nl.currency == "DKK" and nl.first_period == "2025Q2"
    assert len(nl.touchpoints) == 17
    changes = {c.id: c for c in nl.changes}
    assert changes["CH-service"].control.touchpoints == ("chat",)
    assert changes["CH-app-onboarding"].ab_column == "variant"
    ft = load_client("fjordtech", small)
    assert ft.timezone == "Europe/Oslo" and ft.currency == "NOK"
    assert sum(t.kind == "physical" for t in ft.touchpoints) <= 1


def test_raw_columns_are_canonical_names(small):
    for client in ("nordlys", "fjordtech"):
        for table in generator.RAW_FILES:
            with open(small / "data" / client / "raw" / f"{table}.csv", encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh))
            assert header == generator.COLUMNS[table]
            assert set(header) <= set(columns_for(table)), (client, table)


def test_timestamps_are_local_text_and_ids_raw(small):
    ev = _read(small, "nordlys", "events")
    good = ev["ts"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
    assert good.sum() >= len(ev) - generator.GROUND_TRUTH["nordlys"].bad_rows["events"]
    assert ev.loc[good, "ts"].min() >= "2025-04-01" and ev.loc[good, "ts"].max() <= "2026-09-30 23:59:59"
    assert ev["customer_id"].str.match(r"NL-\d{7}$").sum() == len(ev) - 3
    fb = _read(small, "nordlys", "feedback")
    text = " ".join(fb["comment"]) + " ".join(_read(small, "nordlys", "reviews")["text"])
    assert "@example.dk" in text and "+45" in text


def test_bad_rows_as_planted(small):
    for client in ("nordlys", "fjordtech"):
        gt = generator.GROUND_TRUTH[client]
        assert gt.bad_rows["events"] >= 5 and gt.bad_rows["costs"] == 0
        fb = _read(small, client, "feedback")
        assert fb["response_id"].duplicated().sum() == 2
        assert (fb["csat"].isin(["7", "0"])).sum() == 2
        assert (fb["nps"] == "11").sum() == 2
        rv = _read(small, client, "reviews")
        assert rv["rating"].isin(["five", "great"]).sum() == 2
        od = _read(small, client, "orders")
        assert od["revenue"].str.startswith("-").sum() == 2
        ev = _read(small, client, "events")
        assert (ev["customer_id"] == "").sum() == 3
        assert (ev["ts"] == "not a date").sum() == 1


def test_ingest_rejects_exactly_the_planted_rows(small):
    from helpers import ingest

    for client in ("nordlys", "fjordtech"):
        result = ingest.ingest_client(client, root=small, dry_run=True)
        rejected = {t: v["rejected"] for t, v in result.tables.items()}
        assert rejected == dict(generator.GROUND_TRUTH[client].bad_rows), client


def test_blind_spot_absent_unknown_present(small):
    gt = generator.GROUND_TRUTH["nordlys"]
    assert gt.blind_spots == ("trade_fair",) and gt.unknown_touchpoints == ("tiktok_ads",)
    ev = _read(small, "nordlys", "events")
    fb = _read(small, "nordlys", "feedback")
    assert "trade_fair" not in set(ev["touchpoint_id"]) | set(fb["touchpoint_id"])
    first = ev.drop_duplicates("journey_id")["touchpoint_id"]
    assert 0.02 < (first == "tiktok_ads").mean() < 0.07
    assert "tiktok_ads" not in load_client("nordlys", small).touchpoint_ids


def _transitions(ev: pd.DataFrame) -> pd.DataFrame:
    """Empirical from -> to frequencies of the pre-purchase chain (retention touches dropped)."""
    pre = ev[~ev["touchpoint_id"].isin(["packaging", "invoice_mail", "feedback_survey", "service_centre",
                                        "upsell_mail"])]
    pre = pre.sort_values(["journey_id", "ts"], kind="stable")
    nxt = pre.groupby("journey_id")["touchpoint_id"].shift(-1)
    to = nxt.where(nxt.notna(), np.where(pre["converted"], "conversion", "null"))
    first = pre.groupby("journey_id").head(1)
    frm = pd.concat([pd.Series("start", index=first.index), pre["touchpoint_id"]])
    dst = pd.concat([first["touchpoint_id"], pd.Series(to, index=pre.index)])
    return pd.crosstab(frm.to_numpy(), dst.to_numpy())


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> Path:
    """nordlys at 300,000 events: enough volume to check planted effects (about 2 seconds)."""
    root = tmp_path_factory.mktemp("synth_medium")
    generator.write_demo(root, events=300_000, clients=("nordlys",))
    return root


@pytest.fixture(scope="module")
def medium_events(medium) -> pd.DataFrame:
    return _clean_events(medium)


@pytest.fixture(scope="module")
def medium_feedback(medium) -> pd.DataFrame:
    fb = _read(medium, "nordlys", "feedback").drop_duplicates("response_id")
    fb["ts"] = pd.to_datetime(fb["ts"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
    fb["csat"] = pd.to_numeric(fb["csat"], errors="coerce")
    fb["nps"] = pd.to_numeric(fb["nps"], errors="coerce")
    return fb[fb["ts"].notna() & fb["csat"].between(1, 5) & ~(fb["nps"] > 10)]


def test_empirical_transitions_match_planted_matrix(medium_events):
    ev = medium_events
    ev = ev[ev.groupby("journey_id")["ts"].transform("min") < "2026-07-01"]  # before the conversion changes
    gt = generator.GROUND_TRUTH["nordlys"]
    for segment, planted in gt.segment_transitions.items():
        counts = _transitions(ev[ev["segment"] == segment])
        counts = counts.reindex(index=planted.index, columns=planted.columns, fill_value=0)
        freq = counts.div(counts.sum(axis=1), axis=0)
        n = counts.sum(axis=1)
        # 4 binomial standard errors plus 0.01
        tol = 4 * np.sqrt(planted * (1 - planted)).div(np.sqrt(n), axis=0) + 0.01
        assert ((freq - planted).abs() <= tol).all().all(), (segment, (freq - planted).abs().max().max())
        # zero in the plan = never observed
        assert (counts[planted == 0] .fillna(0) == 0).all().all()


def test_pooled_chain_and_removal_effects(medium_events):
    """A first-order chain fitted to all pre-change journeys converges to the pooled matrix of the truth."""
    ev = medium_events
    ev = ev[ev.groupby("journey_id")["ts"].transform("min") < "2026-07-01"]
    gt = generator.GROUND_TRUTH["nordlys"]
    planted = gt.pooled_transitions
    counts = _transitions(ev).reindex(index=planted.index, columns=planted.columns, fill_value=0)
    freq = counts.div(counts.sum(axis=1), axis=0)
    tol = 4 * np.sqrt(planted * (1 - planted)).div(np.sqrt(counts.sum(axis=1)), axis=0) + 0.01
    assert ((freq - planted).abs() <= tol).all().all()
    empirical = generator.removal_effects(freq)
    for tp, effect in gt.removal_effects.items():
        assert empirical[tp] == pytest.approx(effect, abs=0.03), tp
    ranked = sorted(gt.removal_effects, key=gt.removal_effects.get, reverse=True)
    assert ranked[:2] == ["web_checkout", "website"]


def test_touchpoint_csat_means_as_planted(medium_feedback):
    gt = generator.GROUND_TRUTH["nordlys"]
    fb = medium_feedback
    tr = fb[(fb["survey_id"] == "") & (fb["source"] == "survey") & (fb["segment"] == "guest")]
    tr = tr[tr["ts"] < "2026-05-01"]  # before any CSAT change
    means = tr.groupby("touchpoint_id")["csat"].agg(["mean", "size", "std"])
    for tp, planted in gt.touchpoint_csat.items():
        m = means.loc[tp]
        assert abs(m["mean"] - planted) < 4 * m["std"] / np.sqrt(m["size"]) + 0.03, (tp, m["mean"], planted)
    club = fb[(fb["survey_id"] == "") & (fb["segment"] == "club")].groupby("touchpoint_id")["csat"].mean()
    guest = fb[(fb["survey_id"] == "") & (fb["segment"] == "guest")].groupby("touchpoint_id")["csat"].mean()
    assert (club - guest).dropna().median() > 0.15


def test_key_driver_order_recovered(medium_feedback):
    """Overall NPS regressed on touchpoint CSATs (mean-imputed) ranks the planted drivers first, in order."""
    rel = medium_feedback[medium_feedback["survey_id"] != ""]
    overall = rel[rel["touchpoint_id"] == ""].drop_duplicates("survey_id").set_index("survey_id")["nps"]
    wide = rel[rel["touchpoint_id"] != ""].pivot_table(index="survey_id", columns="touchpoint_id", values="csat")
    wide = wide.reindex(overall.index)
    x = wide.sub(wide.mean()).fillna(0.0)
    x["const"] = 1.0
    beta = pd.Series(np.linalg.lstsq(x.to_numpy(), overall.to_numpy(), rcond=None)[0], index=x.columns)
    ranked = beta.drop("const").sort_values(ascending=False).index.tolist()
    gt = generator.GROUND_TRUTH["nordlys"]
    assert ranked[:4] == gt.driver_order[:4]
    assert set(ranked[:6]) == set(gt.driver_order[:6])
    assert rel["survey_id"].str.match(r"S\d{4}Q\d-\d{5}$").all()
    assert overall.notna().all()


def _journeys(ev: pd.DataFrame) -> pd.DataFrame:
    return ev.groupby("journey_id").agg(segment=("segment", "first"), conv=("converted", "any"),
                                        start=("ts", "min"), variant=("variant", "first"))


def test_changes_have_their_planted_effects(medium_events, medium_feedback):
    gt = generator.GROUND_TRUTH["nordlys"].changes
    ev = medium_events
    j = _journeys(ev)
    # CH-checkout: conversion of journeys reaching web_checkout, +5 points from 2026-08-01
    reach = j[j.index.isin(set(ev.loc[ev["touchpoint_id"] == "web_checkout", "journey_id"]))]
    pre = reach[(reach["start"] >= "2026-05-01") & (reach["start"] < "2026-08-01")]["conv"].mean()
    post = reach[reach["start"] >= "2026-08-01"]["conv"].mean()
    assert post - pre == pytest.approx(gt["CH-checkout"].effects["conversion"], abs=0.03)
    # CH-app-onboarding: randomised, B converts +3 points
    ab = j[j["variant"].isin(["A", "B"])]
    assert ab["start"].min() >= pd.Timestamp("2026-07-01")
    share_b = (ab["variant"] == "B").mean()
    assert 0.45 < share_b < 0.55
    rates = ab.groupby("variant")["conv"].mean()
    assert rates["B"] - rates["A"] == pytest.approx(gt["CH-app-onboarding"].effects["conversion"], abs=0.03)
    assert (j.loc[j["start"] < "2026-07-01", "variant"] == "").all()
    # CSAT changes: before/after means (4 months before) and the difference-in-differences for CH-service
    fb = medium_feedback
    tr = fb[(fb["survey_id"] == "") & (fb["source"] == "survey")]

    def jump(tp, start):
        s = tr[tr["touchpoint_id"] == tp]
        before = s[(s["ts"] < start) & (s["ts"] >= pd.Timestamp(start) - pd.Timedelta(days=120))]["csat"]
        after = s[s["ts"] >= start]["csat"]
        se = np.sqrt(before.var() / len(before) + after.var() / len(after))
        return after.mean() - before.mean(), se

    # tolerance: 4 standard errors plus 0.1 for the common monthly shocks
    diff, se = jump("web_checkout", "2026-08-01")
    assert abs(diff - gt["CH-checkout"].effects["csat"]) < 4 * se + 0.1
    diff, se = jump("newsletter", "2026-07-15")
    assert gt["CH-newsletter"].null and abs(diff) < 4 * se + 0.1
    (d1, se1), (d0, se0) = jump("service_centre", "2026-05-01"), jump("chat", "2026-05-01")
    assert abs((d1 - d0) - gt["CH-service"].effects["csat"]) < 4 * np.hypot(se1, se0)
    assert d1 - d0 > 0.15


def test_orders_match_converting_events_and_repeat(medium, medium_events):
    od = _read(medium, "nordlys", "orders")
    od = od[od["customer_id"].ne("") & ~od["order_id"].duplicated()]
    conv = medium_events[medium_events["converted"]]
    assert len(od) > len(conv)  # purchases outside tracked journeys too
    per_customer = od.groupby("customer_id").size()
    assert (per_customer >= 2).mean() > 0.5 and per_customer.max() > 10
    rev = pd.to_numeric(od["revenue"], errors="coerce")
    by_seg = rev.groupby(od["segment"]).mean()
    assert by_seg["club"] > 1.2 * by_seg["guest"]
    assert set(od["touchpoint_id"]) == {"web_checkout", "store_checkout"}


def test_reviews_text_matches_rating(small):
    rv = _read(small, "nordlys", "reviews")
    rv = rv[rv["rating"].isin(list("12345"))]
    assert set(rv["language"]) == {"da", "en"}
    assert set(rv["source"]) == {"trustpilot", "google"}
    pos = rv["text"].str.contains("Hurtig levering|Fast delivery|Super god|Great service|Very happy|Meget tilfreds|"
                                  "Flot butik|Lovely packaging")
    neg = rv["text"].str.contains("ventetid|Dårlig|Rude staff|Waited too long|Poor service|damaged|i stykker|Uvenligt")
    rating = rv["rating"].astype(int)
    assert (rating[pos] >= 4).all() and (rating[neg] <= 2).all()
    assert pos.sum() > 10 and neg.sum() > 5


def test_fjordtech_shape(small):
    gt = generator.GROUND_TRUTH["fjordtech"]
    ev = _read(small, "fjordtech", "events")
    assert set(ev["touchpoint_id"]) - {""} <= set(gt.catalogue)
    assert set(ev["segment"]) == {"enterprise", "smb"}
    assert ev.loc[ev["ts"].str.match(r"\d{4}-"), "ts"].min() >= "2025-07-01"
    assert generator.client_events(generator.FJORDTECH, None) == 65_000
    assert generator.client_events(generator.FJORDTECH, 60_000) == 15_000
    assert generator.client_events(generator.FJORDTECH, 10_000_000) == 70_000
    assert gt.changes["CH-portal-search"].design == "its" and gt.changes["CH-trial-30"].null


def test_segment_conversion_difference(small):
    ev = _clean_events(small)
    ev = ev[ev.groupby("journey_id")["ts"].transform("min") < "2026-07-01"]
    conv = ev.groupby("journey_id").agg(seg=("segment", "first"), conv=("converted", "any"))
    rates = conv.groupby("seg")["conv"].mean()
    gt = generator.GROUND_TRUTH["nordlys"]
    assert rates["club"] / rates["guest"] > 1.6
    for seg in ("club", "guest"):
        assert rates[seg] == pytest.approx(gt.segment_conversion[seg], abs=0.03)


def test_ground_truth_structure():
    gt = generator.ground_truth("nordlys")
    assert gt.drop_off_touchpoint == "faq"
    m = gt.transitions
    assert m.loc["faq", "null"] == m.drop(index=["start", "web_checkout", "store_checkout"])["null"].max()
    assert np.allclose(m.sum(axis=1), 1.0)
    assert m.loc[m.index != "start", "conversion"].gt(0).index[m.loc[m.index != "start", "conversion"].gt(0)] \
        .tolist() == ["web_checkout", "store_checkout"]
    assert gt.driver_order[:6] == ["web_checkout", "service_centre", "website", "store", "app", "chat"]
    ch = gt.changes
    assert ch["CH-newsletter"].null and ch["CH-newsletter"].effects == {}
    assert ch["CH-service"].design == "did" and ch["CH-service"].effects["csat"] > 0.3
    assert ch["CH-app-onboarding"].design == "ab" and ch["CH-app-onboarding"].effects["conversion"] == 0.03
    assert ch["CH-checkout"].effects["conversion"] == 0.05
    assert gt.touchpoint_csat["service_centre"] < gt.touchpoint_csat["web_checkout"] < gt.touchpoint_csat["store"]
    assert gt.periods == ("2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")
    ft = generator.ground_truth("fjordtech")
    assert "2026Q3" in ft.periods and "2026Q2" in ft.periods
    assert set(ft.segments) == {"enterprise", "smb"}


def test_unknown_demo_client_is_a_kit_error(tmp_path):
    from helpers.errors import KitError

    with pytest.raises(KitError, match="not a demo client"):
        generator.write_demo(tmp_path, events=SMALL, clients=("acme",))


def test_docs_describe_the_planted_truth():
    text = (Path(__file__).resolve().parents[2] / "docs" / "demo-data.md").read_text(encoding="utf-8")
    for client, gt in generator.GROUND_TRUTH.items():
        assert client in text
        for change_id in gt.changes:
            assert change_id in text
        for file, n in gt.bad_rows.items():
            assert f"{file}.csv ({n})" in text
        assert gt.drop_off_touchpoint in text
        for tp in gt.driver_order[:4]:
            assert tp in text
    assert "trade_fair" in text and "tiktok_ads" in text
