"""The limits table: counters of failed attempts in fixed windows, TTL on `ttl`.

pk = "<tenant>#<what>#<who>#<window number>". A counter is one item per window, so it needs
no reset, and unknown usernames are counted exactly like known ones.
"""

from __future__ import annotations

from typing import Any

from .base import decode_item, is_condition_failure, values


class LimitStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, what: str, who: str, window: int, now: int) -> dict:
        return {"pk": {"S": f"{tenant_id}#{what}#{who}#{now // window}"}}

    def count(self, tenant_id: str, what: str, who: str, window: int, now: int) -> int:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, what, who, window, now)
        )
        item = decode_item(response.get("Item"))
        return 0 if item is None else item["hits"]

    def first_use(self, tenant_id: str, what: str, who: str, keep_until: int) -> bool:
        """Record a one-time value (a proof's jti); False if it was seen before."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": f"{tenant_id}#{what}#{who}"}, "ttl": {"N": str(keep_until)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise

    def give_back(self, tenant_id: str, what: str, who: str, window: int, now: int) -> None:
        """Undo one hit (an attempt that turned out fine); an emptied counter is deleted."""
        key = self._key(tenant_id, what, who, window, now)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD hits :minus",
                ConditionExpression="hits > :one",
                ExpressionAttributeValues=values(minus=-1, one=1),
            )
        except self._client.exceptions.ClientError as err:
            if not is_condition_failure(err):
                raise
            try:
                self._client.delete_item(
                    TableName=self._table,
                    Key=key,
                    ConditionExpression="hits = :one",
                    ExpressionAttributeValues=values(one=1),
                )
            except self._client.exceptions.ClientError as gone:
                if not is_condition_failure(gone):
                    raise

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
