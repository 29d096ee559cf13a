"""helpers.clv against published CDNOW results, numerical integration and lifetimes.

Published values: Fader, Hardie & Lee (2005), "Counting your customers the easy
way", BG/NBD on the CDNOW sample in weeks: r = 0.243, alpha = 4.414, a = 0.793,
b = 2.426, log-likelihood -9582.4. Fader & Hardie (2013), "The Gamma-Gamma model
of monetary value", on the 946 CDNOW repeat buyers: p = 6.25, q = 3.74,
gamma = 15.44. The ``lifetimes`` package ships both data sets and serves as the
second implementation for the data preparation and the CLV sum. The closed forms are
checked at the published parameters and need no data, so only the tests that read the
CDNOW data or compare with ``lifetimes`` are skipped when it is not installed.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy import stats as st
from scipy.special import betaln

from helpers import clv
from helpers.errors import KitError

#: BG/NBD and Gamma-Gamma at the parameters published for CDNOW (weeks)
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}


def _lifetimes_datasets():
    return pytest.importorskip("lifetimes.datasets", reason="the CDNOW data ship with lifetimes")


@pytest.fixture(scope="module")
def cdnow():
    return _lifetimes_datasets().load_cdnow_summary(index_col=[0])


@pytest.fixture(scope="module")
def cdnow_money():
    return _lifetimes_datasets().load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def bg_published():
    return clv.BGNBDFit(**PUBLISHED_BGNBD, loglik=float("nan"), n=2357)


@pytest.fixture(scope="module")
def gg_published():
    return clv.GammaGammaFit(**PUBLISHED_GG, loglik=float("nan"), n=946)


@pytest.fixture(scope="module")
def bg(cdnow):
    return clv.fit_bgnbd(cdnow)


@pytest.fixture(scope="module")
def gg(cdnow_money):
    return clv.fit_gamma_gamma(cdnow_money)


# ---------------------------------------------------------------------------
# Fits reproduce the published parameters
# ---------------------------------------------------------------------------


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow):
    t0 = time.perf_counter()
    fit = clv.fit_bgnbd(cdnow)
    elapsed = time.perf_counter() - t0
    for name, value in PUBLISHED_BGNBD.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.01), name
    assert fit.loglik == pytest.approx(-9582.4, abs=0.1)
    assert fit.n == 2357 and fit.converged
    assert elapsed < 10  # about 0.05 s in practice; guards against a pathological optimiser path


def test_gamma_gamma_reproduces_fader_hardie(cdnow_money):
    fit = clv.fit_gamma_gamma(cdnow_money)
    assert fit.p == pytest.approx(6.25, rel=0.01)
    assert fit.q == pytest.approx(3.74, rel=0.01)
    assert fit.v == pytest.approx(15.44, rel=0.01)
    assert fit.gamma == fit.v
    assert fit.n == 946  # customers with repeat purchases


def test_fit_is_a_maximum(cdnow, bg):
    x, tx, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    best = bg.loglik_terms(x, tx, T).sum()
    assert best == pytest.approx(bg.loglik)
    for name in ("r", "alpha", "a", "b"):
        for f in (0.97, 1.03):
            params = bg.params | {name: bg.params[name] * f}
            other = clv.BGNBDFit(**params, loglik=0.0, n=0)
            assert other.loglik_terms(x, tx, T).sum() < best


# ---------------------------------------------------------------------------
# Formulas against numerical integration of the model's definition
# ---------------------------------------------------------------------------


def _bgnbd_individual_integrals(fit, x, tx, T, t=None):
    """Integrate over lambda ~ Gamma(r, alpha) and p ~ Beta(a, b) numerically.

    Returns (likelihood, P(alive), E[purchases in (T, T+t]]) for one customer,
    from the individual-level model: alive part (1-p)^x lam^x e^{-lam T}, dead part
    p (1-p)^(x-1) lam^x e^{-lam t_x}; while alive, E[X(t) | lam, p] = (1 - e^{-lam p t}) / p.
    """
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    lam_hi = 60.0 / (alpha + tx)  # e^{-60} beyond: negligible

    def lam_int(fn):
        # weight='alg' handles the lam^(r-1) singularity at 0 exactly
        w = lambda lam: fn(lam) * alpha**r * np.exp(-alpha * lam) / math.gamma(r)  # noqa: E731
        return integrate.quad(w, 0, lam_hi, weight="alg", wvar=(r - 1, 0), limit=200, epsabs=0, epsrel=1e-11)[0]

    def p_int(fn):
        w = lambda p: fn(p) / math.exp(betaln(a, b))  # noqa: E731
        return integrate.quad(w, 0, 1, weight="alg", wvar=(a - 1, b - 1), limit=200, epsabs=0, epsrel=1e-11)[0]

    alive_lam = lam_int(lambda lam: lam**x * np.exp(-lam * T))
    dead_lam = lam_int(lambda lam: lam**x * np.exp(-lam * tx)) if x > 0 else 0.0
    alive = p_int(lambda p: (1 - p) ** x) * alive_lam
    dead = p_int(lambda p: p * (1 - p) ** (x - 1)) * dead_lam if x > 0 else 0.0
    like = alive + dead
    out = [like, alive / like]
    if t is not None:
        def inner(p):
            # (1 - e^{-lam p t}) / p, which tends to lam t as p -> 0 (quadrature may touch p = 0)
            rate = (lambda lam: -np.expm1(-lam * p * t) / p) if p > 0 else (lambda lam: lam * t)
            return lam_int(lambda lam: lam**x * np.exp(-lam * T) * rate(lam)) * (1 - p) ** x

        out.append(p_int(inner) / like)
    return out


@pytest.mark.parametrize("x,tx,T", [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 29.43, 35.0)])
def test_bgnbd_closed_forms_match_integration(bg_published, x, tx, T):
    like, alive, expect = _bgnbd_individual_integrals(bg_published, x, tx, T, t=39.0)
    assert float(bg_published.loglik_terms(x, tx, T)) == pytest.approx(math.log(like), abs=1e-7)
    assert float(bg_published.prob_alive(x, tx, T)) == pytest.approx(alive, rel=1e-7)
    assert float(bg_published.expected_purchases(39.0, x, tx, T)) == pytest.approx(expect, rel=1e-6)


def test_new_customer_expectation_matches_integration(bg_published):
    r, alpha, a, b = bg_published.r, bg_published.alpha, bg_published.a, bg_published.b
    t = 39.0
    # E[X(t)] = E_p[(1 - (alpha / (alpha + p t))^r) / p]
    def f(p):
        if p == 0:  # the limit r t / alpha
            return r * t / alpha / math.exp(betaln(a, b))
        return -math.expm1(r * math.log(alpha / (alpha + p * t))) / p / math.exp(betaln(a, b))
    want = integrate.quad(f, 0, 1, weight="alg", wvar=(a - 1, b - 1), epsabs=0, epsrel=1e-11)[0]
    assert float(bg_published.expected_purchases_new_customer(t)) == pytest.approx(want, rel=1e-8)


def test_conditional_expectation_published_example(bg_published):
    # FHL 2005: a customer with x = 2, t_x = 30.43, T = 38.86 buys about 1.226 times in the next 39 weeks
    assert float(bg_published.expected_purchases(39, 2, 30.43, 38.86)) == pytest.approx(1.226, abs=0.001)
    assert float(bg_published.prob_alive(0, 0, 38.86)) == 1.0


@pytest.mark.parametrize("x,m", [(1, 11.77), (2, 22.35), (6, 40.0)])
def test_gamma_gamma_likelihood_and_expectation_by_integration(gg_published, x, m):
    p, q, v = gg_published.p, gg_published.q, gg_published.v
    # the mean of x Gamma(p, nu) spends: x * m ~ Gamma(p x, rate nu); nu ~ Gamma(q, rate v)
    dens = lambda nu: x * st.gamma.pdf(x * m, p * x, scale=1 / nu) * st.gamma.pdf(nu, q, scale=1 / v)  # noqa: E731
    like = integrate.quad(dens, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0]
    got = float(clv._gg_loglik_terms(p, q, v, x, m))
    assert got == pytest.approx(math.log(like), abs=1e-7)
    # E[M | x, m] = E[p / nu | data]
    num = integrate.quad(lambda nu: p / nu * dens(nu), 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0]
    assert float(gg_published.conditional_expected_average_profit(x, m)) == pytest.approx(num / like, rel=1e-7)


def test_gamma_gamma_without_repeat_purchases_gives_population_mean(gg_published):
    gg = gg_published
    assert float(gg.conditional_expected_average_profit(0, 0.0)) == pytest.approx(gg.population_mean_spend)


# ---------------------------------------------------------------------------
# CLV
# ---------------------------------------------------------------------------


def test_clv_against_lifetimes_implementation(cdnow_money, bg, gg):
    pytest.importorskip("lifetimes", reason="compares with lifetimes")
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import _customer_lifetime_value

    lbg = BetaGeoFitter()
    lbg.params_ = pd.Series(bg.params)
    lgg = GammaGammaFitter()
    lgg.params_ = pd.Series(gg.params)

    class Shim:  # lifetimes' CLV loop calls .predict; its own expectation needs plain arrays on pandas 3
        def predict(self, t, f, r, T):
            return lbg.conditional_expected_number_of_purchases_up_to_time(
                t, f.to_numpy(float), r.to_numpy(float), T.to_numpy(float)
            )

    d = cdnow_money
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spend = np.asarray(
            lgg.conditional_expected_average_profit(d["frequency"].to_numpy(float), d["monetary_value"].to_numpy(float))
        )
        monthly = 0.01
        want = _customer_lifetime_value(
            Shim(), d["frequency"], d["recency"], d["T"], pd.Series(spend, index=d.index),
            time=12, discount_rate=monthly, freq="W",
        )
    got = clv.clv(bg, gg, d, months=12, discount_rate_annual=(1 + monthly) ** 12 - 1, freq="W")
    assert got.name == "clv" and got.index.equals(d.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(float), rtol=1e-9, atol=1e-9)


def test_clv_equals_direct_discounted_sum(bg_published, gg_published):
    bg, gg = bg_published, gg_published
    row = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86], "monetary_value": [35.0]})
    x, tx, T, m = (float(row[c].iloc[0]) for c in ("frequency", "recency", "T", "monetary_value"))
    spend = gg.p * (gg.v + x * m) / (gg.p * x + gg.q - 1)
    d = 1.1 ** (1 / 12) - 1
    want = 0.0
    for k in range(1, 13):
        inc = bg.expected_purchases(4.345 * k, x, tx, T) - bg.expected_purchases(4.345 * (k - 1), x, tx, T)
        want += spend * inc / (1 + d) ** k
    assert float(clv.clv(bg, gg, row).iloc[0]) == pytest.approx(float(want), rel=1e-12)
    # no discounting and one long period: CLV = spend x expected purchases over 12 months
    undiscounted = clv.clv(bg, gg, row, discount_rate_annual=0.0)
    assert float(undiscounted.iloc[0]) == pytest.approx(spend * float(bg.expected_purchases(12 * 4.345, x, tx, T)))


def test_clv_accepts_any_models_with_the_interface():
    class Flat:  # one purchase per week while the data is weekly
        def expected_purchases(self, t, frequency, recency, T):
            return np.asarray(t, float) * np.ones_like(np.asarray(frequency, float))

        def prob_alive(self, frequency, recency, T):
            return np.ones_like(np.asarray(frequency, float))

    class Ten:
        def conditional_expected_average_profit(self, frequency, monetary_value):
            return np.full(np.shape(frequency), 10.0)

    assert isinstance(Flat(), clv.PurchaseModel) and isinstance(Ten(), clv.SpendModel)
    summary = pd.DataFrame({"frequency": [0.0, 2.0, 5.0], "recency": [0.0, 30.43, 20.0], "T": [38.86, 38.86, 30.0],
                            "monetary_value": [0.0, 35.0, 12.5]})
    out = clv.clv(Flat(), Ten(), summary, months=2, discount_rate_annual=0.0)
    assert out.to_numpy() == pytest.approx([2 * 4.345 * 10] * 3)


# ---------------------------------------------------------------------------
# RFM summary
# ---------------------------------------------------------------------------


def test_rfm_summary_hand_example():
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "c", "c"],
            "ts": pd.to_datetime(
                ["2026-01-05", "2026-01-06", "2026-01-20", "2026-02-16", "2026-02-02", "2026-03-02", "2026-04-06"]
            ),
            "revenue": [10.0, 5.0, 20.0, 30.0, 7.0, 8.0, 99.0],
        }
    )
    s = clv.rfm_summary(orders, "customer_id", "ts", "revenue", observation_end="2026-03-30", freq="W")
    # weeks start Monday 2026-01-05; a buys in weeks 0 (two orders), 2 and 6; end is week 12
    assert list(s.index) == ["a", "b", "c"]
    assert s.loc["a"].tolist() == [2.0, 6.0, 12.0, 25.0]  # repeat values 20 and 30
    assert s.loc["b"].tolist() == [0.0, 0.0, 8.0, 0.0]
    assert s.loc["c"].tolist() == [0.0, 0.0, 4.0, 0.0]  # the April order is after the end


@pytest.mark.parametrize("freq", ["D", "W"])  # lifetimes' own "M" breaks on pandas 3; months: see below
def test_rfm_summary_matches_lifetimes(freq):
    pytest.importorskip("lifetimes", reason="compares with lifetimes")
    from lifetimes.datasets import load_transaction_data
    from lifetimes.utils import summary_data_from_transaction_data

    tx = load_transaction_data()
    tx["revenue"] = (np.arange(len(tx)) % 17 + 1).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = summary_data_from_transaction_data(
            tx, "id", "date", monetary_value_col="revenue", observation_period_end="2014-12-31", freq=freq
        )
    got = clv.rfm_summary(tx, "id", "date", "revenue", observation_end="2014-12-31", freq=freq)
    pd.testing.assert_frame_equal(
        got[["frequency", "recency", "T", "monetary_value"]].sort_index(),
        want[["frequency", "recency", "T", "monetary_value"]].astype(float).sort_index(),
        check_names=False,
        check_index_type=False,
    )


def test_rfm_summary_in_months():
    orders = pd.DataFrame(
        {"customer_id": [1, 1, 1, 2], "ts": ["2026-01-31", "2026-03-01", "2026-03-20", "2026-06-01"],
         "revenue": [1.0, 2.0, 3.0, 4.0]}
    )
    s = clv.rfm_summary(orders, observation_end="2026-06-30", freq="M")
    assert s.loc[1].tolist() == [1.0, 2.0, 5.0, 5.0]  # Jan first, March repeat (2 + 3), June end
    assert s.loc[2].tolist() == [0.0, 0.0, 0.0, 0.0]


def test_rfm_summary_errors_and_empty():
    with pytest.raises(KitError, match="lacks column"):
        clv.rfm_summary(pd.DataFrame({"x": [1]}), "customer_id", "ts", "revenue")
    empty = clv.rfm_summary(pd.DataFrame({"customer_id": [], "ts": [], "revenue": []}), observation_end="2026-01-01")
    assert empty.empty and list(empty.columns) == ["frequency", "recency", "T", "monetary_value"]
    with pytest.raises(KitError, match="time unit"):
        clv.rfm_summary(pd.DataFrame({"customer_id": [], "ts": [], "revenue": []}), freq="Q")


def test_fits_refuse_unusable_data(cdnow_money):
    none_repeat = pd.DataFrame({"frequency": 0, "recency": 0.0, "T": np.arange(30.0), "monetary_value": 0.0})
    with pytest.raises(KitError, match="bought again"):
        clv.fit_bgnbd(none_repeat)
    with pytest.raises(KitError, match="Gamma-Gamma"):
        clv.fit_gamma_gamma(none_repeat)
    with pytest.raises(KitError, match="lacks column"):
        clv.fit_bgnbd(none_repeat.drop(columns="T"))
    with pytest.raises(KitError, match="at least 20 customers"):
        clv.fit_bgnbd(cdnow_money.head(5))
    bad = cdnow_money.head(30).assign(recency=100.0)
    with pytest.raises(KitError, match="recency is larger than T"):
        clv.fit_bgnbd(bad)


def test_spend_without_a_finite_mean_is_nan():
    fit = clv.GammaGammaFit(p=2.0, q=0.5, v=10.0, loglik=0.0, n=0)
    out = fit.conditional_expected_average_profit([0, 3], [0.0, 20.0])
    assert math.isnan(out[0]) and math.isinf(fit.population_mean_spend)
    assert out[1] == pytest.approx(2.0 * (10 + 60) / (6 + 0.5 - 1))


def test_fit_recovers_simulated_parameters():
    """Simulate the BG/NBD process itself and recover its parameters (loose: sampling error)."""
    rng = np.random.default_rng(7)
    r, alpha, a, b = 0.5, 5.0, 0.8, 3.0
    n, T = 6000, 52.0
    x, tx = _simulate_bgnbd(rng, n, r, alpha, a, b, np.full(n, T))
    fit = clv.fit_bgnbd(pd.DataFrame({"frequency": x, "recency": tx, "T": T}))
    assert fit.r == pytest.approx(r, rel=0.2)
    assert fit.alpha == pytest.approx(alpha, rel=0.25)
    assert fit.a == pytest.approx(a, rel=0.35)
    assert fit.b == pytest.approx(b, rel=0.4)


@pytest.mark.parametrize("a", [1.0, 1.0 + 3e-6, 0.999])
def test_expectations_near_a_equal_one_match_integration(a):
    """The closed forms divide by (a - 1); at a = 1 the limit is taken, checked by integration."""
    fit = clv.BGNBDFit(r=0.6, alpha=3.0, a=a, b=2.5, loglik=0.0, n=0)
    for x, tx, T in [(0, 0.0, 20.0), (3, 15.0, 20.0)]:
        _, _, expect = _bgnbd_individual_integrals(fit, x, tx, T, t=10.0)
        got = float(fit.expected_purchases(10.0, x, tx, T))
        assert np.isfinite(got) and got == pytest.approx(expect, rel=1e-6)
    assert np.isfinite(float(fit.expected_purchases_new_customer(10.0)))


def test_analytic_gradients_match_finite_differences(cdnow, cdnow_money):
    from scipy.optimize import approx_fprime

    x, tx, T = (cdnow[c].to_numpy(float)[:300] for c in ("frequency", "recency", "T"))
    theta = np.array([0.3, 4.0, 0.7, 2.5])
    total = lambda th: clv._bgnbd_loglik_terms(*th, x, tx, T).sum()  # noqa: E731
    ll, grad = clv._bgnbd_loglik_grad(*theta, x, tx, T)
    assert ll == pytest.approx(clv._bgnbd_loglik_terms(*theta, x, tx, T))
    assert grad.sum(axis=1) == pytest.approx(approx_fprime(theta, total, 1e-7), rel=1e-5, abs=1e-4)

    d = cdnow_money[cdnow_money.frequency > 0]
    xm, m = d["frequency"].to_numpy(float), d["monetary_value"].to_numpy(float)
    fit = clv.fit_gamma_gamma(d)
    # at the maximum the finite-difference gradient of the log-likelihood vanishes
    g = approx_fprime(np.array([fit.p, fit.q, fit.v]), lambda th: clv._gg_loglik_terms(*th, xm, m).sum(), 1e-6)
    assert np.abs(g * np.array([fit.p, fit.q, fit.v])).max() < 0.05


def test_expected_purchases_for_many_customers_equals_row_by_row(cdnow, bg):
    big = pd.concat([cdnow] * 2)  # more than the 2048 rows where distinct rows are evaluated once
    x, tx, T = (big[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    fast = bg.expected_purchases(10.0, x, tx, T)
    slow = bg._expected(np.asarray(10.0), x, tx, T)
    assert fast.shape == x.shape
    np.testing.assert_allclose(fast, slow, rtol=1e-13)


# ---------------------------------------------------------------------------
# Robustness of the expectations and of the fit (near a = 1, b < 1, little drop-out)
# ---------------------------------------------------------------------------


def _expected_by_p_integral(fit, t, x, tx, T):
    """E[purchases in (T, T+t] | x, t_x, T] from the model definition, without 2F1.

    Integrating lambda out of the individual-level expectation in closed form leaves
    P(alive) * E[(1 - ((alpha+T) / (alpha+T+p t))^(r+x)) / p] over p ~ Beta(a, b + x),
    computed here by adaptive quadrature with relative tolerance 1e-12.
    """
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    k, c = r + x, t / (alpha + T)

    def g(p):
        return k * c if p == 0 else -math.expm1(-k * math.log1p(p * c)) / p

    mean = integrate.quad(g, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), epsabs=0, epsrel=1e-12, limit=200)[0]
    mean /= math.exp(betaln(a, b + x))
    odds = 0.0 if x == 0 else math.exp(betaln(a + 1, b + x - 1) - betaln(a, b + x)
                                       + (r + x) * (math.log(alpha + T) - math.log(alpha + tx)))
    return mean / (1 + odds)


def test_p_integral_reference_agrees_with_the_double_integral():
    fit = clv.BGNBDFit(r=0.132, alpha=4.89, a=1.048, b=0.383, loglik=0.0, n=0)
    for x, tx, T in [(0, 0.0, 60.0), (3, 40.0, 60.0)]:
        want = _bgnbd_individual_integrals(fit, x, tx, T, t=52.0)[2]
        assert _expected_by_p_integral(fit, 52.0, x, tx, T) == pytest.approx(want, rel=1e-7)


@pytest.mark.parametrize("a", [0.5, 0.8, 1.0, 1.048, 1.5, 2.0])
@pytest.mark.parametrize("b", [0.2, 0.383, 1.0, 5.0])
def test_expected_purchases_grid_nonnegative_monotone_and_exact(a, b):
    """Grid a in [0.5, 2], b in [0.2, 5], x in {0, 1, 5, 20}, t up to 104 weeks.

    Includes a + b = 1 with x = 0 (a = 0.8, b = 0.2), where the closed form's 2F1 has
    c = a + b + x - 1 = 0 and yields 0/0. Tolerance: relative 1e-7 against quadrature.
    """
    ts = np.arange(0.0, 105.0)
    for r in (0.132, 1.0):
        fit = clv.BGNBDFit(r=r, alpha=4.89, a=a, b=b, loglik=0.0, n=0)
        for x, tx, T in [(0, 0.0, 60.0), (1, 10.0, 52.0), (5, 70.0, 78.0), (20, 30.0, 60.0)]:
            path = np.array([float(fit.expected_purchases(t, x, tx, T)) for t in ts])
            assert np.all(np.isfinite(path)) and path[0] == 0.0
            assert np.all(path >= 0) and np.all(np.diff(path) >= -1e-12 * path[-1])
            for t in (1.0, 52.0, 104.0):
                want = _expected_by_p_integral(fit, t, x, tx, T)
                assert path[int(t)] == pytest.approx(want, rel=1e-7), (r, x, t)
        new = fit.expected_purchases_new_customer(ts)
        assert np.all(np.isfinite(new)) and np.all(new >= 0) and np.all(np.diff(new) >= 0)
        # a new customer is x = 0 observed over T = 0
        assert float(new[52]) == pytest.approx(_expected_by_p_integral(fit, 52.0, 0, 0.0, 0.0), rel=1e-7)


def _simulate_bgnbd(rng, n, r, alpha, a, b, T):
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return x, tx


def test_reported_toy_fit_gives_nonnegative_clv():
    """The reported penalised fit r=0.132, alpha=4.89, a=1.048, b=0.383 on customers simulated from it."""
    rng = np.random.default_rng(11)
    n = 400
    T = rng.integers(52, 79, n).astype(float)
    x, tx = _simulate_bgnbd(rng, n, 0.132, 4.89, 1.048, 0.383, T)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T,
                            "monetary_value": np.where(x > 0, rng.gamma(5.0, 4.0, n), 0.0)})
    fit = clv.BGNBDFit(r=0.132, alpha=4.89, a=1.048, b=0.383, loglik=0.0, n=n)
    path = np.array([fit.expected_purchases(t, x, tx, T) for t in np.arange(0.0, 53.0)])
    assert np.all(path >= 0) and np.all(np.diff(path, axis=0) >= -1e-12)
    gg = clv.GammaGammaFit(p=6.25, q=3.74, v=15.44, loglik=0.0, n=0)
    value = clv.clv(fit, gg, summary, months=12)
    assert np.all(np.isfinite(value)) and np.all(value >= 0)
    # the a + b = 1, x = 0 pole of the closed form goes through the fallback too
    pole = clv.BGNBDFit(r=0.132, alpha=4.89, a=0.617, b=0.383, loglik=0.0, n=n)
    value = clv.clv(pole, gg, summary, months=12)
    assert np.all(np.isfinite(value)) and np.all(value >= 0)


def test_fit_without_drop_out_reports_not_converged():
    """Poisson buyers who never drop out: the likelihood rises towards a -> 0; no r ~ 1e6 estimate."""
    rng = np.random.default_rng(3)
    n = 300
    lam = rng.gamma(2.0, 1 / 10, n)
    T = rng.integers(52, 79, n).astype(float)
    x = rng.poisson(lam * T).astype(float)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0.0)
    fit = clv.fit_bgnbd(pd.DataFrame({"frequency": x, "recency": tx, "T": T}))
    assert not fit.converged and "bound" in fit.note
    assert max(fit.params.values()) <= math.exp(clv.BGNBD_LOG_BOUND) * (1 + 1e-9)
    assert min(fit.params.values()) >= math.exp(-clv.BGNBD_LOG_BOUND) * (1 - 1e-9)
