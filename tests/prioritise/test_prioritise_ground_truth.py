"""Recovery of the ground truth planted in the demo clients (driver order, transitions, drop-off)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers import prioritise
from helpers.prioritise import attribution as attr_mod


@pytest.fixture(scope="module")
def fjordtech_root(tmp_path_factory):
    """fjordtech at its default size (about 65,000 events, 1,600 survey answers; a few seconds).

    The shared small demo holds only 300 fjordtech survey answers, too few to separate its two
    leading drivers (planted weights 0.42 and 0.33) reliably."""
    import os

    from helpers import demo, ingest

    root = tmp_path_factory.mktemp("fjordtech")
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    os.environ.setdefault("TPKIT_KEY", "test-key-not-secret")
    demo.write_client("fjordtech", root)
    ingest.ingest_client("fjordtech", root=root)
    return root


@pytest.mark.parametrize("client", ["nordlys", "fjordtech"])
def test_planted_driver_order_is_recovered(demo_root, fjordtech_root, client):
    from helpers import data, demo

    root = demo_root if client == "nordlys" else fjordtech_root
    truth = demo.GROUND_TRUTH[client]
    fb = data.read_small(client, "feedback", root=root)
    frame, drivers, _ = prioritise.driver_dataset(fb, "nps", min_ratings=30)
    kd = prioritise.key_drivers(frame, "nps", drivers, n_boot=50)
    # tolerance: the three most important drivers, in the planted order, by both measures
    assert list(kd.table["driver"].head(3)) == truth.driver_order[:3]
    assert list(kd.table.sort_values("shapley", ascending=False)["driver"].head(3)) == truth.driver_order[:3]


@pytest.mark.parametrize("client", ["nordlys", "fjordtech"])
def test_planted_transition_structure_is_recovered(demo_root, client):
    from helpers import data, demo

    truth = demo.GROUND_TRUTH[client]
    planted = truth.pooled_transitions
    ev = data.table(data.connect(client, root=demo_root), "events", client, root=demo_root)
    paths = prioritise.journey_paths(ev, dt.datetime(2000, 1, 1), dt.datetime(2026, 7, 1))
    est = prioritise.transition_matrix(paths)
    pp = prioritise.parse_paths(paths)
    chain = attr_mod._build_chain(pp, 1)
    q, conv, null = attr_mod._transition_counts(chain, pp)
    n_from = pd.Series(np.asarray(q.sum(axis=1)).ravel() + conv + null,
                       index=["start", *[lab[0] for lab in chain.labels[1:]]])
    est = est.reindex(index=planted.index, columns=planted.columns, fill_value=0.0)
    # tolerance: every planted probability within four binomial standard errors + 0.01 (rows with >= 50 moves)
    for row in planted.index:
        n = n_from.get(row, 0)
        if n < 50:
            continue
        p = planted.loc[row].to_numpy()
        tol = 4 * np.sqrt(p * (1 - p) / n) + 0.01
        assert np.all(np.abs(est.loc[row].to_numpy() - p) <= tol), row
    # removal effects of the fitted chain within 0.05 of the planted chain's
    got = prioritise.markov_attribution(paths).removal_effects
    for ch, v in truth.removal_effects.items():
        assert got[ch] == pytest.approx(v, abs=0.05), ch


def test_planted_drop_off_touchpoint_has_the_highest_drop_off(demo_root):
    from helpers import data, demo

    ev = data.table(data.connect("nordlys", root=demo_root), "events", "nordlys", root=demo_root)
    paths = prioritise.journey_paths(ev, dt.datetime(2000, 1, 1), dt.datetime(2026, 7, 1))
    fr = prioritise.friction(paths)
    assert fr["channel"].iloc[0] == demo.GROUND_TRUTH["nordlys"].drop_off_touchpoint
    assert fr["flag"].iloc[0] == "above average"

