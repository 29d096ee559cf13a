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
from babel.lists import format_list

from helpers import display, i18n, kpis
from helpers.errors import DataError
from helpers.i18n import N_, _, ngettext, pgettext
from helpers.identify.compute import SOURCE_LABELS, STATUS_NO_DATA, STATUS_OK, STATUS_ONE_SOURCE

if TYPE_CHECKING:  # annotations only: the step imports this module
    from helpers.identify.step import IdentifyResult


# ---------------------------------------------------------------------------
# Wording helpers
# ---------------------------------------------------------------------------

def plural(n: int, one: str, many: str) -> str:
    """English-only choice of a word by count; kept for callers outside the report (use ngettext)."""
    return one if n == 1 else many


def _counted(template: str, n) -> str:
    return template.format(n=kpis.fmt_count(n))


#: the counted nouns of this step, each a message with its plural forms
_COUNTED = {
    "event": lambda n: _counted(ngettext("{n} event", "{n} events", n), n),
    "record": lambda n: _counted(ngettext("{n} record", "{n} records", n), n),
    "customer": lambda n: _counted(ngettext("{n} customer", "{n} customers", n), n),
    "touchpoint": lambda n: _counted(ngettext("{n} touchpoint", "{n} touchpoints", n), n),
    "catalogued touchpoint": lambda n: _counted(ngettext("{n} catalogued touchpoint", "{n} catalogued touchpoints",
                                                         n), n),
    "data table": lambda n: _counted(ngettext("{n} data table", "{n} data tables", n), n),
    "row": lambda n: _counted(ngettext("{n} row", "{n} rows", n), n),
}


def count(n, noun: str) -> str:
    """``n`` with its noun in the active language: "1 event", "2,830 records"."""
    n = int(n)
    if noun in _COUNTED:
        return _COUNTED[noun](n)
    return f"{kpis.fmt_count(n)} {noun}" + ("" if n == 1 else "s")


def listing(items, conjunction: str = "and") -> str:
    """Items as the active language lists them: "A, B and C" ("A, B or C" with ``conjunction="or"``)."""
    items = [str(i) for i in items]
    if not items:
        return ""
    lang = i18n.active()
    return format_list(items, style="standard" if conjunction == "and" else "or",
                       locale="en_GB" if lang == "en" else lang)


def names(df: pd.DataFrame, limit: int = 5) -> str:
    """The ``name`` column as a list for a sentence: "A, B and 3 more"."""
    items = list(df["name"].astype(str))
    if len(items) <= limit:
        return listing(items)
    # Translators: {items} is a list of touchpoint names, {n} how many more are left out
    return ngettext("{items} and {n} more", "{items} and {n} more", len(items) - limit).format(
        items=", ".join(items[:limit]), n=kpis.fmt_count(len(items) - limit))


def table_date(day) -> str:
    """A date in a table or a parenthesis: 2026-05-01 in English, the locale's short form otherwise."""
    if pd.isna(day):
        return ""
    return f"{day:%Y-%m-%d}" if i18n.active() == "en" else i18n.fmt_date(day, form="short")


# ---------------------------------------------------------------------------
# Words of the catalogue (stages, phases, kinds, statuses)
# ---------------------------------------------------------------------------

def stage_name(stage: str) -> str:
    """A journey stage in the active language, lower case ("awareness")."""
    words = {"awareness": pgettext("journey stage", "awareness"),
             "consideration": pgettext("journey stage", "consideration"),
             "decision": pgettext("journey stage", "decision"), "retention": pgettext("journey stage", "retention")}
    return words.get(stage, str(stage))


def phase_name(phase: str) -> str:
    """A journey phase in the active language, lower case ("before purchase")."""
    words = {"before purchase": pgettext("journey phase", "before purchase"),
             "during purchase": pgettext("journey phase", "during purchase"),
             "after purchase": pgettext("journey phase", "after purchase")}
    return words.get(phase, str(phase))


def kind_name(kind: str) -> str:
    """A touchpoint kind in the active language ("physical", "digital")."""
    words = {"physical": pgettext("touchpoint kind", "physical"), "digital": pgettext("touchpoint kind", "digital")}
    return words.get(kind, str(kind))


def status_name(status: str) -> str:
    """A touchpoint's data status in the active language ("no data", "one source", "ok")."""
    words = {STATUS_NO_DATA: pgettext("touchpoint status", "no data"),
             STATUS_ONE_SOURCE: pgettext("touchpoint status", "one source"),
             STATUS_OK: pgettext("touchpoint status", "ok")}
    return words.get(status, str(status))


