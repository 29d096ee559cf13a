"""Benchmark: the whole ``tpkit report`` for one client (nordlys, 2026Q3) at 1M, 10M and 100M events.

    python bench/bench_scale.py                               # 1M and 10M, results in bench/results/scale.md
    python bench/bench_scale.py --events 100000000 --append   # add a size to the table already written
    python bench/bench_scale.py --workdir /scratch            # where the demo projects are generated
    python bench/bench_scale.py --events 10000000 --routine   # 2026Q2's report first, as each quarter
    python bench/bench_scale.py --events 100000000 --keep --report-only --append   # the report again on a kept project
    python bench/bench_scale.py --events 100000000 --aggregates-only --append      # only the aggregates again

Per size, each in its own process: demo generation (``helpers.demo.write_demo``), ingest of the large
client (``tpkit ingest nordlys``), the report (``tpkit report nordlys --period 2026Q3 --force``) with
the seconds of each notebook from the runner's ``run.json``, and the peak memory: of generation and
ingest their maximum resident set size (``os.wait4``), of the report the largest resident set of the
notebook kernel (``VmHWM`` of the kernel process, polled with psutil) and the largest sum over the
report's process tree. In the same run the step 2 and step 3 event aggregates (KPI volume and journeys
per touchpoint, transitions, stage funnel; paths per quarter of the rolling year) are computed twice
in fresh processes on the generated events: by the kit's expressions as the steps run them, and by
hand-written DuckDB SQL; both results are checked equal before the ratio is reported. The kit runs twice: under
its default DuckDB memory limit (3 GB, paths in pieces) and under DuckDB's own default (80% of the machine, what
the SQL has), which tells the cost of the limit from the cost of the kit's expressions.

The machine is shared (2 cores, other work running): the load average before and after each
measurement is written beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "scale.md"
CLIENT, PERIOD, PREVIOUS = "nordlys", "2026Q3", "2026Q2"
SIZES = (1_000_000, 10_000_000)
TARGETS = {10_000_000: 20.0, 100_000_000: 180.0}
TARGET_PEAK_100M = 6 << 30
TARGET_INGEST_100M = (600.0, 4 << 30)
TARGET_RATIO = 1.2
BIN = Path(sys.executable).parent


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, int, int]:
    """Run ``cmd``; (seconds, peak RSS in bytes from wait4, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code:
        print(err[-3000:], file=sys.stderr)
    return seconds, usage.ru_maxrss * 1024, code


def _hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_report(root: Path, period: str = PERIOD) -> dict:
    """``tpkit report`` as a user runs it, with the peak memory of the kernel and of the process tree."""

    cmd = [str(BIN / "tpkit"), "report", CLIENT, "--period", period, "--force", "--no-pdf", "--root", str(root)]
    # the progress lines (which notebook and part ran how long) go to a file beside the project, kept after the
    # project is removed, for the notes (a pipe read only at the end could fill up and stall a long report)
    log = root.parent / f"{root.name}-report-{period}.log"
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as err_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err_file, cwd=root)
        kernel_peak, tree_peak = _watch(proc)
    seconds = time.perf_counter() - t0
    err = log.read_text(encoding="utf-8", errors="replace")
    if proc.returncode:
        print(err[-3000:], file=sys.stderr)
    run = root / "reports" / CLIENT / period / "run.json"
    steps = json.loads(run.read_text())["notebooks"] if run.is_file() and not proc.returncode else {}
    return {"seconds": seconds, "code": proc.returncode, "kernel_peak": kernel_peak, "tree_peak": tree_peak,
            "steps": steps}


def _watch(proc) -> tuple[int, int]:
    """Poll a running report: the largest peak resident set of its notebook kernel and of its process tree."""
    import psutil

    parent = psutil.Process(proc.pid)
    kernel_peak, tree_peak = 0, 0
    while proc.poll() is None:
        try:
            procs = [parent, *parent.children(recursive=True)]
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                    if "ipykernel" in " ".join(p.cmdline()):
                        kernel_peak = max(kernel_peak, _hwm(p.pid))
                except psutil.Error:
                    pass
            tree_peak = max(tree_peak, total)
        except psutil.Error:
            pass
        time.sleep(0.25)
    return kernel_peak, tree_peak


