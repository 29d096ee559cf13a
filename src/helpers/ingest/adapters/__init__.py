"""Adapters and tool presets: every kind of raw export the kit reads, in two explicit registries.

``adapters`` holds the adapter families, chosen with ``adapter:`` in a source:

============  ==========  ===================================================  ======================
name          table       reads                                                module
============  ==========  ===================================================  ======================
canonical     any         files already in the canonical shape                 :mod:`.base`
survey        feedback    survey responses, long or wide                       :mod:`.survey`
reviews       reviews     review-site exports (stars, title, text)             :mod:`.reviews`
crm           orders      CRM and shop order exports                           :mod:`.crm`
coding        feedback    interview and observation coding sheets              :mod:`.coding`
ga4           events      GA4 BigQuery ``events_*`` exports                    :mod:`.ga4`
============  ==========  ===================================================  ======================

``tools`` holds the tool presets, chosen with ``tool:`` in a source (``tool: qualtrics``) and found by
``tpkit add-source`` (:func:`helpers.ingest.detect.detect`), which asks every registered preset.

Both are filled here, explicitly, when the package is imported: a registry is never empty and no
module registers itself as a side effect of being imported somewhere else.

Writing a tool preset
---------------------
One module per family of tools (``survey.py``: Qualtrics, SurveyMonkey, ...; ``commerce.py``: Shopify,
WooCommerce; ``reviews.py``: Trustpilot, Google reviews; ``support.py``: Zendesk, Freshdesk; ``ga4.py``).
A preset is a class deriving from :class:`~.base.ToolPreset` and from the adapter of its family::

    class ShopifyOrders(ToolPreset, CrmAdapter):
        name = tool = "shopify"               # `tool: shopify`; also the adapter name in the manifest
        tables = ("orders",)                  # tables it can feed; the first is the default
        summary = "Shopify orders export (Orders > Export, CSV)"

        @classmethod
        def detect(cls, sample: Sample) -> Detection | None:
            if not sample.has("Name", "Financial Status", "Lineitem name"):
                return None
            return Detection("shopify", "orders", 0.9, ["columns Name, Financial Status, Lineitem name"])

        def open(self) -> Reader: ...          # optional: header rows, skipped rows (see survey presets)
        def bind(self, columns): ...           # raw column of each canonical column (self.mapping)
        def records(self, chunk): ...          # (frame with canonical names and raw values, file rows)
        def finish(self): ...                  # records held back to the end of the file, or None

and one line in :func:`_register_builtins` below (``tools.register("shopify", ShopifyOrders)``).

The contract:

- ``detect(sample)`` gets a :class:`~.base.Sample` (columns, first rows as text, JSON records) and returns
  a :class:`~.base.Detection` (tool, table, score 0..1, evidence, source options the file decides such as
  ``{"header_rows": 3}``) or None. It never raises and reads nothing else. Score >= 0.8 means the tool's
  distinctive columns are there; 0.5 a plausible guess; the best score wins, ``generic`` scores 0.1.
- ``records(chunk)`` returns canonical column names holding raw values (conversion to UTC, numbers,
  pseudonyms and validation happen in :mod:`helpers.ingest.core`) and the 1-based file row of each record.
  A text column ``_reject`` rejects a record with that reason ("excluded: preview response" for records
  that must not count: they are counted in the summary, never silently dropped).
- ``finish()`` returns the records held back when several raw rows make one record and a record may span
  two chunks (a Shopify order's line items): keep the last incomplete group in ``records``, return it here.
- ``self.notes`` (shown in ingest's summary) and ``self.warnings`` (also in the manifest's ``warnings``)
  are lists of sentences for the analyst.
- Options a preset reads are listed in ``options`` (unknown options are configuration errors).
- A preset must follow the tool's documented export format, not one sample file.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Generic, TypeVar

from helpers.config import ClientConfig, SourceMapping
from helpers.errors import ConfigError
from helpers.ingest.adapters.base import Adapter, Detection, Sample, ToolPreset, stable_id
from helpers.ingest.adapters.coding import CodingAdapter
from helpers.ingest.adapters.commerce import ShopifyOrders, WooCommerceOrders
from helpers.ingest.adapters.crm import CrmAdapter
from helpers.ingest.adapters.ga4 import Ga4Adapter
from helpers.ingest.adapters.reviews import GoogleReviews, ReviewsAdapter, TrustpilotReviews, parse_stars
from helpers.ingest.adapters.support import FreshdeskTickets, ZendeskTickets
from helpers.ingest.adapters.survey import (
    GenericSurvey,
    GoogleFormsResponses,
    MicrosoftFormsResponses,
    QualtricsResponses,
    SurveyAdapter,
    SurveyMonkeyResponses,
    TypeformResponses,
)

T = TypeVar("T")


def did_you_mean(word: str, choices) -> str:
    """ " (did you mean 'qualtrics'?)" for a near miss, else ""."""
    close = difflib.get_close_matches(str(word).lower(), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Registry(Generic[T]):
    """Named entries, registered explicitly (papermill's engine registry is the model)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "adapter" or "tool": the client.yml key, for messages
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T) -> None:
        if name in self._entries and self._entries[name] is not entry:
            raise ValueError(f"{self.kind} '{name}' is registered twice")
        self._entries[name] = entry

    def get(self, name: str, *, file=None) -> T:
        """The entry called ``name``; a :class:`ConfigError` naming the choices when there is none."""
        try:
            return self._entries[name]
        except KeyError:
            raise ConfigError(f"unknown {self.kind} '{name}'{did_you_mean(name, self._entries)}", file=file,
                              hint=f"`{self.kind}:` is one of {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries


adapters: Registry[type[Adapter]] = Registry("adapter")
tools: Registry[type[ToolPreset]] = Registry("tool")


def _register_builtins() -> None:
    adapters.register("canonical", Adapter)
    adapters.register("survey", SurveyAdapter)
    adapters.register("reviews", ReviewsAdapter)
    adapters.register("crm", CrmAdapter)
    adapters.register("coding", CodingAdapter)
    adapters.register("ga4", Ga4Adapter)
    # tool presets of shops, review sites, helpdesks and GA4 (adapters/commerce.py, reviews.py, support.py, ga4.py)
    tools.register("ga4", Ga4Adapter)
    tools.register("shopify", ShopifyOrders)
    tools.register("woocommerce", WooCommerceOrders)
    tools.register("trustpilot", TrustpilotReviews)
    tools.register("google-reviews", GoogleReviews)
    tools.register("zendesk", ZendeskTickets)
    tools.register("freshdesk", FreshdeskTickets)
    # survey tool presets (adapters/survey.py)
    tools.register("qualtrics", QualtricsResponses)
    tools.register("surveymonkey", SurveyMonkeyResponses)
    tools.register("typeform", TypeformResponses)
    tools.register("google-forms", GoogleFormsResponses)
    tools.register("microsoft-forms", MicrosoftFormsResponses)
    tools.register("generic", GenericSurvey)


_register_builtins()


def adapter_for(source: SourceMapping, cfg: ClientConfig, path: Path, label: str) -> Adapter:
    """The adapter of one file of ``source``: its tool preset when ``tool:`` is given, else its adapter."""
    tool = getattr(source, "tool", None)
    if tool:
        cls: type[Adapter] = tools.get(tool, file=cfg.path)
    else:
        cls = adapters.get(source.adapter, file=cfg.path)
    return cls(source, cfg, path, label)


__all__ = ["Adapter", "CodingAdapter", "CrmAdapter", "Detection", "Ga4Adapter", "Registry", "ReviewsAdapter",
           "Sample", "SurveyAdapter", "ToolPreset", "adapter_for", "adapters", "did_you_mean", "parse_stars",
           "stable_id", "tools"]
