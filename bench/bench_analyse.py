"""Benchmark: the step 2 event aggregates (KPI table by touchpoint, transitions, stage funnel) on
1M and 10M events read from Parquet, three ways:

* ``kit (Ibis on DuckDB)``: the expressions of :mod:`helpers.analyse.queries` exactly as ``analyse.compute``
  runs them (volume, journey conversion, transitions, funnel; each reads the Parquet file);
* ``hand-written DuckDB SQL``: the same aggregates written by hand over a view of the Parquet file;
* ``plain pandas``: the columns read into pandas and aggregated there.

    python bench/bench_analyse.py                      # 1M and 10M events, results in bench/results/analyse.md
    python bench/bench_analyse.py --events 1000000     # one size

The events are generated here with numpy/pyarrow (journeys of 1-12 events over 15 touchpoints in
four stages, 25% of journeys end in a purchase, 16-hex customer ids as after ingest). Each variant
runs in its own subprocess; seconds are the wall time of the aggregation in that process (Python
start-up and imports excluded, reading the Parquet file included) and peak memory is the
subprocess's maximum resident set size (``ru_maxrss`` from ``os.wait4``). Every variant's results
are checked against the SQL's before a time is reported.
Target on 2 cores: 10M events in under 10 s, under 2 GB, within 1.5x of the hand-written SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "analyse.md"
TARGET_SECONDS = 10.0
TARGET_BYTES = 2 << 30
TARGET_RATIO = 1.5
START, END = dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1)

#: touchpoint, stage, kind (the catalogue of the generated client)
CATALOGUE = [
    ("social_ads", "awareness", "digital"), ("search_ads", "awareness", "digital"),
    ("trade_fair", "awareness", "physical"), ("review_site", "awareness", "digital"),
    ("website", "consideration", "digital"), ("app", "consideration", "digital"),
    ("newsletter", "consideration", "digital"), ("store", "consideration", "physical"),
    ("chat", "consideration", "digital"), ("faq", "consideration", "digital"),
    ("web_checkout", "decision", "digital"), ("store_checkout", "decision", "physical"),
    ("packaging", "retention", "physical"), ("invoice_mail", "retention", "digital"),
    ("support", "retention", "digital"),
]
STAGES = ["awareness", "consideration", "decision", "retention"]
VARIANTS = ("kit (Ibis on DuckDB)", "hand-written DuckDB SQL", "plain pandas")


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

def generate(events: int, path: Path, seed: int = 20260701) -> int:
    """Write about ``events`` events to ``path`` (Parquet); returns the exact number written."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    tps = np.array([t for t, _, _ in CATALOGUE])
    pre = np.arange(10)  # awareness + consideration touchpoints
    customers = max(events // 20, 10)
    cust_ids = pa.array([f"{h:016x}" for h in rng.integers(0, 2**63, customers, dtype=np.int64)])
    seg_of = rng.random(customers) < 0.3
    written, journey0 = 0, 0
    schema = pa.schema([("customer_id", pa.string()), ("ts", pa.timestamp("us")), ("touchpoint_id", pa.string()),
                        ("journey_id", pa.string()), ("converted", pa.bool_()), ("revenue", pa.float64()),
                        ("segment", pa.string())])
    span = int((END - START).total_seconds()) - 7 * 86400
    with pq.ParquetWriter(path, schema) as w:
        while written < events:
            nj = min(200_000, max(int((events - written) / 5.375), 1))
            lengths = rng.integers(1, 10, nj)
            conv = rng.random(nj) < 0.25
            retention = conv & (rng.random(nj) < 0.5)
            total = lengths + conv + retention
            jid = np.repeat(np.arange(journey0, journey0 + nj), total)
            pos = np.arange(total.sum()) - np.repeat(np.cumsum(total) - total, total)
            tp = pre[rng.integers(0, len(pre), total.sum())]
            is_conv = np.repeat(conv, total) & (pos == np.repeat(lengths, total))
            tp = np.where(is_conv, np.where(rng.random(total.sum()) < 0.6, 10, 11), tp)
            is_ret = np.repeat(retention, total) & (pos == np.repeat(lengths + 1, total))
            tp = np.where(is_ret, rng.integers(12, 15, total.sum()), tp)
            start = rng.integers(0, span, nj)
            gaps = rng.exponential(3600.0, total.sum()).astype(np.int64) + 1
            csum = np.cumsum(gaps)
            offset = csum - np.repeat(csum[np.cumsum(total) - total], total)
            secs = np.repeat(start, total) + offset
            cust = rng.integers(0, customers, nj)
            cust_e = np.repeat(cust, total)
            revenue = np.where(is_conv, rng.gamma(2.0, 400.0, total.sum()).round(2), 0.0)
            table = pa.table({
                "customer_id": cust_ids.take(pa.array(cust_e)),
                "ts": pa.array((np.datetime64(START, "us") + secs.astype("timedelta64[s]")).astype("datetime64[us]")),
                "touchpoint_id": pa.array(tps[tp]),
                "journey_id": pa.array(np.char.add("j", jid.astype(str))),
                "converted": pa.array(is_conv),
                "revenue": pa.array(revenue),
                "segment": pa.array(np.where(seg_of[cust_e], "club", "guest")),
            }, schema=schema)
            w.write_table(table, row_group_size=1_000_000)
            written += table.num_rows
            journey0 += nj
    return written


# ---------------------------------------------------------------------------
# the three variants (run in a child process)
# ---------------------------------------------------------------------------

def run_kit(path: str) -> dict:
    import ibis
    import pandas as pd

    from helpers.analyse import queries

    cat = pd.DataFrame(CATALOGUE, columns=["touchpoint_id", "stage", "kind"])
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    events = con.read_parquet(path, table_name="events")
    ev = queries.prepare_expr(events, cat, START, END)
    volume = queries.volume_expr(ev, ["touchpoint_id"]).execute()
    journeys = queries.journey_touch_expr(ev, ["touchpoint_id"]).execute()
    transitions = queries.transitions_expr(ev).execute()
    funnel = queries.funnel_expr(ev).execute()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, **_digest(volume, journeys, transitions.rename(columns={"from_tp": "a", "to_tp": "b"}),
                                          funnel)}


