"""Tiny report projects and stand-in notebooks: for the runner's tests and the report benchmark.

``make_project`` writes a project folder with minimal clients; ``write_notebook`` a step
notebook of a few cells; ``notebooks_dir`` a notebooks folder with the kit's real summary
notebook. Each stand-in notebook runs in about a second.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.report.provenance import NOTEBOOK_DIR

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
    shutil.copy(NOTEBOOK_DIR / "00-summary.ipynb", folder / "00-summary.ipynb")
    return folder
