"""chalicelib/domain/jose.py against PyJWT, a widely used implementation: each reads the other."""

from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from authenticator.device_api import es256, low_s
from chalicelib.domain import jose


@pytest.fixture
def key():
    return ec.generate_private_key(ec.SECP256R1())


def test_tokens_we_sign_verify_with_pyjwt(key):
    token = jose.sign({"sub": "x", "n": 1}, key, {"kid": "k1", "typ": "at+jwt"})
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "k1", "typ": "at+jwt"}
    assert jwt.decode(token, key.public_key(), algorithms=["ES256"]) == {"sub": "x", "n": 1}


def test_we_frame_a_token_as_pyjwt_does(key):
    """jose.sign frames the JWS itself around PyJWT's algorithm: the header and payload
    segments must be the bytes `jwt.encode` makes, so relying parties read the same thing."""
    claims = {"sub": "x", "aud": "app", "n": 1, "name": "Zoë", "amr": ["hwk", "user"]}
    for header in ({"kid": "k1", "typ": "at+jwt"}, {"kid": "k2"}, {}):
        ours = jose.sign(claims, key, header).rsplit(".", 1)[0]
        assert ours == jwt.encode(claims, key, algorithm="ES256", headers=header).rsplit(".", 1)[0]


@pytest.mark.parametrize(
    "extra",
    [{"crit": ["b64"], "b64": True}, {"b64": False}, {"crit": ["exp"]}, {"kid": ["k"]}],
    ids=["crit-b64", "b64-false", "crit-unknown", "kid-not-string"],
)
def test_no_jws_extension_and_no_odd_kid_is_accepted(key, extra):
    """No extension is understood (RFC 7515 4.1.11): a header naming one is refused."""
    token = raw_jws(key, json.dumps({"alg": "ES256", **extra}), '{"sub":"x"}')
    with pytest.raises(jose.JoseError, match=r"extension|kid"):
        jose.verify(token, key.public_key())


def pyjwt_signed(claims: dict, key, header: dict) -> str:
    """PyJWT's token with its S made low: PyJWT, like ECDSA libraries generally, returns either
    of a signature's two valid S values, and only the low one verifies here."""
    head, payload, signature = jwt.encode(claims, key, algorithm="ES256", headers=header).split(".")
    return f"{head}.{payload}.{jose.b64url(low_s(jose.b64url_decode(signature)))}"


def split_signature(token: str) -> tuple[str, int, int]:
    signing_input, signature = token.rsplit(".", 1)
    raw = jose.b64url_decode(signature)
    return signing_input, int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


def with_signature(signing_input: str, r: int, s: int) -> str:
    return f"{signing_input}.{jose.b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def test_we_verify_what_pyjwt_signs_and_nothing_signed_by_another_key(key):
    token = pyjwt_signed({"a": 1}, key, {"kid": "k"})
    assert jose.verify(token, key.public_key()) == {"a": 1}
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(jose.JoseError, match="does not verify"):
        jose.verify(token, other.public_key())


def test_an_rsa_key_signs_rs256_that_pyjwt_verifies():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jose.sign({"sub": "x"}, rsa_key, {"kid": "r1", "typ": "JWT"})
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": "r1", "typ": "JWT"}
    assert jwt.decode(token, rsa_key.public_key(), algorithms=["RS256"]) == {"sub": "x"}


def test_an_rs256_token_is_never_accepted(key):
    """Needs verify's ES256 pin: the service signs RS256 ID tokens, but nothing it verifies (a
    phone's proof, its own access token) may be RS256, whoever signed it."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jose.sign({"a": 1}, rsa_key, {"kid": "r1", "typ": "JWT"})
    with pytest.raises(jose.JoseError, match="ES256"):
        jose.verify(token, key.public_key())


@pytest.mark.parametrize("alg", ["none", "HS256", "ES384", "RS256", "PS256", None])
def test_only_es256_is_ever_accepted(key, alg):
    token = jose.sign({"a": 1}, key, {})
    header = {"typ": "JWT"} | ({"alg": alg} if alg else {})
    forged = jose.b64url(json.dumps(header).encode()) + "." + token.split(".", 1)[1]
    with pytest.raises(jose.JoseError, match="ES256"):
        jose.verify(forged, key.public_key())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.AA",
        "e30.e30.not-base64!",
        "e30.e30." + "A" * 10,
        "W10.e30.AA",
    ],
)
def test_malformed_tokens_are_refused_not_crashed_on(key, token):
    with pytest.raises(jose.JoseError):
        jose.verify(token, key.public_key())


def test_every_signature_we_make_has_a_low_s(key):
    # Half of all ECDSA signatures come out with a high S: 64 in a row low is no accident.
    for n in range(64):
        _, r, s = split_signature(jose.sign({"n": n}, key, {}))
        assert 0 < r < jose.P256_ORDER
        assert 0 < s <= jose.P256_ORDER // 2


def test_the_high_s_twin_of_a_good_signature_is_refused(key):
    token = jose.sign({"a": 1}, key, {})
    signing_input, r, s = split_signature(token)
    twin = encode_dss_signature(r, jose.P256_ORDER - s)
    key.public_key().verify(twin, signing_input.encode(), ec.ECDSA(hashes.SHA256()))  # to ECDSA
    assert jose.verify(token, key.public_key()) == {"a": 1}
    with pytest.raises(jose.JoseError, match="low-S"):
        jose.verify(with_signature(signing_input, r, jose.P256_ORDER - s), key.public_key())


@pytest.mark.parametrize(
    ("r", "s"),
    [(0, 1), (1, 0), (jose.P256_ORDER, 1), (1, jose.P256_ORDER), (2**256 - 1, 1), (1, 2**256 - 1)],
    ids=["r-zero", "s-zero", "r-n", "s-n", "r-max", "s-max"],
)
def test_r_and_s_outside_one_to_n_minus_one_are_refused(key, r, s):
    """PyJWT (cryptography) refuses r or s outside [1, n-1]; a high s is refused before it."""
    signing_input, _, _ = split_signature(jose.sign({"a": 1}, key, {}))
    with pytest.raises(jose.JoseError, match=r"does not verify|low-S"):
        jose.verify(with_signature(signing_input, r, s), key.public_key())


def raw_jws(key, header: str, payload: str) -> str:
    """Signed as written, so a member can appear twice."""
    signing_input = f"{jose.b64url(header.encode())}.{jose.b64url(payload.encode())}"
    return f"{signing_input}.{jose.b64url(es256(key, signing_input.encode()))}"


@pytest.mark.parametrize(
    ("header", "payload", "part"),
    [
        ('{"alg":"ES256","typ":"JWT","typ":"at+jwt"}', '{"sub":"x"}', "header"),
        ('{"alg":"ES256","jwk":{"x":"a","x":"b"}}', '{"sub":"x"}', "header"),
        ('{"alg":"ES256"}', '{"sub":"x","sub":"y"}', "payload"),
        ('{"alg":"ES256"}', '{"sub":"x","act":{"n":1,"n":2}}', "payload"),
    ],
    ids=["header", "header-nested", "payload", "payload-nested"],
)
def test_a_member_named_twice_is_refused(key, header, payload, part):
    with pytest.raises(jose.JoseError, match=f"duplicate member names in the JWS {part}"):
        jose.verify(raw_jws(key, header, payload), key.public_key())
