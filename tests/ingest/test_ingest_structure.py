"""Structure of helpers.ingest: explicit registries, no import cycle, no demo code in the product path."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
from helpers.errors import ConfigError
from helpers.ingest import adapters

SRC = Path(helpers.__file__).parent


def _imports(path: Path) -> set[str]:
    """helpers.* modules imported by one source file (top level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("helpers")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpers"):
            out.add(node.module)
            for a in node.names:  # `from helpers.ingest import adapters` imports a module
                if (SRC.parent / (node.module + "." + a.name).replace(".", "/")).with_suffix(".py").exists() or \
                        (SRC.parent / (node.module + "." + a.name).replace(".", "/")).is_dir():
                    out.add(node.module + "." + a.name)
    return out


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _graph(package: str) -> dict[str, set[str]]:
    root = SRC.parent / package.replace(".", "/")
    mods = {_module_name(p): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in mods.items():
        graph[name] = {m for m in _imports(path) if m in mods and m != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if state.get(m) is None:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if state.get(n) is None:
            found = visit(n)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_planted_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_ingest():
    graph = _graph("helpers.ingest")
    assert "helpers.ingest.adapters.survey" in graph
    # a package's __init__ importing its own submodules is not a cycle unless a submodule imports it back
    assert _cycle(graph) is None


def test_adapter_modules_do_not_import_the_registry():
    for path in (SRC / "ingest" / "adapters").glob("*.py"):
        if path.name == "__init__.py":
            continue
        assert "helpers.ingest.adapters" not in _imports(path), path.name


def test_no_function_level_imports_in_ingest():
    found = []
    for path in (SRC / "ingest").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        found.append(f"{path.name}:{inner.lineno}")
    assert found == []


def test_product_never_imports_demo():
    product = [p for p in SRC.rglob("*.py") if "demo" not in p.relative_to(SRC).parts and p.name != "cli.py"]
    offenders = [str(p.relative_to(SRC)) for p in product if any(m.startswith("helpers.demo") for m in _imports(p))]
    assert offenders == []


def test_registries_are_filled_at_import_in_a_fresh_interpreter():
    code = ("from helpers.ingest.adapters import adapters; "
            "print(' '.join(adapters.names()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert {"canonical", "survey", "reviews", "crm", "coding", "ga4"} <= set(out)


def test_unknown_adapter_names_the_choices_and_the_near_miss():
    with pytest.raises(ConfigError) as exc:
        adapters.adapters.get("survy")
    assert "did you mean 'survey'" in str(exc.value)
    assert "canonical" in str(exc.value)


def test_a_name_cannot_be_registered_twice_with_another_entry():
    reg = adapters.Registry("adapter")
    reg.register("x", int)
    reg.register("x", int)  # the same entry again is harmless
    with pytest.raises(ValueError):
        reg.register("x", str)
