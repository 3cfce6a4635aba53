"""Which language a person reads, and the words in it: gettext catalogs, one per language.

The catalogs are chalicelib/locales/<language>/LC_MESSAGES/messages.po, managed with Babel
(`make messages` extracts and updates them) and compiled to .mo files at build time (`make
catalogs`, which `make demo`, `make test` and `make package` run). The Lambda reads the .mo
files with the standard library's gettext; Babel itself is not shipped. A language is offered
when its compiled catalog is there, so adding a third is one new .po file.

Message ids are the English sentences; the English catalog leaves them as they are.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

CATALOGS = Path(__file__).resolve().parents[1] / "locales"
DOMAIN = "messages"
DEFAULT = "en"
# A language range in Accept-Language or a tag in ui_locales: "nl", "nl-NL", "*", with ;q=.
_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*\Z"
)
_MAX_RANGES = 16
# A language tag as a phone's system reports it ("nl-NL", "en", "zh-Hant-TW"): RFC 5646's
# shape, without wildcards or weights, and at most 35 characters, the size RFC 5646 4.4.1
# asks every implementation to hold.
TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
MAX_TAG = 35


def N_(message: str) -> str:
    """Marks a message for extraction (`make messages`); it is translated where it is shown."""
    return message


# TRANSLATORS: not a sentence: your language's name in itself ("Nederlands"), for the
# page's language switch.
LANGUAGE_NAME = N_("LANGUAGE_NAME")


@cache
def available() -> tuple[str, ...]:
    """The languages with a compiled catalog, the default first."""
    found = {path.parents[1].name for path in CATALOGS.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return tuple(sorted(found | {DEFAULT}, key=lambda code: (code != DEFAULT, code)))


@cache
def _translations(code: str) -> gettext.NullTranslations:
    try:
        return gettext.translation(DOMAIN, CATALOGS, languages=[code])
    except OSError:
        return gettext.NullTranslations()  # the default language needs no catalog


def translate(code: str, message: str) -> str:
    """The message in the language `code` (one of available()); English when not translated."""
    return _translations(code if code in available() else DEFAULT).gettext(message)


def name_of(code: str) -> str:
    """A language's name in itself, from its own catalog."""
    named = translate(code, LANGUAGE_NAME)
    return code if named == LANGUAGE_NAME else named


def supported(tag: object) -> str | None:
    """The offered language a tag names ("nl-BE" -> "nl"), or None."""
    if not isinstance(tag, str) or not _RANGE.match(tag) or tag.strip() == "*":
        return None
    primary = tag.strip().split("-")[0].lower()
    return primary if primary in available() else None


def negotiate(accept_language: str | None, ui_locales: str | None = None) -> str:
    """The language to show: the first offered one in the app's ui_locales (OpenID Connect
    Core 3.1.2.1, space-separated, in order of preference), else the browser's
    Accept-Language (RFC 9110 12.5.4, by q-value), else English. Written here rather than
    taken from Babel: the Lambda ships without Babel's 30 MB of locale data."""
    for tag in (ui_locales or "").split()[:_MAX_RANGES]:
        if found := supported(tag):
            return found
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:_MAX_RANGES]):
        match = _RANGE.match(part)
        if not match:
            continue
        try:
            weight = float(match[2]) if match[2] is not None else 1.0
        except ValueError:
            continue
        if 0 < weight <= 1:
            ranked.append((-weight, position, match[1]))
    for _, _, tag in sorted(ranked):
        if tag == "*":
            return DEFAULT
        if found := supported(tag):
            return found
    return DEFAULT
