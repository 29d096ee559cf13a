"""Helpers shared by the ingest tests: build a client folder, scan outputs for personal data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import yaml

EXPORTS = Path(__file__).parent / "data" / "exports"
BAD = Path(__file__).parent / "data" / "bad"

CATALOGUE = [
    {"id": "web", "name": "Website", "kind": "digital", "stage": "consideration"},
    {"id": "store", "name": "Store", "kind": "physical", "stage": "decision"},
    {"id": "survey", "name": "Feedback survey", "kind": "digital", "stage": "retention"},
]


def make_client(root: Path, name: str = "acme", sources=None, files: dict | None = None, **extra) -> Path:
    """data/<name>/ with raw files (text or bytes) and a client.yml listing ``sources``."""
    folder = root / "data" / name
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    for fname, content in (files or {}).items():
        path = folder / "raw" / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    cfg = {"name": name.title(), "timezone": "Europe/Copenhagen", "touchpoints": CATALOGUE, "sources": sources or []}
    cfg.update(extra)
    (folder / "client.yml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return folder


def copy_exports_client(root: Path, name: str = "nordhavn") -> Path:
    """The committed sample client (tests/data/exports) as data/<name>/ under ``root``."""
    folder = root / "data" / name
    shutil.copytree(EXPORTS / "raw", folder / "raw")
    shutil.copyfile(EXPORTS / "client.yml", folder / "client.yml")
    return folder


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def written_frames(client_dir: Path):
    """(path, DataFrame) of every table ingest wrote: processed/*.parquet and rejects/*.csv."""
    for folder in ("processed", "rejects"):
        for path in sorted((client_dir / folder).rglob("*")):
            if path.suffix == ".parquet":
                yield path, pd.read_parquet(path)
            elif path.suffix == ".csv":
                yield path, pd.read_csv(path, dtype=str)


_TOKEN = re.compile(r"[\w.\-]+")

#: phone numbers in the free text of the committed sample exports (tests/data/exports/make_exports.py
#: plants the first five), the acme test files and the demo clients, each with the digits of its national
#: part: the number must not appear in any written value with any separators between the digits
PLANTED_PHONES = {
    "20.12.34.56": "20123456",
    "31-12-20-25": "31122025",
    "+45 20123456": "20123456",
    "0046 70 123 45 67": "701234567",
    "+47 912 34 567": "91234567",
    "23 45 67 89": "23456789",
    "+45 40 12 34 56": "40123456",
    "70 20 30 40": "70203040",
    "12 34 56 78": "12345678",
    "41 23 45 67": "41234567",
}
#: e-mail addresses in the same files, as literal text
PLANTED_EMAILS = (
    "kari.nordmann@example.no", "kunde.service+ordre@example.com", "mette.larsen@example.dk",
    "service@nordhavn-cykler.dk", "kundeservice@nordhavn-cykler.dk", "anna.hansen@example.dk",
    "anna.jensen@example.dk", "lars.nielsen@example.dk", "peter.smith@example.com",
)


def _digits_pattern(digits: str) -> re.Pattern:
    """The digits in order with any spaces, dots, dashes, slashes or brackets between them, no digit around."""
    return re.compile(r"(?<!\d)" + r"[\s.\-/()]*".join(digits) + r"(?!\d)")


_PHONE_PATTERNS = {raw: _digits_pattern(d) for raw, d in PLANTED_PHONES.items()}


def assert_no_personal_data(client_dir: Path, raw_ids: set[str]) -> int:
    """No raw identifier, e-mail address or planted phone number in any table ingest wrote; returns values checked.

    Every distinct text value of every column is checked: not a raw id, no raw id inside it, no e-mail
    address (a generic pattern and the planted addresses literally), and none of the planted phone numbers
    in any formatting (the digits of its national part, whatever the separators). The check does not use
    the masker, so it also catches a format the masker misses.
    """
    checked = 0
    for path, frame in written_frames(client_dir):
        for col in frame.columns:
            if not (pd.api.types.is_string_dtype(frame[col]) or frame[col].dtype == object):
                continue
            for v in frame[col].dropna().astype(str).unique():
                checked += 1
                assert v not in raw_ids, (path, col, v)
                tokens = {t.strip(".-") for t in _TOKEN.findall(v)} | set(_TOKEN.findall(v))
                assert not tokens & raw_ids, (path, col, v)
                assert not _EMAIL.search(v), (path, col, v)
                low = v.lower()
                for email in PLANTED_EMAILS:
                    assert email not in low, (path, col, v, email)
                for raw, pattern in _PHONE_PATTERNS.items():
                    assert not pattern.search(v), (path, col, v, raw)
    assert checked > 0
    return checked
