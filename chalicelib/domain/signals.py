"""What a request did that an operator counts: sign-ins started and answered, locks, refusals,
failed pushes. The use cases note them as they happen; the request's access line carries them
as `events` (web/middleware.py), and CloudWatch metric filters turn them into metrics and
alarms (infrastructure/modules/service/metrics.json). A context variable, not a field of the
services: the services live as long as the container, the events as long as one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

SIGNIN_STARTED = "signin_started"
START_REFUSED = "start_refused"
PUSH_HELD = "push_held"
PUSH_FAILED = "push_failed"
WRONG_NUMBER = "signin_wrong_number"
PHONE_LOCKED = "phone_signin_locked"
PASSWORD_LOCKED = "password_locked"  # noqa: S105 (an event name, not a password)

_events: ContextVar[dict[str, int] | None] = ContextVar("signals", default=None)


def answered(outcome: str) -> str:
    """The event of a phone's answer: signin_approved, signin_denied or
    signin_fraud_reported (signins.Outcome's values)."""
    return f"signin_{outcome}"


@contextmanager
def collecting() -> Iterator[dict[str, int]]:
    """The events noted while the block runs (one request), by name, with their counts."""
    events: dict[str, int] = {}
    token = _events.set(events)
    try:
        yield events
    finally:
        _events.reset(token)


def note(event: str) -> None:
    """Count one event for the request being served; outside a request (the admin tool, a
    test calling a use case directly) there is no line to carry it, and nothing happens."""
    events = _events.get()
    if events is not None:
        events[event] = events.get(event, 0) + 1
