"""The sessions table: pk = "<tenant>#<account id>", sk = session id, TTL on `ttl`.

Filed under the account, so the cookie's session is one GetItem and all of a person's
sessions one Query (to end them when the account is disabled, a device removed or the
password reset). The apps a session signed in to are a map, client id -> when it joined,
which one UpdateItem extends. DynamoDB's TTL deletes late: the expiry is checked by the
caller (SsoSession.live) and in the join's condition.
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
from chalicelib.domain.sso import SsoSession


class SsoSessionStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, account_id: str, session_id: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{account_id}"}, "sk": {"S": session_id}}

    def begin(self, session: SsoSession) -> bool:
        """Store a new session; False if one with this id exists (the page asked twice)."""
        item = {
            "pk": f"{session.tenant_id}#{session.account_id}",
            "sk": session.session_id,
            "user_key": session.user_key,
            "secret_hash": session.secret_hash,
            "auth_time": session.auth_time,
            "amr": list(session.amr),
            "acr": session.acr,
            "device_id": session.device_id,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
            "idle_seconds": session.idle_seconds,
            "expires_at": session.expires_at,
            "ttl": session.expires_at,
            "clients": {client: session.created_at for client in session.clients},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=encode_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise
        return True

    def get(self, tenant_id: str, account_id: str, session_id: str) -> SsoSession | None:
        """Strongly consistent: a session ended a moment ago is gone for every container."""
        response = self._client.get_item(
            TableName=self._table,
            Key=self._key(tenant_id, account_id, session_id),
            ConsistentRead=True,
        )
        item = decode_item(response.get("Item"))
        return None if item is None else _session_of(tenant_id, item)

    def join(self, session: SsoSession, client_id: str, now: int) -> bool:
        """A client signed in through the session: record it and that the session was used.
        False if the session ended or went idle since it was read."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(session.tenant_id, session.account_id, session.session_id),
                UpdateExpression="SET last_seen_at = :now, clients.#client = :now",
                ConditionExpression=(
                    "attribute_exists(pk) AND secret_hash = :secret AND expires_at > :now "
                    "AND last_seen_at > :idle"
                ),
                ExpressionAttributeNames={"#client": client_id},
                ExpressionAttributeValues=values(
                    now=now, secret=session.secret_hash, idle=now - session.idle_seconds
                ),
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise
        return True

    def end(self, tenant_id: str, account_id: str, session_id: str) -> SsoSession | None:
        """Delete the session; the one deleted (None if there was none): of two logouts at
        once, exactly one gets it, so the apps are told once."""
        response = self._client.delete_item(
            TableName=self._table,
            Key=self._key(tenant_id, account_id, session_id),
            ReturnValues="ALL_OLD",
        )
        item = decode_item(response.get("Attributes"))
        return None if item is None else _session_of(tenant_id, item)

    def of_account(self, tenant_id: str, account_id: str) -> list[SsoSession]:
        """Every session of the person (a few: one per browser they signed in with)."""
        request: dict = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": values(pk=f"{tenant_id}#{account_id}"),
            "ConsistentRead": True,
        }
        return [
            _session_of(tenant_id, decode_item(raw))
            for page in pages(self._client.query, **request)
            for raw in page
        ]


def _session_of(tenant_id: str, item: dict) -> SsoSession:
    return SsoSession(
        tenant_id=tenant_id,
        account_id=item["pk"].split("#", 1)[1],
        user_key=item["user_key"],
        session_id=item["sk"],
        secret_hash=item["secret_hash"],
        auth_time=item["auth_time"],
        amr=tuple(item["amr"]),
        acr=item["acr"],
        device_id=item.get("device_id"),
        created_at=item["created_at"],
        last_seen_at=item["last_seen_at"],
        idle_seconds=item["idle_seconds"],
        expires_at=item["expires_at"],
        clients=tuple(sorted(item.get("clients", {}))),
    )
