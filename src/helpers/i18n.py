"""The report's language: message catalogs (gettext through Babel) and the active locale.

Every word a report shows goes through :func:`_` (or :func:`ngettext` for plurals); the
catalogs are ``helpers/locale/<lang>/LC_MESSAGES/tpkit.po``, read once per process and
compiled in memory, so the ``.po`` files are the only source. English is the source
language: its catalog is empty and every message is shown as written.

>>> i18n.activate("da")
>>> i18n._("Top findings")
'Vigtigste resultater'
>>> i18n.ngettext("{n} touchpoint", "{n} touchpoints", 3).format(n=3)
'3 kontaktpunkter'

Numbers follow the active language too: :mod:`helpers.kpis` formats with
:func:`locale` when no locale is given.
"""

from __future__ import annotations

import io
import threading
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from helpers.errors import ConfigError

LANGUAGES = ("en", "da", "sv", "nb")
NAMES = {"en": "English", "da": "Dansk", "sv": "Svenska", "nb": "Norsk bokmål"}
DOMAIN = "tpkit"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_state = threading.local()


def check(language: str | None, where: str = "language") -> str:
    """``language`` as one of :data:`LANGUAGES` (``""``/None -> "en"); a clear error otherwise."""
    lang = (language or "en").strip().lower().replace("_", "-")
    lang = {"no": "nb", "nb-no": "nb", "da-dk": "da", "sv-se": "sv", "en-gb": "en", "en-us": "en"}.get(lang, lang)
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown {where} '{language}'",
                          hint=f"use one of {', '.join(LANGUAGES)} (da Danish, sv Swedish, nb Norwegian Bokmål)")
    return lang


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """The compiled catalog of ``language`` (English: no translation)."""
    language = check(language)
    path = catalog_path(language)
    if language == "en" or not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def activate(language: str | None) -> str:
    """Make ``language`` the active one in this thread (and return it, checked)."""
    _state.language = check(language)
    return _state.language


def active() -> str:
    return getattr(_state, "language", "en")


def locale() -> str:
    """The Babel locale of the active language."""
    return active()


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Run a block in ``language`` and restore the previous one afterwards."""
    before = active()
    try:
        yield activate(language)
    finally:
        _state.language = before


def _(message: str) -> str:
    """``message`` in the active language."""
    return translations(active()).gettext(message)


gettext = _


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the active language (its own plural rule)."""
    return translations(active()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the active language, told apart from the same words in another ``context``."""
    return translations(active()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; :func:`_` translates it where it is shown."""
    return message


def fmt_date(day, language: str | None = None, form: str = "long") -> str:
    """A date as the language writes it: "1 July 2026", "1. juli 2026", "1 juli 2026"."""
    lang = check(language) if language else active()
    # British English writes the day first, as the reports always have ("1 July 2026")
    return format_date(day, format=form, locale=Locale.parse("en_GB" if lang == "en" else lang))
