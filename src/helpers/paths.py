"""Where the kit finds its project folder, client data and reports.

The project root is the folder holding ``data/`` and ``notebooks/``. It is
``$TPKIT_ROOT`` when set, otherwise the nearest folder at or above the working
directory that has a ``pyproject.toml`` naming this kit, so notebooks work both
from the repository root (papermill, make) and from ``notebooks/`` (JupyterLab).
"""

from __future__ import annotations

import os
from pathlib import Path

_MARKER = 'name = "tpkit"'


def project_root(start: str | Path | None = None) -> Path:
    env = os.environ.get("TPKIT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _MARKER in pyproject.read_text(encoding="utf-8", errors="ignore"):
            return folder
    return here


def data_root(root: str | Path | None = None) -> Path:
    return Path(root).resolve() / "data" if root else project_root() / "data"


def client_dir(client: str, root: str | Path | None = None) -> Path:
    return data_root(root) / client


def raw_dir(client: str, root: str | Path | None = None) -> Path:
    return client_dir(client, root) / "raw"


def processed_dir(client: str, root: str | Path | None = None) -> Path:
    return client_dir(client, root) / "processed"


def rejects_dir(client: str, root: str | Path | None = None) -> Path:
    return client_dir(client, root) / "rejects"


def reports_dir(client: str, period: str, root: str | Path | None = None) -> Path:
    base = Path(root).resolve() if root else project_root()
    return base / "reports" / client / str(period)


def list_clients(root: str | Path | None = None) -> list[str]:
    base = data_root(root)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "client.yml").is_file())
