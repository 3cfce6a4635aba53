"""The account item's recovery codes: attribute `recovery_codes` of the accounts table, a
string set of keyed hashes (domain/secret_codes.py `recovery_code_hash`).

The same item as AccountStore's, with its key (one layout, written in accounts.py); kept in
a module of its own because the codes' writes have a job of their own: a new set replaces the
old one whole, and a code is spent by one conditional write that removes its hash only while
it is there, so of two uses at once exactly one wins.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.accounts import AccountStore
from chalicelib.adapters.dynamodb.base import decode_item, is_condition_failure, values
from chalicelib.errors import NotFound

_CODES = "recovery_codes"


class RecoveryCodeStore:
    _key = staticmethod(AccountStore._key)

    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    def replace(self, tenant_id: str, username: str, hashes: list[str]) -> None:
        """The account's codes are these now: any older set is gone."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, username),
                UpdateExpression=f"SET {_CODES} = :codes",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":codes": {"SS": list(hashes)}},
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                raise NotFound("No such account.") from err
            raise

    def use(self, tenant_id: str, username: str, code_hash: str) -> tuple[str, int] | None:
        """Spend one code: remove its hash if the enabled account has it, in one write.
        (account id, codes left) when it did; None for any other reason (no such account,
        disabled, no such code, or spent already), which nobody may tell apart."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, username),
                UpdateExpression=f"DELETE {_CODES} :spent",
                ConditionExpression=f"contains({_CODES}, :hash) "
                "AND (attribute_not_exists(disabled) OR disabled = :no)",
                ExpressionAttributeValues={":spent": {"SS": [code_hash]}}
                | values(hash=code_hash, no=False),
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return None
            raise
        item = decode_item(response["Attributes"])
        return item["account_id"], len(item.get(_CODES, ()))  # the last one removes the set

    def count(self, tenant_id: str, username: str) -> int | None:
        """How many codes the account has left; None when there is no such account."""
        response = self._client.get_item(
            TableName=self._table,
            Key=self._key(tenant_id, username),
            ConsistentRead=True,
            ProjectionExpression="account_id, #codes",
            ExpressionAttributeNames={"#codes": _CODES},
        )
        item = decode_item(response.get("Item"))
        if item is None or "account_id" not in item:
            return None
        return len(item.get(_CODES, ()))
