"""Personal data: keyed pseudonyms for customer identifiers, masks for free text.

Customer identifiers are replaced by ``HMAC-SHA256(key, id)`` in hex, first 16
characters: stable for one key (so orders, events and feedback of one customer
still join), not reversible without the key. The key comes from

1. the environment variable ``TPKIT_KEY`` (any text), else
2. the key file ``$TPKIT_KEY_FILE`` (default ``~/.config/tpkit/key``), created
   with a random key on first use (mode 0600), outside the repository.

E-mail addresses, phone numbers and national identity numbers (Danish CPR,
Swedish personnummer, Norwegian fødselsnummer) in free text (comments, review
texts, titles, replies) become ``[email]``, ``[phone]`` and ``[id]``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from helpers.errors import ConfigError

KEY_ENV = "TPKIT_KEY"
KEY_FILE_ENV = "TPKIT_KEY_FILE"
DEFAULT_KEY_FILE = Path("~/.config/tpkit/key")
HASH_CHARS = 16

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
ID_MASK = "[id]"

#: free-text columns that are masked in every canonical table
TEXT_COLUMNS = ("comment", "text", "title", "reply")

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|\s*\(at\)\s*|\s*\[at\]\s*)"
                    r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Phone numbers: an optional +CC or 00CC country prefix, then 7 to 12 digits in groups separated by
# spaces, dots, dashes or slashes (Danish "12 34 56 78", Norwegian "123 45 678", Swedish "070-123 45 67",
# "08-123 456 78", international "+46 70 123 45 67", "(0)20 7946 0958", "0045 1234 5678").
_PHONE = re.compile(
    r"(?<![\w@.\-/])"
    r"(?:(?:\+|00)\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?)?"
    r"\(?\d{1,4}\)?(?:[\s.\-/]?\d{1,4}){1,5}"
    r"(?![\w@\-/])"
)
_DIGITS = re.compile(r"\d")
# national identity numbers: Danish CPR (ddmmyy-xxxx), Swedish personnummer ((yy)yymmdd-xxxx, '+' past 100),
# Norwegian fødselsnummer (11 digits)
_NATIONAL_ID = re.compile(r"(?<![\w\-])(?:(?:19|20)?\d{6}[-+]?\d{4}|\d{11})(?![\w\-])")


def key_file_path() -> Path:
    return Path(os.environ.get(KEY_FILE_ENV) or DEFAULT_KEY_FILE).expanduser()


def load_key() -> bytes:
    """The pseudonymisation key: ``$TPKIT_KEY`` or the key file (created on first use)."""
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_file_path()
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            if not text:
                raise ConfigError("the pseudonymisation key file is empty", file=path,
                                  hint=f"delete it to have a new key created, or set {KEY_ENV}")
            return text.encode("utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    except FileExistsError:  # created by a parallel run a moment ago
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read or create the pseudonymisation key file: {exc.strerror}", file=path,
                          hint=f"set {KEY_ENV} to a secret text, or {KEY_FILE_ENV} to a writable path") from None


def pseudonym(value: str, key: bytes) -> str:
    """The keyed hash of one identifier (surrounding spaces ignored)."""
    return hmac.new(key, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]


class Pseudonymiser:
    """Vectorised keyed hashing: ``HMAC-SHA256(key, id)``, hex, first 16 characters.

    Values are dictionary-encoded with Arrow so each distinct id of a chunk is hashed once, and the
    HMAC inner and outer states are computed once per key (RFC 2104), which halves the cost per id.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key if key is not None else load_key()
        k = self.key if len(self.key) <= 64 else hashlib.sha256(self.key).digest()
        k = k.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in k))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in k))

    def hash_bytes(self, values: list[bytes]) -> list[str]:
        inner, outer = self._inner.copy, self._outer.copy
        n = HASH_CHARS // 2
        out = []
        for v in values:
            i = inner()
            i.update(v)
            o = outer()
            o.update(i.digest())
            out.append(o.digest()[:n].hex())
        return out

    def __call__(self, series: pd.Series) -> pd.Series:
        """Pseudonyms of a text column (missing and blank values stay missing)."""

        if series.isna().all():
            return pd.Series(np.nan, index=series.index, dtype="str")
        if not (pd.api.types.is_string_dtype(series) and series.dtype != object):
            series = series.astype("str")
        encoded = pc.dictionary_encode(pa.array(series, from_pandas=True))
        # surrounding spaces do not make another customer; a blank id is a missing one
        uniques = pc.utf8_trim_whitespace(encoded.dictionary).cast(pa.large_binary()).to_pylist()
        hashed = self.hash_bytes(uniques)
        hashed = pa.array([h if u else None for u, h in zip(uniques, hashed)], type=pa.large_string())
        return pd.Series(pd.array(pc.take(hashed, encoded.indices), dtype="str"), index=series.index)


