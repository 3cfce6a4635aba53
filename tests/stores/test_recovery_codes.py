"""RecoveryCodeStore: the account item's set of recovery code hashes, replaced whole and spent
one at a time by a conditional write."""

from __future__ import annotations

import pytest

from chalicelib.domain.accounts import Account, AccountKind
from chalicelib.errors import NotFound

ALICE = Account("acme", "alice@acme.test", "acct-alice", AccountKind.WORK, 1_750_000_000)
HASHES = [f"hash-{i}" for i in range(10)]


@pytest.fixture
def alice(svc):
    svc.accounts.create(ALICE)
    svc.recovery_codes.replace("acme", ALICE.username, HASHES)
    return svc.recovery_codes


def test_a_code_is_spent_once_and_the_count_follows(alice):
    """Needs the condition `contains(recovery_codes, :hash)`: without it, a spent code works
    again."""
    assert alice.count("acme", ALICE.username) == 10
    assert alice.use("acme", ALICE.username, "hash-3") == ("acct-alice", 9)
    assert alice.use("acme", ALICE.username, "hash-3") is None
    assert alice.count("acme", ALICE.username) == 9


def test_the_last_code_leaves_an_account_with_none(alice, svc):
    for left, code_hash in zip(range(9, -1, -1), HASHES, strict=True):
        assert alice.use("acme", ALICE.username, code_hash) == ("acct-alice", left)
    assert alice.count("acme", ALICE.username) == 0
    assert alice.use("acme", ALICE.username, "hash-0") is None
    assert svc.accounts.get("acme", ALICE.username) == ALICE  # the account itself is untouched


def test_a_new_set_replaces_the_old(alice):
    alice.replace("acme", ALICE.username, ["new-1", "new-2"])
    assert alice.count("acme", ALICE.username) == 2
    assert alice.use("acme", ALICE.username, "hash-0") is None
    assert alice.use("acme", ALICE.username, "new-2") == ("acct-alice", 1)


def test_a_disabled_account_spends_nothing(alice, svc):
    """Needs the condition on `disabled`: without it, a disabled account signs in."""
    svc.accounts.set_disabled("acme", ALICE.username, True)
    assert alice.use("acme", ALICE.username, "hash-0") is None
    svc.accounts.set_disabled("acme", ALICE.username, False)
    assert alice.use("acme", ALICE.username, "hash-0") == ("acct-alice", 9)


def test_nobody_else_has_the_codes_and_nothing_is_made_for_nobody(alice, svc):
    """Needs the tenant and username in the key and a condition that fails on a missing
    item: without it, a use would create a stub account."""
    assert alice.use("globex", ALICE.username, "hash-0") is None
    assert alice.use("acme", "bob@acme.test", "hash-0") is None
    assert alice.count("acme", "bob@acme.test") is None
    assert svc.accounts.get("acme", "bob@acme.test") is None
    with pytest.raises(NotFound):
        alice.replace("acme", "bob@acme.test", HASHES)
    assert alice.count("acme", "bob@acme.test") is None