# ---------------------------------------------------------------------------
# the event aggregates: the kit's expressions and hand-written SQL (each in a child process)
# ---------------------------------------------------------------------------

def _bounds():
    from helpers.periods import Period
    from helpers.prioritise.compute import combine

    per = Period.parse(PERIOD)
    start, end = per.bounds()
    return start, end, combine.rolling_window(per).bounds()[0]


def _digest(volume, touched, transitions, funnel, paths) -> dict:
    """Order-free summary of the results, to check both variants give the same numbers."""
    def rows(df, cols):
        return sorted(tuple(round(float(v), 2) if isinstance(v, float) else (int(v) if not isinstance(v, str) else v)
                            for v in r) for r in df[cols].itertuples(index=False))
    return {"volume": rows(volume, ["touchpoint_id", "events", "customers", "revenue"]),
            "journeys": rows(touched, ["touchpoint_id", "journeys", "converted_journeys"]),
            "transitions": rows(transitions, ["from_tp", "to_tp", "count"]),
            "funnel": rows(funnel, ["depth", "journeys"]),
            "paths": rows(paths, ["quarter", "path", "journeys", "conversions", "revenue"])}


def agg_kit(root: str) -> dict:
    from helpers import data, engine, journeys
    from helpers.analyse import queries as q
    from helpers.analyse import step as step2
    from helpers.config import load_client
    from helpers.prioritise import journeys as pj

    start, end, window_start = _bounds()
    src = data.ClientData(CLIENT, root=root)
    catalogue = load_client(CLIENT, root).catalogue_frame()
    t0 = time.perf_counter()
    ev = q.prepare_expr(engine.materialise(journeys.period_events(src.events, start, end), step2.PERIOD_COLUMNS),
                        catalogue)
    volume, touched = q.execute_together(q.volume_expr(ev, ["touchpoint_id"]),
                                         q.journey_touch_expr(ev, ["touchpoint_id"]), ["touchpoint_id"])
    transitions = q.transitions_expr(ev).execute()
    funnel = q.funnel_expr(ev).execute()
    paths = pj.journey_paths(src.events, window_start, end, by_quarter=True)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, **_digest(volume, touched, transitions, funnel, paths)}


