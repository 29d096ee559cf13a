"""pyproject.toml is the source of truth; environment.yml and requirements.lock must not drift."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_NAME = {"duckdb": "python-duckdb", "ibis-framework": "ibis-framework-core"}


def _name(req: str) -> str:
    return re.split(r"[\[<>=!~ ;]", req.strip(), maxsplit=1)[0].lower()


def _spec(req: str) -> str:
    return re.sub(r"\[.*?\]", "", req.strip())[len(_name(req)):].replace(" ", "")


def _pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    return {_name(d): _spec(d) for d in deps}


def _conda():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    deps = []
    for dep in env["dependencies"]:
        deps.extend(dep["pip"] if isinstance(dep, dict) else [dep])
    for dep in deps:
        dep = dep.split("#")[0].strip()
        if not dep.startswith(("python=", "pip", "openjdk", "-e")):
            m = re.match(r"([A-Za-z0-9_.\-]+)(.*)", dep)
            out[m.group(1).lower()] = m.group(2).replace(" ", "")
    return out


def test_environment_yml_lists_the_same_packages_and_bounds():
    py = _pyproject()
    conda = _conda()
    expected = {CONDA_NAME.get(n, n): spec for n, spec in py.items()}
    assert conda == expected


def test_lock_pins_every_dependency():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            lock[name.lower().replace("_", "-")] = version
    for name in _pyproject():
        assert name.replace("_", "-") in lock, f"{name} is not pinned in requirements.lock (run make lock)"


def test_lock_respects_known_incompatibilities():
    lock = dict(line.split("==", 1) for line in (ROOT / "requirements.lock").read_text().splitlines() if "==" in line)
    lock = {k.lower(): v for k, v in lock.items()}
    assert int(lock["duckdb"].split(".")[0]) < 2
    major, minor = (int(x) for x in lock["sqlglot"].split(".")[:2])
    assert (major, minor) < (30, 18)
