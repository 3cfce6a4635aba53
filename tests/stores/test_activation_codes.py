"""ActivationCodeStore: a code is stored as a hash and works once, before it expires."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb.activation_codes import KEEP_USED_SECONDS, ActivationCode
from chalicelib.adapters.dynamodb.base import SCHEMA
from chalicelib.domain import secret_codes
from chalicelib.errors import InvalidActivationCode

CODE = "7K3M-0Q1Z-AB2C-9XYZ"
CODE_HASH = secret_codes.hash_secret(CODE)


@pytest.fixture
def code(svc) -> ActivationCode:
    issued = ActivationCode("acme", CODE_HASH, "alice@acme.test", expires_at=svc.now() + 3600)
    svc.activation_codes.create(issued)
    return issued


def redeem(svc, tenant_id="acme", code_hash=CODE_HASH):
    svc.transact([svc.activation_codes.redeem(tenant_id, code_hash, svc.now())])


def test_a_code_reads_back_as_issued(svc, code):
    assert svc.activation_codes.get("acme", CODE_HASH) == code


def test_only_the_hash_is_stored(svc, aws, code):
    table = svc.settings.table_prefix + "activation_codes"
    (item,) = aws.client("dynamodb").scan(TableName=table)["Items"]
    assert CODE not in repr(item)
    assert int(item[SCHEMA["activation_codes"]["ttl"]]["N"]) == code.expires_at + KEEP_USED_SECONDS


def test_a_code_is_redeemed_once(svc, clock, code):
    clock.advance(60)
    redeem(svc)
    assert svc.activation_codes.get("acme", CODE_HASH).used_at == svc.now()
    clock.advance(1)
    with pytest.raises(InvalidActivationCode):
        redeem(svc)
    assert svc.activation_codes.get("acme", CODE_HASH).used_at == svc.now() - 1


def test_a_code_works_until_its_last_second(svc, clock, code):
    clock.advance(3599)
    redeem(svc)


def test_an_expired_code_is_refused(svc, clock, code):
    clock.advance(3600)
    with pytest.raises(InvalidActivationCode):
        redeem(svc)
    assert svc.activation_codes.get("acme", CODE_HASH).used_at is None


def test_an_unknown_code_is_refused(svc, code):
    with pytest.raises(InvalidActivationCode):
        redeem(svc, code_hash=secret_codes.hash_secret("7K3M-0Q1Z-AB2C-9XY0"))
    assert svc.activation_codes.get("acme", secret_codes.hash_secret("7K3M-0Q1Z-AB2C-9XY0")) is None


def test_a_code_works_only_in_its_own_tenant(svc, code):
    with pytest.raises(InvalidActivationCode):
        redeem(svc, tenant_id="globex")
    assert svc.activation_codes.get("globex", CODE_HASH) is None
    redeem(svc)