# the journeys of the period (helpers.journeys): first event in [start, end), all their events
SQL = """
CREATE TEMP VIEW ev AS
WITH raw AS (SELECT * FROM read_parquet('{path}')),
     j AS (SELECT journey_id FROM raw GROUP BY journey_id
           HAVING min(ts) >= TIMESTAMP '{start}' AND min(ts) < TIMESTAMP '{end}')
SELECT customer_id, ts, touchpoint_id, journey_id, converted, coalesce(revenue, 0.0) AS revenue,
       CASE touchpoint_id {stage_cases} END AS stage_index
FROM raw SEMI JOIN j USING (journey_id);
"""
VOLUME = ("SELECT touchpoint_id, count(*) AS events, count(DISTINCT customer_id) AS customers, "
          "sum(revenue) AS revenue FROM ev GROUP BY touchpoint_id")
JOURNEYS = """
WITH o AS (SELECT journey_id, max(converted::INT) AS c FROM ev GROUP BY journey_id),
     t AS (SELECT DISTINCT journey_id, touchpoint_id FROM ev)
SELECT touchpoint_id, count(*) AS journeys, sum(c) AS converted_journeys FROM t JOIN o USING (journey_id)
GROUP BY touchpoint_id
"""
TRANSITIONS = """
WITH a AS (SELECT touchpoint_id, lag(touchpoint_id) OVER w AS prev, lead(touchpoint_id) OVER w AS nxt
           FROM ev WINDOW w AS (PARTITION BY journey_id ORDER BY ts, touchpoint_id))
SELECT coalesce(prev, '(start)') AS a, touchpoint_id AS b, count(*) AS count FROM a
WHERE prev IS NULL OR prev <> touchpoint_id GROUP BY ALL
UNION ALL
SELECT touchpoint_id AS a, '(end)' AS b, count(*) AS count FROM a WHERE nxt IS NULL GROUP BY ALL
"""
FUNNEL = """
SELECT depth, count(*) AS journeys FROM
  (SELECT journey_id, max(stage_index) AS depth FROM ev WHERE stage_index IS NOT NULL GROUP BY journey_id)
GROUP BY depth
"""


