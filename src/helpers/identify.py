"""Step 1: identify the touchpoints of a client.

The catalogue in client.yml says which touchpoints *should* exist; the data
says which ones customers actually met in a period. This module joins the two:

>>> result = run("nordlys", "2026Q3")        # event aggregates computed once
>>> result.inventory                           # one row per catalogued touchpoint
>>> result.blind_spots, result.unknowns        # no/thin data; in the data but not catalogued
>>> journey_map(result.inventory, unknowns=result.unknowns, title=result.title)

Event-level work is an Ibis expression (:func:`event_activity`,
:func:`touch_expressions`) run on the client's engine; only per-touchpoint
aggregates come back to pandas. Everything after that is a small pure
function of DataFrames, tested on hand-made tables.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from helpers import data, display, paths
from helpers.config import STAGE_PHASE, STAGES, load_client
from helpers.errors import DataError
from helpers.periods import Period

#: Observed data sources, in display order. Feedback rows are split by their
#: ``source`` column (survey, interview, observation; missing means survey).
SOURCE_LABELS = ("events", "surveys", "interviews", "observations", "orders", "reviews")
FEEDBACK_SOURCE = {"survey": "surveys", "interview": "interviews", "observation": "observations"}
#: Which observed sources satisfy a source named in the catalogue (client.yml ``sources``).
CATALOGUE_SOURCE = {
    "events": ("events",),
    "feedback": ("surveys", "interviews", "observations"),
    "interviews": ("interviews",),
    "orders": ("orders",),
    "reviews": ("reviews",),
}
SMALL_TABLES = ("feedback", "orders", "reviews")
MAP_WIDTH_INCHES = 10.5
KIND_COLOURS = {"physical": "#f3c37b", "digital": "#9ec5e8"}
KIND_EDGES = {"physical": "#9a5b00", "digital": "#1f4e79"}
STATUS_NO_DATA = "no data"
STATUS_ONE_SOURCE = "one source"
STATUS_OK = "ok"

ACTIVITY_COLUMNS = ["touchpoint_id", "source", "records", "customers", "first_seen", "last_seen"]


# ---------------------------------------------------------------------------
# Ibis expressions (event level; run on DuckDB or Spark unchanged)
# ---------------------------------------------------------------------------

def event_activity(events, start: dt.datetime, end: dt.datetime):
    """Per touchpoint: events and distinct customers in ``[start, end)``, first and last
    event before ``end``. ``events`` is an Ibis table; returns an Ibis expression."""
    ev = events.filter(events.ts < end)
    inside = ev.ts >= start
    return ev.group_by("touchpoint_id").agg(
        records=ev.count(where=inside),
        customers=ev.customer_id.nunique(where=inside),
        first_seen=ev.ts.min(),
        last_seen=ev.ts.max(),
    )


def touch_expressions(events, start: dt.datetime, end: dt.datetime) -> dict:
    """Ibis expressions for first touches and last touches before purchase.

    * ``first``: per touchpoint, journeys whose first event (over all history before
      ``end``) falls in the period and happens at that touchpoint.
    * ``last``: per touchpoint, purchases in the period (first converting event of a
      journey) whose latest earlier event in the journey happened there.
    * ``purchases``: the number of purchases in the period (journeys started = sum of first touches).
    Ties in time are broken by touchpoint id so every engine gives the same answer.
    """
    ev = events.filter(events.ts < end).select("journey_id", "ts", "touchpoint_id", "converted")
    first_w = ibis.window(group_by="journey_id", order_by=["ts", "touchpoint_id"])
    firsts = ev.mutate(rn=ibis.row_number().over(first_w))
    firsts = firsts.filter((firsts.rn == 0) & (firsts.ts >= start))
    first = firsts.group_by("touchpoint_id").agg(first_touches=firsts.count())

    conv = ev.filter(ev.converted).group_by("journey_id").agg(purchase_ts=ev.ts.min())
    conv = conv.filter(conv.purchase_ts >= start)
    pre = ev.join(conv, "journey_id")
    pre = pre.filter(pre.ts < pre.purchase_ts)
    last_w = ibis.window(group_by="journey_id", order_by=[ibis.desc("ts"), ibis.desc("touchpoint_id")])
    lasts = pre.mutate(rn=ibis.row_number().over(last_w))
    lasts = lasts.filter(lasts.rn == 0)
    last = lasts.group_by("touchpoint_id").agg(last_touches=lasts.count())
    return {"first": first, "last": last, "purchases": conv.count()}


def event_table_stats(events, start: dt.datetime, end: dt.datetime):
    """One row: rows, first and last timestamp of the whole events table; events, distinct
    customers and touchpoints in the period, and the first and last event in it."""
    inside = (events.ts >= start) & (events.ts < end)
    return events.agg(
        rows=events.count(),
        first=events.ts.min(),
        last=events.ts.max(),
        rows_in_period=events.count(where=inside),
        customers_in_period=events.customer_id.nunique(where=inside),
        touchpoints_in_period=events.touchpoint_id.nunique(where=inside),
        first_in_period=events.ts.min(where=inside),
        last_in_period=events.ts.max(where=inside),
    )


# ---------------------------------------------------------------------------
# Pure functions on small DataFrames
# ---------------------------------------------------------------------------

def feedback_source_labels(feedback: pd.DataFrame, source_col: str = "source") -> pd.Series:
    """Observed source label per feedback row: surveys (also when missing), interviews, observations."""
    if source_col not in feedback.columns:
        return pd.Series("surveys", index=feedback.index, dtype=object)
    raw = feedback[source_col].astype("string").str.strip().str.lower()
    return raw.map(FEEDBACK_SOURCE).fillna("surveys").astype(object)


def source_activity(df: pd.DataFrame, source: str | pd.Series, start: dt.datetime, end: dt.datetime, *,
                    touchpoint_col: str = "touchpoint_id", ts_col: str = "ts",
                    customer_col: str | None = "customer_id") -> pd.DataFrame:
    """Per touchpoint and source: records and distinct customers in ``[start, end)``,
    first and last record before ``end``. Rows without a touchpoint are ignored.

    ``source`` is one label for the whole table or a Series of labels per row.
    """
    if df.empty or touchpoint_col not in df.columns:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    labels = source if isinstance(source, pd.Series) else pd.Series(source, index=df.index)
    work = pd.DataFrame({
        "touchpoint_id": df[touchpoint_col],
        "source": labels,
        "ts": pd.to_datetime(df[ts_col]),
        "customer": df[customer_col] if customer_col and customer_col in df.columns else pd.NA,
    })
    work = work[work["touchpoint_id"].notna() & (work["ts"] < pd.Timestamp(end))]
    if work.empty:
        return pd.DataFrame(columns=ACTIVITY_COLUMNS)
    work["inside"] = work["ts"] >= pd.Timestamp(start)
    work["customer_in"] = work["customer"].where(work["inside"])
    out = work.groupby(["touchpoint_id", "source"], sort=True).agg(
        records=("inside", "sum"),
        customers=("customer_in", "nunique"),
        first_seen=("ts", "min"),
        last_seen=("ts", "max"),
    ).reset_index()
    out["records"] = out["records"].astype("int64")
    out["customers"] = out["customers"].astype("int64")
    return out[ACTIVITY_COLUMNS]


def combine_activity(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-source activity frames into one long frame (touchpoint x source)."""
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        out = pd.DataFrame(columns=ACTIVITY_COLUMNS)
    else:
        out = pd.concat([f[ACTIVITY_COLUMNS] for f in frames], ignore_index=True)
    out["touchpoint_id"] = out["touchpoint_id"].astype(object)
    out["source"] = out["source"].astype(object)
    out["records"] = pd.to_numeric(out["records"]).fillna(0).astype("int64")
    out["customers"] = pd.to_numeric(out["customers"]).fillna(0).astype("int64")
    for c in ("first_seen", "last_seen"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
    return out


def current_csat(feedback: pd.DataFrame, start: dt.datetime, end: dt.datetime, *,
                 touchpoint_col: str = "touchpoint_id", csat_col: str = "csat", ts_col: str = "ts") -> pd.DataFrame:
    """Mean CSAT (1-5) and number of ratings per touchpoint in ``[start, end)``."""
    cols = ["touchpoint_id", "csat", "csat_n"]
    if feedback.empty or csat_col not in feedback.columns or touchpoint_col not in feedback.columns:
        return pd.DataFrame(columns=cols)
    ts = pd.to_datetime(feedback[ts_col])
    rated = feedback[(ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))
                     & feedback[touchpoint_col].notna() & feedback[csat_col].notna()]
    out = rated.groupby(touchpoint_col)[csat_col].agg(["mean", "size"]).reset_index()
    out.columns = cols
    out["csat_n"] = out["csat_n"].astype("int64")
    return out


