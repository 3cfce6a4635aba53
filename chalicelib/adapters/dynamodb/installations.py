"""The installations table: facts about a phone that span the whole service.

pk = the app's installation id: which work or school account the phone holds ("one work
or school account per phone" spans every tenant).
pk = "endpoint#<SNS endpoint ARN>": which registrations use that push endpoint (`holders`),
and the installation they belong to (`installation_id`, set by the first holder). SNS keeps
one endpoint per push token, so two accounts in one app on one phone share it; no other
installation may take hold of it, and it is deleted only when the last holder lets go.
These are the only keys without a tenant in front.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.base import Write, encode_item, is_condition_failure, values
from chalicelib.errors import NotFound, PushTokenInUse, WorkAccountAlreadyEnrolled


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

    def hold_endpoint(
        self, endpoint_arn: str, installation_id: str, tenant_id: str, device_id: str
    ) -> Write:
        """Take hold of a push endpoint for a registration. Only registrations of the app
        installation that first held it may share it, so nobody can adopt another phone's
        endpoint by knowing its push token. One that nobody holds may be taken by anyone."""
        return Write(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._endpoint_key(endpoint_arn),
                    "UpdateExpression": "SET installation_id = :installation ADD holders :me",
                    "ConditionExpression": (
                        "attribute_not_exists(holders) OR installation_id = :installation"
                    ),
                    "ExpressionAttributeValues": {
                        **values(installation=installation_id),
                        ":me": {"SS": [f"{tenant_id}#{device_id}"]},
                    },
                }
            },
            on_condition_failure=PushTokenInUse,
        )

    def release_endpoint(self, endpoint_arn: str, tenant_id: str, device_id: str) -> bool:
        """Drop this registration's hold; True when nobody holds the endpoint any more."""
        key = self._endpoint_key(endpoint_arn)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="DELETE holders :me",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":me": {"SS": [f"{tenant_id}#{device_id}"]}},
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return True  # nobody holds it
            raise
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

    def is_held(self, endpoint_arn: str) -> bool:
        response = self._client.get_item(
            TableName=self._table, Key=self._endpoint_key(endpoint_arn), ConsistentRead=True
        )
        return bool(response.get("Item", {}).get("holders", {}).get("SS"))

    @staticmethod
    def _endpoint_key(endpoint_arn: str) -> dict:
        return {"pk": {"S": f"endpoint#{endpoint_arn}"}}

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
