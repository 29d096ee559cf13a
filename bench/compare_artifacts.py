"""Compare the artifact tables and metrics of two report runs.

    python bench/compare_artifacts.py OLD_REPORTS NEW_REPORTS [--period 2026Q3] [--rtol 1e-9]

Each argument is a reports folder (``reports/<client>/<period>/artifacts/``) or one
artifacts folder. Every ``<step>__<table>.parquet`` and every metric in
``<step>.json`` of OLD must be in NEW with equal values (floats within ``rtol``).
Prints one line per difference and exits 1 when there is any: a refactoring keeps
the report numbers when this exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def artifact_dirs(folder: Path, period: str) -> dict[str, Path]:
    """``{label: artifacts folder}`` for a reports folder or a single artifacts folder."""
    if any(folder.glob("*.json")):
        return {folder.name: folder}
    return {p.parents[1].name: p for p in sorted(folder.glob(f"*/{period}/artifacts")) if p.is_dir()}


def _same(a, b, rtol: float) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            fa, fb = float(a), float(b)
        except (TypeError, ValueError):
            return False
        return (math.isnan(fa) and math.isnan(fb)) or math.isclose(fa, fb, rel_tol=rtol, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], rtol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, rtol) for x, y in zip(a, b))
    return a == b


def compare_tables(old: pd.DataFrame, new: pd.DataFrame, rtol: float) -> list[str]:
    problems = []
    missing = [c for c in old.columns if c not in new.columns]
    if missing:
        problems.append(f"columns missing: {missing}")
    if len(old) != len(new):
        return problems + [f"{len(old)} rows before, {len(new)} after"]
    for col in [c for c in old.columns if c in new.columns]:
        a, b = old[col].reset_index(drop=True), new[col].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b) and not (
                pd.api.types.is_bool_dtype(a) or pd.api.types.is_bool_dtype(b)):
            x, y = a.astype(float).to_numpy(), b.astype(float).to_numpy()
            ok = np.isclose(x, y, rtol=rtol, atol=1e-12, equal_nan=True)
        else:
            x, y = a.astype(object).where(a.notna(), None), b.astype(object).where(b.notna(), None)
            ok = np.array([str(p) == str(q) for p, q in zip(x, y)])
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            problems.append(f"column {col}: {int((~ok).sum())} values differ (first at row {i}: "
                            f"{a.iloc[i]!r} -> {b.iloc[i]!r})")
    return problems


def compare(old_dir: Path, new_dir: Path, rtol: float = 1e-9) -> list[str]:
    """Differences between two artifacts folders, one string each."""
    out = []
    for path in sorted(old_dir.glob("*.parquet")):
        other = new_dir / path.name
        if not other.is_file():
            out.append(f"{path.name}: missing")
            continue
        out += [f"{path.name}: {p}" for p in compare_tables(pd.read_parquet(path), pd.read_parquet(other), rtol)]
    for path in sorted(old_dir.glob("*.json")):
        other = new_dir / path.name
        if not other.is_file():
            out.append(f"{path.name}: missing")
            continue
        a = json.loads(path.read_text(encoding="utf-8")).get("metrics", {})
        b = json.loads(other.read_text(encoding="utf-8")).get("metrics", {})
        out += [f"{path.name}: metric {k}: {a[k]!r} -> {b.get(k)!r}" for k in a if not _same(a[k], b.get(k), rtol)]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--period", default="2026Q3")
    ap.add_argument("--rtol", type=float, default=1e-9)
    args = ap.parse_args(argv)
    old, new = artifact_dirs(args.old, args.period), artifact_dirs(args.new, args.period)
    if not old:
        print(f"no artifacts under {args.old}", file=sys.stderr)
        return 2
    problems = []
    for label, folder in old.items():
        if label not in new:
            problems.append(f"{label}: no artifacts in {args.new}")
            continue
        problems += [f"{label}/{p}" for p in compare(folder, new[label], args.rtol)]
    for p in problems:
        print(p)
    verdict = "identical" if not problems else f"{len(problems)} differences"
    print(f"{len(old)} artifact folder(s) compared: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
