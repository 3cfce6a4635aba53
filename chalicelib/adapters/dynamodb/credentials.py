"""The credentials table: people's passkeys, and the WebAuthn challenges waiting for an answer.

  pk = "<tenant>#<account id>", sk = credential id (base64url)   a passkey
  pk = "<tenant>#challenge#<challenge id>", sk = "challenge"     a challenge, TTL on `ttl`

Passkeys are filed under the account's random id, the user handle an authenticator returns,
so an assertion finds its credential with one GetItem, and a person's list is one Query. A
username deleted and made again is a new account id: it inherits no passkey. (An account id
is base64url: never "challenge#...".)

A challenge is answered once: it is taken by one conditional DeleteItem that also checks its
purpose and expiry, so of two answers at once exactly one gets it (DynamoDB's TTL deletes
late: the expiry is checked in the condition, not left to TTL). A counter is moved by one
conditional UpdateItem: a lower or equal counter never wins a race.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.base import (
    decode_item,
    encode_item,
    is_condition_failure,
    pages,
    values,
)
from chalicelib.domain.passkeys import Challenge, Passkey, Purpose
from chalicelib.errors import InvalidPasskey

CHALLENGE = "challenge"
KEEP_CHALLENGE_SECONDS = 3600  # then TTL removes one nobody answered


class CredentialStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, account_id: str, credential_id: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{account_id}"}, "sk": {"S": credential_id}}

    @staticmethod
    def _challenge_key(tenant_id: str, challenge_id: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{CHALLENGE}#{challenge_id}"}, "sk": {"S": CHALLENGE}}

    # Passkeys

    def add(self, passkey: Passkey) -> None:
        """Store a new passkey; InvalidPasskey if the account has this credential already."""
        item = {
            "pk": f"{passkey.tenant_id}#{passkey.account_id}",
            "sk": passkey.credential_id,
            "username": passkey.username,
            "public_key": passkey.public_key,
            "sign_count": passkey.sign_count,
            "backup_eligible": passkey.backup_eligible,
            "backup_state": passkey.backup_state,
            "name": passkey.name,
            "aaguid": passkey.aaguid or None,
            "transports": list(passkey.transports) or None,
            "created_at": passkey.created_at,
            "last_used_at": passkey.last_used_at,
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=encode_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                raise InvalidPasskey("This passkey is registered already.") from err
            raise

    def get(self, tenant_id: str, account_id: str, credential_id: str) -> Passkey | None:
        """Strongly consistent: a removed passkey stops working at once."""
        response = self._client.get_item(
            TableName=self._table,
            Key=self._key(tenant_id, account_id, credential_id),
            ConsistentRead=True,
        )
        item = decode_item(response.get("Item"))
        return None if item is None else self._passkey(tenant_id, account_id, item)

    def list(self, tenant_id: str, account_id: str) -> list[Passkey]:
        """The account's passkeys, oldest first: one Query (a person has a handful)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": values(pk=f"{tenant_id}#{account_id}"),
            "ConsistentRead": True,
        }
        found = [
            self._passkey(tenant_id, account_id, decode_item(raw))
            for page in pages(self._client.query, **kwargs)
            for raw in page
        ]
        return sorted(found, key=lambda p: (p.created_at, p.credential_id))

    def remove(self, tenant_id: str, account_id: str, credential_id: str) -> bool:
        """Delete the passkey; False when the account had no such passkey."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key(tenant_id, account_id, credential_id),
                ConditionExpression="attribute_exists(pk)",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise
        return True

    def used(
        self,
        tenant_id: str,
        account_id: str,
        credential_id: str,
        *,
        sign_count: int,
        backup_state: bool,
        now: int,
    ) -> bool:
        """Record a verified use: the new counter, the backup state, when. Only while the
        passkey is there and its stored counter is below the new one (or both are 0, for an
        authenticator that keeps no counter); False otherwise, nothing written."""
        counter = "sign_count = :count" if sign_count == 0 else "sign_count < :count"
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, account_id, credential_id),
                UpdateExpression="SET sign_count = :count, backup_state = :bs, last_used_at = :now",
                ConditionExpression=f"attribute_exists(pk) AND {counter}",
                ExpressionAttributeValues=values(count=sign_count, bs=backup_state, now=now),
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise
        return True

    @staticmethod
    def _passkey(tenant_id: str, account_id: str, item: dict) -> Passkey:
        return Passkey(
            tenant_id=tenant_id,
            account_id=account_id,
            username=item["username"],
            credential_id=item["sk"],
            public_key=bytes(item["public_key"]),
            sign_count=item["sign_count"],
            backup_eligible=item["backup_eligible"],
            backup_state=item["backup_state"],
            name=item["name"],
            aaguid=item.get("aaguid", ""),
            transports=tuple(item.get("transports", ())),
            created_at=item["created_at"],
            last_used_at=item.get("last_used_at"),
        )

    # Challenges

    def put_challenge(self, challenge: Challenge) -> None:
        item = {
            "pk": f"{challenge.tenant_id}#{CHALLENGE}#{challenge.challenge_id}",
            "sk": CHALLENGE,
            "challenge": challenge.challenge,
            "purpose": challenge.purpose.value,
            "account_id": challenge.account_id,
            "expires_at": challenge.expires_at,
            "ttl": challenge.expires_at + KEEP_CHALLENGE_SECONDS,
        }
        self._client.put_item(
            TableName=self._table,
            Item=encode_item(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def take_challenge(
        self, tenant_id: str, challenge_id: str, purpose: Purpose, now: int
    ) -> Challenge | None:
        """The challenge, deleted in the same write: only if it is there, for this purpose,
        and not expired. None otherwise (unknown, answered already, expired, another kind)."""
        try:
            response = self._client.delete_item(
                TableName=self._table,
                Key=self._challenge_key(tenant_id, challenge_id),
                ConditionExpression="attribute_exists(pk) AND #purpose = :purpose "
                "AND expires_at > :now",
                ExpressionAttributeNames={"#purpose": "purpose"},
                ExpressionAttributeValues=values(purpose=purpose.value, now=now),
                ReturnValues="ALL_OLD",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return None
            raise
        item = decode_item(response.get("Attributes"))
        if item is None:  # nothing was there to delete: another answer took it first
            return None
        return Challenge(
            tenant_id=tenant_id,
            challenge_id=challenge_id,
            challenge=bytes(item["challenge"]),
            purpose=Purpose(item["purpose"]),
            expires_at=item["expires_at"],
            account_id=item.get("account_id"),
        )
