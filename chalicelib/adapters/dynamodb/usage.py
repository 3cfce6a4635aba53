"""The usage table: pk = "<tenant>#<day>#<shard>", one counter attribute per billable event."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.adapters.dynamodb.base import decode_item
from chalicelib.domain.metering import SHARDS


class UsageStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    def add(self, tenant_id: str, day: str, shard: int, counts: dict[str, int]) -> None:
        names = {f"#c{i}": name for i, name in enumerate(counts)}
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"{tenant_id}#{day}#{shard}"}},
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                f":c{i}": {"N": str(n)} for i, n in enumerate(counts.values())
            },
        )

    def day(self, tenant_id: str, day: str) -> Counter:
        """One day's counts: the sum of its shards (one BatchGetItem)."""
        keys = [{"pk": {"S": f"{tenant_id}#{day}#{shard}"}} for shard in range(SHARDS)]
        total: Counter = Counter()
        request: dict | None = {self._table: {"Keys": keys}}
        while request:
            response = self._client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(self._table, []):
                fields = decode_item(item)
                fields.pop("pk")
                total.update(fields)
            request = response.get("UnprocessedKeys") or None
        return total