def pivot_coverage(activity: pd.DataFrame, touchpoint_ids: list[str] | None = None) -> pd.DataFrame:
    """Records in the period per touchpoint (rows) and source (columns), zeros where none.

    Rows follow ``touchpoint_ids`` when given (others are dropped), else every id in
    ``activity``. Columns are :data:`SOURCE_LABELS`, leaving out ``observations``
    when there are none.
    """
    wide = activity.pivot_table(index="touchpoint_id", columns="source", values="records", aggfunc="sum",
                                fill_value=0) if not activity.empty else pd.DataFrame()
    ids = list(touchpoint_ids) if touchpoint_ids is not None else sorted(activity["touchpoint_id"].unique())
    labels = [s for s in SOURCE_LABELS if s != "observations" or
              ("observations" in wide.columns and wide["observations"].sum() > 0)]
    wide = wide.reindex(index=ids, columns=labels, fill_value=0).fillna(0).astype("int64")
    wide.index.name = "touchpoint_id"
    wide.columns.name = None
    return wide.reset_index()


def _span(activity: pd.DataFrame) -> pd.DataFrame:
    g = activity.groupby("touchpoint_id")
    return pd.DataFrame({"first_seen": g["first_seen"].min(), "last_seen": g["last_seen"].max(),
                         "customers": g["customers"].max()})