def source_name(source: str) -> str:
    """A data source in the active language, lower case ("events", "surveys")."""
    words = {"events": pgettext("data source", "events"), "surveys": pgettext("data source", "surveys"),
             "interviews": pgettext("data source", "interviews"),
             "observations": pgettext("data source", "observations"), "orders": pgettext("data source", "orders"),
             "reviews": pgettext("data source", "reviews"), "feedback": pgettext("data source", "feedback")}
    return words.get(source, str(source))


def sources_text(sources) -> str:
    """A comma-separated list of source names (as the data holds it) in the active language."""
    return ", ".join(source_name(p.strip()) for p in str(sources).split(",") if p.strip())


# ---------------------------------------------------------------------------
# Text inside tables and on the journey map
# ---------------------------------------------------------------------------

def not_catalogued(touchpoint_id: str) -> str:
    """The name shown for a touchpoint id the catalogue lacks."""
    # Translators: {id} is a touchpoint id found in the data but missing from the client's catalogue
    return _("{id} (not catalogued)").format(id=touchpoint_id)


def touchpoint_namer(names_by_id: dict[str, str]):
    """``name_of(touchpoint_id)``: the catalogue name, or the id marked as not catalogued."""
    return lambda t: names_by_id.get(t, not_catalogued(t))


def blind_spot_issue(status: str, sources: str, last_seen) -> str:
    """What is wrong at a blind spot, for the ``issue`` column."""
    if status == STATUS_NO_DATA:
        if pd.notna(last_seen):
            # Translators: {day} is the date the touchpoint last had data
            return _("no data in the period (last seen {day})").format(day=table_date(last_seen))
        return _("no data in the period (never seen)")
    # Translators: {sources} names the one data source the touchpoint has (e.g. "events")
    return _("only one source ({sources})").format(sources=sources_text(sources))


def map_title(client_name: str, period: str) -> str:
    return _("Customer journey map: {client}, {period}").format(client=client_name, period=period)


MAP_TITLE = N_("Customer journey map")
#: the legend words (kinds as in :func:`kind_name`); :func:`map_legend` gives them translated
MAP_LEGEND = {"physical": "physical", "digital": "digital", "no_data": N_("no data in period")}
MAP_LEGEND_TITLE = N_("Card size = customers reached")


def map_legend() -> dict[str, str]:
    """The legend entries of the journey map in the active language."""
    return {"physical": kind_name("physical"), "digital": kind_name("digital"), "no_data": _(MAP_LEGEND["no_data"])}


def stage_label(stage: str) -> str:
    return stage_name(stage).capitalize()


def phase_label(phase: str) -> str:
    return phase_name(phase).upper()


def card_lines(row) -> list[str]:
    """Text of one journey-map card: name, reach and the current CSAT."""
    name = textwrap.fill(str(row["name"]), 18, max_lines=3, placeholder=" ...")
    if row.get("status") == STATUS_NO_DATA:
        return [name, _(MAP_LEGEND["no_data"])]
    reach = int(row.get("customers") or 0)
    volume = int(row.get("volume") or 0)
    who = count(reach, "customer") if reach else count(volume, "record")
    csat = row.get("csat")
    # Translators: a touchpoint's current CSAT on its journey-map card; {n} is the number of ratings
    rating = (_("CSAT {csat} (n={n})").format(csat=kpis.fmt_level("csat", csat),
                                               n=kpis.fmt_count(row.get("csat_n") or 0))
              if pd.notna(csat) else _("CSAT: no ratings"))
    return [name, who, rating]


def map_footer(unknowns: pd.DataFrame, shown: int = 6) -> str:
    """The line under the journey map listing ids in the data but not in the catalogue."""
    listed = ", ".join(_("{id} ({records})").format(id=t, records=count(v, "record"))
                       for t, v in zip(unknowns["touchpoint_id"].head(shown), unknowns["volume"].head(shown)))
    if len(unknowns) > shown:
        # Translators: {listed} is a list of touchpoint ids with their record counts
        text = ngettext("In the data but not in the catalogue: {listed} and {n} more",
                        "In the data but not in the catalogue: {listed} and {n} more",
                        len(unknowns) - shown).format(listed=listed, n=kpis.fmt_count(len(unknowns) - shown))
    else:
        text = _("In the data but not in the catalogue: {listed}").format(listed=listed)
    return textwrap.fill(text, 90)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

