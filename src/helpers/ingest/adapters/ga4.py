"""GA4 BigQuery export -> canonical events, and orders from its purchase events: ``tool: ga4``.

Reads the ``events_*`` tables of a GA4 BigQuery export saved as Parquet, CSV or
JSON lines, nested (``event_params`` as a list of key/value records,
``traffic_source``, ``device``, ``geo`` and ``ecommerce`` as records) or flattened
(``traffic_source.source`` or ``traffic_source_source``, ``page_location``,
``ga_session_id`` as plain columns). ``file:`` may be a glob such as
``raw/ga4/events_*.parquet``.

``table: events``

============================  ==================================================
canonical                     GA4
============================  ==================================================
ts                            ``event_timestamp`` (microseconds since 1970, UTC)
customer_id                   ``user_pseudo_id`` (``customer: user_id`` uses the
                              signed-in user id where present), keyed hash
journey_id                    ``user_pseudo_id`` + ``ga_session_id`` (a login
                              inside a session does not split it); ``journey:
                              user`` makes one journey per user (with ``customer:
                              user_id`` a device's events join the user id it
                              signs in as), keyed hash
touchpoint_id                 the first matching rule (below); events no rule
                              matches keep their event name, so the identify step
                              lists them as touchpoints not in the catalogue
converted                     ``event_name`` in ``conversion_events`` (default
                              ``[purchase]``)
revenue                       ``ecommerce.purchase_revenue`` on conversions
                              (else ``event_value_in_usd``), 0 on other events; a
                              conversion without revenue is kept, counted and
                              named in the warnings
segment                       ``segment_property:`` names a field
                              (``device.category``, ``geo.country``, any
                              column), a user property or an event parameter;
                              events without it are counted in the warnings
============================  ==================================================

``table: orders`` (a second source entry on the same files): one order per purchase event
(``conversion_events``) with ``order_id`` the ``ecommerce.transaction_id`` (an event whose id is
``(not set)`` or empty gets one made from the user and the event time), ``customer_id`` as for events,
``ts`` and ``revenue`` ``ecommerce.purchase_revenue`` (``purchase_revenue_in_usd`` with ``currency: usd``).
A purchase event without revenue is rejected with that reason and counted, never an order without value.
A transaction id repeated on several purchase events (GA4 sends a purchase again when the confirmation
page is reloaded) is kept once per event, as the export holds it, and the repeats are named in the
warnings; ``repeated_transactions: drop`` keeps the first event of each id only, as GA4's own reports do.

Source, medium and campaign are the event's own: the first of the event parameters ``source`` /
``medium`` / ``campaign``, ``collected_traffic_source.manual_source`` / ``manual_medium`` /
``manual_campaign_name`` and ``session_traffic_source_last_click.manual_campaign.source`` / ``medium`` /
``campaign_name`` that the event has. The user-level ``traffic_source`` (how the user was first acquired)
is used only on the user's ``first_visit`` event, where it was acquired (``user_source: all`` applies it to
every event without a source of its own, ``none`` never). So a ``source``/``medium`` rule matches the events
that came from that source, not every event of a user acquired there. Rules in client.yml, tried in order::

    rules:
      - {touchpoint: checkout, event: purchase}
      - {touchpoint: search_ads, source: google, medium: [cpc, ppc]}
      - {touchpoint: newsletter, medium: email}
      - {touchpoint: spring_sale, campaign: spring_sale}
      - {touchpoint: faq, page: "/(faq|hjaelp)/"}       # regular expression on page_location
      - {touchpoint: website, event: page_view}

``event``, ``source``, ``medium`` and ``campaign`` match whole values (any case; a list means any of them);
``page`` is a regular expression searched in ``page_location``. All conditions of a rule must hold.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters.base import Adapter, Detection, Sample, ToolPreset, _list, _norm
from helpers.ingest.convert import as_text
from helpers.ingest.readers import RawChunk
from helpers.schema import columns_for

#: logical GA4 field -> names it has in exports (nested names flattened with ".")
FIELDS = {
    "event_name": ("event_name",),
    "event_timestamp": ("event_timestamp",),
    "user_pseudo_id": ("user_pseudo_id",),
    "user_id": ("user_id",),
    "ga_session_id": ("ga_session_id", "event_params.ga_session_id", "session_id"),
    "page_location": ("page_location", "event_params.page_location", "page_url"),
    "purchase_revenue": ("ecommerce.purchase_revenue", "purchase_revenue", "ecommerce_purchase_revenue"),
    "purchase_revenue_in_usd": ("ecommerce.purchase_revenue_in_usd", "purchase_revenue_in_usd"),
    "event_value_in_usd": ("event_value_in_usd",),
    "transaction_id": ("ecommerce.transaction_id", "transaction_id", "ecommerce_transaction_id"),
}
#: event-scoped traffic source, in the order tried (flat columns of a flattened export last)
EVENT_SOURCE = {
    "source": ("collected_traffic_source.manual_source", "session_traffic_source_last_click.manual_campaign.source"),
    "medium": ("collected_traffic_source.manual_medium", "session_traffic_source_last_click.manual_campaign.medium"),
    "campaign": ("collected_traffic_source.manual_campaign_name",
                 "session_traffic_source_last_click.manual_campaign.campaign_name"),
}
#: the user's first traffic source (user scope)
USER_SOURCE = {"source": ("traffic_source.source", "traffic_source_source"),
               "medium": ("traffic_source.medium", "traffic_source_medium"),
               "campaign": ("traffic_source.name", "traffic_source_name")}
REQUIRED = ("event_name", "event_timestamp", "user_pseudo_id")
RULE_KEYS = ("touchpoint", "event", "source", "medium", "campaign", "page")
NOT_SET = ("", "(not set)", "(none)", "(data deleted)", "<other>")


def _param(cells, key: str) -> list:
    """Value of ``key`` in each row's ``event_params`` / ``user_properties`` list (None where absent)."""
    out = []
    for cell in cells:
        found = None
        if cell is not None and not isinstance(cell, (float, str)):
            for p in cell:
                if isinstance(p, dict) and p.get("key") == key:
                    val = p.get("value") or {}
                    for k in ("string_value", "int_value", "double_value", "float_value"):
                        if val.get(k) is not None:
                            found = val[k]
                            break
                    break
        out.append(found)
    return out


