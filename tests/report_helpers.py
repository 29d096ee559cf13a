"""Tiny projects and stand-in notebooks for the report runner tests (each notebook runs in about a second)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = 'client = "acme"\nperiod = "2026Q3"\nroot = ""\nartifacts_dir = ""'
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}


def write_notebook(path: Path, title: str, *cells: str, parameters: str | None = PARAMETERS) -> Path:
    """A notebook: a markdown title, the parameters cell (unless None), then the given code cells."""
    body = [new_markdown_cell(f"# {title}\n\nWhat this part shows.\n\n## Details\n\nMore text.")]
    if parameters is not None:
        body.append(new_code_cell(parameters, metadata={"tags": ["parameters"]}))
    body += [new_code_cell(c) for c in cells]
    nb = new_notebook(cells=body, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, c in enumerate(nb.cells):
        c.id = f"{path.stem}-{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def make_project(base: Path, clients: dict[str, str], colour: str = "#7a1f5c") -> Path:
    """A project folder with data/<client>/client.yml for each {client_id: display name}."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    for cid, name in clients.items():
        folder = base / "data" / cid
        folder.mkdir(parents=True, exist_ok=True)
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        (folder / "client.yml").write_text(
            f'name: "{quoted}"\nbranding: {{colour: "{colour}"}}\n'
            "touchpoints:\n  - {id: website, name: Website, kind: digital, stage: consideration}\n",
            encoding="utf-8")
    return base


def notebooks_dir(folder: Path) -> Path:
    """A notebooks folder holding the kit's real summary notebook; add step notebooks with write_notebook."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "notebooks" / "00-summary.ipynb", folder / "00-summary.ipynb")
    return folder


# Two stand-in steps: the first leaves a variable behind, the second proves it is gone (fresh namespace),
# writes to stderr and warns (neither may reach the report) and saves findings for the summary.
STEP_ONE = (
    "from helpers import artifacts, display",
    "LEFT_BEHIND = client",
    'display.say("Step one ran for {c} in {p}.", c=client, p=period)',
    'artifacts.save(artifacts_dir, artifacts.Findings("identify", ["Finding about " + client]))',
)
STEP_TWO = (
    "from helpers import artifacts, display\nimport sys, warnings",
    'assert "LEFT_BEHIND" not in globals(), "state leaked from the previous notebook"',
    'print("NOISE ON STDERR", file=sys.stderr)\nwarnings.warn("NOISY WARNING")',
    '"A BARE REPR"',
    'display.say("Step two ran.")',
)
