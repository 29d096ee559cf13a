"""Step 3: prioritise the touchpoints.

Which touchpoints matter most for the experience (key-driver analysis) and for
sales (attribution, drop-off), against how well each performs now; a ranked,
explained priority list; ROI where costs are known.

>>> from helpers import prioritise
>>> prioritise.relative_weights(df, "nps", ["website", "checkout"]).shares
>>> prioritise.markov_attribution(paths).table       # exact removal effects
>>> result = prioritise.run("nordlys", "2026Q3")     # everything the notebook shows
>>> result.ranking

Modules: :mod:`.drivers` (relative weights, Shapley R^2, bootstrap, survey
pivot), :mod:`.attribution` (Markov chain and heuristic models), :mod:`.journeys`
(Ibis path extraction), :mod:`.dropoff` (friction, ROI), :mod:`.ranking`
(importance-performance matrix, priority score), :mod:`.figures`, :mod:`.step`.
"""

from helpers.prioritise.attribution import (
    HEURISTICS,
    MODEL_LABELS,
    MarkovResult,
    ParsedPaths,
    attribution_models,
    heuristic_attribution,
    markov_attribution,
    markov_draws,
    parse_paths,
    touch_weights,
    transition_matrix,
)
from helpers.prioritise.drivers import (
    CollinearityWarning,
    Importance,
    KeyDrivers,
    PrioritiseWarning,
    driver_dataset,
    key_drivers,
    pairwise_corr,
    relative_weights,
    shapley_r2,
    touchpoint_performance,
)
from helpers.prioritise.figures import (
    attribution_figure,
    friction_figure,
    importance_performance_figure,
    place_labels,
    priority_figure,
)
from helpers.prioritise.dropoff import friction, roi
from helpers.prioritise.journeys import journey_paths, journey_paths_expr, time_decay_days_expr
from helpers.prioritise.ranking import QUADRANT_ORDER, importance_performance, rank_touchpoints, score_components
from helpers.prioritise.step import (
    PrioritiseResult,
    attribution_chart,
    compute,
    findings,
    friction_chart,
    importance_performance_matrix,
    part,
    priority_chart,
    run,
    say_attribution,
    say_drivers,
    say_friction,
    say_ipm,
    say_notes,
    say_priorities,
    say_roi,
    show,
)

__all__ = [
    "HEURISTICS", "MODEL_LABELS", "QUADRANT_ORDER", "CollinearityWarning", "Importance", "KeyDrivers",
    "MarkovResult", "ParsedPaths", "PrioritiseResult", "PrioritiseWarning", "attribution_chart",
    "attribution_figure", "attribution_models", "compute", "driver_dataset", "findings", "friction",
    "friction_chart", "friction_figure", "heuristic_attribution", "importance_performance",
    "importance_performance_figure", "importance_performance_matrix", "journey_paths", "journey_paths_expr",
    "key_drivers", "markov_attribution", "markov_draws", "pairwise_corr", "parse_paths", "part", "place_labels",
    "priority_chart", "priority_figure", "rank_touchpoints", "relative_weights", "roi", "run", "say_attribution",
    "say_drivers", "say_friction", "say_ipm", "say_notes", "say_priorities", "say_roi", "score_components",
    "shapley_r2", "show", "time_decay_days_expr", "touch_weights", "touchpoint_performance", "transition_matrix",
]
