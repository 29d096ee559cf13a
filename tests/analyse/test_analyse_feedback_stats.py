"""Survey answers summarised by the engine: the daily sufficient statistics of step 2 against the answers
themselves, and every survey KPI, change, weekly series and rating distribution built from them against an
independent computation on the raw answers (scipy, statsmodels, hand counts)."""

from __future__ import annotations

import datetime as dt
import importlib

import ibis
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from statsmodels.stats.proportion import proportion_confint

from helpers import data, stats
from helpers.analyse import queries as q
from helpers.config import load_client

calc = importlib.import_module("helpers.analyse.compute")
step = importlib.import_module("helpers.analyse.step")

START, END = dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1)


def _con():
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    return con


@pytest.fixture(scope="module")
def answers():
    """Survey answers over two quarters: CSAT and NPS with gaps, answers without a touchpoint, a segment
    with gaps, answers at midnight and at the last instant of a day, one touchpoint where every CSAT is 5."""
    rng = np.random.default_rng(11)
    n = 6000
    ts = pd.Timestamp("2026-04-01") + pd.to_timedelta(rng.integers(0, 183 * 86400, n), unit="s")
    ts = pd.Series(ts)
    ts.iloc[:10] = pd.Timestamp("2026-07-01 00:00:00")
    ts.iloc[10:20] = pd.Timestamp("2026-06-30 23:59:59.999999")
    tp = pd.Series(rng.choice(["web", "store", "app", None], n, p=[0.4, 0.3, 0.2, 0.1]), dtype=object)
    csat = pd.Series(rng.integers(1, 6, n).astype(float)).where(rng.random(n) > 0.2)
    nps = pd.Series(rng.integers(0, 11, n).astype(float)).where(rng.random(n) > 0.3)
    tp.iloc[20:60] = "kiosk"
    csat.iloc[20:60] = 5.0
    seg = pd.Series(rng.choice(["club", "guest", None], n), dtype=object)
    comment = pd.Series(rng.choice(["Fine", "", "  ", None, "Slow checkout"], n), dtype=object)
    return pd.DataFrame({"response_id": [f"r{i}" for i in range(n)], "ts": ts.astype("datetime64[us]"),
                         "touchpoint_id": tp, "csat": csat, "nps": nps, "segment": seg, "comment": comment})


@pytest.fixture(scope="module")
def daily(answers):
    got = q.feedback_stats_expr(_con().create_table("feedback", answers), dt.datetime(2026, 4, 1),
                                dt.datetime(2026, 10, 1)).execute()
    got["day"] = pd.to_datetime(got["day"]).astype("datetime64[us]")
    for c in ("touchpoint_id", "segment"):
        got[c] = got[c].astype(object).where(got[c].notna(), None)
    return got


