"""Step 2 Ibis expressions: the same answers on DuckDB and Spark, period bounds."""

from __future__ import annotations

import pandas as pd
import pytest
from analyse_helpers import CATALOGUE

from helpers import analyse, data
from helpers.periods import Period


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


def test_period_bounds():
    assert analyse.bounds(Period.parse("2026-09")) == (pd.Timestamp("2026-09-01").to_pydatetime(),
                                                       pd.Timestamp("2026-10-01").to_pydatetime())
