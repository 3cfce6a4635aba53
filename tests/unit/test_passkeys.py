"""Passkeys' checks (domain/passkey_checks.py, with fido2) and values (domain/passkeys.py):
what a registration and an assertion must prove, and what a passkey sign-in claims.

The responses come from the software authenticator (tools/passkey_authenticator.py), which
can forge each part a real one never gets wrong. Each test says which defence it needs:
without it, the test fails. The checks that need the store (a challenge answered twice, a
credential of another tenant or person, a disabled account) are in
tests/security/test_passkey_signin.py.
"""

from __future__ import annotations

import pytest

from chalicelib.domain import passkey_checks, tokens
from chalicelib.domain.passkeys import (
    DEVICE_BOUND_AMR,
    SYNCED_AMR,
    Challenge,
    Passkey,
    Purpose,
    RelyingParty,
    validate_challenge_id,
    validate_name,
)
from chalicelib.errors import InvalidPasskey, InvalidRequest
from tools.passkey_authenticator import SoftwarePasskey

ORIGIN = "https://signin.example.test"
RP = RelyingParty.of(ORIGIN + "/", "Acme Corp")
NOW = 1_800_000_000
ACCOUNT_ID = "MbDblVHU7j7xtSH177bp4Q"


def challenge(rng, purpose: Purpose = Purpose.SIGN_IN) -> Challenge:
    account = ACCOUNT_ID if purpose is Purpose.REGISTER else None
    return Challenge.new(rng, "acme", purpose, NOW, account)


def registered(rng, authenticator: SoftwarePasskey) -> Passkey:
    """The authenticator's passkey, registered and stored as the use case stores it."""
    asked = challenge(rng, Purpose.REGISTER)
    options = passkey_checks.creation_options(RP, asked, "alice@acme.test", [])
    made = passkey_checks.verify_registration(RP, asked, authenticator.create(options))
    return Passkey(
        tenant_id="acme", account_id=ACCOUNT_ID, username="alice@acme.test",
        credential_id=made.credential_id, public_key=made.public_key,
        sign_count=made.sign_count, backup_eligible=made.backup_eligible,
        backup_state=made.backup_state, name="Laptop", created_at=NOW,
    )  # fmt: skip


@pytest.fixture
def device() -> SoftwarePasskey:
    return SoftwarePasskey(origin=ORIGIN, rp_id="signin.example.test")


def assert_(rng, passkey: Passkey, authenticator: SoftwarePasskey, **forge):
    """Answer a fresh sign-in challenge with the authenticator; verify it as the page's."""
    asked = challenge(rng)
    answer = authenticator.get(passkey_checks.request_options(RP, asked), **forge)
    parsed = passkey_checks.parse_assertion(answer)
    return passkey_checks.verify_assertion(RP, asked, parsed, passkey)


# Registration


def test_a_registration_is_verified_and_records_the_key_counter_and_backup_flags(rng, device):
    """Needs verify_registration to take the credential from the attested data: the key the
    assertions are checked with, and BE/BS (device-bound here)."""
    asked = challenge(rng, Purpose.REGISTER)
    options = passkey_checks.creation_options(RP, asked, "alice@acme.test", [])
    made = passkey_checks.verify_registration(RP, asked, device.create(options))

    assert made.credential_id == passkey_checks.b64url(device.credential_id)
    assert (made.sign_count, made.backup_eligible, made.backup_state) == (0, False, False)
    assert made.transports == ("internal",)
    assert device.user_handle == ACCOUNT_ID.encode()  # the random id, never the username


def test_a_synced_passkey_is_recorded_as_backup_eligible_and_backed_up(rng):
    """Needs BE and BS read from the authenticator data: the page says "synced" and the
    token says swk by them."""
    synced = SoftwarePasskey(origin=ORIGIN, rp_id="signin.example.test", synced=True)
    passkey = registered(rng, synced)
    assert (passkey.backup_eligible, passkey.backup_state) == (True, True)
    assert passkey.amr == SYNCED_AMR == ("mfa", "swk", "user")
    assert passkey.listed()["synced"] is True


def test_the_creation_options_ask_for_a_discoverable_user_verified_es256_or_rs256_key(rng):
    """Needs creation_options' requirements: a key the page can find without a username
    (residentKey required), unlocked by PIN or biometrics (userVerification required)."""
    existing = Passkey(
        tenant_id="acme", account_id=ACCOUNT_ID, username="alice@acme.test",
        credential_id="AQIDBA", public_key=b"", sign_count=0, backup_eligible=False,
        backup_state=False, name="Old", created_at=NOW, transports=("usb",),
    )  # fmt: skip
    options = passkey_checks.creation_options(
        RP, challenge(rng, Purpose.REGISTER), "alice@acme.test", [existing]
    )
    assert options["rp"] == {"id": "signin.example.test", "name": "Acme Corp"}
    assert options["user"]["id"] == passkey_checks.b64url(ACCOUNT_ID.encode())
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257]
    assert options["excludeCredentials"] == [
        {"type": "public-key", "id": "AQIDBA", "transports": ["usb"]}
    ]
    assert options["attestation"] == "none"