def _by_hand(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per group: CSAT mean, sd, t interval (scipy), top-2-box with Wilson (statsmodels), NPS counts."""
    rows = []
    for k, g in df.groupby(keys, dropna=False):
        c = g["csat"].dropna().to_numpy()
        v = g["nps"].dropna().to_numpy()
        lo, hi = (st.t.interval(0.95, len(c) - 1, loc=c.mean(), scale=c.std(ddof=1) / np.sqrt(len(c)))
                  if len(c) > 1 and c.min() < c.max() else (np.nan, np.nan))
        tlo, thi = proportion_confint((c >= 4).sum(), len(c), method="wilson") if len(c) else (np.nan, np.nan)
        rows.append({**dict(zip(keys, k if isinstance(k, tuple) else (k,))), "csat_n": len(c),
                     "csat": c.mean() if len(c) else np.nan, "csat_sd": c.std(ddof=1) if len(c) > 1 else np.nan,
                     "csat_ci_low": lo, "csat_ci_high": hi, "top2box": (c >= 4).mean() if len(c) else np.nan,
                     "top2box_ci_low": tlo, "top2box_ci_high": thi, "nps_n": len(v),
                     "nps": 100 * ((v >= 9).mean() - (v <= 6).mean()) if len(v) else np.nan})
    return pd.DataFrame(rows)


def test_daily_statistics_of_the_engine_are_those_of_the_answers(answers, daily):
    # answers without a touchpoint stay in the daily rows (the overall and segment tables count them), so the
    # reference groups by a copy of the column that feedback_stats does not filter on
    raw = answers.assign(day=answers["ts"].dt.normalize(), tp=answers["touchpoint_id"])
    want = calc.feedback_stats(raw, ["day", "tp", "segment"]).rename(columns={"tp": "touchpoint_id"})
    key = ["day", "touchpoint_id", "segment"]

    def norm(df):
        df = df.copy()
        for c in ("touchpoint_id", "segment"):
            df[c] = df[c].astype(object).where(df[c].notna(), "(none)")
        return df.sort_values(key).reset_index(drop=True)

    got, want = norm(daily), norm(want)
    pd.testing.assert_frame_equal(got[key], want[key], check_dtype=False)
    for c in calc.STAT_COLUMNS:
        np.testing.assert_allclose(got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float), rtol=1e-12,
                                   err_msg=c)
    # hand counts of one day
    day = pd.Timestamp("2026-06-30")
    on_day = answers[answers["ts"].dt.normalize() == day]
    assert int(got.loc[got["day"] == day, "rows"].sum()) == len(on_day) >= 10
    assert int(got.loc[got["day"] == day, "promoters"].sum()) == int((on_day["nps"] >= 9).sum())
    assert int(got["rows"].sum()) == len(answers)


def test_kpis_rolled_up_from_the_days_equal_scipy_and_statsmodels_on_the_answers(answers, daily):
    quarter = answers[(answers["ts"] >= START) & (answers["ts"] < END)]
    for keys in (["touchpoint_id"], ["segment"], []):
        st_ = calc.rollup_stats(step.in_days(daily, START, END), keys)
        got = calc.feedback_kpis_from_stats(st_, keys)
        base = quarter[quarter["touchpoint_id"].notna()] if keys == ["touchpoint_id"] else quarter
        want = _by_hand(base.assign(_all=1), keys or ["_all"])
        if keys:
            got = got.set_index(keys).sort_index()
            want = want.set_index(keys).sort_index()
        else:
            want = want.drop(columns="_all")
        for c in want.columns:
            np.testing.assert_allclose(got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float),
                                       rtol=1e-10, equal_nan=True, err_msg=f"{keys} {c}")
    kiosk = calc.feedback_kpis_from_stats(calc.rollup_stats(daily, ["touchpoint_id"]), ["touchpoint_id"])
    kiosk = kiosk.set_index("touchpoint_id").loc["kiosk"]
    assert kiosk["csat"] == 5.0 and kiosk["csat_sd"] == 0.0 and np.isnan(kiosk["csat_ci_low"])
    assert "no variation" in kiosk["feedback_note"]


def test_changes_from_statistics_equal_the_changes_from_the_answers(answers, daily):
    now = answers[answers["ts"] >= START]
    before = answers[answers["ts"] < START]
    kp_now = calc.feedback_kpis(now, ["touchpoint_id"]).assign(journeys=50, converted_journeys=5,
                                                              conversion=0.1)
    kp_before = calc.feedback_kpis(before, ["touchpoint_id"]).assign(journeys=40, converted_journeys=8,
                                                                    conversion=0.2)
    raw = calc.compare_kpis(kp_now, kp_before, now, before, "previous quarter")
    from_stats = calc.compare_kpis(kp_now, kp_before, step.in_days(daily, START, END),
                                   step.in_days(daily, dt.datetime(2026, 4, 1), START), "previous quarter")
    pd.testing.assert_frame_equal(raw, from_stats, rtol=1e-10)
    # the CSAT p value is Welch's test on the answers (scipy on the raw ratings)
    web = from_stats[(from_stats["touchpoint_id"] == "web") & (from_stats["kpi"] == "csat")].iloc[0]
    a = now.loc[now["touchpoint_id"] == "web", "csat"].dropna()
    b = before.loc[before["touchpoint_id"] == "web", "csat"].dropna()
    assert web["p_value"] == pytest.approx(st.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-10)
    assert web["change"] == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    # a touchpoint where every answer is the same in both periods gets no interval and no test
    kiosk = from_stats[(from_stats["touchpoint_id"] == "kiosk") & (from_stats["kpi"] == "csat")]
    assert kiosk.empty or (np.isnan(kiosk["ci_low"]).all() and not kiosk["significant"].any())


def test_weekly_series_and_ratings_from_statistics_equal_those_from_the_answers(answers, daily):
    raw = calc.weekly_table(pd.DataFrame(), pd.DataFrame(), answers, ["touchpoint_id"])
    from_stats = calc.weekly_table(pd.DataFrame(), pd.DataFrame(), daily, ["touchpoint_id"])
    pd.testing.assert_frame_equal(raw, from_stats, rtol=1e-10)
    # weeks start on Monday
    assert (pd.to_datetime(from_stats["week"]).dt.day_of_week == 0).all()
    reviews = pd.DataFrame({"touchpoint_id": ["web", "web", None], "rating": [5.0, 2.0, 4.0]})
    raw_r = calc.rating_distribution(answers, reviews)
    stats_r = calc.rating_distribution(daily, reviews)
    pd.testing.assert_frame_equal(raw_r, stats_r)
    web = stats_r[(stats_r["touchpoint_id"] == "web") & (stats_r["source"] == "survey (CSAT)")].iloc[0]
    c = answers.loc[answers["touchpoint_id"] == "web", "csat"].dropna()
    assert web["ratings"] == len(c) and web["share_5"] == pytest.approx((c == 5).mean())


def test_texts_come_back_only_with_a_comment(answers):
    windows = [(START, END), (dt.datetime(2026, 4, 1), START)]
    got = q.feedback_texts_expr(_con().create_table("feedback", answers), windows).execute()
    want = answers[answers["comment"].notna() & (answers["comment"].str.strip() != "")]
    assert len(got) == len(want) > 0
    assert set(got["comment"]) == {"Fine", "Slow checkout"}


def test_welch_from_statistics_equals_welch_on_the_values(rng):
    a, b = rng.normal(3.2, 1.1, 40), rng.normal(3.6, 0.7, 25)
    raw = stats.diff_means_ci(a, b)
    got = stats.diff_means_ci_from_stats(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    assert (got.value, got.ci_low, got.ci_high) == pytest.approx((raw.value, raw.ci_low, raw.ci_high), rel=1e-12)
    # the Welch interval by hand: Satterthwaite degrees of freedom
    va, vb = a.var(ddof=1) / 40, b.var(ddof=1) / 25
    df = (va + vb) ** 2 / (va**2 / 39 + vb**2 / 24)
    half = st.t.ppf(0.975, df) * np.sqrt(va + vb)
    assert got.ci_high - got.value == pytest.approx(half, rel=1e-12)
    # identical values that are not whole numbers: no spread, so no interval (not a tiny one from rounding)
    same = stats.diff_means_ci([0.1] * 7, [0.7] * 3)
    assert np.isnan(same.ci_low) and same.se == 0.0 and "no variation" in same.note


def test_step_2_on_the_demo_reads_no_survey_answer_into_pandas(demo_root, frame_reads):
    """The step's survey KPIs equal those of the raw answers, and ``ClientData.frame`` is never asked for the
    feedback table."""
    result = step.compute("nordlys", "2026Q3", root=demo_root)
    assert "feedback" not in frame_reads
    cat = load_client("nordlys", demo_root).catalogue_frame()
    raw = calc.add_dimensions(data.ClientData("nordlys", root=demo_root).frame("feedback"), cat)
    raw = calc.in_window(raw, START, END)
    for level, keys in (("touchpoint", ["touchpoint_id"]), ("stage", ["stage"]), ("segment", ["segment"])):
        want = calc.feedback_kpis(raw, keys).set_index(keys)
        got = result.kpis[level].set_index(keys).loc[want.index]
        for c in ("csat_n", "csat", "csat_ci_low", "top2box", "nps_n", "nps", "nps_ci_high"):
            np.testing.assert_allclose(got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float), rtol=1e-10,
                                       equal_nan=True, err_msg=f"{level} {c}")
    assert result.totals["responses"] == len(raw)


def test_scores_off_the_scales_are_an_error_not_a_miscount(answers):
    """A feedback table not written by ingest with a CSAT of 2.5 or an NPS of 11: the category sums would miss
    or misfile those answers, so the step stops with the client named."""
    bad = answers.copy()
    bad.loc[bad.index[100], ["csat", "touchpoint_id"]] = [2.5, "web"]

    class Source:
        client = "acme"

        def has(self, name):
            return True

        def table(self, name):
            return _con().create_table("feedback", bad)

    catalogue = pd.DataFrame(columns=["touchpoint_id", "stage", "kind"])
    with pytest.raises(data.DataError, match="acme.*not whole numbers"):
        step.feedback_daily(Source(), catalogue, dt.datetime(2026, 4, 1), END)
    bad = answers.copy()
    bad.loc[bad.index[100], "nps"] = 11.0
    with pytest.raises(data.DataError, match="not whole numbers"):
        step.feedback_daily(Source(), catalogue, dt.datetime(2026, 4, 1), END)
