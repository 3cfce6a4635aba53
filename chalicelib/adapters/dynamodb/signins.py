"""The sign-ins table: pk = "<tenant>#<user key>", sk = sign-in id, TTL on `ttl`.

Filing sign-ins under the user key lets a phone list its pending sign-ins with one query,
and the person's notices (a new phone, failed codes) are in the same partition, under
sk = "<user key>~<kind>[~<key>]", which sorts after every sign-in id: the same query reads
them. Held sign-ins (time 00000000, signins.held_signin_id) sort before the query's range.
DynamoDB TTL deletes late, so every condition here checks `expires_at` itself.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.audit import AUDIT_DAYS
from chalicelib.adapters.dynamodb.base import decode_item, encode_item, is_condition_failure, values
from chalicelib.adapters.dynamodb.signin_history import SignInHistory
from chalicelib.adapters.dynamodb.signin_items import item_of, notice_of, signin_of
from chalicelib.domain.signins import (
    CODE_SECONDS,
    DecisionRefused,
    Notice,
    Outcome,
    SignIn,
    oldest_open_id,
)
from chalicelib.domain.tenants import MAX_SIGNIN_SECONDS
from chalicelib.errors import InvalidGrant

# The phone's list reads at most this many items, newest first. Only pushed sign-ins and the
# person's notices are in its range (held and password-only ones sort outside it): at most the
# pushes the policy allows in ten minutes (20 a minute at the most: 200), so a stranger cannot
# push a waiting sign-in out of this read.
INBOX_ITEMS = 250


class SignInStore(SignInHistory):
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    @staticmethod
    def _key(tenant_id: str, signin_id: str) -> dict:
        return {"pk": {"S": f"{tenant_id}#{signin_id[:16]}"}, "sk": {"S": signin_id}}

    def create(self, signin: SignIn) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=encode_item(item_of(signin)),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def create_held(self, signin: SignIn, now: int) -> bool:
        """Store a held sign-in under its number's id; False when a live one has that number
        (draw another). An old one is overwritten once its code can no longer be redeemed."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=encode_item(item_of(signin)),
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :spent",
                ExpressionAttributeValues=values(spent=now - CODE_SECONDS),
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise
        return True

    def notify(self, tenant_id: str, user_key: str, notice: Notice, keep: int) -> None:
        """Leave the person's phones a notice (replacing an older one of the same kind and
        key), listed with their waiting sign-ins for `keep` seconds."""
        suffix = f"~{notice.kind}" + (f"~{notice.key}" if notice.key else "")
        item = {
            "pk": f"{tenant_id}#{user_key}",
            "sk": user_key + suffix,
            "notice": notice.kind,
            "account_id": notice.account_id,
            "at": notice.at,
            "detail": notice.detail or None,
            "expires_at": notice.at + keep,
            "ttl": notice.at + keep,
        }
        self._client.put_item(TableName=self._table, Item=encode_item(item))

    def get(self, tenant_id: str, signin_id: str, consistent: bool = True) -> SignIn | None:
        """Strongly consistent unless asked: an eventual read (half the units) may be a moment
        old, which a page's result poll can afford (it polls again)."""
        response = self._client.get_item(
            TableName=self._table, Key=self._key(tenant_id, signin_id), ConsistentRead=consistent
        )
        item = decode_item(response.get("Item"))
        return None if item is None else signin_of(tenant_id, item)

    def inbox(
        self, tenant_id: str, user_key: str, now: int, consistent: bool = True
    ) -> tuple[list[SignIn], list[Notice]]:
        """The pushed sign-ins still waiting (oldest first) and the live notices, in one
        bounded read: ids sort by creation time, so only those young enough to be open are
        in range, newest first, at most INBOX_ITEMS of them."""
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk > :oldest",
            FilterExpression="attribute_not_exists(outcome) AND expires_at > :now",
            ExpressionAttributeValues=values(
                pk=f"{tenant_id}#{user_key}",
                oldest=oldest_open_id(user_key, now, MAX_SIGNIN_SECONDS),
                now=now,
            ),
            ScanIndexForward=False,
            Limit=INBOX_ITEMS,
            ConsistentRead=consistent,
        )
        signins, notices = [], []
        for raw in reversed(page["Items"]):
            item = decode_item(raw)
            if "notice" in item:
                notices.append(notice_of(item))
            else:
                signins.append(signin_of(tenant_id, item))
        return signins, notices

    def pending_for(
        self, tenant_id: str, user_key: str, now: int, consistent: bool = True
    ) -> list[SignIn]:
        return self.inbox(tenant_id, user_key, now, consistent)[0]

    def decide(
        self,
        tenant_id: str,
        signin_id: str,
        *,
        outcome: Outcome,
        account_id: str,
        device_id: str,
        response_id: str,
        now: int,
        match_number: bool = False,
        number: int | None = None,
        amr: tuple[str, ...] | None = None,
    ) -> SignIn:
        """Record the first valid answer, once, before expiry, from the account's own phone;
        return the sign-in as decided. The decided sign-in is the answer's record (the audit
        log's, and the phone's "last used"): kept AUDIT_DAYS, at no extra write.

        With `match_number`, the stored number must equal `number` (a missing number never
        matches). When a condition fails, raise DecisionRefused with the item as it was, so
        the caller can tell why without another read.
        """
        condition = (
            "attribute_exists(pk) AND attribute_not_exists(outcome) "
            "AND expires_at > :now AND account_id = :account"
        )
        named = {
            "now": now,
            "account": account_id,
            "outcome": outcome.value,
            "device": device_id,
            "response": response_id,
            "keep": now + AUDIT_DAYS * 86400,
        }
        update = (
            "SET outcome = :outcome, decided_at = :now, decided_by = :device, "
            "response_id = :response, #ttl = :keep"
        )
        extra: dict = {"ExpressionAttributeNames": {"#ttl": "ttl"}}
        if match_number:
            extra["ExpressionAttributeNames"]["#number"] = "number"
            condition += " AND #number = :number"
            named["number"] = -1 if number is None else number  # -1: never a number shown
        if amr is not None:
            update += ", amr = :amr"
            named["amr"] = list(amr)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, signin_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values(**named),
                ReturnValues="ALL_NEW",  # costs no read units
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **extra,
            )
        except self._client.exceptions.ClientError as err:
            if not is_condition_failure(err):
                raise
            item = decode_item(err.response.get("Item"))
            raise DecisionRefused(None if item is None else signin_of(tenant_id, item)) from err
        return signin_of(tenant_id, decode_item(response["Attributes"]))

    def cancel(
        self, tenant_id: str, signin_id: str, now: int, outcome: Outcome = Outcome.CANCELLED
    ) -> bool:
        """End a sign-in nobody answered yet; False if it had already ended."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, signin_id),
                UpdateExpression="SET outcome = :outcome, decided_at = :now",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(outcome)",
                ExpressionAttributeValues=values(outcome=outcome.value, now=now),
            )
            return True
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise

    def throttle_poll(self, tenant_id: str, signin_id: str, interval: int, now: int) -> bool:
        """Note a poll; False when the last one was less than `interval` ago (CIBA slow_down)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, signin_id),
                UpdateExpression="SET polled_at = :now",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(polled_at) OR polled_at <= :since)",
                ExpressionAttributeValues=values(now=now, since=now - interval),
            )
            return True
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                return False
            raise

    def redeem(
        self,
        tenant_id: str,
        signin_id: str,
        *,
        client_id: str,
        code_hash: str,
        code_challenge: str | None,
        redirect_uri: str | None,
        now: int,
    ) -> SignIn:
        """Spend the authorization code: once, by its client, after approval, within a minute,
        with the PKCE challenge and redirect URI it was issued for. All of it is one condition,
        so a request that fails any part of it changes nothing."""
        condition = (
            "attribute_exists(pk) AND outcome = :approved AND code_hash = :code "
            "AND client_id = :client AND attribute_not_exists(redeemed_at) "
            "AND decided_at > :oldest"
        )
        named = {
            "now": now,
            "approved": Outcome.APPROVED.value,
            "code": code_hash,
            "client": client_id,
            "oldest": now - CODE_SECONDS,
        }
        if code_challenge is None:
            condition += " AND attribute_not_exists(code_challenge)"
        else:
            condition += " AND code_challenge = :challenge"
            named["challenge"] = code_challenge
        if redirect_uri is None:
            condition += " AND attribute_not_exists(redirect_uri)"
        else:
            condition += " AND redirect_uri = :redirect"
            named["redirect"] = redirect_uri
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, signin_id),
                UpdateExpression="SET redeemed_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeValues=values(**named),
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ClientError as err:
            if is_condition_failure(err):
                raise InvalidGrant() from err
            raise
        return signin_of(tenant_id, decode_item(response["Attributes"]))
