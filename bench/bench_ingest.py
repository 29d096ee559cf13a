"""Benchmark: a 10M-row events CSV to canonical Parquet through `helpers.ingest`.

    python bench/bench_ingest.py                 # 10,000,000 rows, results in bench/results/ingest.md
    python bench/bench_ingest.py --rows 1000000  # quicker

The CSV is the demo's events format (local timestamps, raw customer ids, a few planted bad rows),
written by a fast deterministic numpy/pyarrow generator. Each measured step runs in its own
subprocess; seconds are wall time and peak memory is that subprocess's maximum resident set size
(``ru_maxrss`` from ``os.wait4``), which includes Arrow's memory (tracemalloc would not see it).
Target for ingest: under 60 s and under 2 GB on 2 cores.
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

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "ingest.md"
TARGET_SECONDS = 60
TARGET_BYTES = 2 << 30

CLIENT_YML = """\
name: Bench
timezone: Europe/Copenhagen
touchpoints:
  - {id: website, name: Website, kind: digital, stage: consideration}
  - {id: app, name: App, kind: digital, stage: consideration}
  - {id: search_ads, name: Search ads, kind: digital, stage: awareness}
  - {id: newsletter, name: Newsletter, kind: digital, stage: retention}
  - {id: store, name: Store, kind: physical, stage: decision}
  - {id: web_checkout, name: Web checkout, kind: digital, stage: decision}
sources:
  - {table: events, file: raw/events.csv}
