"""Step 3: prioritise the touchpoints.

Which touchpoints matter most for the experience (key-driver analysis) and for
sales (attribution, drop-off), against how well each performs now; a ranked,
explained priority list; ROI where costs are known.

>>> from helpers import prioritise
>>> prioritise.relative_weights(df, "nps", ["website", "checkout"]).shares
>>> prioritise.markov_attribution(paths).table       # exact removal effects
>>> result = prioritise.run("nordlys", "2026Q3")     # everything the notebook shows
>>> result.ranking

One layer per module, as in every step:

* :mod:`.queries`: the Ibis expressions on the event table (path extraction in :mod:`.journeys`,
  shared with step 2);
* :mod:`.compute`: statistics on the aggregates, never matplotlib (attribution, key drivers,
  drop-off and ROI, ranking, and how the step combines them);
* :mod:`.figures`: the charts (matplotlib, loaded on first use of a figure name);
* :mod:`.narrative`: every sentence, table label, column header and reason the step shows;
* :mod:`.step`: :class:`PrioritiseResult`, :func:`compute`, :func:`run` (cached), :func:`findings`.
"""

from importlib import import_module

from helpers.prioritise.compute import (
    HEURISTICS,
    QUADRANT_ORDER,
    CollinearityWarning,
    DriverGap,
    Importance,
    KeyDrivers,
    MarkovResult,
    ParsedPaths,
    PrioritiseWarning,
    attribution_models,
    driver_dataset,
    friction,
    heuristic_attribution,
    importance_performance,
    key_drivers,
    markov_attribution,
    markov_draws,
    pairwise_corr,
    parse_paths,
    rank_touchpoints,
    relative_weights,
    roi,
    score_components,
    shapley_r2,
    touch_weights,
    touchpoint_performance,
    transition_matrix,
)
from helpers.prioritise.narrative import (
    MODEL_LABELS,
    OUTCOME_LABELS,
    findings_text,
    part,
    reasons,
    say_attribution,
    say_drivers,
    say_friction,
    say_ipm,
    say_notes,
    say_priorities,
    say_roi,
    show,
    show_complaints,
)
from helpers.prioritise.queries import journey_paths, journey_paths_expr, time_decay_days_expr
from helpers.prioritise.step import PrioritiseResult, compute, findings, run

#: figure names, imported from :mod:`.figures` on first use so that the other layers load without matplotlib
_FIGURES = ("attribution_chart", "attribution_figure", "friction_chart", "friction_figure",
            "importance_performance_figure", "importance_performance_matrix", "place_labels", "priority_chart",
            "priority_figure")


def __getattr__(name: str):
    if name in _FIGURES:
        value = getattr(import_module("helpers.prioritise.figures"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'helpers.prioritise' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "HEURISTICS", "MODEL_LABELS", "OUTCOME_LABELS", "QUADRANT_ORDER", "CollinearityWarning", "DriverGap",
    "Importance", "KeyDrivers", "MarkovResult", "ParsedPaths", "PrioritiseResult", "PrioritiseWarning",
    "attribution_models", "compute", "driver_dataset", "findings", "findings_text", "friction",
    "heuristic_attribution", "importance_performance", "journey_paths", "journey_paths_expr", "key_drivers",
    "markov_attribution", "markov_draws", "pairwise_corr", "parse_paths", "part", "rank_touchpoints", "reasons",
    "relative_weights", "roi", "run", "say_attribution", "say_drivers", "say_friction", "say_ipm", "say_notes",
    "say_priorities", "say_roi", "score_components", "shapley_r2", "show", "time_decay_days_expr", "touch_weights",
    "touchpoint_performance", "transition_matrix", *_FIGURES,
    "show_complaints",
]
