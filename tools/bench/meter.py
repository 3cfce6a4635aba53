"""What the service asks of AWS, and the CPU it takes to ask, for `tools.bench` and `tools.load`.

Calls are counted by botocore event hooks on the clients the service holds, so the service is
not changed. Capacity units follow DynamoDB's published rules (docs/performance.md lists them)
applied to the real item sizes, read out of moto's back end before and after each call (not
through a client, so neither counted nor billed). moto's own ConsumedCapacity is not used: it
is a constant per operation (0.5 for any GetItem, 1 for any write), whatever the item's size.

`clocks()` times botocore's client calls (serialise, sign, moto, parse), and inside them moto's
handling (its before-send hook) and this meter's hooks, so a request's CPU can be split into
the service's own, botocore's, and moto's (what AWS does instead).
"""

from __future__ import annotations

import base64
import math
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType


def _number(text: str) -> int:
    digits = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "").strip("0")
    return math.ceil(len(digits or "0") / 2) + 1


def _binary(value: bytes | str) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else len(base64.b64decode(value))


def value_size(attribute: dict) -> int:
    ((kind, value),) = attribute.items()
    if kind in ("S", "N", "B"):
        return {"S": lambda v: len(v.encode()), "N": _number, "B": _binary}[kind](value)
    if kind in ("SS", "NS", "BS"):
        return sum(value_size({kind[0]: v}) for v in value)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in value.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in value)
    return 1  # BOOL, NULL


def item_size(item: dict | None) -> int:
    return sum(len(name.encode()) + value_size(v) for name, v in (item or {}).items())


@dataclass
class Phase:
    calls: Counter = field(default_factory=Counter)  # (service, operation) -> calls
    sdk_cpu: Counter = field(default_factory=Counter)  # (service, operation) -> botocore's s
    read: float = 0.0
    write: float = 0.0

    def __add__(self, other: Phase) -> Phase:
        calls, sdk = self.calls + other.calls, self.sdk_cpu + other.sdk_cpu
        return Phase(calls, sdk, self.read + other.read, self.write + other.write)


class Meter:
    """Counts calls, capacity units and botocore's CPU per named phase (set `phase`)."""

    def __init__(self, account_id: str = "123456789012", region: str = "us-east-1"):
        self.backend = dynamodb_backends[account_id][region]
        self.phase = "setup"
        self.phases: dict[str, Phase] = defaultdict(Phase)
        self.unmetered: Counter = Counter()
        self.largest_item: dict[str, int] = {}  # table -> bytes
        self.aws_cpu = self.moto_cpu = self.hooks_cpu = 0.0  # running process-time totals

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.*.*", self._count)
        client.meta.events.register("before-parameter-build.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def take(self, phase: str) -> Phase:
        return self.phases.pop(phase, Phase())

    @contextmanager
    def clocks(self):
        """Time every botocore client call, and moto's handling inside it (in-process moto)."""
        call, stub, meter = BaseClient._make_api_call, BotocoreStubber.__call__, self

        def timed_call(client, operation: str, params: dict):
            t0, moto0, hooks0 = time.process_time(), meter.moto_cpu, meter.hooks_cpu
            try:
                return call(client, operation, params)
            finally:
                spent = time.process_time() - t0
                meter.aws_cpu += spent
                sdk = spent - (meter.moto_cpu - moto0) - (meter.hooks_cpu - hooks0)
                name = (client.meta.service_model.service_name, operation)
                meter.phases[meter.phase].sdk_cpu[name] += sdk

        def timed_stub(stubber, *args, **kwargs):
            t0 = time.process_time()
            try:
                return stub(stubber, *args, **kwargs)
            finally:
                meter.moto_cpu += time.process_time() - t0

        BaseClient._make_api_call, BotocoreStubber.__call__ = timed_call, timed_stub
        try:
            yield self
        finally:
            BaseClient._make_api_call, BotocoreStubber.__call__ = call, stub

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.phases[self.phase].calls[(service, operation)] += 1

    def _before(self, event_name: str, params: dict, context: dict, **_: Any) -> None:
        t0, operation = time.process_time(), event_name.rsplit(".", 1)[1]
        if operation in ("GetItem", "Query"):
            size = self._query_size(params) if operation == "Query" else self._size_of(params)
            context["bench"] = {"read": size, "consistent": bool(params.get("ConsistentRead"))}
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            context["bench"] = {"writes": [self._write(params)], "factor": 1}
        elif operation == "TransactWriteItems":
            writes = [self._write(next(iter(e.values()))) for e in params["TransactItems"]]
            context["bench"] = {"writes": writes, "factor": 2}
        else:
            self.unmetered[operation] += 1
        self.hooks_cpu += time.process_time() - t0

    def _after(self, context: dict, **_: Any) -> None:
        t0, before, phase = time.process_time(), context.get("bench", {}), self.phases[self.phase]
        if "read" in before:
            units = max(1, math.ceil(before["read"] / 4096))
            phase.read += units if before["consistent"] else units / 2
        for table, key, old in before.get("writes", ()):
            new = self._size_of({"TableName": table, "Key": key})
            phase.write += max(1, math.ceil(max(old, new) / 1024)) * before["factor"]
        self.hooks_cpu += time.process_time() - t0

    def _write(self, request: dict) -> tuple[str, dict, int]:
        table = self.backend.get_table(request["TableName"])
        names = (table.hash_key_attr, table.range_key_attr)
        key = request.get("Key") or {k: request["Item"][k] for k in names if k}
        return table.name, key, self._size_of({"TableName": table.name, "Key": key})

    def _size_of(self, request: dict) -> int:
        """The size of the item a request names, as it is now."""
        table, key = self.backend.get_table(request["TableName"]), request["Key"]
        rng = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        found = table.get_item(DynamoType(key[table.hash_key_attr]), rng)
        return self._seen(table.name, found and found.to_json()["Attributes"])

    def _query_size(self, params: dict) -> int:
        """The service's queries name one partition (`pk = :v`, maybe with a range condition);
        anything more is read as the whole partition (an upper bound), and noted."""
        table = self.backend.get_table(params["TableName"])
        left, _, right = params["KeyConditionExpression"].replace(" ", "").partition("=")
        names = params.get("ExpressionAttributeNames") or {}
        if names.get(left, left) != table.hash_key_attr or "AND" in right.upper():
            self.unmetered["Query(range condition)"] += 1
        found = table.items.get(
            DynamoType(params["ExpressionAttributeValues"][right.split("AND")[0]])
        )
        items = [] if found is None else found.values() if table.range_key_attr else [found]
        return sum(self._seen(table.name, i.to_json()["Attributes"]) for i in items)

    def _seen(self, table: str, item: dict | None) -> int:
        size = item_size(item)
        self.largest_item[table] = max(size, self.largest_item.get(table, 0))
        return size
