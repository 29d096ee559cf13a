"""Step 2 helpers: KPI tables, changes, journeys, feedback, customer value, figures, notebook.

Small hand-made projects whose answers are worked out by hand (or with an independent
implementation in plain pandas / statsmodels) in the test itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.figure import Figure
from statsmodels.stats.proportion import proportion_confint

from helpers import analyse, data
from helpers.periods import Period

CATALOGUE = [
    ("ads", "Ads", "awareness", "digital"),
    ("web", "Website", "consideration", "digital"),
    ("faq", "FAQ", "consideration", "digital"),
    ("store", "Store", "decision", "physical"),
    ("checkout", "Checkout", "decision", "digital"),
    ("survey", "Survey mail", "retention", "digital"),
]


def _write_project(root, events: pd.DataFrame, feedback=None, orders=None, reviews=None, client="acme"):
    folder = root / "data" / client
    (folder / "processed").mkdir(parents=True, exist_ok=True)
    (folder / "client.yml").write_text(yaml.safe_dump({
        "name": "Acme & Co", "language": "da", "currency": "DKK",
        "touchpoints": [{"id": t, "name": n, "stage": s, "kind": k} for t, n, s, k in CATALOGUE],
    }))
    ev = events.copy()
    ev["ts"] = pd.to_datetime(ev["ts"]).astype("datetime64[us]")
    ev.to_parquet(folder / "processed" / "events.parquet", index=False)
    for name, df in (("feedback", feedback), ("orders", orders), ("reviews", reviews)):
        if df is not None:
            df = df.copy()
            df["ts"] = pd.to_datetime(df["ts"]).astype("datetime64[us]")
            df.to_parquet(folder / "processed" / f"{name}.parquet", index=False)
    return root


def _ev(rows):
    return pd.DataFrame(rows, columns=["journey_id", "customer_id", "ts", "touchpoint_id", "converted", "revenue",
                                       "segment"])


# Five journeys in 2026Q3 (worked out by hand below), one in 2026Q2 and one in 2025Q3.
HAND = _ev([
    ("j1", "c1", "2026-07-01 10:00", "ads", False, 0.0, "club"),
    ("j1", "c1", "2026-07-01 11:00", "web", False, 0.0, "club"),
    ("j1", "c1", "2026-07-01 12:00", "web", False, 0.0, "club"),
    ("j1", "c1", "2026-07-02 10:00", "checkout", True, 100.0, "club"),
    ("j1", "c1", "2026-07-05 10:00", "survey", False, 0.0, "club"),
    ("j2", "c2", "2026-07-03 09:00", "ads", False, 0.0, "guest"),
    ("j2", "c2", "2026-07-03 09:30", "web", False, 0.0, "guest"),
    ("j2", "c2", "2026-07-03 09:40", "faq", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-01 08:00", "web", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-01 08:10", "faq", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-01 08:20", "web", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-03 08:00", "checkout", True, 50.0, "guest"),
    ("j4", "c1", "2026-09-10 12:00", "web", False, 0.0, "club"),
    ("j5", "c4", "2026-09-30 23:59", "faq", False, 0.0, "guest"),
    ("j6", "c5", "2026-06-30 23:59", "web", False, 0.0, "guest"),  # previous quarter
    ("j7", "c6", "2025-08-01 10:00", "web", True, 10.0, "guest"),  # same quarter last year
])


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    root = _write_project(tmp_path_factory.mktemp("hand"), HAND)
    return root, analyse.compute("acme", "2026Q3", root=root)


def wilson(x, n):
    return proportion_confint(x, n, alpha=0.05, method="wilson")


# ---------------------------------------------------------------------------
# KPI tables on the hand-made journeys
# ---------------------------------------------------------------------------

def test_kpis_by_touchpoint_match_the_hand_count(hand):
    _, r = hand
    k = r.kpis["touchpoint"].set_index("touchpoint_id")
    # journeys touching: ads j1 j2; web j1-j4; faq j2 j3 j5; checkout j1 j3; survey j1; store none
    assert k["journeys"].to_dict() == {"ads": 2, "web": 4, "faq": 3, "store": 0, "checkout": 2, "survey": 1}
    assert k["converted_journeys"].to_dict() == {"ads": 1, "web": 2, "faq": 1, "store": 0, "checkout": 2,
                                                 "survey": 1}
    assert k["events"].to_dict() == {"ads": 2, "web": 6, "faq": 3, "store": 0, "checkout": 2, "survey": 1}
    assert k.loc["web", "customers"] == 3  # c1 (twice), c2, c3
    assert k.loc["checkout", "revenue"] == 150.0
    assert k.loc["survey", "journey_revenue"] == 100.0
    lo, hi = wilson(1, 3)
    assert k.loc["faq", "conversion"] == pytest.approx(1 / 3)
    assert (k.loc["faq", "conversion_ci_low"], k.loc["faq", "conversion_ci_high"]) == pytest.approx((lo, hi))
    # catalogue order along the journey, names and stages attached
    assert list(k.index) == ["ads", "web", "faq", "store", "checkout", "survey"]
    assert k.loc["faq", "name"] == "FAQ" and k.loc["store", "stage"] == "decision"
    assert math.isnan(k.loc["store", "conversion"]) and "no journeys" in k.loc["store", "note"]
    assert "one journey" in k.loc["survey", "note"]


def test_kpis_by_stage_segment_and_overall(hand):
    _, r = hand
    st = r.kpis["stage"].set_index("stage")
    # consideration: web or faq -> j1..j5 (5 journeys, 2 converted); decision: j1 j3
    assert st.loc["consideration", "journeys"] == 5 and st.loc["consideration", "converted_journeys"] == 2
    assert st.loc["decision", "journeys"] == 2
    assert list(st.index) == ["awareness", "consideration", "decision", "retention"]
    seg = r.kpis["segment"].set_index("segment")
    assert seg.loc["club", "journeys"] == 2 and seg.loc["club", "converted_journeys"] == 1
    assert seg.loc["guest", "journeys"] == 3 and seg.loc["guest", "converted_journeys"] == 1
    ov = r.kpis["overall"].iloc[0]
    assert (ov["events"], ov["journeys"], ov["converted_journeys"], ov["customers"]) == (14, 5, 2, 4)
    ts = r.kpis["touchpoint_segment"]
    assert ts[(ts["touchpoint_id"] == "web") & (ts["segment"] == "club")]["journeys"].item() == 2


def test_paths_collapse_repeats_and_stop_at_the_purchase(hand):
    _, r = hand
    p = r.paths.set_index("path")
    assert set(p.index) == {"ads > web > checkout", "ads > web > faq", "web > faq > web > checkout", "web", "faq"}
    assert p.loc["ads > web > checkout", "conversions"] == 1 and p.loc["ads > web > faq", "nulls"] == 1
    assert p.loc["web > faq > web > checkout", "steps"] == 4
    assert p["share"].sum() == pytest.approx(1.0)
    assert analyse.collapse_path(["web", "web", "faq", "web", "web", "checkout"]) == "web > faq > web > checkout"


def test_a_purchase_on_a_repeated_touchpoint_still_counts(tmp_path):
    ev = _ev([
        ("j1", "c1", "2026-07-01 10:00", "web", False, 0.0, "club"),
        ("j1", "c1", "2026-07-01 10:05", "checkout", False, 0.0, "club"),
        ("j1", "c1", "2026-07-01 10:06", "checkout", True, 80.0, "club"),
        ("j1", "c1", "2026-07-01 10:07", "checkout", False, 0.0, "club"),
    ])
    root = _write_project(tmp_path, ev)
    r = analyse.compute("acme", "2026Q3", root=root)
    assert r.paths[["path", "journeys", "conversions"]].values.tolist() == [["web > checkout", 1, 1]]
    assert r.transitions.set_index(["from", "to"])["count"].to_dict() == {
        ("(start)", "web"): 1, ("web", "checkout"): 1, ("checkout", "(end)"): 1}


def test_transitions_count_moves_with_start_and_end(hand):
    _, r = hand
    t = r.transitions.set_index(["from", "to"])["count"].to_dict()
    expected = {
        ("(start)", "ads"): 2, ("(start)", "web"): 2, ("(start)", "faq"): 1,
        ("ads", "web"): 2, ("web", "checkout"): 2, ("web", "faq"): 2, ("faq", "web"): 1,
        ("checkout", "survey"): 1, ("checkout", "(end)"): 1, ("survey", "(end)"): 1,
        ("faq", "(end)"): 2, ("web", "(end)"): 1,
    }
    assert t == expected
    probs = r.transitions.groupby("from")["probability"].sum()
    assert np.allclose(probs, 1.0)
    m = analyse.transition_matrix(r.transitions, order=[t for t, *_ in CATALOGUE])
    assert list(m.index)[0] == "(start)" and list(m.columns)[-1] == "(end)"
    assert m.loc["web", "faq"] == pytest.approx(2 / 5)


def test_funnel_counts_the_furthest_stage_with_intervals(hand):
    _, r = hand
    f = r.funnel.set_index("stage")
    # depths: j1 retention, j2 consideration, j3 decision, j4 consideration, j5 consideration
    assert f["journeys"].to_dict() == {"awareness": 5, "consideration": 5, "decision": 2, "retention": 1}
    assert f.loc["consideration", "step_conversion"] == pytest.approx(2 / 5)
    lo, hi = wilson(2, 5)
    assert f.loc["consideration", "step_conversion_ci_low"] == pytest.approx(lo)
    assert f.loc["consideration", "drop_off"] == pytest.approx(3 / 5)
    assert f.loc["consideration", "drop_off_ci_high"] == pytest.approx(1 - lo)
    assert math.isnan(f.loc["retention", "step_conversion"]) and f.loc["retention", "note"] == "last stage"


def test_exits_compare_each_touchpoint_with_the_rest(hand):
    _, r = hand
    e = r.exits.set_index("touchpoint_id")
    # non-converting journeys end at faq (j2, j5) and web (j4)
    assert e.loc["faq", "exits"] == 2 and e.loc["faq", "journeys"] == 3
    assert e.loc["web", "exits"] == 1 and e.loc["ads", "exits"] == 0
    assert "survey" not in e.index  # after the purchase: not a lost sale
    total_x, total_n = 3, 2 + 4 + 3 + 2
    assert e.loc["faq", "average"] == pytest.approx(total_x / total_n)
    # Newcombe interval of faq against all other touchpoints pooled, from the two Wilson intervals
    p1, p2 = 2 / 3, 1 / 8
    l1, u1 = wilson(2, 3)
    l2, u2 = wilson(1, 8)
    assert e.loc["faq", "difference"] == pytest.approx(p1 - p2)
    assert e.loc["faq", "difference_ci_low"] == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    assert e.loc["faq", "more_exits"] == (e.loc["faq", "difference_ci_low"] > 0)
    assert list(r.exits["difference"]) == sorted(r.exits["difference"], reverse=True)


def test_time_to_convert_quartiles(hand):
    _, r = hand
    t = r.time_to_convert.iloc[0]
    days = np.array([1.0, 2.0])  # j1: 10:00 -> next day 10:00; j3: 2 days
    assert t["converting_journeys"] == 2
    assert t["median_days"] == pytest.approx(np.quantile(days, 0.5))
    assert t["q1_days"] == pytest.approx(np.quantile(days, 0.25))
    assert t["q3_days"] == pytest.approx(np.quantile(days, 0.75))
    seg = r.time_to_convert_by_segment.set_index("segment")
    assert seg.loc["club", "median_days"] == pytest.approx(1.0)


def test_changes_against_previous_quarter_and_last_year(hand):
    _, r = hand
    ch = r.changes
    web = ch[(ch["touchpoint_id"] == "web") & (ch["kpi"] == "conversion")].set_index("comparison")
    prev = web.loc["previous quarter (2026Q2)"]
    # 2026Q2: one web journey, not converted; now 2 of 4
    assert prev["before"] == 0.0 and prev["change"] == pytest.approx(0.5)
    last = web.loc["same quarter last year (2025Q3)"]
    assert last["before"] == 1.0 and last["change"] == pytest.approx(-0.5)
    # flagged only where the interval excludes zero
    assert (ch["significant"] == ((ch["ci_low"] > 0) | (ch["ci_high"] < 0))).all()


def test_weekly_series_per_touchpoint(hand):
    _, r = hand
    w = r.weekly
    web = w[(w["touchpoint_id"] == "web") & (w["kpi"] == "events")].set_index("week")["value"]
    # weeks start on Monday: 2026-06-29 holds j1 (2 web events) and j6 (2026-06-30); 2026-07-27 holds j3
    assert web[pd.Timestamp("2026-06-29")] == 4
    assert web[pd.Timestamp("2026-07-27")] == 2
    assert set(w["kpi"]) == {"events", "customers", "conversion"}


# ---------------------------------------------------------------------------
# Against an independent pandas implementation on random data
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def random_project(tmp_path_factory):
    rng = np.random.default_rng(11)
    n_j = 1500
    rows = []
    tps = [t for t, *_ in CATALOGUE]
    for j in range(n_j):
        seg = "club" if rng.random() < 0.3 else "guest"
        start = pd.Timestamp("2026-06-15") + pd.Timedelta(minutes=int(rng.integers(0, 130 * 1440)))
        steps = rng.choice(tps[:4], size=int(rng.integers(1, 6)))
        conv = rng.random() < (0.4 if seg == "club" else 0.2)
        ts = start
        for t in steps:
            ts += pd.Timedelta(minutes=int(rng.integers(1, 600)))
            rows.append((f"j{j}", f"c{j % 700}", ts, t, False, 0.0, seg))
        if conv:
            ts += pd.Timedelta(minutes=int(rng.integers(1, 600)))
            rows.append((f"j{j}", f"c{j % 700}", ts, "checkout", True, float(rng.integers(100, 900)), seg))
    ev = _ev(rows)
    fb = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(400)], "customer_id": None,
        "ts": pd.Timestamp("2026-07-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, 400), unit="s"),
        "touchpoint_id": rng.choice(["web", "faq", "store", None], 400),
        "csat": rng.integers(1, 6, 400).astype(float), "nps": rng.integers(0, 11, 400).astype(float),
        "segment": rng.choice(["club", "guest"], 400),
    })
    root = _write_project(tmp_path_factory.mktemp("rand"), ev, feedback=fb)
    return root, ev, fb


def _pandas_reference(ev: pd.DataFrame, start, end, keys):
    ev = ev[(pd.to_datetime(ev["ts"]) >= pd.Timestamp(start)) & (pd.to_datetime(ev["ts"]) < pd.Timestamp(end))]
    conv = ev.groupby("journey_id")["converted"].any()
    touched = ev[["journey_id", *keys]].drop_duplicates()
    touched = touched.assign(conv=touched["journey_id"].map(conv))
    out = touched.groupby(keys).agg(journeys=("journey_id", "size"), converted_journeys=("conv", "sum"))
    out["events"] = ev.groupby(keys).size()
    out["customers"] = ev.groupby(keys)["customer_id"].nunique()
    return out.reset_index()


@pytest.mark.parametrize("level", ["touchpoint", "segment", "touchpoint_segment"])
def test_kpis_equal_a_plain_pandas_computation(random_project, level):
    root, ev, fb = random_project
    r = analyse.run("acme", "2026Q3", root=root)
    keys = analyse.LEVELS[level]
    ref = _pandas_reference(ev, "2026-07-01", "2026-10-01", keys)
    got = r.kpis[level]
    got = got[got["journeys"] > 0]
    merged = ref.merge(got, on=keys, suffixes=("_ref", ""))
    assert len(merged) == len(ref) == len(got)
    for c in ("journeys", "converted_journeys", "events", "customers"):
        assert (merged[c] == merged[f"{c}_ref"]).all(), c


def test_feedback_kpis_against_independent_formulas(random_project):
    root, ev, fb = random_project
    k = analyse.run("acme", "2026Q3", root=root).kpis["touchpoint"].set_index("touchpoint_id")
    f = fb[fb["touchpoint_id"] == "faq"]
    n = len(f)
    mean, sd = f["csat"].mean(), f["csat"].std(ddof=1)
    from scipy import stats as st
    half = st.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    assert k.loc["faq", "csat"] == pytest.approx(mean)
    assert k.loc["faq", "csat_ci_low"] == pytest.approx(mean - half)
    top = (f["csat"] >= 4).sum()
    assert k.loc["faq", "top2box"] == pytest.approx(top / n)
    assert k.loc["faq", "top2box_ci_low"] == pytest.approx(wilson(top, n)[0])
    pp, pd_ = (f["nps"] >= 9).mean(), (f["nps"] <= 6).mean()
    assert k.loc["faq", "nps"] == pytest.approx(100 * (pp - pd_))
    assert k.loc["faq", "nps_se"] == pytest.approx(100 * math.sqrt((pp + pd_ - (pp - pd_) ** 2) / n))
    # relationship rows (no touchpoint) count in the overall table only
    ov = analyse.run("acme", "2026Q3", root=root).kpis["overall"].iloc[0]
    assert ov["csat_n"] == len(fb) and k["csat_n"].sum() == fb["touchpoint_id"].notna().sum()


def test_run_is_cached_until_the_data_change(random_project):
    root, *_ = random_project
    assert analyse.run("acme", "2026Q3", root=root) is analyse.run("acme", "2026Q3", root=root)


@pytest.mark.spark
def test_journey_aggregates_are_the_same_on_spark(hand):
    root, _ = hand
    cat = pd.DataFrame(CATALOGUE, columns=["touchpoint_id", "name", "stage", "kind"])
    start, end = analyse.bounds("2026Q3")
    out = {}
    for engine in ("duckdb", "pyspark"):
        con = data.connect("acme", engine=engine, root=root)
        ev = analyse.prepare_expr(data.table(con, "events", "acme", root=root), cat, start, end)
        out[engine] = {
            "touch": analyse.journey_touch_expr(ev, ["touchpoint_id"]).execute()
            .sort_values("touchpoint_id").reset_index(drop=True),
            "funnel": analyse.funnel_expr(ev).execute().sort_values("depth").reset_index(drop=True),
            "transitions": analyse.transitions_expr(ev).execute()
            .sort_values(["from_tp", "to_tp"]).reset_index(drop=True),
            "paths": analyse.paths_expr(ev).execute().sort_values("path").reset_index(drop=True),
            "exits": analyse.exits_expr(ev).execute().sort_values("touchpoint_id").reset_index(drop=True),
            "ttc": analyse.time_to_convert_expr(ev, []).execute(),
        }
    for name in out["duckdb"]:
        pd.testing.assert_frame_equal(out["duckdb"][name], out["pyspark"][name], check_dtype=False, obj=name)


@pytest.mark.spark
def test_the_whole_step_is_the_same_on_spark(tmp_path):
    orders = _bgnbd_orders(np.random.default_rng(3), n=150)
    root = _write_project(tmp_path, HAND, orders=orders)
    duck = analyse.compute("acme", "2026Q3", root=root)
    spark = analyse.compute("acme", "2026Q3", root=root, con=data.connect("acme", engine="pyspark", root=root))
    for level in duck.kpis:
        pd.testing.assert_frame_equal(duck.kpis[level], spark.kpis[level], check_dtype=False, obj=level)
    for name in ("paths", "transitions", "funnel", "exits", "time_to_convert", "changes", "weekly"):
        pd.testing.assert_frame_equal(getattr(duck, name), getattr(spark, name), check_dtype=False, obj=name)
    by = "first_touchpoint"
    pd.testing.assert_frame_equal(duck.value["by_first_touchpoint"].sort_values(by).reset_index(drop=True),
                                  spark.value["by_first_touchpoint"].sort_values(by).reset_index(drop=True),
                                  check_dtype=False)


# ---------------------------------------------------------------------------
# Edge cases: empty period, one respondent, all promoters, zero conversions
# ---------------------------------------------------------------------------

def test_empty_period_gives_empty_tables_and_sentences(hand):
    root, _ = hand
    r = analyse.compute("acme", "2024Q1", root=root)
    k = r.kpis["touchpoint"]
    assert (k["journeys"] == 0).all() and k["conversion"].isna().all()
    assert (k["note"].str.contains("no journeys")).all()
    assert r.paths.empty and r.transitions.empty and r.exits.empty
    assert (r.funnel["journeys"] == 0).all() and r.funnel["step_conversion"].isna().all()
    assert r.totals["journeys"] == 0
    for say in (analyse.say_overview, analyse.say_kpis, analyse.say_funnel, analyse.say_exits, analyse.say_paths,
                analyse.say_time_to_convert, analyse.say_changes, analyse.say_sentiment, analyse.say_value):
        assert say(r)._repr_html_().startswith('<p class="tp-say">')
    assert "Nothing to show" in analyse.show(r, "paths")._repr_html_()
    for fig in (analyse.kpi_figure(k), analyse.funnel_figure(r.funnel), analyse.transition_heatmap(r.transitions),
                analyse.trend_figure(r.weekly), analyse.sentiment_figure(r.sentiment)):
        assert isinstance(fig, Figure)
    assert analyse.findings(r)["findings"] == []


def test_one_respondent_and_all_promoters(tmp_path):
    fb = pd.DataFrame({
        "response_id": ["a", "b", "c", "d"], "customer_id": None,
        "ts": ["2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05"],
        "touchpoint_id": ["store", "web", "web", "web"],
        "csat": [4.0, 5.0, 5.0, 5.0], "nps": [10.0, 9.0, 10.0, 9.0],
    })
    root = _write_project(tmp_path, HAND, feedback=fb)
    k = analyse.compute("acme", "2026Q3", root=root).kpis["touchpoint"].set_index("touchpoint_id")
    store = k.loc["store"]
    assert store["csat"] == 4.0 and store["csat_n"] == 1
    assert math.isnan(store["csat_ci_low"]) and math.isnan(store["csat_ci_high"])
    assert "one observation" in store["note"] and "NPS: one respondent" in store["note"]
    web = k.loc["web"]
    assert web["nps"] == 100.0 and web["nps_se"] == 0.0
    # adjusted Wald interval (Rocks 2016): 3/4 promoter and 3/4 detractor added, n + 3
    n, pp, pd_ = 6.0, 3.75 / 6, 0.75 / 6
    half = 1.959963984540054 * math.sqrt((pp + pd_ - (pp - pd_) ** 2) / n)
    assert web["nps_ci_low"] == pytest.approx(100 * (pp - pd_ - half))
    assert web["nps_ci_high"] == 100.0
    assert "adjusted Wald" in web["note"]
    assert web["top2box"] == 1.0 and web["top2box_ci_low"] == pytest.approx(wilson(3, 3)[0])


def test_zero_conversions(tmp_path):
    ev = HAND.assign(converted=False, revenue=0.0)
    root = _write_project(tmp_path, ev)
    r = analyse.compute("acme", "2026Q3", root=root)
    k = r.kpis["touchpoint"].set_index("touchpoint_id")
    assert (k.loc[k["journeys"] > 0, "conversion"] == 0).all()
    lo, hi = wilson(0, 4)
    assert k.loc["web", "conversion_ci_low"] == 0 and k.loc["web", "conversion_ci_high"] == pytest.approx(hi)
    assert r.paths["conversions"].sum() == 0
    assert r.time_to_convert["converting_journeys"].iloc[0] == 0
    assert "No journey converted" in analyse.say_time_to_convert(r)._repr_html_()
    # every journey now ends without a purchase; j1 ends at the after-purchase survey, which is left out
    assert r.exits["exits"].sum() == 4


def test_compare_kpis_nps_difference_and_flags():
    now = pd.DataFrame({"touchpoint_id": ["a", "b"], "converted_journeys": [300, 50], "journeys": [1000, 1000],
                        "conversion": [0.3, 0.05], "top2box": [0.5, 0.5], "csat_n": [100, 100],
                        "csat": [4.0, 4.0], "nps_n": [100, 100], "nps": [30.0, 10.0], "nps_se": [8.0, 9.0]})
    before = now.assign(converted_journeys=[200, 48], conversion=[0.2, 0.048], nps=[10.0, 9.0], nps_se=[6.0, 9.0])
    out = analyse.compare_kpis(now, before, pd.DataFrame(), pd.DataFrame(), "previous quarter")
    a_conv = out[(out["touchpoint_id"] == "a") & (out["kpi"] == "conversion")].iloc[0]
    assert a_conv["change"] == pytest.approx(0.1) and bool(a_conv["significant"])
    b_conv = out[(out["touchpoint_id"] == "b") & (out["kpi"] == "conversion")].iloc[0]
    assert not b_conv["significant"]
    a_nps = out[(out["touchpoint_id"] == "a") & (out["kpi"] == "nps")].iloc[0]
    assert a_nps["change"] == pytest.approx(20.0)
    assert a_nps["ci_high"] - a_nps["change"] == pytest.approx(1.959963984540054 * 10.0)
    assert bool(a_nps["significant"])
    csat = out[out["kpi"] == "csat"]
    assert csat["change"].isna().all() and (csat["note"] == "a group has no observations").all()


# ---------------------------------------------------------------------------
# Feedback: ratings, sentiment, complaint terms
# ---------------------------------------------------------------------------

REVIEWS = pd.DataFrame({
    "review_id": ["r1", "r2", "r3", "r4"], "source": "trustpilot",
    "ts": ["2026-07-10", "2026-07-11", "2026-07-12", "2026-05-01"],
    "rating": [1.0, 5.0, 2.0, 5.0],
    "title": ["Skuffet", "Anbefales", None, None],
    "text": ["Lang ventetid og uvenligt personale", "Super god service", "Rude staff, not helpful", "Great"],
    "touchpoint_id": ["store", "store", "store", None],
    "language": ["da", "da", "en", "en"],
})


def test_rating_distribution_shares_and_mean():
    fb = pd.DataFrame({"touchpoint_id": ["web", "web", "web", None], "csat": [5.0, 4.0, 4.0, 1.0]})
    out = analyse.rating_distribution(fb, REVIEWS.iloc[:3], pd.DataFrame(CATALOGUE, columns=["touchpoint_id", "name",
                                                                                           "stage", "kind"]))
    web = out[out["touchpoint_id"] == "web"].iloc[0]
    assert web["ratings"] == 3 and web["share_4"] == pytest.approx(2 / 3) and web["mean"] == pytest.approx(13 / 3)
    store = out[out["touchpoint_id"] == "store"].iloc[0]
    assert store["source"] == "review" and store["name"] == "Store" and store["share_1"] == pytest.approx(1 / 3)
    assert np.allclose(out[[f"share_{i}" for i in range(1, 6)]].sum(axis=1), 1.0)


def test_sentiment_summary_and_complaint_terms():
    texts = analyse.comment_texts(pd.DataFrame(), REVIEWS.iloc[:3])
    scored = analyse.score_comments(texts, default_language="da")
    assert list(scored["label"]) == ["negative", "positive", "negative"]
    assert list(scored["language"]) == ["da", "da", "en"]
    summary = analyse.sentiment_summary(scored).iloc[0]
    assert summary["texts"] == 3 and summary["negative"] == pytest.approx(2 / 3)
    assert summary["negative_ci_low"] == pytest.approx(wilson(2, 3)[0])
    assert summary["languages"] == "da, en"
    terms = analyse.complaint_terms(scored, top=10)
    assert set(terms["term"]) == {"skuffet", "lang", "ventetid", "uvenligt", "rude", "not helpful"}
    assert (terms["texts"] == 1).all() and np.allclose(terms["share"], 1 / 3)


def test_sentiment_method_is_stated(hand):
    _, r = hand
    assert "word lists" in analyse.say_sentiment(r)._repr_html_()


# ---------------------------------------------------------------------------
# Customer value
# ---------------------------------------------------------------------------

def _bgnbd_orders(rng, n=600):
    """Orders from the BG/NBD story: Poisson purchases while alive, drop-out after each purchase."""
    rows = []
    for c in range(n):
        lam = rng.gamma(2.0, 1 / 20.0)  # purchases per day
        p = rng.beta(1.0, 4.0)
        t = rng.uniform(0, 60)
        while t < 360:
            rows.append((f"o{len(rows)}", f"c{c}", pd.Timestamp("2025-10-01") + pd.Timedelta(days=float(t)),
                         float(rng.gamma(4.0, 50.0)), "club" if c % 3 == 0 else "guest"))
            if rng.random() < p:
                break
            t += rng.exponential(1 / lam)
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "ts", "revenue", "segment"])


def test_customer_value_repeat_rate_and_clv(rng):
    orders = _bgnbd_orders(rng)
    end = pd.Timestamp("2026-10-01").to_pydatetime()
    first = pd.DataFrame({"customer_id": orders["customer_id"].unique()})
    first["first_touchpoint"] = np.where(first.index % 2 == 0, "web", "store")
    first["segment"] = "ignored: orders carry the segment"
    v = analyse.customer_value(orders, first, end)
    per = v["per_customer"]
    assert v["bgnbd"] is not None and v["gamma_gamma"] is not None
    assert per["clv"].notna().all() and (per["clv"] >= 0).all()
    counts = orders.groupby("customer_id").size()
    by_ft = v["by_first_touchpoint"].set_index("first_touchpoint")
    web_ids = set(first.loc[first["first_touchpoint"] == "web", "customer_id"])
    repeat = int((counts[counts.index.isin(web_ids)] >= 2).sum())
    assert by_ft.loc["web", "customers"] == len(web_ids) and by_ft.loc["web", "repeat_customers"] == repeat
    assert by_ft.loc["web", "repeat_rate_ci_low"] == pytest.approx(wilson(repeat, len(web_ids))[0])
    seg = v["by_segment"].set_index("segment")
    assert set(seg.index) == {"club", "guest"}
    assert seg["clv_total"].sum() == pytest.approx(per["clv"].sum())
    club = per[per["segment"] == "club"]["clv"]
    assert seg.loc["club", "clv_mean"] == pytest.approx(club.mean())


def test_customer_value_without_repeat_purchases_is_explained():
    orders = pd.DataFrame({"order_id": ["a", "b"], "customer_id": ["x", "y"], "ts": ["2026-07-01", "2026-07-02"],
                           "revenue": [10.0, 20.0]})
    v = analyse.customer_value(orders, pd.DataFrame(columns=["customer_id", "first_touchpoint", "segment"]),
                               pd.Timestamp("2026-10-01").to_pydatetime())
    assert v["note"].startswith("CLV not estimated") and v["per_customer"]["clv"].isna().all()
    assert v["by_first_touchpoint"]["first_touchpoint"].tolist() == ["(no events)"]


def test_re_exports_clv_models():
    from helpers import clv

    assert analyse.fit_bgnbd is clv.fit_bgnbd and analyse.fit_gamma_gamma is clv.fit_gamma_gamma
    assert analyse.clv is clv.clv


# ---------------------------------------------------------------------------
# Figures, tables, findings
# ---------------------------------------------------------------------------

def test_figures_show_what_they_claim(hand):
    _, r = hand
    fig = analyse.kpi_figure(r.kpis["touchpoint"], title="KPIs")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Ads", "Website", "FAQ", "Store", "Checkout", "Survey mail"]
    assert "KPIs" in analyse.figure_titles(fig)
    heat = analyse.transition_heatmap(r.transitions, names=r.names)
    assert [t.get_text() for t in heat.axes[0].get_yticklabels()][0] == "(start)"
    funnel = analyse.funnel_figure(r.funnel)
    assert len(funnel.axes[0].patches) == 4
    seg = analyse.kpi_figure(r.kpis["segment"], label="segment", measures=("conversion",))
    assert [t.get_text() for t in seg.axes[0].get_yticklabels()] == ["club", "guest"]


def test_show_escapes_and_formats(hand):
    _, r = hand
    html = analyse.show(r, "kpis", caption="<b>KPIs</b>")._repr_html_()
    assert "&lt;b&gt;KPIs&lt;/b&gt;" in html and "Conversion" in html and "%" in html
    for name in analyse.PARTS:
        assert analyse.show(r, name)._repr_html_()
    assert "1.0 days" not in analyse.show(r, "time_to_convert")._repr_html_()  # one day shows as 24.0 hours
    assert "24.0 hours" in analyse.show(r, "time_to_convert")._repr_html_()
    with pytest.raises(Exception, match="unknown part"):
        analyse.show(r, "nonsense")


def test_findings_name_segment_gap_and_exit(random_project):
    root, *_ = random_project
    r = analyse.run("acme", "2026Q3", root=root)
    out = analyse.findings(r)
    assert any("club journeys convert" in f for f in out["findings"])
    assert set(out["tables"]) >= {"kpis", "funnel", "exits", "paths", "changes", "segments"}
    assert out["metrics"]["journeys"] == r.totals["journeys"]


def test_kpi_table_levels(random_project):
    root, *_ = random_project
    assert list(analyse.kpi_table("acme", "2026Q3", by="stage", root=root)["stage"])[:2] == ["awareness",
                                                                                            "consideration"]
    with pytest.raises(Exception, match="no KPI table"):
        analyse.kpi_table("acme", "2026Q3", by="weather", root=root)


@pytest.mark.parametrize("days, text", [(0.01, "14 minutes"), (0.5, "12.0 hours"), (3.25, "3.2 days"),
                                         (float("nan"), "n/a")])
def test_duration_words(days, text):
    assert analyse.duration(days) == text


def test_period_bounds():
    assert analyse.bounds(Period.parse("2026-09")) == (pd.Timestamp("2026-09-01").to_pydatetime(),
                                                       pd.Timestamp("2026-10-01").to_pydatetime())


# ---------------------------------------------------------------------------
# The demo clients: planted answers, and the notebook end to end
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("client", ["nordlys", "fjordtech"])
def test_demo_planted_drop_off_and_segment_gap_are_recovered(demo_root, client):
    from helpers import demo

    truth = demo.GROUND_TRUTH[client]
    r = analyse.run(client, "2026Q3", root=demo_root)
    top = r.exits.iloc[0]
    assert top["touchpoint_id"] == truth.drop_off_touchpoint
    if client == "nordlys":  # the small second client has too few journeys at the test size for a clear call
        assert bool(top["more_exits"])
    seg = r.kpis["segment"].set_index("segment")
    # journeys cut by the period boundaries convert a little less than whole journeys: 0.07 tolerance
    for name, rate in truth.segment_conversion.items():
        assert seg.loc[name, "conversion"] == pytest.approx(rate, abs=0.07), name
    high, low = sorted(truth.segment_conversion, key=truth.segment_conversion.get, reverse=True)
    gap = analyse.segment_gap(r.kpis["segment"])
    assert gap["high"]["segment"] == high and gap["difference"].excludes(0)
    truth_ratio = truth.segment_conversion[high] / truth.segment_conversion[low]
    assert gap["ratio"] == pytest.approx(truth_ratio, rel=0.2)
    shift = dict(truth.segment_csat_shift)
    better = max(shift, key=shift.get)
    worse = min(shift, key=shift.get)
    assert seg.loc[better, "csat"] > seg.loc[worse, "csat"]
    assert high in analyse.say_segments(r)._repr_html_()
    if client == "nordlys":
        assert r.names[truth.drop_off_touchpoint] in analyse.say_exits(r)._repr_html_()


@pytest.mark.slow
def test_notebook_runs_on_the_demo_and_saves_findings(demo_root, tmp_path):
    import papermill as pm

    from helpers import artifacts

    out = tmp_path / "02.ipynb"
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02-analyse.ipynb"
    pm.execute_notebook(str(notebook), str(out),
                        parameters={"client": "nordlys", "period": "2026Q3", "root": str(demo_root),
                                    "artifacts_dir": str(tmp_path / "art")},
                        kernel_name="tpkit", cwd=str(demo_root), progress_bar=False, execution_timeout=600)
    import nbformat

    nb = nbformat.read(out, 4)
    text = " ".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                    for o in c.get("outputs", []))
    assert "FAQ" in text and "club" in text and "Method: Sentiment" in text
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []))
    assert images == 7
    streams = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "stream"]
    assert not streams, "no warnings or prints reach the report"
    saved = artifacts.load(tmp_path / "art", "analyse")
    assert any("more often than elsewhere" in f for f in saved["findings"])
    assert {"kpis", "funnel", "exits"} <= set(saved["tables"])


def test_small_table_helpers():
    cat = pd.DataFrame(CATALOGUE, columns=["touchpoint_id", "name", "stage", "kind"])
    df = pd.DataFrame({"touchpoint_id": ["web", "tiktok", None], "ts": pd.to_datetime(["2026-06-30 23:59", "2026-07-01 00:00", "2026-10-01 00:00"]),
                       "segment": ["club", None, "guest"]})
    out = analyse.add_dimensions(df, cat)
    assert list(out["stage"]) == ["consideration", analyse.UNKNOWN, analyse.UNKNOWN]
    assert list(out["kind"]) == ["digital", analyse.UNKNOWN, analyse.UNKNOWN]
    assert list(out["segment"]) == ["club", analyse.NO_SEGMENT, "guest"]
    start, end = analyse.bounds("2026Q3")
    assert list(analyse.in_window(df, start, end)["touchpoint_id"]) == ["tiktok"]
    assert analyse.in_window(None, start, end).empty


def test_weekly_table_feedback_weeks_start_on_monday():
    fb = pd.DataFrame({"touchpoint_id": ["web", "web", "web"], "ts": pd.to_datetime(["2026-07-05", "2026-07-06",
                                                                                      "2026-07-12"]),
                       "csat": [5.0, 3.0, 4.0], "nps": [10.0, 0.0, 8.0]})
    out = analyse.weekly_table(pd.DataFrame(), pd.DataFrame(), fb, ["touchpoint_id"])
    csat = out[out["kpi"] == "csat"].set_index("week")["value"]
    assert csat[pd.Timestamp("2026-06-29")] == 5.0 and csat[pd.Timestamp("2026-07-06")] == 3.5
    nps = out[out["kpi"] == "nps"].set_index("week")
    assert nps.loc[pd.Timestamp("2026-07-06"), "value"] == -50.0 and nps.loc[pd.Timestamp("2026-07-06"), "n"] == 2


def test_value_sentence_and_tables_on_the_random_project(random_project):
    root, *_ = random_project
    r = analyse.run("acme", "2026Q3", root=root)
    text = analyse.say_value(r)._repr_html_()
    assert "no orders" in text.lower()  # the random project has no orders table
    assert analyse.show(r, "value_segments")._repr_html_()


def test_analyst_accessors_return_copies_of_the_result(hand):
    root, r = hand
    assert analyse.journey_paths("acme", "2026Q3", root=root).equals(analyse.run("acme", "2026Q3", root=root).paths)
    t = analyse.journey_transitions("acme", "2026Q3", root=root)
    t.loc[:, "count"] = -1
    assert (analyse.journey_transitions("acme", "2026Q3", root=root)["count"] > 0).all()
    assert list(analyse.stage_funnel("acme", "2026Q3", root=root)["stage"]) == list(analyse.STAGES)
    assert analyse.exit_rates("acme", "2026Q3", root=root).iloc[0]["touchpoint_id"] == r.exits.iloc[0]["touchpoint_id"]
    assert set(analyse.weekly_trends("acme", "2026Q3", root=root)["kpi"]) == {"events", "customers", "conversion"}
    assert analyse.review_sentiment("acme", "2026Q3", root=root).empty
    assert analyse.customer_values("acme", "2026Q3", root=root).empty
