"""The demo client's GA4 path: canonical demo events written as a GA4 BigQuery export.

:func:`write_ga4_sample` turns canonical-shaped raw events (such as the demo's
``raw/events.csv``) into a GA4-shaped export and returns the matching source
entry for client.yml; :func:`write_ga4_demo` makes ``data/<client>-ga4/``.
Demo code: the product (ingest, steps, report) never imports it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from helpers import paths
from helpers.config import load_client
from helpers.ingest.convert import parse_timestamps


def to_ga4(events: pd.DataFrame, timezone: str, site: str = "https://www.example.com") -> pd.DataFrame:
    """Canonical-shaped raw events (raw customer ids, local ``ts`` text) -> GA4 BigQuery export rows (nested)."""
    ts, bad = parse_timestamps(events["ts"], timezone)
    if bad.any():
        events, ts = events[~bad.to_numpy()], ts[~bad.to_numpy()]
    micros = ts.astype("datetime64[us]").astype("int64")
    conv = events["converted"].astype(str).str.strip().str.lower().isin(["true", "1", "yes"])
    codes, _ = pd.factorize(events["journey_id"].astype(str))
    session = 1_700_000_000 + codes
    tps = events["touchpoint_id"].astype(str)
    page = site.rstrip("/") + "/" + tps + "/"
    rev = pd.to_numeric(events.get("revenue"), errors="coerce")
    seg = events["segment"].astype(object) if "segment" in events else pd.Series(None, index=events.index)
    medium = np.where(tps.str.contains("ads"), "cpc", np.where(tps.str.contains("mail|newsletter"), "email",
                                                                "organic"))
    source = np.where(medium == "cpc", "google", np.where(medium == "email", "newsletter", "(direct)"))
    dates = ts.dt.strftime("%Y%m%d").tolist()
    rows = []
    for i, (u, t, d, ev_conv, s, p, r, sg, so, me) in enumerate(zip(
            events["customer_id"].astype(object), micros, dates, conv, session, page, rev, seg, source, medium)):
        rows.append({
            "event_date": d,
            "event_timestamp": int(t),
            "event_name": "purchase" if ev_conv else "page_view",
            "event_params": [
                {"key": "ga_session_id", "value": {"string_value": None, "int_value": int(s), "double_value": None}},
                {"key": "page_location", "value": {"string_value": p, "int_value": None, "double_value": None}},
            ],
            "user_pseudo_id": None if u is None or (isinstance(u, float) and np.isnan(u)) else str(u),
            "user_properties": [] if sg is None or (isinstance(sg, float) and np.isnan(sg)) else
            [{"key": "segment", "value": {"string_value": str(sg), "int_value": None, "double_value": None}}],
            "traffic_source": {"name": "(organic)", "medium": me, "source": so},
            "collected_traffic_source": {"manual_source": so, "manual_medium": me},
            "ecommerce": {"purchase_revenue": float(r) if ev_conv and pd.notna(r) else None,
                          "transaction_id": f"T{i}" if ev_conv else None},
        })
    return pd.DataFrame(rows)


def ga4_source(file: str, touchpoints: list[str]) -> dict:
    """The client.yml source entry that maps :func:`to_ga4` output back to the touchpoints."""
    rules = [{"touchpoint": tp, "page": f"/{re.escape(tp)}/$"} for tp in touchpoints]
    return {"table": "events", "file": file, "adapter": "ga4", "rules": rules, "segment_property": "segment"}


def write_ga4_sample(events_csv: str | Path, out_dir: str | Path, timezone: str, touchpoints: list[str],
                     fmt: str = "parquet", rows_per_file: int = 250_000, site: str = "https://www.example.com"
                     ) -> dict:
    """Write a GA4-shaped export of canonical raw events as ``out_dir/events_<n>.<fmt>``.

    ``events_csv`` is a canonical raw events file (such as the demo's ``raw/events.csv``). Returns the
    source entry for client.yml (``file`` relative to the client folder when ``out_dir`` is its ``raw/ga4``).
    The export ingests to the same canonical events (journey ids differ only by name).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = {"parquet": "parquet", "jsonl": "jsonl", "csv": "csv"}[fmt]
    for old in out_dir.glob(f"events_*.{suffix}"):
        old.unlink()
    reader = pd.read_csv(events_csv, dtype=str, keep_default_na=False, na_values=[""], chunksize=rows_per_file)
    for n, part in enumerate(reader):
        ga = to_ga4(part, timezone, site)
        path = out_dir / f"events_{n:04d}.{suffix}"
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pandas(ga, preserve_index=False), path)
        elif fmt == "jsonl":
            ga.to_json(path, orient="records", lines=True)
        else:  # flattened, as a BigQuery "export to CSV" of a query selecting the fields
            flat = pd.DataFrame({
                "event_date": ga["event_date"], "event_timestamp": ga["event_timestamp"],
                "event_name": ga["event_name"], "user_pseudo_id": ga["user_pseudo_id"],
                "ga_session_id": [p[0]["value"]["int_value"] for p in ga["event_params"]],
                "page_location": [p[1]["value"]["string_value"] for p in ga["event_params"]],
                "traffic_source_source": [t["source"] for t in ga["traffic_source"]],
                "traffic_source_medium": [t["medium"] for t in ga["traffic_source"]],
                "ecommerce_purchase_revenue": [e["purchase_revenue"] for e in ga["ecommerce"]],
            })
            flat.to_csv(path, index=False)
    try:
        rel = out_dir.relative_to(out_dir.parent.parent)
        pattern = f"{rel.as_posix()}/events_*.{suffix}"
    except ValueError:
        pattern = f"{out_dir.as_posix()}/events_*.{suffix}"
    return ga4_source(pattern, touchpoints)


def write_ga4_demo(root: str | Path | None = None, client: str = "nordlys", fmt: str = "parquet",
                   name: str | None = None) -> str:
    """The demo client's GA4 path: ``data/<client>-ga4/``, the same client whose events arrive as a GA4 export.

    Copies the client's client.yml and raw files, replaces ``raw/events.csv`` by a GA4-shaped export in
    ``raw/ga4/events_*.<fmt>`` (made by :func:`write_ga4_sample`) and points the events source at the
    ``ga4`` adapter with one page rule per catalogued touchpoint. ``tpkit ingest <client>-ga4`` then gives
    the same canonical events (events at touchpoints outside the catalogue keep their GA4 event name).
    Returns the new client's name.
    """
    cfg = load_client(client, root)
    name = name or f"{client}-ga4"
    src_dir = paths.client_dir(client, root)
    dst_dir = paths.client_dir(name, root)
    if dst_dir.exists():
        shutil.rmtree(dst_dir)
    (dst_dir / "raw").mkdir(parents=True)
    data = yaml.safe_load((src_dir / "client.yml").read_text(encoding="utf-8"))
    data["client_id"] = name
    data["name"] = f"{data.get('name', client)} (GA4 export)"
    sources = []
    for source in data.get("sources", []):
        if source["table"] == "events":
            entry = write_ga4_sample(src_dir / source["file"], dst_dir / "raw" / "ga4", cfg.timezone,
                                     cfg.touchpoint_ids, fmt=fmt)
            sources.append(entry)
        else:
            target = dst_dir / source["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_dir / source["file"], target)
            sources.append(source)
    data["sources"] = sources
    (dst_dir / "client.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return name
