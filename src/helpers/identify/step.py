"""Step 1 from top to bottom: read, aggregate the events, build the tables, say what they show.

>>> result = run("nordlys", "2026Q3")     # cached until client.yml or the processed data change
>>> findings(result)                      # a helpers.artifacts.Findings for the executive summary

:func:`compute` reads through :class:`helpers.data.ClientData` (events lazily through
Ibis, the small tables and the ingest manifest); a client without feedback, orders,
reviews or costs still gets the step, and the text says which sources are missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers import artifacts, data
from helpers.config import load_client
from helpers.identify import narrative, queries
from helpers.identify.compute import (
    SMALL_TABLES,
    STATUS_NO_DATA,
    STATUS_ONE_SOURCE,
    absent_tables,
    build_inventory,
    build_source_inventory,
    combine_activity,
    coverage_table,
    find_blind_spots,
    find_unknowns,
    period_totals,
    touch_table,
)
from helpers.periods import Period


@dataclass(frozen=True)
class IdentifyResult:
    """Everything step 1 shows, computed once per client and period."""

    client: str
    client_name: str
    period: str
    inventory: pd.DataFrame
    blind_spots: pd.DataFrame
    unknowns: pd.DataFrame
    coverage: pd.DataFrame
    sources: pd.DataFrame
    touches: pd.DataFrame
    totals: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return narrative.map_title(self.client_name, self.period)

    @property
    def absent(self) -> tuple[str, ...]:
        """The optional tables (feedback, orders, reviews, costs) this client has no data for."""
        return tuple(absent_tables(self.sources))


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None) -> IdentifyResult:
    """Compute the step 1 result for ``client`` and ``period`` (no caching; see :func:`run`)."""
    cfg = load_client(client, root)
    per = Period.parse(period)
    start, end = per.bounds()
    src = data.ClientData(client, root=root, con=con)

    ev = queries.event_aggregates(src.events, start, end)
    # feedback, orders and reviews stay in the engine: only their aggregates come back (costs are one row
    # per touchpoint and period)
    small = queries.table_aggregates({t: src.table(t) for t in SMALL_TABLES if src.has(t)},
                                     src.frame("costs") if src.has("costs") else None, per)
    activity = combine_activity([ev["activity"], *small["frames"]])

    inventory = build_inventory(cfg.catalogue_frame(), activity, small["csat"])
    unknowns = find_unknowns(activity, list(inventory["touchpoint_id"]))
    name_of = narrative.touchpoint_namer(dict(zip(inventory["touchpoint_id"], inventory["name"])))
    coverage = coverage_table(activity, list(inventory["touchpoint_id"]) + list(unknowns["touchpoint_id"]),
                                     name_of)
    sources = build_source_inventory(pd.DataFrame([ev["stats"], *small["stats"]]), src.manifest())
    return IdentifyResult(
        client=client,
        client_name=cfg.name,
        period=per.label,
        inventory=inventory,
        blind_spots=find_blind_spots(inventory, narrative.blind_spot_issue),
        unknowns=unknowns,
        coverage=coverage,
        sources=sources,
        touches=touch_table(ev["first"], ev["last"], name_of, ev["journeys"], ev["purchases"]),
        totals=period_totals(ev["stats"], ev["journeys"], ev["purchases"]),
    )


run = data.cached_step(compute)
run.__doc__ = "The step 1 result for ``client`` and ``period``, cached until client.yml or the processed data change."


def findings(result: IdentifyResult) -> artifacts.Findings:
    """Headline findings, metrics and the named tables of step 1 for :func:`helpers.artifacts.save`."""
    inv, spots, unk = result.inventory, result.blind_spots, result.unknowns
    metrics = {
        "touchpoints": int(len(inv)),
        "touchpoints_with_data": int((inv["status"] != STATUS_NO_DATA).sum()),
        "blind_spots": int((spots["status"] == STATUS_NO_DATA).sum()),
        "single_source": int((spots["status"] == STATUS_ONE_SOURCE).sum()),
        "unknown_touchpoints": int(len(unk)),
        "unknown_records": int(unk["volume"].sum()) if not unk.empty else 0,
        **result.totals,
    }
    named = {"inventory": inv, "blind_spots": spots, "unknowns": unk, "coverage": result.coverage,
             "sources": result.sources, "touches": result.touches}
    return artifacts.Findings("identify", tuple(narrative.finding_sentences(result)), metrics, named)


# ---- analyst conveniences: one table each -----------------------------------------

def inventory(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Touchpoint inventory (see :func:`helpers.identify.compute.build_inventory`)."""
    return run(client, period, root).inventory.copy()


def blind_spots(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Catalogued touchpoints with no data, or only one source, in the period."""
    return run(client, period, root).blind_spots.copy()


def unknown_touchpoints(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Touchpoint ids in the data that the catalogue lacks, with volumes per source."""
    return run(client, period, root).unknowns.copy()


def coverage_matrix(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Records in the period per touchpoint and source."""
    return run(client, period, root).coverage.copy()


def source_inventory(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Per canonical table: rows, date range, share rejected at ingest, rows in the period."""
    return run(client, period, root).sources.copy()


def first_last_touches(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """First touches of journeys and last touches before purchase, per touchpoint."""
    return run(client, period, root).touches.copy()


def read_manifest(client: str, root: str | Path | None = None) -> dict | None:
    """The ingest manifest of ``client``, or None when there is none (through :class:`helpers.data.ClientData`)."""
    return data.ClientData(client, root=root).manifest()
