"""What every store shares: the table schema, item (de)serialisation and transactions.

A small codec instead of boto3's TypeSerializer keeps boto3 out of import time and gives
plain ints instead of Decimals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

SCHEMA = json.loads((Path(__file__).parents[2] / "schema.json").read_text())["tables"]


def table_names(prefix: str) -> dict[str, str]:
    return {logical: prefix + logical for logical in SCHEMA}


def create_tables(client: Any, prefix: str) -> None:
    """Create every table on demand, with TTL (local server and tests; Terraform in AWS)."""
    for logical, spec in SCHEMA.items():
        keys = [{"AttributeName": spec["hash_key"], "KeyType": "HASH"}]
        if spec["range_key"]:
            keys.append({"AttributeName": spec["range_key"], "KeyType": "RANGE"})
        client.create_table(
            TableName=prefix + logical,
            KeySchema=keys,
            AttributeDefinitions=[
                {"AttributeName": k["AttributeName"], "AttributeType": "S"} for k in keys
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        if spec["ttl"]:
            client.update_time_to_live(
                TableName=prefix + logical,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec["ttl"]},
            )


def encode(value: Any) -> dict:
    kind = type(value)  # exactly str or int (not bool, an int): most values, checked first
    if kind is str:
        return {"S": value}
    if kind is int:
        return {"N": str(value)}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, dict):
        return {"M": {k: encode(v) for k, v in value.items() if v is not None}}
    if isinstance(value, list | tuple):
        return {"L": [encode(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__}")


def decode(attribute: dict) -> Any:
    if "S" in attribute and len(attribute) == 1:  # most values, checked first
        return attribute["S"]
    ((kind, value),) = attribute.items()
    if kind == "N":
        return int(value)
    if kind == "M":
        return {k: decode(v) for k, v in value.items()}
    if kind == "L":
        return [decode(v) for v in value]
    if kind == "NULL":
        return None
    return value  # S, B, BOOL


def encode_item(item: dict) -> dict:
    return {k: encode(v) for k, v in item.items() if v is not None}


@overload
def decode_item(item: dict) -> dict: ...
@overload
def decode_item(item: None) -> None: ...
@overload
def decode_item(item: dict | None) -> dict | None: ...
def decode_item(item: dict | None) -> dict | None:
    return None if item is None else {k: decode(v) for k, v in item.items()}


def pages(call: Callable[..., dict], **request: Any) -> Iterator[list[dict]]:
    """The raw items of a Query or Scan, page by page, following LastEvaluatedKey to the end;
    lazily, so a caller that stops reading stops asking."""
    while True:
        page = call(**request)
        yield page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def values(**named: Any) -> dict:
    return {f":{name}": encode(value) for name, value in named.items()}


def put_if_new(client: Any, table: str, item: dict) -> bool:
    """Put an item only if its key is new; False if it is taken (nothing written)."""
    try:
        client.put_item(
            TableName=table, Item=encode_item(item), ConditionExpression="attribute_not_exists(pk)"
        )
    except client.exceptions.ClientError as err:
        if is_condition_failure(err):
            return False
        raise
    return True


def put_new(client: Any, table: str, item: dict, exists: Callable[[], Exception]) -> None:
    """Put an item whose key must be new; raise `exists()` if it is taken."""
    if not put_if_new(client, table, item):
        raise exists()


def is_condition_failure(err: Exception) -> bool:
    code = getattr(err, "response", {}).get("Error", {}).get("Code")
    return code == "ConditionalCheckFailedException"


@dataclass(frozen=True)
class Write:
    """One write of a transaction, and the domain error to raise if its condition fails."""

    request: dict
    on_condition_failure: Callable[[], Exception]


def transact(client: Any, writes: Iterable[Write]) -> None:
    """All or nothing. A failed condition raises the error its write names."""
    writes = list(writes)
    try:
        client.transact_write_items(TransactItems=[w.request for w in writes])
    except client.exceptions.TransactionCanceledException as err:
        reasons = err.response.get("CancellationReasons", [])
        for write, reason in zip(writes, reasons, strict=False):
            if reason.get("Code") == "ConditionalCheckFailed":
                raise write.on_condition_failure() from err
        raise
