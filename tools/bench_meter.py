"""Counting what the service asks of AWS, for `tools.bench`: calls, and DynamoDB capacity units.

Calls are counted with botocore event hooks on the very clients the service holds, so the
service code is untouched. Capacity units are computed by DynamoDB's published rules from the
real item sizes, which are read straight out of moto's back end (not through any client, so
the reads are neither counted nor billed); moto's own ConsumedCapacity figures are constants.

Item size (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
the sum over attributes of the UTF-8 length of the name plus the size of the value, where
S = UTF-8 bytes, N = ceil(significant digits / 2) + 1, B = raw bytes, BOOL and NULL = 1,
SS/NS/BS = the sum of their elements, M and L = 3 + the sum of their elements + 1 per element
(a map's element also counts its key's UTF-8 length).

Units: GetItem ceil(size / 4 KB), Query ceil(sum of the sizes of the items read, before any
filter / 4 KB), both at least 1 and halved when not ConsistentRead; PutItem, UpdateItem and
DeleteItem ceil(max(old, new) / 1 KB), at least 1, also when a condition fails;
TransactWriteItems twice the units of each of its writes.
"""

from __future__ import annotations

import base64
import copy
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

READ_UNIT = 4096
WRITE_UNIT = 1024


def number_size(text: str) -> int:
    digits = text.strip().lstrip("+-").lower().split("e")[0].replace(".", "")
    digits = digits.strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def _binary_size(value: bytes | str) -> int:
    return len(value) if isinstance(value, bytes | bytearray) else len(base64.b64decode(value))


def value_size(attribute: dict) -> int:
    ((kind, value),) = attribute.items()
    if kind == "S":
        return len(value.encode("utf-8"))
    if kind == "N":
        return number_size(value)
    if kind == "B":
        return _binary_size(value)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in value)
    if kind == "NS":
        return sum(number_size(v) for v in value)
    if kind == "BS":
        return sum(_binary_size(v) for v in value)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in value.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in value)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return units if consistent else units / 2


def write_units(old: int, new: int) -> int:
    return max(1, math.ceil(max(old, new) / WRITE_UNIT))


class MotoItems:
    """Items as moto's DynamoDB back end holds them, in wire format."""

    def __init__(self, account_id: str, region: str):
        from moto.dynamodb.models import dynamodb_backends

        self._backend = dynamodb_backends[account_id][region]

    def _table(self, name: str):
        return self._backend.get_table(name)

    def get(self, table_name: str, key: dict) -> dict | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self._table(table_name)
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        found = table.get_item(hash_key, range_key)
        return None if found is None else found.to_json()["Attributes"]

    def key_of(self, table_name: str, item: dict) -> dict:
        table = self._table(table_name)
        names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
        return {name: item[name] for name in names}

    def partition(self, table_name: str, hash_value: dict) -> list[dict]:
        """Every item under one partition key (what a `pk = :pk` query reads before filters)."""
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self._table(table_name)
        found = table.items.get(DynamoType(hash_value))
        if found is None:
            return []
        items = found.values() if table.range_key_attr else [found]
        return [i.to_json()["Attributes"] for i in items]

    def hash_key_name(self, table_name: str) -> str:
        return self._table(table_name).hash_key_attr


@dataclass
class Phase:
    calls: Counter = field(default_factory=Counter)  # (service, operation) -> count
    read: float = 0.0
    write: float = 0.0
    reads: Counter = field(default_factory=Counter)  # operation -> read units
    writes: Counter = field(default_factory=Counter)  # operation -> write units


@dataclass
class Recorded:
    service: str
    operation: str
    params: dict
    phase: str
    status: int = 0
    headers: dict = field(default_factory=dict)
    body: bytes = b""


class Meter:
    """Hooks for the service's clients: counts calls and capacity units per named phase."""

    def __init__(self, items: MotoItems | None = None):
        self.items = items
        self.phase = "setup"
        self.phases: dict[str, Phase] = defaultdict(Phase)
        self.recording = False
        self.recorded: list[Recorded] = []
        self.unmetered: Counter = Counter()
        self.largest_item: dict[str, int] = {}  # table -> largest item size seen, in bytes

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-call.*.*", self._count)
        events.register("before-parameter-build.*.*", self._before)
        events.register("after-call.*.*", self._after)

    def take(self, phase: str) -> Phase:
        return self.phases.pop(phase, Phase())

    # hooks

    def _count(self, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        self.phases[self.phase].calls[(service, operation)] += 1

    def _before(self, event_name: str, params: dict, context: dict, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        if self.recording:
            context["bench_recorded"] = len(self.recorded)
            self.recorded.append(Recorded(service, operation, copy.deepcopy(params), self.phase))
        if service == "dynamodb" and self.items is not None:
            context["bench_before"] = self._sizes_before(operation, params)

    def _after(self, event_name: str, http_response: Any, context: dict, **_: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        index = context.get("bench_recorded")
        if index is not None:
            recorded = self.recorded[index]
            recorded.status = http_response.status_code
            recorded.headers = dict(http_response.headers)
            recorded.body = http_response.content
        if service == "dynamodb" and "bench_before" in context:
            self._units(operation, context["bench_before"])

    # capacity

    def _sizes_before(self, operation: str, params: dict) -> dict:
        items = self.items
        assert items is not None
        if operation == "GetItem":
            size = self._seen(params["TableName"], items.get(params["TableName"], params["Key"]))
            return {"read": size, "consistent": bool(params.get("ConsistentRead"))}
        if operation == "Query":
            return {
                "read": self._query_size(params),
                "consistent": bool(params.get("ConsistentRead")),
            }
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            table = params["TableName"]
            key = params.get("Key") or items.key_of(table, params["Item"])
            return {"writes": [(table, key, self._seen(table, items.get(table, key)))]}
        if operation == "TransactWriteItems":
            writes = []
            for entry in params["TransactItems"]:
                ((_, request),) = entry.items()
                table = request["TableName"]
                key = request.get("Key") or items.key_of(table, request["Item"])
                writes.append((table, key, self._seen(table, items.get(table, key))))
            return {"writes": writes, "factor": 2}
        self.unmetered[operation] += 1
        return {}

    def _query_size(self, params: dict) -> int:
        """Only `hash = :value` key conditions are sent by the service; anything else is read
        as the whole partition (an upper bound) and noted as unmetered."""
        assert self.items is not None
        condition = params["KeyConditionExpression"].replace(" ", "")
        table = params["TableName"]
        names = params.get("ExpressionAttributeNames") or {}
        left, _, right = condition.partition("=")
        if names.get(left, left) != self.items.hash_key_name(table) or "AND" in right.upper():
            self.unmetered["Query(range condition)"] += 1
        value = params["ExpressionAttributeValues"][right.split("AND")[0]]
        return sum(self._seen(table, i) for i in self.items.partition(table, value))

    def _seen(self, table: str, item: dict | None) -> int:
        size = item_size(item)
        self.largest_item[table] = max(size, self.largest_item.get(table, 0))
        return size

    def _units(self, operation: str, before: dict) -> None:
        phase = self.phases[self.phase]
        if "read" in before:
            units = read_units(before["read"], before["consistent"])
            phase.read += units
            phase.reads[operation] += units
        elif "writes" in before:
            assert self.items is not None
            units = 0
            for table, key, old in before["writes"]:
                units += write_units(old, self._seen(table, self.items.get(table, key)))
            units *= before.get("factor", 1)
            phase.write += units
            phase.writes[operation] += units
