"""Every word step 1 shows: sentences, table captions and headers, card and map labels, findings.

Numbers are formatted through :mod:`helpers.kpis`; text that comes from the data
(client and touchpoint names) is escaped by :func:`helpers.display.say` and
:func:`helpers.display.show_table`. Nothing here computes a table: the functions
take an :class:`~helpers.identify.step.IdentifyResult` (or a row of it) and say
what it shows.

>>> say_overview(result)                 # one paragraph
>>> show(result, "inventory")            # a table with readable headers and its caption
>>> finding_sentences(result)            # headline sentences for the executive summary
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pandas as pd

from helpers import display, kpis
from helpers.errors import DataError
from helpers.identify.compute import SOURCE_LABELS, STATUS_NO_DATA, STATUS_ONE_SOURCE

if TYPE_CHECKING:  # annotations only: the step imports this module
    from helpers.identify.step import IdentifyResult


# ---------------------------------------------------------------------------
# Wording helpers
# ---------------------------------------------------------------------------

def plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def count(n, noun: str) -> str:
    """``n`` with its noun: "1 event", "2,830 records"."""
    return f"{kpis.fmt_count(n)} {noun}" + ("" if int(n) == 1 else "s")


def names(df: pd.DataFrame, limit: int = 5) -> str:
    """The ``name`` column as a list for a sentence: "A, B and 3 more"."""
    items = list(df["name"].astype(str))
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


# ---------------------------------------------------------------------------
# Text inside tables and on the journey map
# ---------------------------------------------------------------------------

def not_catalogued(touchpoint_id: str) -> str:
    """The name shown for a touchpoint id the catalogue lacks."""
    return f"{touchpoint_id} (not catalogued)"


def touchpoint_namer(names_by_id: dict[str, str]):
    """``name_of(touchpoint_id)``: the catalogue name, or the id marked as not catalogued."""
    return lambda t: names_by_id.get(t, not_catalogued(t))


def blind_spot_issue(status: str, sources: str, last_seen) -> str:
    """What is wrong at a blind spot, for the ``issue`` column."""
    if status == STATUS_NO_DATA:
        return "no data in the period" + (f" (last seen {last_seen:%Y-%m-%d})" if pd.notna(last_seen)
                                           else " (never seen)")
    return f"only one source ({sources})"


def map_title(client_name: str, period: str) -> str:
    return f"Customer journey map: {client_name}, {period}"


MAP_TITLE = "Customer journey map"
MAP_LEGEND = {"physical": "physical", "digital": "digital", "no_data": "no data in period"}
MAP_LEGEND_TITLE = "Card size = customers reached"


def stage_label(stage: str) -> str:
    return stage.capitalize()


def phase_label(phase: str) -> str:
    return phase.upper()


def card_lines(row) -> list[str]:
    """Text of one journey-map card: name, reach and the current CSAT."""
    name = textwrap.fill(str(row["name"]), 18, max_lines=3, placeholder=" ...")
    if row.get("status") == STATUS_NO_DATA:
        return [name, MAP_LEGEND["no_data"]]
    reach = int(row.get("customers") or 0)
    volume = int(row.get("volume") or 0)
    who = count(reach, "customer") if reach else count(volume, "record")
    csat = row.get("csat")
    rating = (f"CSAT {kpis.fmt_level('csat', csat)} (n={kpis.fmt_count(row.get('csat_n') or 0)})"
              if pd.notna(csat) else "CSAT: no ratings")
    return [name, who, rating]


def map_footer(unknowns: pd.DataFrame, shown: int = 6) -> str:
    """The line under the journey map listing ids in the data but not in the catalogue."""
    listed = ", ".join(f"{t} ({count(v, 'record')})" for t, v in zip(unknowns["touchpoint_id"].head(shown),
                                                                     unknowns["volume"].head(shown)))
    more = f" and {len(unknowns) - shown} more" if len(unknowns) > shown else ""
    return textwrap.fill(f"In the data but not in the catalogue: {listed}{more}", 90)


# ---------------------------------------------------------------------------
# Tables
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
#: columns of each table left out of the report (kept in the artifacts)
HIDDEN = {"inventory": ("catalogued_sources", "n_sources", "phase"), "blind_spots": ("catalogued_sources",)}
CAPTIONS = {
    "inventory": "Touchpoint inventory",
    "blind_spots": "Blind spots",
    "unknowns": "Touchpoint ids not in the catalogue",
    "coverage": "Records per touchpoint and source",
    "touches": "First touches and last touches before purchase",
    "sources": "Data-source inventory",
}
EMPTY = {
    "blind_spots": "No blind spots in this period.",
    "unknowns": "Every touchpoint id in the data is catalogued.",
}
EMPTY_DEFAULT = "Nothing to list for this period."
#: the optional tables as nouns in "no ... data"
TABLE_NOUNS = {"feedback": "feedback", "orders": "order", "reviews": "review", "costs": "cost"}


def _cell(column: str, value) -> str:
    if pd.isna(value):
        return ""
    if column in PERCENT:
        return kpis.fmt_percent(value, 1)
    if column == "csat":
        return kpis.fmt_level("csat", value)
    return kpis.fmt_number(value, 2)


def pretty(df: pd.DataFrame, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Column names for readers, dates as YYYY-MM-DD, counts, shares and CSAT through :mod:`helpers.kpis`."""
    out = df.drop(columns=[c for c in drop if c in df.columns]).copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").astype(object).where(out[c].notna(), "")
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = ["" if pd.isna(v) else kpis.fmt_count(v) for v in out[c]]
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = [_cell(c, v) for v in out[c]]
    return out.rename(columns=PRETTY)


