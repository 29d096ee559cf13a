"""Fixtures of the step 2 tests: the hand-made project and a random one."""

from __future__ import annotations

import pytest
from analyse_helpers import HAND, random_events_and_feedback, write_project

from helpers import analyse


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("hand"), HAND)
    return root, analyse.compute("acme", "2026Q3", root=root)


@pytest.fixture(scope="module")
def random_project(tmp_path_factory):
    ev, fb = random_events_and_feedback()
    root = write_project(tmp_path_factory.mktemp("rand"), ev, feedback=fb)
    return root, ev, fb
