"""TenantStore: a tenant, its clients and its keys, loaded in one go."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters.dynamodb.tenants import TenantExists
from chalicelib.domain import secret_codes
from chalicelib.domain.tenants import Client, NumberMatch, Policy, SigningKey, Tenant
from tests.fixtures.core import PREFIX

ACME = Tenant(
    tenant_id="acme",
    name="Acme Corp",
    policy=Policy(phone_signin=False, signin_seconds=300, number_match=NumberMatch.TYPE),
    sealed_data_key=b"\x00\x01sealed data key\xff",
)
WEB = Client(
    "acme-web", "Acme Portal", ("https://app.acme.test/cb",), secret_codes.hash_secret("s")
)
SPA = Client("acme-spa", "Acme SPA", ("http://127.0.0.1:9000/cb", "http://localhost:9000/cb"))
OLD_KEY = SigningKey(
    kid="kid-old",
    public_jwk={"kty": "EC", "crv": "P-256", "x": "x1", "y": "y1", "kid": "kid-old"},
    sealed_private_key=b"\x10sealed-old",
    created_at=1_700_000_000,
    active=False,
)
NEW_KEY = SigningKey(
    kid="kid-new",
    public_jwk={"kty": "EC", "crv": "P-256", "x": "x2", "y": "y2", "kid": "kid-new"},
    sealed_private_key=b"\x20sealed-new",
    created_at=1_750_000_000,
)


def test_a_tenant_loads_with_its_clients_and_keys(svc):
    svc.tenants.create(ACME)
    svc.tenants.put_client("acme", WEB)
    svc.tenants.put_client("acme", SPA)
    svc.tenants.put_signing_key("acme", NEW_KEY)
    svc.tenants.put_signing_key("acme", OLD_KEY)

    loaded = svc.tenants.load("acme")

    assert loaded == Tenant(
        tenant_id="acme",
        name="Acme Corp",
        policy=ACME.policy,
        sealed_data_key=ACME.sealed_data_key,
        clients={"acme-web": WEB, "acme-spa": SPA},
        signing_keys=(OLD_KEY, NEW_KEY),  # oldest first
    )
    assert loaded.active_keys == {"ES256": NEW_KEY}
    assert loaded.client("acme-spa").public


def test_a_client_registration_is_stored_whole(svc):
    svc.tenants.create(ACME)
    logout = replace(
        WEB,
        id_token_signed_response_alg="ES256",
        post_logout_redirect_uris=("https://app.acme.test/bye", "https://app.acme.test/bye2"),
        backchannel_logout_uri="https://app.acme.test/logout",
        backchannel_logout_session_required=False,
    )
    svc.tenants.put_client("acme", logout)
    svc.tenants.put_client("acme", SPA)

    loaded = svc.tenants.load("acme")

    assert loaded.clients == {"acme-web": logout, "acme-spa": SPA}
    assert loaded.clients["acme-spa"].id_token_signed_response_alg == "RS256"


def test_a_client_stored_before_rs256_keeps_es256(svc, aws):
    """An item with no id_token_signed_response_alg was registered when ES256 was the only
    algorithm, and its app may pin ES256: it keeps it until it is registered again."""
    svc.tenants.create(ACME)
    aws.client("dynamodb").put_item(
        TableName=f"{PREFIX}tenants",
        Item={
            "pk": {"S": "acme"},
            "sk": {"S": "client#acme-old"},
            "name": {"S": "Old Portal"},
            "redirect_uris": {"L": [{"S": "https://old.acme.test/cb"}]},
        },
    )

    old = svc.tenants.load("acme").clients["acme-old"]

    assert old == Client("acme-old", "Old Portal", ("https://old.acme.test/cb",),
                         id_token_signed_response_alg="ES256")  # fmt: skip
    assert (old.post_logout_redirect_uris, old.backchannel_logout_uri) == ((), None)
    assert old.backchannel_logout_session_required is True


def test_an_unknown_tenant_is_none(svc):
    assert svc.tenants.load("acme") is None


def test_a_tenant_id_is_taken_once(svc):
    svc.tenants.create(ACME)
    with pytest.raises(TenantExists):
        svc.tenants.create(Tenant("acme", "Impostor", Policy(), b"other key"))
    assert svc.tenants.load("acme").name == "Acme Corp"
    assert svc.tenants.load("acme").sealed_data_key == ACME.sealed_data_key


def test_tenants_do_not_see_each_others_clients(svc):
    svc.tenants.create(ACME)
    svc.tenants.create(Tenant("acme-2", "Acme Two", Policy(), b"key two"))
    svc.tenants.put_client("acme", WEB)
    assert svc.tenants.load("acme-2").clients == {}


def test_a_client_registered_again_is_replaced(svc):
    svc.tenants.create(ACME)
    svc.tenants.put_client("acme", WEB)
    svc.tenants.put_client("acme", Client("acme-web", "Renamed", ("https://new.acme.test/cb",)))
    assert svc.tenants.load("acme").clients["acme-web"].name == "Renamed"


def test_policy_changes_are_stored(svc):
    svc.tenants.create(ACME)
    svc.tenants.set_policy("acme", Policy())
    assert svc.tenants.load("acme").policy == Policy()
    assert svc.tenants.load("acme").name == "Acme Corp"


def test_the_policy_of_an_unknown_tenant_cannot_be_set(svc):
    with pytest.raises(svc.dynamodb.exceptions.ConditionalCheckFailedException):
        svc.tenants.set_policy("nobody", Policy())
    assert svc.tenants.load("nobody") is None
