"""A kit installed from a wheel renders the demo report byte for byte like the editable checkout.

The wheel must carry everything a report needs (notebooks, template) as package data;
nothing may be found through the repository. The fresh virtual environment gets the
wheel without dependencies and borrows the test environment's third-party packages
through a ``.pth`` line (the checkout's own ``src`` is not on that path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2026Q3"


def _run(cmd, **kw):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # build from a copy so the checkout gets no build/ or egg-info litter
    src = out / "src-copy"
    shutil.copytree(ROOT, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "data", "reports", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)])
    (found,) = out.glob("tpkit-*.whl")
    return found


def test_the_wheel_carries_the_notebooks_and_the_report_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"helpers/report/assets/notebooks/{nb.name}" in names
    for f in sorted((ROOT / "templates" / "tpkit-report").iterdir()):
        assert f"helpers/report/assets/templates/tpkit-report/{f.name}" in names


@pytest.fixture(scope="module")
def wheel_env(wheel, tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    site.mkdir(parents=True, exist_ok=True)
    deps = Path(sysconfig.get_paths()["purelib"])
    (site / "_tpkit_test_deps.pth").write_text(str(deps) + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "-q",
          str(wheel)])
    # data files the borrowed packages install beside themselves (nbconvert's base templates)
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True, exist_ok=True)
    (share / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    py = venv / "bin" / "python"
    _run([str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "tpkit"])
    # the installed kit is imported from the venv, not from the checkout
    where = _run([str(py), "-c", "import helpers; print(helpers.__file__)"], cwd=venv).stdout.strip()
    assert str(venv) in where and str(ROOT) not in where, where
    return venv


def _report(python: Path, project: Path, out: Path) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in ("TPKIT_ROOT", "PYTHONPATH")}
    env["TPKIT_ROOT"] = str(project)
    _run([str(python), "-m", "helpers.cli", "report", "nordlys", "--period", PERIOD, "--force"], cwd=project, env=env)
    html = project / "reports" / "nordlys" / PERIOD / "report.html"
    shutil.copy(html, out)
    return html.read_bytes()


@pytest.mark.slow
def test_a_wheel_install_renders_the_demo_report_like_the_checkout(wheel_env, demo_root, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(demo_root / "data", project / "data")
    editable = _report(Path(sys.executable), project, tmp_path / "editable.html")
    installed = _report(wheel_env / "bin" / "python", project, tmp_path / "wheel.html")
    assert b'lang="da"' in editable and b"Nordlys Living" in editable  # the demo client's own language
    if installed != editable:
        i = next(k for k, (x, y) in enumerate(zip(editable, installed)) if x != y) if len(editable) == len(
            installed) else min(len(editable), len(installed))
        raise AssertionError(f"reports differ at byte {i}:\ncheckout: {editable[i - 300:i + 200]!r}\n"
                             f"wheel:    {installed[i - 300:i + 200]!r}")
