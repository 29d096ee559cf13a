"""Benchmark: Markov and heuristic attribution on 1M journeys over 20 touchpoints.

    python bench/bench_attribution.py                        # 1M journeys, results in bench/results/attribution.md
    python bench/bench_attribution.py --journeys 200000      # another size
    python bench/bench_attribution.py --other-python /path/to/venv/bin/python

The journeys are generated here with numpy from a random absorbing chain (20 touchpoints, two of them
checkouts that convert, at most 12 steps per journey, fixed seed) and written as an event table
(Parquet, one row per touch, revenue on the converting touch). Timed steps of the kit, in this process
after imports:

* ``paths from events``: :func:`helpers.prioritise.journey_paths` (Ibis on DuckDB) reading the Parquet file;
* ``Markov, order 1``: :func:`helpers.prioritise.markov_attribution` on that path table, exact removal
  effects (one linear solve per touchpoint, parsing the path strings included);
* ``5 heuristic models``: first, last, linear, time decay, position-based;
* ``Markov, order 2``: the same with states made of the last two touchpoints.

Exactness: the kit's removal effects are compared with an independent solver
(:func:`helpers.demo.removal_effects`, pandas and a matrix inverse) on the same fitted chain.

Another open-source implementation, ChannelAttribution (PyPI), runs in a separate Python given by
``--other-python`` or ``$TPKIT_BENCH_OTHER_PYTHON`` (default ``/tmp/tpkit-bench-venv/bin/python``); it
is never installed into the kit's environment. Its ``markov_model`` estimates removal effects by
simulation; the table shows its time and its largest difference from the exact removal effects. When
that Python or the package is missing, its column says so and the rest still runs.
Target on 2 cores: Markov and heuristics together in a few seconds on 1M journeys.
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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "attribution.md"
TARGET_SECONDS = 5.0
MAX_STEPS = 12
START = dt.datetime(2026, 7, 1)
DEFAULT_OTHER = "/tmp/tpkit-bench-venv/bin/python"


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------

def chain(n_channels: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A random absorbing chain: start probabilities and a transition matrix over
    channels + conversion + null (conversion only from the last two channels, the checkouts)."""
    names = [f"tp{i:02d}" for i in range(n_channels)]
    start = rng.dirichlet(np.full(n_channels - 2, 0.7))
    start = np.r_[start, 0.0, 0.0]
    m = np.zeros((n_channels, n_channels + 2))
    for i in range(n_channels):
        targets = rng.choice(n_channels, size=4, replace=False)
        m[i, targets] = rng.dirichlet(np.ones(4)) * 0.6
        m[i, -1] = 0.25 + 0.3 * rng.random()          # null
    checkout = [n_channels - 2, n_channels - 1]
    for c in checkout:
        m[c, :n_channels] *= 0.2
        m[c, -2] = 0.5 + 0.3 * rng.random()            # conversion
    for i in range(n_channels - 2):
        m[i, checkout] += 0.08                           # every channel can lead to a checkout
    return names, start, m / m.sum(axis=1, keepdims=True)