SQL_SLICE = """
CREATE TEMP TABLE ev AS
WITH j AS (SELECT journey_id FROM read_parquet('{path}') GROUP BY journey_id
           HAVING min(ts) >= TIMESTAMP '{start}' AND min(ts) < TIMESTAMP '{end}')
SELECT customer_id, ts, touchpoint_id, journey_id, coalesce(converted, false) AS converted,
       coalesce(revenue, 0.0) AS revenue, CASE touchpoint_id {stage_cases} END AS stage_index
FROM read_parquet('{path}') SEMI JOIN j USING (journey_id)
"""
SQL_KPIS = """
WITH v AS (SELECT touchpoint_id, count(*) AS events, count(DISTINCT customer_id) AS customers,
                  sum(revenue) AS revenue FROM ev GROUP BY touchpoint_id),
     o AS (SELECT journey_id, max(converted::INT) AS c FROM ev GROUP BY journey_id),
     t AS (SELECT DISTINCT journey_id, touchpoint_id FROM ev),
     k AS (SELECT touchpoint_id, count(*) AS journeys, sum(c) AS converted_journeys FROM t JOIN o USING (journey_id)
           GROUP BY touchpoint_id)
SELECT * FROM v JOIN k USING (touchpoint_id)
"""
SQL_TRANSITIONS = """
WITH a AS (SELECT touchpoint_id, lag(touchpoint_id) OVER w AS prev, lead(touchpoint_id) OVER w AS nxt
           FROM ev WINDOW w AS (PARTITION BY journey_id ORDER BY ts, touchpoint_id))
SELECT coalesce(prev, '(start)') AS from_tp, touchpoint_id AS to_tp, count(*) AS count FROM a
WHERE prev IS NULL OR prev <> touchpoint_id GROUP BY ALL
UNION ALL
SELECT touchpoint_id AS from_tp, '(end)' AS to_tp, count(*) AS count FROM a WHERE nxt IS NULL GROUP BY ALL
"""
SQL_FUNNEL = """
SELECT depth, count(*) AS journeys FROM
  (SELECT journey_id, max(stage_index) AS depth FROM ev WHERE stage_index IS NOT NULL GROUP BY journey_id)
GROUP BY depth
"""
# step 3: paths of the rolling year's journeys up to and including the first purchase, per quarter
SQL_PATHS = """
WITH raw AS (SELECT journey_id, touchpoint_id, ts, coalesce(converted, false)::INT AS conv,
                    CASE WHEN coalesce(converted, false) THEN coalesce(revenue, 0.0) ELSE 0.0 END AS rev
             FROM read_parquet('{path}')),
     j AS (SELECT journey_id, min(ts) AS first_ts, min(ts) FILTER (WHERE conv = 1) AS conv_ts FROM raw
           GROUP BY journey_id HAVING min(ts) >= TIMESTAMP '{start}' AND min(ts) < TIMESTAMP '{end}'),
     t AS (SELECT r.*, j.first_ts, j.conv_ts FROM raw r JOIN j USING (journey_id)
           WHERE j.conv_ts IS NULL OR r.ts <= j.conv_ts),
     p AS (SELECT journey_id, string_agg(touchpoint_id, ' > ' ORDER BY ts, conv, touchpoint_id) AS path,
                  max(CASE WHEN conv_ts IS NULL THEN 0 ELSE 1 END) AS converted,
                  sum(CASE WHEN conv = 1 AND ts = conv_ts THEN rev ELSE 0.0 END) AS revenue,
                  min(first_ts) AS first_ts
           FROM t GROUP BY journey_id)
SELECT year(first_ts)::VARCHAR || 'Q' || quarter(first_ts)::VARCHAR AS quarter, path, count(*) AS journeys,
       sum(converted) AS conversions, sum(revenue) AS revenue
FROM p GROUP BY ALL
"""


def agg_sql(root: str) -> dict:
    import duckdb

    from helpers.config import STAGES, load_client

    start, end, window_start = _bounds()
    path = str(Path(root) / "data" / CLIENT / "processed" / "events.parquet")
    catalogue = load_client(CLIENT, root).catalogue_frame()
    cases = " ".join(f"WHEN '{t}' THEN {STAGES.index(s)}" for t, s in zip(catalogue["touchpoint_id"],
                                                                            catalogue["stage"]))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    con.execute(SQL_SLICE.format(path=path, start=start, end=end, stage_cases=cases))
    kpis = con.sql(SQL_KPIS).df()
    transitions = con.sql(SQL_TRANSITIONS).df()
    funnel = con.sql(SQL_FUNNEL).df()
    paths = con.sql(SQL_PATHS.format(path=path, start=window_start, end=end)).df()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, **_digest(kpis, kpis, transitions, funnel, paths)}


def run_aggregates(root: Path) -> dict:
    """The kit's aggregates under its default DuckDB memory limit, again under DuckDB's own default (the memory
    the hand-written SQL has), then the SQL; each in a fresh process."""
    out = {}
    for name in ("kit", "kit_full", "sql"):
        load = _load()
        env = dict(os.environ, TPKIT_DUCKDB_MEMORY="duckdb") if name == "kit_full" else None
        res = subprocess.run([sys.executable, __file__, "--child", name.removesuffix("_full"), str(root)],
                             capture_output=True, text=True, env=env)
        if res.returncode:
            # a failed measurement is a row that says so, not a lost run
            print(f"aggregates ({name}) failed:\n{res.stderr[-3000:]}", file=sys.stderr)
            last = (res.stderr.strip().splitlines() or ["unknown error"])[-1][:160]
            kit = out.get("kit", {})
            return {"kit": kit.get("seconds", float("nan")), "sql": float("nan"),
                    "load": kit.get("load", f"{load} -> {_load()}"),
                    "error": f"{name} failed: {last}" + (f" (kit {kit['seconds']:.1f} s)" if kit else "")}
        out[name] = json.loads(res.stdout.strip().splitlines()[-1])
        out[name]["load"] = f"{load} -> {_load()}"
    for kit in ("kit", "kit_full"):
        for part in ("volume", "journeys", "transitions", "funnel", "paths"):
            if out[kit][part] != out["sql"][part]:
                raise SystemExit(f"the kit's {part} differ from the hand-written SQL's")
    return {"kit": out["kit"]["seconds"], "kit_full": out["kit_full"]["seconds"], "sql": out["sql"]["seconds"],
            "load": f"{out['kit']['load']}, {out['kit_full']['load']}, {out['sql']['load']}"}


