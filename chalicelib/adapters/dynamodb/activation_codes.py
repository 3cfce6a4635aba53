"""The activation codes table: pk = "<tenant>#<sha256 of the code>", TTL on `ttl`.

The code itself is never stored. Redeeming is a conditional write, so a code works once.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.base import Write, decode_item, encode_item, values
from chalicelib.domain.enrolment import ActivationCode
from chalicelib.errors import InvalidActivationCode

KEEP_USED_SECONDS = 86400  # used codes stay a day (for the audit trail), then TTL removes them


class ActivationCodeStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, code_hash: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{code_hash}"}}

    def create(self, code: ActivationCode) -> None:
        item = {
            "pk": f"{code.tenant_id}#{code.code_hash}",
            "username": code.username,
            "expires_at": code.expires_at,
            "ttl": code.expires_at + KEEP_USED_SECONDS,
        }
        self._client.put_item(
            TableName=self._table,
            Item=encode_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get(self, tenant_id: str, code_hash: str) -> ActivationCode | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, code_hash), ConsistentRead=True
        )
        item = decode_item(response.get("Item"))
        if item is None:
            return None
        return ActivationCode(
            tenant_id=tenant_id,
            code_hash=code_hash,
            username=item["username"],
            expires_at=item["expires_at"],
            used_at=item.get("used_at"),
        )

    def redeem(self, tenant_id: str, code_hash: str, now: int) -> Write:
        return Write(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(tenant_id, code_hash),
                    "UpdateExpression": "SET used_at = :now",
                    "ConditionExpression": (
                        "attribute_exists(pk) AND attribute_not_exists(used_at) "
                        "AND expires_at > :now"
                    ),
                    "ExpressionAttributeValues": values(now=now),
                }
            },
            on_condition_failure=InvalidActivationCode,
        )
