"""The installations table: facts about a phone that span the whole service.

pk = the app's installation id: which work or school account the phone holds ("one work
or school account per phone" spans every tenant).
pk = "endpoint#<SNS endpoint ARN>": which registrations use that push endpoint. SNS keeps
one endpoint per push token, so two accounts on one phone share it; it is deleted only when
the last of them is removed.
These are the only keys without a tenant in front.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotFound, WorkAccountAlreadyEnrolled
from .base import Write, encode_item, is_condition_failure, values


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

    def hold_endpoint(self, endpoint_arn: str, tenant_id: str, device_id: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"endpoint#{endpoint_arn}"}},
            UpdateExpression="ADD holders :me",
            ExpressionAttributeValues={":me": {"SS": [f"{tenant_id}#{device_id}"]}},
        )

    def release_endpoint(self, endpoint_arn: str, tenant_id: str, device_id: str) -> bool:
        """Drop this registration's hold; True when nobody holds the endpoint any more."""
        key = {"pk": {"S": f"endpoint#{endpoint_arn}"}}
        response = self._client.update_item(
            TableName=self._table,
            Key=key,
            UpdateExpression="DELETE holders :me",
            ExpressionAttributeValues={":me": {"SS": [f"{tenant_id}#{device_id}"]}},
            ReturnValues="ALL_NEW",
        )
        if response.get("Attributes", {}).get("holders", {}).get("SS"):
            return False
        try:
            self._client.delete_item(
                TableName=self._table, Key=key, ConditionExpression="attribute_not_exists(holders)"
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False  # another registration took hold in the meantime
            raise
        return True

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
            on_condition_failure=lambda: NotFound("This phone's registration has changed."),
        )
