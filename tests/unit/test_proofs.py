"""Device-signed proofs: compact JWS, ES256 only, typ pinned, fresh and for this audience."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import P256_ORDER, b64url, device_id, es256, jws, public_jwk
from chalicelib.domain import proofs
from chalicelib.errors import InvalidDeviceProof

AUDIENCE = "https://signin.example.test/t/acme"
NOW = 1_750_000_000
TYP = proofs.REQUEST_TYP
JTI = "0123456789abcdef0123"


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def b64(data: bytes | dict) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**changes) -> dict:
    return {"aud": AUDIENCE, "iat": NOW, "jti": JTI, **changes}


def signed(key, payload: dict | None = None, *, typ: str | None = TYP, **headers) -> str:
    """ES256 by `key`, low S; a header member given as None is left out."""
    header = {"typ": typ, "kid": device_id(key), **headers}
    return jws(
        key,
        {name: value for name, value in header.items() if value is not None},
        claims() if payload is None else payload,
    )


def accept(token: str, key) -> proofs.Proof:
    header = proofs.unverified_header(token, TYP)
    return proofs.verify(token, header, key.public_key(), AUDIENCE, NOW)


def test_a_good_proof_is_accepted(key):
    proof = accept(signed(key, claims(act="pending")), key)
    assert proof.claims["act"] == "pending"
    assert proof.jti == JTI
    assert proof.header["kid"] == device_id(key)


@pytest.mark.parametrize(
    "token",
    [
        None,
        42,
        b"a.b.c",
        "",
        "a.b",
        "a.b.c.d",
        "a..c",
        "a.b.",  # unsigned
        '{"payload":"e30","signatures":[]}',  # JSON serialization
    ],
)
def test_anything_but_a_compact_jws_is_refused(token):
    with pytest.raises(InvalidDeviceProof):
        proofs.unverified_header(token, TYP)


def test_a_signed_proof_with_trailing_whitespace_is_refused(key):
    with pytest.raises(InvalidDeviceProof):
        proofs.unverified_header(signed(key) + "\n", TYP)


def test_an_oversized_proof_is_refused_before_parsing(key):
    token = signed(key, claims(padding="x" * proofs.MAX_PROOF_BYTES))
    with pytest.raises(InvalidDeviceProof, match="compact"):
        proofs.unverified_header(token, TYP)


def test_a_header_that_is_not_json_is_refused():
    with pytest.raises(InvalidDeviceProof):
        proofs.unverified_header(f"{b64(b'not json')}.{b64(claims())}.{b64(b'sig')}", TYP)


def test_alg_none_is_refused():
    header = {"alg": "none", "typ": TYP, "kid": "device-123"}
    with pytest.raises(InvalidDeviceProof, match="ES256"):
        proofs.unverified_header(f"{b64(header)}.{b64(claims())}.{b64(b'x')}", TYP)


def hs256_with_public_key(key) -> tuple[str, dict]:
    """The classic confusion attack: HMAC keyed with the (public) verification key."""
    secret = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": TYP, "kid": device_id(key)}
    signing_input = f"{b64(header)}.{b64(claims())}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}", header


def test_hs256_signed_with_the_public_key_is_refused_at_the_header(key):
    token, _ = hs256_with_public_key(key)
    with pytest.raises(InvalidDeviceProof, match="ES256"):
        proofs.unverified_header(token, TYP)


def test_hs256_signed_with_the_public_key_never_verifies(key):
    token, header = hs256_with_public_key(key)
    with pytest.raises(InvalidDeviceProof, match=r"ES256|signature"):
        proofs.verify(token, {**header, "alg": "ES256"}, key.public_key(), AUDIENCE, NOW)


def test_es384_is_refused():
    p384 = ec.generate_private_key(ec.SECP384R1())
    token = jwt.encode(claims(), p384, algorithm="ES384", headers={"typ": TYP, "kid": "k" * 43})
    with pytest.raises(InvalidDeviceProof, match="ES256"):
        proofs.unverified_header(token, TYP)


@pytest.mark.parametrize("typ", [None, "JWT", proofs.ENROL_TYP, proofs.RESPONSE_TYP])
def test_a_proof_of_another_type_is_refused(key, typ):
    with pytest.raises(InvalidDeviceProof, match="typ"):
        proofs.unverified_header(signed(key, typ=typ), TYP)


def test_critical_header_parameters_are_refused(key):
    header = {"alg": "ES256", "typ": TYP, "kid": device_id(key), "crit": ["b64"], "b64": True}
    signing_input = f"{b64(header)}.{b64(claims())}"
    with pytest.raises(InvalidDeviceProof):
        proofs.unverified_header(f"{signing_input}.{b64(b'sig')}", TYP)


@pytest.mark.parametrize("audience", ["https://signin.example.test/t/other", None, [AUDIENCE]])
def test_a_proof_for_another_audience_is_refused(key, audience):
    with pytest.raises(InvalidDeviceProof, match="audience"):
        accept(signed(key, claims(aud=audience)), key)


@pytest.mark.parametrize("iat", [NOW - 120, NOW, NOW + 30])
def test_proofs_up_to_two_minutes_old_or_30_seconds_ahead_are_accepted(key, iat):
    assert accept(signed(key, claims(iat=iat)), key).claims["iat"] == iat


@pytest.mark.parametrize("iat", [NOW - 121, NOW - 86400, NOW + 31, NOW + 3600])
def test_stale_or_future_proofs_are_refused(key, iat):
    with pytest.raises(InvalidDeviceProof, match="iat"):
        accept(signed(key, claims(iat=iat)), key)


@pytest.mark.parametrize("iat", [str(NOW), float(NOW), True, None, [NOW]])
def test_iat_must_be_an_integer(key, iat):
    with pytest.raises(InvalidDeviceProof, match="iat"):
        accept(signed(key, claims(iat=iat)), key)


@pytest.mark.parametrize(
    "jti", [None, "", "a" * 15, "a" * 65, "0123456789abcdef!", 1234567890123456]
)
def test_a_bad_jti_is_refused(key, jti):
    with pytest.raises(InvalidDeviceProof, match="jti"):
        accept(signed(key, claims(jti=jti)), key)


@pytest.mark.parametrize("jti", ["a" * 16, "A-_" * 21 + "z"])
def test_jti_of_16_to_64_url_safe_characters_is_accepted(key, jti):
    assert accept(signed(key, claims(jti=jti)), key).jti == jti


def test_a_signature_by_another_key_is_refused(key):
    impostor = ec.generate_private_key(ec.SECP256R1())
    token = signed(impostor, kid=device_id(key))
    with pytest.raises(InvalidDeviceProof, match="signature"):
        accept(token, key)


def test_a_changed_payload_is_refused(key):
    header, _, signature = signed(key).split(".")
    forged = f"{header}.{b64(claims(act='unregister'))}.{signature}"
    with pytest.raises(InvalidDeviceProof, match="signature"):
        accept(forged, key)


def test_a_payload_that_is_not_an_object_is_refused(key):
    token = jws(key, {"typ": TYP, "kid": device_id(key)}, b"[1, 2]")
    with pytest.raises(InvalidDeviceProof, match="object"):
        accept(token, key)


def test_verify_with_device_looks_the_key_up_by_kid(key):
    asked = []

    def lookup(kid):
        asked.append(kid)
        return key.public_key()

    proof = proofs.verify_with_device(signed(key), TYP, lookup, AUDIENCE, NOW)
    assert asked == [device_id(key)]
    assert proof.jti == JTI


def test_an_unknown_device_is_refused(key):
    with pytest.raises(InvalidDeviceProof, match="unknown device"):
        proofs.verify_with_device(signed(key), TYP, lambda kid: None, AUDIENCE, NOW)


@pytest.mark.parametrize("kid", [None, "short", "k" * 65, 12345678])
def test_a_proof_must_name_its_device(key, kid):
    token = jws(key, {"typ": TYP}, claims())
    _, payload, signature = token.split(".")
    fields = {"alg": "ES256", "typ": TYP, **({} if kid is None else {"kid": kid})}
    token = f"{b64(fields)}.{payload}.{signature}"
    with pytest.raises(InvalidDeviceProof):
        proofs.verify_with_device(token, TYP, lambda _: key.public_key(), AUDIENCE, NOW)


def high_s_twin(token: str) -> str:
    """The same proof with S replaced by n - S: to ECDSA a valid signature too."""
    head, payload, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    s = int.from_bytes(raw[32:], "big")
    return f"{head}.{payload}.{b64url(raw[:32] + (P256_ORDER - s).to_bytes(32, 'big'))}"


def test_the_high_s_twin_of_a_good_proof_is_refused(key):
    token = signed(key, claims(act="pending"))
    assert accept(token, key).claims["act"] == "pending"
    with pytest.raises(InvalidDeviceProof, match="low-S"):
        accept(high_s_twin(token), key)


ENROL_HEADER = {"typ": proofs.ENROL_TYP, "jwk": None}  # None: the signing key's jwk
KID_HEADERS = [{"typ": proofs.REQUEST_TYP, "kid": None}, {"typ": proofs.RESPONSE_TYP, "kid": None}]


def with_key_members(key, header: dict) -> dict:
    own = {"jwk": public_jwk(key), "kid": device_id(key)}
    return {name: own[name] if value is None else value for name, value in header.items()}


@pytest.mark.parametrize("header", [ENROL_HEADER, *KID_HEADERS], ids=lambda h: h["typ"])
def test_each_kind_of_proof_carries_exactly_alg_typ_and_one_key_member(key, header):
    token = jws(key, with_key_members(key, header), claims())
    assert set(proofs.unverified_header(token, header["typ"])) == {"alg", *header}


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ({**ENROL_HEADER, "kid": None}, "unsupported header parameters: ['kid']"),
        ({**KID_HEADERS[0], "jwk": None}, "unsupported header parameters: ['jwk']"),
        ({**KID_HEADERS[1], "jwk": None}, "unsupported header parameters: ['jwk']"),
        ({"typ": proofs.ENROL_TYP}, "missing header parameters: ['jwk']"),
        ({"typ": proofs.REQUEST_TYP}, "missing header parameters: ['kid']"),
        ({"typ": proofs.RESPONSE_TYP}, "missing header parameters: ['kid']"),
    ],
    ids=["kid-on-enrol", "jwk-on-request", "jwk-on-response", "no-jwk", "no-kid", "no-kid-resp"],
)
def test_the_other_key_member_or_a_missing_one_is_refused(key, header, problem):
    token = jws(key, with_key_members(key, header), claims())
    with pytest.raises(InvalidDeviceProof) as refused:
        proofs.unverified_header(token, header["typ"])
    assert str(refused.value) == problem


def raw_jws(key, header: str, payload: str) -> str:
    """Signed as written, so a member can appear twice."""
    signing_input = f"{b64url(header.encode())}.{b64url(payload.encode())}"
    return f"{signing_input}.{b64url(es256(key, signing_input.encode()))}"


def test_a_header_member_named_twice_is_refused(key):
    header = f'{{"alg":"ES256","typ":"{TYP}","kid":"{"k" * 43}","kid":"{device_id(key)}"}}'
    token = raw_jws(key, header, json.dumps(claims()))
    with pytest.raises(InvalidDeviceProof, match="duplicate member names in the JWS header"):
        proofs.unverified_header(token, TYP)


def test_a_claim_named_twice_is_refused_though_the_signature_is_good(key):
    header = json.dumps({"alg": "ES256", "typ": TYP, "kid": device_id(key)})
    payload = json.dumps(claims(act="unregister"))[:-1] + ', "act": "pending"}'
    token = raw_jws(key, header, payload)
    with pytest.raises(InvalidDeviceProof, match="duplicate member names in the JWS payload"):
        accept(token, key)
