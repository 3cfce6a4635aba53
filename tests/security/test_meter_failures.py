"""The usage meter never fails a request: while the usage table cannot be written, a code is
still exchanged for its tokens (it was spent: a lost answer would lose the sign-in), and the
counts the table did not take are written by the next flush once it is back, exactly once."""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from chalicelib.adapters.dynamodb.base import create_tables
from chalicelib.domain.metering import FLUSH_SECONDS, SHARDS, Billable, day_of
from tests.fixtures.core import PREFIX

USAGE = f"{PREFIX}usage"
ACME_REDIRECT = "https://app.acme.test/cb"


class OnlyUsage:
    """Hands create_tables' calls for the usage table to the client: the table comes back
    exactly as the service's own definition makes it, and the others are left alone."""

    def __init__(self, client):
        self._client = client

    def create_table(self, **params):
        if params["TableName"] == USAGE:
            self._client.create_table(**params)

    def update_time_to_live(self, **params):
        if params["TableName"] == USAGE:
            self._client.update_time_to_live(**params)


@pytest.fixture
def usage_writes(svc) -> list[dict]:
    """Every UpdateItem the service sends to the usage table (sent, whether or not it works)."""
    calls: list[dict] = []

    def record(params, **_):
        if params.get("TableName") == USAGE:
            calls.append(params)

    svc.dynamodb.meta.events.register("provide-client-params.dynamodb.UpdateItem", record)
    return calls


def exchange(token, tenant, code: str) -> tuple[int, dict]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": ACME_REDIRECT}
    return token(form, client=(tenant["client_id"], tenant["client_secret"]))


def usage_today(svc, clock) -> Counter:
    return svc.usage.day("acme", day_of(clock()))


def half_a_flush_later(alice, start, approved, clock) -> str:
    """Start, and approve half of FLUSH_SECONDS later; the code is then redeemed the other
    half later, when the tally is due (a code lives a minute, as long as FLUSH_SECONDS)."""
    started = start(redirect_uri=ACME_REDIRECT)
    clock.advance(FLUSH_SECONDS // 2)
    code = approved(alice, started)
    clock.advance(FLUSH_SECONDS - FLUSH_SECONDS // 2)
    return code


def test_a_code_is_exchanged_while_the_usage_table_is_gone_and_its_counts_come_later(
    svc, tenant, alice, start, approved, token, clock, usage_writes, caplog
):
    """Defence: `metering.py` `Meter.flush` keeps what the table did not take and never
    raises, so `usecases/issuance.py` `issue_tokens` answers after the code was spent."""
    code = half_a_flush_later(alice, start, approved, clock)
    assert exchange(token, tenant, code)[0] == 200  # flushes the start, the answer and the tokens
    assert usage_today(svc, clock) == Counter(signins_started=1, phone_answers=1, tokens_issued=1)
    code = half_a_flush_later(alice, start, approved, clock)
    svc.dynamodb.delete_table(TableName=USAGE)
    written = len(usage_writes)

    with caplog.at_level(logging.WARNING, logger="phonesignin.metering"):
        status, tokens = exchange(token, tenant, code)

    assert status == 200, tokens
    assert {"id_token", "access_token"} <= set(tokens)
    assert len(usage_writes) == written + 1  # the flush was tried, and failed
    failures = [r.getMessage() for r in caplog.records if "usage_flush_failed" in r.getMessage()]
    assert len(failures) == 1, caplog.text
    assert "ResourceNotFoundException" in failures[0]
    assert code not in caplog.text and tenant["client_secret"] not in caplog.text
    assert exchange(token, tenant, code)[1]["error"] == "invalid_grant"  # it stays spent

    create_tables(OnlyUsage(svc.dynamodb), PREFIX)
    clock.advance(FLUSH_SECONDS)
    start(redirect_uri=ACME_REDIRECT)  # counts, and flushes what was kept

    # The second sign-in's events, and the new start: the first sign-in's counts, which the
    # lost table had taken, are not sent again.
    assert usage_today(svc, clock) == Counter(signins_started=2, phone_answers=1, tokens_issued=1)


def test_a_failed_flush_is_not_retried_by_every_request(svc, clock, usage_writes, caplog):
    """Defence: `metering.py` `Meter.flush` waits FLUSH_SECONDS (or FLUSH_EVENTS) after a
    failure, so an outage of the usage table does not cost every request a failing write."""
    svc.dynamodb.delete_table(TableName=USAGE)
    svc.meter.count("acme", Billable.SIGNIN_STARTED)
    clock.advance(FLUSH_SECONDS)

    with caplog.at_level(logging.WARNING, logger="phonesignin.metering"):
        for _ in range(5):
            svc.meter.count("acme", Billable.SIGNIN_STARTED)  # the first one flushes, and fails

    assert len(usage_writes) == 1
    assert caplog.text.count("usage_flush_failed") == 1
    create_tables(OnlyUsage(svc.dynamodb), PREFIX)
    clock.advance(FLUSH_SECONDS)
    svc.meter.count("acme", Billable.SIGNIN_STARTED)
    assert usage_today(svc, clock) == Counter(signins_started=7)


def test_what_one_flush_wrote_is_not_written_again_when_another_tally_fails(svc, clock):
    """Defence: `metering.py` `Meter.flush` drops each tally the table took, and keeps only
    the ones it refused. Globex's usage items for today are spoiled (a counter that is text,
    so DynamoDB refuses to ADD to it); acme's tally in the same flush is still written once."""
    today = day_of(clock())
    spoiled = [{"pk": {"S": f"globex#{today}#{shard}"}} for shard in range(SHARDS)]
    for key in spoiled:
        svc.dynamodb.put_item(TableName=USAGE, Item={**key, "signins_started": {"S": "x"}})
    svc.meter.count("acme", Billable.SIGNIN_STARTED)
    svc.meter.count("globex", Billable.SIGNIN_STARTED)
    clock.advance(FLUSH_SECONDS)
    svc.meter.count("acme", Billable.SIGNIN_STARTED)  # flushes: acme's 2 written, globex's kept
    assert svc.usage.day("acme", today) == Counter(signins_started=2)

    for key in spoiled:
        svc.dynamodb.delete_item(TableName=USAGE, Key=key)
    clock.advance(FLUSH_SECONDS)
    svc.meter.count("acme", Billable.SIGNIN_STARTED)  # flushes acme's 1 and globex's kept 1

    assert svc.usage.day("acme", today) == Counter(signins_started=3)
    assert svc.usage.day("globex", today) == Counter(signins_started=1)