"""

GENERATE = r"""
import sys
import numpy as np, pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pacsv
rows, path = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(20260930)
tps = np.array(["website", "app", "search_ads", "newsletter", "store", "web_checkout"])
customers = max(rows // 20, 1)
block = 1_000_000
opts = pacsv.WriteOptions(include_header=True, quoting_style="needed")
with pacsv.CSVWriter(path, pa.schema([(c, pa.string()) for c in
        ["customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue", "segment"]]),
        write_options=opts) as w:
    for start in range(0, rows, block):
        n = min(block, rows - start)
        cust = rng.integers(0, customers, n)
        secs = rng.integers(0, 548 * 86400, n)
        ts = np.datetime64("2025-04-01T00:00:00") + secs.astype("timedelta64[s]")
        conv = rng.random(n) < 0.03
        rev = np.where(conv, np.round(rng.gamma(2.0, 300.0, n), 2), np.nan)
        t = pa.table({
            "customer_id": pc.binary_join_element_wise("NL-", pa.array(cust + 10_000_000).cast(pa.string()), ""),
            "ts": pc.replace_substring(pa.array(np.datetime_as_string(ts, unit="s")), "T", " "),
            "touchpoint_id": pa.array(tps[rng.integers(0, len(tps), n)]),
            "journey_id": pc.binary_join_element_wise(
                "J", pa.array(cust * 4 + secs // (137 * 86400)).cast(pa.string()), ""),
            "converted": pa.array(np.where(conv, "true", "false")),
            "revenue": pa.array(rev, mask=~conv).cast(pa.string()),
            "segment": pa.array(np.array(["new", "loyal", "club"])[rng.integers(0, 3, n)]),
        })
        if start == 0:  # planted bad rows: missing id, bad date, negative revenue
            bad = t.slice(0, 3).to_pylist()
            bad[0]["customer_id"] = None
            bad[1]["ts"] = "2026-02-30 12:00:00"
            bad[2]["revenue"] = "-5"
            t = pa.concat_tables([pa.Table.from_pylist(bad, schema=t.schema), t.slice(3)])
        w.write_table(t)
"""

INGEST = r"""
import sys
from helpers.ingest import ingest_client
r = ingest_client("bench", root=sys.argv[1], dry_run=sys.argv[2] == "dry")
print(r.rows_read, r.accepted, r.rejected)
"""

QUERY = r"""
import sys, duckdb
con = duckdb.connect()
n, conv, rev = con.execute(
    "select count(*), sum(converted::int), sum(revenue) from read_parquet(?)", [sys.argv[1]]).fetchone()
print(n, conv, rev)
"""


def run_measured(code: str, *args: str, cores: str | None = None) -> tuple[float, int, str, float]:
    """Run ``code`` in a fresh Python: (wall seconds, peak RSS bytes, stdout, CPU seconds), from ``os.wait4``."""
    cmd = [sys.executable, "-c", code, *args]
    if cores and shutil.which("taskset"):
        cmd = ["taskset", "-c", cores, *cmd]
    env = dict(os.environ)
    env.setdefault("TPKIT_KEY", "bench-key-not-secret")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"step failed ({proc.returncode}):\n{err.read().decode()}")
        cpu = usage.ru_utime + usage.ru_stime
        return seconds, usage.ru_maxrss * 1024, out.read().decode().strip(), cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--workdir", type=Path, default=None, help="folder for the data (default: a temporary one)")
    ap.add_argument("--cores", default="0,1", help="CPUs to pin the measured steps to (taskset), '' for all")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/ingest.md")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="tpkit-bench-"))
    client = work / "data" / "bench"
    (client / "raw").mkdir(parents=True, exist_ok=True)
    (client / "client.yml").write_text(CLIENT_YML, encoding="utf-8")
    (work / "pyproject.toml").write_text('[project]\nname = "tpkit"\n', encoding="utf-8")
    csv = client / "raw" / "events.csv"
    cores = args.cores or None
    steps = []
    try:
        load = os.getloadavg()[0]
        secs, rss, _, cpu = run_measured(GENERATE, str(args.rows), str(csv), cores=cores)
        size = csv.stat().st_size
        steps.append(("generate CSV (not ingest)", args.rows + 0, secs, cpu, rss, ""))
        secs, rss, out, cpu = run_measured(INGEST, str(work), "dry", cores=cores)
        read, acc, rej = map(int, out.split()[-3:])
        steps.append(("validate (dry run)", read, secs, cpu, rss, f"{acc:,} accepted, {rej:,} rejected"))
        secs, rss, out, cpu = run_measured(INGEST, str(work), "write", cores=cores)
        read, acc, rej = map(int, out.split()[-3:])
        ingest = (secs, rss)
        parquet = client / "processed" / "events.parquet"
        steps.append(("ingest CSV -> Parquet", read, secs, cpu, rss, f"{acc:,} accepted, {rej:,} rejected"))
        secs, rss, out, cpu = run_measured(QUERY, str(parquet), cores=cores)
        steps.append(("DuckDB scan of the Parquet", int(out.split()[0]), secs, cpu, rss, ""))
        load = max(load, os.getloadavg()[0])
        pq_size = parquet.stat().st_size
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    ok = ingest[0] < TARGET_SECONDS and ingest[1] < TARGET_BYTES
    lines = [
        "# Ingest benchmark",
        "",
        f"`python bench/bench_ingest.py --rows {args.rows}`: {args.rows:,}-row events CSV "
        f"({size / 1e6:,.0f} MB) to canonical Parquet ({pq_size / 1e6:,.0f} MB, zstd).",
        f"Machine: {os.cpu_count()} CPUs (steps pinned to `{args.cores or 'all'}`), Python "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}.",
        "Each step runs in a fresh process; peak memory is its maximum resident set size; CPU is user + system",
        f"time of all its threads. Load average during the run: up to {load:.1f} (other work on the machine",
        "stretches wall time; CPU time does not change with it).",
        "",
        "| step | rows | wall seconds | CPU seconds | peak memory (MB) | rows per wall second | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, rows, secs, cpu, rss, note in steps:
        lines.append(f"| {name} | {rows:,} | {secs:.1f} | {cpu:.1f} | {rss / 2**20:,.0f} | {rows / secs:,.0f} "
                     f"| {note} |")
    lines += ["", f"Target for ingest: under {TARGET_SECONDS} s and under {TARGET_BYTES >> 30} GB: "
                  f"**{'met' if ok else 'NOT met'}** ({ingest[0]:.1f} s, {ingest[1] / 2**30:.2f} GB)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
