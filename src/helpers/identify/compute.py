"""Tables of step 1 from small frames: activity per touchpoint and source, the
inventory, blind spots, unknowns, coverage, first/last touches and the source inventory.

Everything here is a pure function of pandas DataFrames (the event aggregates of
:mod:`.queries` and the small tables feedback, orders, reviews, costs), tested on
hand-made tables. No text a reader sees is written here: where a table carries a
sentence (the issue of a blind spot, the name of an uncatalogued id), the wording is
passed in from :mod:`.narrative`. This module never imports matplotlib.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pandas as pd

from helpers.config import STAGES
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
#: Small tables with a timestamp per row; costs carry periods instead.
SMALL_TABLES = ("feedback", "orders", "reviews")
#: Tables a client may lack: the step still runs and says which ones are missing.
OPTIONAL_TABLES = (*SMALL_TABLES, "costs")
STATUS_NO_DATA = "no data"
STATUS_ONE_SOURCE = "one source"
STATUS_OK = "ok"

ACTIVITY_COLUMNS = ["touchpoint_id", "source", "records", "customers", "first_seen", "last_seen"]
CATALOGUE_COLUMNS = ["touchpoint_id", "name", "kind", "stage", "phase", "owner", "sources"]


# ---------------------------------------------------------------------------
# Activity per touchpoint and source
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


def small_table_aggregates(tables: dict[str, pd.DataFrame], period: Period) -> dict:
    """Activity per touchpoint (``frames``), table statistics (``stats``) and current CSAT
    (``csat``, None without feedback) of the small tables a client has.

    ``tables`` maps table name (feedback, orders, reviews, costs) to its frame and holds
    only the tables the client has; a missing one is simply left out.
    """
    start, end = period.bounds()
    readers = {
        "feedback": lambda df: source_activity(df, feedback_source_labels(df), start, end),
        "orders": lambda df: source_activity(df, "orders", start, end),
        "reviews": lambda df: source_activity(df, "reviews", start, end, customer_col=None),
    }
    frames, stats = [], []
    for name in SMALL_TABLES:
        if name in tables:
            stats.append(small_table_stats(name, tables[name], start, end))
            frames.append(readers[name](tables[name]))
    if "costs" in tables:
        stats.append(cost_table_stats(tables["costs"], period))
    feedback = tables.get("feedback")
    return {"frames": frames, "stats": stats,
            "csat": current_csat(feedback, start, end) if feedback is not None else None}


# ---------------------------------------------------------------------------
# Inventory, blind spots, unknowns, coverage
# ---------------------------------------------------------------------------

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
    cat = catalogue.copy() if not catalogue.empty else pd.DataFrame(columns=CATALOGUE_COLUMNS)
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


def find_blind_spots(inventory: pd.DataFrame, describe: Callable[[str, str, pd.Timestamp], str]) -> pd.DataFrame:
    """Catalogued touchpoints with no data in the period, then those with only one source.

    ``describe(status, sources, last_seen)`` words the ``issue`` of each row
    (:func:`helpers.identify.narrative.blind_spot_issue`).
    """
    rank = {STATUS_NO_DATA: 0, STATUS_ONE_SOURCE: 1}
    spots = inventory[inventory["status"].isin(list(rank))].copy()
    spots["_rank"] = spots["status"].map(rank)
    spots["issue"] = [describe(st, src, ls)
                      for st, src, ls in zip(spots["status"], spots["sources"], spots["last_seen"])]
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


def coverage_table(activity: pd.DataFrame, touchpoint_ids: list[str], name_of: Callable[[str], str]) -> pd.DataFrame:
    """:func:`pivot_coverage` for ``touchpoint_ids`` with each touchpoint's ``name`` second."""
    coverage = pivot_coverage(activity, touchpoint_ids)
    coverage.insert(1, "name", [name_of(t) for t in coverage["touchpoint_id"]])
    return coverage


# ---------------------------------------------------------------------------
# First and last touches, sources, totals
# ---------------------------------------------------------------------------

def touch_table(first: pd.DataFrame, last: pd.DataFrame, name_of: Callable[[str], str], journeys: int,
                purchases: int) -> pd.DataFrame:
    """First touches and last touches before purchase per touchpoint, with shares.

    ``first`` has touchpoint_id, first_touches; ``last`` has touchpoint_id, last_touches;
    ``name_of(touchpoint_id)`` gives the name shown. Shares are of journeys started in the
    period and of purchases in the period. Sorted by first touches, then last touches.
    """
    out = pd.merge(first, last, on="touchpoint_id", how="outer")
    out["first_touches"] = pd.to_numeric(out["first_touches"]).fillna(0).astype("int64")
    out["last_touches"] = pd.to_numeric(out["last_touches"]).fillna(0).astype("int64")
    out["name"] = [name_of(t) for t in out["touchpoint_id"]]
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


def absent_tables(sources: pd.DataFrame) -> list[str]:
    """The optional tables (:data:`OPTIONAL_TABLES`) missing from a source inventory, in that order."""
    present = set(sources["table"])
    return [t for t in OPTIONAL_TABLES if t not in present]


def period_totals(stats: dict, journeys: int, purchases: int) -> dict:
    """Events, customers, journeys started, purchases, first and last event (ISO text) of the period
    from one row of event table statistics."""
    def iso(value):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()

    return {
        "events": int(stats["rows_in_period"]),
        "customers": int(stats["customers_in_period"]),
        "journeys_started": int(journeys),
        "purchases": int(purchases),
        "first_event": iso(stats["first_in_period"]),
        "last_event": iso(stats["last_in_period"]),
    }