def show(result: IdentifyResult, part: str, caption: str | None = None, empty: str | None = None) -> display.HTML:
    """One table of the result, ready for a report (escaped, readable column names, its
    caption); a note instead of a table without rows. ``caption`` and ``empty`` replace
    the step's own wording."""
    if part not in CAPTIONS:
        raise DataError(f"unknown part '{part}'", hint=f"use one of {', '.join(CAPTIONS)}")
    df = getattr(result, part)
    if df.empty:
        return display.say("{note}", note=empty if empty is not None else EMPTY.get(part, EMPTY_DEFAULT))
    drop = HIDDEN.get(part, ())
    if part == "unknowns":
        drop = tuple(s for s in SOURCE_LABELS if s in df.columns and not df[s].any())
    return display.show_table(pretty(df, drop), caption=caption if caption is not None else CAPTIONS[part])


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

def say_overview(result: IdentifyResult) -> display.HTML:
    inv = result.inventory
    with_data = int((inv["status"] != STATUS_NO_DATA).sum())
    t = result.totals
    if t["events"] == 0:
        return display.say(
            "{client} catalogues {n}, but the event data holds no events in {period}: check the period "
            "or run the ingest again.", client=result.client_name, n=count(len(inv), "touchpoint"),
            period=result.period)
    return display.say(
        "{client} catalogues {n}; {with_data} of them {verb} data in {period}. The event data holds "
        "{events} from {customers} in the period.",
        client=result.client_name, n=count(len(inv), "touchpoint"), with_data=kpis.fmt_count(with_data),
        period=result.period, verb=plural(with_data, "shows", "show"), events=count(t["events"], "event"),
        customers=count(t["customers"], "customer"))


def say_blind_spots(result: IdentifyResult) -> display.HTML:
    spots = result.blind_spots
    none = spots[spots["status"] == STATUS_NO_DATA]
    one = spots[spots["status"] == STATUS_ONE_SOURCE]
    if spots.empty:
        return display.say("Every catalogued touchpoint has data from at least two sources in {period}.",
                           period=result.period)
    single = ("" if one.empty else
              f"{kpis.fmt_count(len(one))} {plural(len(one), 'touchpoint relies', 'touchpoints rely')} on a single "
              "data source, so the picture there is one-sided.")
    if none.empty:
        return display.say("No catalogued touchpoint is dark in {period}. {single}", period=result.period,
                           single=single)
    return display.say(
        "Blind spots in {period}: {names} {verb} no data at all, so nothing can be said about how customers "
        "experience {them}; add a source (a short survey, visitor counts or interviews). {single}",
        period=result.period, names=names(none), verb=plural(len(none), "has", "have"),
        them=plural(len(none), "it", "them"), single=single)


def say_unknowns(result: IdentifyResult) -> display.HTML:
    unk = result.unknowns
    if unk.empty:
        return display.say("Every touchpoint id in the data of {period} is in the catalogue.", period=result.period)
    top = unk.iloc[0]
    return display.say(
        "The data of {period} holds {k} {ids} that the catalogue lacks, the largest being {tp} with {v}. "
        "Add {them} to client.yml (with kind, stage and owner) so later steps can use {them}.",
        k=kpis.fmt_count(len(unk)), ids=plural(len(unk), "touchpoint id", "touchpoint ids"), tp=top["touchpoint_id"],
        v=count(top["volume"], "record"), period=result.period, them=plural(len(unk), "it", "them"))


