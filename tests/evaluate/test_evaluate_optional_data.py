"""helpers.evaluate without optional data: no survey responses, no events, no A/B column, a KPI without values.

The step still runs, every change and KPI gets a row, and the rows without an estimate say which data is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import artifacts, evaluate
from ingest_helpers import make_client

CHANGES = [
    {"id": "CH-web", "touchpoint": "web", "description": "New product pages", "start": "2026-06-01",
     "kpis": ["csat", "conversion", "volume"]},
    {"id": "CH-ab", "touchpoint": "web", "description": "Checkout test", "start": "2026-07-01",
     "kpis": ["conversion", "csat"], "ab_column": "variant"},
    {"id": "CH-store", "touchpoint": "store", "description": "Store layout", "start": "2026-06-01", "kpis": ["nps"]},
]
START, END, CHANGE = pd.Timestamp("2026-01-05"), pd.Timestamp("2026-09-10"), pd.Timestamp("2026-06-01")


def _events(rng, n=4000) -> pd.DataFrame:
    ts = START + pd.to_timedelta(np.sort(rng.random(n)) * (END - START).total_seconds(), unit="s")
    converted = rng.random(n) < np.where(ts >= CHANGE, 0.45, 0.30)
    return pd.DataFrame({"customer_id": [f"c{i % 500:04d}" for i in range(n)], "ts": ts.astype("datetime64[us]"),
                         "touchpoint_id": "web", "journey_id": [f"j{i}" for i in range(n)],
                         "converted": converted, "revenue": np.where(converted, 90.0, 0.0)})


def _feedback(rng, n=2500) -> pd.DataFrame:
    ts = START + pd.to_timedelta(np.sort(rng.random(n)) * (END - START).total_seconds(), unit="s")
    csat = np.clip(np.rint(rng.normal(np.where(ts >= CHANGE, 4.0, 3.4), 0.8)), 1, 5)
    return pd.DataFrame({"response_id": [f"r{i}" for i in range(n)],
                         "customer_id": [f"c{i % 500:04d}" for i in range(n)], "ts": ts.astype("datetime64[us]"),
                         "touchpoint_id": np.where(np.arange(n) % 5, "web", "store"), "csat": csat, "nps": np.nan})


def _client(root, name: str, tables: dict) -> str:
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    folder = make_client(root, name, changes=CHANGES)
    (folder / "processed").mkdir(exist_ok=True)
    for table, df in tables.items():
        df.to_parquet(folder / "processed" / f"{table}.parquet", index=False)
    return name


def _rows(result) -> pd.DataFrame:
    t = result.table
    assert list(zip(t.change_id, t.kpi)) == [("CH-web", "csat"), ("CH-web", "conversion"), ("CH-web", "volume"),
                                             ("CH-ab", "conversion"), ("CH-ab", "csat"), ("CH-store", "nps")]
    return t.set_index(["change_id", "kpi"])


def _everything_shows(result) -> None:
    """What the notebook calls works on the result and saves its findings."""
    for part in (evaluate.say_overview, evaluate.say_verdicts, evaluate.show, evaluate.show_methods):
        assert part(result)._repr_html_()
    assert len(evaluate.change_figures(result)) == 3
    found = evaluate.findings(result)
    assert found.metrics["tests"] == 6 and len(found.findings) == 6


@pytest.fixture(scope="module")
def rng_data():
    rng = np.random.default_rng(5)
    return _events(rng), _feedback(rng)


def test_without_survey_responses(tmp_path, rng_data):
    events, _ = rng_data
    result = evaluate.compute(_client(tmp_path, "nofeedback", {"events": events}), "2026Q3", root=tmp_path)
    t = _rows(result)
    for key in [("CH-web", "csat"), ("CH-ab", "csat"), ("CH-store", "nps")]:
        assert t.loc[key, "verdict"] == "too little data"
        assert "there are no survey responses for this client" in t.loc[key, "verdict_text"]
    conv = t.loc[("CH-web", "conversion")]
    assert conv.verdict == "moved as expected" and conv.ci_low < 0.15 < conv.ci_high
    # the events have no column 'variant': the A/B test says so instead of failing
    assert t.loc[("CH-ab", "conversion"), "verdict"] == "too little data"
    assert "the events have no A/B column 'variant'" in t.loc[("CH-ab", "conversion"), "verdict_text"]
    _everything_shows(result)


def test_without_events(tmp_path, rng_data):
    _, feedback = rng_data
    result = evaluate.compute(_client(tmp_path, "noevents", {"feedback": feedback}), "2026Q3", root=tmp_path)
    t = _rows(result)
    for key in [("CH-web", "conversion"), ("CH-web", "volume"), ("CH-ab", "conversion")]:
        assert t.loc[key, "verdict"] == "too little data"
        assert "there are no event data for this client" in t.loc[key, "verdict_text"], key
    csat = t.loc[("CH-web", "csat")]
    assert csat.verdict == "moved as expected" and csat.ci_low < 0.6 < csat.ci_high
    assert "the survey responses have no A/B column 'variant'" in t.loc[("CH-ab", "csat"), "verdict_text"]
    # NPS was never asked: the KPI has no values at all
    nps = t.loc[("CH-store", "nps")]
    assert nps.verdict == "too little data" and "the data hold no NPS values" in nps.verdict_text
    _everything_shows(result)


def test_without_any_data(tmp_path):
    result = evaluate.compute(_client(tmp_path, "empty", {}), "2026Q3", root=tmp_path)
    t = _rows(result)
    assert set(t.verdict) == {"too little data"}
    assert t.p_adj.isna().all() and (t.n == 0).all()
    _everything_shows(result)
    saved = artifacts.load(tmp_path / "arts", "evaluate") if artifacts.save(tmp_path / "arts",
                                                                            evaluate.findings(result)) else None
    assert saved is not None and saved.metrics["too_little_data"] == 6