PRETTY = {
    "touchpoint_id": N_("Touchpoint id"), "name": N_("Touchpoint"), "kind": N_("Kind"), "stage": N_("Stage"),
    "phase": N_("Phase"), "owner": N_("Owner"), "catalogued_sources": N_("Sources (catalogue)"),
    "sources": N_("Sources with data"), "n_sources": N_("Sources"), "missing_sources": N_("Catalogued, no data"),
    "volume": N_("Records"), "customers": N_("Customers"), "csat": N_("CSAT"), "csat_n": N_("Ratings"),
    "first_seen": N_("First seen"), "last_seen": N_("Last seen"), "status": N_("Status"), "issue": N_("Issue"),
    "events": N_("Events"), "surveys": N_("Surveys"), "interviews": N_("Interviews"),
    "observations": N_("Observations"), "orders": N_("Orders"), "reviews": N_("Reviews"),
    "first_touches": N_("First touches"), "first_share": N_("Share of journeys"),
    "last_touches": N_("Last touch before purchase"), "last_share": N_("Share of purchases"), "table": N_("Table"),
    "files": N_("Files"), "rows": N_("Rows"), "rejected": N_("Rejected"), "share_rejected": N_("Share rejected"),
    "first": N_("From"), "last": N_("To"), "rows_in_period": N_("Rows in period"),
    "touchpoints_in_period": N_("Touchpoints in period"),
}
PERCENT = ("first_share", "last_share", "share_rejected")
#: columns of each table left out of the report (kept in the artifacts)
HIDDEN = {"inventory": ("catalogued_sources", "n_sources", "phase"), "blind_spots": ("catalogued_sources",)}
CAPTIONS = {
    "inventory": N_("Touchpoint inventory"),
    "blind_spots": N_("Blind spots"),
    "unknowns": N_("Touchpoint ids not in the catalogue"),
    "coverage": N_("Records per touchpoint and source"),
    "touches": N_("First touches and last touches before purchase"),
    "sources": N_("Data-source inventory"),
}
EMPTY = {
    "blind_spots": N_("No blind spots in this period."),
    "unknowns": N_("Every touchpoint id in the data is catalogued."),
}
EMPTY_DEFAULT = N_("Nothing to list for this period.")
#: the optional tables as nouns in "no ... data"
TABLE_NOUNS = {"feedback": "feedback", "orders": "order", "reviews": "review", "costs": "cost"}
#: columns whose values are words of the kit (translated where shown)
_WORDS = {"kind": kind_name, "stage": stage_name, "phase": phase_name, "status": status_name,
          "sources": sources_text, "missing_sources": sources_text, "catalogued_sources": sources_text}


def header(column: str) -> str:
    """The column header of ``column`` in the active language."""
    return _(PRETTY[column]) if column in PRETTY else column


def _cell(column: str, value) -> str:
    if pd.isna(value):
        return ""
    if column in PERCENT:
        return kpis.fmt_percent(value, 1)
    if column == "csat":
        return kpis.fmt_level("csat", value)
    return kpis.fmt_number(value, 2)


