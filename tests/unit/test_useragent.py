"""The browser and device the phone names (domain/useragent.py), and text cleaned for it."""

from __future__ import annotations

import unicodedata

import pytest

from chalicelib.domain.useragent import MAX_CLEAN, clean, describe

# Real User-Agent strings, as each browser sends them.
REAL = {
    "Chrome on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36"
    ),
    "Edge on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51"
    ),
    "Opera on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0"
    ),
    "Firefox on Windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
    ),
    "Firefox on Linux": "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Chrome on Linux": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36"
    ),
    "Safari on Mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"
    ),
    "Chrome on Mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
    ),
    "Safari on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
    ),
    "Chrome on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1"
    ),
    "Firefox on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15"
    ),
    "Edge on iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.50 Mobile/15E148 Safari/605.1.15"
    ),
    "Safari on iPad": (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
    ),
    "Chrome on iPad": (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1"
    ),
    "Chrome on Android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36"
    ),
    "Samsung Internet on Android": (
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 "
        "(KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36"
    ),
    "Firefox on Android": "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0",
    "Edge on Android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64"
    ),
    "Opera on Android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/123.0.0.0 Mobile Safari/537.36 OPR/81.1.4292.78446"
    ),
    "Chrome on ChromeOS": (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36"
    ),
}


@pytest.mark.parametrize(("expected", "user_agent"), REAL.items(), ids=list(REAL))
def test_a_real_user_agent_is_named_by_its_browser_and_device(expected, user_agent):
    assert describe(user_agent) == expected


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) SomeNewBrowser/1.0", "A browser on Windows"),
        (  # an app's own web view
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
            "A browser on iPhone",
        ),
        ("Mozilla/5.0 (PlayStation; PlayStation 5/2.26) Gecko Firefox/110.0", "Firefox"),
        ("curl/8.5.0", "Unknown browser"),
        ("python-requests/2.31.0", "Unknown browser"),
        ("", "Unknown browser"),
        (None, "Unknown browser"),
    ],
)
def test_what_is_not_known_is_said_plainly(user_agent, expected):
    assert describe(user_agent) == expected


BROWSERS = ("Chrome", "Edge", "Firefox", "Opera", "Safari", "Samsung Internet")
SYSTEMS = ("Android", "ChromeOS", "iPad", "iPhone", "Linux", "Mac", "Windows")
NAMES = {"Unknown browser", *BROWSERS} | {
    f"{browser} on {system}" for browser in ("A browser", *BROWSERS) for system in SYSTEMS
}

HOSTILE = [
    "Evil\u202eswodniW\u202c Chrome/124.0 (Windows NT 10.0)",  # right-to-left override
    "Chrome/124.0\r\nX-Injected: yes\r\n(Windows NT 10.0)",
    "Mozilla/5.0\x00 (Macintosh) Version/17 Safari/605.1.15",
    "\u2066Approve this sign-in\u2069 Firefox/125.0 (X11; Linux x86_64)",
    "Your bank: tap Approve now",
    "<script>alert(1)</script> Edg/124.0 (Windows NT 10.0)",
    "A" * 10_000,
    "Mozilla/5.0 (Windows NT 10.0) " + "X" * 10_000 + " Chrome/124.0",
    "\ud800\udfff Chrome/124 (Linux; Android 14)",  # lone surrogates, as a str may carry
]


@pytest.mark.parametrize("user_agent", HOSTILE)
def test_a_hostile_user_agent_is_never_echoed(user_agent):
    described = describe(user_agent)
    assert described in NAMES
    assert described == clean(described)  # nothing on the phone but plain names


def test_only_the_start_of_a_huge_user_agent_is_read():
    """A token past the first kilobyte is not looked for: 10 kB of padding hides it."""
    assert describe("Mozilla/5.0 (Windows NT 10.0) " + "X" * 10_000 + " Chrome/124.0") == (
        "A browser on Windows"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme  Portal", "Acme Portal"),
        ("  Acme\tPortal\n", "Acme Portal"),
        ("Acme\r\nSet-Cookie: x=1", "Acme Set-Cookie: x=1"),
        ("Acme\x00Portal", "AcmePortal"),
        ("\u202eAcme\u202c Portal", "Acme Portal"),  # bidi override and pop
        ("\u2066Acme\u2069 \u2067Portal\u2068\u2069", "Acme Portal"),  # isolates
        ("Acme\u200e\u200f Portal", "Acme Portal"),  # left-to-right and right-to-left marks
        ("Acme\u200bPortal\ufeff", "AcmePortal"),  # zero-width space, byte order mark
        ("Acme\u2028Portal\u2029", "Acme Portal"),  # line and paragraph separators
        ("Acme\u00a0\u3000Portal", "Acme Portal"),  # no-break and ideographic spaces
        ("Acme\ue000\udc00Portal", "AcmePortal"),  # private use, a lone surrogate
        ("Acme\x1b[31mPortal", "Acme[31mPortal"),  # an ANSI escape loses its ESC
        ("José 📱 Café", "José 📱 Café"),
        ("Zürich, Schweiz", "Zürich, Schweiz"),
        ("\n\t \u3000", ""),
        ("", ""),
    ],
)
def test_clean_leaves_one_line_of_visible_text(text, expected):
    assert clean(text) == expected


def test_clean_cuts_to_160_characters_without_a_trailing_space():
    assert clean("a" * 10_000) == "a" * MAX_CLEAN
    assert clean("a" * (MAX_CLEAN - 1) + " b") == "a" * (MAX_CLEAN - 1)
    assert len(clean("word " * 2_000)) <= MAX_CLEAN


def test_clean_keeps_no_invisible_character_anywhere_in_unicode():
    invisible = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    for start in range(0, 0x110000, 100):
        cleaned = clean("".join(map(chr, range(start, min(start + 100, 0x110000)))))
        assert not [c for c in cleaned if unicodedata.category(c) in invisible], hex(start)
        assert not [c for c in cleaned if c.isspace() and c != " "], hex(start)


def test_clean_refuses_what_is_not_text():
    assert clean(None) == ""
    assert clean(b"Acme") == ""
