"""Device keys: which public keys are accepted, and the device id derived from them."""

from __future__ import annotations

import base64
import hashlib
import json
import string

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import device_id, public_jwk
from chalicelib.domain import envelope
from chalicelib.domain.devices import (
    INSTALLATION_ID,
    Platform,
    parse_public_jwk,
    push_channel,
    thumbprint,
)
from chalicelib.errors import InvalidRequest

B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwk(key) -> dict:
    return public_jwk(key)


def test_a_p256_public_key_is_accepted_and_stripped_to_its_members(jwk):
    parsed = parse_public_jwk({**jwk, "kid": "mine", "use": "sig", "alg": "ES256"})
    assert parsed == {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}


@pytest.mark.parametrize(
    "change",
    [
        {"kty": "RSA"},
        {"kty": "OKP"},
        {"kty": None},
        {"crv": "P-384"},
        {"crv": "secp256k1"},
        {"crv": None},
        {"x": None},
        {"y": 12345},
        {"x": "AAAA"},  # too short
        {"x": "A" * 44},  # too long
        {"x": "A" * 42 + "="},  # padded
        {"x": "+" * 43},  # standard base64, not url-safe
    ],
)
def test_keys_other_than_p256_public_keys_are_refused(jwk, change):
    with pytest.raises(InvalidRequest):
        parse_public_jwk({**jwk, **change})


def test_a_key_with_its_private_part_is_refused(key, jwk):
    d = key.private_numbers().private_value.to_bytes(32, "big")
    with pytest.raises(InvalidRequest, match="private"):
        parse_public_jwk({**jwk, "d": base64.urlsafe_b64encode(d).rstrip(b"=").decode()})


@pytest.mark.parametrize("jwk", [None, "EC", ["EC", "P-256"], 7])
def test_non_objects_are_refused(jwk):
    with pytest.raises(InvalidRequest):
        parse_public_jwk(jwk)


def test_a_point_off_the_curve_is_refused(key, jwk):
    y = key.public_key().public_numbers().y
    off_curve = base64.urlsafe_b64encode((y ^ 1).to_bytes(32, "big")).rstrip(b"=").decode()
    with pytest.raises(InvalidRequest, match="not a point"):
        parse_public_jwk({**jwk, "y": off_curve})


def test_a_coordinate_beyond_the_field_is_refused(jwk):
    with pytest.raises(InvalidRequest):
        parse_public_jwk({**jwk, "x": "_" * 42 + "w"})  # 2**256 - 1 > p


def test_one_key_has_one_spelling(jwk):
    """43 base64url characters carry 258 bits: the last two must be zero, or the same key
    would have four spellings per coordinate and so several device ids."""
    last = B64URL.index(jwk["x"][-1])
    respelled = jwk["x"][:-1] + B64URL[last ^ 1]
    assert base64.urlsafe_b64decode(respelled + "=") == base64.urlsafe_b64decode(jwk["x"] + "=")
    with pytest.raises(InvalidRequest):
        parse_public_jwk({**jwk, "x": respelled})


def test_thumbprint_is_rfc_7638_over_the_required_members_in_order(jwk):
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    assert thumbprint(jwk) == expected.rstrip(b"=").decode()


def test_thumbprint_ignores_optional_members_and_member_order(jwk):
    reordered = json.loads(json.dumps(dict(reversed(list(jwk.items())))))
    assert thumbprint({**reordered, "kid": "x", "alg": "ES256"}) == thumbprint(jwk)


def test_the_service_and_the_phone_agree_on_the_device_id(key, jwk):
    assert thumbprint(parse_public_jwk(jwk)) == device_id(key)


def test_the_signing_key_id_is_its_thumbprint():
    _, signing_jwk = envelope.new_signing_key()
    assert signing_jwk["kid"] == thumbprint(signing_jwk)


def test_different_keys_have_different_ids(jwk):
    other = public_jwk(ec.generate_private_key(ec.SECP256R1()))
    assert thumbprint(other) != thumbprint(jwk)


@pytest.mark.parametrize(
    ("platform", "sandbox", "channel"),
    [
        (Platform.ANDROID, False, "GCM"),
        (Platform.ANDROID, True, "GCM"),
        (Platform.IOS, False, "APNS"),
        (Platform.IOS, True, "APNS_SANDBOX"),
    ],
)
def test_push_channel_per_platform(platform, sandbox, channel):
    assert push_channel(platform, sandbox) == channel


@pytest.mark.parametrize("installation_id", ["inst-0123", "A.b_c-9" + "x" * 121])
def test_installation_ids_the_app_generates_are_accepted(installation_id):
    assert INSTALLATION_ID.match(installation_id)


@pytest.mark.parametrize(
    "installation_id", ["", "short", "x" * 129, "inst 0123", "inst/0123", "inst-0123\n"]
)
def test_other_installation_ids_are_refused(installation_id):
    assert not INSTALLATION_ID.match(installation_id)