def _as_list(v) -> list[str]:
    if v is None:
        return []
    return [str(x).strip().lower() for x in (v if isinstance(v, (list, tuple)) else [v])]


def _clean(series: pd.Series) -> pd.Series:
    """Source/medium text, lower case; GA4's placeholders ("(not set)", "(data deleted)") are no value."""
    text = as_text(series).str.strip().str.lower()
    return text.where(~text.isin(NOT_SET))


def coalesce(*series: pd.Series) -> pd.Series:
    out = series[0]
    for s in series[1:]:
        out = out.where(out.notna(), s)
    return out


class Ga4Adapter(ToolPreset, Adapter):
    name = tool = "ga4"
    tables = ("events", "orders")
    summary = "GA4 BigQuery export (events_* tables as Parquet, JSON lines or CSV)"
    options = ("rules", "conversion_events", "journey", "customer", "segment_property", "user_source",
               "repeated_transactions", "currency")
    produces = ("customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue")
    extra_column_keys = ("segment", "variant", "source", "medium", "campaign")

    @classmethod
    def detect(cls, sample: Sample) -> Detection | None:
        if sample.has("event_name", "event_timestamp", "user_pseudo_id"):
            nested = [c for c in ("event_params", "ecommerce.purchase_revenue", "traffic_source.source")
                      if sample.has(c)]
            return Detection("ga4", "events", 0.95,
                             ["GA4 export fields event_name, event_timestamp, user_pseudo_id"]
                             + ([f"and {', '.join(nested)}"] if nested else []), options={})
        return None

    def check_conflicts(self) -> None:
        super().check_conflicts()
        if "timezone" in self.opts:
            raise self.option_error("timezone", "GA4's event_timestamp is always UTC, whatever the property's zone",
                                    hint="remove `timezone:` from this source")
        if self.source.date_format or self.source.date_order:
            key = "date_format" if self.source.date_format else "date_order"
            raise self.option_error(key, "GA4 times are microseconds since 1970 (UTC), not dates to parse",
                                    hint=f"remove `{key}:` from this source")

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.timezone = "UTC"  # event_timestamp is UTC whatever the client's zone
        self.rules = self._rules(self.opts.get("rules") or [])
        self.conversions = set(_as_list(self.opts.get("conversion_events", ["purchase"])))
        self.journey = self._choice("journey", ("session", "user"), "session")
        self.customer = self._choice("customer", ("user_pseudo_id", "user_id"), "user_pseudo_id")
        self.user_source = self._choice("user_source", ("first_visit", "all", "none"), "first_visit")
        self.repeated = self._choice("repeated_transactions", ("keep", "drop"), "keep")
        self.currency = self._choice("currency", ("local", "usd"), "local")
        if self.table not in self.tables:
            raise ConfigError(f"source '{self.source.file}': a GA4 export feeds {' or '.join(self.tables)}, "
                              f"not '{self.table}'", file=self.cfg.path, hint="table: events")
        if self.table == "orders":
            self.produces = ("order_id", "customer_id", "ts", "revenue")
            self.reshapes = True  # only purchase events become records
        if "segment_property" in self.opts:
            self.produces = self.produces + ("segment",)
        self._user_of: dict[str, str] = {}  # user_pseudo_id -> the first user_id it signed in as
        self._tx_seen: dict[str, int] = {}
        self.stats = {"events": 0, "conversions": 0, "no_revenue": 0, "no_segment": 0, "repeats": 0,
                      "repeat_revenue": 0.0, "made_ids": 0, "own_source": 0, "user_source": 0}

    def _choice(self, option: str, allowed: tuple[str, ...], default: str) -> str:
        value = str(self.opts.get(option, default))
        if value not in allowed:
            raise ConfigError(f"source '{self.source.file}': `{option}` must be one of {', '.join(allowed)}, "
                              f"not '{value}'", file=self.cfg.path, hint=f"{option}: {default}")
        return value

    def _rules(self, rules) -> list[dict]:
        if not isinstance(rules, list):
            raise ConfigError(f"source '{self.source.file}': `rules` must be a list", file=self.cfg.path,
                              hint="rules: [{touchpoint: website, event: page_view}]")
        known = set(self.cfg.touchpoint_ids)
        out = []
        for i, rule in enumerate(rules):
            where = f"source '{self.source.file}', rules[{i}]"
            if not isinstance(rule, dict) or "touchpoint" not in rule:
                raise ConfigError(f"{where}: each rule needs a `touchpoint`", file=self.cfg.path,
                                  hint="for example {touchpoint: newsletter, medium: email}")
            extra = set(rule) - set(RULE_KEYS)
            if extra:
                raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}", file=self.cfg.path,
                                  hint=f"a rule has {', '.join(RULE_KEYS)}")
            if len(rule) < 2:
                raise ConfigError(f"{where}: give at least one of event, source, medium, campaign, page",
                                  file=self.cfg.path)
            if rule["touchpoint"] not in known:
                raise ConfigError(f"{where}: touchpoint '{rule['touchpoint']}' is not in the catalogue",
                                  file=self.cfg.path, hint="add it to `touchpoints:` or correct the rule")
            page = None
            if rule.get("page") is not None:
                try:
                    page = re.compile(str(rule["page"]), re.IGNORECASE)
                except re.error as exc:
                    raise ConfigError(f"{where}: page pattern is not a regular expression: {exc}",
                                      file=self.cfg.path) from None
            out.append({"touchpoint": rule["touchpoint"], "event": _as_list(rule.get("event")),
                        "source": _as_list(rule.get("source")), "medium": _as_list(rule.get("medium")),
                        "campaign": _as_list(rule.get("campaign")), "page": page})
        return out

    def bind(self, columns: list[str]) -> None:
        by_norm = {_norm(c): c for c in columns}

        def find(names):
            for name in names:
                hit = name if name in columns else by_norm.get(_norm(name))
                if hit is not None:
                    return hit
            return None

        self.fields: dict[str, str] = {}
        for logical, names in FIELDS.items():
            explicit = self.source.columns.get(logical)
            hit = find([explicit] if explicit else names)
            if hit is not None:
                self.fields[logical] = hit
            elif explicit:
                raise SchemaError(f"the column '{explicit}' (mapped to '{logical}') is not in the file",
                                  file=self.label, row=1, column=explicit,
                                  hint=f"the file has the columns: {_list(columns)}")
        self.event_source = {k: [c for c in (find([n]) for n in names) if c] for k, names in EVENT_SOURCE.items()}
        for k in ("source", "medium", "campaign"):  # a flattened export's plain columns
            flat = self.source.columns.get(k) or find([k])
            if flat and flat not in self.event_source[k]:
                self.event_source[k].append(flat)
        self.user_src = {k: find(names) for k, names in USER_SOURCE.items()}
        self.params = by_norm.get("eventparams")
        self.user_props = by_norm.get("userproperties")
        missing = [f for f in REQUIRED if f not in self.fields]
        if missing:
            raise SchemaError(
                f"not a GA4 events export: missing {', '.join(missing)}", file=self.label, row=1, column=missing[0],
                hint=f"export the events_* tables with their GA4 field names, or map them with `columns:`; "
                     f"the file has: {_list(columns)}")
        if self.table == "orders" and not (self.fields.get("purchase_revenue")
                                           or self.fields.get("event_value_in_usd")):
            raise SchemaError("no purchase revenue in the export (ecommerce.purchase_revenue)", file=self.label,
                              row=1, column="ecommerce.purchase_revenue",
                              hint="export the ecommerce record with the events, or drop the orders source")
        self._bind_segment(find)
        for canon in ("segment", "variant"):
            if canon in self.source.columns:
                raw = self.source.columns[canon]
                if raw not in columns:
                    raise SchemaError(f"the column '{raw}' (mapped to '{canon}') is not in the file",
                                      file=self.label, row=1, column=raw)
                self.mapping[canon] = raw

    def _bind_segment(self, find) -> None:
        self.segment_col = None
        self._segment_absent = False  # warned at bind: the export has nowhere to hold the property
        if "segment_property" in self.opts:
            key = str(self.opts["segment_property"])
            self.segment_col = find([key, key.replace(".", "_")])
            if self.segment_col is None and not (self.params or self.user_props):
                self._segment_absent = True
                self.warnings.append(f"segment_property '{key}' is not a field of the export and the export has no "
                                     f"event_params or user_properties: no event has a segment")

    def _field(self, frame: pd.DataFrame, logical: str, param: str | None = None) -> pd.Series:
        if logical in self.fields:
            return frame[self.fields[logical]]
        if param and self.params:
            return pd.Series(_param(frame[self.params], param), index=frame.index, dtype=object)
        return pd.Series(None, index=frame.index, dtype=object)

    def traffic(self, raw: pd.DataFrame, event: pd.Series) -> dict[str, pd.Series]:
        """Source, medium and campaign of each event: its own first, the user's first only where it applies."""
        out = {}
        first_visit = event.fillna("").str.lower().eq("first_visit")
        own_any = pd.Series(False, index=raw.index)
        for k in ("source", "medium", "campaign"):
            parts = []
            if self.params:
                parts.append(_clean(pd.Series(_param(raw[self.params], k), index=raw.index, dtype=object)))
            parts += [_clean(raw[c]) for c in self.event_source[k]]
            own = coalesce(*parts) if parts else pd.Series(None, index=raw.index, dtype=object)
            own_any |= own.notna()
            user = _clean(raw[self.user_src[k]]) if self.user_src.get(k) else None
            if user is not None and self.user_source != "none":
                use = own.isna() & (first_visit if self.user_source == "first_visit" else True)
                own = own.where(~use, user)
            out[k] = own
        self.stats["own_source"] += int(own_any.sum())
        return out

    def _segment(self, raw: pd.DataFrame) -> pd.Series:
        key = str(self.opts["segment_property"])
        if self.segment_col:
            seg = as_text(raw[self.segment_col])
        else:
            seg = pd.Series(None, index=raw.index, dtype=object)
            for col in (self.user_props, self.params):
                if col:
                    found = pd.Series(_param(raw[col], key), index=raw.index, dtype=object)
                    seg = seg.where(seg.notna(), found)
            seg = as_text(seg)
        seg = seg.where(~seg.fillna("").str.strip().str.lower().isin(NOT_SET))
        self.stats["no_segment"] += int(seg.isna().sum())
        return seg

    def _timestamps(self, raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        ts_text = as_text(self._field(raw, "event_timestamp"))
        micros = pd.to_numeric(ts_text, errors="coerce")
        ok_ts = micros.notna() & (micros > 0) & (micros < 4.1e15)
        ts = pd.to_datetime(micros.where(ok_ts), unit="us").astype("datetime64[us]")
        reason = pd.Series(None, index=raw.index, dtype=object)
        bad_ts = ts_text.notna() & ~ok_ts
        reason[bad_ts] = "event_timestamp: cannot read " + ts_text[bad_ts].map(repr) + \
            " as microseconds since 1970 (UTC)"
        return ts, reason

    def _revenue(self, raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        logical = "purchase_revenue_in_usd" if self.currency == "usd" else "purchase_revenue"
        text = as_text(self._field(raw, logical))
        if logical not in self.fields:
            text = as_text(self._field(raw, "event_value_in_usd"))
        return pd.to_numeric(text, errors="coerce"), text

    def _people(self, raw: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        pseudo = as_text(self._field(raw, "user_pseudo_id"))
        user = pseudo
        signed = None
        if self.customer == "user_id":
            signed = as_text(self._field(raw, "user_id"))
            user = signed.where(signed.notna(), pseudo)
        session = as_text(self._field(raw, "ga_session_id", "ga_session_id"))
        if self.journey == "session":
            # a GA4 session belongs to a device (user_pseudo_id): a login inside it does not start another one
            journey = pseudo + "." + session.fillna("0")
        elif signed is not None:
            # one journey per person: a device's events before the login join the user it signs in as
            known = signed.notna() & pseudo.notna()
            pairs = pd.DataFrame({"p": pseudo[known], "u": signed[known]}).drop_duplicates("p")
            for p_, u in zip(pairs["p"], pairs["u"]):
                self._user_of.setdefault(p_, u)
            lookup = {p_: self._user_of[p_] for p_ in pseudo.dropna().unique() if p_ in self._user_of}
            journey = signed.where(signed.notna(), pseudo.map(lookup).astype(pseudo.dtype))
            journey = journey.where(journey.notna(), pseudo)
        else:
            journey = pseudo
        return user, journey

    def records(self, chunk: RawChunk):
        raw = chunk.frame
        event = as_text(self._field(raw, "event_name"))
        self.stats["events"] += len(raw)
        if self.table == "orders":
            return self._orders(raw, event, np.asarray(chunk.rows))
        ts, reason = self._timestamps(raw)
        user, journey = self._people(raw)
        page = as_text(self._field(raw, "page_location", "page_location")).fillna("")
        src = self.traffic(raw, event)
        ev_low = event.fillna("").str.lower()
        tp = pd.Series(None, index=raw.index, dtype=object)
        for rule in self.rules:
            open_ = tp.isna()
            if not open_.any():
                break
            m = open_.copy()
            if rule["event"]:
                m &= ev_low.isin(rule["event"])
            for k in ("source", "medium", "campaign"):
                if rule[k]:
                    m &= src[k].isin(rule[k]).fillna(False)
            if rule["page"] is not None:
                with warnings.catch_warnings():  # groups in a user's pattern are fine here
                    warnings.simplefilter("ignore", UserWarning)
                    m &= page.str.contains(rule["page"], regex=True)
            tp[m] = rule["touchpoint"]
        tp = tp.where(tp.notna(), event.astype(object))
        converted = ev_low.isin(self.conversions)
        revenue, revenue_text = self._revenue(raw)
        self.stats["conversions"] += int(converted.sum())
        self.stats["no_revenue"] += int((converted & revenue_text.isna()).sum())
        frame = pd.DataFrame({
            "customer_id": user,
            "ts": ts,
            "touchpoint_id": tp,
            "journey_id": journey,
            "converted": converted,
            "revenue": revenue.where(converted, 0.0),
        }, index=raw.index)
        for canon, col in self.mapping.items():
            frame[canon] = raw[col]
        if "segment_property" in self.opts:
            frame["segment"] = self._segment(raw)
        bad_rev = converted & revenue_text.notna() & revenue.isna()
        reason[bad_rev] = "purchase_revenue: cannot read " + revenue_text[bad_rev].map(repr) + " as a number"
        frame["_reject"] = reason
        return frame, chunk.rows

    def _orders(self, raw: pd.DataFrame, event: pd.Series, rows: np.ndarray):
        buy = event.fillna("").str.lower().isin(self.conversions).to_numpy()
        sub = raw[buy]
        ts, reason = self._timestamps(sub)
        user, _ = self._people(sub)
        revenue, revenue_text = self._revenue(sub)
        tx = as_text(self._field(sub, "transaction_id", "transaction_id")).str.strip()
        made = tx.isna() | tx.str.lower().isin(NOT_SET)
        micros = as_text(self._field(sub, "event_timestamp"))
        tx = tx.where(~made, "ga4 purchase " + user.fillna("") + " " + micros.fillna(""))
        self.stats["made_ids"] += int(made.sum())
        # a transaction id on several purchase events: each event is one order, the repeats named and counted
        order_id = tx.copy()
        for i, t in zip(tx.index[~made], tx[~made]):
            n = self._tx_seen.get(t, 0) + 1
            self._tx_seen[t] = n
            if n > 1:
                order_id.at[i] = f"{t} (repeat {n})"
                if self.repeated == "drop":
                    reason.at[i] = f"excluded: transaction {t} repeated on another purchase event " \
                                   f"(repeated_transactions: drop)"
                else:
                    self.stats["repeats"] += 1
                    if pd.notna(revenue.at[i]):
                        self.stats["repeat_revenue"] += float(revenue.at[i])
        missing = revenue_text.isna()
        reason[missing & reason.isna()] = "revenue: purchase event without ecommerce.purchase_revenue " \
                                          "(not counted as an order without value)"
        bad = revenue_text.notna() & revenue.isna()
        reason[bad] = "revenue: cannot read purchase_revenue " + revenue_text[bad].map(repr) + " as a number"
        self.stats["conversions"] += len(sub)
        self.stats["no_revenue"] += int(missing.sum())
        frame = pd.DataFrame({"order_id": order_id, "customer_id": user, "ts": ts, "revenue": revenue,
                              "_reject": reason}, index=sub.index)
        if "segment_property" in self.opts:
            frame["segment"] = self._segment(sub)
        return frame.reset_index(drop=True), rows[buy]

    def finish(self):
        s = self.stats
        names = "/".join(sorted(self.conversions))
        if self.table == "orders":
            self.notes.append(f"{s['conversions']:,} {names} events of {s['events']:,} events became order records")
            if s["made_ids"]:
                self.notes.append(f"{s['made_ids']:,} purchase events without a transaction id got an order id "
                                  f"made from the user and the event time")
            if s["repeats"]:
                self.warnings.append(f"{s['repeats']:,} purchase events repeat a transaction id of an earlier one "
                                     f"({s['repeat_revenue']:,.2f} revenue); they are kept as the export holds them "
                                     f"(set `repeated_transactions: drop` to count each transaction once)")
        if s["no_revenue"]:
            what = "are rejected (no order without value)" if self.table == "orders" else \
                "count as conversions without revenue"
            self.warnings.append(f"{s['no_revenue']:,} of {s['conversions']:,} {names} events have no "
                                 f"purchase_revenue and {what}")
        if "segment_property" in self.opts and s["no_segment"] and not self._segment_absent:
            key = self.opts["segment_property"]
            total = s["conversions"] if self.table == "orders" else s["events"]
            if s["no_segment"] >= total and self.segment_col is None:
                self.warnings.append(f"segment_property '{key}' is not in the data: {s['no_segment']:,} of {total:,} "
                                     f"records have no value (it is no field, user property or event parameter of "
                                     f"the export), so every segment is empty")
            else:
                self.warnings.append(f"segment_property '{key}': {s['no_segment']:,} of {total:,} records have no "
                                     f"value (their segment is empty)")
        if self.table == "events" and self.rules and any(r["source"] or r["medium"] or r["campaign"]
                                                         for r in self.rules):
            self.notes.append(f"{s['own_source']:,} of {s['events']:,} events carry a traffic source of their own; "
                              f"source/medium rules match only those (and first_visit events by the user's "
                              f"first source)" if self.user_source == "first_visit" else
                              f"{s['own_source']:,} of {s['events']:,} events carry a traffic source of their own")
        return None

    def output_columns(self) -> list[str]:
        have = set(self.produces) | set(self.mapping)
        return [c for c in columns_for(self.table) if c in have]
