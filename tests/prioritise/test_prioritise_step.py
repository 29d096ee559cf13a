"""The step on the demo: the result, its findings, a period without data, the notebook under papermill."""

from __future__ import annotations

import pytest

from helpers import prioritise


def test_step_result_on_the_demo(demo_root):
    result = prioritise.run("nordlys", "2026Q3", root=demo_root)
    assert prioritise.run("nordlys", "2026Q3", root=demo_root) is result  # cached
    r = result.ranking
    assert {"touchpoint_id", "name", "rank", "score", "reason"} <= set(r.columns)
    assert sorted(r["rank"]) == list(range(1, len(r) + 1)) and r["reason"].str.len().gt(0).all()
    assert set(result.models.columns) >= {"channel", "markov", *prioritise.HEURISTICS}
    assert result.models["markov"].sum() == pytest.approx(result.markov.total_conversions)
    assert set(result.ipm["quadrant"]) <= set(prioritise.QUADRANT_ORDER)
    found = prioritise.findings(result)
    assert found.step == "prioritise" and found.findings and "priorities" in found.tables
    assert found.findings[0].startswith("Priority 1: ") and found.metrics["period"] == "2026Q3"
    assert found.metrics["top_priorities"] == list(r.sort_values("rank")["touchpoint_id"].head(3))
    assert "<" not in str(prioritise.say_priorities(result)._repr_html_()).replace("<p class=\"tp-say\">", "") \
        .replace("</p>", "")


def test_step_for_a_period_without_data_explains_itself(demo_root):
    result = prioritise.compute("fjordtech", "2030Q1", root=demo_root, n_boot=20)
    assert result.markov is None and result.drivers is None
    assert any("no journeys" in n for n in result.notes)
    assert "no survey or journey data" in repr(prioritise.say_priorities(result))
    assert "No conversions" in repr(prioritise.say_attribution(result))
    assert prioritise.findings(result).findings == ()
    assert "priorities" not in prioritise.findings(result).tables  # the summary says "not available"
    for name in ("drivers", "ipm", "attribution", "models", "friction", "roi"):
        assert "Nothing to show" in repr(prioritise.show(result, name))
    for chart in (prioritise.importance_performance_matrix, prioritise.attribution_chart, prioritise.friction_chart,
                  prioritise.priority_chart):
        assert chart(result).axes


# ---------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_runs_on_the_demo_and_saves_the_ranked_list(demo_root, tmp_path):
    import base64
    import json

    import papermill as pm

    from helpers import artifacts

    out = tmp_path / "03.ipynb"
    pm.execute_notebook(str(prioritise_notebook()), str(out), kernel_name="tpkit",
                        parameters={"client": "nordlys", "period": "2026Q3", "root": str(demo_root),
                                    "artifacts_dir": str(tmp_path / "artifacts")},
                        cwd=str(demo_root), progress_bar=False)
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    pngs = [base64.b64decode(o["data"]["image/png"]) for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == 4 and all(p.startswith(b"\x89PNG") for p in pngs)
    saved = artifacts.load(tmp_path / "artifacts", "prioritise")
    ranked = saved.table("priorities")
    assert {"touchpoint_id", "name", "rank", "score", "reason"} <= set(ranked.columns)
    assert saved.findings and saved.metrics["top_priorities"]
    assert set(saved.tables) == {"priorities", "drivers", "attribution", "roi"}


def prioritise_notebook():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "notebooks" / "03-prioritise.ipynb"