def run_sql(path: str) -> dict:
    import duckdb

    cases = " ".join(f"WHEN '{t}' THEN {STAGES.index(s)}" for t, s, _ in CATALOGUE)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    con.execute(SQL.format(stage_cases=cases, path=path, start=START, end=END))
    volume = con.sql(VOLUME).df()
    journeys = con.sql(JOURNEYS).df()
    transitions = con.sql(TRANSITIONS).df()
    funnel = con.sql(FUNNEL).df()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, **_digest(volume, journeys, transitions, funnel)}


def run_pandas(path: str) -> dict:
    import numpy as np
    import pandas as pd

    stage_index = {t: STAGES.index(s) for t, s, _ in CATALOGUE}
    t0 = time.perf_counter()
    ev = pd.read_parquet(path, columns=["customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue"])
    first = ev.groupby("journey_id")["ts"].transform("min")
    ev = ev[(first >= pd.Timestamp(START)) & (first < pd.Timestamp(END))]
    g = ev.groupby("touchpoint_id")
    volume = pd.DataFrame({"events": g.size(), "customers": g["customer_id"].nunique(),
                           "revenue": g["revenue"].sum()}).reset_index()
    conv = ev.groupby("journey_id")["converted"].max()
    touched = ev[["journey_id", "touchpoint_id"]].drop_duplicates()
    touched = touched.assign(c=touched["journey_id"].map(conv).astype(int))
    journeys = touched.groupby("touchpoint_id").agg(journeys=("c", "size"), converted_journeys=("c", "sum"))
    journeys = journeys.reset_index()
    s = ev[["journey_id", "ts", "touchpoint_id"]].sort_values(["journey_id", "ts", "touchpoint_id"])
    same_j = s["journey_id"].eq(s["journey_id"].shift())
    keep = ~(same_j & s["touchpoint_id"].eq(s["touchpoint_id"].shift()))
    c = s[keep]
    first = ~c["journey_id"].eq(c["journey_id"].shift())
    last = ~c["journey_id"].eq(c["journey_id"].shift(-1))
    prev = c["touchpoint_id"].shift().where(~first, "(start)")
    moves = pd.DataFrame({"a": prev.to_numpy(), "b": c["touchpoint_id"].to_numpy()})
    ends = pd.DataFrame({"a": c.loc[last, "touchpoint_id"].to_numpy(), "b": "(end)"})
    transitions = pd.concat([moves, ends]).groupby(["a", "b"]).size().rename("count").reset_index()
    depth = ev.assign(si=ev["touchpoint_id"].map(stage_index)).dropna(subset=["si"])
    depth = depth.groupby("journey_id")["si"].max().astype(np.int64)
    funnel = depth.value_counts().rename_axis("depth").rename("journeys").reset_index()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, **_digest(volume, journeys, transitions, funnel)}


def _digest(volume, journeys, transitions, funnel) -> dict:
    """Small, order-free summary of the results, to check that every variant computed the same."""
    v = volume.sort_values("touchpoint_id")
    j = journeys.sort_values("touchpoint_id")
    t = transitions.sort_values(["a", "b"])
    f = funnel.sort_values("depth")
    return {
        "events": [int(x) for x in v["events"]], "customers": [int(x) for x in v["customers"]],
        "revenue": round(float(v["revenue"].sum()), 2),
        "journeys": [int(x) for x in j["journeys"]], "converted": [int(x) for x in j["converted_journeys"]],
        "transitions": [[str(a), str(b), int(n)] for a, b, n in zip(t["a"], t["b"], t["count"])],
        "funnel": [[int(d), int(n)] for d, n in zip(f["depth"], f["journeys"])],
    }


CHILD = {"kit": run_kit, "sql": run_sql, "pandas": run_pandas}


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------

