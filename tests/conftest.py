"""Shared fixtures. A tiny deterministic demo project is generated once per test worker."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(20260701)


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """A project folder with both demo clients at a small size, generated and ingested.

    Tests that use it point helpers at it with ``root=demo_root``.
    """
    from helpers import demo, ingest

    root = tmp_path_factory.mktemp("demo")
    (root / "pyproject.toml").write_text('[project]\nname = "tpkit"\n')
    os.environ.setdefault("TPKIT_KEY", "test-key-not-secret")
    for client in demo.write_demo(root, events=SMALL_EVENTS):
        ingest.ingest_client(client, root=root)
    return root


SMALL_EVENTS = 60_000


@pytest.fixture
def frame_reads(monkeypatch):
    """The names of the tables read into pandas through ``ClientData.frame`` while the test runs."""
    from helpers import data

    asked: list[str] = []
    original = data.ClientData.frame

    def spy(self, name, columns=None):
        asked.append(name)
        return original(self, name, columns)

    monkeypatch.setattr(data.ClientData, "frame", spy)
    return asked
