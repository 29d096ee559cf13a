"""Report runner: parameters, kernels, faults, incremental rebuilds, rendering and the executive summary.

Stand-in notebooks (tests/report_helpers.py) keep kernel runs to about a second each.
"""

from __future__ import annotations

import json
import time

import nbformat
import pandas as pd
import pytest

from helpers import artifacts, report
from helpers.errors import ClientNotFoundError, ParameterError
from helpers.report import render, runner, summary
from report_helpers import PARAMETERS, STEP_ONE, STEP_TWO, make_project, notebooks_dir, write_notebook

QUIET = {"progress": False, "echo": None}


@pytest.fixture
def project(tmp_path):
    root = make_project(tmp_path / "proj", {"acme": "Acme & Co", "beta": "Beta Retail"})
    nbs = notebooks_dir(tmp_path / "nbs")
    write_notebook(nbs / "01-one.ipynb", "Step 1: One", *STEP_ONE)
    write_notebook(nbs / "02-two.ipynb", "Step 2: Two", *STEP_TWO)
    return root, nbs


def _html(root, client="acme", period="2026Q3"):
    return (root / "reports" / client / period / "report.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- parameters (no kernel)

def test_unknown_parameter_is_an_error_not_a_warning(project):
    root, nbs = project
    write_notebook(nbs / "03-old.ipynb", "Old", "x = 1", parameters='client = ""\nperiod = ""\nroot = ""')
    with pytest.raises(ParameterError, match=r"03-old.ipynb does not take the parameter\(s\) artifacts_dir"):
        report.build_reports("2026Q3", clients=["acme"], root=root, notebooks_dir=nbs, **QUIET)
    assert not (root / "reports").exists(), "nothing runs when a notebook's parameters do not match"


def test_required_parameter_without_value_and_missing_parameters_cell(project):
    root, nbs = project
    nb = write_notebook(nbs / "03-x.ipynb", "X", parameters=PARAMETERS + "\nthreshold = None")
    with pytest.raises(ParameterError, match="needs a value for threshold"):
        report.check_parameters(nb, {"client": 1, "period": 1, "root": 1, "artifacts_dir": 1})
    report.check_parameters(nb, {"client": 1, "period": 1, "root": 1, "artifacts_dir": 1, "threshold": 0.5})
    bare = write_notebook(nbs / "04-y.ipynb", "Y", "x = 1", parameters=None)
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        report.check_parameters(bare, {"client": 1})


def test_extra_parameters_reach_notebooks_that_declare_them(project):
    root, nbs = project
    with pytest.raises(ParameterError, match="does not take the parameter"):
        report.plan("2026Q3", ["acme"], root=root, notebooks_dir=nbs, parameters={"top_n": 3})


def test_unknown_client_and_bad_period(project):
    root, nbs = project
    with pytest.raises(ClientNotFoundError, match="known clients: acme, beta"):
        report.build_reports("2026Q3", clients=["nope"], root=root, notebooks_dir=nbs, **QUIET)
    from helpers.errors import PeriodError

    with pytest.raises(PeriodError):
        report.build_reports("Q3-2026", clients=["acme"], root=root, notebooks_dir=nbs, **QUIET)


def test_the_kit_notebooks_follow_the_contract():
    steps, summary_nb = report.find_notebooks()
    assert summary_nb.name == "00-summary.ipynb" and steps[0].name.startswith("01-")
    for nb in (*steps, summary_nb):
        report.check_parameters(nb, {n: "" for n in runner.CONTRACT})


# ----------------------------------------------------------------------------- building (kernels)

def test_build_skip_and_byte_identical_rebuild(project, monkeypatch):
    root, nbs = project
    # the kit's own code is the same throughout this test even if the checkout is being edited meanwhile
    monkeypatch.setattr(runner.provenance, "code_hash", lambda template_dir=None: "code")
    monkeypatch.setattr(runner.provenance, "code_version", lambda: "tpkit test")
    batch = report.build_reports("2026Q3", clients=["acme", "beta"], jobs=1, root=root, notebooks_dir=nbs, **QUIET)
    assert batch.ok and batch.exit_code == 0, batch.table()
    assert [r.status for r in batch.results] == ["built", "built"]
    out = root / "reports" / "acme" / "2026Q3"
    html = _html(root)
    # summary first, then the steps in order, then the appendix
    order = [html.index(s) for s in ("Executive summary", "Step 1: One", "Step 2: Two", "Methods and provenance")]
    assert order == sorted(order)
    assert "Step one ran for acme in 2026Q3." in html and "Finding about acme" in html
    for hidden in ("NOISE ON STDERR", "NOISY WARNING", "A BARE REPR", "display.say", "LEFT_BEHIND", "artifacts_dir ="):
        assert hidden not in html, hidden
    assert "Acme &amp; Co" in html and "#7a1f5c" in html
    assert "<script" not in html.lower()
    assert sorted(p.name for p in (out / "notebooks").glob("*.ipynb")) == ["00-summary.ipynb", "01-one.ipynb",
                                                                        "02-two.ipynb"]
    kept = nbformat.read(out / "notebooks" / "02-two.ipynb", as_version=4)
    assert "papermill" not in kept.metadata and all("execution" not in c.metadata for c in kept.cells)
    run = json.loads((out / "run.json").read_text())
    assert set(run["notebooks"]) == {"00-summary.ipynb", "01-one.ipynb", "02-two.ipynb"} and run["inputs"]
    assert not list((root / "reports" / "acme").glob(".*building*"))

    started = time.perf_counter()
    again = report.build_reports("2026Q3", root=root, notebooks_dir=nbs, **QUIET)
    assert time.perf_counter() - started < 2
    assert [r.status for r in again.results] == ["skipped", "skipped"]

    (root / "data" / "beta" / "client.yml").write_text(
        (root / "data" / "beta" / "client.yml").read_text().replace("Beta Retail", "Beta Stores"))
    changed = report.build_reports("2026Q3", root=root, notebooks_dir=nbs, **QUIET)
    assert [r.status for r in changed.results] == ["skipped", "built"]
    assert "Beta Stores" in _html(root, "beta")

    forced = report.build_reports("2026Q3", clients=["acme"], force=True, root=root, notebooks_dir=nbs, **QUIET)
    assert forced.results[0].status == "built"
    assert _html(root) == html, "same inputs must give a byte-identical report"


def test_failure_keeps_last_good_report_and_other_clients_go_on(project, tmp_path):
    root, nbs = project
    write_notebook(nbs / "03-fragile.ipynb", "Step 3: Fragile",
                   'if client == "beta":\n    raise ValueError("no data for beta")', 'x = 1')
    good = root / "reports" / "beta" / "2026Q3"
    good.mkdir(parents=True)
    (good / "report.html").write_text("last good report")
    batch = report.build_reports("2026Q3", jobs=2, root=root, notebooks_dir=nbs, **QUIET)
    assert not batch.ok and batch.exit_code == 1
    status = {r.client: r for r in batch.results}
    assert status["acme"].status == "built" and status["beta"].status == "failed"
    assert (good / "report.html").read_text() == "last good report"
    failed = status["beta"].failed_notebook
    assert failed == good / "failed" / "03-fragile.ipynb" and failed.is_file()
    assert "no data for beta" in failed.read_text() and "ValueError" in status["beta"].error
    assert "03-fragile.ipynb" in status["beta"].error
    table = batch.table()
    assert "failed" in table and str(failed.name) in table and "report.html" in table
    assert not list((root / "reports" / "beta").glob(".*building*"))


def test_dead_kernel_is_retried_once_on_a_fresh_kernel(project):
    root, nbs = project
    write_notebook(nbs / "03-crash.ipynb", "Step 3: Crash",
                   "import os, pathlib\nmarker = pathlib.Path(root) / 'crashed-once'\n"
                   "if not marker.exists():\n    marker.touch()\n    os._exit(1)",
                   'from helpers import display\ndisplay.say("survived")')
    batch = report.build_reports("2026Q3", clients=["acme"], root=root, notebooks_dir=nbs, **QUIET)
    assert batch.ok, batch.table()
    assert (root / "crashed-once").exists() and "survived" in _html(root)


def test_cell_timeout_fails_the_client(project):
    root, nbs = project
    write_notebook(nbs / "03-slow.ipynb", "Step 3: Slow", "import time\ntime.sleep(60)")
    started = time.perf_counter()
    # the timeout holds for every cell: 10 s leaves room for the first imports on a loaded machine
    batch = report.build_reports("2026Q3", clients=["acme"], root=root, notebooks_dir=nbs, timeout=10, **QUIET)
    assert time.perf_counter() - started < 58, "the 60 s cell was stopped"
    assert not batch.ok and "03-slow.ipynb" in batch.results[0].error
    assert (root / "reports" / "acme" / "2026Q3" / "failed" / "03-slow.ipynb").is_file()


def test_interrupt_leaves_no_half_written_report(project, monkeypatch):
    root, nbs = project
    good = root / "reports" / "acme" / "2026Q3"
    good.mkdir(parents=True)
    (good / "report.html").write_text("last good report")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "render_client", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.build_reports("2026Q3", clients=["acme"], force=True, root=root, notebooks_dir=nbs, **QUIET)
    assert (good / "report.html").read_text() == "last good report"
    assert sorted(p.name for p in (root / "reports" / "acme").iterdir()) == ["2026Q3"]
    assert sorted(p.name for p in good.iterdir()) == ["report.html"]


# ----------------------------------------------------------------------------- rendering (no kernel)

def _executed(cells, outputs):
    nb = nbformat.v4.new_notebook(metadata={"papermill": {"duration": 1.2},
                                            "kernelspec": {"name": "python3", "display_name": "Python 3"},
                                            "widgets": {}})
    for source, outs in zip(cells, outputs):
        if source.startswith("#"):
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
            continue
        c = nbformat.v4.new_code_cell(source, metadata={"papermill": {"start_time": "now"},
                                                         "execution": {"iopub.status.busy": "now"}})
        c.outputs = [nbformat.from_dict(o) for o in outs]
        c.execution_count = 7
        nb.cells.append(c)
    return nb


def test_clean_notebook_strips_volatile_metadata():
    nb = _executed(["x = 1"], [[]])
    clean = render.clean_notebook(nb, prefix="01-one")
    assert "papermill" not in clean.metadata and "widgets" not in clean.metadata
    assert clean.cells[0].metadata == {} and clean.cells[0].id == "01-one-0"
    nbformat.validate(clean)


def test_report_preprocessor_keeps_only_what_a_client_reads():
    nb = _executed(
        ["p = 1", "a", "b", "c"],
        [[{"output_type": "stream", "name": "stdout", "text": "kept"}],
         [{"output_type": "stream", "name": "stderr", "text": "warn"},
          {"output_type": "error", "ename": "E", "evalue": "v", "traceback": []}],
         [{"output_type": "execute_result", "data": {"text/plain": "<object at 0x7f>"}, "metadata": {},
           "execution_count": 1}],
         [{"output_type": "display_data", "data": {"application/javascript": "alert(1)", "text/html": "<b>t</b>"},
           "metadata": {}}]])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.cells[0].outputs = [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": "params"})]
    out, _ = render.ReportPreprocessor().preprocess(nb, {})
    assert len(out.cells) == 1
    assert list(out.cells[0].outputs[0]["data"]) == ["text/html"]


def test_headings_get_stable_anchors_and_contents_entries():
    toc = []
    src = "# Step 1: Identify\n\nText\n\n## The `inventory`\n```\n# not a heading\n```\n### Small"
    out = render.anchor_headings(src, "s3", toc)
    assert '<h1 id="s3-1">Step 1: Identify</h1>' in out and "<code>inventory</code>" in out
    assert "# not a heading" in out and "<h3" in out
    assert [(e["level"], e["text"]) for e in toc] == [(1, "Step 1: Identify"), (2, "The inventory")]


def test_rendered_html_escapes_names_embeds_logo_and_loads_nothing(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    nb, toc = render.combine([("one", _executed(["# Part <one>"], [[]]))], title="T <script>")
    render.add_appendix(nb, toc, "<h1 id='appendix'>Appendix</h1>", [{"level": 1, "id": "appendix", "text": "A"}])
    html = render.render_html(nb, toc, client_name='Evil <script>alert(1)</script> "co"', period_label="2026Q3",
                              colour="red; background:url(http://x)", logo=logo)
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()
    assert "data:image/png;base64," in html and render.DEFAULT_COLOUR in html and "url(http://x)" not in html
    for attr in ('src="http', "src='http", 'href="http', "@import", "cdn."):
        assert attr not in html
    assert "Content-Security-Policy" in html and 'href="#appendix"' in html


# ----------------------------------------------------------------------------- executive summary

def test_summary_tolerates_missing_steps(tmp_path):
    steps = summary.collect(tmp_path)
    assert not any(s.available for s in steps.values())
    assert "not available" in summary.top_findings(steps).markup
    assert "not available" in summary.top_priorities(steps).markup
    assert "not available" in summary.verdicts(steps).markup
    assert "0 / 4" in summary.overview(steps).markup
    assert "not available" in summary.top_findings(summary.collect("")).markup


def test_summary_shows_findings_priorities_and_verdicts_escaped(tmp_path):
    artifacts.save(tmp_path, artifacts.Findings("identify", ["<img src=x onerror=alert(1)> is a blind spot"],
                                                {"touchpoints": 9, "touchpoints_with_data": 7, "blind_spots": 2}))
    prio = pd.DataFrame({"touchpoint_id": ["b", "a"], "name": ["Checkout <b>", "Website"], "rank": [2, 1],
                         "score": [0.5, 0.91234], "reason": ["slow", "low CSAT, high reach"]})
    artifacts.save(tmp_path, artifacts.Findings("prioritise", tables={"priorities": prio}))
    ev = pd.DataFrame({"change_id": ["new-checkout"], "kpi": ["conversion"], "design": ["diff-in-diff"],
                       "effect": [0.021], "ci_low": [0.004], "ci_high": [0.038], "p_adj": [0.0312],
                       "verdict": ["Conversion rose: the change worked."]})
    # a table under another name is not the verdict table, whatever its columns
    artifacts.save(tmp_path, artifacts.Findings("evaluate", tables={"changes": ev}))
    assert summary.verdict_table(summary.collect(tmp_path)) is None
    artifacts.save(tmp_path, artifacts.Findings("evaluate", tables={"verdicts": ev}))
    steps = summary.collect(tmp_path)
    findings = summary.top_findings(steps).markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in findings and "<img" not in findings
    table = summary.priority_table(steps)
    assert list(table["Touchpoint"]) == ["Website", "Checkout <b>"] and table["Score"].iloc[0] == 0.91
    prio_html = summary.top_priorities(steps).markup
    assert "Checkout &lt;b&gt;" in prio_html and "low CSAT, high reach" in prio_html
    verdicts = summary.verdicts(steps).markup
    # a conversion effect is in percentage points, as step 4 states it
    assert "+2.1 pp (+0.4 to +3.8)" in verdicts and "0.031" in verdicts and "the change worked" in verdicts
    cards = summary.overview(steps).markup
    assert "7 / 9" in cards and "3 / 4" in cards


def test_batch_result_table_and_exit_code(tmp_path):
    ok = runner.ClientResult("acme", "2026Q3", "built", 3.2, tmp_path / "r.html")
    bad = runner.ClientResult("beta", "2026Q3", "failed", 1.0, failed_notebook=tmp_path / "failed" / "02.ipynb",
                              error="02.ipynb failed at cell [3]: KeyError: 'x'")
    assert runner.BatchResult("2026Q3", [ok]).exit_code == 0
    batch = runner.BatchResult("2026Q3", [ok, bad])
    assert not batch.ok and batch.exit_code == 1 and batch.failed == [bad]
    table = batch.table()
    assert "client" in table.splitlines()[0] and "02.ipynb" in table and "KeyError" in table


def test_tiny_adjusted_p_reads_as_below_a_thousandth():
    from helpers import kpis

    assert kpis.fmt_p(1.2e-17) == "< 0.001"
    assert kpis.fmt_p(0.0312) == "0.031"
    assert kpis.fmt_p(float("nan")) == ""
