"""helpers.stats against published values, closed forms and second implementations.

Sources of the expected numbers:

* Newcombe RG (1998a) Two-sided confidence intervals for the single proportion:
  comparison of seven methods. Stat Med 17:857-872, Table II (Wilson score
  without continuity correction, and exact Clopper-Pearson) for 81/263, 15/148,
  0/20 and 1/29.
* Newcombe RG (1998b) Interval estimation for the difference between
  independent proportions: comparison of eleven methods. Stat Med 17:873-890,
  Table II, method 10 (hybrid score) for the examples (a)-(h).
* R ``?power.prop.test`` examples: n=50, p1=.5, p2=.75 -> power 0.7401659;
  power=.9 -> n = 76.7; n=50, p1=.5, power=.9 -> p2 = 0.8026.
* Closed forms computed in the test itself (Wilson, Agresti-Coull, t interval,
  NPS variance) and second implementations (scipy, statsmodels).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from helpers import stats
from helpers.errors import DataError, KitError

Z95 = 1.959963984540054


# ---------------------------------------------------------------------------
# Estimate
# ---------------------------------------------------------------------------


def test_estimate_is_frozen_and_serialises():
    e = stats.proportion_ci(3, 10)
    d = e.to_dict()
    assert set(d) >= {"value", "se", "ci_low", "ci_high", "n", "method", "level", "note"}
    assert d["value"] == pytest.approx(0.3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.value = 0.5  # type: ignore[misc]
    assert e.defined and e.excludes(0.0) and not e.excludes(0.3)


# ---------------------------------------------------------------------------
# Single proportion
# ---------------------------------------------------------------------------

NEWCOMBE_1998A = [
    # x, n, Wilson (method 3) low, high, Clopper-Pearson (method 5) low, high
    (81, 263, 0.2553, 0.3662, 0.2527, 0.3676),
    (15, 148, 0.0624, 0.1605, 0.0578, 0.1617),
    (0, 20, 0.0000, 0.1611, 0.0000, 0.1684),
    (1, 29, 0.0061, 0.1718, 0.0009, 0.1776),
]


@pytest.mark.parametrize("x,n,wl,wh,cl,ch", NEWCOMBE_1998A)
def test_single_proportion_matches_newcombe_1998a(x, n, wl, wh, cl, ch):
    w = stats.proportion_ci(x, n, "wilson")
    assert (round(w.ci_low, 4), round(w.ci_high, 4)) == (wl, wh)
    c = stats.proportion_ci(x, n, "clopper_pearson")
    assert (round(c.ci_low, 4), round(c.ci_high, 4)) == (cl, ch)
    assert w.value == pytest.approx(x / n)
    assert w.se == pytest.approx(math.sqrt((x / n) * (1 - x / n) / n))


@pytest.mark.parametrize("x,n", [(0, 1), (1, 1), (3, 7), (17, 40), (250, 1000), (999, 1000)])
def test_wilson_and_agresti_coull_closed_forms(x, n):
    z = Z95
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    w = stats.proportion_ci(x, n)
    assert w.ci_low == pytest.approx(max(0.0, centre - half), abs=1e-12)
    assert w.ci_high == pytest.approx(min(1.0, centre + half), abs=1e-12)

    nt = n + z * z
    pt = (x + z * z / 2) / nt
    h = z * math.sqrt(pt * (1 - pt) / nt)
    ac = stats.proportion_ci(x, n, "agresti_coull")
    assert ac.ci_low == pytest.approx(max(0.0, pt - h), abs=1e-12)
    assert ac.ci_high == pytest.approx(min(1.0, pt + h), abs=1e-12)


@pytest.mark.parametrize("n", [1, 5, 20, 400])
def test_wilson_zero_successes_is_zero_to_z2_over_n_plus_z2(n):
    e = stats.proportion_ci(0, n)
    assert e.value == 0.0 and e.se == 0.0
    assert e.ci_low == 0.0
    assert e.ci_high == pytest.approx(Z95**2 / (n + Z95**2), abs=1e-12)
    # and the mirror image for all successes
    f = stats.proportion_ci(n, n)
    assert f.ci_high == 1.0
    assert f.ci_low == pytest.approx(n / (n + Z95**2), abs=1e-12)


@pytest.mark.parametrize("x,n", [(0, 12), (1, 12), (5, 12), (12, 12), (81, 263)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_exact_and_jeffreys_against_beta_quantiles(x, n, level):
    a = 1 - level
    cp = stats.proportion_ci(x, n, "clopper_pearson", level=level)
    lo = 0.0 if x == 0 else st.beta.ppf(a / 2, x, n - x + 1)
    hi = 1.0 if x == n else st.beta.ppf(1 - a / 2, x + 1, n - x)
    assert (cp.ci_low, cp.ci_high) == pytest.approx((lo, hi), abs=1e-12)
    jf = stats.proportion_ci(x, n, "jeffreys", level=level)
    lo = 0.0 if x == 0 else st.beta.ppf(a / 2, x + 0.5, n - x + 0.5)
    hi = 1.0 if x == n else st.beta.ppf(1 - a / 2, x + 0.5, n - x + 0.5)
    assert (jf.ci_low, jf.ci_high) == pytest.approx((lo, hi), abs=1e-12)


@pytest.mark.parametrize(
    "method,sm_method",
    [("wilson", "wilson"), ("agresti_coull", "agresti_coull"), ("clopper_pearson", "beta"), ("wald", "normal")],
)
def test_proportion_methods_agree_with_statsmodels(method, sm_method):
    from statsmodels.stats.proportion import proportion_confint

    for x, n in [(1, 9), (7, 30), (55, 100), (512, 3000)]:
        e = stats.proportion_ci(x, n, method)
        lo, hi = proportion_confint(x, n, alpha=0.05, method=sm_method)
        assert e.ci_low == pytest.approx(max(0.0, lo), abs=1e-9)
        assert e.ci_high == pytest.approx(min(1.0, hi), abs=1e-9)


def test_empty_proportion_is_nan_with_note():
    e = stats.proportion_ci(0, 0)
    assert all(math.isnan(v) for v in (e.value, e.se, e.ci_low, e.ci_high))
    assert e.n == 0 and "no observations" in e.note
    assert not e.defined


def test_one_observation_still_has_an_interval():
    e = stats.proportion_ci(1, 1)
    assert e.value == 1.0 and e.ci_high == 1.0
    assert e.ci_low == pytest.approx(1 / (1 + Z95**2))
    assert "one observation" in e.note


@pytest.mark.parametrize("x,n", [(5, 3), (-1, 3), (1, -2)])
def test_invalid_counts_raise_a_kit_error(x, n):
    with pytest.raises(KitError, match="between 0 and n"):
        stats.proportion_ci(x, n)


def test_unknown_method_raises():
    with pytest.raises(KitError, match="wilson"):
        stats.proportion_ci(1, 2, method="laplace")


def test_proportion_frame_matches_scalar_rows():
    df = pd.DataFrame({"tp": list("abcde"), "conv": [0, 3, 10, 0, 40], "n": [0, 10, 10, 25, 200]})
    out = stats.proportion_ci_frame(df, "conv", "n", name="conversion")
    assert list(df.columns) == ["tp", "conv", "n"]  # input untouched
    for row in out.itertuples():
        e = stats.proportion_ci(row.conv, row.n)
        for got, want in [
            (row.conversion, e.value),
            (row.conversion_se, e.se),
            (row.conversion_ci_low, e.ci_low),
            (row.conversion_ci_high, e.ci_high),
        ]:
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-12)
    assert math.isnan(out.loc[0, "conversion"])
    assert out.loc[3, "conversion_ci_high"] == pytest.approx(Z95**2 / (25 + Z95**2))
    with pytest.raises(KitError):
        stats.proportion_ci_frame(df, "missing", "n")


# ---------------------------------------------------------------------------
# Difference of proportions
# ---------------------------------------------------------------------------

NEWCOMBE_1998B = [
    # x1, n1, x2, n2, method 10 low, high (Table II)
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize("x1,n1,x2,n2,lo,hi", NEWCOMBE_1998B)
def test_newcombe_hybrid_score_matches_paper(x1, n1, x2, n2, lo, hi):
    e = stats.diff_proportions_ci(x1, n1, x2, n2)
    assert e.value == pytest.approx(x1 / n1 - x2 / n2)
    assert (round(e.ci_low, 4), round(e.ci_high, 4)) == (lo, hi)


@pytest.mark.parametrize("x1,n1,x2,n2", [(6, 7, 2, 7), (3, 40, 9, 41), (120, 1000, 95, 1010)])
def test_newcombe_agrees_with_statsmodels(x1, n1, x2, n2):
    from statsmodels.stats.proportion import confint_proportions_2indep

    lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    e = stats.diff_proportions_ci(x1, n1, x2, n2)
    assert (e.ci_low, e.ci_high) == pytest.approx((lo, hi), abs=1e-10)


def test_wald_difference_closed_form():
    e = stats.diff_proportions_ci(30, 100, 20, 100, method="wald")
    se = math.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100)
    assert e.se == pytest.approx(se)
    assert (e.ci_low, e.ci_high) == pytest.approx((0.1 - Z95 * se, 0.1 + Z95 * se))


def test_difference_with_an_empty_group_is_nan():
    e = stats.diff_proportions_ci(3, 10, 0, 0)
    assert math.isnan(e.value) and math.isnan(e.ci_low) and e.note
    missing = stats.diff_proportions_ci(float("nan"), 10, 2, 10)
    assert math.isnan(missing.value) and missing.note


# ---------------------------------------------------------------------------
# Means
# ---------------------------------------------------------------------------


def test_t_interval_hand_computation():
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    # mean 5, sample variance 32/7; t(0.975, 7) = 2.364624 (t table)
    se = math.sqrt(32 / 7) / math.sqrt(8)
    e = stats.mean_ci(values)
    assert e.value == 5.0
    assert e.se == pytest.approx(se)
    assert e.ci_low == pytest.approx(5 - 2.364624 * se, abs=1e-5)
    assert e.ci_high == pytest.approx(5 + 2.364624 * se, abs=1e-5)
    assert round(e.ci_low, 4) == 3.2125 and round(e.ci_high, 4) == 6.7875  # 5 -/+ 2.364624 x 0.755929


def test_mean_ignores_nan_and_handles_tiny_samples():
    assert stats.mean_ci([1.0, np.nan, 3.0]).value == 2.0
    one = stats.mean_ci([4.0])
    assert one.value == 4.0 and math.isnan(one.ci_low) and "one observation" in one.note
    none = stats.mean_ci([])
    assert math.isnan(none.value) and none.n == 0 and none.note


def test_mean_without_variation_has_no_interval_and_no_significance():
    # CSAT [5, 5, 5] against [4, 4]: a zero-width interval would call any difference certain
    e = stats.mean_ci([5, 5, 5])
    assert e.value == 5.0 and not e.defined and "no variation" in e.note
    assert not e.excludes(4.0)
    d = stats.diff_means_ci([5, 5, 5], [4, 4])
    assert d.value == pytest.approx(1.0) and not d.defined and not d.excludes(0.0) and "no variation" in d.note
    frame = stats.mean_ci_frame(pd.DataFrame({"m": [5.0, 4.2], "sd": [0.0, 0.8], "n": [3, 40]}), "m", "sd", "n")
    assert frame["m_ci_low"].isna().iloc[0] and frame["m_ci_low"].notna().iloc[1]


def test_mean_from_stats_equals_mean_of_values(rng):
    x = rng.normal(3, 2, size=50)
    a = stats.mean_ci(x, level=0.9)
    b = stats.mean_ci_from_stats(x.mean(), x.std(ddof=1), 50, level=0.9)
    assert (a.ci_low, a.ci_high) == pytest.approx((b.ci_low, b.ci_high))


def test_welch_difference_against_scipy(rng):
    a = rng.normal(10, 2, size=30)
    b = rng.normal(9, 4, size=45)
    e = stats.diff_means_ci(a, b)
    ci = st.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert e.value == pytest.approx(a.mean() - b.mean())
    assert (e.ci_low, e.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert math.isnan(stats.diff_means_ci([1.0], [2.0, 3.0]).ci_low)


# ---------------------------------------------------------------------------
# NPS and top-2-box
# ---------------------------------------------------------------------------


def test_nps_closed_form_small_vector():
    scores = [10, 9, 8, 7, 6, 0, 10, 3, 9, 10]  # 5 promoters, 2 passives, 3 detractors
    e = stats.nps(scores)
    se = 100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10)
    assert e.value == pytest.approx(20.0)
    assert e.se == pytest.approx(se)
    assert round(e.se, 4) == 27.5681
    assert (e.ci_low, e.ci_high) == pytest.approx((20 - Z95 * se, 20 + Z95 * se))
    assert e.n == 10 and e.note == ""


def test_nps_ignores_nan_and_rejects_out_of_range():
    assert stats.nps([10, np.nan, 0]).value == pytest.approx(0.0)
    with pytest.raises(KitError, match="0 to 10"):
        stats.nps([3, 11])
    with pytest.raises(KitError):
        stats.nps([-1])
    with pytest.raises(KitError):
        stats.nps([7.5])


def test_nps_interval_is_clipped():
    e = stats.nps([10] * 9 + [0])
    assert e.value == pytest.approx(80.0)
    assert e.ci_high == 100.0


def test_all_promoters_gives_100_and_an_adjusted_interval():
    e = stats.nps([9, 10, 10, 9, 10])
    assert e.value == 100.0 and e.se == 0.0
    # adjusted Wald by hand: n + 3 = 8, promoters 5.75, detractors 0.75
    pp, pd_ = 5.75 / 8, 0.75 / 8
    v = pp - pd_
    se = math.sqrt((pp + pd_ - v * v) / 8)
    assert e.ci_low == pytest.approx(100 * (v - Z95 * se))
    assert e.ci_high == 100.0
    assert e.ci_low < 100.0 and "adjusted Wald" in e.note


def test_all_detractors_mirror_image():
    e = stats.nps([0, 3, 6])
    assert e.value == -100.0
    assert e.ci_low == -100.0 and e.ci_high > -100.0


def test_nps_one_respondent_and_empty():
    # one respondent: the estimate 100 must not lie outside its own interval, so there is none
    one = stats.nps([10])
    assert one.value == 100.0 and not one.defined and "one respondent" in one.note
    empty = stats.nps([])
    assert math.isnan(empty.value) and empty.n == 0 and empty.note
    only_nan = stats.nps([np.nan, np.nan])
    assert math.isnan(only_nan.value)


def test_nps_frame_matches_scalar_per_group():
    df = pd.DataFrame(
        {
            "tp": ["a"] * 6 + ["b"] * 3 + ["c"] * 2,
            "seg": ["x", "x", "y", "y", "y", "x", "x", "x", "x", "y", "y"],
            "score": [10, 9, 0, 7, np.nan, 6, 10, 10, 9, 5, 8],
        }
    )
    out = stats.nps_frame(df, ["tp"], "score")
    assert list(out["tp"]) == ["a", "b", "c"]
    for row in out.itertuples():
        e = stats.nps(df.loc[df.tp == row.tp, "score"])
        assert row.n == e.n
        assert row.nps == pytest.approx(e.value)
        assert row.nps_ci_low == pytest.approx(e.ci_low)
        assert row.nps_ci_high == pytest.approx(e.ci_high)
    assert out.set_index("tp").loc["b", "nps_note"] != ""
    two = stats.nps_frame(df, ["tp", "seg"], "score")
    assert len(two) == 4 and two["n"].sum() == 10  # a/x, a/y, b/x, c/y
    with pytest.raises(KitError):
        stats.nps_frame(df.assign(score=df.score.fillna(12)), "tp", "score")


def test_top2box():
    e = stats.top2box([5, 4, 3, 2, 1, 5, np.nan])
    w = stats.proportion_ci(3, 6)
    assert e.value == 0.5 and (e.ci_low, e.ci_high) == (w.ci_low, w.ci_high)
    assert stats.top2box([7, 6, 1], scale_max=7).value == pytest.approx(2 / 3)
    assert math.isnan(stats.top2box([]).value)
    with pytest.raises(KitError, match="between 1 and 5"):
        stats.top2box([6])


# ---------------------------------------------------------------------------
# Power, sample size, minimum detectable effect
# ---------------------------------------------------------------------------


def test_power_matches_r_power_prop_test():
    assert round(stats.power_two_proportions(0.5, 0.75, 50), 7) == 0.7401659
    n = stats.sample_size_two_proportions(0.5, 0.75, power=0.9)
    assert round(n, 1) == 76.7  # R: n = 76.7
    # the closed form R's uniroot solves, by hand
    zq, zb = st.norm.isf(0.025), st.norm.ppf(0.9)
    by_hand = ((zq * math.sqrt(2 * 0.625 * 0.375) + zb * math.sqrt(0.25 + 0.1875)) / 0.25) ** 2
    assert n == pytest.approx(by_hand, rel=1e-12)
    assert round(n, 4) == 76.7069
    assert stats.power_two_proportions(0.5, 0.75, n) == pytest.approx(0.9)
    # R: power.prop.test(n = 50, p1 = .5, power = .90) => p2 = 0.8026
    assert round(0.5 + stats.mde_two_proportions(0.5, 50, power=0.9), 4) == 0.8026


def test_power_at_zero_difference_follows_r_documentation():
    # "Without [strict], the power will be half the significance level if the true difference is zero."
    assert stats.power_two_proportions(0.3, 0.3, 100) == pytest.approx(0.025)
    assert stats.power_two_proportions(0.3, 0.3, 100, strict=True) == pytest.approx(0.05)


def test_strict_adds_the_opposite_tail():
    p, ps = (stats.power_two_proportions(0.5, 0.6, 20, strict=s) for s in (False, True))
    sd = math.sqrt(0.25 + 0.24)
    extra = st.norm.sf((math.sqrt(20) * 0.1 + st.norm.isf(0.025) * math.sqrt(1.1 * 0.9 / 2)) / sd)
    assert ps - p == pytest.approx(extra)
    n = stats.sample_size_two_proportions(0.5, 0.6, power=0.8, strict=True)
    assert stats.power_two_proportions(0.5, 0.6, n, strict=True) == pytest.approx(0.8)


def test_one_sided_power_uses_full_alpha():
    one = stats.power_two_proportions(0.1, 0.12, 2000, alternative="one-sided")
    sd = math.sqrt(0.09 + 0.12 * 0.88)
    z = (math.sqrt(2000) * 0.02 - st.norm.isf(0.05) * math.sqrt(0.22 * 1.78 / 2)) / sd
    assert one == pytest.approx(st.norm.cdf(z))


def test_mde_two_proportions_round_trip_and_limits():
    d = stats.mde_two_proportions(0.1, 1000)
    assert stats.power_two_proportions(0.1, 0.1 + d, 1000) == pytest.approx(0.8)
    down = stats.mde_two_proportions(0.1, 1000, direction="decrease")
    assert stats.power_two_proportions(0.1, 0.1 - down, 1000) == pytest.approx(0.8)
    assert math.isnan(stats.mde_two_proportions(0.99, 2))  # not detectable at that volume
    assert math.isnan(stats.mde_two_proportions(0.5, 0))


def test_mde_mean_against_statsmodels_and_normal_approximation():
    from statsmodels.stats.power import TTestIndPower

    es = TTestIndPower().solve_power(effect_size=None, nobs1=40, ratio=1.5, alpha=0.05, power=0.8)
    got = stats.mde_mean(2.0, 40, 60)
    assert got == pytest.approx(2.0 * es, rel=1e-5)  # statsmodels' solver stops at ~1e-6
    assert TTestIndPower().power(got / 2.0, 40, 0.05, ratio=1.5) == pytest.approx(0.8, abs=1e-9)
    # large samples: (z_{1-a/2} + z_power) sd sqrt(1/n1 + 1/n2)
    approx = (st.norm.isf(0.025) + st.norm.ppf(0.8)) * 3.0 * math.sqrt(2 / 100_000)
    assert stats.mde_mean(3.0, 100_000, 100_000) == pytest.approx(approx, rel=1e-4)
    assert math.isnan(stats.mde_mean(1.0, 1, 10))


def test_power_input_errors():
    with pytest.raises(KitError):
        stats.power_two_proportions(-0.1, 0.5, 10)
    with pytest.raises(KitError):
        stats.power_two_proportions(0.2, 1.5, 10)
    with pytest.raises(KitError):
        stats.sample_size_two_proportions(0.2, 0.2)
    with pytest.raises(KitError):
        stats.power_two_proportions(0.2, 0.3, 10, alternative="greater-ish")
    with pytest.raises(KitError):
        stats.mde_mean(-1.0, 10, 10)


def test_power_and_mde_on_empty_or_boundary_data_do_not_raise():
    # no data: NaN, never an exception (KPI tables call these on every row)
    assert math.isnan(stats.power_two_proportions(float("nan"), 0.5, 10))
    assert math.isnan(stats.power_two_proportions(0.2, 0.3, 0))
    assert math.isnan(stats.mde_two_proportions(float("nan"), 100))
    assert math.isnan(stats.sample_size_two_proportions(float("nan"), 0.3))
    assert math.isnan(stats.mde_mean(float("nan"), 10, 10))
    # zero conversions so far: the formula still holds at p1 = 0
    d = stats.mde_two_proportions(0.0, 500)
    zq = st.norm.isf(0.025)
    power_by_hand = st.norm.cdf((math.sqrt(500) * d - zq * math.sqrt(d * (2 - d) / 2)) / math.sqrt(d * (1 - d)))
    assert power_by_hand == pytest.approx(0.8)
    assert 0 < d < 0.05
    assert math.isnan(stats.mde_two_proportions(1.0, 500))  # nothing above 100%
    assert stats.power_two_proportions(0.0, 1.0, 3) == 1.0
    assert math.isnan(stats.power_two_proportions(0.0, 0.0, 3))


def test_estimate_text():
    e = stats.proportion_ci(81, 263)
    assert e.text(scale=100, unit="%") == "30.8% (95% CI 25.5% to 36.6%; n = 263)"
    one = stats.mean_ci([4.0])
    assert one.text() == "4.0 (no interval; n = 1): one observation: no interval"


# ---------------------------------------------------------------------------
# Benjamini-Hochberg
# ---------------------------------------------------------------------------


def test_benjamini_hochberg_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x 4/rank 0.02, 0.02, 0.04, 0.04 (already monotone)
    got = stats.benjamini_hochberg([0.01, 0.04, 0.03, 0.005])
    assert got == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # step-up: a later smaller ratio pulls earlier ones down
    assert stats.benjamini_hochberg([0.04, 0.045]) == pytest.approx([0.045, 0.045])


def test_benjamini_hochberg_against_statsmodels_with_nan(rng):
    from statsmodels.stats.multitest import multipletests

    p = rng.uniform(0, 0.2, size=40)
    p[[3, 17]] = np.nan
    got = stats.benjamini_hochberg(p)
    ok = ~np.isnan(p)
    want = multipletests(p[ok], method="fdr_bh")[1]
    assert np.isnan(got[[3, 17]]).all()
    assert got[ok] == pytest.approx(want, abs=1e-12)
    assert stats.benjamini_hochberg([]).size == 0
    with pytest.raises(KitError):
        stats.benjamini_hochberg([0.5, 1.5])


# ---------------------------------------------------------------------------
# Vectorised means, NPS differences, nullable columns
# ---------------------------------------------------------------------------


def test_whole_n_is_an_int():
    e = stats.proportion_ci(3.0, 10.0)
    assert e.n == 10 and isinstance(e.n, int)
    assert isinstance(stats.mean_ci([1.0, 2.0]).to_dict()["n"], int)


def test_mean_ci_frame_matches_scalar_rows():
    df = pd.DataFrame({"m": [4.2, 3.0, 5.0, np.nan], "sd": [0.8, np.nan, 1.5, np.nan], "n": [25, 1, 2, 0]})
    out = stats.mean_ci_frame(df, "m", "sd", "n", level=0.9, name="csat")
    for row in out.itertuples():
        e = stats.mean_ci_from_stats(row.m, row.sd, row.n, level=0.9)
        for got, want in [(row.csat_ci_low, e.ci_low), (row.csat_ci_high, e.ci_high)]:
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-12)
    # by hand for the first row: t(0.95, 24) = 1.710882
    assert out.loc[0, "csat_ci_low"] == pytest.approx(4.2 - 1.710882 * 0.8 / 5, abs=1e-6)
    assert math.isnan(out.loc[1, "csat_ci_low"]) and math.isnan(out.loc[3, "csat_ci_high"])


def test_diff_nps_counts_closed_form():
    # sample 1: 50 promoters, 30 passives, 20 detractors; sample 2: 30, 40, 30
    e = stats.diff_nps_counts(50, 30, 20, 30, 40, 30)
    v1 = (0.5 + 0.2 - 0.3**2) / 100
    v2 = (0.3 + 0.3 - 0.0**2) / 100
    se = 100 * math.sqrt(v1 + v2)
    assert e.value == pytest.approx(30.0)
    assert e.se == pytest.approx(se)
    assert (e.ci_low, e.ci_high) == pytest.approx((30 - Z95 * se, 30 + Z95 * se))
    # the same as combining the two single-sample NPS standard errors
    a, b = stats.nps_counts(50, 30, 20), stats.nps_counts(30, 40, 30)
    assert e.se == pytest.approx(math.hypot(a.se, b.se))


def test_diff_nps_counts_degenerate_and_empty():
    e = stats.diff_nps_counts(5, 0, 0, 4, 0, 0)
    assert e.value == 0.0 and e.se == 0.0
    assert e.ci_low < 0 < e.ci_high and "adjusted Wald" in e.note
    empty = stats.diff_nps_counts(3, 1, 0, 0, 0, 0)
    assert math.isnan(empty.value) and empty.note


def test_nullable_columns_and_missing_values():
    df = pd.DataFrame({"x": pd.array([1, None, 3], dtype="Int64"), "n": pd.array([4, 5, None], dtype="Int64")})
    out = stats.proportion_ci_frame(df, "x", "n")
    assert out.loc[0, "rate"] == 0.25
    assert math.isnan(out.loc[2, "rate"])
    assert stats.nps(pd.array([10, None, 0], dtype="Int64")).value == pytest.approx(0.0)
    assert stats.mean_ci([1.0, pd.NA, 3.0]).value == 2.0


def test_missing_sd_is_named_as_such():
    est = stats.mean_ci_from_stats(5.0, float("nan"), 10)
    assert est.value == 5.0 and np.isnan(est.ci_low)
    assert "standard deviation missing" in est.note


def test_nps_frame_keeps_groups_without_scores():
    df = pd.DataFrame({"tp": ["a", "a", "b"], "score": [10, 0, np.nan]})
    out = stats.nps_frame(df, "tp", "score").set_index("tp")
    assert list(out.index) == ["a", "b"]
    assert out.loc["a", "nps"] == 0.0 and out.loc["a", "n"] == 2
    assert out.loc["b", "n"] == 0 and np.isnan(out.loc["b", "nps"])


# ---------------------------------------------------------------------------------- A/B: interval inverts the test


def _mee_score_z(x1, n1, x2, n2, delta):
    """Score statistic of H0: p1 - p2 = delta; restricted MLE found numerically (independent of the kit)."""
    from scipy import optimize as opt

    lo, hi = max(0.0, -delta) + 1e-12, min(1.0, 1.0 - delta) - 1e-12

    def negll(p2):
        p1 = p2 + delta
        return -(x1 * math.log(p1) + (n1 - x1) * math.log(1 - p1) + x2 * math.log(p2) + (n2 - x2) * math.log(1 - p2))

    p2 = opt.minimize_scalar(negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}).x
    p1 = p2 + delta
    return (x1 / n1 - x2 / n2 - delta) / math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


def test_pooled_z_test_matches_the_closed_form():
    # 3/100 vs 10/100: pooled p = 0.065, se = sqrt(0.065 * 0.935 * (2 / 100))
    z, p = stats.two_proportions_test(3, 100, 10, 100)
    z0 = -0.07 / math.sqrt(0.065 * 0.935 * 0.02)
    assert z == pytest.approx(z0, rel=1e-12) and p == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(abs(z0) / 2**0.5))))
    assert p == pytest.approx(0.0447, abs=5e-4)
    assert all(math.isnan(v) for v in stats.two_proportions_test(0, 50, 0, 60))


def test_score_interval_bounds_are_where_the_score_test_reaches_alpha():
    e = stats.diff_proportions_ci(3, 100, 10, 100, method="score")
    assert e.ci_high < 0  # the test rejects (p = 0.045), so the interval excludes 0 (Newcombe's does not)
    assert stats.diff_proportions_ci(3, 100, 10, 100).ci_high > 0
    for bound in (e.ci_low, e.ci_high):
        assert abs(_mee_score_z(3, 100, 10, 100, bound)) == pytest.approx(Z95, abs=1e-5)


def test_score_interval_and_pooled_test_always_agree():
    for x1 in range(0, 41, 3):
        for x2 in range(0, 41, 4):
            z, p = stats.two_proportions_test(x1, 120, x2, 100)
            if math.isnan(p) or abs(p - 0.05) < 1e-6:
                continue
            e = stats.diff_proportions_ci(x1, 120, x2, 100, method="score")
            assert (p < 0.05) == e.excludes(0.0), (x1, x2, p, e)


def test_mde_with_power_below_the_tests_size_is_a_clear_error():
    with pytest.raises(DataError, match="power"):
        stats.mde_two_proportions(0.3, 500, power=0.02)
    with pytest.raises(DataError, match="power"):
        stats.mde_mean(1.0, 50, 50, power=0.01)
    # just above alpha/2 the MDE exists and is small
    assert 0 < stats.mde_two_proportions(0.3, 500, power=0.05) < stats.mde_two_proportions(0.3, 500, power=0.8)


def test_nps_interval_always_contains_its_estimate():
    for scores in ([10, 10], [9, 10, 10], [0, 0], [7, 8], [10] * 5):
        e = stats.nps(scores)
        assert e.defined and e.ci_low <= e.value <= e.ci_high, (scores, e)
