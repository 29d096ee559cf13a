"""Always-valid confidence sequences: intervals that may be looked at after every week.

The normal-mixture boundary (the mixture sequential probability ratio test of Johari,
Koomen, Pekelis & Walsh 2017, "Peeking at A/B tests"; Howard, Ramdas, McAuliffe & Sekhon
2021, "Time-uniform, nonparametric, nonasymptotic confidence sequences", eq. (14)): for an
estimate with standard error ``se`` (a known-variance plug-in) and a normal mixing
distribution N(0, tau^2) over the effect, the likelihood ratio

    Lambda = sqrt(se^2 / (se^2 + tau^2)) * exp(tau^2 (est - theta)^2 / (2 se^2 (se^2 + tau^2)))

is a nonnegative martingale under theta, so by Ville's inequality ``Lambda < 1/alpha`` holds
at every look at once with probability at least ``1 - alpha``. Solved for theta this is the
interval ``est +- halfwidth(se)`` with

    halfwidth = se * sqrt((1 + r) * log((1 + 1/r) / alpha^2)),   r = se^2 / tau^2.

``tau`` sets where the sequence is tightest: the kit takes the planned effect of the change
(an effect of that size is what the test should find soon). The interval is wider than a
fixed-horizon interval (about 1.5-2.5 times at usual sizes): that is the price of being free to
look every week and stop as soon as it is clear.

:func:`projected_date` says when an interval that is still undecided would decide, if the
estimate stays where it is and the standard error shrinks as ``1/sqrt(n)`` with the volume.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

__all__ = ["MOVED", "NO_EFFECT", "KEEP", "SequenceLook", "decide", "halfwidth", "fixed_halfwidth",
           "likelihood_ratio", "looks_needed", "split_halfwidth"]

MOVED = "moved"
NO_EFFECT = "no effect of the planned size"
KEEP = "keep collecting"


def halfwidth(se, tau: float, alpha: float = 0.05):
    """Half-width of the always-valid interval for an estimate with standard error ``se``.

    Works on scalars and arrays; ``se`` of 0 gives 0, a non-finite ``se`` gives NaN.
    """
    if not (tau > 0) or not math.isfinite(tau):
        raise ValueError(f"tau must be a positive number, got {tau!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = se**2 / tau**2
        h = se * np.sqrt((1 + r) * np.log((1 + 1 / r) / alpha**2))
    h = np.where(se == 0, 0.0, h)
    return float(h) if h.ndim == 0 else h


def likelihood_ratio(est: float, theta: float, se: float, tau: float) -> float:
    """The mixture likelihood ratio ``Lambda`` of the effect ``theta`` at one look (closed form above)."""
    v, t2 = se**2, tau**2
    return math.sqrt(v / (v + t2)) * math.exp(t2 * (est - theta) ** 2 / (2 * v * (v + t2)))


def fixed_halfwidth(se, alpha: float = 0.05):
    """Half-width of the ordinary (fixed-horizon) normal interval: valid at one planned look only."""
    return st.norm.ppf(1 - alpha / 2) * np.asarray(se, dtype=float)


def split_halfwidth(se_fixed: float, se_running, tau: float, alpha: float = 0.05):
    """Half-width for ``running - fixed`` when one part is fixed (a baseline measured once before the
    change) and the other grows with every look: alpha is split in two (Bonferroni), a fixed
    interval at ``alpha/2`` for the baseline and an always-valid one at ``alpha/2`` for the running
    part; together they hold at every look with probability at least ``1 - alpha``.
    """
    return fixed_halfwidth(se_fixed, alpha / 2) + halfwidth(se_running, tau, alpha / 2)


@dataclass(frozen=True)
class SequenceLook:
    """One look at a sequence: the estimate, its always-valid interval and the verdict."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    verdict: str  # MOVED, NO_EFFECT or KEEP

    @property
    def halfwidth(self) -> float:
        return (self.ci_high - self.ci_low) / 2


def decide(estimate: float, half: float, planned: float) -> str:
    """``moved`` when the interval excludes 0, ``no effect of the planned size`` when it lies inside
    +-planned, ``keep collecting`` otherwise (or when nothing is known yet)."""
    if not (math.isfinite(estimate) and math.isfinite(half)):
        return KEEP
    if abs(estimate) > half:
        return MOVED
    if math.isfinite(planned) and abs(estimate) + half < abs(planned):
        return NO_EFFECT
    return KEEP


def looks_needed(estimate: float, half_now, planned: float, width_at, max_factor: float = 1e4) -> float:
    """The factor ``k`` by which the volume must grow (``k = n_future / n_now``, >= 1) before the
    verdict decides, if the estimate stays: the interval then excludes 0 or fits inside +-planned.

    ``width_at(k)`` gives the half-width at ``k`` times today's volume (the caller knows how the
    standard error scales). Returns ``inf`` when it would not decide within ``max_factor``.
    """
    target = max(abs(estimate), abs(planned) - abs(estimate)) if math.isfinite(estimate) else abs(planned)
    if not (target > 0) or not math.isfinite(half_now):
        return math.inf
    if half_now < target:
        return 1.0
    lo, hi = 1.0, 2.0
    while width_at(hi) >= target:
        lo, hi = hi, hi * 2
        if hi > max_factor:
            return math.inf
    for _ in range(60):  # the half-width falls monotonically with the volume
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if width_at(mid) >= target else (lo, mid)
    return hi