# ---------------------------------------------------------------------------
# one size
# ---------------------------------------------------------------------------

GENERATE = "import sys; from helpers import demo; demo.write_demo(sys.argv[1], events=int(sys.argv[2]))"


def bench_size(events: int, workdir: Path, keep: bool, routine: bool = False, report_only: bool = False,
               aggregates: bool = True, aggregates_only: bool = False) -> dict:
    root = workdir / f"scale-{events}"
    row: dict = {"events": events}
    if report_only or aggregates_only:  # the project of an earlier run with --keep, measured again
        if not (root / "data" / CLIENT / "processed").is_dir():
            flag = "--report-only" if report_only else "--aggregates-only"
            raise SystemExit(f"{flag}: no ingested project in {root} (run once with --keep)")
        row.update(gen_s=None, ingest_s=None)
        if aggregates_only:
            row.update(report=None, aggregates=run_aggregates(root))
            return row
        return _measure_report(row, root, True, routine, aggregates)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    load = _load()
    row["gen_s"], row["gen_peak"], code = _run([sys.executable, "-c", GENERATE, str(root), str(events)])
    row["gen_load"] = f"{load} -> {_load()}"
    if code:
        raise SystemExit("demo generation failed")
    load = _load()
    row["ingest_s"], row["ingest_peak"], code = _run([str(BIN / "tpkit"), "ingest", CLIENT, "--root", str(root)])
    row["ingest_load"] = f"{load} -> {_load()}"
    if code:
        raise SystemExit("ingest failed")
    return _measure_report(row, root, keep, routine, aggregates)


def _measure_report(row: dict, root: Path, keep: bool, routine: bool, aggregates: bool) -> dict:
    if routine:  # the quarterly routine: last quarter's report exists when this one is made
        row["previous"] = run_report(root, PREVIOUS)
    load = _load()
    row["report"] = run_report(root)
    row["report_load"] = f"{load} -> {_load()}"
    row["aggregates"] = run_aggregates(root) if aggregates else {"error": "not measured in this run", "load": "-"}
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return row


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------

def _gb(b: float) -> str:
    return f"{b / (1 << 30):.2f} GB"


def _ratio(agg: dict) -> str:
    if agg.get("error"):
        return agg["error"].replace("|", "/")
    text = f"{agg['kit']:.1f} s / {agg['sql']:.1f} s = {agg['kit'] / agg['sql']:.2f}x"
    if "kit_full" in agg:  # rows written before the second kit measurement have none
        text += f" (with the SQL's memory {agg['kit_full']:.1f} s = {agg['kit_full'] / agg['sql']:.2f}x)"
    return text


def _row(r: dict) -> str:
    rep = r["report"]
    agg = r["aggregates"]
    if rep is None:  # --aggregates-only
        return (f"| {r['events']:,} | (earlier run) | (earlier run) | (earlier run) | | | {_ratio(agg)} "
                f"| aggregates {agg['load']} |")
    steps = rep["steps"]
    cell = " / ".join(f"{steps.get(n, float('nan')):.0f}" for n in ("01-identify.ipynb", "02-analyse.ipynb",
                                                                    "03-prioritise.ipynb", "04-evaluate.ipynb",
                                                                    "00-summary.ipynb"))
    status = "" if rep["code"] == 0 else f" (failed, exit {rep['code']})"
    if r.get("previous"):
        status += f" (after {PREVIOUS}'s report, {r['previous']['seconds']:.0f} s)"
    if r["gen_s"] is None:  # --report-only
        gen = ingest = "(earlier run)"
        loads = f"report {r['report_load']}; aggregates {agg['load']}"
    else:
        gen = f"{r['gen_s']:.0f} s, {_gb(r['gen_peak'])}"
        ingest = f"{r['ingest_s']:.0f} s, {_gb(r['ingest_peak'])}"
        loads = (f"gen {r['gen_load']}; ingest {r['ingest_load']}; report {r['report_load']}; "
                 f"aggregates {agg['load']}")
    return (f"| {r['events']:,} | {gen} | {ingest} | {rep['seconds']:.0f} s{status} | {cell} "
            f"| {_gb(rep['kernel_peak'])} ({_gb(rep['tree_peak'])}) | {_ratio(agg)} | {loads} |")