def generate(journeys: int, n_channels: int, events_path: Path, seed: int = 20260701) -> dict:
    """Simulate ``journeys`` journeys and write them as an event table; return the path table too."""
    rng = np.random.default_rng(seed)
    names, start, m = chain(n_channels, rng)
    cum = np.cumsum(m, axis=1)
    state = np.searchsorted(np.cumsum(start), rng.random(journeys) * (1 - 1e-12))
    alive = np.arange(journeys)
    steps_j, steps_s, steps_k = [], [], []
    outcome = np.full(journeys, n_channels + 1)        # null unless converted
    for k in range(MAX_STEPS):
        if alive.size == 0:
            break
        steps_j.append(alive)
        steps_s.append(state)
        steps_k.append(np.full(alive.size, k))
        nxt = (rng.random(alive.size)[:, None] > cum[state]).sum(axis=1)
        done = nxt >= n_channels
        outcome[alive[done]] = nxt[done]
        alive, state = alive[~done], nxt[~done]
    j = np.concatenate(steps_j)
    s = np.concatenate(steps_s)
    k = np.concatenate(steps_k)
    order = np.lexsort((k, j))
    j, s, k = j[order], s[order], k[order]
    converted = outcome == n_channels
    length = np.bincount(j, minlength=journeys)
    last = np.cumsum(length) - 1
    conv_flag = np.zeros(j.size, dtype=bool)
    conv_flag[last[converted]] = True
    revenue = np.where(conv_flag, np.round(rng.gamma(4.0, 150.0, size=j.size), 2), 0.0)
    ts = (np.datetime64(START, "s") + (j % (86400 * 80)).astype("timedelta64[s]")
          + (k * 600).astype("timedelta64[s]")).astype("datetime64[us]")
    table = pa.table({
        "customer_id": pa.array(np.char.mod("c%07d", j)),
        "journey_id": pa.array(np.char.mod("j%07d", j)),
        "ts": pa.array(ts),
        "touchpoint_id": pa.array(np.array(names)[s]),
        "converted": pa.array(conv_flag),
        "revenue": pa.array(revenue),
    })
    pq.write_table(table, events_path)
    return {"events": int(j.size), "journeys": journeys, "conversion_rate": float(converted.mean())}


# ---------------------------------------------------------------------------
# runs
# ---------------------------------------------------------------------------

def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run_kit(events_path: Path) -> dict:
    from helpers import data, demo, prioritise

    con = data.connect(engine="duckdb")
    events = con.read_parquet(str(events_path))
    end = START + dt.timedelta(days=120)
    paths, t_paths = timed(prioritise.journey_paths, events, START, end)
    mk, t_markov = timed(prioritise.markov_attribution, paths)

    def heuristics():
        pp = prioritise.parse_paths(paths)
        return {m: prioritise.heuristic_attribution(pp, m) for m in prioritise.HEURISTICS}

    heur, t_heur = timed(heuristics)
    mk2, t_markov2 = timed(prioritise.markov_attribution, paths, order=2)
    independent = demo.removal_effects(prioritise.transition_matrix(paths))
    diff_exact = max(abs(mk.removal_effects[c] - v) for c, v in independent.items())
    totals_ok = all(abs(h["conversions"].sum() - mk.total_conversions) < 1e-6 * max(1, mk.total_conversions)
                    for h in heur.values())
    return {"paths": paths, "markov": mk, "order2_states": mk2.n_states, "t_paths": t_paths, "t_markov": t_markov,
            "t_heuristics": t_heur, "t_markov2": t_markov2, "diff_exact": diff_exact, "totals_ok": totals_ok}


OTHER_SCRIPT = r"""
import json, sys, time
import pandas as pd
import ChannelAttribution as ca
paths = pd.read_csv(sys.argv[1])
t = time.perf_counter()
res = ca.markov_model(paths, "path", "conversions", var_value="revenue", var_null="nulls", order=1,
                      out_more=True, ncore=2, seed=1, verbose=False, flg_pro=False)
t_markov = time.perf_counter() - t
t = time.perf_counter()
ca.heuristic_models(paths, "path", "conversions", var_value="revenue", flg_pro=False)
t_heur = time.perf_counter() - t
re = res["removal_effects"]
from importlib.metadata import version
print(json.dumps({"t_markov": t_markov, "t_heuristics": t_heur, "version": version("ChannelAttribution"),
                  "removal_effects": dict(zip(re["channel_name"], re["removal_effects_conversion"]))}))
"""