def _observed_sources(coverage: pd.DataFrame) -> pd.DataFrame:
    labels = [c for c in coverage.columns if c in SOURCE_LABELS]
    counts = coverage.set_index("touchpoint_id")[labels]
    present = counts > 0
    return pd.DataFrame({
        "sources": [", ".join(c for c in labels if row[c]) for _, row in present.iterrows()],
        "n_sources": present.sum(axis=1).astype("int64"),
        "volume": counts.sum(axis=1).astype("int64"),
    }, index=counts.index)


def _missing_catalogued(catalogued: str, observed: str) -> str:
    have = {s.strip() for s in observed.split(",") if s.strip()}
    missing = [s.strip() for s in str(catalogued or "").split(",")
               if s.strip() and not have.intersection(CATALOGUE_SOURCE.get(s.strip(), (s.strip(),)))]
    return ", ".join(missing)


def build_inventory(catalogue: pd.DataFrame, activity: pd.DataFrame, csat: pd.DataFrame | None = None) -> pd.DataFrame:
    """The touchpoint inventory: the catalogue joined with what the data shows.

    One row per catalogued touchpoint, in stage order (catalogue order within a stage):
    kind, stage, phase (before/during/after purchase), owner, the sources the catalogue
    names and the sources that carry data in the period, volume (records in the period
    over all sources), customers (the largest distinct-customer count of any one source),
    first and last seen (any source, up to the end of the period), current CSAT and a
    status: ``no data``, ``one source`` or ``ok``.
    """
    cat = catalogue.copy()
    cat["_order"] = range(len(cat))
    cat["_stage"] = cat["stage"].map({s: i for i, s in enumerate(STAGES)})
    cat = cat.sort_values(["_stage", "_order"]).reset_index(drop=True)
    ids = list(cat["touchpoint_id"])
    coverage = pivot_coverage(activity, ids)
    observed = _observed_sources(coverage)
    span = _span(activity) if not activity.empty else pd.DataFrame(columns=["first_seen", "last_seen", "customers"])
    inv = cat.rename(columns={"sources": "catalogued_sources"}).set_index("touchpoint_id")
    inv = inv.join(observed).join(span[["customers", "first_seen", "last_seen"]])
    inv["customers"] = pd.to_numeric(inv["customers"]).fillna(0).astype("int64")
    for c in ("first_seen", "last_seen"):
        inv[c] = pd.to_datetime(inv[c]).astype("datetime64[us]")
    csat = csat if csat is not None else pd.DataFrame(columns=["touchpoint_id", "csat", "csat_n"])
    inv = inv.join(csat.set_index("touchpoint_id")[["csat", "csat_n"]])
    inv["csat"] = pd.to_numeric(inv["csat"]).astype("float64")
    inv["csat_n"] = pd.to_numeric(inv["csat_n"]).fillna(0).astype("int64")
    inv["missing_sources"] = [_missing_catalogued(c, o) for c, o in zip(inv["catalogued_sources"], inv["sources"])]
    inv["status"] = [STATUS_NO_DATA if n == 0 else STATUS_ONE_SOURCE if n == 1 else STATUS_OK
                     for n in inv["n_sources"]]
    cols = ["name", "kind", "stage", "phase", "owner", "catalogued_sources", "sources", "n_sources", "missing_sources",
            "volume", "customers", "csat", "csat_n", "first_seen", "last_seen", "status"]
    return inv.reset_index()[["touchpoint_id", *cols]]


def find_blind_spots(inventory: pd.DataFrame) -> pd.DataFrame:
    """Catalogued touchpoints with no data in the period, then those with only one source."""
    rank = {STATUS_NO_DATA: 0, STATUS_ONE_SOURCE: 1}
    spots = inventory[inventory["status"].isin(list(rank))].copy()
    spots["_rank"] = spots["status"].map(rank)
    spots["issue"] = [
        "no data in the period" + (f" (last seen {ls:%Y-%m-%d})" if pd.notna(ls) else " (never seen)")
        if st == STATUS_NO_DATA else f"only one source ({src})"
        for st, src, ls in zip(spots["status"], spots["sources"], spots["last_seen"])
    ]
    spots = spots.sort_values(["_rank", "volume"], kind="stable")
    return spots[["touchpoint_id", "name", "kind", "stage", "owner", "status", "issue", "catalogued_sources",
                  "missing_sources", "volume"]].reset_index(drop=True)


def find_unknowns(activity: pd.DataFrame, catalogue_ids: list[str]) -> pd.DataFrame:
    """Touchpoint ids with data in the period that the catalogue lacks, largest first."""
    cols = ["touchpoint_id", "volume", *SOURCE_LABELS, "sources", "customers", "first_seen", "last_seen"]
    unknown = activity[~activity["touchpoint_id"].isin(list(catalogue_ids))]
    unknown = unknown[unknown.groupby("touchpoint_id")["records"].transform("sum") > 0]
    if unknown.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("volume", "customers", *SOURCE_LABELS) else object)
                             for c in cols})
    ids = sorted(unknown["touchpoint_id"].unique())
    cov = pivot_coverage(unknown, ids)
    out = cov.set_index("touchpoint_id").join(_observed_sources(cov)[["sources", "volume"]]).join(_span(unknown))
    for lab in SOURCE_LABELS:
        if lab not in out.columns:
            out[lab] = 0
    out = out.reset_index().sort_values(["volume", "touchpoint_id"], ascending=[False, True], kind="stable")
    out["customers"] = out["customers"].astype("int64")
    return out[cols].reset_index(drop=True)


