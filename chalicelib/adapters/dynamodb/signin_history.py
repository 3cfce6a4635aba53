"""The phone's answers, read back: a decided sign-in is kept AUDIT_DAYS as the record of its
answer (SignInStore.decide), so respond writes no audit event and no "last used" of its own.

Both reads stay in the person's partition (pk = "<tenant>#<user key>"), in the sort-key range
of timed sign-in ids: held and password-only sign-ins (time 00000000) sort before it, the
person's notices after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from chalicelib.adapters.dynamodb.base import decode_item, pages, values
from chalicelib.domain.signins import Outcome
from chalicelib.domain.tenants import MAX_SIGNIN_SECONDS

# "Last used" looks this many pages back (1 MB each, thousands of sign-ins) at the most.
LAST_USED_PAGES = 4


class SignInHistory:
    _client: Any
    _table: str

    def answered(self, tenant_id: str, user_key: str, since: int, until: int) -> list[dict]:
        """The approvals decided in [since, until), oldest first: {signin_id, device_id, at}."""
        found = [
            {"signin_id": item["sk"], "device_id": item["decided_by"], "at": item["decided_at"]}
            for item in self._approvals(tenant_id, user_key, since, until, newest_first=False)
            if since <= item["decided_at"] < until
        ]
        return sorted(found, key=lambda a: a["at"])

    def last_answers(self, tenant_id: str, user_key: str, devices: set[str]) -> dict[str, int]:
        """When each of these phones last approved a sign-in, if within AUDIT_DAYS: newest
        first, stopping once every phone is found (usually on the first page)."""
        last: dict[str, int] = {}
        for item in self._approvals(tenant_id, user_key, 0, 2**32 - 1, at_most=LAST_USED_PAGES):
            last.setdefault(item["decided_by"], item["decided_at"])
            if devices <= last.keys():
                break
        return {d: at for d, at in last.items() if d in devices}

    def _approvals(
        self,
        tenant_id: str,
        user_key: str,
        since: int,
        until: int,
        newest_first: bool = True,
        at_most: int | None = None,
    ) -> Iterator[dict]:
        # A sign-in is decided within MAX_SIGNIN_SECONDS of the time in its id.
        kwargs: dict = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "FilterExpression": "outcome = :approved AND attribute_exists(decided_by)",
            "ExpressionAttributeValues": values(
                pk=f"{tenant_id}#{user_key}",
                first=f"{user_key}{max(1, since - MAX_SIGNIN_SECONDS):08x}",
                last=f"{user_key}{min(until, 2**32 - 1):08x}~",
                approved=Outcome.APPROVED.value,
            ),
            "ScanIndexForward": not newest_first,
        }  # fmt: skip
        for page in islice(pages(self._client.query, **kwargs), at_most):
            yield from (decode_item(raw) for raw in page)
