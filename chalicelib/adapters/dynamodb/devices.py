"""The devices table: pk = "<tenant>#<device id>" (the RFC 7638 thumbprint of its key)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.base import (
    Write,
    decode_item,
    encode_item,
    is_condition_failure,
    values,
)
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.devices import Device, Platform
from chalicelib.errors import DeviceAlreadyEnrolled, NotFound


class DeviceStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, device_id: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{device_id}"}}

    def get(self, tenant_id: str, device_id: str) -> Device | None:
        # Strongly consistent: a phone removed a moment ago must not answer any more.
        response = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, device_id), ConsistentRead=True
        )
        item = decode_item(response.get("Item"))
        return None if item is None else _device(tenant_id, device_id, item)

    def add(self, device: Device) -> Write:
        item = {
            "pk": f"{device.tenant_id}#{device.device_id}",
            "username": device.username,
            "account_id": device.account_id,
            "kind": device.kind.value,
            "platform": device.platform.value,
            "public_jwk": device.public_jwk,
            "installation_id": device.installation_id,
            "sealed_totp_secret": device.sealed_totp_secret,
            "created_at": device.created_at,
            "push_channel": device.push_channel,
            "push_token": device.push_token,
            "endpoint_arn": device.endpoint_arn,
            "locale": device.locale,
        }
        return Write(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": encode_item(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failure=DeviceAlreadyEnrolled,
        )

    def remove(self, tenant_id: str, device_id: str) -> Write:
        return Write(
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": self._key(tenant_id, device_id),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            on_condition_failure=lambda: NotFound("The device is not enrolled."),
        )

    def set_push(self, tenant_id: str, device_id: str, channel: str, token: str, arn: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._key(tenant_id, device_id),
            UpdateExpression=(
                "SET push_channel = :channel, push_token = :token, endpoint_arn = :arn "
                "REMOVE push_failed_at"
            ),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values(channel=channel, token=token, arn=arn),
        )

    def set_locale(self, tenant_id: str, device_id: str, locale: str) -> Write:
        """The language tag the phone asked for, as it sent it."""
        return Write(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(tenant_id, device_id),
                    "UpdateExpression": "SET locale = :locale",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": values(locale=locale),
                }
            },
            on_condition_failure=lambda: NotFound("The device is not enrolled."),
        )

    def use_totp_step(self, tenant_id: str, device_id: str, step: int) -> bool:
        """Spend a TOTP time step: a code works once (RFC 6238 5.2)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, device_id),
                UpdateExpression="SET totp_step = :step",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(totp_step) OR totp_step < :step)",
                ExpressionAttributeValues=values(step=step),
            )
            return True
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise

    def record_push_failure(self, tenant_id: str, device_id: str, now: int) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._key(tenant_id, device_id),
            UpdateExpression="SET push_failed_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values(now=now),
        )


def _device(tenant_id: str, device_id: str, item: dict) -> Device:
    return Device(
        tenant_id=tenant_id,
        device_id=device_id,
        username=item["username"],
        account_id=item["account_id"],
        kind=AccountKind(item["kind"]),
        platform=Platform(item["platform"]),
        public_jwk=item["public_jwk"],
        installation_id=item["installation_id"],
        sealed_totp_secret=item["sealed_totp_secret"],
        created_at=item["created_at"],
        push_channel=item.get("push_channel"),
        push_token=item.get("push_token"),
        endpoint_arn=item.get("endpoint_arn"),
        push_failed_at=item.get("push_failed_at"),
        locale=item.get("locale"),  # absent: enrolled without one, or before phones sent it
        last_used_at=item.get("last_used_at"),  # absent: it has not answered since (or ever)
    )
