"""What the phone shows of the browser that asked to sign in: "Chrome on Windows".

Hand-written on purpose: a parsing library (ua-parser and its regex file) costs the Lambda
hundreds of kilobytes, and the phone needs only a browser name and an OS name. The answer is
always one of the names below, never any part of the header itself, so a hostile User-Agent
cannot put words on the phone's screen. `clean` is for text that must be shown as sent.
"""

from __future__ import annotations

import unicodedata

MAX_CLEAN = 160
# A real User-Agent is a few hundred characters; the tokens we look for come early.
_READ = 1024
# Invisible or layout-changing: controls, format (bidi overrides and isolates, zero-width
# characters, U+200E/F marks), surrogates, private use, unassigned, line and paragraph
# separators. Whitespace among them (tab, newline, U+2028) becomes a space first.
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

# First match wins. Edge, Opera and Samsung Internet also carry "Chrome/"; Chrome and Firefox
# on iOS say CriOS and FxiOS (and "Safari/"), so the specific tokens are checked first.
_BROWSERS = (
    ("Samsung Internet", ("SamsungBrowser/",)),
    ("Edge", ("Edg/", "EdgA/", "EdgiOS/", "Edge/")),
    ("Opera", ("OPR/", "OPiOS/", "OPT/", "Opera")),
    ("Firefox", ("FxiOS/", "Firefox/")),
    ("Chrome", ("CriOS/", "Chrome/", "Chromium/")),
    ("Safari", ("Safari/",)),
)
# iPhone and iPad say "like Mac OS X"; Android and ChromeOS say "Linux".
_SYSTEMS = (
    ("iPad", ("iPad",)),
    ("iPhone", ("iPhone", "iPod")),
    ("Android", ("Android",)),
    ("ChromeOS", ("CrOS",)),
    ("Windows", ("Windows",)),
    ("Mac", ("Macintosh", "Mac OS X")),
    ("Linux", ("Linux", "X11")),
)


def clean(text: str) -> str:
    """Text safe to show on one line: no control, format or bidi characters, whitespace
    collapsed to single spaces, at most MAX_CLEAN characters."""
    if not isinstance(text, str):
        return ""
    if text.isascii() and text.isprintable():  # the usual header: no character to drop
        return " ".join(text.split())[:MAX_CLEAN].rstrip()
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED:
            kept.append(char)
    return " ".join("".join(kept).split())[:MAX_CLEAN].rstrip()


def _first(names: tuple[tuple[str, tuple[str, ...]], ...], text: str) -> str | None:
    for name, tokens in names:
        if any(token in text for token in tokens):
            return name
    return None


def describe(user_agent: str | None) -> str:
    """A readable browser and device: "Safari on iPhone", "A browser on Windows", "Chrome",
    or "Unknown browser"."""
    text = user_agent[:_READ] if isinstance(user_agent, str) else ""
    browser, system = _first(_BROWSERS, text), _first(_SYSTEMS, text)
    if browser is None:
        return f"A browser on {system}" if system else "Unknown browser"
    return f"{browser} on {system}" if system else browser
