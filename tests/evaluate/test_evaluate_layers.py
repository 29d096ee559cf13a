"""helpers.evaluate layers: statistics import without matplotlib, the product path never imports the demo code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "helpers" / "evaluate"


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return set(out.stdout.split())


def test_compute_imports_no_matplotlib():
    loaded = _modules_after("import helpers.evaluate.compute")
    assert "helpers.evaluate.compute.estimators" in loaded
    assert not any(m == "matplotlib" or m.startswith("matplotlib.") for m in loaded)


def test_the_package_loads_matplotlib_only_for_figures():
    loaded = _modules_after("from helpers import evaluate\nevaluate.run\nevaluate.findings")
    assert "helpers.evaluate.step" in loaded and "matplotlib" not in loaded
    loaded = _modules_after("from helpers import evaluate\nevaluate.change_figure")
    assert "matplotlib" in loaded and "helpers.evaluate.figures" in loaded


def test_product_path_does_not_import_the_demo_code():
    loaded = _modules_after("from helpers import evaluate\nevaluate.change_figures\nevaluate.show_figures")
    assert not any(m.startswith("helpers.demo") for m in loaded)
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.startswith("helpers.demo") for n in names), path
            assert not any(n == "pyplot" or n.endswith(".pyplot") for n in names), path
            if path.parent.name == "compute":
                assert not any(n.startswith("matplotlib") for n in names), path


def test_bench_verdicts_has_its_own_generator_not_the_demo_or_the_tests():
    tree = ast.parse((ROOT / "bench" / "bench_verdicts.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "helpers.evaluate.compute" in modules  # the estimators the report uses
    assert not any(m.startswith("helpers.demo") for m in modules if m)  # a plain generator of its own (issue 13)
    assert not any(m.startswith("tests") or m in ("conftest", "ingest_helpers") for m in modules if m)


def test_summary_findings_name_a_change_by_what_was_changed():
    import pandas as pd

    from helpers.evaluate import narrative

    class Result:
        table = pd.DataFrame({"change_id": ["CH-checkout", "CH-old"], "description": ["One-page checkout", None],
                              "kpi": ["conversion", "csat"], "verdict_text": ["moved up.", "no detectable change."]})

    lines = narrative.findings_lines(Result())
    assert lines[0].startswith("One-page checkout (") and "CH-checkout" not in lines[0]
    assert lines[1].startswith("CH-old (")  # no description: the id
