"""Honesty of the step-4 verdicts in every regime: the grid of issue 13.

design (ITS, DiD, A/B, A/B + CUPED) x weeks after the change (1, 2, 3, 6, 13, 26) x weekly
autocorrelation (0, 0.3, 0.6) x volume (small, demo); in each cell an A/A run (no effect) and a
run with the effect planted at the MDE the kit states (the median stated MDE of the A/A run).

The data come from a plain generator written here (not the kit's demo simulator): weekly means of
normal answers (sd 0.85, like CSAT) around a level with an AR(1) weekly shock (stationary sd 0.05,
autocorrelation rho); for DiD a treated and a control group, each with its own AR(1) shock and a
common one; for A/B individual units (conversion 10% with an AR(1) weekly shock on the log-odds,
or a CSAT-like answer with a pre-period covariate for CUPED) split 50/50. 52 weeks before the
change. Each run is evaluated by the functions the report uses (helpers.evaluate.compute.changes:
its_outcome, did_outcome, ab_outcome), including their minimums ("too early", "too little data").
Each cell is one test, so the Benjamini-Hochberg adjustment leaves its p value as it is.

    .venv/bin/python bench/bench_verdicts.py [--runs 500] [--seed 20261123] [--workers 2]

Prints progress and the table, writes bench/results/verdicts.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import multiprocessing as mp
import os
import time
from pathlib import Path

# thousands of small factorisations per run: threaded BLAS in each worker would only oversubscribe the cores
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402 (after the thread settings)
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

from helpers.evaluate.compute import changes as ch  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "verdicts.md"
DESIGNS = ("ITS", "DiD", "A/B", "A/B + CUPED")
POST_WEEKS = (1, 2, 3, 6, 13, 26)
RHOS = (0.0, 0.3, 0.6)
#: answers per group and week (ITS, DiD) and units per variant and week (A/B)
VOLUMES = {"small": {"week": 20, "ab": 50}, "demo": {"week": 150, "ab": 400}}
PRE_WEEKS = 52
SD = 0.85
SHOCK_SD = 0.05
START = dt.date(2026, 6, 1)
WIN = ch.Window(pd.Timestamp(START), pd.Timestamp(START) - pd.Timedelta(weeks=PRE_WEEKS), pd.Timestamp(START),
                START, "UTC")


def ar1(rng, n: int, rho: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with marginal sd ``sd``."""
    e = rng.normal(0, sd * np.sqrt(1 - rho**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sd)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + e[i]
    return out


def weekly_means(rng, weeks: np.ndarray, n_week: int, rho: float, effect: float) -> tuple[np.ndarray, np.ndarray]:
    k = rng.poisson(n_week, weeks.size).clip(3)
    mu = 4.0 + ar1(rng, weeks.size, rho, SHOCK_SD) + effect * (weeks >= 0)
    return mu + rng.normal(0, SD, weeks.size) / np.sqrt(k), k


def run_its(rng, h: int, rho: float, vol: dict, effect: float, draws: int = ch.NULL_DRAWS):
    weeks = np.arange(-PRE_WEEKS, h)
    y, k = weekly_means(rng, weeks, vol["week"], rho, effect)
    weekly = pd.DataFrame({"touchpoint_id": "tp", "segment": pd.NA, "week": weeks, "sum": y * k, "n": k,
                           "days": 7.0})
    return ch.its_outcome(weekly, "csat", WIN, checks=False, draws=draws)


def run_did(rng, h: int, rho: float, vol: dict, effect: float, draws: int = ch.NULL_DRAWS):
    weeks = np.arange(-PRE_WEEKS, h)
    common = ar1(rng, weeks.size, rho, SHOCK_SD)
    frames = []
    for treated in (1, 0):
        y, k = weekly_means(rng, weeks, vol["week"], rho, effect if treated else 0.0)
        frames.append(pd.DataFrame({"treated": treated, "week": weeks, "sum": (y + common) * k, "n": k,
                                    "days": 7.0, "value": y + common}))
    rows = pd.concat(frames, ignore_index=True)
    rows["post"] = (rows["week"] >= 0).astype(int)
    rows["cluster"] = rows["week"]
    return ch.did_outcome(rows, "csat", "group-weeks", "n", START, checks=False, draws=draws)


def run_ab(rng, h: int, rho: float, vol: dict, effect: float, cuped: bool):
    n = 2 * vol["ab"] * h
    week = rng.integers(0, h, n)
    treat = rng.random(n) < 0.5
    shock = ar1(rng, h, rho, 0.1)[week]
    if cuped:
        x = rng.normal(0, 1, n)
        y = 4.0 + shock * SD + SD * (0.6 * x + 0.8 * rng.normal(0, 1, n)) + effect * treat
        cov = np.where(rng.random(n) < 0.7, 4.0 + SD * x, np.nan)
    else:
        logit = np.log(0.1 / 0.9) + shock
        p = 1 / (1 + np.exp(-logit)) + effect * treat
        y = (rng.random(n) < p).astype(float)
        cov = np.full(n, np.nan)
    rows = pd.DataFrame({"variant": np.where(treat, "B", "A"), "value": y, "covariate": cov,
                         "ts": WIN.start + pd.to_timedelta(week * 7 + 3, unit="D")})
    return ch.ab_outcome(rows, "csat" if cuped else "conversion", WIN, "units", control="A")


def one(design: str, rng, h: int, rho: float, vol: dict, effect: float, planted: bool = False):
    # the planted runs need no MDE of their own (the bootstrap behind the stated MDE: docs/verdicts.md)
    draws = 0 if planted else ch.NULL_DRAWS
    if design == "ITS":
        return run_its(rng, h, rho, vol, effect, draws)
    if design == "DiD":
        return run_did(rng, h, rho, vol, effect, draws)
    return run_ab(rng, h, rho, vol, effect, cuped=design == "A/B + CUPED")


def cell(args) -> dict:
    design, h, rho, volume, runs, seed = args
    rng = np.random.default_rng(seed)
    vol = VOLUMES[volume]
    row = {"design": design, "weeks after": h, "rho": rho, "volume": volume}
    # the kit's minimums depend on the design and the weeks only: a cell whose first runs get no verdict is
    # "too early" / "not enough data" as a whole and is not simulated further
    aa = [one(design, rng, h, rho, vol, 0.0) for _ in range(10)]
    if any(o.status == "ok" for o in aa):
        aa += [one(design, rng, h, rho, vol, 0.0) for _ in range(runs - 10)]
    given = [o for o in aa if o.status == "ok"]
    if len(given) < len(aa) * 0.5:
        statuses = pd.Series([o.status for o in aa]).value_counts()
        row.update(verdict=statuses.index[0], runs=len(aa), fpr=np.nan, coverage=np.nan, mde=np.nan,
                   planted_moved=np.nan, planted_coverage=np.nan)
        return row
    p = np.array([o.result.p for o in given])
    lo = np.array([o.result.ci_low for o in given])
    hi = np.array([o.result.ci_high for o in given])
    mde = float(np.nanmedian([o.result.mde for o in given]))
    pl = [one(design, rng, h, rho, vol, mde, planted=True) for _ in range(runs)]
    pl = [o for o in pl if o.status == "ok"]
    pp = np.array([o.result.p for o in pl])
    est = np.array([o.result.estimate for o in pl])
    plo = np.array([o.result.ci_low for o in pl])
    phi = np.array([o.result.ci_high for o in pl])
    row.update(verdict="given" if len(given) == runs else f"given in {len(given)}", runs=runs,
               fpr=float(np.mean(p < 0.05)), coverage=float(np.mean((lo <= 0) & (0 <= hi))), mde=mde,
               planted_moved=float(np.mean((pp < 0.05) & (est > 0))),
               planted_coverage=float(np.mean((plo <= mde) & (mde <= phi))))
    return row


def in_bounds(r: pd.Series) -> str:
    if not np.isfinite(r["fpr"]):
        return "no verdict"
    ok = 0.03 <= r["fpr"] <= 0.07 and r["coverage"] >= 0.93 and 0.75 <= r["planted_moved"] <= 0.85
    return "yes" if ok else "**no**"


def beyond_noise(r: pd.Series, alpha: float = 0.01) -> str:
    """For a cell out of bounds: is the miss more than the binomial noise of its runs?

    One-sided exact binomial test of each measured share against the bound it crosses (fpr against 0.07 or
    0.03, coverage against 0.93, planted_moved against 0.75 or 0.85); "yes" when one of them has p < ``alpha``.
    With about 100 cells and 500 runs a few cells fall just outside the bands by chance alone (a perfectly
    calibrated test lands outside 0.03-0.07 in about 4% of the cells)."""
    if not np.isfinite(r["fpr"]) or in_bounds(r) == "yes":
        return ""
    n = int(r["runs"])
    tests = []
    for share, low, high in ((r["fpr"], 0.03, 0.07), (r["coverage"], 0.93, 1.0), (r["planted_moved"], 0.75, 0.85)):
        k = int(round(share * n))
        if share > high:
            tests.append(stats.binomtest(k, n, high, alternative="greater").pvalue)
        elif share < low:
            tests.append(stats.binomtest(k, n, low, alternative="less").pvalue)
    return "yes" if min(tests, default=1.0) < alpha else "no"


def fmt(df: pd.DataFrame) -> str:
    def cell_text(v):
        if isinstance(v, (float, np.floating)):
            return "" if not np.isfinite(v) else f"{v:.3f}"
        return str(v)

    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    return "\n".join([head, rule, *("| " + " | ".join(cell_text(v) for v in r) + " |"
                                    for r in df.itertuples(index=False))])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--ab-runs", type=int, default=None, help="runs per A/B cell (default: --runs)")
    ap.add_argument("--out", type=Path, default=OUT, help="results file (rewritten after every cell)")
    ap.add_argument("--rows", type=Path, default=None, help="also append each finished cell as a CSV row here")
    ap.add_argument("--skip-done", action="store_true",
                    help="leave out the cells already in the --rows file (same seeds: resumes a stopped run)")
    ap.add_argument("--from-rows", type=Path, nargs="+", default=None, metavar="CSV",
                    help="run nothing: write the results file from cells saved with --rows (later files win)")
    args = ap.parse_args(argv)
    if args.from_rows:
        rows = pd.concat([pd.read_csv(f) for f in args.from_rows], ignore_index=True)
        rows = rows.drop_duplicates(["design", "weeks after", "rho", "volume"], keep="last")
        total = len(DESIGNS) * len(POST_WEEKS) * len(RHOS) * len(VOLUMES)
        write_report(rows.to_dict("records"), args, None, partial=len(rows) < total, total=total)
        return 0
    designs = [d for d in args.designs.split(",") if d]
    # a cell's seed is its place in the full grid, so a run of some designs repeats those cells of a full run
    full = itertools.product(DESIGNS, POST_WEEKS, RHOS, VOLUMES)
    tasks = [(d, h, r, v, args.ab_runs if d.startswith("A/B") and args.ab_runs else args.runs, args.seed + i)
             for i, (d, h, r, v) in enumerate(full) if d in designs]
    done = set()
    if args.skip_done and args.rows is not None and args.rows.exists():
        prev = pd.read_csv(args.rows)
        done = set(zip(prev["design"], prev["weeks after"], prev["rho"].round(3), prev["volume"]))
        tasks = [t for t in tasks if (t[0], t[1], round(t[2], 3), t[3]) not in done]
    # the ITS cells last: their REML fits are the slowest (the seeds follow the grid, not this order)
    tasks.sort(key=lambda t: t[0] == "ITS")
    t0 = time.time()
    rows = []
    with mp.Pool(min(args.workers, 2)) as pool:
        for i, row in enumerate(pool.imap_unordered(cell, tasks), 1):
            rows.append(row)
            print(f"[{i}/{len(tasks)} {time.time() - t0:.0f}s] {row['design']} h={row['weeks after']} "
                  f"rho={row['rho']} {row['volume']}: fpr={row['fpr']:.3f} cov={row['coverage']:.3f} "
                  f"moved={row['planted_moved']:.3f} ({row['verdict']})", flush=True)
            if args.rows is not None:
                pd.DataFrame([row]).to_csv(args.rows, mode="a", header=not args.rows.exists(), index=False)
            write_report(rows, args, t0, partial=i < len(tasks), total=len(tasks))
    return 0


def write_report(rows: list[dict], args, t0: float | None, partial: bool, total: int) -> None:
    """Write the results table of the cells finished so far (all of them when ``partial`` is False)."""
    order = {d: i for i, d in enumerate(DESIGNS)}
    table = pd.DataFrame(rows)
    table = table.sort_values(["design", "weeks after", "rho", "volume"],
                              key=lambda c: c.map(order) if c.name == "design" else c).reset_index(drop=True)
    table["in bounds"] = table.apply(in_bounds, axis=1)
    table["miss beyond noise"] = table.apply(beyond_noise, axis=1)
    given = table[np.isfinite(table["fpr"])]
    text = [
        "# Honesty of the step-4 verdicts: the grid of issue 13",
        "",
        *([f"PARTIAL: {len(rows)} of {total} cells finished so far.", ""] if partial else []),
        (f"`bench/bench_verdicts.py --runs {args.runs} --seed {args.seed}` ({time.time() - t0:.0f} s, "
         f"{args.workers} workers)." if t0 is not None else
         f"`bench/bench_verdicts.py --from-rows {' '.join(f.name for f in args.from_rows)}`: the cells of "
         f"separate runs (`--rows`, seed {args.seed} + the cell's place in the full grid), later files winning."
         ) + " Data from the plain generator in the script (see its docstring); each run "
        "is evaluated by `helpers.evaluate.compute.changes` as the report does, with its minimums. 52 weeks "
        "before the change; weekly AR(1) shocks with autocorrelation `rho`; volume small = 20 answers per group "
        "and week (A/B: 50 units per variant and week), demo = 150 (A/B: 400).",
        "",
        "Columns: `verdict` = given, or why not (too early / too little data); `fpr` = A/A share with p < 0.05 "
        "(nominal 0.05; binomial sd 0.010 at 500 runs); `coverage` = A/A share of 95% intervals containing 0; "
        "`mde` = median stated MDE (80% power at the verdict's level; one test per cell, so that level is "
        "0.05); `planted_moved` = share called moved with the effect planted at that MDE; "
        "`planted_coverage` = share of intervals containing the planted effect. Targets where a verdict is "
        "given: fpr 0.03-0.07, coverage >= 0.93, planted_moved 0.75-0.85. `miss beyond noise` = for a cell out of "
        "bounds, whether a one-sided exact binomial test against the bound it crosses has p < 0.01 (with 500 runs "
        "a well-calibrated test lands outside 0.03-0.07 in about 4% of the cells by chance).",
        "",
        fmt(table),
        "",
        f"Cells with a verdict: {len(given)} of {len(table)}; in bounds: {int((given['in bounds'] == 'yes').sum())}; "
        f"out of bounds by more than the runs' binomial noise (one-sided exact test against the bound crossed, "
        f"p < 0.01): {int((given['miss beyond noise'] == 'yes').sum())}.",
        "",
    ]
    report = "\n".join(text)
    if not partial:
        print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
