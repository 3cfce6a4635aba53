"""The installations table: which work or school account a phone app holds.

pk = the app's installation id. This is the one key without a tenant in front: the rule
"one work or school account per phone" spans the whole service.
"""

from __future__ import annotations

from typing import Any

from ..errors import WorkAccountAlreadyEnrolled
from .base import Write, encode_item, values


class InstallationStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    def claim(self, installation_id: str, tenant_id: str, device_id: str) -> Write:
        item = {"pk": installation_id, "tenant_id": tenant_id, "device_id": device_id}
        return Write(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": encode_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failure=WorkAccountAlreadyEnrolled,
        )

    def is_claimed(self, installation_id: str) -> bool:
        response = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": installation_id}}, ConsistentRead=True
        )
        return "Item" in response

    def release(self, installation_id: str, tenant_id: str, device_id: str) -> Write:
        """Only the device that holds the claim can release it."""
        return Write(
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": installation_id}},
                    "ConditionExpression": "tenant_id = :tenant AND device_id = :device",
                    "ExpressionAttributeValues": values(tenant=tenant_id, device=device_id),
                }
            },
            on_condition_failure=WorkAccountAlreadyEnrolled,
        )
