"""The audit table: security events, kept AUDIT_DAYS (TTL on `ttl`).

pk = "<tenant>#<day>#<shard>", sk = "<time>#<random>". A tenant's day is spread over SHARDS
partitions, so a busy tenant does not make one hot key; reading a day queries each shard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.dynamodb.base import decode_item, encode_item, pages, values
from chalicelib.domain.metering import SHARDS, day_of

AUDIT_DAYS = 90


@dataclass(frozen=True)
class AuditEvent:
    """A security event, as the audit log keeps it."""

    tenant_id: str
    at: int
    event: str
    account: str | None = None  # the account's sub, never the username
    device: str | None = None
    actor: str = "service"  # "service", "admin", or the device id that acted
    detail: dict = field(default_factory=dict)


class AuditStore:
    def __init__(self, client: Any, table: str, shard):
        self._client = client
        self._table = table
        self._shard = shard

    def record(self, event: AuditEvent, nonce: str) -> None:
        item = {
            "pk": f"{event.tenant_id}#{day_of(event.at)}#{self._shard()}",
            "sk": f"{event.at:010d}#{nonce}",
            "event": event.event,
            "account": event.account,
            "device": event.device,
            "actor": event.actor,
            "detail": event.detail or None,
            "ttl": event.at + AUDIT_DAYS * 86400,
        }
        self._client.put_item(TableName=self._table, Item=encode_item(item))

    def day(self, tenant_id: str, day: str, account: str | None = None) -> list[AuditEvent]:
        found = []
        for shard in range(SHARDS):
            kwargs: dict = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": values(pk=f"{tenant_id}#{day}#{shard}"),
            }
            if account is not None:
                kwargs["FilterExpression"] = "account = :account"
                kwargs["ExpressionAttributeValues"] |= values(account=account)
            for page in pages(self._client.query, **kwargs):
                for raw in page:
                    item = decode_item(raw)
                    found.append(
                        AuditEvent(
                            tenant_id=tenant_id,
                            at=int(item["sk"].split("#")[0]),
                            event=item["event"],
                            account=item.get("account"),
                            device=item.get("device"),
                            actor=item.get("actor", "service"),
                            detail=item.get("detail", {}),
                        )
                    )
        return sorted(found, key=lambda e: e.at)