def pretty(df: pd.DataFrame, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """Column names for readers, dates (2026-07-01 in English), counts, shares and CSAT through :mod:`helpers.kpis`,
    the kit's own words (kind, stage, status, sources) in the active language."""
    out = df.drop(columns=[c for c in drop if c in df.columns]).copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = [table_date(v) for v in out[c]]
        elif pd.api.types.is_integer_dtype(out[c]):
            out[c] = ["" if pd.isna(v) else kpis.fmt_count(v) for v in out[c]]
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = [_cell(c, v) for v in out[c]]
        elif c in _WORDS:
            out[c] = [v if pd.isna(v) or v == "" else _WORDS[c](v) for v in out[c]]
    return out.rename(columns={c: header(c) for c in out.columns})


def show(result: IdentifyResult, part: str, caption: str | None = None, empty: str | None = None) -> display.HTML:
    """One table of the result, ready for a report (escaped, readable column names, its
    caption); a note instead of a table without rows. ``caption`` and ``empty`` replace
    the step's own wording."""
    if part not in CAPTIONS:
        raise DataError(f"unknown part '{part}'", hint=f"use one of {', '.join(CAPTIONS)}")
    df = getattr(result, part)
    if df.empty:
        return display.say("{note}", note=empty if empty is not None else _(EMPTY.get(part, EMPTY_DEFAULT)))
    drop = HIDDEN.get(part, ())
    if part == "unknowns":
        drop = tuple(s for s in SOURCE_LABELS if s in df.columns and not df[s].any())
    return display.show_table(pretty(df, drop), caption=caption if caption is not None else _(CAPTIONS[part]))


# ---------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------

def say_overview(result: IdentifyResult) -> display.HTML:
    inv = result.inventory
    with_data = int((inv["status"] != STATUS_NO_DATA).sum())
    t = result.totals
    if t["events"] == 0:
        # Translators: {n} is a count of touchpoints ("6 touchpoints"), {period} the period ("2026Q3")
        return display.say(_("{client} catalogues {n}, but the event data holds no events in {period}: check the "
                             "period or run the ingest again."),
                           client=result.client_name, n=count(len(inv), "touchpoint"), period=result.period)
    # Translators: {n} is a count of touchpoints ("6 touchpoints"); the form follows {with_data}
    first = ngettext("{client} catalogues {n}; {with_data} of them shows data in {period}.",
                     "{client} catalogues {n}; {with_data} of them show data in {period}.", with_data)
    # Translators: {events} and {customers} are counts with their nouns ("12 events", "3 customers")
    second = _("The event data holds {events} from {customers} in the period.")
    return display.say(first + " " + second, client=result.client_name, n=count(len(inv), "touchpoint"),
                       with_data=kpis.fmt_count(with_data), period=result.period, events=count(t["events"], "event"),
                       customers=count(t["customers"], "customer"))


def _single_source(n: int) -> str:
    if not n:
        return ""
    return ngettext("{n} touchpoint relies on a single data source, so the picture there is one-sided.",
                    "{n} touchpoints rely on a single data source, so the picture there is one-sided.",
                    n).format(n=kpis.fmt_count(n))


def say_blind_spots(result: IdentifyResult) -> display.HTML:
    spots = result.blind_spots
    none = spots[spots["status"] == STATUS_NO_DATA]
    one = spots[spots["status"] == STATUS_ONE_SOURCE]
    if spots.empty:
        return display.say(_("Every catalogued touchpoint has data from at least two sources in {period}."),
                           period=result.period)
    single = _single_source(len(one))
    if none.empty:
        return display.say(_("No catalogued touchpoint is dark in {period}.") + " {single}", period=result.period,
                           single=single)
    # Translators: {names} lists the touchpoints without data ("Trade fair and Hotline")
    text = ngettext("Blind spots in {period}: {names} has no data at all, so nothing can be said about how "
                    "customers experience it; add a source (a short survey, visitor counts or interviews).",
                    "Blind spots in {period}: {names} have no data at all, so nothing can be said about how "
                    "customers experience them; add a source (a short survey, visitor counts or interviews).",
                    len(none))
    return display.say(text + " {single}", period=result.period, names=names(none), single=single)


def say_unknowns(result: IdentifyResult) -> display.HTML:
    unk = result.unknowns
    if unk.empty:
        return display.say(_("Every touchpoint id in the data of {period} is in the catalogue."),
                           period=result.period)
    top = unk.iloc[0]
    # Translators: {k} is a count, {tp} a touchpoint id from the data, {v} a count of records ("2 records")
    text = ngettext("The data of {period} holds {k} touchpoint id that the catalogue lacks, the largest being {tp} "
                    "with {v}. Add it to client.yml (with kind, stage and owner) so later steps can use it.",
                    "The data of {period} holds {k} touchpoint ids that the catalogue lacks, the largest being {tp} "
                    "with {v}. Add them to client.yml (with kind, stage and owner) so later steps can use them.",
                    len(unk))
    return display.say(text, k=kpis.fmt_count(len(unk)), tp=top["touchpoint_id"], v=count(top["volume"], "record"),
                       period=result.period)


def absent_data(absent) -> str:
    """"feedback, order or cost data" for the optional tables a client lacks."""
    words = {"feedback": pgettext("optional data", "feedback"), "orders": pgettext("optional data", "order"),
             "reviews": pgettext("optional data", "review"), "costs": pgettext("optional data", "cost")}
    # Translators: {listed} lists kinds of data ("feedback, order or cost")
    return _("{listed} data").format(listed=listing([words[t] for t in absent], "or"))


def absent_sentence(absent) -> str:
    """What it means that the client has no data of some optional tables ("" when none is missing)."""
    if not absent:
        return ""
    # Translators: {data} names the kinds of data missing ("feedback or review data")
    text = _("This client supplied no {data}.").format(data=absent_data(absent))
    if "feedback" in absent:
        text += " " + _("Without feedback, no touchpoint has a CSAT score.")
    return text + " " + _("To include these sources, add their exports with `tpkit add-source` and run the ingest "
                          "again.")


def say_sources(result: IdentifyResult) -> display.HTML:
    src = result.sources
    known = src.dropna(subset=["share_rejected"])
    tables = count(len(src), "data table")
    missing = absent_sentence(result.absent)
    after = " {missing}" if missing else ""
    if known.empty:
        # Translators: {tables} is a count of data tables ("5 data tables")
        text = ngettext("{tables} is available; no ingest record says how many rows were rejected.",
                        "{tables} are available; no ingest record says how many rows were rejected.", len(src))
        return display.say(text + after, tables=tables, missing=missing)
    worst = known.sort_values("share_rejected", ascending=False).iloc[0]
    rejected = int(known["rejected"].sum())
    first = ngettext("{tables} feeds this analysis.", "{tables} feed this analysis.", len(src))
    # Translators: {rej} is a count of rows ("3 rows"), {share} a percentage, {table} a data table's name
    second = ngettext("At ingest, {rej} was rejected in total; the highest share is {share} in {table}.",
                      "At ingest, {rej} were rejected in total; the highest share is {share} in {table}.", rejected)
    return display.say(first + " " + second + after, tables=tables, rej=count(rejected, "row"),
                       share=kpis.fmt_percent(worst["share_rejected"], 1), table=worst["table"], missing=missing)


def say_touches(result: IdentifyResult) -> display.HTML:
    t = result.touches
    journeys = result.totals["journeys_started"]
    if t.empty or journeys == 0:
        return display.say(_("No journeys started in {period}."), period=result.period)
    first = t.iloc[0]
    last_rows = t[t["last_touches"] > 0].sort_values("last_touches", ascending=False)
    if last_rows.empty:
        # Translators: {tp} is a touchpoint name, {share} a percentage, {n} the number of journeys
        return display.say(_("The most common first touch in {period} is {tp}: {share} of {n} journeys start "
                             "there. No purchase followed an earlier touch."), period=result.period,
                           tp=first["name"], share=kpis.fmt_percent(first["first_share"], 0),
                           n=kpis.fmt_count(journeys))
    last = last_rows.iloc[0]
    return display.say(
        # Translators: {tp} and {lt} are touchpoint names; {share}, {lshare} percentages; {n}, {p} counts
        _("Customers most often find {client} through {tp}: {share} of the {n} journeys that started in "
          "{period} began there. The touch just before a purchase is most often {lt}: {lshare} of {p} "
          "purchases."),
        client=result.client_name, tp=first["name"], share=kpis.fmt_percent(first["first_share"], 0),
        n=kpis.fmt_count(journeys), period=result.period, lt=last["name"],
        lshare=kpis.fmt_percent(last["last_share"], 0), p=kpis.fmt_count(result.totals["purchases"]))


def finding_sentences(result: IdentifyResult) -> list[str]:
    """The headline findings of step 1, for the executive summary."""
    inv, spots, unk, t = result.inventory, result.blind_spots, result.unknowns, result.touches
    dark = spots[spots["status"] == STATUS_NO_DATA]
    one = spots[spots["status"] == STATUS_ONE_SOURCE]
    with_data = int((inv["status"] != STATUS_NO_DATA).sum())
    # Translators: {n} is a count of touchpoints ("6 catalogued touchpoints"), {k} a count
    out = [_("{n}; {k} with data in {period}.").format(n=count(len(inv), "catalogued touchpoint"),
                                                        k=kpis.fmt_count(with_data), period=result.period)]
    if not dark.empty:
        out.append(_("Blind spot: no data in {period} for {names}.").format(period=result.period, names=names(dark)))
    if not one.empty:
        # Translators: {names} lists touchpoint names
        out.append(ngettext("{n} touchpoint relies on a single data source: {names}.",
                            "{n} touchpoints rely on a single data source: {names}.",
                            len(one)).format(n=kpis.fmt_count(len(one)), names=names(one)))
    if not unk.empty:
        listed = ", ".join(_("{id} ({records})").format(id=a, records=count(b, "record"))
                           for a, b in zip(unk["touchpoint_id"].head(5), unk["volume"].head(5)))
        # Translators: {listed} lists touchpoint ids with their record counts
        out.append(_("Not in the catalogue: {listed}; add to client.yml.").format(listed=listed))
    if not t.empty and result.totals["journeys_started"]:
        # Translators: {tp} is a touchpoint name, {share} a percentage
        out.append(_("Most common first touch: {tp} ({share} of journeys started in {period}).").format(
            tp=t.iloc[0]["name"], share=kpis.fmt_percent(t.iloc[0]["first_share"], 0), period=result.period))
    if result.absent:
        # Translators: {data} names the kinds of data missing ("cost data")
        out.append(ngettext("No {data} for this client: that source is missing from the analysis.",
                            "No {data} for this client: those sources are missing from the analysis.",
                            len(result.absent)).format(data=absent_data(result.absent)))
    return out