def measure(variant: str, path: Path) -> dict:
    """Run one variant in a fresh process; its result plus the process's peak RSS in bytes."""
    out = tempfile.NamedTemporaryFile(suffix=".json", delete=False)
    out.close()
    proc = subprocess.Popen([sys.executable, __file__, "--child", variant, "--path", str(path), "--out", out.name],
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"variant {variant} failed")
    result = json.loads(Path(out.name).read_text())
    os.unlink(out.name)
    result["peak_bytes"] = usage.ru_maxrss * 1024  # Linux reports KiB
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the whole process, imports included
    return result


def table(rows: list[dict]) -> str:
    head = ("| events | variant | seconds | CPU seconds (process) | peak memory | vs SQL | same results |\n"
            "|---:|---|---:|---:|---:|---:|---|\n")
    body = "".join(
        f"| {r['events']:,} | {r['variant']} | {r['seconds']:.2f} | {r['cpu_seconds']:.1f} | "
        f"{r['peak_bytes'] / 2**20:,.0f} MB | {r['ratio']:.2f}x | {'yes' if r['same'] else 'NO'} |\n" for r in rows)
    return head + body


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    ap.add_argument("--child", choices=sorted(CHILD))
    ap.add_argument("--path")
    ap.add_argument("--out")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update bench/results/analyse.md")
    args = ap.parse_args(argv)
    if args.child:
        Path(args.out).write_text(json.dumps(CHILD[args.child](args.path)))
        return 0

    sizes = args.events or [1_000_000, 10_000_000]
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"events_{size}.parquet"
            t0 = time.perf_counter()
            n = generate(size, path)
            print(f"generated {n:,} events in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 2**20:.0f} MB)",
                  flush=True)
            results = {name: measure(key, path) for name, key in zip(VARIANTS, ("kit", "sql", "pandas"))}
            ref = results["hand-written DuckDB SQL"]
            for name, res in results.items():
                same = all(res[k] == ref[k] for k in ("events", "customers", "journeys", "converted", "transitions",
                                                      "funnel")) and abs(res["revenue"] - ref["revenue"]) < 1.0
                rows.append({"events": n, "variant": name, "seconds": res["seconds"], "peak_bytes": res["peak_bytes"],
                             "cpu_seconds": res["cpu_seconds"], "ratio": res["seconds"] / ref["seconds"],
                             "same": same})
                print(f"  {name:26s} {res['seconds']:7.2f} s  {res['peak_bytes'] / 2**20:8,.0f} MB  same={same}",
                      flush=True)
    text = table(rows)
    kit = [r for r in rows if r["variant"] == VARIANTS[0]]
    big = max(kit, key=lambda r: r["events"])
    verdict = (f"Largest size ({big['events']:,} events), kit: {big['seconds']:.2f} s "
               f"(target < {TARGET_SECONDS:.0f} s), "
               f"{big['peak_bytes'] / 2**30:.2f} GB (target < 2 GB), {big['ratio']:.2f}x the hand-written SQL "
               f"(target <= {TARGET_RATIO}x): "
               + ("all targets met." if big["seconds"] < TARGET_SECONDS and big["peak_bytes"] < TARGET_BYTES
                  and big["ratio"] <= TARGET_RATIO and all(r["same"] for r in rows) else "a target is missed."))
    print()
    print(text)
    print(verdict)
    if not args.no_write:
        import duckdb
        import ibis
        import pandas as pd

        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            "# Step 2 aggregates: KPI table by touchpoint + transitions + stage funnel\n\n"
            "Generated by `python bench/bench_analyse.py`. Events are read from one Parquet file; each variant runs "
            "in its own process. Seconds: wall time of the aggregation (reading included, start-up excluded). "
            "Peak memory: the process's maximum resident set size. *Same results*: every count equals the "
            "hand-written SQL's.\n\n"
            + text + "\n" + verdict + "\n\n"
            f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"duckdb {duckdb.__version__}, ibis {ibis.__version__}, pandas {pd.__version__}. "
            f"Load average (1 min) {load_before[0]:.1f} at the start and {os.getloadavg()[0]:.1f} at the end: "
            "other work on the machine slows the wall-clock times; CPU seconds are less affected.\n",
            encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
