"""Truncated, bit-flipped and otherwise damaged device proofs at every device endpoint.

Each example starts from a fresh proof that would be accepted (Alice's phone, signed now;
Bob's activation code for enrolment; the last test shows they are) and damages it. A damaged
proof is refused as 401 invalid_device_proof, or 400 invalid_request where the damage leaves
a request the schema or the enrolment key check refuses: never a success, never a 5xx.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authenticator.device_api import jws, public_jwk, sign
from chalicelib.domain import proofs
from chalicelib.domain.accounts import AccountKind
from tests.fuzz.conftest import DEVICE, FUZZ, ISSUER, judge, path_of
from tools.admin import flows as admin

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
REFUSED = {(401, "invalid_device_proof"), (400, "invalid_request")}


def send_proof(world, endpoint: str, proof: str):
    raw = json.dumps({"proof": proof}).encode()
    path = path_of(world, endpoint)
    headers = {"Content-Type": "application/json"}
    status, _, text = judge(lambda: world.http.request("POST", path, headers, raw))
    return status, json.loads(text)


@st.composite
def damaged(draw, proof: str) -> str:
    """One of the ways a proof breaks on the way: cut short, a bit flipped, a character
    replaced, dropped or added, or its three parts shuffled."""
    how = draw(st.sampled_from(["truncate", "flip", "replace", "drop", "insert", "parts"]))
    where = draw(st.integers(0, len(proof) - 1), label="where")
    if how == "truncate":
        return proof[:where]
    if how == "flip":
        bit = draw(st.integers(0, 7), label="bit")
        return proof[:where] + chr(ord(proof[where]) ^ (1 << bit)) + proof[where + 1 :]
    if how == "replace":
        other = draw(st.sampled_from(ALPHABET + ".=+/ ").filter(lambda c: c != proof[where]))
        return proof[:where] + other + proof[where + 1 :]
    if how == "drop":
        return proof[:where] + proof[where + 1 :]
    if how == "insert":
        return proof[:where] + draw(st.sampled_from(ALPHABET + ".=")) + proof[where:]
    parts = proof.split(".")
    order = draw(st.permutations(range(3)).filter(lambda p: list(p) != [0, 1, 2]))
    return ".".join(parts[i] for i in order)


@pytest.mark.parametrize("endpoint", DEVICE)
@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_a_damaged_proof_is_refused(world, endpoint, data):
    proof = world.proof(endpoint)
    broken = data.draw(damaged(proof), label="proof")
    status, body = send_proof(world, endpoint, broken)
    assert (status, body.get("error")) in REFUSED, (status, body)


def respelled_last_character(segment: str) -> list[str]:
    """Every other spelling of a base64url segment's last character that decodes to the same
    bytes: the character's unused low bits set (4 of them for a 64-byte signature)."""
    unused = len(segment) * 6 % 8
    index = ALPHABET.index(segment[-1])
    assert index % (1 << unused) == 0, "the service spelled it canonically"
    return [segment[:-1] + ALPHABET[index | low] for low in range(1, 1 << unused)]


@pytest.mark.parametrize("endpoint", DEVICE)
def test_a_signature_respelled_in_its_unused_bits_is_refused(world, endpoint):
    """The same 64 signature bytes, spelled 15 other ways: a proof has one spelling only."""
    head, payload, signature = world.proof(endpoint).split(".")
    assert len(signature) == 86  # 64 bytes: the last character carries 4 unused bits
    assert len(respelled_last_character(signature)) == 15
    for other in respelled_last_character(signature):
        status, body = send_proof(world, endpoint, f"{head}.{payload}.{other}")
        assert (status, body.get("error")) == (401, "invalid_device_proof"), (other, body)


def test_an_enrolment_key_respelled_in_its_unused_bits_is_refused(world):
    """A JWK coordinate is 32 bytes in 43 characters (2 unused bits): the same key spelled
    another way would be another device id, as RFC 7638 hashes the spelling. The coordinate
    pattern refuses such spellings (devices._COORDINATE), and the strict decoder would too."""
    jwk = public_jwk(world.newcomer)
    # Carol's code, not Bob's: a new code for Bob would revoke the one the last test enrols with.
    admin.create_account(world.svc, "acme", "carol@acme.test", AccountKind.PERSONAL)
    code = admin.issue_activation_code(world.svc, "acme", "carol@acme.test")["activation_code"]
    claims = {
        "activation_code": code,  # its own, good: only the key's spelling is wrong
        "platform": "ios",
        "installation_id": "inst-respelled",
        "screen_lock": True,
    }
    for coordinate in ("x", "y"):
        for other in respelled_last_character(jwk[coordinate]):
            header = {"typ": proofs.ENROL_TYP, "jwk": {**jwk, coordinate: other}}
            proof = custom_header_proof(world, header, claims)
            status, body = send_proof(world, "enrol", proof)
            assert (status, body.get("error")) in REFUSED, (coordinate, other, body)


def custom_header_proof(world, header: dict, claims: dict) -> str:
    """Signed by the newcomer's key, with exactly this protected header (`sign` would put
    the key's own jwk in it)."""
    now = int(world.clock())
    payload = {"aud": ISSUER, "iat": now, "jti": "j" * 22 + str(now), **claims}
    return jws(world.newcomer, header, payload)


def test_the_undamaged_proofs_are_accepted(world):
    """The harness: each proof the examples start from is good. Last in the module, in this
    order, because these succeed: the answer denies the pending sign-in, enrolment uses
    Bob's code, and unregistering removes Alice's phone."""
    for endpoint in ("signins", "push-token", "locale", "respond", "enrol", "unregister"):
        status, body = send_proof(world, endpoint, world.proof(endpoint))
        assert status == 200, (endpoint, body)
    assert sign  # the same signer the world's proofs come from (authenticator.device_api)
