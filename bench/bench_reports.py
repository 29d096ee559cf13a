"""Benchmark: report runner vs the naive loop, 10 clients x 5 notebooks.

Naive loop: for each client and notebook, the papermill CLI, then ``jupyter nbconvert --to html``,
one after another (what a Makefile loop over the CLIs does). The runner: clients in parallel worker
processes (one per core), one kernel per client reused across its notebooks, one in-process
nbconvert export per client. Both run the same small stand-in notebooks (pandas table, matplotlib
figure, findings saved for the summary), so the difference is orchestration, not analysis.

    .venv/bin/python bench/bench_reports.py [--clients 10] [--out bench/results/reports.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from helpers.demo.projects import make_project, notebooks_dir, write_notebook

ROOT = Path(__file__).resolve().parents[1]

BIN = Path(sys.executable).parent
STEP = (
    "import numpy as np\nimport pandas as pd\nfrom matplotlib.figure import Figure\n"
    "from helpers import artifacts, display",
    "rng = np.random.default_rng(len(client))\n"
    "df = pd.DataFrame({'touchpoint': [f'tp{i}' for i in range(12)], 'csat': rng.uniform(1, 5, 12),"
    " 'volume': rng.integers(100, 5000, 12)})",
    "display.show_table(df.sort_values('csat'), caption='CSAT by touchpoint')",
    "fig = Figure(figsize=(6, 3))\nax = fig.subplots()\nax.bar(df['touchpoint'], df['csat'])\nfig",
    "artifacts.save(artifacts_dir, artifacts.Findings(STEP_NAME, [f'Lowest CSAT: {df.csat.min():.2f}']))",
)
STEPS = ("identify", "analyse", "prioritise", "evaluate")


def make_bench(base: Path, n_clients: int) -> tuple[Path, Path]:
    root = make_project(base / "proj", {f"client{i:02d}": f"Client {i}" for i in range(n_clients)})
    nbs = notebooks_dir(base / "nbs")
    for i, step in enumerate(STEPS, start=1):
        cells = (STEP[0] + f"\nSTEP_NAME = {step!r}", *STEP[1:])
        write_notebook(nbs / f"0{i}-{step}.ipynb", f"Step {i}: {step.title()}", *cells)
    return root, nbs


def naive(root: Path, nbs: Path, clients: list[str], period: str) -> float:
    started = time.perf_counter()
    for client in clients:
        out = root / "naive" / client
        out.mkdir(parents=True, exist_ok=True)
        for nb in sorted(nbs.glob("0[1-9]-*.ipynb")) + [nbs / "00-summary.ipynb"]:
            executed = out / nb.name
            subprocess.run([str(BIN / "papermill"), str(nb), str(executed), "-k", "tpkit", "--no-progress-bar",
                            "-r", "client", client, "-r", "period", period, "-r", "root", str(root),
                            "-r", "artifacts_dir", str(out / "artifacts")],
                           check=True, capture_output=True)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                           check=True, capture_output=True)
    return time.perf_counter() - started


def runner(root: Path, nbs: Path, clients: list[str], period: str) -> float:
    from helpers import report

    started = time.perf_counter()
    batch = report.build_reports(period, clients=clients, force=True, root=root, notebooks_dir=nbs,
                                 progress=False, echo=None)
    elapsed = time.perf_counter() - started
    assert batch.ok, batch.table()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--period", default="2026Q3")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reports.md")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="tpkit-bench-reports-"))
    try:
        root, nbs = make_bench(base, args.clients)
        clients = [f"client{i:02d}" for i in range(args.clients)]
        notebooks = len(list(nbs.glob("*.ipynb")))
        t_runner = runner(root, nbs, clients, args.period)
        t_skip = time.perf_counter()
        from helpers import report

        rerun = report.build_reports(args.period, clients=clients, root=root, notebooks_dir=nbs, progress=False,
                                     echo=None)
        t_skip = time.perf_counter() - t_skip
        skipped = sum(r.status == "skipped" for r in rerun.results)
        t_naive = naive(root, nbs, clients, args.period)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    n = args.clients * notebooks
    rows = [
        ("naive loop (papermill CLI + nbconvert CLI per notebook, sequential)", t_naive),
        (f"tpkit report runner ({os.cpu_count()} worker processes, kernel reused per client)", t_runner),
        (f"tpkit report runner, rerun with unchanged inputs ({skipped} of {len(clients)} skipped)", t_skip),
    ]
    lines = [
        f"# Report runner benchmark: {args.clients} clients x {notebooks} notebooks ({n} notebook runs)",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}; "
        f"run {time.strftime('%Y-%m-%d')} with `python bench/bench_reports.py`.",
        "",
        "| method | seconds | seconds per notebook | speed-up vs naive |",
        "|---|---:|---:|---:|",
    ]
    for name, secs in rows[:2]:
        lines.append(f"| {name} | {secs:.1f} | {secs / n:.2f} | {t_naive / secs:.1f}x |")
    lines.append(f"| {rows[2][0]} | {rows[2][1]:.2f} | - | - |")
    lines += ["", "The naive loop starts a Python process, imports and a kernel for every notebook and a second "
              "process to render it; the runner pays kernel start and imports once per client, renders in-process "
              "and runs clients on all cores."]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
