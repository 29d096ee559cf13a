"""The always-valid intervals against independent values: the mixture integral computed numerically,
Ville's bound checked by simulation, and the decision rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as st

from helpers.monitor import sequences as sq


def _mixture_lr(est, theta, se, tau):
    """Lambda by numerical integration of the likelihood ratio over the N(0, tau^2) mixing density."""
    def f(delta):
        lr = st.norm.pdf(est, theta + delta, se) / st.norm.pdf(est, theta, se)
        return lr * st.norm.pdf(delta, 0, tau)

    val, _ = integrate.quad(f, -12 * tau - abs(est - theta), 12 * tau + abs(est - theta), limit=200)
    return val


@pytest.mark.parametrize("se,tau,alpha", [(0.05, 0.1, 0.05), (0.01, 0.2, 0.05), (0.3, 0.1, 0.1), (1.0, 1.0, 0.01)])
def test_halfwidth_is_where_the_mixture_ratio_reaches_one_over_alpha(se, tau, alpha):
    h = sq.halfwidth(se, tau, alpha)
    # at the boundary the numerically integrated mixture likelihood ratio equals 1/alpha
    assert _mixture_lr(h, 0.0, se, tau) == pytest.approx(1 / alpha, rel=1e-6)
    assert sq.likelihood_ratio(h, 0.0, se, tau) == pytest.approx(1 / alpha, rel=1e-9)
    # inside the interval the ratio is below, outside above
    assert _mixture_lr(0.9 * h, 0.0, se, tau) < 1 / alpha < _mixture_lr(1.1 * h, 0.0, se, tau)


def test_halfwidth_wider_than_fixed_and_shrinks_with_volume():
    se = np.array([0.2, 0.1, 0.05, 0.02, 0.01, 0.001])
    h = sq.halfwidth(se, 0.1)
    assert np.all(h > sq.fixed_halfwidth(se))
    assert np.all(np.diff(h) < 0)
    assert sq.halfwidth(0.0, 0.1) == 0.0
    with pytest.raises(ValueError):
        sq.halfwidth(0.1, 0.0)


def test_coverage_under_continuous_monitoring_simulation():
    """A/A: 2,000 paths, 200 looks each; the always-valid interval must cover 0 at every look in >= 95%
    of paths (Ville), while the fixed interval looked at every time does not."""
    rng = np.random.default_rng(7)
    paths, looks, sigma = 2000, 200, 1.0
    x = rng.normal(0.0, sigma, size=(paths, looks))
    n = np.arange(1, looks + 1)
    est = np.cumsum(x, axis=1) / n
    se = sigma / np.sqrt(n)
    ever_out = (np.abs(est) > sq.halfwidth(se, tau=0.3)).any(axis=1)
    ever_out_fixed = (np.abs(est) > sq.fixed_halfwidth(se)).any(axis=1)
    # binomial 99.9% upper limit of a 5% rate over 2,000 paths is about 6.6%
    assert ever_out.mean() <= 0.05 + 3.1 * math.sqrt(0.05 * 0.95 / paths)
    assert ever_out_fixed.mean() > 0.2  # peeking at a fixed-horizon interval: far above 5%


def test_split_halfwidth_covers_baseline_plus_running_part():
    rng = np.random.default_rng(11)
    paths, looks = 2000, 60
    pre = rng.normal(0, 1, size=(paths, 26)).mean(axis=1)
    post = np.cumsum(rng.normal(0, 1, size=(paths, looks)), axis=1) / np.arange(1, looks + 1)
    k = np.arange(1, looks + 1)
    h = sq.split_halfwidth(1 / math.sqrt(26), 1 / np.sqrt(k), 0.5)
    miss = (np.abs(post - pre[:, None]) > h).any(axis=1).mean()
    assert miss <= 0.05 + 3.1 * math.sqrt(0.05 * 0.95 / paths)


def test_decide_and_projection():
    assert sq.decide(0.3, 0.1, 0.2) == sq.MOVED
    assert sq.decide(-0.3, 0.1, 0.2) == sq.MOVED
    assert sq.decide(0.02, 0.1, 0.2) == sq.NO_EFFECT
    assert sq.decide(0.05, 0.2, 0.2) == sq.KEEP
    assert sq.decide(float("nan"), 0.1, 0.2) == sq.KEEP
    se, tau = 0.2, 0.2
    h = sq.halfwidth(se, tau)
    k = sq.looks_needed(0.05, h, 0.2, lambda f: sq.halfwidth(se / math.sqrt(f), tau))
    # at k times the volume the interval just fits: |0.05| + h(k) = 0.2 needs h(k) = 0.15
    assert sq.halfwidth(se / math.sqrt(k), tau) == pytest.approx(0.15, rel=1e-6)
    assert sq.looks_needed(0.0, h, 0.2, lambda f: 1.0) == math.inf  # never narrows
