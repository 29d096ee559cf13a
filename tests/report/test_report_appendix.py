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


CORPUS = __import__("pathlib").Path(__file__).resolve().parents[2].parent / "shared" / "real-exports"
GA4 = CORPUS / "ga4" / "ga4_events_sampled.snappy.parquet"


def test_ingest_warnings_reach_the_appendix(tmp_path, monkeypatch):
    """From the raw export to the report: a mapped segment column without values, a GA4 property not in
    the data (when the real-export corpus is there), each in ingest's summary, the manifest and the appendix."""
    import yaml

    from helpers.ingest import ingest_client

    monkeypatch.setenv("TPKIT_KEY", "test-key-not-secret")
    folder = tmp_path / "data" / "acme"
    (folder / "raw").mkdir(parents=True)
    (folder / "raw" / "feedback.csv").write_text(
        "response_id,customer_id,ts,touchpoint_id,csat,nps,Kundetype\nr1,c1,2026-05-01 10:00:00,web,4,9,\n",
        encoding="utf-8")
    sources = [{"table": "feedback", "file": "raw/feedback.csv", "columns": {"segment": "Kundetype"}}]
    expected = ["the column 'Kundetype' (mapped to 'segment' in client.yml) has no value in any row"]
    if GA4.is_file():
        (folder / "raw" / GA4.name).symlink_to(GA4)
        sources.append({"table": "events", "file": f"raw/{GA4.name}", "tool": "ga4",
                        "segment_property": "loyalty_tier"})
        expected.append("segment_property &#x27;loyalty_tier&#x27; is not in the data: 24,219 of 24,219 records")
    cfg = {"name": "Acme", "touchpoints": [{"id": "web", "name": "Website", "kind": "digital",
                                            "stage": "consideration"}], "sources": sources}
    (folder / "client.yml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    summary = ingest_client("acme", root=tmp_path).format()
    html = inputs_section("acme", tmp_path)
    for text in expected:
        assert text.replace("&#x27;", "'") in summary, summary
        assert text.replace("'", "&#x27;") in html, html
