"""Optional data stays optional: a tiny client with events only, without a segment column, with costs, and with
feedback that cannot carry a key-driver analysis. The step runs and says what it could not do.

The tiny client has two catalogued touchpoints on the way to a purchase (web, store) and one after it
(survey). Every converting journey is ``web > store``; the others stop at ``web``. Both touchpoints are
on every converting path, so removing either loses every conversion: Markov gives each half of the
conversions and half of the revenue (removal effects 1 and 1), which the ROI test uses as its closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import artifacts, prioritise
from ingest_helpers import make_client

CONVERTING, BROWSING, REVENUE = 30, 20, 100.0
T0 = pd.Timestamp("2026-07-06 09:00")


def _events() -> pd.DataFrame:
    rows = []
    for j in range(CONVERTING + BROWSING):
        start = T0 + pd.Timedelta(days=j)
        rows.append((f"c{j}", f"j{j}", "web", start, False, 0.0))
        if j < CONVERTING:
            rows.append((f"c{j}", f"j{j}", "store", start + pd.Timedelta(hours=2), True, REVENUE))
    df = pd.DataFrame(rows, columns=["customer_id", "journey_id", "touchpoint_id", "ts", "converted", "revenue"])
    df["ts"] = df["ts"].astype("datetime64[us]")
    return df  # no segment column


@pytest.fixture
def tiny(tmp_path):
    """A project folder with client ``tiny``: processed events only; tests add other tables."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    folder = make_client(tmp_path, "tiny", currency="DKK")
    (folder / "processed").mkdir()
    _events().to_parquet(folder / "processed" / "events.parquet", index=False)
    return tmp_path


def _compute(root):
    return prioritise.compute("tiny", "2026Q3", root=root, n_boot=20)


def test_events_only_runs_and_says_what_is_missing(tiny):
    result = _compute(tiny)
    assert result.period == "2026Q3"
    assert result.drivers is None and result.driver_gap.reason == "no_feedback"
    assert any("no key-driver analysis: there is no feedback data" == n for n in result.notes)
    assert "No key-driver analysis for 2026Q3: there is no feedback data." in repr(prioritise.say_drivers(result))
    assert "needs key drivers and current CSAT" in repr(prioritise.say_ipm(result))
    assert result.roi.empty and "No touchpoint costs are known" in repr(prioritise.say_roi(result))
    # attribution still works: both touchpoints are on every converting path
    assert result.markov.conversion_probability == pytest.approx(CONVERTING / (CONVERTING + BROWSING))
    shares = result.markov.table.set_index("channel")["share"]
    assert shares["web"] == pytest.approx(0.5) and shares["store"] == pytest.approx(0.5)
    found = prioritise.findings(result)
    assert isinstance(found, artifacts.Findings) and found.step == "prioritise"
    assert set(found.tables) == {"priorities", "attribution"}
    assert found.metrics["driver_r2"] is None and found.metrics["journeys"] == CONVERTING + BROWSING
    # the survey touchpoint has no data at all: its reason says to measure it
    reason = result.ranking.set_index("touchpoint_id").loc["survey", "reason"]
    assert reason == "No survey ratings or journey data in the period: measure it before prioritising"


def test_costs_give_roi_from_the_markov_revenue(tiny):
    costs = pd.DataFrame({"touchpoint_id": ["web", "store", "survey"], "period": ["2026Q3"] * 3,
                          "cost": [500.0, 3000.0, 100.0]})
    costs.to_parquet(tiny / "data" / "tiny" / "processed" / "costs.parquet", index=False)
    result = _compute(tiny)
    roi = result.roi.set_index("touchpoint_id")
    half = CONVERTING * REVENUE / 2  # each of web and store gets half of the revenue
    assert roi.loc["web", "attributed_revenue"] == pytest.approx(half)
    assert roi.loc["web", "roi"] == pytest.approx((half - 500.0) / 500.0)
    assert roi.loc["store", "revenue_per_cost"] == pytest.approx(half / 3000.0)
    assert np.isnan(roi.loc["survey", "roi"])  # after the purchase: attribution cannot value it
    assert (roi["model"] == prioritise.MODEL_LABELS["markov"]).all()
    said = repr(prioritise.say_roi(result))
    assert "Website returned 3.0 DKK per DKK spent" in said and "Feedback survey is not on paths" in said
    assert "roi" in prioritise.findings(result).tables


def _feedback(answers: int, with_survey: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for k in range(answers):
        ts = T0 + pd.Timedelta(days=k % 60)
        sid = f"s{k}" if with_survey else None
        rows.append({"response_id": f"r{k}o", "survey_id": sid, "customer_id": f"c{k}", "ts": ts,
                     "touchpoint_id": None, "csat": np.nan, "nps": float(rng.integers(0, 11))})
        for tp in ("web", "store"):
            rows.append({"response_id": f"r{k}{tp}", "survey_id": sid, "customer_id": f"c{k}", "ts": ts,
                         "touchpoint_id": tp, "csat": float(rng.integers(1, 6)), "nps": np.nan})
    df = pd.DataFrame(rows)
    df["ts"] = df["ts"].astype("datetime64[us]")
    if not with_survey:
        df = df.drop(columns="survey_id")
    return df


def test_too_few_survey_answers_are_counted_in_the_note(tiny):
    _feedback(12).to_parquet(tiny / "data" / "tiny" / "processed" / "feedback.parquet", index=False)
    result = _compute(tiny)
    gap = result.driver_gap
    assert result.drivers is None and (gap.reason, gap.answers, gap.drivers) == ("too_few", 12, 0)
    text = repr(prioritise.say_drivers(result))
    assert "the relationship survey has 12 answers and 0 touchpoints with at least 30 ratings" in text
    # current CSAT is still shown: the mean of the period's ratings
    perf = result.performance.set_index("touchpoint_id")
    fb = _feedback(12)
    assert perf.loc["web", "csat"] == pytest.approx(fb.loc[fb["touchpoint_id"] == "web", "csat"].mean())


def test_feedback_without_a_relationship_survey_says_what_to_add(tiny):
    _feedback(40, with_survey=False).to_parquet(tiny / "data" / "tiny" / "processed" / "feedback.parquet",
                                                index=False)
    result = _compute(tiny)
    assert result.driver_gap.reason == "invalid"
    assert "has no relationship survey" in repr(prioritise.say_drivers(result))
    assert "drivers" not in prioritise.findings(result).tables


def test_enough_answers_give_key_drivers(tiny):
    _feedback(60).to_parquet(tiny / "data" / "tiny" / "processed" / "feedback.parquet", index=False)
    result = _compute(tiny)
    assert result.driver_gap is None and set(result.drivers.table["driver"]) == {"web", "store"}
    assert result.drivers.n == 60 and "drivers" in prioritise.findings(result).tables
