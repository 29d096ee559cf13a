"""Honesty of the step-4 verdicts: simulated reports shaped like the nordlys demo report.

Each simulated report has the five tests of the demo (three interrupted time series, one
difference-in-differences, one A/B test with CUPED) at the demo's volumes, with the monthly
satisfaction shocks the demo data shares across touchpoints (simulated by helpers.demo.verdicts).
The estimators are the ones the reports use (helpers.evaluate).

1. A/A: no change has any effect. Share of tests with p < 0.05, share called "moved" after the
   Benjamini-Hochberg adjustment over the report, interval coverage; share of reports with at
   least one false "moved".
2. Planted: every test gets a true effect equal to its median minimum detectable effect (MDE)
   from the A/A run. The MDE promises 80% power at the 5% level.
3. ITS error choices: false-positive rate of the three ITS tests under the stationary
   (default), Newey-West and classical covariances.

    .venv/bin/python bench/bench_verdicts.py [--datasets 500] [--seed 20261123]

Prints the tables and writes bench/results/verdicts.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import evaluate
from helpers.demo import verdicts as sim

OUT = Path(__file__).resolve().parent / "results" / "verdicts.md"


def its_error_choices(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    shape = [s for s in sim.DEMO_SHAPE if s["design"] == "its"]
    for _ in range(n):
        shocks = rng.normal(0, sim.MONTH_SHOCK_SD, size=40)
        for spec in shape:
            weeks = np.arange(-spec["pre"], spec["post"])
            k = rng.poisson(spec["n_week"], size=weeks.size).clip(1)
            if spec["kind"] == "proportion":
                y = rng.binomial(k, spec["base"]) / k
            else:
                mu = spec["base"] + shocks[((weeks + spec["pre"]) / sim.WEEKS_PER_MONTH).astype(int)]
                y, _ = sim.ratings_mean(rng, mu, k)
            df = pd.DataFrame({"week": weeks, "value": y, "n": k})
            for errors in evaluate.ITS_ERRORS:
                r = evaluate.interrupted_time_series(df, "value", "week", 0, errors=errors, weights="n").effect
                rows.append({"test": spec["name"], "errors": errors, "false_positive": r.p < 0.05})
    out = rows and pd.DataFrame(rows).groupby(["test", "errors"], sort=False)["false_positive"].mean().unstack()
    return out.reset_index()


def fmt(df: pd.DataFrame) -> str:
    """A markdown table (no extra dependency)."""
    cells = [[f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v) for v in row]
             for row in df.itertuples(index=False)]
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    return "\n".join([head, rule, *("| " + " | ".join(r) + " |" for r in cells)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args(argv)
    n = args.datasets
    t0 = time.time()
    aa = sim.simulate_verdicts(n, seed=args.seed)
    aa_sum = sim.summarise_simulation(aa)
    any_moved = float(aa.groupby("dataset")["moved"].any().mean())
    mdes = aa.groupby("test", sort=False)["mde"].median().to_numpy()
    planted = sim.simulate_verdicts(n, seed=args.seed + 1, effects=mdes)
    pl_sum = sim.summarise_simulation(planted)
    its = its_error_choices(max(n // 2, 50), args.seed + 2)
    se_binom = np.sqrt(0.05 * 0.95 / n)
    text = [
        "# Honesty of the step-4 verdicts",
        "",
        f"`bench/bench_verdicts.py --datasets {n} --seed {args.seed}` ({time.time() - t0:.0f} s). Each dataset is one "
        "simulated report with the five tests of the nordlys demo report at the demo's volumes "
        "(`helpers.demo.verdicts.DEMO_SHAPE`), evaluated by the code the reports use.",
        "",
        f"## A/A: no effect anywhere ({n} reports)",
        "",
        "`share_p_below_alpha`: unadjusted false-positive rate (nominal 0.05, binomial sd "
        f"{se_binom:.3f}); `share_moved_adjusted`: share called moved after the Benjamini-Hochberg adjustment "
        "over the report's tests; `ci_coverage`: share of 95% intervals containing the true effect 0.",
        "",
        fmt(aa_sum),
        "",
        f"Reports with at least one false \"moved\" verdict: **{any_moved:.3f}** "
        f"(share of all tests called moved: {aa['moved'].mean():.3f}).",
        "",
        f"## Planted effect equal to the MDE ({n} reports)",
        "",
        "Every test gets a true effect equal to its median A/A MDE (`planted`, on the KPI's scale). "
        "The MDE promises 80% power for the single test at the 5% level (`share_p_below_alpha`); "
        "`share_moved_adjusted` is the share called moved after adjustment.",
        "",
        fmt(pl_sum),
        "",
        "## Interrupted time series: error choices under A/A",
        "",
        "False-positive rate at the 5% level of the three ITS tests (weighted by weekly volume).",
        "",
        fmt(its),
        "",
    ]
    report = "\n".join(text)
    print(report)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
