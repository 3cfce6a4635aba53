"""Store tests run against moto through the wired services (`svc`), with the fake clock."""

from __future__ import annotations

import pytest

from chalicelib.domain import secret_codes, signins
from chalicelib.domain.accounts import user_key
from chalicelib.domain.signins import Origin, SignIn

ALICE = user_key("alice@acme.test")


@pytest.fixture
def make_signin(svc):
    """A pending sign-in for alice, created now; keyword arguments override any field."""

    def make(**changes) -> SignIn:
        now = svc.now()
        fields = dict(
            tenant_id="acme",
            signin_id=signins.new_signin_id(ALICE, svc.rng, svc.now()),
            client_id="acme-web",
            number=42,
            choices=(17, 42, 88),
            created_at=now,
            expires_at=now + 120,
            binding_hash=secret_codes.hash_secret("binding-secret"),
            code_hash=secret_codes.hash_secret("the-code"),
            origin=Origin.of("203.0.113.7", "Firefox/128.0"),
            account_id="acct-alice",
        )
        signin = SignIn(**{**fields, **changes})
        svc.signins.create(signin)
        return signin

    return make