def _phone_sub(match: re.Match) -> str:
    text = match.group(0)
    digits = len(_DIGITS.findall(text))
    # 7-15 digits and not a plain year, date or amount: "2026", "12.05.2026" and "1.234,50" are kept
    if digits < 7 or digits > 15:
        return text
    if _looks_like_date(text) or _AMOUNT.fullmatch(text):
        return text
    return PHONE_MASK


# amounts such as 310000.0, 1.234.567 or 1.234.567,50 are not phone numbers
_AMOUNT = re.compile(r"\d+[.,]\d{1,2}|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")


# a date, optionally followed by a time; the phone pattern stops at ':', so "10:00" arrives as "10"
_DATE = re.compile(
    r"(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})([./\-])(\d{1,2})\5(\d{2}|\d{4}))"
    r"(?:[\sT]+(\d{1,2})(?:[.:](\d{2})){0,2})?"
)
# Danish numbers written in pairs with one separator ("20.12.34.56", "31-12-20-25") are phone numbers even
# when the first three pairs look like a date
_PAIRS = re.compile(r"\d{2}([.\-])\d{2}\1\d{2}\1\d{2}")


def _looks_like_date(text: str) -> bool:
    """The whole candidate is a date (optionally followed by a time) such as 2026-05-01 10:00 or 01.05.2026."""
    if _PAIRS.fullmatch(text):
        return False
    m = _DATE.fullmatch(text)
    if not m:
        return False
    if m.group(1):
        month, day = int(m.group(2)), int(m.group(3))
    else:
        day, month = int(m.group(4)), int(m.group(6))
    if m.group(8) is not None and int(m.group(8)) > 23:
        return False
    return 1 <= month <= 12 and 1 <= day <= 31


def mask_text(text):
    """Mask e-mail addresses and phone numbers in one text (None stays None)."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return text
    text = str(text)
    if "@" in text or "(at)" in text or "[at]" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if _DIGITS.search(text):
        text = _NATIONAL_ID.sub(_id_sub, text)
        text = _PHONE.sub(_phone_sub, text)
    return text


def _id_sub(match: re.Match) -> str:
    digits = "".join(_DIGITS.findall(match.group(0)))
    day, month = int(digits[-10:-8]), int(digits[-8:-6])
    if len(digits) == 11:  # Norwegian: ddmmyy + 5
        day, month = int(digits[:2]), int(digits[2:4])
    elif len(digits) == 12:  # Swedish long form: yyyymmdd + 4
        day, month = int(digits[6:8]), int(digits[4:6])
    elif len(digits) == 10 and "-" not in match.group(0) and "+" not in match.group(0):
        return match.group(0)  # ten plain digits: left to the phone rule
    else:  # ddmmyy-xxxx (Danish) or yymmdd-xxxx (Swedish)
        dk = 1 <= int(digits[:2]) <= 31 and 1 <= int(digits[2:4]) <= 12
        se = 1 <= int(digits[4:6]) <= 31 and 1 <= int(digits[2:4]) <= 12
        return ID_MASK if dk or se else match.group(0)
    return ID_MASK if 1 <= day <= 31 and 1 <= month <= 12 else match.group(0)


def mask_series(series: pd.Series) -> pd.Series:
    present = series.notna()
    if not present.any():
        return series
    out = series.astype(object).copy()
    out[present] = [mask_text(v) for v in series[present]]
    return out.astype("str") if pd.api.types.is_string_dtype(series) and series.dtype != object else out


def contains_personal_data(text: str) -> bool:
    """True when ``text`` still holds something that looks like an e-mail address or a phone number."""
    return mask_text(text) != text
