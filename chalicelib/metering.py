"""Pay-per-use: billable events counted per tenant and day.

Counting every event with its own write would add three writes to each sign-in. Instead a
container keeps a small tally and adds it to the usage table with one write per tenant at
most every FLUSH_SECONDS (or FLUSH_EVENTS events). Counters are sharded: each flush goes to
one of SHARDS items for the tenant's day, so a tenant at thousands of sign-ins a second
spreads its writes over partitions; reads sum the shards. Tallies are written only while
requests arrive, so a container that goes idle and is reclaimed loses what it had not yet
written (fewer than FLUSH_EVENTS events): metering errs in the customer's favour, and a
day's figures are final once its containers have moved on.
"""

from __future__ import annotations

import time as _time
from collections import Counter
from collections.abc import Callable
from enum import StrEnum

SHARDS = 16
FLUSH_SECONDS = 5
FLUSH_EVENTS = 100


class Billable(StrEnum):
    SIGNIN_STARTED = "signins_started"
    PUSH_SENT = "pushes_sent"
    PHONE_ANSWER = "phone_answers"
    TOKEN_ISSUED = "tokens_issued"
    PASSWORD_CHECK = "password_checks"


def day_of(unix_time: float) -> str:
    return _time.strftime("%Y-%m-%d", _time.gmtime(unix_time))


class Meter:
    def __init__(self, store, clock: Callable[[], float], shard: Callable[[], int]):
        self._store = store
        self._clock = clock
        self._shard = shard
        self._tally: dict[tuple[str, str], Counter] = {}
        self._since: float | None = None
        self._events = 0

    def count(self, tenant_id: str, event: Billable, n: int = 1) -> None:
        now = self._clock()
        self._tally.setdefault((tenant_id, day_of(now)), Counter())[event.value] += n
        self._events += n
        self._since = now if self._since is None else self._since
        if self._events >= FLUSH_EVENTS or now - self._since >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        tally, self._tally, self._since, self._events = self._tally, {}, None, 0
        for (tenant_id, day), counts in tally.items():
            self._store.add(tenant_id, day, self._shard(), dict(counts))