def touch_table(first: pd.DataFrame, last: pd.DataFrame, names: dict[str, str], journeys: int,
                purchases: int) -> pd.DataFrame:
    """First touches and last touches before purchase per touchpoint, with shares.

    ``first`` has touchpoint_id, first_touches; ``last`` has touchpoint_id, last_touches.
    Shares are of journeys started in the period and of purchases in the period.
    Sorted by first touches, then last touches.
    """
    out = pd.merge(first, last, on="touchpoint_id", how="outer")
    out["first_touches"] = pd.to_numeric(out["first_touches"]).fillna(0).astype("int64")
    out["last_touches"] = pd.to_numeric(out["last_touches"]).fillna(0).astype("int64")
    out["name"] = [names.get(t, f"{t} (not catalogued)") for t in out["touchpoint_id"]]
    out["first_share"] = out["first_touches"] / journeys if journeys else float("nan")
    out["last_share"] = out["last_touches"] / purchases if purchases else float("nan")
    out = out.sort_values(["first_touches", "last_touches", "touchpoint_id"], ascending=[False, False, True])
    return out[["touchpoint_id", "name", "first_touches", "first_share", "last_touches",
                "last_share"]].reset_index(drop=True)


def build_source_inventory(stats: pd.DataFrame, manifest: dict | None) -> pd.DataFrame:
    """One row per canonical table: files, rows, rows rejected at ingest and their share,
    first and last timestamp, rows and touchpoints in the period.

    ``stats`` has table, rows, first, last, rows_in_period, touchpoints_in_period (from the
    processed data). ``manifest`` is the ingest manifest (or None when there is none:
    rejected counts are then unknown).
    """
    out = stats.copy()
    tables = (manifest or {}).get("tables", {})
    files = (manifest or {}).get("files", [])
    out["files"] = [", ".join(f.get("file", "") for f in files if f.get("table") == t) for t in out["table"]]
    if manifest is None:
        out["rejected"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    else:
        out["rejected"] = pd.array([int(tables.get(t, {}).get("rejected", sum(
            int(f.get("rejected", 0)) for f in files if f.get("table") == t))) for t in out["table"]], dtype="Int64")
    total = out["rows"].astype("float64") + out["rejected"].astype("Float64")
    out["share_rejected"] = (out["rejected"].astype("Float64") / total.where(total > 0)).astype("float64")
    cols = ["table", "files", "rows", "rejected", "share_rejected", "first", "last", "rows_in_period",
            "touchpoints_in_period"]
    return out[cols].reset_index(drop=True)


def small_table_stats(table: str, df: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                      ts_col: str = "ts", touchpoint_col: str = "touchpoint_id") -> dict:
    """Rows, first/last timestamp, rows and touchpoints in the period of one small table."""
    ts = pd.to_datetime(df[ts_col]) if ts_col in df.columns else pd.Series(dtype="datetime64[us]")
    inside = (ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))
    tps = df.loc[inside, touchpoint_col].dropna().nunique() if touchpoint_col in df.columns else 0
    return {"table": table, "rows": len(df), "first": ts.min() if len(ts) else pd.NaT,
            "last": ts.max() if len(ts) else pd.NaT, "rows_in_period": int(inside.sum()),
            "touchpoints_in_period": int(tps)}


def cost_table_stats(costs: pd.DataFrame, period: Period, period_col: str = "period",
                     touchpoint_col: str = "touchpoint_id") -> dict:
    """Rows of the costs table, and rows and touchpoints costed for ``period`` (for a month,
    the costs of its quarter count). Costs carry periods, not timestamps."""
    labels = {period.label}
    if period.kind == "month":
        labels.add(Period.containing(period.start).label)
    inside = costs[period_col].astype(str).isin(labels) if period_col in costs.columns else pd.Series(False)
    return {"table": "costs", "rows": len(costs), "first": pd.NaT, "last": pd.NaT,
            "rows_in_period": int(inside.sum()),
            "touchpoints_in_period": int(costs.loc[inside, touchpoint_col].nunique()) if inside.any() else 0}


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------

def read_manifest(client: str, root: str | Path | None = None) -> dict | None:
    """The ingest manifest of ``client`` (processed/_manifest.json), or None when there is none."""
    path = paths.processed_dir(client, root) / "_manifest.json"
    if not path.is_file():
        return None
    try:
        from helpers.ingest import load_manifest
    except ImportError:  # an installation without the ingest module reads the file itself
        def load_manifest(client, root):
            return json.loads(path.read_text(encoding="utf-8"))
    try:
        return load_manifest(client, root)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"the ingest manifest cannot be read ({exc})", file=path,
                        hint=f"run `tpkit ingest {client}` again to rewrite it") from None


# ---------------------------------------------------------------------------
# The result of step 1 and how it is computed
# ---------------------------------------------------------------------------

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
        return f"Customer journey map: {self.client_name}, {self.period}"


def _small(client: str, name: str, root) -> pd.DataFrame | None:
    return data.read_small(client, name, root=root) if data.has_table(client, name, root) else None


