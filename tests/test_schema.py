import pandas as pd
import pytest

from helpers.errors import SchemaError
from helpers.schema import REQUIRED_COLUMNS, SCHEMAS, split_valid


def _feedback():
    return pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r2", "r3", "r4", "r5", "r6"],
            "customer_id": ["a", "b", "c", "d", "", "f", "g"],
            "ts": ["2026-07-01 10:00", "2026-13-01", "2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05",
                   "2026-07-06T08:00:00"],
            "touchpoint_id": ["store", "store", None, "app", "app", "web", "web"],
            "csat": ["5", "4", "x", "3", "2", "6", ""],
            "nps": [10, 9, 3, 11, 5, 0, None],
        }
    )


def test_good_and_bad_rows_are_split_with_reasons():
    accepted, rejected = split_valid("feedback", _feedback())
    assert len(accepted) + len(rejected) == 7
    assert list(accepted["response_id"]) == ["r1", "r4", "r6"]
    reasons = dict(zip(rejected["response_id"] + "/" + rejected["customer_id"], rejected["reason"]))
    assert "ts: cannot read '2026-13-01'" in reasons["r2/b"]
    assert "duplicate value 'r2'" in reasons["r2/b"] and "duplicate value 'r2'" in reasons["r2/c"]
    assert "csat: cannot read 'x' as a number" in reasons["r2/c"]
    assert "nps: value 11.0 is not one of the allowed values" in reasons["r3/d"]
    assert "csat: value 6.0" in reasons["r5/f"]


def test_accepted_rows_have_canonical_types():
    accepted, _ = split_valid("feedback", _feedback())
    assert str(accepted["ts"].dtype) == "datetime64[us]"
    assert accepted["csat"].dtype == "float64"
    # empty strings become missing values, not empty ids
    assert accepted.loc[accepted["response_id"] == "r4", "customer_id"].isna().all()
    assert accepted.loc[accepted["response_id"] == "r6", "csat"].isna().all()
    assert accepted.loc[accepted["response_id"] == "r6", "ts"].iloc[0] == pd.Timestamp("2026-07-06 08:00")


def test_events_booleans_and_required_values():
    ev = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", None],
            "ts": ["2026-07-01"] * 4,
            "touchpoint_id": ["web", "web", "", "web"],
            "journey_id": ["j1", "j2", "j3", "j4"],
            "converted": ["true", "maybe", "0", "False"],
            "revenue": ["10.5", "", "-1", "0"],
        }
    )
    accepted, rejected = split_valid("events", ev)
    assert list(accepted["journey_id"]) == ["j1"]
    assert bool(accepted["converted"].iloc[0]) is True
    by_j = dict(zip(rejected["journey_id"], rejected["reason"]))
    assert "converted: cannot read 'maybe' as true/false" in by_j["j2"]
    assert "touchpoint_id: value is missing" in by_j["j3"] and "revenue: value -1.0 must be >= 0" in by_j["j3"]
    assert "customer_id: value is missing" in by_j["j4"]


def test_missing_required_column_is_a_file_level_error():
    with pytest.raises(SchemaError, match="lacks the column\\(s\\) rating"):
        split_valid("reviews", pd.DataFrame({"review_id": ["1"], "source": ["x"], "ts": ["2026-01-01"],
                                             "text": ["ok"], "touchpoint_id": [None]}))


def test_costs_period_form_and_uniqueness():
    costs = pd.DataFrame({"touchpoint_id": ["a", "a", "b"], "period": ["2026Q3", "2026Q3", "Q3"], "cost": [1, 2, 3]})
    accepted, rejected = split_valid("costs", costs)
    assert accepted.empty
    assert len(rejected) == 3
    assert "wrong form" in rejected.loc[2, "reason"]


def test_every_table_has_required_columns_listed():
    for name in ["events", "feedback", "orders", "reviews", "costs"]:
        assert set(REQUIRED_COLUMNS[name]) <= set(SCHEMAS[name].columns)
    assert "segment" not in REQUIRED_COLUMNS["events"]


def test_empty_frame_is_fine():
    cols = REQUIRED_COLUMNS["orders"]
    accepted, rejected = split_valid("orders", pd.DataFrame({c: pd.Series(dtype=object) for c in cols}))
    assert accepted.empty and rejected.empty


def test_blank_purchase_flag_and_stray_revenue_are_rejected():
    ev = pd.DataFrame({
        "customer_id": ["a", "b", "c"], "ts": ["2026-07-01"] * 3, "touchpoint_id": ["store"] * 3,
        "journey_id": ["j1", "j2", "j3"], "converted": ["", "false", "true"], "revenue": ["899", "120", "50"],
    })
    accepted, rejected = split_valid("events", ev)
    assert list(accepted["journey_id"]) == ["j3"]
    reasons = dict(zip(rejected["journey_id"], rejected["reason"]))
    assert "converted: value is missing" in reasons["j1"]
    assert "revenue on an event that is not a purchase" in reasons["j2"]


def test_satisfied_is_an_optional_nullable_flag():
    frame = pd.DataFrame({
        "response_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "ts": ["2026-07-01 10:00"] * 6,
        "touchpoint_id": ["support"] * 6,
        "csat": [None] * 6,
        "nps": [None] * 6,
        "satisfied": [True, False, None, "yes", "", "maybe"],
    })
    accepted, rejected = split_valid("feedback", frame)
    assert list(accepted["response_id"]) == ["r1", "r2", "r3", "r4", "r5"]
    assert str(accepted["satisfied"].dtype) == "boolean"
    assert accepted["satisfied"].tolist()[:2] == [True, False] and accepted["satisfied"].tolist()[3] is True
    assert accepted["satisfied"].isna().tolist() == [False, False, True, False, True], "not rated stays missing"
    assert rejected["reason"].tolist() == ["satisfied: cannot read 'maybe' as true/false"]
    assert "satisfied" not in REQUIRED_COLUMNS["feedback"]
    without, none_rejected = split_valid("feedback", frame.drop(columns="satisfied").iloc[:2])
    assert "satisfied" not in without and len(without) == 2 and none_rejected.empty


def test_satisfied_is_written_as_a_nullable_parquet_bool(tmp_path):
    import pyarrow.parquet as pq

    from helpers.ingest.core import arrow_schema

    assert str(arrow_schema("feedback", ["response_id", "satisfied"]).field("satisfied").type) == "bool"
    accepted, _ = split_valid("feedback", pd.DataFrame({
        "response_id": ["r1", "r2"], "customer_id": ["a", "b"], "ts": ["2026-07-01", "2026-07-02"],
        "touchpoint_id": ["s", "s"], "csat": [None, None], "nps": [None, None], "satisfied": ["false", None]}))
    path = tmp_path / "f.parquet"
    accepted.to_parquet(path)
    assert pq.read_table(path).column("satisfied").to_pylist() == [False, None]
