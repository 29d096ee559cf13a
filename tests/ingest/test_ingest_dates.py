"""Day/month order decided per column from all its values; US exports read month-first or refused."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from helpers.errors import SchemaError
from helpers.ingest import ingest_client, load_manifest
from helpers.ingest.convert import date_order
from ingest_helpers import make_client

HEAD = "response_id,customer_id,ts,touchpoint_id,csat,nps\n"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "real-exports"


def _feedback(tmp_path, dates, **source):
    body = "".join(f"r{i},c{i},{d},web,4,8\n" for i, d in enumerate(dates))
    make_client(tmp_path, files={"f.csv": HEAD + body},
                sources=[{"table": "feedback", "file": "raw/f.csv", **source}])
    return ingest_client("acme", root=tmp_path)


def test_order_is_proven_by_a_part_above_twelve():
    assert date_order(pd.Series(["10/4/2022 20:39:15", "9/27/2022 11:39:02"]))[0] == "MDY"
    assert date_order(pd.Series(["27/9/2022", "10/4/2022"]))[0] == "DMY"
    assert date_order(pd.Series(["10/4/2022", "3/11/20"]))[0] == "?"
    assert date_order(pd.Series(["13/1/2022", "1/13/2022"]))[0] == "mixed"
    assert date_order(pd.Series(["01.07.2026", "02.07.2026"]))[0] == "DMY"  # the dotted form is day-first
    assert date_order(pd.Series(["2026-07-01", "31-13-2025"]))[0] is None  # no date in either order: a reject


def test_us_dates_are_read_month_first_when_one_value_proves_it(tmp_path):
    # 10/4 alone could be either; 9/27 proves month-first for the whole column (UTC client time zone below)
    _feedback(tmp_path, ["10/4/2022 20:39:15", "9/27/2022 11:39:02"], timezone="UTC")
    ts = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet").sort_values("ts")["ts"].tolist()
    assert ts == [pd.Timestamp("2022-09-27 11:39:02"), pd.Timestamp("2022-10-04 20:39:15")]
    assert load_manifest("acme", tmp_path)["files"][0]["date_order"] == "MDY"


def test_the_deciding_value_may_come_late_in_the_file(tmp_path):
    dates = ["3/11/20 23:44"] * 5 + ["3/25/20 10:00"]
    _feedback(tmp_path, dates, timezone="UTC")
    ts = pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet")["ts"]
    assert ts.min() == pd.Timestamp("2020-03-11 23:44")  # two-digit year, month first: 11 March 2020


def test_undecidable_dates_are_an_error_naming_file_column_and_the_option(tmp_path):
    with pytest.raises(SchemaError) as exc:
        _feedback(tmp_path, ["10/4/2022", "3/11/2022"])
    text = str(exc.value)
    assert "raw/f.csv" in text and "'ts'" in text and "date_order" in text and "date_format" in text
    assert not (tmp_path / "data/acme/processed").exists()


def test_date_order_in_client_yml_decides(tmp_path):
    _feedback(tmp_path, ["10/4/2022", "3/11/2022"], date_order="DMY", timezone="UTC")
    ts = sorted(pd.read_parquet(tmp_path / "data/acme/processed/feedback.parquet")["ts"].tolist())
    assert ts == [pd.Timestamp("2022-04-10"), pd.Timestamp("2022-11-03")]


def test_mixed_orders_are_an_error(tmp_path):
    with pytest.raises(SchemaError, match="mix day-first"):
        _feedback(tmp_path, ["13/1/2022", "1/13/2022"])


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-export corpus is not beside the repository ({CORPUS})")
def test_real_google_forms_export_is_read_month_first(tmp_path):
    path = CORPUS / "survey" / "google_forms_social_media_survey_responses.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        records = list(csv.reader(fh))
    stamps = [dt.datetime.strptime(r[0], "%m/%d/%Y %H:%M:%S") for r in records[1:] if r and r[0]]
    make_client(tmp_path, files={"forms.csv": path}, timezone="UTC", sources=[
        {"table": "feedback", "file": "raw/forms.csv", "adapter": "survey",
         "columns": {"ts": "Timestamp"}}])
    result = ingest_client("acme", root=tmp_path)
    rep = result.files[0]
    assert rep.rows_read == len(records) - 1 == 40
    assert rep.date_order == "MDY"
    assert rep.min_ts == min(stamps).isoformat() and rep.max_ts == max(stamps).isoformat()