@pytest.mark.parametrize(
    "forge, defence",
    [
        ({"origin": "https://evil.example"}, "origin"),
        ({"origin": "https://sub.signin.example.test"}, "exact origin"),
        ({"rp_id": "evil.example"}, "RP ID hash"),
        ({"user_verified": False}, "user verification required"),
        ({"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, "challenge"),
        ({"type": "webauthn.get"}, "ceremony type"),
        ({"backup_eligible": False, "backup_state": True}, "BS without BE"),
    ],
)
def test_a_registration_that_does_not_fit_is_refused(rng, device, forge, defence):
    """Needs each check of verify_registration (fido2's register_complete with an exact
    origin, and BS only with BE): without the one named, the forged response is kept."""
    asked = challenge(rng, Purpose.REGISTER)
    options = passkey_checks.creation_options(RP, asked, "alice@acme.test", [])
    with pytest.raises(InvalidPasskey):
        passkey_checks.verify_registration(RP, asked, device.create(options, **forge))


# Assertions


def test_a_good_assertion_verifies_and_moves_the_counter(rng, device):
    """Needs verify_assertion to return the authenticator's counter and BS for the store."""
    passkey = registered(rng, device)
    verified = assert_(rng, passkey, device)
    assert (verified.sign_count, verified.backup_state) == (1, False)
    assert passkey.amr == DEVICE_BOUND_AMR == ("mfa", "hwk", "user")


def test_an_authenticator_without_a_counter_may_send_zero_every_time(rng):
    """Needs the counter check to let 0 after 0 through: synced passkeys keep no counter."""
    synced = SoftwarePasskey(origin=ORIGIN, rp_id="signin.example.test", synced=True, counts=False)
    passkey = registered(rng, synced)
    assert assert_(rng, passkey, synced).sign_count == 0
    assert assert_(rng, passkey, synced).sign_count == 0


@pytest.mark.parametrize(
    "forge",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://signin.example.test"},
        {"origin": "https://signin.example.test:8443"},
        {"rp_id": "evil.example"},
        {"rp_id": "example.test"},
        {"user_verified": False},
        {"user_present": False},
        {"type": "webauthn.create"},
        {"challenge": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
    ],
    ids=lambda forge: "-".join(f"{k}={v}" for k, v in forge.items()),
)
def test_an_assertion_that_does_not_fit_is_refused(rng, device, forge):
    """Needs fido2's authenticate_complete with the exact origin (not any origin under the RP
    ID), the RP ID hash, user presence, user verification (required), the ceremony type and
    the challenge: without the check each case forges, the assertion would sign the person
    in (a phishing page's, or one made without the PIN)."""
    passkey = registered(rng, device)
    with pytest.raises(InvalidPasskey):
        assert_(rng, passkey, device, **forge)


def test_an_assertion_signed_by_another_key_is_refused(rng, device):
    """Needs the signature checked with the stored public key: a copied credential id and
    user handle are not enough."""
    passkey = registered(rng, device)
    impostor = SoftwarePasskey(
        origin=ORIGIN, rp_id="signin.example.test", credential_id=device.credential_id,
        user_handle=device.user_handle,
    )  # fmt: skip
    with pytest.raises(InvalidPasskey, match="did not verify"):
        assert_(rng, passkey, impostor)


@pytest.mark.parametrize("stored, sent", [(5, 5), (5, 3), (5, 0)])
def test_a_counter_that_does_not_go_up_is_refused_as_a_cloned_authenticator(
    rng, device, stored, sent
):
    """Needs the counter check (WebAuthn 7.2 step 21): a copy of the key signs with a
    counter the original has passed already, or with none."""
    passkey = registered(rng, device)
    used = Passkey(**{**passkey.__dict__, "sign_count": stored})
    with pytest.raises(InvalidPasskey, match="counter"):
        assert_(rng, used, device, counter=sent)


def test_an_assertion_whose_backup_eligibility_changed_is_refused(rng, device):
    """Needs BE compared with the stored one (WebAuthn 7.2 step 17): it is fixed for a
    credential's life, so a change means another authenticator (and another amr)."""
    passkey = registered(rng, device)
    with pytest.raises(InvalidPasskey, match="backup eligibility"):
        assert_(rng, passkey, device, backup_eligible=True, backup_state=True)


def test_the_user_handle_and_credential_id_are_read_for_the_lookup(rng, device):
    """Needs parse_assertion to return whose (user handle) and which (credential id) before
    anything is verified: the store is asked for exactly that credential of that account."""
    passkey = registered(rng, device)
    answer = device.get(passkey_checks.request_options(RP, challenge(rng)))
    parsed = passkey_checks.parse_assertion(answer)
    assert (parsed.account_id, parsed.credential_id) == (ACCOUNT_ID, passkey.credential_id)
    no_handle = passkey_checks.parse_assertion(
        device.get(passkey_checks.request_options(RP, challenge(rng)), user_handle=None)
    )
    assert no_handle.account_id is None


@pytest.mark.parametrize(
    "credential",
    [
        {},
        {"id": "AA", "rawId": "AA", "type": "public-key"},
        {"id": "AA", "rawId": "AQ", "type": "public-key", "response": {}},
        {"rawId": "AA", "response": {"clientDataJSON": "e30", "authenticatorData": "AA"}},
        {
            "rawId": "AA",
            "response": {"clientDataJSON": "!!", "authenticatorData": "AA", "signature": "AA"},
        },
        {
            "rawId": "AA",
            "response": {
                "clientDataJSON": "e30",
                "authenticatorData": "AA",
                "signature": "AA",
                "userHandle": "_w",
            },
        },
    ],
)
def test_what_is_not_an_assertion_is_a_bad_request(credential):
    """Needs parse_assertion to turn fido2's parse errors into InvalidRequest (400), never
    an unhandled exception (500)."""
    with pytest.raises(InvalidRequest):
        passkey_checks.parse_assertion(credential)


GOOD_SHAPE = {
    "id": "AA",
    "rawId": "AA",
    "type": "public-key",
    "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
}
NESTED = passkey_checks.b64url(b"[" * 5000 + b"]" * 5000)


@pytest.mark.parametrize(
    "changes",
    [
        {"rawId": 10**12},  # fido2 would make a terabyte of zero bytes of it
        {"id": 5},
        {"type": "password"},
        {"response": []},
        {"response": {**GOOD_SHAPE["response"], "signature": 10**12}},
        {"clientExtensionResults": [1, 2]},
        {"authenticatorAttachment": 7},
        {"response": {**GOOD_SHAPE["response"], "clientDataJSON": NESTED}},
        {"response": {**GOOD_SHAPE["response"], "authenticatorData": "AAAA" * 10}},
    ],
)
def test_what_fido2_reads_loosely_or_fails_on_oddly_is_a_bad_request_too(changes):
    """Needs _parsed's own shape checks and its catch-all around fido2's parse: a number for
    bytes would exhaust memory, a list for a mapping or deeply nested client data would raise
    errors fido2 does not wrap (AttributeError, RecursionError): 500s."""
    with pytest.raises(InvalidRequest):
        passkey_checks.parse_assertion({**GOOD_SHAPE, **changes})


# Values


def test_the_relying_party_is_the_public_base_urls_host_and_origin():
    """Needs RelyingParty.of to write the origin as a browser does (lower case, no default
    port, a port that is not the default kept): the origin check compares exactly."""
    assert RelyingParty.of("https://Signin.Example.TEST:443", "x") == RelyingParty(
        "signin.example.test", "https://signin.example.test", "x"
    )
    local = RelyingParty.of("http://localhost:8000", "x")
    assert (local.id, local.origin) == ("localhost", "http://localhost:8000")


def test_a_passkey_sign_in_has_its_own_acr_and_phone_and_password_keep_theirs():
    """Needs id_token_claims to take the sign-in's acr where amr cannot tell it: a
    device-bound passkey's amr is a phone sign-in's, and an app must tell them apart."""
    claims = dict(issuer="i", subject="s", audience="a", auth_time=1, now=1, nonce=None)
    passkey = tokens.id_token_claims(**claims, amr=DEVICE_BOUND_AMR, acr=tokens.ACR_PASSKEY)
    phone = tokens.id_token_claims(**claims, amr=("mfa", "hwk", "user"))
    password = tokens.id_token_claims(**claims, amr=("pwd",))
    assert (passkey["acr"], passkey["amr"]) == (tokens.ACR_PASSKEY, ["mfa", "hwk", "user"])
    assert (phone["acr"], password["acr"]) == (tokens.ACR_TWO_STEP, tokens.ACR_PASSWORD)
    assert tokens.ACR_PASSKEY in tokens.discovery("i", ("en",))["acr_values_supported"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "\u202e\u200b", 5])
def test_a_passkey_name_must_be_one_to_64_visible_characters(name):
    """Needs validate_name: the page shows the name as typed."""
    with pytest.raises(InvalidRequest):
        validate_name(name)


def test_a_passkey_name_loses_invisible_characters():
    """Needs validate_name to clean the name (bidi overrides, zero-width characters)."""
    assert validate_name(" Work\u202e laptop\u200b ") == "Work laptop"


@pytest.mark.parametrize("challenge_id", [None, "", "x" * 22 + "=", "A" * 21, "A" * 21 + "B"])
def test_a_challenge_id_must_be_one_the_service_could_have_given(challenge_id):
    """Needs validate_challenge_id: 16 bytes in canonical base64url, else a 400 before any
    table is read."""
    with pytest.raises(InvalidRequest):
        validate_challenge_id(challenge_id)
