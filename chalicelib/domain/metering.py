"""Pay-per-use: billable events counted per tenant and day.

Counting every event with its own write would add three writes to each sign-in. Instead a
container keeps a small tally and adds it to the usage table with one write per tenant at
most every FLUSH_SECONDS (or FLUSH_EVENTS events). Counters are sharded: each flush goes to
one of SHARDS items for the tenant's day, so a tenant at thousands of sign-ins a second
spreads its writes over partitions; reads sum the shards. Tallies are written only while
requests arrive, so a container that goes idle and is reclaimed loses what it had not yet
written (fewer than FLUSH_EVENTS events): metering errs in the customer's favour, and a
day's figures are final once its containers have moved on.

A flush never fails the request that triggers it (a token answer must not be lost after its
code was spent): a tally the usage table did not take is kept, whole, for the next flush,
FLUSH_SECONDS or FLUSH_EVENTS later, and one line is logged. What was written is not kept,
so it is not counted twice. (An UpdateItem that succeeds but whose answer is lost on the way
back is counted twice: the one case that errs against the customer, and a rare one.)
"""

from __future__ import annotations

import json
import logging
import threading
import time as _time
from collections import Counter
from collections.abc import Callable
from enum import StrEnum

from chalicelib.domain.ports import Clock

SHARDS = 16
# A minute: at a few sign-ins a minute per container (a million a month on two containers),
# 5 s meant a usage write for nearly every sign-in; a minute makes it about one in ten. The
# price is what a container reclaimed while idle never wrote: at most its last minute.
FLUSH_SECONDS = 60
FLUSH_EVENTS = 100
log = logging.getLogger("phonesignin.metering")


class Billable(StrEnum):
    SIGNIN_STARTED = "signins_started"
    PUSH_SENT = "pushes_sent"
    PHONE_ANSWER = "phone_answers"
    TOKEN_ISSUED = "tokens_issued"
    PASSWORD_CHECK = "password_checks"
    PASSKEY_CHECK = "passkey_checks"  # an assertion verified against a stored passkey


def day_of(unix_time: float) -> str:
    return _time.strftime("%Y-%m-%d", _time.gmtime(unix_time))


class Meter:
    """The container's tally. Thread-safe: Lambda sends a container one request at a time,
    but the local server (`make demo`, `make load`) serves several at once, and two flushes
    of one tally would count it twice."""

    def __init__(self, store, clock: Clock, shard: Callable[[], int]):
        self._store = store
        self._clock = clock
        self._shard = shard
        self._tally: dict[tuple[str, str], Counter] = {}
        self._since: float | None = None
        self._events = 0
        self._day: tuple[float, str] = (-1.0, "")  # (day number, its date)
        self._lock = threading.Lock()

    def count(self, tenant_id: str, event: Billable, n: int = 1) -> None:
        now = self._clock()
        with self._lock:
            if now // 86400 != self._day[0]:  # formatted once a day, not on every count
                self._day = (now // 86400, day_of(now))
            tally = self._tally.get((tenant_id, self._day[1]))
            if tally is None:
                tally = self._tally[tenant_id, self._day[1]] = Counter()
            tally[event.value] += n
            self._events += n
            self._since = now if self._since is None else self._since
            due = self._events >= FLUSH_EVENTS or now - self._since >= FLUSH_SECONDS
            taken = self._take() if due else {}
        if taken:
            self._write(taken)

    def flush(self) -> None:
        """Add the tally to the usage table; what it does not take is kept for the next try."""
        with self._lock:
            taken = self._take()
        self._write(taken)

    def _take(self) -> dict[tuple[str, str], Counter]:
        """The tally, for one flush alone; counting goes on into a new one (under the lock)."""
        taken, self._tally = self._tally, {}
        self._events, self._since = 0, None
        return taken

    def _write(self, taken: dict[tuple[str, str], Counter]) -> None:
        failures: list[Exception] = []
        kept: dict[tuple[str, str], Counter] = {}
        for key, counts in taken.items():
            try:
                self._store.add(key[0], key[1], self._shard(), dict(counts))
            except Exception as err:  # whatever it is, the request that counted goes on
                failures.append(err)
                kept[key] = counts
        if kept:
            with self._lock:
                for key, counts in kept.items():
                    self._tally.setdefault(key, Counter()).update(counts)
                self._since = self._clock() if self._since is None else self._since
            log.warning(_failure_line(failures, kept))


def _failure_line(failures: list[Exception], kept: dict[tuple[str, str], Counter]) -> str:
    """What failed, by kind (AWS's error code where there is one, no message text, which
    might quote the request), and how much is kept."""
    line = {
        "level": "warning",
        "event": "usage_flush_failed",
        "errors": sorted({_error_code(err) for err in failures}),
        "kept_events": sum(sum(counts.values()) for counts in kept.values()),
        "kept_tallies": len(kept),
    }
    return json.dumps(line, separators=(",", ":"))


def _error_code(err: Exception) -> str:
    response = getattr(err, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code if isinstance(code, str) else type(err).__name__
