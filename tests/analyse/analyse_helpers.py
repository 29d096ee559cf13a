"""Small hand-made step 2 projects shared by the tests in this folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from statsmodels.stats.proportion import proportion_confint

CATALOGUE = [
    ("ads", "Ads", "awareness", "digital"),
    ("web", "Website", "consideration", "digital"),
    ("faq", "FAQ", "consideration", "digital"),
    ("store", "Store", "decision", "physical"),
    ("checkout", "Checkout", "decision", "digital"),
    ("survey", "Survey mail", "retention", "digital"),
]


def write_project(root, events: pd.DataFrame, feedback=None, orders=None, reviews=None, client="acme"):
    folder = root / "data" / client
    (folder / "processed").mkdir(parents=True, exist_ok=True)
    (folder / "client.yml").write_text(yaml.safe_dump({
        "name": "Acme & Co", "language": "da", "currency": "DKK",
        "touchpoints": [{"id": t, "name": n, "stage": s, "kind": k} for t, n, s, k in CATALOGUE],
    }))
    ev = events.copy()
    ev["ts"] = pd.to_datetime(ev["ts"]).astype("datetime64[us]")
    ev.to_parquet(folder / "processed" / "events.parquet", index=False)
    for name, df in (("feedback", feedback), ("orders", orders), ("reviews", reviews)):
        if df is not None:
            df = df.copy()
            df["ts"] = pd.to_datetime(df["ts"]).astype("datetime64[us]")
            df.to_parquet(folder / "processed" / f"{name}.parquet", index=False)
    return root


def ev_frame(rows):
    return pd.DataFrame(rows, columns=["journey_id", "customer_id", "ts", "touchpoint_id", "converted", "revenue",
                                       "segment"])


# Five journeys in 2026Q3 (worked out by hand below), one in 2026Q2 and one in 2025Q3.


HAND = ev_frame([
    ("j1", "c1", "2026-07-01 10:00", "ads", False, 0.0, "club"),
    ("j1", "c1", "2026-07-01 11:00", "web", False, 0.0, "club"),
    ("j1", "c1", "2026-07-01 12:00", "web", False, 0.0, "club"),
    ("j1", "c1", "2026-07-02 10:00", "checkout", True, 100.0, "club"),
    ("j1", "c1", "2026-07-05 10:00", "survey", False, 0.0, "club"),
    ("j2", "c2", "2026-07-03 09:00", "ads", False, 0.0, "guest"),
    ("j2", "c2", "2026-07-03 09:30", "web", False, 0.0, "guest"),
    ("j2", "c2", "2026-07-03 09:40", "faq", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-01 08:00", "web", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-01 08:10", "faq", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-01 08:20", "web", False, 0.0, "guest"),
    ("j3", "c3", "2026-08-03 08:00", "checkout", True, 50.0, "guest"),
    ("j4", "c1", "2026-09-10 12:00", "web", False, 0.0, "club"),
    ("j5", "c4", "2026-09-30 23:59", "faq", False, 0.0, "guest"),
    ("j6", "c5", "2026-06-30 23:59", "web", False, 0.0, "guest"),  # previous quarter
    ("j7", "c6", "2025-08-01 10:00", "web", True, 10.0, "guest"),  # same quarter last year
])


def wilson(x, n):
    return proportion_confint(x, n, alpha=0.05, method="wilson")


REVIEWS = pd.DataFrame({
    "review_id": ["r1", "r2", "r3", "r4"], "source": "trustpilot",
    "ts": ["2026-07-10", "2026-07-11", "2026-07-12", "2026-05-01"],
    "rating": [1.0, 5.0, 2.0, 5.0],
    "title": ["Skuffet", "Anbefales", None, None],
    "text": ["Lang ventetid og uvenligt personale", "Super god service", "Rude staff, not helpful", "Great"],
    "touchpoint_id": ["store", "store", "store", None],
    "language": ["da", "da", "en", "en"],
})


def bgnbd_orders(rng, n=600):
    """Orders from the BG/NBD story: Poisson purchases while alive, drop-out after each purchase."""
    rows = []
    for c in range(n):
        lam = rng.gamma(2.0, 1 / 20.0)  # purchases per day
        p = rng.beta(1.0, 4.0)
        t = rng.uniform(0, 60)
        while t < 360:
            rows.append((f"o{len(rows)}", f"c{c}", pd.Timestamp("2025-10-01") + pd.Timedelta(days=float(t)),
                         float(rng.gamma(4.0, 50.0)), "club" if c % 3 == 0 else "guest"))
            if rng.random() < p:
                break
            t += rng.exponential(1 / lam)
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "ts", "revenue", "segment"])


def random_events_and_feedback():
    """1500 random journeys around 2026Q3 (club converts more often) and 400 survey answers."""
    rng = np.random.default_rng(11)
    n_j = 1500
    rows = []
    tps = [t for t, *_ in CATALOGUE]
    for j in range(n_j):
        seg = "club" if rng.random() < 0.3 else "guest"
        start = pd.Timestamp("2026-06-15") + pd.Timedelta(minutes=int(rng.integers(0, 130 * 1440)))
        steps = rng.choice(tps[:4], size=int(rng.integers(1, 6)))
        conv = rng.random() < (0.4 if seg == "club" else 0.2)
        ts = start
        for t in steps:
            ts += pd.Timedelta(minutes=int(rng.integers(1, 600)))
            rows.append((f"j{j}", f"c{j % 700}", ts, t, False, 0.0, seg))
        if conv:
            ts += pd.Timedelta(minutes=int(rng.integers(1, 600)))
            rows.append((f"j{j}", f"c{j % 700}", ts, "checkout", True, float(rng.integers(100, 900)), seg))
    ev = ev_frame(rows)
    fb = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(400)], "customer_id": None,
        "ts": pd.Timestamp("2026-07-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, 400), unit="s"),
        "touchpoint_id": rng.choice(["web", "faq", "store", None], 400),
        "csat": rng.integers(1, 6, 400).astype(float), "nps": rng.integers(0, 11, 400).astype(float),
        "segment": rng.choice(["club", "guest"], 400),
    })
    return ev, fb
