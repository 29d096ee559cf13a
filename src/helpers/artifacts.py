"""Small artifacts the step notebooks save for the executive summary.

Each step notebook ends with ``save(artifacts_dir, "identify", findings=[...],
tables={"inventory": df})``. The summary notebook reads them back with
:func:`load`. An empty ``artifacts_dir`` (interactive use) saves nothing.
Layout: ``<artifacts_dir>/<step>.json`` (findings, metrics) and
``<artifacts_dir>/<step>__<table>.parquet``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

STEPS = ("identify", "analyse", "prioritise", "evaluate")


def save(artifacts_dir: str | Path, step: str, *, findings: list[str] = (), metrics: dict | None = None,
         tables: dict[str, pd.DataFrame] | None = None) -> Path | None:
    if not artifacts_dir:
        return None
    out = Path(artifacts_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"step": step, "findings": [str(f) for f in findings], "metrics": metrics or {},
               "tables": sorted((tables or {}).keys())}
    (out / f"{step}.json").write_text(json.dumps(payload, indent=2, sort_keys=True, default=str), encoding="utf-8")
    for name, df in (tables or {}).items():
        df.reset_index(drop=True).to_parquet(out / f"{step}__{name}.parquet", index=False)
    return out / f"{step}.json"


def load(artifacts_dir: str | Path, step: str) -> dict:
    """Findings, metrics and tables of one step; empty if the step saved nothing."""
    path = Path(artifacts_dir) / f"{step}.json"
    if not path.exists():
        return {"step": step, "findings": [], "metrics": {}, "tables": {}}
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["tables"] = {
        name: pd.read_parquet(Path(artifacts_dir) / f"{step}__{name}.parquet") for name in payload.get("tables", [])
    }
    return payload
