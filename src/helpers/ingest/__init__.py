"""Ingest: raw exports of a client -> canonical Parquet tables, rejects and a manifest.

>>> result = ingest_client("nordlys")          # writes data/nordlys/processed/ and rejects/
>>> print(result.format())
>>> load_manifest("nordlys")["tables"]

``tpkit validate CLIENT`` is ``ingest_client(CLIENT, dry_run=True)``: it reports
what would be accepted and rejected, and why, and writes nothing.

Modules: :mod:`.core` (the pipeline and accounting), :mod:`.readers` (CSV,
Excel, Parquet, JSON; encoding and delimiter detection), :mod:`.convert`
(time zones, decimal commas, date forms), :mod:`.privacy` (keyed hashing,
masking), :mod:`.adapters` (a package: the adapter interface, the tool-preset
interface and the two registries ``adapters`` and ``tools``; one module per
family: survey tools, review sites, CRM/shop orders, coding sheets, GA4).
"""

from helpers.ingest.core import (
    MANIFEST,
    FileReport,
    IngestResult,
    arrow_schema,
    ingest_client,
    load_manifest,
)
from helpers.ingest.privacy import load_key, mask_text, pseudonym

__all__ = [
    "MANIFEST",
    "FileReport",
    "IngestResult",
    "arrow_schema",
    "ingest_client",
    "load_key",
    "load_manifest",
    "mask_text",
    "pseudonym",
]