def absent_data(absent) -> str:
    """"feedback, order or cost data" for the optional tables a client lacks."""
    nouns = [TABLE_NOUNS[t] for t in absent]
    listed = nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " or " + nouns[-1]
    return f"{listed} data"


def absent_sentence(absent) -> str:
    """What it means that the client has no data of some optional tables ("" when none is missing)."""
    if not absent:
        return ""
    text = f"This client supplied no {absent_data(absent)}."
    if "feedback" in absent:
        text += " Without feedback, no touchpoint has a CSAT score."
    return text + (" To include these sources, add their exports with `tpkit add-source` and run the ingest "
                   "again.")


def say_sources(result: IdentifyResult) -> display.HTML:
    src = result.sources
    known = src.dropna(subset=["share_rejected"])
    tables = count(len(src), "data table")
    missing = absent_sentence(result.absent)
    after = " {missing}" if missing else ""
    if known.empty:
        return display.say("{tables} {verb} available; no ingest record says how many rows were rejected." + after,
                           tables=tables, verb=plural(len(src), "is", "are"), missing=missing)
    worst = known.sort_values("share_rejected", ascending=False).iloc[0]
    rejected = int(known["rejected"].sum())
    return display.say(
        "{tables} {verb} this analysis. At ingest, {rej} {was} rejected in total; the highest share "
        "is {share} in {table}." + after, tables=tables, verb=plural(len(src), "feeds", "feed"),
        rej=count(rejected, "row"), was=plural(rejected, "was", "were"),
        share=kpis.fmt_percent(worst["share_rejected"], 1), table=worst["table"], missing=missing)


def say_touches(result: IdentifyResult) -> display.HTML:
    t = result.touches
    journeys = result.totals["journeys_started"]
    if t.empty or journeys == 0:
        return display.say("No journeys started in {period}.", period=result.period)
    first = t.iloc[0]
    last_rows = t[t["last_touches"] > 0].sort_values("last_touches", ascending=False)
    if last_rows.empty:
        return display.say("The most common first touch in {period} is {tp}: {share} of {n} journeys start "
                           "there. No purchase followed an earlier touch.", period=result.period, tp=first["name"],
                           share=kpis.fmt_percent(first["first_share"], 0), n=kpis.fmt_count(journeys))
    last = last_rows.iloc[0]
    return display.say(
        "Customers most often find {client} through {tp}: {share} of the {n} journeys that started in "
        "{period} began there. The touch just before a purchase is most often {lt}: {lshare} of {p} "
        "purchases.",
        client=result.client_name, tp=first["name"], share=kpis.fmt_percent(first["first_share"], 0),
        n=kpis.fmt_count(journeys), period=result.period, lt=last["name"],
        lshare=kpis.fmt_percent(last["last_share"], 0), p=kpis.fmt_count(result.totals["purchases"]))


def finding_sentences(result: IdentifyResult) -> list[str]:
    """The headline findings of step 1, for the executive summary."""
    inv, spots, unk, t = result.inventory, result.blind_spots, result.unknowns, result.touches
    dark = spots[spots["status"] == STATUS_NO_DATA]
    one = spots[spots["status"] == STATUS_ONE_SOURCE]
    with_data = int((inv["status"] != STATUS_NO_DATA).sum())
    out = [f"{count(len(inv), 'catalogued touchpoint')}; {kpis.fmt_count(with_data)} with data in {result.period}."]
    if not dark.empty:
        out.append(f"Blind spot: no data in {result.period} for {names(dark)}.")
    if not one.empty:
        out.append(f"{count(len(one), 'touchpoint')} {plural(len(one), 'relies', 'rely')} on a single data source: "
                   f"{names(one)}.")
    if not unk.empty:
        listed = ", ".join(f"{a} ({count(b, 'record')})" for a, b in zip(unk["touchpoint_id"].head(5),
                                                                         unk["volume"].head(5)))
        out.append(f"Not in the catalogue: {listed}; add to client.yml.")
    if not t.empty and result.totals["journeys_started"]:
        out.append(f"Most common first touch: {t.iloc[0]['name']} ({kpis.fmt_percent(t.iloc[0]['first_share'], 0)} "
                   f"of journeys started in {result.period}).")
    if result.absent:
        out.append(f"No {absent_data(result.absent)} for this client: "
                   f"{plural(len(result.absent), 'that source is', 'those sources are')} missing from the analysis.")
    return out
