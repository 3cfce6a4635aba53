"""Passkeys across the store (usecases/passkeys.py with moto): a challenge answered once and
in time, a credential only where it was registered (this tenant, this person), a cloned
authenticator, a removed passkey; and registering and removing, audited and shown to the
person's phones.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.accounts import AccountKind, user_key
from chalicelib.domain.metering import day_of
from chalicelib.domain.passkeys import CHALLENGE_SECONDS
from chalicelib.domain.secret_codes import b64url
from chalicelib.domain.signins import Origin
from chalicelib.errors import InvalidPasskey, InvalidRequest, NotFound
from chalicelib.usecases import passkeys
from tools.admin import flows as admin
from tools.passkey_authenticator import SoftwarePasskey

BASE_URL = "https://signin.example.test"
ORIGIN = Origin.of("198.51.100.7", "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0")


@pytest.fixture
def register(svc, tenant, globex):
    def make(username: str, tenant_id: str = "acme") -> SoftwarePasskey:
        if svc.accounts.get(tenant_id, username) is None:
            admin.create_account(svc, tenant_id, username, AccountKind.WORK)
        device = SoftwarePasskey(origin=BASE_URL, rp_id="signin.example.test")
        asked = passkeys.registration_options(svc, tenant_id, username)
        passkeys.register(
            svc, tenant_id, username, asked["challenge_id"], device.create(asked["publicKey"]),
            "Laptop",
        )  # fmt: skip
        return device

    return make


@pytest.fixture
def sign_in(svc, tenant):
    def send(device: SoftwarePasskey, tenant_id: str = "acme", options=None, **forge) -> dict:
        options = options or passkeys.assertion_options(svc, tenant_id)
        clients = {"acme": tenant["client_id"], "globex": "globex-web"}
        request = passkeys.PasskeyRequest(
            client_id=clients[tenant_id],
            redirect_uri="https://app.acme.test/cb" if tenant_id == "acme" else "https://globex.test/cb",
            challenge_id=options["challenge_id"],
            credential=device.get(options["publicKey"], **forge),
        )  # fmt: skip
        return passkeys.sign_in(svc, tenant_id, request, ORIGIN)

    return send


def account_id(svc, username: str, tenant_id: str = "acme") -> str:
    return svc.accounts.get(tenant_id, username).account_id


def test_a_passkey_of_another_tenant_is_not_found_here(register, sign_in):
    """Needs the tenant id first in the credential's key: every tenant's page shares one RP
    ID (the host), so the browser offers globex's passkey on acme's page too."""
    at_globex = register("alice@acme.test", "globex")
    register("alice@acme.test", "acme")
    assert sign_in(at_globex, "globex")["status"] == "approved"
    with pytest.raises(InvalidPasskey, match="not registered here"):
        sign_in(at_globex, "acme")


def test_a_passkey_of_another_person_is_not_found_under_this_user_handle(register, sign_in, svc):
    """Needs the credential looked up under the user handle's account: Mallory's own passkey
    answering with Alice's user handle (her sub is no secret) finds nothing."""
    register("alice@acme.test")
    mallory = register("mallory@acme.test")
    alice_handle = account_id(svc, "alice@acme.test").encode()
    with pytest.raises(InvalidPasskey, match="not registered here"):
        sign_in(mallory, user_handle=alice_handle)


def test_a_passkey_answering_without_a_user_handle_is_refused(register, sign_in):
    """Needs the user handle required: a non-discoverable credential's assertion cannot
    say whose it is, and the page asked for no username."""
    with pytest.raises(InvalidPasskey, match="no user handle"):
        sign_in(register("alice@acme.test"), user_handle=None)


def test_a_challenge_is_answered_once(register, sign_in, svc):
    """Needs take_challenge's conditional delete: a replayed answer is refused."""
    device = register("alice@acme.test")
    options = passkeys.assertion_options(svc, "acme")
    assert sign_in(device, options=options)["status"] == "approved"
    with pytest.raises(InvalidPasskey, match="answered already"):
        sign_in(device, options=options)


def test_an_expired_challenge_is_refused(register, sign_in, svc, clock):
    """Needs the expiry in take_challenge's condition (TTL deletes hours late)."""
    device = register("alice@acme.test")
    options = passkeys.assertion_options(svc, "acme")
    clock.advance(CHALLENGE_SECONDS)
    with pytest.raises(InvalidPasskey, match="expired"):
        sign_in(device, options=options)


