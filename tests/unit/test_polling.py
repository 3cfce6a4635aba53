"""The sign-in page's poll schedule (web/polling.py): few polls while nobody can have answered,
and an approval still reaching the page within seconds."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from chalicelib.domain import signins
from chalicelib.usecases.phone_signin import page_view
from chalicelib.web import polling

EARLIEST_ANSWER = 3  # push delivered, phone unlocked, number tapped: never sooner
LIFETIME = 600  # the longest sign-in


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_no_poll_before_anyone_can_answer_and_then_one_soon():
    """Defends the saving at the start: polls before a person can possibly have answered
    are wasted; the first comes at most one gap after the earliest answer."""
    first = polling.poll_times(LIFETIME)[0]
    assert EARLIEST_ANSWER < first <= EARLIEST_ANSWER + polling.GAP


def test_an_approval_reaches_the_page_within_two_seconds_in_the_first_twenty():
    """Defends promptness: while most people answer, an approval waits at most GAP (2 s)
    for the next poll; later at most CAP (5 s)."""
    times = polling.poll_times(LIFETIME)
    busy = [t for t in times if EARLIEST_ANSWER <= t <= 21]
    assert max(gaps([EARLIEST_ANSWER, *busy])) <= 2
    assert max(gaps(times)) <= polling.CAP == 5
    assert times[-1] > LIFETIME - polling.CAP  # polled until the end


def test_no_two_polls_closer_than_the_interval_the_start_response_gives():
    """Defends consistency with what the service tells the page (and any limit built on it):
    the schedule never polls faster than the start response's `interval`."""
    signin = SimpleNamespace(signin_id="x", number=12, held=False, expires_at=120)
    interval = page_view(signin, "secret", 0)["interval"]  # type: ignore[arg-type]
    assert interval == signins.POLL_SECONDS == polling.GAP
    assert min(gaps(polling.poll_times(LIFETIME))) >= interval


def test_what_a_sign_in_costs_in_polls():
    """The figures docs/performance.md quotes: a person answering after 8 s costs 2 polls
    that find it pending and the one that finds it approved (3; polling every 2 s from the
    start cost 5), and a sign-in nobody answers within 2 minutes costs 29 (was 60)."""
    assert polling.poll_times(8) == [5.0, 7.0]
    assert len(polling.poll_times(8)) + 1 == 3
    assert len(polling.poll_times(120)) == 29
    assert polling.poll_times(4.9) == []
