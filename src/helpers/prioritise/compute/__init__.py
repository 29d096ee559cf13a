"""The compute layer of step 3: statistics on small aggregates (pandas, numpy, scipy; never matplotlib).

Modules:

* :mod:`helpers.prioritise.attribution`: Markov chain (exact removal effects) and heuristic
  attribution of a path table (the file stays at ``prioritise/attribution.py`` for now and
  belongs to this layer);
* :mod:`.drivers`: key-driver analysis (relative weights, Shapley R^2, bootstrap, survey pivot)
  and current touchpoint performance;
* :mod:`.dropoff`: friction (drop-off against the average) and ROI;
* :mod:`.ranking`: importance-performance matrix and the ranked priority list;
* :mod:`.combine`: how the step puts these together (rolling window, bootstrap draws of every
  ranking component, ROI per quarter).

>>> from helpers.prioritise import compute
>>> compute.relative_weights(df, "nps", ["website", "checkout"]).shares
>>> compute.markov_attribution(paths).table
"""

from helpers.prioritise.attribution import (
    HEURISTICS,
    SEP,
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
from helpers.prioritise.compute.combine import (
    HALF_LIFE_DAYS,
    HALF_LIFE_STEPS,
    MIN_RATINGS,
    MIN_SURVEYS,
    RANKING_COLUMNS,
    Attribution,
    DriverGap,
    analyse_drivers,
    attribute,
    catch_warnings,
    draws,
    has_evidence,
    has_journeys,
    importance_performance_table,
    performance,
    rank,
    reach,
    roi_by_quarter,
    rolling_window,
)
from helpers.prioritise.compute.drivers import (
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
from helpers.prioritise.compute.dropoff import friction, roi
from helpers.prioritise.compute.ranking import (
    QUADRANT_ORDER,
    QUADRANTS,
    importance_performance,
    rank_touchpoints,
    score_components,
)

__all__ = [
    "HALF_LIFE_DAYS", "HALF_LIFE_STEPS", "HEURISTICS", "MIN_RATINGS", "MIN_SURVEYS", "QUADRANTS", "QUADRANT_ORDER",
    "RANKING_COLUMNS", "SEP", "Attribution", "CollinearityWarning", "DriverGap", "Importance", "KeyDrivers",
    "MarkovResult", "ParsedPaths", "PrioritiseWarning", "analyse_drivers", "attribute", "attribution_models",
    "catch_warnings", "draws", "driver_dataset", "friction", "has_evidence", "has_journeys", "heuristic_attribution",
    "importance_performance", "importance_performance_table", "key_drivers", "markov_attribution", "markov_draws",
    "pairwise_corr", "parse_paths", "performance", "rank", "rank_touchpoints", "reach", "relative_weights", "roi",
    "roi_by_quarter", "rolling_window", "score_components", "shapley_r2", "touch_weights", "touchpoint_performance",
    "transition_matrix",
]
