"""GA4 BigQuery export -> canonical events.

Reads the ``events_*`` tables of a GA4 BigQuery export saved as Parquet, CSV or
JSON lines, nested (``event_params`` as a list of key/value records,
``traffic_source`` and ``ecommerce`` as records) or flattened
(``traffic_source.source`` or ``traffic_source_source``, ``page_location``,
``ga_session_id`` as plain columns). ``file:`` may be a glob such as
``raw/ga4/events_*.parquet``.

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
                              (else ``event_value_in_usd``), 0 on other events
segment                       ``segment_property:`` names a user property or
                              event parameter holding it (optional)
============================  ==================================================

Source and medium come from the first of these fields the export has: the
event's ``collected_traffic_source.manual_source`` / ``manual_medium`` (set on
the first event of a session), the session's last click, the user's first
``traffic_source``. Rules in client.yml, tried in order::

    rules:
      - {touchpoint: checkout, event: purchase}
      - {touchpoint: search_ads, source: google, medium: [cpc, ppc]}
      - {touchpoint: newsletter, medium: email}
      - {touchpoint: faq, page: "/(faq|hjaelp)/"}       # regular expression on page_location
      - {touchpoint: website, event: page_view}

``event``, ``source`` and ``medium`` match whole values (any case; a list means
any of them); ``page`` is a regular expression searched in ``page_location``.
All conditions of a rule must hold.

"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from helpers.errors import ConfigError, SchemaError
from helpers.ingest.adapters.base import Adapter, _list, _norm
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
    "source": ("collected_traffic_source.manual_source", "session_traffic_source_last_click.manual_campaign.source",
               "traffic_source.source", "source"),
    "medium": ("collected_traffic_source.manual_medium", "session_traffic_source_last_click.manual_campaign.medium",
               "traffic_source.medium", "medium"),
    "purchase_revenue": ("ecommerce.purchase_revenue", "purchase_revenue", "event_value_in_usd"),
}
REQUIRED = ("event_name", "event_timestamp", "user_pseudo_id")
RULE_KEYS = ("touchpoint", "event", "source", "medium", "page")


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


class Ga4Adapter(Adapter):
    name = "ga4"
    options = ("rules", "conversion_events", "journey", "customer", "segment_property")
    produces = ("customer_id", "ts", "touchpoint_id", "journey_id", "converted", "revenue")

    def __init__(self, *a, **kw) -> None:
        super().__init__(*a, **kw)
        self.timezone = "UTC"  # event_timestamp is UTC whatever the client's zone
        self.rules = self._rules(self.opts.get("rules") or [])
        self.conversions = set(_as_list(self.opts.get("conversion_events", ["purchase"])))
        self.journey = self.opts.get("journey", "session")
        if self.journey not in ("session", "user"):
            raise ConfigError(f"source '{self.source.file}': `journey` must be session or user", file=self.cfg.path,
                              hint="journey: session   # one journey per GA4 session (default)")
        self.customer = self.opts.get("customer", "user_pseudo_id")
        if self.customer not in ("user_pseudo_id", "user_id"):
            raise ConfigError(f"source '{self.source.file}': `customer` must be user_pseudo_id or user_id",
                              file=self.cfg.path, hint="customer: user_pseudo_id")
        if "segment_property" in self.opts:
            self.produces = self.produces + ("segment",)
        self._user_of: dict[str, str] = {}  # user_pseudo_id -> the first user_id it signed in as

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
                raise ConfigError(f"{where}: give at least one of event, source, medium, page", file=self.cfg.path)
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
                        "page": page})
        return out

    def bind(self, columns: list[str]) -> None:
        by_norm = {_norm(c): c for c in columns}
        self.fields: dict[str, str] = {}
        for logical, names in FIELDS.items():
            explicit = self.source.columns.get(logical)
            for name in ([explicit] if explicit else names):
                hit = name if name in columns else by_norm.get(_norm(name))
                if hit is not None:
                    self.fields[logical] = hit
                    break
            else:
                if explicit:
                    raise SchemaError(f"the column '{explicit}' (mapped to '{logical}') is not in the file",
                                      file=self.label, row=1, column=explicit,
                                      hint=f"the file has the columns: {_list(columns)}")
        self.params = by_norm.get("eventparams")
        self.user_props = by_norm.get("userproperties")
        missing = [f for f in REQUIRED if f not in self.fields]
        if missing:
            raise SchemaError(
                f"not a GA4 events export: missing {', '.join(missing)}", file=self.label, row=1, column=missing[0],
                hint=f"export the events_* tables with their GA4 field names, or map them with `columns:`; "
                     f"the file has: {_list(columns)}")
        for canon in ("segment", "variant"):
            if canon in self.source.columns:
                raw = self.source.columns[canon]
                if raw not in columns:
                    raise SchemaError(f"the column '{raw}' (mapped to '{canon}') is not in the file",
                                      file=self.label, row=1, column=raw)
                self.mapping[canon] = raw

    def _field(self, frame: pd.DataFrame, logical: str, param: str | None = None) -> pd.Series:
        if logical in self.fields:
            return frame[self.fields[logical]]
        if param and self.params:
            return pd.Series(_param(frame[self.params], param), index=frame.index, dtype=object)
        return pd.Series(None, index=frame.index, dtype=object)

    def records(self, chunk: RawChunk):
        raw = chunk.frame
        event = as_text(self._field(raw, "event_name"))
        micros = pd.to_numeric(as_text(self._field(raw, "event_timestamp")), errors="coerce")
        ok_ts = micros.notna() & (micros > 0) & (micros < 4.1e15)
        ts = pd.to_datetime(micros.where(ok_ts), unit="us").astype("datetime64[us]")
        pseudo = as_text(self._field(raw, "user_pseudo_id"))
        user = pseudo
        if self.customer == "user_id":
            signed = as_text(self._field(raw, "user_id"))
            user = signed.where(signed.notna(), pseudo)
        session = as_text(self._field(raw, "ga_session_id", "ga_session_id"))
        if self.journey == "session":
            # a GA4 session belongs to a device (user_pseudo_id): a login inside it does not start another one
            journey = pseudo + "." + session.fillna("0")
        elif self.customer == "user_id":
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
        page = as_text(self._field(raw, "page_location", "page_location")).fillna("")
        src = as_text(self._field(raw, "source")).fillna("").str.lower()
        med = as_text(self._field(raw, "medium")).fillna("").str.lower()
        ev_low = event.fillna("").str.lower()
        tp = pd.Series(None, index=raw.index, dtype=object)
        for rule in self.rules:
            open_ = tp.isna()
            if not open_.any():
                break
            m = open_.copy()
            if rule["event"]:
                m &= ev_low.isin(rule["event"])
            if rule["source"]:
                m &= src.isin(rule["source"])
            if rule["medium"]:
                m &= med.isin(rule["medium"])
            if rule["page"] is not None:
                with warnings.catch_warnings():  # groups in a user's pattern are fine here
                    warnings.simplefilter("ignore", UserWarning)
                    m &= page.str.contains(rule["page"], regex=True)
            tp[m] = rule["touchpoint"]
        tp = tp.where(tp.notna(), event.astype(object))
        converted = ev_low.isin(self.conversions)
        revenue_raw = self._field(raw, "purchase_revenue")
        revenue = pd.to_numeric(as_text(revenue_raw), errors="coerce")
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
            key = str(self.opts["segment_property"])
            seg = pd.Series(None, index=raw.index, dtype=object)
            for col in (self.user_props, self.params):
                if col:
                    found = pd.Series(_param(raw[col], key), index=raw.index, dtype=object)
                    seg = seg.where(seg.notna(), found)
            frame["segment"] = seg
        reason = pd.Series(None, index=raw.index, dtype=object)
        ts_text = as_text(self._field(raw, "event_timestamp"))
        bad_ts = ts_text.notna() & ~ok_ts
        reason[bad_ts] = "event_timestamp: cannot read " + ts_text[bad_ts].map(repr) + \
            " as microseconds since 1970 (UTC)"
        bad_rev = converted & as_text(revenue_raw).notna() & revenue.isna()
        reason[bad_rev] = "purchase_revenue: cannot read " + as_text(revenue_raw)[bad_rev].map(repr) + " as a number"
        frame["_reject"] = reason
        return frame, chunk.rows

    def output_columns(self) -> list[str]:
        have = set(self.produces) | set(self.mapping)
        return [c for c in columns_for("events") if c in have]
