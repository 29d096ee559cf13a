"""Always-valid intervals of `tpkit monitor` under weekly peeking: coverage in A/A tests and how early a
planted effect is found.

A plain generator (independent of the demo): an A/B test with ``n`` units per variant and week, a 0/1
KPI (conversion, base rate p0) or a 1-5 rating on a latent normal scale (CSAT, sd 0.85), looked at after
every week for 26 weeks. At each look the kit's interval (helpers.monitor.sequences.halfwidth with the
plug-in standard error, tau = the planned effect) and the ordinary 95% interval are computed.

* A/A: share of runs whose always-valid interval covers 0 at *every* look (target >= 95%), and share of
  runs in which the fixed-horizon test, peeked at weekly, ever rejects (its false-positive rate).
* Planted effect of the planned size: the median week the sequential test first excludes 0, against the
  fixed-horizon test at its planned horizon (the week its power reaches 80%, at most 26).

    .venv/bin/python bench/bench_monitor.py [--runs 2000]   # writes bench/results/monitor.md
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from scipy import stats as st

from helpers.monitor import sequences as sq

WEEKS = 26
ALPHA = 0.05
CELLS = [  # kpi, units per variant and week, planned effect
    ("conversion", 100, 0.06),
    ("conversion", 1000, 0.02),
    ("csat", 50, 0.25),
    ("csat", 500, 0.08),
]
P0 = 0.30


def draw(kpi: str, rng, runs: int, n: int, effect: float):
    """Weekly sums and sums of squares per variant: arrays (runs, WEEKS)."""
    out = []
    for delta in (0.0, effect):
        if kpi == "conversion":
            s = rng.binomial(n, P0 + delta, size=(runs, WEEKS)).astype(float)
            out.append((s, s))
        else:
            latent = rng.normal(3.6 + delta, 0.85, size=(runs, WEEKS, n))
            x = np.clip(np.rint(latent), 1, 5)
            out.append((x.sum(axis=2), (x**2).sum(axis=2)))
    return out


def looks(kpi, rng, runs, n, effect, planned):
    (sa, qa), (sb, qb) = draw(kpi, rng, runs, n, effect)
    k = n * np.arange(1, WEEKS + 1)
    ma, mb = np.cumsum(sa, 1) / k, np.cumsum(sb, 1) / k
    va = np.cumsum(qa, 1) / k - ma**2
    vb = np.cumsum(qb, 1) / k - mb**2
    se = np.sqrt((va + vb) / k)
    est = mb - ma
    return est, se, sq.halfwidth(se, planned, ALPHA), sq.fixed_halfwidth(se, ALPHA)


def planned_week(kpi, n, planned) -> int:
    """The fixed-horizon test's planned horizon: first week with 80% power for the planned effect."""
    var = 2 * P0 * (1 - P0) if kpi == "conversion" else 2 * 0.80
    z = st.norm.ppf(1 - ALPHA / 2) + st.norm.ppf(0.8)
    return min(WEEKS, max(1, math.ceil(z**2 * var / (planned**2 * n))))


def run(runs: int, seed: int = 20261201) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for kpi, n, planned in CELLS:
        est, _, h, hf = looks(kpi, rng, runs, n, 0.0, planned)
        cover = float((np.abs(est) <= h).all(axis=1).mean())
        fixed_fp = float((np.abs(est) > hf).any(axis=1).mean())
        fixed_final = float((np.abs(est[:, -1]) > hf[:, -1]).mean())
        horizon = planned_week(kpi, n, planned)
        planted = []
        for mult in (1.0, 2.0):
            est1, _, h1, hf1 = looks(kpi, rng, runs, n, mult * planned, planned)
            hit = np.abs(est1) > h1
            first = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, np.inf)
            fixed_power = float((np.abs(est1[:, horizon - 1]) > hf1[:, horizon - 1]).mean())
            planted.append(dict(effect=mult * planned, median_week=float(np.median(first)),
                                found=float(np.isfinite(first).mean()), fixed_power=fixed_power,
                                found_by_horizon=float((first <= horizon).mean())))
        rows.append(dict(kpi=kpi, n=n, planned=planned, runs=runs, coverage=cover, fixed_fp=fixed_fp,
                         fixed_final=fixed_final, horizon=horizon, planted=planted))
    return rows


def to_markdown(rows: list[dict]) -> str:
    se = math.sqrt(0.05 * 0.95 / rows[0]["runs"])
    lines = [
        "# Always-valid intervals under weekly peeking (bench/bench_monitor.py)",
        "",
        f"A/B tests looked at after every week for {WEEKS} weeks, {rows[0]['runs']:,} runs per cell; the kit's",
        "normal-mixture confidence sequence (tau = planned effect) against the ordinary 95% interval. Conversion "
        f"base rate {P0:.0%}; CSAT a 1-5 rating (latent mean 3.6, sd 0.85).",
        "",
        "## A/A: no effect",
        "",
        "| KPI | units per variant and week | always-valid: covers 0 at every look | fixed 95% interval: "
        "ever rejects when peeked weekly | fixed, one look at week 26 |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['kpi']} | {r['n']:,} | {r['coverage']:.1%} | {r['fixed_fp']:.1%} "
                     f"| {r['fixed_final']:.1%} |")
    lines += [
        "",
        f"Target: coverage >= 95% at every look at once (binomial standard error of a rate near 95%: {se:.1%}).",
        "",
        "## Planted effect: the planned size and twice the planned size",
        "",
        "| KPI | units per variant and week | planned effect | true effect | sequential: median week found "
        "| found within 26 weeks | fixed test: planned horizon (80% power), week "
        "| fixed test's power there | sequential found by that week |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        for e in r["planted"]:
            med = f"{e['median_week']:.0f}" if math.isfinite(e["median_week"]) else "not within 26"
            lines.append(f"| {r['kpi']} | {r['n']:,} | {r['planned']:g} | {e['effect']:g} | {med} | {e['found']:.1%} "
                         f"| {r['horizon']} | {e['fixed_power']:.1%} | {e['found_by_horizon']:.1%} |")
    lines += [
        "",
        "Reading: the always-valid interval keeps its promise however often it is looked at, while the fixed",
        "interval peeked at weekly calls an effect in far more than 5% of A/A tests. The price is width: a",
        "planted effect of exactly the planned size is declared in a median week about the fixed test's planned",
        "horizon, while an effect twice the planned size is declared in about a third of that time (the fixed test",
        "waits for its horizon whatever the effect); and no horizon has to be fixed in advance.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "monitor.md")
    args = ap.parse_args()
    text = to_markdown(run(args.runs))
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
