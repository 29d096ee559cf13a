"""Source options in client.yml are checked before any file is read: unknown keys, wrong values, conflicts.

And the optional columns a source maps by name are checked against the data (a warning when empty).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.errors import ConfigError
from helpers.ingest import ingest_client
from ingest_helpers import make_client

TPKIT = Path(sys.executable).with_name("tpkit")
FEEDBACK = ("response_id,customer_id,ts,touchpoint_id,csat,nps,Kundetype\n"
            "r1,c1,2026-05-01 10:00:00,web,4,9,\n"
            "r2,c2,2026-05-02 11:00:00,store,5,10,\n")
REVIEWS = "id,date,stars,text,Shop\nv1,2026-05-01,4,Fine,Store\n"


def _source(**opts):
    return {"table": "feedback", "file": "raw/feedback.csv", **opts}


@pytest.mark.parametrize(
    "source,words",
    [
        (_source(adapter="survey", layout="bogus"),
         ["`layout`: 'bogus' is not allowed", "allowed values: long, wide"]),
        (_source(adapter="survey", layout="wdie"), ["did you mean 'wide'?"]),
        (_source(header_row=0), ["`header_row`", "counts from 1", "not 0"]),
        (_source(adapter="survey", csat_colums={"web": "Q1"}),
         ["unknown option 'csat_colums'", "did you mean 'csat_columns'?", "csat_columns, comment_columns"]),
        (_source(delimeter=";"), ["unknown option 'delimeter'", "did you mean 'delimiter'?"]),
        (_source(columns={"custmer_id": "Kunde"}),
         ["`columns.custmer_id`", "did you mean 'customer_id'?", "maps response_id, survey_id"]),
        (_source(touchpoint_map={"Butik": "stor"}),
         ["`touchpoint_map`", "'Butik' maps to 'stor', which is not in the touchpoint catalogue",
          "did you mean 'store'?"]),
        (_source(constants={"sorce": "survey"}), ["`constants`", "did you mean 'source'?"]),
        (_source(timezone="Europe/Copenhagn"), ["`timezone`", "not an IANA time zone"]),
        (_source(adapter="survey", scale_labels={"Very good": "five"}),
         ["`scale_labels`", "the value of 'Very good' must be a number or null (= no answer), not 'five'"]),
        (_source(adapter="survey", csat_columns={"checkout": "Q1"}),
         ["`csat_columns`", "the touchpoint 'checkout' is not in the touchpoint catalogue"]),
        (_source(adapter="coding", kind="interviews"), ["`kind`", "did you mean 'interview'?"]),
        (_source(adapter="coding", sentiment_range=[2, -2]), ["`sentiment_range`", "lowest and the highest"]),
        (_source(tool="qualtrix"), ["unknown tool 'qualtrix'"]),
        (_source(tool="zendesk", table="orders"), ["tool 'zendesk' feeds events or feedback, not 'orders'"]),
        ({"table": "orders", "file": "raw/feedback.csv", "adapter": "crm", "exclude": {"colum": "Status"}},
         ["`exclude`", "did you mean 'column'?"]),
        ({"table": "events", "file": "raw/feedback.csv", "tool": "ga4", "journey": "visit"},
         ["`journey`", "allowed values: session, user"]),
    ],
)
def test_wrong_options_are_config_errors_naming_the_source_and_the_allowed_values(tmp_path, source, words):
    make_client(tmp_path, files={"feedback.csv": FEEDBACK}, sources=[source])
    with pytest.raises(ConfigError) as info:
        ingest_client("acme", root=tmp_path)
    msg = str(info.value)
    assert "client.yml" in msg and "sources[0]" in msg, msg
    for w in words:
        assert w in msg, msg


@pytest.mark.parametrize(
    "source,words",
    [
        ({"table": "reviews", "file": "raw/reviews.csv", "adapter": "reviews", "touchpoint": "store",
          "columns": {"touchpoint_id": "Shop"}},
         ["`touchpoint`: sets 'touchpoint_id' of every row, but `columns:` also maps 'touchpoint_id'", "'Shop'"]),
        ({"table": "reviews", "file": "raw/reviews.csv", "adapter": "reviews", "site": "trustpilot",
          "constants": {"source": "google"}}, ["`site`", "as `constants.source` does"]),
        ({"table": "reviews", "file": "raw/reviews.csv", "constants": {"touchpoint_id": "store"},
          "columns": {"touchpoint_id": "Shop"}}, ["`constants.touchpoint_id`", "also maps it"]),
        ({"table": "reviews", "file": "raw/reviews.csv", "adapter": "reviews", "sheet": "Reviews"},
         ["`sheet`: is for Excel workbooks"]),
        ({"table": "feedback", "file": "raw/reviews.csv", "adapter": "survey", "layout": "long",
          "csat_columns": {"web": "stars"}}, ["`layout`: is 'long'", "wide export"]),
        ({"table": "feedback", "file": "raw/reviews.csv", "adapter": "survey", "overall_csat": "stars"},
         ["`overall_csat`: is read only from a wide export"]),
        ({"table": "events", "file": "raw/reviews.csv", "tool": "ga4", "timezone": "Europe/Oslo"},
         ["`timezone`: GA4's event_timestamp is always UTC"]),
    ],
)
def test_conflicting_options_are_config_errors(tmp_path, source, words):
    make_client(tmp_path, files={"reviews.csv": REVIEWS}, sources=[source])
    with pytest.raises(ConfigError) as info:
        ingest_client("acme", root=tmp_path)
    for w in words:
        assert w in str(info.value), str(info.value)


def test_every_wrong_source_is_named_at_once(tmp_path):
    make_client(tmp_path, files={"feedback.csv": FEEDBACK},
                sources=[_source(header_row=0), _source(adapter="survey", layout="bogus"), _source()])
    with pytest.raises(ConfigError) as info:
        ingest_client("acme", root=tmp_path)
    msg = str(info.value)
    assert "2 sources are configured wrongly" in msg and "sources[0]" in msg and "sources[1]" in msg
    assert "sources[2]" not in msg


def _validate(root: Path, client: str = "acme"):
    return subprocess.run([str(TPKIT), "validate", client, "--root", str(root)], capture_output=True, text=True,
                          timeout=300, env={**os.environ})


def test_tpkit_validate_exits_non_zero_with_the_message_and_no_traceback(tmp_path):
    make_client(tmp_path, files={"feedback.csv": FEEDBACK},
                sources=[_source(adapter="survey", layout="bogus", header_row=0)])
    out = _validate(tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    assert "client.yml" in out.stderr and "allowed values: long, wide" in out.stderr

    make_client(tmp_path, files={"feedback.csv": FEEDBACK}, sources=[_source()],
                touchpoints=[{"id": "web", "name": "Website", "kind": "digital", "stage": "awarness"}])
    out = _validate(tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "touchpoints[0].stage" in out.stderr and "did you mean 'awareness'?" in out.stderr

    make_client(tmp_path, files={"feedback.csv": FEEDBACK}, sources=[_source()], sparks={"master": "local[2]"})
    out = _validate(tmp_path)
    assert out.returncode == 2 and "unknown key 'sparks' at the top level" in out.stderr

    make_client(tmp_path, files={"feedback.csv": FEEDBACK}, sources=[_source()])
    out = _validate(tmp_path)
    assert out.returncode == 0, out.stderr


def test_a_mapped_segment_column_without_values_is_a_warning(tmp_path):
    make_client(tmp_path, files={"feedback.csv": FEEDBACK}, sources=[_source(columns={"segment": "Kundetype"})])
    result = ingest_client("acme", root=tmp_path)
    expected = "the column 'Kundetype' (mapped to 'segment' in client.yml) has no value in any row"
    assert any(expected in w for w in result.files[0].warnings), result.files[0].warnings
    assert expected in result.format()
    manifest = json.loads((tmp_path / "data/acme/processed/_manifest.json").read_text())
    assert any(expected in w for w in manifest["warnings"])
    assert any(expected in w for w in manifest["files"][0]["warnings"])

    filled = FEEDBACK.replace("9,\n", "9,b2b\n")
    make_client(tmp_path, files={"feedback.csv": filled}, sources=[_source(columns={"segment": "Kundetype"})])
    assert not ingest_client("acme", root=tmp_path).files[0].warnings


def test_scale_labels_null_is_no_answer_and_an_unmapped_label_is_a_reject(tmp_path):
    import pandas as pd

    from helpers.ingest import ingest_client
    from ingest_helpers import make_client

    fb = ("response_id,customer_id,ts,touchpoint_id,csat\n"
          "r1,c1,2026-05-01 10:00:00,web,Very good\n"
          "r2,c2,2026-05-01 11:00:00,web,Don't know\n"
          "r3,c3,2026-05-01 12:00:00,web,Smashing\n")
    make_client(tmp_path, files={"feedback.csv": fb},
                sources=[{"table": "feedback", "file": "raw/feedback.csv", "adapter": "survey",
                          "scale_labels": {"Very good": 5, "Don't know": None}}])
    ingest_client("acme", root=tmp_path)
    kept = pd.read_parquet(tmp_path / "data" / "acme" / "processed" / "feedback.parquet")
    assert sorted(kept["response_id"]) == ["r1", "r2"]
    assert kept.set_index("response_id")["csat"].to_dict()["r1"] == 5.0
    assert pd.isna(kept.set_index("response_id")["csat"]["r2"])  # "Don't know" is no answer
    rejects = pd.read_csv(tmp_path / "data" / "acme" / "rejects" / "feedback.csv")
    assert len(rejects) == 1 and "csat" in rejects["reason"].iloc[0]
