"""The language catalogs (chalicelib/locales) against the sources: every message the code and
templates mark is in every catalog, the translated ones are complete and keep their {fields},
and the compiled .mo files the Lambda reads are not older than the .po files they come from.

The messages are extracted as `make messages` does, with Babel's API and babel.cfg."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from chalicelib.domain import language

ROOT = Path(__file__).resolve().parents[2]
CATALOG_FILES = sorted(language.CATALOGS.glob(f"*/LC_MESSAGES/{language.DOMAIN}.po"))
FIELD = re.compile(r"\{(\w+)\}")  # what page.message and the scripts' say() fill


def code_of(po: Path) -> str:
    return po.parents[1].name


@cache
def extracted() -> dict[str, list[str]]:
    """Every message id the sources mark, with where it is marked."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict[str, list[str]] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            found.setdefault(msgid, []).append(f"{filename}:{line}")
    return found


@cache
def catalog(po: Path) -> Catalog:
    with po.open("rb") as read:
        return read_po(read)


def entries(po: Path) -> list:
    return [message for message in catalog(po) if message.id]


def test_there_is_a_catalog_besides_english():
    """The checks below look at something: the Dutch catalog is found where they read."""
    assert {code_of(po) for po in CATALOG_FILES} >= {language.DEFAULT, "nl"}
    assert len(extracted()) > 100, "babel.cfg found almost nothing to extract"


@pytest.mark.parametrize("po", CATALOG_FILES, ids=code_of)
def test_every_message_the_sources_mark_is_in_the_catalog(po):
    """A sentence added to the code or a template without `make messages` would be shown in
    English on a Dutch page; this names it and where it is."""
    known = {message.id for message in entries(po)}
    missing = {msgid: places for msgid, places in extracted().items() if msgid not in known}
    assert not missing, f"run `make messages` and translate: {missing}"


@pytest.mark.parametrize(
    "po", [po for po in CATALOG_FILES if code_of(po) != language.DEFAULT], ids=code_of
)
def test_a_translated_catalog_has_no_empty_or_fuzzy_translation(po):
    """gettext shows the English for an empty translation and `make catalogs` leaves fuzzy
    ones out: either way a page in this language would switch language mid-sentence."""
    empty = [message.id for message in entries(po) if not message.string]
    fuzzy = [message.id for message in entries(po) if message.fuzzy]
    assert not empty, f"not translated in {po}: {empty}"
    assert not fuzzy, f"fuzzy in {po} (check, then remove the flag): {fuzzy}"


@pytest.mark.parametrize("po", CATALOG_FILES, ids=code_of)
def test_each_translation_keeps_exactly_the_fields_of_its_message(po):
    """A {field} the translation drops loses a value (the number to type, the seconds left);
    one it misspells is shown to the person as "{aantal}" instead of a value."""
    wrong = {
        message.id: message.string
        for message in entries(po)
        if message.string and set(FIELD.findall(message.string)) != set(FIELD.findall(message.id))
    }
    assert not wrong, f"fields differ in {po}: {wrong}"


@pytest.mark.parametrize("po", CATALOG_FILES, ids=code_of)
def test_the_compiled_catalog_is_not_older_than_its_source(po):
    """The Lambda and the demo read the .mo files: a .po changed without `make catalogs`
    would pass review and still show the old words."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make catalogs`"
    assert mo.stat().st_mtime >= po.stat().st_mtime, f"{mo} is older than {po}: make catalogs"
