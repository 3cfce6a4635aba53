"""Tenant policy, client authentication and signing key choice."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain import secret_codes
from chalicelib.domain.tenants import (
    CLIENT_ID,
    Client,
    NumberMatch,
    Policy,
    SigningKey,
    Tenant,
    validate_tenant_id,
)
from chalicelib.errors import InvalidClient, InvalidRequest


def test_default_policy():
    policy = Policy()
    assert policy.phone_signin is True
    assert policy.signin_seconds == 120
    assert policy.number_match is NumberMatch.TYPE  # a blind tap among three: 1 in 3


@pytest.mark.parametrize("seconds", [30, 120, 600])
def test_signin_lifetimes_from_30_seconds_to_10_minutes_are_allowed(seconds):
    assert Policy(signin_seconds=seconds).signin_seconds == seconds


@pytest.mark.parametrize("seconds", [-1, 0, 29, 601, 3600])
def test_signin_lifetimes_outside_30_to_600_seconds_are_refused(seconds):
    with pytest.raises(InvalidRequest, match="signin_seconds"):
        Policy(signin_seconds=seconds)


PUBLIC = Client("acme-spa", "Acme SPA", ("http://127.0.0.1:9000/cb",))
CONFIDENTIAL = Client(
    "acme-web", "Acme Portal", ("https://app.acme.test/cb",), secret_codes.hash_secret("s3cret")
)


@pytest.mark.parametrize("secret", [None, ""])
def test_a_public_client_authenticates_without_a_secret(secret):
    assert PUBLIC.public
    PUBLIC.authenticate(secret)


def test_a_public_client_sending_a_secret_is_refused_like_a_wrong_secret():
    with pytest.raises(InvalidClient) as public:
        PUBLIC.authenticate("s3cret")
    with pytest.raises(InvalidClient) as wrong:
        CONFIDENTIAL.authenticate("s3cre")
    assert public.value.description == wrong.value.description == InvalidClient.description


def test_a_confidential_client_authenticates_with_its_secret():
    assert not CONFIDENTIAL.public
    CONFIDENTIAL.authenticate("s3cret")


@pytest.mark.parametrize(
    "secret", [None, "", "s3cre", "S3CRET", secret_codes.hash_secret("s3cret")]
)
def test_a_confidential_client_without_its_secret_is_refused(secret):
    with pytest.raises(InvalidClient):
        CONFIDENTIAL.authenticate(secret)


def key(kid: str, created_at: int, active: bool = True, alg: str = "ES256") -> SigningKey:
    return SigningKey(kid, {"kid": kid, "alg": alg}, b"sealed", created_at, active)


def a_tenant(**changes) -> Tenant:
    fields = dict(
        tenant_id="acme",
        name="Acme Corp",
        policy=Policy(),
        sealed_data_key=b"sealed",
        clients={"acme-web": CONFIDENTIAL},
        signing_keys=(key("old", 100), key("new", 200)),
    )
    return Tenant(**{**fields, **changes})


def test_the_newest_active_key_signs():
    assert a_tenant().active_keys["ES256"].kid == "new"


def test_a_retired_key_never_signs_even_when_newest():
    tenant = a_tenant(signing_keys=(key("old", 100), key("retired", 300, active=False)))
    assert tenant.active_keys["ES256"].kid == "old"


def test_each_algorithm_has_its_own_active_key():
    """An RSA key never signs in the EC key's place, however new (the ID token of a client
    registered for ES256 is ES256)."""
    tenant = a_tenant(
        signing_keys=(key("ec", 100), key("rsa-old", 50, alg="RS256"), key("rsa", 400, alg="RS256"))
    )
    assert {alg: k.kid for alg, k in tenant.active_keys.items()} == {"ES256": "ec", "RS256": "rsa"}


def test_a_key_stored_before_rs256_is_es256():
    """Keys made when ES256 was the only algorithm have no `alg` in some old items."""
    assert SigningKey("k", {"kty": "EC", "kid": "k"}, b"sealed", 1).alg == "ES256"


REGISTRATION = Client("acme-web", "Acme Portal", ("https://app.acme.test/cb",))
BAD_REGISTRATIONS = {
    "HS256": {"id_token_signed_response_alg": "HS256"},
    "none": {"id_token_signed_response_alg": "none"},
    "lower-case alg": {"id_token_signed_response_alg": "rs256"},
    "post-logout over http": {"post_logout_redirect_uris": ("http://app.acme.test/bye",)},
    "post-logout fragment": {"post_logout_redirect_uris": ("https://app.acme.test/bye#x",)},
    "post-logout relative": {"post_logout_redirect_uris": ("/bye",)},
    "back-channel over http": {"backchannel_logout_uri": "http://app.acme.test/logout"},
    "back-channel fragment": {"backchannel_logout_uri": "https://app.acme.test/logout#x"},
    "back-channel not a URL": {"backchannel_logout_uri": "logout"},
    "session required not a bool": {"backchannel_logout_session_required": "yes"},
}


def test_a_registration_is_refused_for_each_value_it_may_not_hold():
    def answer(changes: dict) -> str:
        try:
            replace(REGISTRATION, **changes).check_registration()
        except InvalidRequest:
            return "refused"
        return "accepted"

    answers = {case: answer(changes) for case, changes in BAD_REGISTRATIONS.items()}

    assert answers == dict.fromkeys(BAD_REGISTRATIONS, "refused")


def test_a_registration_takes_both_algorithms_and_logout_uris_on_loopback_over_http():
    replace(
        REGISTRATION,
        id_token_signed_response_alg="ES256",
        post_logout_redirect_uris=("https://app.acme.test/bye", "http://127.0.0.1:8000/bye"),
        backchannel_logout_uri="http://localhost:8000/logout",
        backchannel_logout_session_required=False,
    ).check_registration()
    assert REGISTRATION.id_token_signed_response_alg == "RS256"  # OIDC DCR 1.0 section 2
    assert REGISTRATION.backchannel_logout_session_required is True


def test_clients_are_looked_up_by_id():
    assert a_tenant().client("acme-web") is CONFIDENTIAL
    with pytest.raises(InvalidClient, match="Unknown"):
        a_tenant().client("acme-spa")


@pytest.mark.parametrize("tenant_id", ["acme", "a-1", "0" * 32, "acme-corp-2"])
def test_valid_tenant_ids(tenant_id):
    assert validate_tenant_id(tenant_id) == tenant_id


@pytest.mark.parametrize(
    "tenant_id",
    ["", "ab", "0" * 33, "Acme", "-acme", "acme-", "ac_me", "acme corp", "acme\n", None, 7],
)
def test_invalid_tenant_ids_are_refused(tenant_id):
    with pytest.raises(InvalidRequest):
        validate_tenant_id(tenant_id)


@pytest.mark.parametrize("client_id", ["abc", "acme-web", "a.b_c-D" + "x" * 57])
def test_valid_client_ids(client_id):
    assert CLIENT_ID.match(client_id)


@pytest.mark.parametrize("client_id", ["ab", "x" * 65, "acme web", "acme#web", "acme-web\n"])
def test_invalid_client_ids_are_refused(client_id):
    assert not CLIENT_ID.match(client_id)