def event_aggregates(events, start: dt.datetime, end: dt.datetime) -> dict:
    """Run the event-level expressions once; every value returned is small."""
    activity = event_activity(events, start, end).execute()
    activity["source"] = "events"
    touches = touch_expressions(events, start, end)
    first = touches["first"].execute()
    stats = event_table_stats(events, start, end).execute().iloc[0].to_dict()
    return {
        "activity": activity,
        "first": first,
        "last": touches["last"].execute(),
        "journeys": int(first["first_touches"].sum()),
        "purchases": int(touches["purchases"].execute()),
        "stats": {"table": "events", **stats},
    }


def small_table_aggregates(client: str, period: Period, root: str | Path | None = None) -> dict:
    """Activity per touchpoint and table statistics of the small tables that exist for ``client``."""
    start, end = period.bounds()
    frames, stats, feedback = [], [], None
    readers = {
        "feedback": lambda df: source_activity(df, feedback_source_labels(df), start, end),
        "orders": lambda df: source_activity(df, "orders", start, end),
        "reviews": lambda df: source_activity(df, "reviews", start, end, customer_col=None),
    }
    for name in SMALL_TABLES:
        df = _small(client, name, root)
        if df is not None:
            stats.append(small_table_stats(name, df, start, end))
            frames.append(readers[name](df))
            feedback = df if name == "feedback" else feedback
    costs = _small(client, "costs", root)
    if costs is not None:
        stats.append(cost_table_stats(costs, period))
    return {"frames": frames, "stats": stats,
            "csat": current_csat(feedback, start, end) if feedback is not None else None}


def compute(client: str, period: str | Period, root: str | Path | None = None, con=None) -> IdentifyResult:
    """Compute the step 1 result for ``client`` and ``period`` (no caching; see :func:`run`)."""
    cfg = load_client(client, root)
    per = Period.parse(period)
    start, end = per.bounds()
    con = con if con is not None else data.connect(client, root=root)
    ev = event_aggregates(data.table(con, "events", client, root=root), start, end)
    small = small_table_aggregates(client, per, root)
    activity = combine_activity([ev["activity"], *small["frames"]])

    catalogue = cfg.catalogue_frame()
    if catalogue.empty:
        catalogue = pd.DataFrame(columns=["touchpoint_id", "name", "kind", "stage", "phase", "owner", "sources"])
    inventory = build_inventory(catalogue, activity, small["csat"])
    unknowns = find_unknowns(activity, list(catalogue["touchpoint_id"]))
    coverage = pivot_coverage(activity, list(inventory["touchpoint_id"]) + list(unknowns["touchpoint_id"]))
    names = dict(zip(inventory["touchpoint_id"], inventory["name"]))
    coverage.insert(1, "name", [names.get(t, f"{t} (not catalogued)") for t in coverage["touchpoint_id"]])
    sources = build_source_inventory(pd.DataFrame([ev["stats"], *small["stats"]]), read_manifest(client, root))
    row = ev["stats"]
    totals = {
        "events": int(row["rows_in_period"]),
        "customers": int(row["customers_in_period"]),
        "journeys_started": ev["journeys"],
        "purchases": ev["purchases"],
        "first_event": None if pd.isna(row["first_in_period"]) else pd.Timestamp(row["first_in_period"]).isoformat(),
        "last_event": None if pd.isna(row["last_in_period"]) else pd.Timestamp(row["last_in_period"]).isoformat(),
    }
    return IdentifyResult(
        client=client,
        client_name=cfg.name,
        period=per.label,
        inventory=inventory,
        blind_spots=find_blind_spots(inventory),
        unknowns=unknowns,
        coverage=coverage,
        sources=sources,
        touches=touch_table(ev["first"], ev["last"], names, ev["journeys"], ev["purchases"]),
        totals=totals,
    )


run = data.cached_step(compute)
run.__doc__ = "The step 1 result for ``client`` and ``period``, cached until client.yml or the processed data change."


# ---- analyst conveniences: one table each -----------------------------------------

def inventory(client: str, period: str | Period, root: str | Path | None = None) -> pd.DataFrame:
    """Touchpoint inventory (see :func:`build_inventory`)."""
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


# ---------------------------------------------------------------------------
# Journey map
# ---------------------------------------------------------------------------

def card_heights(reach: pd.Series, low: float = 1.0, high: float = 1.8) -> pd.Series:
    """Card size per touchpoint from ``low`` (no reach) to ``high`` (the largest reach), on a
    square-root scale so that card area, not side length, follows reach. Used for heights
    and (with other bounds) widths."""
    reach = pd.to_numeric(reach).fillna(0).clip(lower=0).astype("float64")
    top = reach.max()
    if not top or top <= 0:
        return pd.Series(low, index=reach.index)
    return low + (high - low) * (reach / top) ** 0.5


def _fmt_int(n) -> str:
    return f"{int(n):,}"


def _count(n: int, noun: str) -> str:
    return f"{_fmt_int(n)} {noun}" + ("" if int(n) == 1 else "s")


