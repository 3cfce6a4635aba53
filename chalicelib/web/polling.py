"""When the sign-in page asks for its sign-in's result: the one schedule, read by the page's
script (signin.js, from the page's data-polling) and by the benchmark (poll_times).

Nobody answers within the first seconds: the push takes about a second to arrive, and a
person then picks up the phone, unlocks it and taps the number (3 s at the very least). So
the first poll waits for that plus one gap, and then, while most people answer (the bench
assumes 8 s, most take 5-15 s), the page polls every GAP seconds: an approval reaches the
page at most GAP seconds later (1 s on average) until BUSY_UNTIL. Someone slower is looking
for the phone: each gap is then STEP longer than the one before, up to CAP. For an answer
after 8 s that is 3 polls (5, 7 and 9 s) where a poll every 2 s from the start made 5, and
over a 2-minute sign-in nobody answers 29 instead of 60.

A hidden page (another tab, a minimised window) polls every HIDDEN seconds, and at once
(but never closer than GAP to the last poll) when it is shown again. A poll that cannot
connect, or is answered 502, 503 or 504, is asked again GAP seconds later (or after its
Retry-After): the sign-in may still be waiting for the phone, and the page keeps its number.
"""

from __future__ import annotations

import json

from chalicelib.domain.signins import POLL_SECONDS

FIRST = 5  # the earliest answer (about 3 s) plus one GAP
GAP = POLL_SECONDS  # the shortest gap: the `interval` the start response gives the page
BUSY_UNTIL = 20
STEP = 1
CAP = 5
HIDDEN = 30


def poll_times(seconds: float) -> list[float]:
    """The times after the start (the page showing the number) at which a visible page asks
    for the result, up to and including `seconds`."""
    times: list[float] = []
    at, gap = FIRST, GAP
    while at <= seconds:
        times.append(float(at))
        if at >= BUSY_UNTIL:
            gap = min(CAP, gap + STEP)
        at += gap
    return times


def page_config() -> str:
    """The schedule as the page's script reads it (data-polling); it computes the same
    times as poll_times (tests/e2e/test_polling.py holds the two together)."""
    return json.dumps(
        {"first": FIRST, "gap": GAP, "busyUntil": BUSY_UNTIL, "step": STEP, "cap": CAP,
         "hidden": HIDDEN},
        separators=(",", ":"),
    )  # fmt: skip
