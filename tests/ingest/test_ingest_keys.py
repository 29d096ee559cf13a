"""The compact key registry of ingest against a plain dict of the same keys (the structure it replaces)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.ingest import keys as keymod
from helpers.ingest.keys import KeyRegistry


def test_registry_answers_as_a_dict_across_many_merged_blocks(rng):
    reg, ref = KeyRegistry(), {}
    ids = np.array([f"order-{i}" for i in rng.permutation(60_000)], dtype=object)
    for b, block in enumerate(np.array_split(ids[:50_000], 12)):  # more blocks than are kept before a merge
        file = f"raw/orders-{b % 3}.csv"
        rows = np.arange(len(block)) + 2
        assert not reg.contains(block).any()
        reg.add(block, file, rows)
        ref.update(zip(block, zip([file] * len(block), rows.tolist())))
    assert len(reg) == 50_000 and len(reg._blocks) <= keymod._MERGE
    probe = np.concatenate([ids[45_000:55_000], np.array([None, "", "order-1 "], dtype=object)])
    got = reg.contains(probe)
    assert got.tolist() == [k in ref for k in probe]
    seen = probe[got]
    assert reg.first_seen(seen) == [ref[k] for k in seen]
    with pytest.raises(KeyError):
        reg.first_seen(np.array(["order-99999"], dtype=object))


def test_registry_tells_keys_apart_that_share_the_first_hash(monkeypatch):
    """Two keys whose first 64-bit hash is equal are still different keys (the second hash decides)."""
    def hashes(values):
        values = np.asarray(values, dtype=object)
        return (np.zeros(len(values), dtype=np.uint64),
                np.array([hash(v) & 0xFFFFFFFF for v in values], dtype=np.uint64))

    monkeypatch.setattr(keymod, "_hashes", hashes)
    reg = KeyRegistry()
    reg.add(np.array(["a", "b"], dtype=object), "raw/x.csv", np.array([2, 3]))
    assert reg.contains(np.array(["b", "c", "a"], dtype=object)).tolist() == [True, False, True]
    assert reg.first_seen(np.array(["b"], dtype=object)) == [("raw/x.csv", 3)]


def test_registry_holds_a_key_in_a_few_dozen_bytes():
    reg = KeyRegistry()
    n = 200_000
    reg.add(np.array([f"r{i}" for i in range(n)], dtype=object), "raw/f.csv", np.arange(n))
    held = sum(a.nbytes for b in reg._blocks for a in b)
    assert held / n <= 26
