"""CredentialStore: passkeys filed per tenant and account, a counter that only goes up, and
WebAuthn challenges that are answered once, before they expire.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import secrets
import threading

import pytest

from chalicelib.adapters.dynamodb.base import SCHEMA
from chalicelib.adapters.dynamodb.credentials import KEEP_CHALLENGE_SECONDS
from chalicelib.domain.passkeys import CHALLENGE_SECONDS, Challenge, Passkey, Purpose
from chalicelib.errors import InvalidPasskey

ALICE = "MbDblVHU7j7xtSH177bp4Q"
BOB = "Xk2m7PaqZ1bYc0NwE9sRtA"


def passkey(svc, account_id: str = ALICE, tenant_id: str = "acme", **changes) -> Passkey:
    fields = dict(
        tenant_id=tenant_id, account_id=account_id, username="alice@acme.test",
        credential_id="cred-" + secrets.token_hex(4), public_key=b"\xa5\x01\x02",
        sign_count=0, backup_eligible=True, backup_state=False, name="Laptop",
        created_at=svc.now(), aaguid="00000000-0000-0000-0000-000000000000",
        transports=("hybrid", "internal"),
    )  # fmt: skip
    return Passkey(**{**fields, **changes})


def test_a_passkey_reads_back_as_stored_and_is_listed_under_its_account(svc, clock):
    """Needs the layout pk = <tenant>#<account id>, sk = credential id: one GetItem for an
    assertion, one Query for the person's list, nobody else's in it."""
    first = passkey(svc)
    svc.credentials.add(first)
    clock.advance(1)
    second = passkey(svc, name="Phone", backup_eligible=False, transports=())
    svc.credentials.add(second)
    svc.credentials.add(passkey(svc, BOB))
    svc.credentials.add(passkey(svc, tenant_id="globex"))

    assert svc.credentials.get("acme", ALICE, first.credential_id) == first
    assert svc.credentials.list("acme", ALICE) == [first, second]
    assert svc.credentials.get("acme", BOB, first.credential_id) is None
    assert svc.credentials.get("globex", ALICE, first.credential_id) is None


def test_a_credential_is_added_once(svc):
    """Needs add's attribute_not_exists condition: a second registration of the same
    credential must not reset its counter."""
    kept = passkey(svc, sign_count=7)
    svc.credentials.add(kept)
    with pytest.raises(InvalidPasskey):
        svc.credentials.add(passkey(svc, credential_id=kept.credential_id))
    assert svc.credentials.get("acme", ALICE, kept.credential_id).sign_count == 7


def test_remove_says_whether_there_was_one(svc):
    """Needs remove's attribute_exists condition: the page tells a passkey removed from one
    that was not there (NotFound)."""
    kept = passkey(svc)
    svc.credentials.add(kept)
    assert svc.credentials.remove("acme", BOB, kept.credential_id) is False
    assert svc.credentials.remove("acme", ALICE, kept.credential_id) is True
    assert svc.credentials.remove("acme", ALICE, kept.credential_id) is False
    assert svc.credentials.list("acme", ALICE) == []


def test_a_use_moves_the_counter_up_only(svc, clock):
    """Needs used's condition sign_count < new: of two uses at once, or a cloned key's
    older counter, a lower or equal counter never wins."""
    kept = passkey(svc, sign_count=5)
    svc.credentials.add(kept)
    args = ("acme", ALICE, kept.credential_id)
    assert not svc.credentials.used(*args, sign_count=5, backup_state=True, now=svc.now())
    assert not svc.credentials.used(*args, sign_count=0, backup_state=True, now=svc.now())
    clock.advance(30)
    assert svc.credentials.used(*args, sign_count=6, backup_state=True, now=svc.now())
    assert not svc.credentials.used(*args, sign_count=6, backup_state=True, now=svc.now())
    after = svc.credentials.get(*args)
    assert (after.sign_count, after.backup_state, after.last_used_at) == (6, True, svc.now())


def test_a_use_without_counters_is_recorded_and_a_removed_passkey_is_not(svc):
    """Needs used's zero case (synced passkeys send 0 every time) and attribute_exists (a
    passkey removed meanwhile is not written back as a stub)."""
    kept = passkey(svc)
    svc.credentials.add(kept)
    args = ("acme", ALICE, kept.credential_id)
    assert svc.credentials.used(*args, sign_count=0, backup_state=True, now=svc.now())
    assert svc.credentials.remove(*args)
    assert not svc.credentials.used(*args, sign_count=1, backup_state=True, now=svc.now())
    assert svc.credentials.get(*args) is None


def new_challenge(svc, purpose=Purpose.SIGN_IN, tenant_id="acme") -> Challenge:
    made = Challenge.new(secrets, tenant_id, purpose, svc.now())
    svc.credentials.put_challenge(made)
    return made


def test_a_challenge_is_taken_once(svc):
    """Needs take_challenge's conditional delete: an answer replayed gets nothing."""
    made = new_challenge(svc)
    assert svc.credentials.take_challenge("acme", made.challenge_id, Purpose.SIGN_IN, svc.now())
    assert not svc.credentials.take_challenge("acme", made.challenge_id, Purpose.SIGN_IN, svc.now())


def test_of_two_answers_at_once_one_gets_the_challenge(svc):
    """Needs the delete and its condition to be one write: two threads, one winner."""
    made = new_challenge(svc)
    got: list = []
    barrier = threading.Barrier(2)

    def take():
        barrier.wait()
        got.append(
            svc.credentials.take_challenge("acme", made.challenge_id, Purpose.SIGN_IN, svc.now())
        )

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(x is not None for x in got) == [False, True]


def test_an_expired_challenge_is_not_taken_though_ttl_has_not_removed_it(svc, aws, clock):
    """Needs expires_at in take_challenge's condition: DynamoDB's TTL deletes hours late."""
    made = new_challenge(svc)
    table = svc.settings.table_prefix + "credentials"
    (item,) = aws.client("dynamodb").scan(TableName=table)["Items"]
    ttl = int(item[SCHEMA["credentials"]["ttl"]]["N"])
    assert ttl == made.expires_at + KEEP_CHALLENGE_SECONDS
    clock.advance(CHALLENGE_SECONDS)
    assert not svc.credentials.take_challenge("acme", made.challenge_id, Purpose.SIGN_IN, svc.now())


def test_a_challenge_is_taken_only_for_its_purpose_and_tenant(svc):
    """Needs the purpose in the condition and the tenant in the key: a sign-in challenge
    cannot register a passkey, nor another tenant's sign in."""
    made = new_challenge(svc, Purpose.SIGN_IN)
    take = svc.credentials.take_challenge
    assert not take("globex", made.challenge_id, Purpose.SIGN_IN, svc.now())
    assert not take("acme", made.challenge_id, Purpose.REGISTER, svc.now())
    taken = take("acme", made.challenge_id, Purpose.SIGN_IN, svc.now())
    assert taken == made
