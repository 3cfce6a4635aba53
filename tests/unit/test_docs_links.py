"""The docs point at files that are there: every relative link and image in README.md and
docs/*.md (the screenshots `make screenshots` writes, in each language and width, included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.domain import language

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_relative_links_and_images_exist(doc):
    missing = []
    for target in LINK.findall(doc.read_text()):
        if re.match(r"^[a-z]+:|^#", target):
            continue  # a web address or an anchor in the same page
        path = (doc.parent / target.split("#")[0]).resolve()
        if not path.exists():
            missing.append(target)
    assert missing == []


def test_the_screenshots_show_every_language_at_both_widths():
    shown = set(LINK.findall((ROOT / "docs" / "integrate.md").read_text()))
    for lang in language.available():
        for width in ("desktop", "phone"):
            for view in ("number-page", "phone-simulator"):
                assert f"images/{view}-{lang}-{width}.png" in shown
