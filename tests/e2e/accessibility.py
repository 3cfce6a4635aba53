"""axe-core, injected into a page in Chromium: every rule it runs by default (WCAG 2.x A and
AA, and its best practices), and no violation allowed.

axe-core comes from npm (package.json, pinned in package-lock.json; `make test` runs npm ci).
Playwright's evaluate runs it through the DevTools protocol, so the page's own
Content-Security-Policy (script-src 'self') stays as it is served.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@cache
def _axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: `make test` installs it (npm ci)")
    return AXE.read_text()


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now: rule id, impact, help and the nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {
            "id": rule["id"],
            "impact": rule["impact"],
            "help": rule["help"],
            "nodes": [node["target"] for node in rule["nodes"]],
        }
        for rule in found
    ]


def assert_accessible(page, name: str) -> None:
    found = violations(page)
    assert found == [], f"axe-core found violations on {name!r}: {found}"
