"""The verdict on one change and KPI, as data: which verdict and on what grounds.

The words are written by :mod:`helpers.evaluate.narrative`; this module only decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ALPHA", "VERDICTS", "Verdict", "decide"]

MOVED = "moved as expected"
AGAINST = "moved against expectation"
NO_CHANGE = "no detectable change"
TOO_EARLY = "too early"
TOO_LITTLE = "too little data"
#: every verdict, in the order the overview counts them (the values of the ``verdict`` column)
VERDICTS = (MOVED, AGAINST, NO_CHANGE, TOO_EARLY, TOO_LITTLE)
#: a change counts as moved when its adjusted p value is below this level
ALPHA = 0.05


@dataclass(frozen=True)
class Verdict:
    """``verdict`` (one of :data:`VERDICTS`) and its grounds.

    ``basis`` is ``"too early"``, ``"too little data"``, ``"constant"`` (the KPI did not
    vary: nothing to test), ``"significant"`` or ``"not significant"``; ``rose`` says
    which way a significant estimate went and ``expected_up`` which way the change log
    expected it to go.
    """

    verdict: str
    basis: str
    rose: bool | None = None
    expected_up: bool = True
    #: failed checks that change the wording (not the verdict): ``"pretrend"``, ``"placebo"``, ``"srm"``
    warnings: tuple[str, ...] = ()


def decide(status: str, effect: float, p_adj: float, expected_direction: str, alpha: float = ALPHA,
           warnings=()) -> Verdict:
    """The verdict for an evaluation ``status`` (ok, constant, too early, too little data) and its numbers.

    ``warnings`` lists the failed checks (pre-trend, placebo, sample-ratio mismatch); they are
    kept on a verdict with an estimate, where the narrative words them.
    """
    expected_up = expected_direction == "up"
    warnings = tuple(warnings)
    if status == TOO_EARLY:
        return Verdict(TOO_EARLY, TOO_EARLY, expected_up=expected_up)
    if status == TOO_LITTLE:
        return Verdict(TOO_LITTLE, TOO_LITTLE, expected_up=expected_up)
    if status == "constant":
        return Verdict(NO_CHANGE, "constant", expected_up=expected_up)
    if math.isfinite(p_adj) and p_adj < alpha:
        rose = effect > 0
        return Verdict(MOVED if rose == expected_up else AGAINST, "significant", rose=rose, expected_up=expected_up,
                       warnings=warnings)
    return Verdict(NO_CHANGE, "not significant", expected_up=expected_up, warnings=warnings)
