"""The accounts table: pk = "<tenant>#<normalised username>".

The account item also lists its phones (id, push channel and endpoint, language tag), so
starting a sign-in reads one item to know where to push, and in which language. Beside it,
pk = "<tenant>#SUB#<account id>" names the account's username, so userinfo finds it from the
token's `sub` with one GetItem. No normalised username has an upper-case letter (casefold),
so the two kinds never collide.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from chalicelib.adapters.dynamodb.base import (
    Write,
    decode_item,
    encode,
    encode_item,
    is_condition_failure,
    pages,
    put_if_new,
    transact,
    values,
)
from chalicelib.domain.accounts import Account, AccountKind, DeviceSummary
from chalicelib.errors import InvalidActivationCode, NotFound, ServiceError

SUB = "SUB"  # the sub items' marker: upper case, so never part of a normalised username


class AccountExists(ServiceError):
    status = 409
    code = "account_exists"
    description = "An account with this username exists."


class AccountStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, username: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{username}"}}

    @staticmethod
    def _sub_key(tenant_id: str, account_id: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{SUB}#{account_id}"}}

    def create(self, account: Account) -> None:
        """The account and its sub item, both new, in one transaction."""
        item: dict[str, Any] = {
            "pk": f"{account.tenant_id}#{account.username}",
            "account_id": account.account_id,
            "kind": account.kind.value,
            "created_at": account.created_at,
            "devices": {},
        }
        sub_item = self._put_new(self._sub_item(account))
        transact(
            self._client,
            [Write(self._put_new(item), AccountExists), Write(sub_item, AccountExists)],
        )

    def _sub_item(self, account: Account) -> dict:
        """The item that names the account's username by its sub."""
        pk = self._sub_key(account.tenant_id, account.account_id)["pk"]["S"]
        return {"pk": pk, "username": account.username, "account_id": account.account_id}

    def index_sub(self, account: Account) -> bool:
        """Give an account made before sub items its own (`tools.admin index-subs`); False
        when it has one."""
        return put_if_new(self._client, self._table, self._sub_item(account))

    def _put_new(self, item: dict) -> dict:
        return {
            "Put": {
                "TableName": self._table,
                "Item": encode_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def username_of(self, tenant_id: str, account_id: str) -> str | None:
        """The username of the account with this sub: one GetItem (None: no such item)."""
        response = self._client.get_item(
            TableName=self._table, Key=self._sub_key(tenant_id, account_id)
        )
        item = decode_item(response.get("Item"))
        return item["username"] if item else None

    def get(self, tenant_id: str, username: str, consistent: bool = False) -> Account | None:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, username), ConsistentRead=consistent
        )
        item = decode_item(response.get("Item"))
        if item is None or "kind" not in item:  # none, or a sub item (never a username)
            return None
        return Account(
            tenant_id=tenant_id,
            username=username,
            account_id=item["account_id"],
            kind=AccountKind(item["kind"]),
            created_at=item["created_at"],
            password_hash=item.get("password_hash"),
            disabled=item.get("disabled", False),
            phone_failures=item.get("phone_failures", 0),
            phone_locked_until=item.get("phone_locked_until", 0),
            devices={
                device_id: DeviceSummary(
                    channel=d.get("channel"),
                    endpoint_arn=d.get("endpoint_arn"),
                    locale=d.get("locale"),
                )
                for device_id, d in item.get("devices", {}).items()
            },
        )

    def set_password(self, tenant_id: str, username: str, password_hash: str) -> None:
        self._set(tenant_id, username, password_hash=password_hash)

    def set_disabled(self, tenant_id: str, username: str, disabled: bool) -> None:
        self._set(tenant_id, username, disabled=disabled)

    def _set(self, tenant_id: str, username: str, **attributes) -> None:
        """Set attributes of an account that exists."""
        self._client.update_item(
            TableName=self._table,
            Key=self._key(tenant_id, username),
            UpdateExpression="SET " + ", ".join(f"{name} = :{name}" for name in attributes),
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values(**attributes),
        )

    def count_phone_failure(self, tenant_id: str, username: str) -> int:
        """One more denial or wrong number in a row; the length of the run (atomic)."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, username),
                UpdateExpression="ADD phone_failures :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values(one=1),
                ReturnValues="UPDATED_NEW",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return 0  # the account was deleted meanwhile: nothing left to lock
            raise
        return int(response["Attributes"]["phone_failures"]["N"])

    def clear_phone_failures(self, tenant_id: str, username: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, username),
                UpdateExpression="REMOVE phone_failures",
                ConditionExpression="attribute_exists(pk)",  # never create a stub account
            )
        except self._client.exceptions.ClientError as err:
            if not is_condition_failure(err):
                raise

    def lock_phone(self, tenant_id: str, username: str, until: int, now: int) -> bool:
        """Lock phone sign-in until `until` (never shortening a longer lock), and start the
        run of failures afresh. True when it was not locked before: a new lock."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, username),
                UpdateExpression="SET phone_locked_until = :until REMOVE phone_failures",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(phone_locked_until) OR phone_locked_until < :until)",
                ExpressionAttributeValues=values(until=until),
                ReturnValues="UPDATED_OLD",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False  # locked at least that long already (or the account is gone)
            raise
        before = decode_item(response.get("Attributes")) or {}
        return before.get("phone_locked_until", 0) <= now

    def unlock_phone(self, tenant_id: str, username: str) -> None:
        """Lift a phone lock and forget the run of failed answers (an administrator's act)."""
        self._client.update_item(
            TableName=self._table,
            Key=self._key(tenant_id, username),
            UpdateExpression="REMOVE phone_locked_until, phone_failures",
            ConditionExpression="attribute_exists(pk)",
        )

    def list(self, tenant_id: str) -> list[Account]:
        """Every account of a tenant: a filtered scan, for the admin CLI only (not a hot path)."""
        kwargs = {
            "TableName": self._table,
            "FilterExpression": "begins_with(pk, :tenant)",
            "ExpressionAttributeValues": values(tenant=f"{tenant_id}#"),
        }
        found = [
            self.get(tenant_id, raw["pk"]["S"].split("#", 1)[1])
            for page in pages(self._client.scan, **kwargs)
            for raw in page
            if "kind" in raw  # an account, not a sub item
        ]
        return sorted((a for a in found if a), key=lambda a: a.username)

    def attach_device(
        self,
        tenant_id: str,
        username: str,
        device_id: str,
        summary: DeviceSummary,
        *,
        code_hash: str | None = None,
    ) -> Write:
        """List a phone on the account. With `code_hash`, the phone redeems that activation
        code: only if it is the account's newest (which it then spends) and the account is
        enabled, checked in this very write."""
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._key(tenant_id, username),
            "UpdateExpression": "SET devices.#d = :summary",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#d": device_id},
            "ExpressionAttributeValues": {":summary": encode(_summary(summary))},
        }
        if code_hash is None:
            return Write(
                {"Update": update},
                on_condition_failure=lambda: NotFound("The account no longer exists."),
            )
        update["UpdateExpression"] += f" REMOVE {_CODE}"
        update["ConditionExpression"] += (
            f" AND {_CODE} = :code AND (attribute_not_exists(disabled) OR disabled = :no)"
        )
        update["ExpressionAttributeValues"] |= values(code=code_hash, no=False)
        return Write(
            {"Update": update},
            on_condition_failure=lambda: InvalidActivationCode(
                "The activation code is no longer valid: a newer one was issued, or the "
                "account was disabled or removed."
            ),
        )

    def set_activation_code(self, tenant_id: str, username: str, code_hash: str) -> None:
        """The account's newest activation code: only it can be redeemed (see attach_device),
        so issuing a code revokes the older ones not yet used."""
        self._set(tenant_id, username, **{_CODE: code_hash})

    def detach_device(self, tenant_id: str, username: str, device_id: str) -> Write:
        return Write(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(tenant_id, username),
                    "UpdateExpression": "REMOVE devices.#d",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#d": device_id},
                }
            },
            on_condition_failure=lambda: NotFound("The account no longer exists."),
        )

    def set_device(
        self, tenant_id: str, username: str, device_id: str, summary: DeviceSummary
    ) -> None:
        update = self.attach_device(tenant_id, username, device_id, summary).request["Update"]
        self._client.update_item(**update)

    def set_device_locale(
        self, tenant_id: str, username: str, device_id: str, locale: str
    ) -> Write:
        """Change only the language of a phone the account lists: its push fields stay as
        they are, and a phone removed meanwhile is not listed again."""
        return Write(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(tenant_id, username),
                    "UpdateExpression": "SET devices.#d.locale = :locale",
                    "ConditionExpression": "attribute_exists(devices.#d)",
                    "ExpressionAttributeNames": {"#d": device_id},
                    "ExpressionAttributeValues": values(locale=locale),
                }
            },
            on_condition_failure=lambda: NotFound("The device is not enrolled."),
        )


_CODE = "activation_code_hash"  # SHA-256 of the newest activation code, until it is redeemed


def _summary(summary: DeviceSummary) -> dict:
    return asdict(summary)  # channel, endpoint_arn, locale: a None is not stored
