"""Step 1: identify the touchpoints of a client.

The catalogue in client.yml says which touchpoints *should* exist; the data
says which ones customers actually met in a period. This step joins the two:

>>> result = run("nordlys", "2026Q3")        # event aggregates computed once
>>> result.inventory                           # one row per catalogued touchpoint
>>> result.blind_spots, result.unknowns        # no/thin data; in the data but not catalogued
>>> journey_map(result.inventory, unknowns=result.unknowns, title=result.title)

One layer per module:

* :mod:`.queries`: the event-level Ibis expressions (DuckDB or Spark, unchanged); only
  per-touchpoint aggregates come back to pandas;
* :mod:`.compute`: the tables (inventory, blind spots, unknowns, coverage, touches,
  sources) as pure functions of small DataFrames; imports no matplotlib;
* :mod:`.figures`: the journey map (a matplotlib Figure, never pyplot);
* :mod:`.narrative`: every sentence, caption, column header and map label the step shows;
* :mod:`.step`: :class:`IdentifyResult`, :func:`compute`, :func:`run` (cached) and :func:`findings`.

The figure names (:func:`journey_map`, :func:`journey_cards`, :func:`card_heights`) are
loaded on first use, so importing the tables of this step does not load matplotlib.
"""

from helpers.identify.compute import (
    ACTIVITY_COLUMNS,
    CATALOGUE_SOURCE,
    FEEDBACK_SOURCE,
    OPTIONAL_TABLES,
    SMALL_TABLES,
    SOURCE_LABELS,
    STATUS_NO_DATA,
    STATUS_OK,
    STATUS_ONE_SOURCE,
    absent_tables,
    build_inventory,
    build_source_inventory,
    combine_activity,
    cost_table_stats,
    coverage_table,
    current_csat,
    feedback_source_labels,
    find_blind_spots,
    find_unknowns,
    period_totals,
    pivot_coverage,
    small_table_aggregates,
    small_table_stats,
    source_activity,
    touch_table,
)
from helpers.identify.narrative import (
    PRETTY,
    card_lines,
    finding_sentences,
    pretty,
    say_blind_spots,
    say_overview,
    say_sources,
    say_touches,
    say_unknowns,
    show,
)
from helpers.identify.queries import event_activity, event_aggregates, event_table_stats, touch_expressions
from helpers.identify.step import (
    IdentifyResult,
    blind_spots,
    compute,
    coverage_matrix,
    findings,
    first_last_touches,
    inventory,
    read_manifest,
    run,
    source_inventory,
    unknown_touchpoints,
)

_FIGURES = ("journey_map", "journey_cards", "card_heights", "MAP_WIDTH_INCHES", "KIND_COLOURS", "KIND_EDGES")


def __getattr__(name: str):
    if name in _FIGURES:
        from helpers.identify import figures

        return getattr(figures, name)
    raise AttributeError(f"module 'helpers.identify' has no attribute '{name}'")


def __dir__():
    return sorted([*globals(), *_FIGURES])


__all__ = [
    "ACTIVITY_COLUMNS", "CATALOGUE_SOURCE", "FEEDBACK_SOURCE", "OPTIONAL_TABLES", "PRETTY", "SMALL_TABLES",
    "SOURCE_LABELS", "STATUS_NO_DATA", "STATUS_OK", "STATUS_ONE_SOURCE", "IdentifyResult", "absent_tables",
    "blind_spots", "build_inventory", "build_source_inventory", "card_lines", "combine_activity", "compute",
    "cost_table_stats", "coverage_matrix", "coverage_table", "current_csat", "event_activity", "event_aggregates",
    "event_table_stats", "feedback_source_labels", "find_blind_spots", "find_unknowns", "finding_sentences",
    "findings", "first_last_touches", "inventory", "period_totals", "pivot_coverage", "pretty", "read_manifest",
    "run", "say_blind_spots", "say_overview", "say_sources", "say_touches", "say_unknowns", "show",
    "small_table_aggregates", "small_table_stats", "source_activity", "source_inventory", "touch_expressions",
    "touch_table", "unknown_touchpoints", *_FIGURES,
]
