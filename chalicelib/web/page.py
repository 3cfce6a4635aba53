"""The hosted sign-in page: HTML rendered from a template, static script and style.

No third-party assets, no inline script: the Content-Security-Policy allows only our own
files, so an injected tag cannot run.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

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
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@cache
def _template(name: str) -> str:
    return (HERE / name).read_text()


def render(name: str, **values: object) -> str:
    """Fill {{name}} placeholders, HTML-escaped. Nothing else is interpreted: one pass over
    the template, so a value that looks like a placeholder is shown as sent."""

    def fill(match: re.Match) -> str:
        if match[1] not in values:
            return match[0]
        value = values[match[1]]
        return html.escape("" if value is None else str(value))

    return _PLACEHOLDER.sub(fill, _template(name))


@cache
def _static_files() -> dict[str, tuple[str, str]]:
    """Every file under web/static, read once: a name that is not a key here is never looked
    up on disk (no path to resolve) nor remembered (no cache entry per name asked)."""
    return {
        path.name: (path.read_text(), STATIC_TYPES[path.suffix])
        for path in (HERE / "static").iterdir()
        if path.suffix in STATIC_TYPES and path.is_file()
    }


def static_file(name: str) -> tuple[str, str] | None:
    """(content, content type) of a file under web/static, or None."""
    return _static_files().get(name)
