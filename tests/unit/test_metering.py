"""The usage tally under concurrent requests: the local server serves several at once."""

from __future__ import annotations

import threading
from collections import Counter

from chalicelib.domain.metering import FLUSH_EVENTS, Billable, Meter


class SlowStore:
    """A usage table whose first write waits until told to go on, so another request can
    count, and find the tally due, while the first flush is still writing."""

    def __init__(self) -> None:
        self.written: Counter = Counter()
        self.writing, self.go_on = threading.Event(), threading.Event()

    def add(self, tenant_id: str, day: str, shard: int, counts: dict) -> None:
        if not self.writing.is_set():
            self.writing.set()
            assert self.go_on.wait(timeout=30)
        self.written.update(counts)


def test_a_tally_is_written_once_when_requests_count_during_its_flush():
    """Needs the tally taken under a lock before it is written: without it, a request that
    counts while a flush is writing finds the same tally due and writes it again (counted
    twice), and the two flushes' deletes clash (a KeyError, a 500 for the request)."""
    store = SlowStore()
    meter = Meter(store, lambda: 1_800_000_000.0, lambda: 0)
    for _ in range(FLUSH_EVENTS - 1):
        meter.count("acme", Billable.SIGNIN_STARTED)

    first = threading.Thread(target=meter.count, args=("acme", Billable.SIGNIN_STARTED))
    first.start()  # the 100th event: due, and its flush waits in add()
    assert store.writing.wait(timeout=30)
    for _ in range(FLUSH_EVENTS):  # another request's counts, while that flush writes
        meter.count("acme", Billable.PUSH_SENT)
    store.go_on.set()
    first.join(timeout=30)
    meter.flush()

    assert store.written == Counter(signins_started=FLUSH_EVENTS, pushes_sent=FLUSH_EVENTS)
