"""The table keys ingest has accepted so far (order ids, response ids, ...), kept compactly.

A Python dict of 17 million order ids with where each was first seen takes several gigabytes; here each key
is two independent 64-bit hashes (:func:`pandas.util.hash_array` with two hash keys: two different keys
share both only with a probability of about n^2 / 2^129, far below one in a trillion for any export), the
index of the file and the row, 26 bytes a key, in sorted blocks that are merged as they grow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_KEYS = ("tpkit-keys-one-1", "tpkit-keys-two-2")  # hash keys of the two hashes (16 characters each)
_MERGE = 8  # blocks kept before they are merged into one


def _hashes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(keys, dtype=object)
    return (pd.util.hash_array(values, hash_key=_KEYS[0], categorize=False),
            pd.util.hash_array(values, hash_key=_KEYS[1], categorize=False))


class KeyRegistry:
    """Keys seen so far with the file and row each was first seen in."""

    def __init__(self) -> None:
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # h1, h2, file, row
        self._files: list[str] = []

    def __len__(self) -> int:
        return sum(len(b[0]) for b in self._blocks)

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per key: whether it was seen, and the file index and row where (-1 where not)."""
        n = len(keys)
        found = np.zeros(n, dtype=bool)
        file_at = np.full(n, -1, dtype=np.int32)
        row_at = np.full(n, -1, dtype=np.int64)
        if n == 0 or not self._blocks:
            return found, file_at, row_at
        h1, h2 = _hashes(keys)
        for b1, b2, bf, br in self._blocks:
            lo = np.searchsorted(b1, h1, side="left")
            hi = np.searchsorted(b1, h1, side="right")
            todo = ~found
            one = todo & (hi - lo == 1)  # the usual case: the first hash occurs once in the block
            at = np.minimum(lo, len(b1) - 1)
            hit = one & (b2[at] == h2)
            found[hit], file_at[hit], row_at[hit] = True, bf[at[hit]], br[at[hit]]
            for i in np.flatnonzero(todo & (hi - lo > 1)):  # equal first hashes: compare the second one by one
                run = np.arange(lo[i], hi[i])
                same = run[b2[run] == h2[i]]
                if same.size:
                    found[i], file_at[i], row_at[i] = True, bf[same[0]], br[same[0]]
        return found, file_at, row_at

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Whether each key was added before."""
        return self._find(keys)[0]

    def first_seen(self, keys: np.ndarray) -> list[tuple[str, int]]:
        """(file, row) where each key (all of them seen) was first added."""
        found, file_at, row_at = self._find(keys)
        if not found.all():
            raise KeyError("first_seen of a key that was not added")
        return [(self._files[f], int(r)) for f, r in zip(file_at, row_at)]

    def add(self, keys: np.ndarray, file: str, rows: np.ndarray) -> None:
        """Register ``keys`` (new and distinct: the caller checks) as first seen in ``file`` at ``rows``."""
        if len(keys) == 0:
            return
        if file not in self._files:
            self._files.append(file)
        h1, h2 = _hashes(keys)
        order = np.lexsort((h2, h1))
        f = np.full(len(keys), self._files.index(file), dtype=np.int16 if len(self._files) < 2**15 else np.int32)
        self._blocks.append((h1[order], h2[order], f, np.asarray(rows, dtype=np.int64)[order]))
        if len(self._blocks) > _MERGE:
            parts = [np.concatenate([b[i] for b in self._blocks]) for i in range(4)]
            order = np.lexsort((parts[1], parts[0]))
            self._blocks = [tuple(p[order] for p in parts)]
