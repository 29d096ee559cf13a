"""Step 4 and the monitor ask the engine for the survey answers of a change's touchpoints and window: the rows
it returns are those a pandas filter of the whole table keeps, and on the demo neither reads the feedback
table into pandas."""

from __future__ import annotations

import importlib

import ibis
import numpy as np
import pandas as pd
import pytest

from helpers.analyse import queries as aq
from helpers.evaluate import queries

evaluate_step = importlib.import_module("helpers.evaluate.step")
monitor_compute = importlib.import_module("helpers.monitor.compute")


@pytest.fixture(scope="module")
def answers():
    rng = np.random.default_rng(3)
    n = 3000
    ts = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 270 * 86400, n), unit="s")
    df = pd.DataFrame({"response_id": [f"r{i}" for i in range(n)], "ts": pd.Series(ts).astype("datetime64[us]"),
                       "touchpoint_id": rng.choice(["web", "store", "app"], n),
                       "customer_id": [f"c{i}" for i in rng.integers(0, 400, n)],
                       "csat": rng.integers(1, 6, n).astype(float), "nps": rng.integers(0, 11, n).astype(float),
                       "variant": rng.choice(["A", "B", None], n), "comment": "x"})
    df.loc[df.index[:5], "ts"] = pd.Timestamp("2026-05-01")  # on the window's start: inside
    return df


def _table(df):
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con.create_table("feedback", df)


def test_feedback_rows_are_those_of_a_pandas_filter(answers):
    lo, hi = pd.Timestamp("2026-05-01"), pd.Timestamp("2026-07-01")
    got = queries.feedback_rows(_table(answers), lo, hi, ["web", "app"], extra=("variant",)).execute()
    want = answers[answers["touchpoint_id"].isin(["web", "app"]) & (answers["ts"] >= lo) & (answers["ts"] < hi)]
    assert sorted(got["response_id"]) == sorted(want["response_id"])
    assert "comment" not in got.columns and "variant" in got.columns
    # the same customers before the window, at any touchpoint
    some = want["customer_id"].drop_duplicates().head(25)
    pre = queries.feedback_rows(_table(answers), pd.Timestamp("2026-01-01"), lo,
                                customers=aq.customers_table(some)).execute()
    want_pre = answers[answers["customer_id"].isin(set(some)) & (answers["ts"] < lo)]
    assert sorted(pre["response_id"]) == sorted(want_pre["response_id"]) and len(pre) > 0


def test_step_4_and_the_monitor_read_no_survey_table_into_pandas(demo_root, frame_reads):
    result = evaluate_step.compute("nordlys", "2026Q3", root=demo_root)
    assert len(result.table) > 0
    looks = monitor_compute.monitor("nordlys", root=demo_root)
    survey = [r for r in looks.rows if r.kpi in ("csat", "nps", "top2box")]
    assert survey and any(r.n > 0 for r in survey)
    assert "feedback" not in frame_reads