def card_lines(row) -> list[str]:
    """Text of one journey-map card: name, reach and the current CSAT."""
    name = textwrap.fill(str(row["name"]), 18, max_lines=3, placeholder=" ...")
    if row.get("status") == STATUS_NO_DATA:
        return [name, "no data in period"]
    reach = int(row.get("customers") or 0)
    volume = int(row.get("volume") or 0)
    who = _count(reach, "customer") if reach else _count(volume, "record")
    csat = row.get("csat")
    rating = f"CSAT {csat:.2f} (n={_fmt_int(row.get('csat_n') or 0)})" if pd.notna(csat) else "CSAT: no ratings"
    return [name, who, rating]


def journey_map(inventory: pd.DataFrame, *, unknowns: pd.DataFrame | None = None,
                title: str = "Customer journey map") -> Figure:
    """The journey as a picture: stages as columns (labelled before/during/after purchase),
    one card per catalogued touchpoint, coloured by kind, sized by reach, with its current
    CSAT; touchpoints without data have a dashed outline. Ids in the data but not in the
    catalogue are listed under the map."""
    columns = list(STAGES)
    per_stage = {s: inventory[inventory["stage"] == s] for s in columns}
    reach = inventory["customers"].where(inventory["customers"] > 0, inventory["volume"])
    gap, col_w, col_gap, head = 0.35, 3.0, 0.35, 1.3
    text_lines = pd.Series([sum(part.count("\n") + 1 for part in card_lines(r)) for _, r in inventory.iterrows()],
                           index=inventory.index, dtype="float64")
    # area follows reach, but a card is never lower than its text
    heights = card_heights(reach, low=1.25, high=2.1).combine(0.24 * text_lines + 0.45, max)
    widths = card_heights(reach, low=0.78 * (col_w - 0.24), high=col_w - 0.24)
    stack = [heights[per_stage[s].index].sum() + gap * max(len(per_stage[s]) - 1, 0) for s in columns]
    body_h = max(max(stack, default=0), 1.2)
    n_unknown = 0 if unknowns is None else len(unknowns)
    foot = 0.9 if n_unknown else 0.3
    total_h = head + body_h + 0.4 + foot
    total_w = len(columns) * col_w + (len(columns) - 1) * col_gap
    inch = MAP_WIDTH_INCHES / total_w  # inches per layout unit: fonts stay legible when printed
    fig = Figure(figsize=(MAP_WIDTH_INCHES, min(max(total_h * inch, 4.0), 18.0)), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(-0.1, total_w + 0.1)
    ax.set_ylim(-(body_h + 0.4 + foot), head + 0.1)
    ax.set_axis_off()
    ax.set_title(title, fontsize=14, loc="left", fontweight="bold", parse_math=False)
    phases_done = set()
    for i, stage in enumerate(columns):
        x0 = i * (col_w + col_gap)
        phase = STAGE_PHASE[stage]
        ax.add_patch(FancyBboxPatch((x0, -(body_h + 0.25)), col_w, body_h + 0.25 + 0.6,
                                    boxstyle="round,pad=0,rounding_size=0.12", facecolor="#f4f4f4",
                                    edgecolor="none", zorder=0))
        ax.text(x0 + col_w / 2, 0.33, stage.capitalize(), ha="center", va="center", fontsize=12,
                fontweight="bold", color="#222222")
        if phase not in phases_done:
            same = [j for j, s in enumerate(columns) if STAGE_PHASE[s] == phase]
            left = same[0] * (col_w + col_gap)
            right = same[-1] * (col_w + col_gap) + col_w
            ax.plot([left + 0.05, right - 0.05], [0.95, 0.95], color="#555555", lw=1.5)
            ax.text((left + right) / 2, 1.05, phase.upper(), ha="center", va="bottom", fontsize=10,
                    color="#444444", fontweight="bold")
            phases_done.add(phase)
        y = -0.1
        for idx, row in per_stage[stage].iterrows():
            h, w = float(heights[idx]), float(widths[idx])
            no_data = row["status"] == STATUS_NO_DATA
            card = FancyBboxPatch(
                (x0 + (col_w - w) / 2, y - h), w, h, boxstyle="round,pad=0,rounding_size=0.1",
                facecolor="white" if no_data else KIND_COLOURS.get(row["kind"], "#dddddd"),
                edgecolor=KIND_EDGES.get(row["kind"], "#555555"), linewidth=1.6 if not no_data else 1.4,
                linestyle="--" if no_data else "-", zorder=2, gid=f"card:{row['touchpoint_id']}",
            )
            ax.add_patch(card)
            lines = card_lines(row)
            # name above, details below, the block centred in the card (line heights in layout units)
            name_h = (lines[0].count("\n") + 1) * 10.5 * 1.2 / 72 / inch
            detail_h = (len(lines) - 1) * 9 * 1.25 / 72 / inch
            mid = y - h / 2 + (name_h + detail_h + 0.12) / 2
            ax.text(x0 + col_w / 2, mid, lines[0], ha="center", va="top", fontsize=10.5, linespacing=1.2,
                    fontweight="bold", color="#111111", zorder=3, parse_math=False)
            ax.text(x0 + col_w / 2, mid - name_h - 0.12, "\n".join(lines[1:]), ha="center", va="top",
                    fontsize=9, color="#333333" if not no_data else "#8a1c1c", zorder=3,
                    linespacing=1.25, parse_math=False)
            y -= h + gap
    handles = [Patch(facecolor=KIND_COLOURS["physical"], edgecolor=KIND_EDGES["physical"], label="physical"),
               Patch(facecolor=KIND_COLOURS["digital"], edgecolor=KIND_EDGES["digital"], label="digital"),
               Patch(facecolor="white", edgecolor="#555555", linestyle="--", label="no data in period")]
    ax.legend(handles=handles, loc="lower right", ncol=3, frameon=False, fontsize=9,
              bbox_to_anchor=(1.0, -0.02 if not n_unknown else 0.0), title="Card size = customers reached",
              title_fontsize=9)
    if n_unknown:
        listed = ", ".join(f"{t} ({_count(v, 'record')})" for t, v in zip(unknowns["touchpoint_id"].head(6),
                                                                 unknowns["volume"].head(6)))
        more = f" and {n_unknown - 6} more" if n_unknown > 6 else ""
        ax.text(0, -(body_h + 0.55), textwrap.fill(f"In the data but not in the catalogue: {listed}{more}", 90),
                ha="left", va="top", fontsize=9.5, color="#8a1c1c", fontweight="bold", parse_math=False)
    return fig


display.enable_figures()


def journey_cards(fig: Figure) -> list[str]:
    """Touchpoint ids of the cards drawn on a journey map (in drawing order)."""
    return [p.get_gid().split(":", 1)[1] for ax in fig.axes for p in ax.patches
            if (p.get_gid() or "").startswith("card:")]


# ---------------------------------------------------------------------------
# Narrative, display and findings
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": "Touchpoint id", "name": "Touchpoint", "kind": "Kind", "stage": "Stage", "phase": "Phase",
    "owner": "Owner", "catalogued_sources": "Sources (catalogue)", "sources": "Sources with data",
    "n_sources": "Sources", "missing_sources": "Catalogued, no data", "volume": "Records", "customers": "Customers",
    "csat": "CSAT", "csat_n": "Ratings", "first_seen": "First seen", "last_seen": "Last seen", "status": "Status",
    "issue": "Issue", "events": "Events", "surveys": "Surveys", "interviews": "Interviews",
    "observations": "Observations", "orders": "Orders", "reviews": "Reviews", "first_touches": "First touches",
    "first_share": "Share of journeys", "last_touches": "Last touch before purchase",
    "last_share": "Share of purchases", "table": "Table", "files": "Files", "rows": "Rows", "rejected": "Rejected",
    "share_rejected": "Share rejected", "first": "From", "last": "To", "rows_in_period": "Rows in period",
    "touchpoints_in_period": "Touchpoints in period",
}
PERCENT = ("first_share", "last_share", "share_rejected")