def run_other(python: str, paths: pd.DataFrame, workdir: Path) -> dict:
    """ChannelAttribution in its own Python; a dict with ``error`` when it cannot run."""
    if not Path(python).exists():
        return {"error": f"no Python at {python}"}
    probe = subprocess.run([python, "-c", "import ChannelAttribution"], capture_output=True, text=True)
    if probe.returncode != 0:
        return {"error": "ChannelAttribution is not installed there"}
    csv = workdir / "paths.csv"
    paths[["path", "conversions", "nulls", "revenue"]].to_csv(csv, index=False)
    script = workdir / "other.py"
    script.write_text(OTHER_SCRIPT, encoding="utf-8")
    proc = subprocess.run([python, str(script), str(csv)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")][-1]
    return json.loads(line)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def report(meta: dict, kit: dict, other: dict) -> str:
    mk = kit["markov"]
    lines = [
        "# Attribution benchmark",
        "",
        f"{meta['journeys']:,} journeys ({meta['events']:,} events, {meta['paths']:,} distinct paths) over "
        f"{meta['channels']} touchpoints; conversion rate {meta['conversion_rate']:.1%}. "
        f"Machine: {meta['machine']}, {meta['cpus']} CPUs, load average {meta['load']}. "
        f"Run {meta['when']} with `python bench/bench_attribution.py --journeys {meta['journeys']}`.",
        "",
        "| step | kit (seconds) | ChannelAttribution (seconds) |",
        "|---|---:|---:|",
    ]
    o = other
    na = f"not run: {o['error']}" if "error" in o else None
    lines += [
        f"| paths from events (Ibis on DuckDB) | {kit['t_paths']:.2f} | - |",
        f"| Markov, order 1 (exact removal effects) | {kit['t_markov']:.2f} | "
        f"{na or format(o['t_markov'], '.2f') + ' (simulated)'} |",
        f"| 5 heuristic models | {kit['t_heuristics']:.2f} | "
        f"{na or format(o['t_heuristics'], '.2f') + ' (first, last, linear)'} |",
        f"| Markov and heuristics together | **{kit['t_markov'] + kit['t_heuristics']:.2f}** | "
        f"{na or format(o['t_markov'] + o['t_heuristics'], '.2f')} |",
        f"| Markov, order 2 ({kit['order2_states']:,} states) | {kit['t_markov2']:.2f} | - |",
        "",
        f"Removal effects of the kit against an independent exact solver (`helpers.demo.removal_effects` on "
        f"the same fitted chain): largest difference {kit['diff_exact']:.1e}. Every heuristic model shares "
        f"out all {mk.total_conversions:,.0f} conversions: {'yes' if kit['totals_ok'] else 'NO'}.",
    ]
    if "error" not in o:
        diffs = {c: abs(v - mk.removal_effects.get(c, np.nan)) for c, v in o["removal_effects"].items()}
        worst = max(diffs, key=lambda c: diffs[c])
        lines += ["", f"ChannelAttribution {o['version']} (`markov_model`, order 1, 2 threads, its default "
                  f"convergence) estimates removal effects by simulation: its largest difference from the exact "
                  f"values is {diffs[worst]:.3f} ({worst}); the mean difference is "
                  f"{np.mean(list(diffs.values())):.3f}."]
    target = kit["t_markov"] + kit["t_heuristics"]
    lines += ["", f"Target: Markov and heuristics in under {TARGET_SECONDS:g} s on 2 cores: "
              f"{'met' if target < TARGET_SECONDS else 'NOT met'} ({target:.2f} s)."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--channels", type=int, default=20)
    ap.add_argument("--other-python", default=os.environ.get("TPKIT_BENCH_OTHER_PYTHON", DEFAULT_OTHER))
    ap.add_argument("--no-save", action="store_true", help="print the table without writing bench/results")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(HERE.parent / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gen = generate(args.journeys, args.channels, work / "events.parquet")
        kit = run_kit(work / "events.parquet")
        other = run_other(args.other_python, kit["paths"], work)
    meta = {**gen, "channels": args.channels, "paths": len(kit["paths"]), "machine": platform.machine(),
            "cpus": os.cpu_count(), "load": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
            "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    text = report(meta, kit, other)
    print(text)
    if not args.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
