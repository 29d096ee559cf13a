"""What a long step is doing, for the person waiting on ``tpkit report``; never in the notebook or the report.

>>> with progress.part("customer value"):
...     fit = clv(...)

Inside a report kernel the runner sets ``$TPKIT_PROGRESS`` to a file it follows and prints each line
on the CLI's stderr. Without it (JupyterLab, tests) the records go to the ``tpkit.progress`` logger only,
which shows nothing unless the analyst turns it on.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

ENV = "TPKIT_PROGRESS"
log = logging.getLogger("tpkit.progress")


def _emit(line: str) -> None:
    log.info(line)
    target = os.environ.get(ENV)
    if target:
        try:
            with open(target, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError:  # progress is a courtesy: it never fails a report
            pass


@contextmanager
def part(name: str):
    """Announce ``name`` when it starts and say how long it took when it ends."""
    t0 = time.perf_counter()
    _emit(f"{name} ...")
    try:
        yield
    finally:
        _emit(f"{name} done in {time.perf_counter() - t0:.1f} s")


def follow(path: Path, offset: int = 0) -> tuple[list[str], int]:
    """The complete lines written to ``path`` after ``offset``, and the new offset."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n") + 1
    return chunk[:end].decode("utf-8", "replace").splitlines(), offset + end
