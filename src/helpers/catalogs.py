"""Keep the message catalogs in step with the code: extract every message, update each language's ``.po``.

    python -m helpers.catalogs            # write helpers/locale/tpkit.pot and update da, sv, nb
    python -m helpers.catalogs --check    # exit 1 naming every message without a translation

Messages are the literal arguments of ``_``, ``N_``, ``ngettext`` and ``pgettext`` in
``src/helpers`` and the text of every markdown cell of the report notebooks (the renderer
translates those cells whole). Comments starting ``# Translators:`` reach the translator.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import io
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from helpers import i18n

PACKAGE = Path(__file__).resolve().parent
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
POT = i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot"
EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


#: keyword arguments of a notebook's calls whose literal text the report shows (translated where shown)
SHOWN_KEYWORDS = ("caption", "empty", "title")


def _code_messages(source: str) -> list[str]:
    """Literal ``caption=``, ``empty=`` and ``title=`` texts of the calls in one code cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
            if kw.arg in SHOWN_KEYWORDS and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)]


def notebook_messages(folder: Path) -> list[tuple[str, str]]:
    """``(location, text)`` of every markdown cell and every shown literal of the code cells in ``folder``."""
    out = []
    for nb in sorted(folder.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            text = "".join(cell.get("source", []))
            if cell.get("cell_type") == "markdown" and text.strip():
                out.append((f"notebooks/{nb.name}:{i}", text))
            elif cell.get("cell_type") == "code":
                out += [(f"notebooks/{nb.name}:{i}", m) for m in _code_messages(text) if m.strip()]
    return out


def extract(notebooks: Path | None = None) -> Catalog:
    """Every message of the code and the report notebooks, as one template catalog."""
    cat = _new_catalog(None)
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True):
        if "/demo/" in f"/{filename}":
            continue
        cat.add(message, locations=[(f"src/helpers/{filename}", lineno)], auto_comments=comments, context=context)
    from helpers.report.provenance import NOTEBOOK_DIR

    for where, text in notebook_messages(notebooks or NOTEBOOK_DIR):
        cat.add(text, locations=[(where.split(":")[0], int(where.split(":")[1]))])
    return cat


def _new_catalog(language: str | None) -> Catalog:
    # fixed header fields, so that a catalog changes only when its messages do
    return Catalog(locale=language, domain=i18n.DOMAIN, project="tpkit", version=None,
                   copyright_holder="tpkit contributors", msgid_bugs_address="", last_translator="tpkit translators",
                   language_team=f"{i18n.NAMES.get(language or 'en')}", creation_date=EPOCH, revision_date=EPOCH,
                   header_comment=f"# {i18n.NAMES.get(language or 'en', 'Template')} messages of the tpkit reports.",
                   charset="utf-8", fuzzy=False)


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=language, domain=i18n.DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for message in catalog:
        if not message.fuzzy:
            message.previous_id = []
        # a wrapped "#| msgid" comes back from read_po as a translator comment "| ..."; never keep those
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
    buf = io.BytesIO()
    write_po(buf, catalog, width=116, omit_header=False, sort_output=False, include_previous=True)
    path.write_bytes(buf.getvalue())


def update(template: Catalog) -> dict[str, int]:
    """Write the template and merge it into each language's catalog; returns untranslated counts."""
    _write(POT, template)
    missing = {}
    for lang in i18n.LANGUAGES:
        if lang == "en":
            continue
        path = i18n.catalog_path(lang)
        cat = _read(path, lang) if path.is_file() else _new_catalog(lang)
        cat.update(template, update_header_comment=False, update_creation_date=False, no_fuzzy_matching=False)
        cat.obsolete.clear()
        _write(path, cat)
        missing[lang] = len(untranslated(cat))
    return missing


def untranslated(catalog: Catalog) -> list[str]:
    """Messages of ``catalog`` without a (non-fuzzy) translation."""
    out = []
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, (list, tuple)) else [m.string]
        if m.fuzzy or not all(strings):
            out.append(m.id if isinstance(m.id, str) else m.id[0])
    return out


def check(template: Catalog | None = None) -> dict[str, list[str]]:
    """Per language, the template's messages that its catalog lacks or leaves untranslated."""
    template = template or extract()
    problems = {}
    for lang in i18n.LANGUAGES:
        if lang == "en":
            continue
        path = i18n.catalog_path(lang)
        cat = _read(path, lang) if path.is_file() else Catalog(locale=lang)
        missing = [m.id if isinstance(m.id, str) else m.id[0] for m in template
                   if m.id and cat.get(m.id, context=m.context) is None]
        bad = missing + untranslated(cat)
        if bad:
            problems[lang] = bad
    return problems


def fill(language: str, translations: dict) -> int:
    """Put ``{msgid: translation}`` into ``language``'s catalog; returns how many messages got a translation.

    A plural message takes a list ``[one, other]`` under its singular msgid; a message with a
    context is keyed ``"context\x04msgid"`` (gettext's own convention). Keys the catalog does
    not hold are ignored, so a translation file may be ahead of or behind the code.
    """
    path = i18n.catalog_path(language)
    cat = _read(path, language)
    done = 0
    for message in cat:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        key = f"{message.context}\x04{msgid}" if message.context else msgid
        if key not in translations:
            continue
        value = translations[key]
        if isinstance(message.id, (list, tuple)):
            forms = list(value) if isinstance(value, (list, tuple)) else [value, value]
            message.string = tuple(forms[: cat.num_plurals] + forms[-1:] * (cat.num_plurals - len(forms)))
        else:
            message.string = value if isinstance(value, str) else value[0]
        message.flags.discard("fuzzy")
        done += 1
    _write(path, cat)
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="extract messages and update the catalogs")
    ap.add_argument("--check", action="store_true", help="only report messages without a translation")
    ap.add_argument("--fill", nargs=2, metavar=("LANG", "JSON"), help="take translations from a JSON file")
    args = ap.parse_args(argv)
    if args.fill:
        lang, source = i18n.check(args.fill[0]), Path(args.fill[1])
        n = fill(lang, json.loads(source.read_text(encoding="utf-8")))
        print(f"{lang}: {n} message(s) translated from {source}")
        return 0
    if args.check:
        problems = check()
        for lang, ids in problems.items():
            print(f"{lang}: {len(ids)} message(s) without a translation, e.g. {ids[0][:70]!r}")
        return 1 if problems else 0
    for lang, n in update(extract()).items():
        print(f"{lang}: {n} message(s) to translate in {i18n.catalog_path(lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
