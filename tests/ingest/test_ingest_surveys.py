"""Survey tool presets on small files written here in each tool's documented export format (variants the
real-export corpus lacks): Qualtrics legacy, SurveyMonkey option columns, Typeform, Google Forms, Microsoft
Forms (.xlsx written with openpyxl). Run through the real `tpkit add-source` and `tpkit ingest` processes."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

REPO = Path(__file__).resolve().parents[2]

CLIENT_YML = """\
name: Acme  # a comment that must survive --write
timezone: Europe/Copenhagen
touchpoints:
  - {id: store, name: Store, kind: physical, stage: decision}
  - {id: survey, name: Feedback survey, kind: digital, stage: retention}
sources: []
"""


def tpkit(*args, root: Path) -> subprocess.CompletedProcess:
    exe = REPO / ".venv" / "bin" / "tpkit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "helpers.cli"]
    return subprocess.run([*cmd, *args, "--root", str(root)], capture_output=True, text=True, timeout=300)


def setup_client(tmp_path: Path, name: str, content: bytes | str | None = None) -> Path:
    folder = tmp_path / "data" / "acme"
    (folder / "raw").mkdir(parents=True)
    (folder / "client.yml").write_text(CLIENT_YML, encoding="utf-8")
    path = folder / "raw" / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    elif content is not None:
        path.write_bytes(content)
    return path


def add(tmp_path: Path, name: str, *flags: str) -> tuple[subprocess.CompletedProcess, dict]:
    res = tpkit("add-source", "acme", name, "--json", *flags, root=tmp_path)
    return res, (json.loads(res.stdout) if res.stdout.strip().startswith("{") else {})


def ingest_feedback(tmp_path: Path) -> tuple[pd.DataFrame, dict]:
    res = tpkit("ingest", "acme", root=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    processed = tmp_path / "data" / "acme" / "processed"
    return pd.read_parquet(processed / "feedback.parquet"), json.loads((processed / "_manifest.json").read_text())


QUALTRICS_LEGACY = (
    "V1,V2,V3,V4,V5,V6,V7,V8,V9,V10,Q1,Q2,Q3,\r\n"
    "ResponseID,ResponseSet,Name,ExternalDataReference,EmailAddress,IPAddress,Status,StartDate,EndDate,Finished,"
    "How satisfied are you with the store?,How likely are you to recommend us to a friend?,Comments,\r\n"
    "R_a1,Default Response Set,Anonymous,,,10.0.0.1,0,2020-03-01 10:00:00,2020-03-01 10:05:00,1,4,9,Fine,\r\n"
    "R_a2,Default Response Set,Anonymous,,,10.0.0.2,1,2020-03-02 10:00:00,2020-03-02 10:05:00,1,1,0,preview,\r\n"
    "R_a3,Default Response Set,Anonymous,,,10.0.0.3,2,2020-03-03 10:00:00,2020-03-03 10:05:00,1,2,3,test,\r\n"
    "R_a4,Default Response Set,Anonymous,,,10.0.0.4,0,2020-03-04 10:00:00,2020-03-04 11:06:00,1,5,10,"
    "\"Good, fast\",\r\n"
)


def test_qualtrics_legacy_two_header_rows_bom_trailing_comma_preview_and_test_excluded(tmp_path):
    setup_client(tmp_path, "legacy.csv", codecs.BOM_UTF8 + QUALTRICS_LEGACY.encode())
    res, out = add(tmp_path, "legacy.csv", "--touchpoint", "store", "--write")
    assert res.returncode == 0, res.stderr
    assert out["tool"] == "qualtrics" and out["table"] == "feedback"
    assert out["header_rows"] == 2 and out["rows"] == 4 and out["excluded"] == 2
    assert out["csat"] == "Q1" and out["nps"] == "Q2"  # found by their wording and 1-5 / 0-10 values
    assert out["ts_min"] == "2020-03-01T10:05:00" and out["ts_max"] == "2020-03-04T11:06:00"
    assert "# a comment that must survive --write" in (tmp_path / "data/acme/client.yml").read_text()
    fb, man = ingest_feedback(tmp_path)
    assert sorted(fb["response_id"]) == ["R_a1", "R_a4"]
    assert fb["csat"].sum() == 9 and fb["nps"].sum() == 19
    entry = man["files"][0]
    assert entry["rejected"] == 2 and any("preview response" in n for n in entry["notes"])


QUALTRICS_CURRENT_TEST = (
    "StartDate,EndDate,Status,RecordedDate,ResponseId,DistributionChannel,Q1,Q2\n"
    "Start Date,End Date,Response Type,Recorded Date,Response ID,Distribution Channel,"
    "Hvor tilfreds er du med butikken?,Hvor sandsynligt er det at du vil anbefale os til en ven?\n"
    '"{""ImportId"":""startDate"",""timeZone"":""Europe/Copenhagen""}","{""ImportId"":""endDate"",""timeZone"":'
    '""Europe/Copenhagen""}","{""ImportId"":""status""}","{""ImportId"":""recordedDate"",""timeZone"":'
    '""Europe/Copenhagen""}","{""ImportId"":""_recordId""}","{""ImportId"":""distributionChannel""}",'
    '"{""ImportId"":""QID1""}","{""ImportId"":""QID2_NPS_GROUP""}"\n'
    "2024-05-01 09:00:00,2024-05-01 09:03:00,IP Address,2024-05-01 09:03:01,R_b1,anonymous,5,10\n"
    "2024-05-02 09:00:00,2024-05-02 09:03:00,Survey Preview,2024-05-02 09:03:01,R_b2,preview,1,0\n"
    "2024-05-03 09:00:00,2024-05-03 09:03:00,Survey Test,2024-05-03 09:03:01,R_b3,test,2,2\n"
)


def test_qualtrics_current_danish_questions_and_distribution_channel(tmp_path):
    setup_client(tmp_path, "q.csv", QUALTRICS_CURRENT_TEST)
    res, out = add(tmp_path, "q.csv", "--touchpoint", "survey", "--write")
    assert res.returncode == 0, res.stderr
    assert (out["tool"], out["header_rows"], out["rows"], out["excluded"]) == ("qualtrics", 3, 3, 2)
    assert out["csat"] == "Q1" and out["nps"] == "Q2"
    fb, _ = ingest_feedback(tmp_path)
    assert fb["response_id"].tolist() == ["R_b1"]
    # 09:03:01 in Copenhagen (CEST, UTC+2) as the ImportId row names the zone
    assert fb["ts"].tolist() == [pd.Timestamp("2024-05-01 07:03:01")]


SURVEYMONKEY = (
    "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,"
    "How satisfied were you with our support?,Which products do you own?,,,"
    "How likely is it that you would recommend us to a friend?,Which products do you own next year?,\n"
    ",,,,,,Response,Phone,Tablet,Other (please specify),Response,Phone,Other (please specify)\n"
    "1001,50,03/14/2021 09:01:02 AM,03/14/2021 09:05:00 PM,10.0.0.1,a@example.com,4,Phone,,,9,Phone,\n"
    "1002,50,04/02/2021 11:00:00 AM,04/02/2021 12:15:30 PM,10.0.0.2,b@example.com,2,,Tablet,a watch,6,,a ring\n"
)


def test_surveymonkey_option_rows_combined_into_unique_names(tmp_path):
    setup_client(tmp_path, "sm.csv", SURVEYMONKEY)
    res, out = add(tmp_path, "sm.csv", "--touchpoint", "survey", "--write")
    assert res.returncode == 0, res.stderr
    assert (out["tool"], out["header_rows"], out["rows"]) == ("surveymonkey", 2, 2)
    assert out["csat"] == "How satisfied were you with our support?"
    assert out["nps"] == "How likely is it that you would recommend us to a friend?"
    assert out["date_order"] == "MDY"  # 03/14/2021 proves month-first
    assert out["ts_min"] == "2021-03-14T21:05:00" and out["ts_max"] == "2021-04-02T12:15:30"
    fb, man = ingest_feedback(tmp_path)
    assert sorted(fb["response_id"]) == ["1001", "1002"]
    assert fb["csat"].sum() == 6 and fb["nps"].sum() == 15
    notes = " ".join(man["files"][0].get("notes", []))
    assert "Other (please specify)" not in notes or "_2" not in notes  # combined names are unique already


TYPEFORM = (
    "#,How satisfied are you with the delivery?,Shoes,Shirts,Other,Hats,Other,"
    "Hvor sandsynligt er det at du vil anbefale os?,Start Date (UTC),Submit Date (UTC),Network ID\n"
    "abc1,5,Shoes,,,Hats,,10,3/11/20 23:40,3/11/20 23:44,n1\n"
    "abc2,3,,Shirts,socks,,scarf,7,4/1/20 08:00,4/1/20 08:02,n2\n"
    "abc3,4,Shoes,Shirts,,,,8,12/2/20 10:10,12/2/20 10:12,n3\n"
)


def test_typeform_us_dates_read_month_first_when_values_cannot_tell(tmp_path):
    setup_client(tmp_path, "tf.csv", TYPEFORM)
    res, out = add(tmp_path, "tf.csv", "--touchpoint", "survey", "--write")
    assert res.returncode == 0, res.stderr
    assert out["tool"] == "typeform" and out["rows"] == 3
    assert out["nps"] == "Hvor sandsynligt er det at du vil anbefale os?"
    assert out["ts_min"] == "2020-03-11T23:44:00"  # 11 March, not 3 November
    assert out["ts_max"] == "2020-12-02T10:12:00"  # 2 December, not 12 February
    fb, man = ingest_feedback(tmp_path)
    assert len(fb) == 3
    # Typeform writes UTC: stored as it is
    assert sorted(fb["ts"]) == [pd.Timestamp("2020-03-11 23:44"), pd.Timestamp("2020-04-01 08:02"),
                                pd.Timestamp("2020-12-02 10:12")]
    assert any("Other_2" in n for n in man["files"][0]["notes"])  # the repeated option label is renamed


def test_google_forms_ambiguous_days_month_first(tmp_path):
    text = ("Timestamp,How satisfied are you with the store?\r\n"
            "10/4/2022 20:39:15,4\r\n5/6/2022 08:00:00,5\r\n")
    setup_client(tmp_path, "gf.csv", text)
    res, out = add(tmp_path, "gf.csv", "--touchpoint", "store")
    assert res.returncode == 0, res.stderr
    assert out["tool"] == "google-forms" and out["csat"] == "How satisfied are you with the store?"
    assert out["ts_min"] == "2022-05-06T08:00:00" and out["ts_max"] == "2022-10-04T20:39:15"


def test_generic_export_with_undecidable_dates_is_refused_not_read_day_first(tmp_path):
    text = "Response ID,Date,How satisfied are you?\n1,10/4/2022,4\n2,5/6/2022,5\n"
    setup_client(tmp_path, "x.csv", text)
    res, out = add(tmp_path, "x.csv", "--touchpoint", "store")
    assert out["tool"] == "generic"
    assert res.returncode == 2 and "--date-order" in res.stderr
    res, out = add(tmp_path, "x.csv", "--touchpoint", "store", "--date-order", "MDY")
    assert res.returncode == 0, res.stderr
    assert out["ts_max"] == "2022-10-04T00:00:00" and out["source"]["date_order"] == "MDY"


def test_microsoft_forms_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Start time", "Completion time", "Email", "Name", "Hur nöjd är du med butiken?",
               "Hvor sannsynlig er det at du vil anbefale oss?"])
    ws.append([1, dt.datetime(2024, 2, 3, 9, 0), dt.datetime(2024, 2, 3, 9, 4, 30), "anonymous", None, 4, 9])
    ws.append([2, dt.datetime(2024, 2, 5, 9, 0), dt.datetime(2024, 2, 5, 9, 2, 0), "anonymous", None, 2, 5])
    path = setup_client(tmp_path, "forms.xlsx")
    wb.save(path)
    res, out = add(tmp_path, "forms.xlsx", "--touchpoint", "store", "--write")
    assert res.returncode == 0, res.stderr
    assert (out["tool"], out["table"], out["rows"], out["delimiter"]) == ("microsoft-forms", "feedback", 2, None)
    assert out["csat"] == "Hur nöjd är du med butiken?"
    assert out["nps"] == "Hvor sannsynlig er det at du vil anbefale oss?"
    assert out["ts_min"] == "2024-02-03T09:04:30" and out["ts_max"] == "2024-02-05T09:02:00"
    fb, _ = ingest_feedback(tmp_path)
    assert sorted(fb["response_id"]) == ["1", "2"]
    assert fb["customer_id"].isna().all()  # "anonymous" is nobody's id
    assert fb["csat"].sum() == 6 and fb["nps"].sum() == 14


def test_two_nps_questions_exit_2_naming_nps(tmp_path):
    text = ("Timestamp,How likely are you to recommend the store?,How likely are you to recommend the app?\n"
            "9/27/2022 11:39:02,9,7\n")
    setup_client(tmp_path, "two.csv", text)
    res, _ = add(tmp_path, "two.csv", "--touchpoint", "store")
    assert res.returncode == 2 and "--nps COLUMN" in res.stderr


def test_unknown_tool_is_a_clear_error(tmp_path):
    setup_client(tmp_path, "gf.csv", "Timestamp,Q\n9/27/2022 11:39:02,4\n")
    res, _ = add(tmp_path, "gf.csv", "--tool", "qualtrix")
    assert res.returncode == 2 and "did you mean 'qualtrics'" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_presets_registered(kind):
    from helpers.ingest.adapters import tools

    for name in ("qualtrics", "surveymonkey", "typeform", "google-forms", "microsoft-forms", "generic"):
        assert name in tools and tools.get(name).tables == ("feedback",)