def pretty(df: pd.DataFrame, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Column names for readers, dates as YYYY-MM-DD and counts with thousands separators."""
    out = df.drop(columns=[c for c in drop if c in df.columns]).copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").astype(object).where(out[c].notna(), "")
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = [("" if pd.isna(v) else f"{int(v):,}") for v in out[c]]
    return out.rename(columns=PRETTY)


def show(result: IdentifyResult, part: str, caption: str | None = None,
         empty: str = "Nothing to list for this period.") -> display.HTML:
    """One table of the result, ready for a report (escaped, readable column names);
    the ``empty`` note instead of a table without rows."""
    frames = {
        "inventory": (result.inventory, ("catalogued_sources", "n_sources", "phase")),
        "blind_spots": (result.blind_spots, ("catalogued_sources",)),
        "unknowns": (result.unknowns, ()),
        "coverage": (result.coverage, ()),
        "sources": (result.sources, ()),
        "touches": (result.touches, ()),
    }
    if part not in frames:
        raise DataError(f"unknown part '{part}'", hint=f"use one of {', '.join(frames)}")
    df, drop = frames[part]
    if df.empty:
        return display.say("{note}", note=empty)
    if part == "unknowns":
        drop = tuple(s for s in SOURCE_LABELS if s in df.columns and not df[s].any())
    return display.show_table(pretty(df, drop), caption=caption,
                              percent=[PRETTY[c] for c in PERCENT if c in df.columns])


def _names(df: pd.DataFrame, limit: int = 5) -> str:
    items = list(df["name"].astype(str))
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


def say_overview(result: IdentifyResult) -> display.HTML:
    inv = result.inventory
    with_data = int((inv["status"] != STATUS_NO_DATA).sum())
    t = result.totals
    if t["events"] == 0:
        return display.say(
            "{client} catalogues {n}, but the event data holds no events in {period}: check the period "
            "or run the ingest again.", client=result.client_name, n=_count(len(inv), "touchpoint"),
            period=result.period)
    return display.say(
        "{client} catalogues {n}; {with_data} of them {verb} data in {period}. The event data holds "
        "{events} from {customers} in the period.",
        client=result.client_name, n=_count(len(inv), "touchpoint"), with_data=with_data, period=result.period,
        verb=_plural(with_data, "shows", "show"), events=_count(t["events"], "event"), customers=_count(t["customers"], "customer"))


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def say_blind_spots(result: IdentifyResult) -> display.HTML:
    spots = result.blind_spots
    none = spots[spots["status"] == STATUS_NO_DATA]
    one = spots[spots["status"] == STATUS_ONE_SOURCE]
    if spots.empty:
        return display.say("Every catalogued touchpoint has data from at least two sources in {period}.",
                           period=result.period)
    single = ("" if one.empty else
              f"{len(one)} {_plural(len(one), 'touchpoint relies', 'touchpoints rely')} on a single data source, "
              "so the picture there is one-sided.")
    if none.empty:
        return display.say("No catalogued touchpoint is dark in {period}. {single}", period=result.period,
                           single=single)
    return display.say(
        "Blind spots in {period}: {names} {verb} no data at all, so nothing can be said about how customers "
        "experience {them}; add a source (a short survey, visitor counts or interviews). {single}",
        period=result.period, names=_names(none), verb=_plural(len(none), "has", "have"),
        them=_plural(len(none), "it", "them"), single=single)


def say_unknowns(result: IdentifyResult) -> display.HTML:
    unk = result.unknowns
    if unk.empty:
        return display.say("Every touchpoint id in the data of {period} is in the catalogue.", period=result.period)
    top = unk.iloc[0]
    return display.say(
        "The data of {period} holds {k} {ids} that the catalogue lacks, the largest being {tp} with {v}. "
        "Add {them} to client.yml (with kind, stage and owner) so later steps can use {them}.",
        k=len(unk), ids=_plural(len(unk), "touchpoint id", "touchpoint ids"), tp=top["touchpoint_id"],
        v=_count(top["volume"], "record"), period=result.period, them=_plural(len(unk), "it", "them"))


def say_sources(result: IdentifyResult) -> display.HTML:
    src = result.sources
    known = src.dropna(subset=["share_rejected"])
    if known.empty:
        return display.say("{k} data tables are available; no ingest record says how many rows were rejected.",
                           k=len(src))
    worst = known.sort_values("share_rejected", ascending=False).iloc[0]
    return display.say(
        "{k} data tables feed this analysis. At ingest, {rej} rejected in total; the highest share "
        "is {share:.1%} in {table}.", k=len(src), rej=_plural(int(known["rejected"].sum()), "1 row was",
                                                               f"{int(known['rejected'].sum()):,} rows were"), share=worst["share_rejected"],
        table=worst["table"])


def say_touches(result: IdentifyResult) -> display.HTML:
    t = result.touches
    if t.empty or result.totals["journeys_started"] == 0:
        return display.say("No journeys started in {period}.", period=result.period)
    first = t.iloc[0]
    last_rows = t[t["last_touches"] > 0].sort_values("last_touches", ascending=False)
    if last_rows.empty:
        return display.say("The most common first touch in {period} is {tp}: {share:.0%} of {n:,} journeys start "
                           "there. No purchase followed an earlier touch.", period=result.period, tp=first["name"],
                           share=first["first_share"], n=result.totals["journeys_started"])
    last = last_rows.iloc[0]
    return display.say(
        "Customers most often find {client} through {tp}: {share:.0%} of the {n:,} journeys that started in "
        "{period} began there. The touch just before a purchase is most often {lt}: {lshare:.0%} of {p:,} "
        "purchases.",
        client=result.client_name, tp=first["name"], share=first["first_share"], n=result.totals["journeys_started"],
        period=result.period, lt=last["name"], lshare=last["last_share"], p=result.totals["purchases"])


def findings(result: IdentifyResult) -> dict:
    """Findings, metrics and tables for :func:`helpers.artifacts.save` (``save(dir, "identify", **findings(r))``)."""
    inv, spots, unk, t = result.inventory, result.blind_spots, result.unknowns, result.touches
    dark = spots[spots["status"] == STATUS_NO_DATA]
    one = spots[spots["status"] == STATUS_ONE_SOURCE]
    out = [f"{_count(len(inv), 'catalogued touchpoint')}; {int((inv['status'] != STATUS_NO_DATA).sum())} with data "
           f"in {result.period}."]
    if not dark.empty:
        out.append(f"Blind spot: no data in {result.period} for {_names(dark)}.")
    if not one.empty:
        out.append(f"{len(one)} touchpoint(s) rely on a single data source: {_names(one)}.")
    if not unk.empty:
        listed = ", ".join(f"{a} ({_count(b, 'record')})" for a, b in zip(unk["touchpoint_id"].head(5),
                                                                       unk["volume"].head(5)))
        out.append(f"Not in the catalogue: {listed}; add to client.yml.")
    if not t.empty and result.totals["journeys_started"]:
        out.append(f"Most common first touch: {t.iloc[0]['name']} ({t.iloc[0]['first_share']:.0%} of journeys "
                   f"started in {result.period}).")
    metrics = {
        "touchpoints": int(len(inv)),
        "touchpoints_with_data": int((inv["status"] != STATUS_NO_DATA).sum()),
        "blind_spots": int(len(dark)),
        "single_source": int(len(one)),
        "unknown_touchpoints": int(len(unk)),
        "unknown_records": int(unk["volume"].sum()) if not unk.empty else 0,
        **{k: v for k, v in result.totals.items()},
    }
    tables = {"inventory": inv, "blind_spots": spots, "unknowns": unk, "coverage": result.coverage,
              "sources": result.sources, "touches": t}
    return {"findings": out, "metrics": metrics, "tables": tables}
