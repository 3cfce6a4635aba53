"""The limits table: counters of failed attempts, TTL on `ttl`.

Window counters: pk = "<tenant>#<what>#<who>#<window number>", one item per window, so they
need no reset. Backoff records: pk = "<tenant>#<what>#<who>", consecutive failures and the
time before which no attempt is checked. Unknown usernames are counted exactly like known
ones. Every key is one person, address, device or sign-in: no counter is shared by a tenant.

A key found closed is remembered in this container for up to MEMORY_SECONDS, so an attack on
one account or address is refused from memory instead of hammering one item (a hot key).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from chalicelib.adapters.dynamodb.base import decode_item, is_condition_failure, put_if_new, values
from chalicelib.domain.rate_limits import Claim, Refused
from chalicelib.domain.tenants import PUSH_LIMITS

MEMORY_KEYS = 10_000
# A closed key is trusted from memory this long, then asked again: long enough to shed a
# flood (one call per key per container per half minute), short enough that an admin's reset,
# an answered sign-in or a raised limit counts in every container within it.
MEMORY_SECONDS = 30
MINUTE, DAY = 60, 86400
RING = PUSH_LIMITS["max_pending"][1]  # the last pushes take_push keeps: the most that may wait


class LimitStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table
        # pk -> (when it opens, when to stop trusting that), for this container
        self._closed: dict[str, tuple[int, int]] = {}

    def closed_until(self, pk: str, now: int) -> int | None:
        """When a key this container found closed opens again; None: unknown, ask the table."""
        until, recheck = self._closed.get(pk, (0, 0))
        if min(until, recheck) <= now:
            self._closed.pop(pk, None)
            return None
        return until

    def forget(self, pk: str) -> None:
        self._closed.pop(pk, None)

    def remember_closed(self, pk: str, until: int, now: int) -> None:
        if len(self._closed) >= MEMORY_KEYS:
            self._closed.clear()
        self._closed[pk] = (until, now + MEMORY_SECONDS)

    def claim(
        self, tenant_id: str, what: str, who: str, now: int, hold: int, keep: int
    ) -> Claim | int:
        """Let one attempt through if the key is open, holding it closed for `hold` seconds
        while the attempt is checked (so parallel guesses cannot all get in); else when it
        opens. Failures older than `keep` are forgotten here, not when TTL gets round to it."""
        pk = f"{tenant_id}#{what}#{who}"
        if (until := self.closed_until(pk, now)) is not None:
            return until
        done, old = self._conditional_update(
            pk,
            UpdateExpression="ADD failures :one SET #until = :hold, #ttl = :ttl, held = :yes",
            ConditionExpression="attribute_not_exists(#until) OR #until <= :now",
            ExpressionAttributeNames={"#until": "until", "#ttl": "ttl"},
            ExpressionAttributeValues=values(
                one=1, now=now, hold=now + hold, ttl=now + hold + keep, yes=True
            ),
            ReturnValues="UPDATED_OLD",
        )
        if not done:
            until = int(old.get("until", now + hold))
            if not old.get("held"):  # a wait, not another container's check in flight
                self.remember_closed(pk, until, now)
            return until
        if old.get("ttl", now + 1) <= now:  # expired, not yet deleted: a fresh start
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": pk}},
                UpdateExpression="SET failures = :one",
                ExpressionAttributeValues=values(one=1),
            )
            return Claim(pk, 1)
        return Claim(pk, old.get("failures", 0) + 1)

    def failed(self, claim: Claim, now: int, wait: int, keep: int) -> None:
        """The claimed attempt failed: the key opens again after `wait` seconds."""
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": claim.pk}},
            UpdateExpression="SET #until = :until, #ttl = :ttl REMOVE held",
            ExpressionAttributeNames={"#until": "until", "#ttl": "ttl"},
            ExpressionAttributeValues=values(until=now + wait, ttl=now + wait + keep),
        )
        if wait > 0:
            self.remember_closed(claim.pk, now + wait, now)

    def reset(self, tenant_id: str, what: str, who: str) -> None:
        """Consecutive failures start again from zero (a right password, a new one set)."""
        self._delete(f"{tenant_id}#{what}#{who}")

    def take(
        self, tenant_id: str, what: str, who: str, now: int, per_minute: int, per_day: int
    ) -> Refused | None:
        """Count one use against a per-minute and a per-day limit, both in one item per day
        (one write): counted only if neither is full, so a flood in one minute does not use
        up the day."""
        return self._take(f"{tenant_id}#{what}#{who}#{now // DAY}", "", now, per_minute, per_day)[0]

    def take_push(
        self,
        tenant_id: str,
        sub: str,
        source: str | None,
        now: int,
        limits: tuple[int, int],
        expires_at: int,
        waiting: int,
    ) -> Refused | int:
        """Count one push to the account's phones, per minute and per day, in the account's
        item of the day: strangers share one allowance, a recognised browser (`source`) has
        its own in the same item. The same write remembers when the account's last RING
        pushes end, so it returns, besides a refusal, when the push `waiting` places back
        ends: until then that many pushed sign-ins may still wait, and only then is it worth
        asking the sign-ins table (the ring starts afresh each day, like the counters)."""
        per_minute, per_day = limits
        slots = [f"w{i}" for i in range(RING, 0, -1)]  # shifted from the end: w1 is the newest
        shift = ", ".join(f"{s} = if_not_exists({n}, :zero)" for s, n in pairwise(slots))
        refused, old = self._take(
            f"{tenant_id}#pushes#{sub}#{now // DAY}", f"{source}:" if source else "", now,
            per_minute, per_day, f", {shift}, w1 = :ends", {"zero": 0, "ends": expires_at},
        )  # fmt: skip
        return refused or int(old.get(f"w{waiting}", 0))

    def _take(
        self,
        pk: str,
        prefix: str,
        now: int,
        per_minute: int,
        per_day: int,
        also: str = "",
        also_values: dict | None = None,
    ) -> tuple[Refused | None, dict]:
        minute = now % DAY // MINUTE
        counters = {"day": prefix + "d", "minute": f"{prefix}m{minute}"}
        for window, name in counters.items():
            if (until := self.closed_until(f"{pk}#{name}", now)) is not None:
                return Refused(window, until, first=False), {}
        names = {"#day": counters["day"], "#minute": counters["minute"], "#ttl": "ttl"}
        done, old = self._conditional_update(
            pk,
            UpdateExpression="ADD #day :one, #minute :one SET #ttl = if_not_exists(#ttl, :ttl)"
            + also,
            ConditionExpression="(attribute_not_exists(#day) OR #day < :per_day) AND "
            "(attribute_not_exists(#minute) OR #minute < :per_minute)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values(
                one=1, ttl=(now // DAY + 2) * DAY, per_day=per_day, per_minute=per_minute,
                **(also_values or {}),
            ),
            ReturnValues="ALL_OLD",  # not UPDATED_OLD: that leaves out what the update left equal
        )  # fmt: skip
        if done:
            return None, old
        if old.get(counters["day"], 0) >= per_day:
            window, until = "day", (now // DAY + 1) * DAY
        else:
            window, until = "minute", (now // MINUTE + 1) * MINUTE
        self.remember_closed(f"{pk}#{counters[window]}", until, now)
        return Refused(window, until, first=self._first_refusal(pk, f"r{counters[window]}")), old

    def untake(self, tenant_id: str, what: str, who: str, now: int) -> None:
        """Forget today's counts of `take` for this key (an administrator's reset)."""
        pk = f"{tenant_id}#{what}#{who}#{now // DAY}"
        self._delete(pk)
        self._forget_prefix(pk)  # and its windows'

    def _first_refusal(self, pk: str, flag: str) -> bool:
        done, _ = self._conditional_update(
            pk,
            UpdateExpression="SET #flag = :yes",
            ConditionExpression="attribute_not_exists(#flag)",
            ExpressionAttributeNames={"#flag": flag},
            ExpressionAttributeValues=values(yes=True),
        )
        return done

    def _conditional_update(self, pk: str, **update) -> tuple[bool, dict]:
        """An UpdateItem with a condition: (True, the attributes it returned) if it was
        applied, (False, the item as it stood) if the condition refused it."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": pk}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **update,
            )
        except self._client.exceptions.ClientError as err:
            if not is_condition_failure(err):
                raise
            return False, decode_item(err.response.get("Item") or {})
        return True, decode_item(response.get("Attributes") or {})

    @staticmethod
    def _key(tenant_id: str, what: str, who: str, window: int, now: int) -> dict:
        return {"pk": {"S": f"{tenant_id}#{what}#{who}#{now // window}"}}

    def claim_hit(
        self, tenant_id: str, what: str, who: str, window: int, now: int, limit: int
    ) -> int | None:
        """Count one attempt in this window before it is checked, if fewer than `limit` were
        counted (one conditional write, so parallel attempts cannot all slip under it); else
        when the window opens again. `give_back` un-counts one that turned out right."""
        key = self._key(tenant_id, what, who, window, now)
        pk = key["pk"]["S"]
        if (until := self.closed_until(pk, now)) is not None:
            return until
        done, _ = self._conditional_update(
            pk,
            UpdateExpression="ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)",
            ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues=values(one=1, limit=limit, ttl=(now // window + 2) * window),
        )
        if done:
            return None
        until = (now // window + 1) * window
        self.remember_closed(pk, until, now)
        return until

    def give_back(self, tenant_id: str, what: str, who: str, window: int, now: int) -> None:
        self._conditional_update(
            self._key(tenant_id, what, who, window, now)["pk"]["S"],
            UpdateExpression="ADD hits :minus_one",
            ConditionExpression="hits > :zero",
            ExpressionAttributeValues=values(minus_one=-1, zero=0),
        )

    def reset_window(self, tenant_id: str, what: str, who: str, window: int, now: int) -> None:
        """Forget this window's counter (an administrator's reset)."""
        self._delete(self._key(tenant_id, what, who, window, now)["pk"]["S"])

    def _delete(self, pk: str) -> None:
        self._client.delete_item(TableName=self._table, Key={"pk": {"S": pk}})
        self.forget(pk)

    def _forget_prefix(self, prefix: str) -> None:
        for pk in [pk for pk in self._closed if pk.startswith(prefix)]:
            self._closed.pop(pk, None)

    def first_use(self, tenant_id: str, what: str, who: str, keep_until: int) -> bool:
        """Record a one-time value (a proof's jti); False if it was seen before."""
        item = {"pk": f"{tenant_id}#{what}#{who}", "ttl": keep_until}
        return put_if_new(self._client, self._table, item)

    def hit(self, tenant_id: str, what: str, who: str, window: int, now: int) -> int:
        response = self._client.update_item(
            TableName=self._table,
            Key=self._key(tenant_id, what, who, window, now),
            UpdateExpression="ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues=values(one=1, ttl=(now // window + 2) * window),
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["hits"]["N"])
