"""helpers.i18n: languages, catalogs with plural forms, the active language per thread, dates."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from helpers import i18n
from helpers.errors import ConfigError

PO = r'''msgid ""
msgstr ""
"Language: da\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "Top findings"
msgstr "Vigtigste resultater"

msgid "{n} touchpoint"
msgid_plural "{n} touchpoints"
msgstr[0] "{n} kontaktpunkt"
msgstr[1] "{n} kontaktpunkter"

#, fuzzy
msgid "Draft"
msgstr "Kladde"
'''


@pytest.fixture
def danish(tmp_path, monkeypatch):
    folder = tmp_path / "da" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "tpkit.po").write_text(PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


def test_messages_and_plural_forms_from_the_catalog(danish):
    with i18n.using("da"):
        assert i18n._("Top findings") == "Vigtigste resultater"
        assert i18n.ngettext("{n} touchpoint", "{n} touchpoints", 1).format(n=1) == "1 kontaktpunkt"
        assert i18n.ngettext("{n} touchpoint", "{n} touchpoints", 4).format(n=4) == "4 kontaktpunkter"
        assert i18n._("Draft") == "Draft"  # a fuzzy translation is not used
        assert i18n._("Not in the catalog") == "Not in the catalog"
    assert i18n._("Top findings") == "Top findings"


def test_languages_are_checked_and_common_spellings_accepted():
    assert i18n.check(None) == "en" and i18n.check("NB") == "nb" and i18n.check("no") == "nb"
    assert i18n.check("da_DK") == "da"
    with pytest.raises(ConfigError, match="unknown language 'de'"):
        i18n.check("de")


def test_the_active_language_belongs_to_one_thread():
    seen = {}
    with i18n.using("sv"):
        t = threading.Thread(target=lambda: seen.setdefault("other", i18n.active()))
        t.start()
        t.join()
        assert i18n.active() == "sv"
    assert seen["other"] == "en" and i18n.active() == "en"


@pytest.mark.parametrize("lang, text", [("en", "1 July 2026"), ("da", "1. juli 2026"), ("sv", "1 juli 2026"),
                                        ("nb", "1. juli 2026")])
def test_dates_as_each_language_writes_them(lang, text):
    assert i18n.fmt_date(dt.date(2026, 7, 1), lang) == text


def test_catalog_files_keep_no_stale_previous_msgids(tmp_path):
    # a translated message must not carry the "#| msgid" of the text it replaced: nothing for a translator to do
    from babel.messages.catalog import Catalog

    from helpers import catalogs

    cat = Catalog(locale="da")
    cat.add("new text", "ny tekst", previous_id="old text", user_comments=["| msgid \"old text\"", "keep me"])
    cat.add("open", "", previous_id="opened", flags=["fuzzy"])
    path = tmp_path / "x.po"
    catalogs._write(path, cat)
    text = path.read_text(encoding="utf-8")
    assert '"old text"' not in text and "keep me" in text
    assert '#| msgid "opened"' in text  # a fuzzy message keeps its previous text for the translator
    assert not [line for line in text.splitlines() if line.startswith("# |")]