def test_a_registration_challenge_does_not_sign_in(register, sign_in, svc):
    """Needs the challenge's purpose checked: one made for navigator.credentials.create is
    not an answerable sign-in challenge."""
    device = register("alice@acme.test")
    asked = passkeys.registration_options(svc, "acme", "alice@acme.test")
    options = {"challenge_id": asked["challenge_id"], "publicKey": asked["publicKey"]}
    with pytest.raises(InvalidPasskey, match="answered already"):
        sign_in(device, options=options)


def test_a_cloned_authenticator_is_refused_and_recorded(register, sign_in, svc):
    """Needs the counter check (and the store's conditional update): a copy of the key,
    behind the original's counter, is refused, and the refusal is in the audit log."""
    device = register("alice@acme.test")
    sign_in(device)
    sign_in(device)  # the original is at 2
    with pytest.raises(InvalidPasskey, match="counter"):
        sign_in(device, counter=2)
    refused = [e for e in svc.audit.day("acme", day_of(svc.now())) if e.event == "passkey_refused"]
    assert refused[0].detail["reason"].startswith("The signature counter did not increase")


def test_a_removed_passkey_stops_at_once(register, sign_in, svc):
    """Needs the consistent read of the credential: a passkey removed on the security-info
    page (a lost laptop) no longer signs in."""
    device = register("alice@acme.test")
    (listed,) = passkeys.listed(svc, "acme", "alice@acme.test")
    passkeys.remove(svc, "acme", "alice@acme.test", listed["credential_id"], actor="self")
    assert passkeys.listed(svc, "acme", "alice@acme.test") == []
    with pytest.raises(InvalidPasskey, match="not registered here"):
        sign_in(device)


def test_a_challenge_for_one_person_does_not_register_a_passkey_for_another(register, svc):
    """Needs register to compare the challenge's account with the caller's: the options
    carry Alice's user handle, so a passkey made with them is Alice's."""
    register("alice@acme.test")
    admin.create_account(svc, "acme", "bob@acme.test", AccountKind.WORK)
    asked = passkeys.registration_options(svc, "acme", "alice@acme.test")
    made = SoftwarePasskey(origin=BASE_URL, rp_id="signin.example.test").create(asked["publicKey"])
    with pytest.raises(InvalidPasskey):
        passkeys.register(svc, "acme", "bob@acme.test", asked["challenge_id"], made, "Stolen")
    assert passkeys.listed(svc, "acme", "bob@acme.test") == []


def test_one_cannot_remove_another_persons_passkey(register, svc):
    """Needs remove to look under the caller's account: Bob names Alice's credential id."""
    register("alice@acme.test")
    admin.create_account(svc, "acme", "bob@acme.test", AccountKind.WORK)
    (alices,) = passkeys.listed(svc, "acme", "alice@acme.test")
    with pytest.raises(NotFound):
        passkeys.remove(svc, "acme", "bob@acme.test", alices["credential_id"], actor="self")
    assert len(passkeys.listed(svc, "acme", "alice@acme.test")) == 1


def test_adding_and_removing_are_audited_and_shown_to_the_phones(register, svc):
    """Needs _changed: a passkey added or removed by someone else is seen at once on the
    person's phones (a notice) and is in the audit log with who did it."""
    register("alice@acme.test")
    (listed,) = passkeys.listed(svc, "acme", "alice@acme.test")
    passkeys.remove(svc, "acme", "alice@acme.test", listed["credential_id"], actor="admin")
    sub = account_id(svc, "alice@acme.test")
    events = {e.event: e for e in svc.audit.day("acme", day_of(svc.now()))}
    assert events["passkey_added"].actor == "self"
    assert (events["passkey_removed"].actor, events["passkey_removed"].account) == ("admin", sub)
    _, notices = svc.signins.inbox("acme", user_key("alice@acme.test"), svc.now())
    assert {n.kind for n in notices} >= {"passkey_added", "passkey_removed"}
    assert all(
        n.detail == {"name": "Laptop", "synced": False} for n in notices if "passkey" in n.kind
    )


def test_registration_excludes_the_persons_passkeys_and_has_a_limit(register, svc):
    """Needs excludeCredentials from the person's passkeys (one authenticator, one passkey)
    and MAX_PASSKEYS (the list and the options stay small)."""
    device = register("alice@acme.test")
    asked = passkeys.registration_options(svc, "acme", "alice@acme.test")
    excluded = [c["id"] for c in asked["publicKey"]["excludeCredentials"]]
    assert excluded == [b64url(device.credential_id)]
    for _ in range(passkeys.MAX_PASSKEYS - 1):
        register("alice@acme.test")
    with pytest.raises(InvalidRequest, match="at most"):
        passkeys.registration_options(svc, "acme", "alice@acme.test")
