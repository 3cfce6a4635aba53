"""The hosted sign-in page: HTML rendered from a template, static script and style.

No third-party assets, no inline script: the Content-Security-Policy allows only our own
files, so an injected tag cannot run.

The script and style are served under names that carry a hash of their content
(signin.3f2a9c1b.js, written {{asset("signin.js")}} in a template) and cached for a year:
a browser that signed in before asks for none of them again, and a new version has a new
name. Inlining them would save the first visit's requests too, but would send them again in
every page (no-store, since a page carries its CSRF token) and need a hash of each in the
CSP, kept in step with every edit; a person signs in many times for each first visit. The
plain names (signin.js) stay served, cached briefly, for pages opened before a release.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from chalicelib.domain import language

HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# {{name}} is a value; {{_("An English sentence with {name}")}} a message, looked up in the
# language's catalog (domain/language.py), then its {name}s filled; {{asset("signin.js")}}
# the hashed name of a file under static/.
MESSAGE = re.compile(r'\{\{_\("((?:[^"\\]|\\.)*)"\)\}\}')
_ASSET = r'\{\{asset\("([\w.]+)"\)\}\}'
_PLACEHOLDER = re.compile(MESSAGE.pattern + r"|\{\{(\w+)\}\}|" + _ASSET)
_FIELD = re.compile(r"\{(\w+)\}")
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
IMMUTABLE = "public, max-age=31536000, immutable"  # a hashed name: its content never changes
SHORT = "public, max-age=300"  # a plain name: a release changes it


@cache
def _template(path: Path) -> str:
    return path.read_text()


def message(locale: str, text: str, values: Mapping[str, object]) -> str:
    """A message in the language, its {name} fields filled with values; HTML-escaped."""
    translated = language.translate(locale, text)
    return html.escape(_FIELD.sub(lambda field: _text(values.get(field[1], field[0])), translated))


def _text(value: object) -> str:
    return "" if value is None else str(value)


LANGUAGES_LABEL = language.N_("Language")


class Html(str):
    """Markup made here from escaped parts, inserted into a template as it is."""


def language_switch(locale: str, query: Mapping[str, str]) -> Html:
    """Links to this page in each other offered language (the same query, with the app's
    ui_locales replaced by the choice); each language named in itself."""
    links = []
    for code in language.available():
        name = html.escape(language.name_of(code))
        if code == locale:
            links.append(f'<span lang="{code}" aria-current="true">{name}</span>')
            continue
        href = html.escape("?" + urlencode({**query, "ui_locales": code}))
        links.append(f'<a href="{href}" lang="{code}" hreflang="{code}">{name}</a>')
    label = message(locale, LANGUAGES_LABEL, {})
    return Html(f'<nav class="languages" aria-label="{label}">{" ".join(links)}</nav>')


def render(name: str, locale: str = language.DEFAULT, **values: object) -> str:
    """Fill a template of this directory, HTML-escaped, in the language `locale`."""
    return render_file(HERE / name, locale, **values)


def render_file(path: Path, locale: str = language.DEFAULT, **values: object) -> str:
    """Fill the template at `path` (the demo's phone simulator keeps its own), HTML-escaped,
    in the language `locale`. Nothing else is interpreted: one pass over the template, so a
    value that looks like a placeholder is shown as sent."""

    def fill(match: re.Match) -> str:
        if match[1] is not None:
            return message(locale, match[1].replace('\\"', '"'), values)
        if match[3] is not None:
            return asset(match[3])
        if match[2] not in values:
            return match[0]
        value = values[match[2]]
        return value if isinstance(value, Html) else html.escape(_text(value))

    return _PLACEHOLDER.sub(fill, _template(path))


def hashed_name(name: str, content: str) -> str:
    """signin.js with this content: signin.<first 8 hex digits of its SHA-256>.js."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{hashlib.sha256(content.encode()).hexdigest()[:8]}{dot}{suffix}"


@cache
def _static_files() -> dict[str, tuple[str, str, str]]:
    """Every file under web/static, read once, by its plain and its hashed name: a name that
    is not a key here (a hash of other content too) is never looked up on disk (no path to
    resolve) nor remembered (no cache entry per name asked)."""
    files = {}
    for path in (HERE / "static").iterdir():
        if path.suffix in STATIC_TYPES and path.is_file():
            content = path.read_text()
            files[path.name] = (content, STATIC_TYPES[path.suffix], SHORT)
            files[hashed_name(path.name, content)] = (content, STATIC_TYPES[path.suffix], IMMUTABLE)
    return files


@cache
def asset(name: str) -> str:
    """The hashed name a template links to, for a file under web/static (KeyError for
    another: a template's mistake)."""
    return hashed_name(name, _static_files()[name][0])


def static_file(name: str) -> tuple[str, str, str] | None:
    """(content, content type, Cache-Control) of a file under web/static, or None."""
    return _static_files().get(name)
