"""The per-design sequences on small frames, against values computed by hand."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from helpers.monitor import compute as mc
from helpers.monitor import sequences as sq


def test_ab_sequence_last_look_is_the_two_sample_plug_in():
    rng = np.random.default_rng(3)
    a = rng.binomial(1, 0.30, size=(4, 400))
    b = rng.binomial(1, 0.36, size=(4, 400))
    rows = [{"week": w, "variant": v, "n": 400, "s": float(x[w].sum()), "s2": float(x[w].sum())}
            for w in range(4) for v, x in (("A", a), ("B", b))]
    looks, last, planned, tau = mc.ab_sequence(pd.DataFrame(rows), "A", "B", 0.05, lambda base: (0.05, "x"))
    fa, fb = a.ravel(), b.ravel()
    se = math.sqrt(fa.var(ddof=1) / fa.size + fb.var(ddof=1) / fb.size)
    est, se_got, h, n, _ = last
    assert est == pytest.approx(fb.mean() - fa.mean())
    assert se_got == pytest.approx(se)
    assert h == pytest.approx(sq.halfwidth(se, 0.05))
    assert n == 3200 and len(looks) == 4 and tau == 0.05


def test_weekly_sequence_by_hand():
    pre = np.array([3.0, 3.2, 3.1, 2.9, 3.0, 3.1, 3.2, 2.8, 3.0, 3.1])
    post = np.array([3.5, 3.4, 3.6])
    looks = mc.weekly_sequence(pre, post, 0.05, tau=0.2)
    k, est, lo, hi, se_pre, se_post = looks[-1]
    dev = np.r_[pre - pre.mean(), post - post.mean()]
    sd = math.sqrt((dev**2).sum() / (len(dev) - 2))
    assert k == 3 and est == pytest.approx(post.mean() - pre.mean())
    h = st.norm.ppf(1 - 0.025 / 2) * sd / math.sqrt(10) + sq.halfwidth(sd / math.sqrt(3), 0.2, 0.025)
    assert (hi - lo) / 2 == pytest.approx(h)
    assert len(looks) == len(post) - mc.MIN_POST_WEEKS + 1


def test_running_changes_and_planned_effect():
    c1 = SimpleNamespace(id="a", start=dt.date(2026, 7, 1))
    c2 = SimpleNamespace(id="b", start=dt.date(2026, 9, 1))
    run, future = mc.running_changes([c1, c2], dt.date(2026, 8, 1))
    assert [c.id for c in run] == ["a"] and [c.id for c in future] == ["b"]
    assert mc.planned_effect(SimpleNamespace(), "csat", 3.2) == (pytest.approx(0.16), "reference")
    assert mc.planned_effect(SimpleNamespace(), "nps", 20.0) == (5.0, "reference")
    given = SimpleNamespace(expected_effect={"csat": 0.3})
    assert mc.planned_effect(given, "csat", 3.2) == (0.3, "client.yml")
