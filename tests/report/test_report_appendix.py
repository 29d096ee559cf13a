"""The appendix's input-data section: files of the ingest manifest and the warnings ingest recorded."""

from __future__ import annotations

import json

from helpers.report.appendix import ingest_warnings, inputs_section, warnings_section

FILES = [{"table": "events", "file": "raw/ga4.parquet", "sha256": "ab" * 32, "rows_read": 10, "accepted": 10,
          "rejected": 0, "warnings": ["segment_property 'tier' is not in the data: 10 of 10 records have no value"]},
         {"table": "feedback", "file": "raw/<survey>.csv", "sha256": "cd" * 32, "rows_read": 3, "accepted": 3,
          "rejected": 0}]


def _manifest(tmp_path, manifest):
    folder = tmp_path / "data" / "acme" / "processed"
    folder.mkdir(parents=True)
    (folder / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_warnings_from_ingest_are_listed_and_escaped(tmp_path):
    top = ["raw/ga4.parquet: segment_property 'tier' is not in the data: 10 of 10 records have no value",
           "raw/<survey>.csv: the column '<script>alert(1)</script>' (mapped to 'segment') has no value"]
    _manifest(tmp_path, {"files": FILES, "warnings": top})
    html = inputs_section("acme", tmp_path)
    assert "Warnings from ingest" in html
    assert html.count("<li>") == 2
    assert "segment_property &#x27;tier&#x27; is not in the data" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("Rows read") < html.index("Warnings from ingest"), "after the table of files"


def test_no_warnings_no_section(tmp_path):
    files = [{k: v for k, v in f.items() if k != "warnings"} for f in FILES]
    _manifest(tmp_path, {"files": files, "warnings": []})
    html = inputs_section("acme", tmp_path)
    assert "raw/&lt;survey&gt;.csv" in html and "Warnings from ingest" not in html
    assert warnings_section({"files": files}) == ""


def test_file_warnings_are_used_when_the_manifest_has_no_top_level_list():
    assert ingest_warnings({"files": FILES}) == [
        "raw/ga4.parquet: segment_property 'tier' is not in the data: 10 of 10 records have no value"]
    same = "raw/a.csv: 3 purchase events have no revenue"
    assert warnings_section({"warnings": [same, same]}).count("<li>") == 1
