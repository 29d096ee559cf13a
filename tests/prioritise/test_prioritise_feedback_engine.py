"""Step 3 reads survey answers through the engine: the relationship-survey rows of the driver window (a hash
sample of whole surveys above the cap), the period's performance from daily statistics, and no read of the
whole feedback table. Each is checked against a computation on the raw answers."""

from __future__ import annotations

import datetime as dt
import importlib

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint

from helpers import data
from helpers.prioritise import queries
from helpers.prioritise.compute import touchpoint_performance

analyse_step = importlib.import_module("helpers.analyse.step")
prioritise_step = importlib.import_module("helpers.prioritise.step")
calc = importlib.import_module("helpers.analyse.compute")

START, END = dt.datetime(2026, 1, 1), dt.datetime(2026, 10, 1)


@pytest.fixture(scope="module")
def answers():
    """400 relationship surveys (an overall row and three rated touchpoints each) and 1,000 touchpoint answers
    without a survey, spread over 2026 and late 2025."""
    rng = np.random.default_rng(5)
    rows = []
    for s in range(400):
        ts = pd.Timestamp("2025-11-01") + pd.Timedelta(seconds=int(rng.integers(0, 330 * 86400)))
        rows.append({"survey_id": f"s{s}", "ts": ts, "touchpoint_id": None, "csat": np.nan,
                     "nps": float(rng.integers(0, 11)), "customer_id": f"c{s}"})
        for tp in ("web", "store", "app"):
            rows.append({"survey_id": f"s{s}", "ts": ts, "touchpoint_id": tp, "csat": float(rng.integers(1, 6)),
                         "nps": np.nan, "customer_id": f"c{s}"})
    for i in range(1000):
        ts = pd.Timestamp("2025-11-01") + pd.Timedelta(seconds=int(rng.integers(0, 330 * 86400)))
        rows.append({"survey_id": None, "ts": ts, "touchpoint_id": rng.choice(["web", "store"]),
                     "csat": float(rng.integers(1, 6)), "nps": np.nan, "customer_id": f"d{i}"})
    df = pd.DataFrame(rows)
    df["ts"] = df["ts"].astype("datetime64[us]")
    return df


def _table(df):
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con.create_table("feedback", df)


def test_driver_rows_are_the_relationship_surveys_of_the_window(answers):
    rows, sample = queries.driver_rows(_table(answers), "nps", START, END)
    want = answers[answers["survey_id"].notna() & (answers["ts"] >= START) & (answers["ts"] < END)]
    assert sample is None
    assert len(rows) == len(want) > 0
    assert set(rows["survey_id"]) == set(want["survey_id"])
    assert set(rows.columns) == {"survey_id", "ts", "touchpoint_id", "csat", "nps"}


def test_above_the_cap_whole_surveys_are_sampled(answers, monkeypatch):
    monkeypatch.setattr(queries, "MAX_DRIVER_SURVEYS", 100)
    rows, sample = queries.driver_rows(_table(answers), "nps", START, END)
    window = answers[answers["survey_id"].notna() & (answers["ts"] >= START) & (answers["ts"] < END)]
    total = window["survey_id"].nunique()
    assert sample["surveys"] == total and sample["share"] == pytest.approx(100 / total)
    # every kept survey comes with all its rows (overall answer and ratings)
    per_survey = rows.groupby("survey_id").size()
    assert (per_survey == window.groupby("survey_id").size().loc[per_survey.index]).all()
    # about the share of the surveys (binomial: 3 sd either side)
    sd = np.sqrt(total * sample["share"] * (1 - sample["share"]))
    assert abs(sample["sampled"] - 100) < 3 * sd + 1
    again, _ = queries.driver_rows(_table(answers), "nps", START, END)
    assert set(again["survey_id"]) == set(rows["survey_id"])  # the same surveys on every run


def test_performance_from_daily_statistics_equals_scipy_on_the_answers(answers):
    daily = calc.feedback_stats(answers.assign(day=answers["ts"].dt.normalize(), tp=answers["touchpoint_id"]),
                                ["day", "tp"]).rename(columns={"tp": "touchpoint_id"})
    got = touchpoint_performance(daily, start=dt.datetime(2026, 4, 1), end=dt.datetime(2026, 7, 1))
    got = got.set_index("touchpoint_id").sort_index()
    inside = answers[(answers["ts"] >= dt.datetime(2026, 4, 1)) & (answers["ts"] < dt.datetime(2026, 7, 1))]
    inside = inside[inside["touchpoint_id"].notna() & inside["csat"].notna()]
    raw = touchpoint_performance(inside).set_index("touchpoint_id").sort_index()
    pd.testing.assert_frame_equal(got, raw, check_dtype=False, rtol=1e-12)
    for tp, g in inside.groupby("touchpoint_id"):
        c = g["csat"].to_numpy()
        lo, hi = st.t.interval(0.95, len(c) - 1, loc=c.mean(), scale=c.std(ddof=1) / np.sqrt(len(c)))
        tlo, thi = proportion_confint((c >= 4).sum(), len(c), method="wilson")
        assert got.loc[tp, "csat"] == pytest.approx(c.mean(), rel=1e-12)
        assert (got.loc[tp, "csat_ci_low"], got.loc[tp, "csat_ci_high"]) == pytest.approx((lo, hi), rel=1e-10)
        assert (got.loc[tp, "top2box_ci_low"], got.loc[tp, "top2box_ci_high"]) == pytest.approx((tlo, thi),
                                                                                                rel=1e-10)
        assert got.loc[tp, "ratings"] == len(c)


def test_step_3_on_the_demo_reads_no_survey_table_into_pandas(demo_root, frame_reads):
    result = prioritise_step.compute("nordlys", "2026Q3", root=demo_root, n_boot=20)
    assert "feedback" not in frame_reads
    assert result.drivers is not None and len(result.performance) > 0
    raw = data.ClientData("nordlys", root=demo_root).frame("feedback")
    want = touchpoint_performance(raw, start=dt.datetime(2026, 7, 1), end=dt.datetime(2026, 10, 1))
    pd.testing.assert_frame_equal(result.performance.set_index("touchpoint_id").sort_index(),
                                  want.set_index("touchpoint_id").sort_index(), check_dtype=False,
                                  check_index_type=False, rtol=1e-12)


def test_the_sample_is_said_in_the_notes(demo_root, monkeypatch):
    monkeypatch.setattr(queries, "MAX_DRIVER_SURVEYS", 500)
    result = prioritise_step.compute("nordlys", "2026Q3", root=demo_root, n_boot=20)
    note = [n for n in result.notes if "random sample" in n]
    assert len(note) == 1 and "relationship surveys" in note[0]
    assert result.drivers is not None
