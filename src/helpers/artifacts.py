"""What each step saves for the executive summary: a typed :class:`Findings`.

Each step notebook ends with ``artifacts.save(artifacts_dir, identify.findings(result))``.
The summary reads them back with :func:`load` and takes tables by name
(``findings.table("priorities")``). An empty ``artifacts_dir`` (interactive use) saves
nothing. Layout: ``<artifacts_dir>/<step>.json`` (headline findings, metrics, table
names) and ``<artifacts_dir>/<step>__<table>.parquet``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

STEPS = ("identify", "analyse", "prioritise", "evaluate")


@dataclass(frozen=True)
class Findings:
    """What one step found: headline sentences, metrics and named tables.

    ``available`` is False for a step that saved nothing (the summary then says
    "not available" instead of failing).
    """

    step: str
    findings: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    available: bool = True

    def __post_init__(self) -> None:
        if self.step not in STEPS:
            raise ValueError(f"unknown step '{self.step}' (one of {', '.join(STEPS)})")
        object.__setattr__(self, "findings", tuple(str(f) for f in self.findings if str(f).strip()))

    def table(self, name: str) -> pd.DataFrame | None:
        """The table saved as ``name``, or None when the step did not save it."""
        return self.tables.get(name)

    @classmethod
    def missing(cls, step: str) -> Findings:
        return cls(step, available=False)


def save(artifacts_dir: str | Path, findings: Findings) -> Path | None:
    """Write ``findings`` under ``artifacts_dir``; returns the JSON path (None without a folder)."""
    if not artifacts_dir:
        return None
    out = Path(artifacts_dir)
    out.mkdir(parents=True, exist_ok=True)
    step = findings.step
    payload = {"step": step, "findings": list(findings.findings), "metrics": findings.metrics,
               "tables": sorted(findings.tables)}
    (out / f"{step}.json").write_text(json.dumps(payload, indent=2, sort_keys=True, default=str), encoding="utf-8")
    for name, df in findings.tables.items():
        df.reset_index(drop=True).to_parquet(out / f"{step}__{name}.parquet", index=False)
    return out / f"{step}.json"


def load(artifacts_dir: str | Path, step: str) -> Findings:
    """The findings ``step`` saved under ``artifacts_dir``; ``available=False`` when it saved nothing."""
    path = Path(artifacts_dir) / f"{step}.json" if artifacts_dir else None
    if path is None or not path.is_file():
        return Findings.missing(step)
    payload = json.loads(path.read_text(encoding="utf-8"))
    tables = {name: pd.read_parquet(Path(artifacts_dir) / f"{step}__{name}.parquet")
              for name in payload.get("tables", [])}
    return Findings(step, tuple(payload.get("findings", [])), payload.get("metrics", {}), tables)


def load_all(artifacts_dir: str | Path) -> dict[str, Findings]:
    """Every step's findings, in step order."""
    return {step: load(artifacts_dir, step) for step in STEPS}
