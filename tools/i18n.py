"""Babel's extractor for the page templates' messages, {{_("...")}} (chalicelib/web/page.py).

babel.cfg names it; `make messages` runs the extraction and updates every catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from chalicelib.web.page import MESSAGE


def extract_html(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """(line, function, message, comments) for each {{_("...")}} in a template."""
    text = fileobj.read().decode("utf-8")
    for match in MESSAGE.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, "_", match[1].replace('\\"', '"'), []