HEADER = """# Scale: one quarterly report at 1M, 10M and 100M events

`python bench/bench_scale.py` (see its docstring). Client nordlys, period 2026Q3, demo data
(`helpers.demo.write_demo(root, events=N)`: N events over six quarters). Machine: {machine}.
The machine's 2 cores are shared with other work running at the same time: the load average
(1/5/15 min) before and after each measurement is in the last column; a load above 2 means the
measurement had less than the whole machine.

Targets: 10M report under 20 s; 100M report under 3 min with the kernel's peak under 6 GB; ingest of
100M under 10 min and under 4 GB; the kit's event aggregates within {ratio}x of hand-written DuckDB SQL.

{columns}
|---:|---:|---:|---:|---|---:|---:|---|
"""
COLUMNS = ("events", "generate (time, peak)", "ingest (time, peak)", "report",
           "seconds per step (identify / analyse / prioritise / evaluate / summary)", "kernel peak (report tree)",
           "aggregates kit / SQL", "load average")


def _header_row() -> str:
    return "| " + " | ".join(COLUMNS) + " |"


def write_results(rows: list[dict], append: bool) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    lines = [_row(r) for r in rows]
    if append and RESULTS.is_file():
        text = RESULTS.read_text(encoding="utf-8")
        head, sep, tail = text.partition("\n\n## Notes")
        RESULTS.write_text(head.rstrip("\n") + "\n" + "\n".join(lines) + "\n" + (sep + tail if sep else ""),
                           encoding="utf-8")
        return
    machine = f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    header = HEADER.format(machine=machine, ratio=TARGET_RATIO, columns=_header_row())
    notes = ""
    if RESULTS.is_file():  # the hand-written notes under the table are kept
        _, sep, tail = RESULTS.read_text(encoding="utf-8").partition("\n\n## Notes")
        notes = sep + tail if sep else ""
    RESULTS.write_text(header + "\n".join(lines) + "\n" + notes, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, action="append", help="sizes (default 1M and 10M)")
    ap.add_argument("--workdir", type=Path, default=None, help="scratch folder for the demo projects")
    ap.add_argument("--append", action="store_true", help="add the rows to the existing results table")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects")
    ap.add_argument("--report-only", action="store_true",
                    help="measure the report and the aggregates again on the project an earlier run kept (--keep)")
    ap.add_argument("--skip-aggregates", action="store_true", help="do not measure the aggregates against SQL")
    ap.add_argument("--aggregates-only", action="store_true",
                    help="measure only the aggregates against SQL, on the project an earlier run kept (--keep)")
    ap.add_argument("--routine", action="store_true",
                    help=f"render {PREVIOUS} first, as in the quarterly routine, so the {PERIOD} report reads its "
                         "artifacts instead of recomputing last quarter")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        name, root = args.child
        print(json.dumps(agg_kit(root) if name == "kit" else agg_sql(root)))
        return 0
    workdir = args.workdir or Path(tempfile.gettempdir()) / "tpkit-bench-scale"
    rows = []
    for events in args.events or SIZES:
        print(f"{dt.datetime.now():%H:%M:%S} {events:,} events ...", flush=True)
        row = bench_size(events, workdir, args.keep, args.routine, args.report_only, not args.skip_aggregates,
                         args.aggregates_only)
        rows.append(row)
        print(_row(row), flush=True)
        write_results(rows, args.append)
    return 0


if __name__ == "__main__":
    sys.exit(main())
