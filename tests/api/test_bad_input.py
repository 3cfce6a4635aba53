"""Bad input of every kind, at every endpoint: a clear 4xx with a machine-readable error code,
never a 500 or a traceback, and nothing written to DynamoDB or SNS.

One world serves the whole module, since no case may change it and every case checks that it
did not: tenant 'acme', Alice's enrolled phone (with push), Bob's unused activation code, a
pending sign-in, and an approved one whose authorization code is not yet redeemed.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authenticator.device_api import DeviceApi, b64url, es256, public_jwk
from chalicelib.domain import proofs
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tests.fixtures import api as api_fixtures
from tests.fixtures.api import app_for_a_module, stored_state
from tests.fixtures.core import BASE_URL, Clock
from tools.admin import flows as admin

ACME = f"{BASE_URL}/t/acme"
CB = "https://app.acme.test/cb"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
DROP = object()  # a claim or header parameter left out
HUGE = 17 * 1024


@dataclass
class World:
    http: object
    clock: Clock
    phone: api_fixtures.TestPhone
    newcomer: ec.EllipticCurvePrivateKey  # a key not enrolled yet
    activation_code: str  # Bob's, unused
    pending: dict
    approved: dict
    code: str
    client: tuple[str, str]

    def start(self) -> dict:
        response = self.http.post(
            "/t/acme/signin",
            headers={"Content-Type": JSON},
            body=json.dumps(
                {"client_id": self.client[0], "username": "alice@acme.test", "redirect_uri": CB}
            ),
        )
        assert response.status_code == 200, response.body
        return response.json_body

    def approve(self, started: dict) -> str:
        status, _ = self.phone.respond(started["signin_id"], "approve", started["number"])
        assert status == 200
        response = self.http.post(
            f"/t/acme/signin/{started['signin_id']}/result",
            headers={"Content-Type": JSON},
            body=json.dumps({"secret": started["secret"]}),
        )
        return response.json_body["code"]


def build_world(http, svc, clock: Clock) -> World:
    admin.create_tenant(svc, "acme", "Acme Corp", Policy())
    web = admin.add_client(svc, "acme", "acme-web", "Acme Portal", ["https://app.acme.test/cb"])
    for username in ("alice@acme.test", "bob@acme.test"):
        admin.create_account(svc, "acme", username, AccountKind.WORK)

    def post(path: str, body: dict):
        response = http.post(path, headers={"Content-Type": JSON}, body=json.dumps(body))
        return response.status_code, response.json_body

    phone = api_fixtures.TestPhone(DeviceApi(post, "acme", ACME, clock))
    alice_code = admin.issue_activation_code(svc, "acme", "alice@acme.test")["activation_code"]
    assert phone.enrol(alice_code, push_token="apns-token-alice")[0] == 200
    world = World(
        http=http,
        clock=clock,
        phone=phone,
        newcomer=ec.generate_private_key(ec.SECP256R1()),
        activation_code=admin.issue_activation_code(svc, "acme", "bob@acme.test")[
            "activation_code"
        ],
        pending={},
        approved={},
        code="",
        client=(web["client_id"], web["client_secret"]),
    )
    world.pending = world.start()
    world.approved = world.start()
    world.code = world.approve(world.approved)
    return world


@pytest.fixture(scope="module")
def world():
    with app_for_a_module() as (http, svc, clock):
        yield build_world(http, svc, clock)


def request(w: World, method: str, path: str, body=b"", content_type=JSON, headers=None):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    return w.http.request(
        method, path, headers={"Content-Type": content_type, **(headers or {})}, body=body
    )


def assert_refused(send, status: int | None = None, error: str | None = None):
    """Send a bad request; it must be refused cleanly, and leave everything as it was."""
    before = stored_state()
    response = send()
    text = response.body.decode("utf-8") if response.body else ""
    assert 400 <= response.status_code < 500, (response.status_code, text)
    body = json.loads(text)
    assert isinstance(body, dict) and isinstance(body.get("error"), str), text
    assert re.fullmatch(r"[a-z_]+", body["error"]), text
    assert "Traceback" not in text and 'File "' not in text
    assert response.headers["Cache-Control"] == "no-store"
    if status is not None:
        assert response.status_code == status, text
    if error is not None:
        assert body["error"] == error, text
    assert stored_state() == before


# --- The harness itself: without the fault, each request below would succeed ------------------


def test_the_valid_requests_the_cases_start_from_are_accepted(svc, api, clock):
    # Its own moto world (function fixtures), so it runs before the module's world exists:
    # it is the first test here.
    w = build_world(api.http, svc, clock)
    endpoints = ("signins", "push-token", "locale", "respond", "result", "token", "signin")
    for endpoint in (*endpoints, "enrol"):
        body, kind, headers = valid_request(w, endpoint)
        response = request(w, "POST", tenant_path(w, "acme", endpoint), body, kind, headers)
        assert response.status_code == 200, (endpoint, response.body)
    response = request(w, "POST", "/t/acme/device/unregister", {"proof": proof(w, "unregister")})
    assert response.status_code == 200, response.body


# --- Proofs the device API must refuse --------------------------------------------------------

TYP = {
    "enrol": proofs.ENROL_TYP,
    "respond": proofs.RESPONSE_TYP,
    "signins": proofs.REQUEST_TYP,
    "push-token": proofs.REQUEST_TYP,
    "locale": proofs.REQUEST_TYP,
    "unregister": proofs.REQUEST_TYP,
}
DEVICE = list(TYP)


def valid_claims(w: World, endpoint: str) -> dict:
    return {
        "enrol": lambda: {
            "activation_code": w.activation_code,
            "platform": "ios",
            "installation_id": "inst-newcomer-1",
            "screen_lock": True,
            "locale": "nl-NL",
        },
        "respond": lambda: {
            "sid": w.pending["signin_id"],
            "decision": "approve",
            "number": w.pending["number"],
        },
        "signins": lambda: {"act": "pending"},
        "push-token": lambda: {"act": "push-token", "push_token": "apns-token-2"},
        "locale": lambda: {"act": "locale", "locale": "nl-NL"},
        "unregister": lambda: {"act": "unregister"},
    }[endpoint]()


def merged(base: dict, changes: dict | None) -> dict:
    out = dict(base)
    for name, value in (changes or {}).items():
        if value is DROP:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def proof(w: World, endpoint: str, *, header=None, claims=None, payload=None, key=None) -> str:
    """A device proof for `endpoint`, valid unless told otherwise, signed ES256 by `key`."""
    own = w.newcomer if endpoint == "enrol" else w.phone.key
    names_key = {"jwk": public_jwk(own)} if endpoint == "enrol" else {"kid": w.phone.device_id}
    head = merged({"alg": "ES256", "typ": TYP[endpoint], **names_key}, header)
    if payload is None:
        base = {"aud": ACME, "iat": int(w.clock()), "jti": secrets.token_urlsafe(16)}
        payload = json.dumps(merged({**base, **valid_claims(w, endpoint)}, claims)).encode()
    signing_input = f"{b64url(json.dumps(head).encode())}.{b64url(payload)}"
    return f"{signing_input}.{b64url(es256(key or own, signing_input.encode()))}"


def swap_header(token: str, header: bytes) -> str:
    return b64url(header) + token[token.index(".") :]


def jwk_of(curve: ec.EllipticCurve) -> dict:
    numbers = ec.generate_private_key(curve).public_key().public_numbers()
    size = (curve.key_size + 7) // 8
    return {
        "kty": "EC",
        "crv": "P-384" if size == 48 else "P-256",
        "x": b64url(numbers.x.to_bytes(size, "big")),
        "y": b64url(numbers.y.to_bytes(size, "big")),
    }


# (id, how to build the request body from the world and the endpoint)
PROOF_CASES = [
    ("no-proof", lambda w, e: {}),
    ("proof-number", lambda w, e: {"proof": 42}),
    ("proof-float", lambda w, e: {"proof": 1.5}),
    ("proof-list", lambda w, e: {"proof": [proof(w, e)]}),
    ("proof-null", lambda w, e: {"proof": None}),
    ("proof-true", lambda w, e: {"proof": True}),
    ("proof-object", lambda w, e: {"proof": {"jws": proof(w, e)}}),
    ("proof-empty", lambda w, e: {"proof": ""}),
    ("proof-nul", lambda w, e: {"proof": "\x00"}),
    ("proof-surrogate", lambda w, e: {"proof": "\ud800"}),
    ("proof-emoji", lambda w, e: {"proof": "😀.😀.😀"}),
    ("proof-rtl", lambda w, e: {"proof": "a\u202eb.c.d"}),
    ("garbage-parts", lambda w, e: {"proof": "a.b.c"}),
    ("too-long", lambda w, e: {"proof": "a.b." + "c" * 9000}),
    ("truncated-signature", lambda w, e: {"proof": proof(w, e)[:-6]}),
    ("truncated-in-payload", lambda w, e: {"proof": proof(w, e)[: proof(w, e).index(".") + 9]}),
    ("signature-dropped", lambda w, e: {"proof": proof(w, e).rsplit(".", 1)[0] + "."}),
    ("four-parts", lambda w, e: {"proof": proof(w, e) + ".AAAA"}),
    ("trailing-space", lambda w, e: {"proof": proof(w, e) + " "}),
    ("padded", lambda w, e: {"proof": proof(w, e) + "=="}),
    ("header-not-json", lambda w, e: {"proof": swap_header(proof(w, e), b"nope")}),
    ("header-deeply-nested", lambda w, e: {"proof": swap_header(proof(w, e), b"[" * 2000)}),
    ("header-a-list", lambda w, e: {"proof": swap_header(proof(w, e), b'["ES256"]')}),
    ("payload-a-list", lambda w, e: {"proof": proof(w, e, payload=b'["x"]')}),
    ("payload-not-json", lambda w, e: {"proof": proof(w, e, payload=b"nope")}),
    ("payload-deeply-nested", lambda w, e: {"proof": proof(w, e, payload=b"[" * 2000)}),
    ("alg-none", lambda w, e: {"proof": proof(w, e, header={"alg": "none"})}),
    ("alg-missing", lambda w, e: {"proof": proof(w, e, header={"alg": DROP})}),
    ("alg-list", lambda w, e: {"proof": proof(w, e, header={"alg": ["ES256"]})}),
    ("typ-missing", lambda w, e: {"proof": proof(w, e, header={"typ": DROP})}),
    ("typ-other-call", lambda w, e: {"proof": proof(w, e, header={"typ": "JWT"})}),
    ("crit", lambda w, e: {"proof": proof(w, e, header={"crit": ["exp"], "exp": 1})}),
    ("b64-false", lambda w, e: {"proof": proof(w, e, header={"b64": False})}),
    (
        "another-key",
        lambda w, e: {"proof": proof(w, e, key=ec.generate_private_key(ec.SECP256R1()))},
    ),
    ("aud-missing", lambda w, e: {"proof": proof(w, e, claims={"aud": DROP})}),
    ("aud-list", lambda w, e: {"proof": proof(w, e, claims={"aud": [ACME]})}),
    ("aud-number", lambda w, e: {"proof": proof(w, e, claims={"aud": 42})}),
    ("aud-other", lambda w, e: {"proof": proof(w, e, claims={"aud": f"{BASE_URL}/t/globex"})}),
    ("iat-missing", lambda w, e: {"proof": proof(w, e, claims={"iat": DROP})}),
    ("iat-string", lambda w, e: {"proof": proof(w, e, claims={"iat": str(int(w.clock()))})}),
    ("iat-float", lambda w, e: {"proof": proof(w, e, claims={"iat": w.clock() + 0.5})}),
    ("iat-true", lambda w, e: {"proof": proof(w, e, claims={"iat": True})}),
    ("iat-old", lambda w, e: {"proof": proof(w, e, claims={"iat": int(w.clock()) - 121})}),
    ("iat-future", lambda w, e: {"proof": proof(w, e, claims={"iat": int(w.clock()) + 31})}),
    ("iat-huge", lambda w, e: {"proof": proof(w, e, claims={"iat": 10**40})}),
    ("jti-missing", lambda w, e: {"proof": proof(w, e, claims={"jti": DROP})}),
    ("jti-short", lambda w, e: {"proof": proof(w, e, claims={"jti": "abc"})}),
    ("jti-number", lambda w, e: {"proof": proof(w, e, claims={"jti": 42})}),
    ("jti-unicode", lambda w, e: {"proof": proof(w, e, claims={"jti": "é" * 20})}),
    ("jti-surrogate", lambda w, e: {"proof": proof(w, e, claims={"jti": "\ud800" * 20})}),
]
KID_CASES = [
    ("kid-missing", {"kid": DROP}),
    ("kid-number", {"kid": 42}),
    ("kid-list", {"kid": ["a" * 43]}),
    ("kid-short", {"kid": "abc"}),
    ("kid-unknown", {"kid": b64url(secrets.token_bytes(32))}),
    ("kid-too-long", {"kid": "a" * 65}),
    ("kid-traversal", {"kid": "../../../etc/passwd"}),
    ("kid-nul", {"kid": "\x00" * 10}),
    ("kid-surrogate", {"kid": "\ud800" * 10}),
    ("kid-rtl", {"kid": "\u202e" * 10}),
]
JWK_CASES = [
    ("jwk-missing", lambda w: DROP),
    ("jwk-string", lambda w: json.dumps(public_jwk(w.newcomer))),
    ("jwk-list", lambda w: [public_jwk(w.newcomer)]),
    ("jwk-with-private-part", lambda w: {**public_jwk(w.newcomer), "d": b64url(b"\x01" * 32)}),
    ("jwk-p384", lambda w: jwk_of(ec.SECP384R1())),
    ("jwk-rsa", lambda w: {"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
    ("jwk-off-curve", lambda w: {**public_jwk(w.newcomer), "y": b64url(b"\x01" * 32)}),
    ("jwk-short-x", lambda w: {**public_jwk(w.newcomer), "x": "AQAB"}),
    ("jwk-x-number", lambda w: {**public_jwk(w.newcomer), "x": 42}),
]


@pytest.mark.parametrize("endpoint", DEVICE)
@pytest.mark.parametrize(("case", "build"), PROOF_CASES, ids=[c[0] for c in PROOF_CASES])
def test_device_endpoints_refuse_malformed_proofs(world, endpoint, case, build):
    body = build(world, endpoint)
    assert_refused(lambda: request(world, "POST", f"/t/acme/device/{endpoint}", body))


@pytest.mark.parametrize("endpoint", [e for e in DEVICE if e != "enrol"])
@pytest.mark.parametrize(("case", "header"), KID_CASES, ids=[c[0] for c in KID_CASES])
def test_device_endpoints_refuse_a_kid_that_names_no_device(world, endpoint, case, header):
    body = {"proof": proof(world, endpoint, header=header)}
    assert_refused(
        lambda: request(world, "POST", f"/t/acme/device/{endpoint}", body),
        401,
        "invalid_device_proof",
    )


@pytest.mark.parametrize(("case", "jwk"), JWK_CASES, ids=[c[0] for c in JWK_CASES])
def test_enrolment_refuses_anything_but_a_public_p256_jwk(world, case, jwk):
    body = {"proof": proof(world, "enrol", header={"jwk": jwk(world)})}
    assert_refused(lambda: request(world, "POST", "/t/acme/device/enrol", body))


WRONG_TYPES = [("number", 42), ("float", 1.5), ("list", ["x"]), ("true", True), ("object", {})]
ODD_STRINGS = [
    ("empty", ""),
    ("nul", "\x00"),
    ("rtl-override", "a\u202eb"),
    ("lone-surrogate", "\ud800"),
    ("emoji", "😀"),
]


def claim_cases(name: str, *, required: bool = True, odd: bool = True, valid=(), extra=()) -> list:
    """Wrong types, absence and odd strings for one field, except the values in `valid`."""
    cases = [(f"{name}-{label}", {name: value}) for label, value in WRONG_TYPES]
    if required:
        cases += [(f"{name}-missing", {name: DROP}), (f"{name}-null", {name: None})]
    if odd:
        cases += [(f"{name}-{label}", {name: value}) for label, value in ODD_STRINGS]
    cases = [c for c in cases if c[0].split("-", 1)[1] not in valid]
    return cases + [(f"{name}-{label}", {name: value}) for label, value in extra]


# Language tags the service refuses: a POSIX locale name, spaces, a wildcard, a weight, a
# subtag over 8 characters, and a tag of the right shape but 36 characters.
BAD_LOCALES = [
    ("posix", "nl_NL.UTF-8"),
    ("space", "nl NL"),
    ("newline", "nl\n"),
    ("wildcard", "*"),
    ("weighted", "nl;q=0.5"),
    ("long-subtag", "nl-abcdefghi"),
    ("long", "nl-abc" + "-abcdefgh" * 3 + "-ab"),
]
CLAIM_CASES = {
    "enrol": [
        *claim_cases(
            "activation_code",
            extra=[("unknown", "0000-0000-0000-0000"), ("long", "X" * 65), ("short", "ABCD")],
        ),
        *claim_cases("platform", extra=[("upper", "IOS"), ("windows", "windows")]),
        *claim_cases(
            "installation_id",
            extra=[
                ("short", "inst"),
                ("traversal", "../../etc/passwd"),
                ("spaces", "inst with spaces"),
                ("long", "i" * 129),
                ("newline", "inst-newcomer-1\n"),
                ("alices", "ALICE"),  # replaced by Alice's installation id below
            ],
        ),
        *claim_cases(
            "screen_lock",
            odd=False,
            valid=("true",),
            extra=[("false", False), ("string", "true"), ("one", 1)],
        ),
        *claim_cases(
            "push_token",
            required=False,
            extra=[("space", "a b"), ("newline", "tok\n"), ("long", "x" * 4097)],
        ),
        *claim_cases("locale", required=False, extra=BAD_LOCALES),
    ],
    "respond": [
        *claim_cases(
            "sid",
            extra=[
                ("malformed", "nope"),
                ("traversal", "../../" + "a" * 32),
                ("unknown", "0" * 16 + "A" * 22),
                ("decided", "APPROVED"),  # replaced by the approved sign-in's id below
            ],
        ),
        *claim_cases("decision", extra=[("upper", "APPROVE"), ("maybe", "maybe")]),
        *claim_cases(
            "number",
            required=False,  # approving without one is a wrong pick: it fails the sign-in
            odd=False,
            valid=("number",),  # any two-digit int is a valid pick (a wrong one fails the sign-in)
            extra=[("string", "12"), ("low", 9), ("high", 100), ("negative", -12), ("zero", 0)],
        ),
    ],
    "push-token": [
        *claim_cases(
            "push_token", extra=[("space", "a b"), ("newline", "tok\n"), ("long", "x" * 4097)]
        ),
        *claim_cases("act", odd=True, extra=[("other", "pending")]),
    ],
    "locale": [
        *claim_cases("locale", extra=BAD_LOCALES),
        *claim_cases("act", odd=True, extra=[("other", "push-token")]),
    ],
    "signins": claim_cases("act", extra=[("other", "unregister")]),
    "unregister": claim_cases("act", extra=[("other", "pending")]),
}


def concrete(w: World, claims: dict) -> dict:
    placeholders = {
        "ALICE": w.phone.installation_id,
        "APPROVED": w.approved["signin_id"],
    }
    return {k: placeholders.get(v, v) if isinstance(v, str) else v for k, v in claims.items()}


@pytest.mark.parametrize(
    ("endpoint", "claims"),
    [(e, c[1]) for e, cases in CLAIM_CASES.items() for c in cases],
    ids=[f"{e}-{c[0]}" for e, cases in CLAIM_CASES.items() for c in cases],
)
def test_device_endpoints_refuse_bad_claims_in_a_valid_proof(world, endpoint, claims):
    body = {"proof": proof(world, endpoint, claims=concrete(world, claims))}
    assert_refused(lambda: request(world, "POST", f"/t/acme/device/{endpoint}", body))


# --- The JSON endpoints the page calls -------------------------------------------------------


def json_path(w: World, endpoint: str) -> str:
    if endpoint == "signin":
        return "/t/acme/signin"
    if endpoint == "result":
        return f"/t/acme/signin/{w.pending['signin_id']}/result"
    return f"/t/acme/device/{endpoint}"


JSON_ENDPOINTS = ["signin", "result", *DEVICE]
RAW_BODIES = [
    ("empty", b""),
    ("malformed", b'{"client_id": '),
    ("trailing-garbage", b"{} {}"),
    ("single-quotes", b"{'proof': 'x'}"),
    ("not-utf8", b"\xff\xfe{}"),
    ("utf16", "{}".encode("utf-16")),
    ("null", b"null"),
    ("list", b"[]"),
    ("string", b'"proof"'),
    ("number", b"42"),
    ("true", b"true"),
    ("list-of-objects", b'[{"proof": "a.b.c"}]'),
    ("deeply-nested", b"[" * 8000 + b"]" * 8000),
    ("nan", b'{"proof": NaN}'),
]


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@pytest.mark.parametrize(("case", "raw"), RAW_BODIES, ids=[c[0] for c in RAW_BODIES])
def test_json_endpoints_refuse_bodies_that_are_not_a_json_object(world, endpoint, case, raw):
    path = json_path(world, endpoint)
    assert_refused(lambda: request(world, "POST", path, raw))


@pytest.mark.parametrize("endpoint", [*JSON_ENDPOINTS, "token"])
def test_every_endpoint_refuses_a_body_over_16_kb(world, endpoint):
    if endpoint == "token":
        path, raw, kind = "/t/acme/token", ("grant_type=" + "a" * HUGE).encode(), FORM
    else:
        path, raw, kind = json_path(world, endpoint), json.dumps({"pad": "a" * HUGE}), JSON
    assert_refused(lambda: request(world, "POST", path, raw, kind), 413, "payload_too_large")


SIGNIN_CASES = [
    *claim_cases("client_id", extra=[("long", "c" * 65), ("unknown", "nope-web")]),
    *claim_cases(
        "username",
        odd=False,
        extra=[
            ("empty", ""),
            ("blank", "   "),
            ("nul", "alice\x00@acme.test"),
            ("rtl-override", "\u202ealice@acme.test"),
            ("zero-width", "alice\u200b@acme.test"),
            ("lone-surrogate", "alice\ud800@acme.test"),
            ("newline", "alice\n@acme.test"),
            ("long", "a" * 255),
            ("very-long", "a" * 1025),
        ],
    ),
    *claim_cases(
        "nonce", required=False, valid=("emoji",), extra=[("long", "n" * 129), ("newline", "a\nb")]
    ),
    *claim_cases("code_challenge", required=False, extra=[("short", "abc")]),
    ("challenge-plain", {"code_challenge": "c" * 43, "code_challenge_method": "plain"}),
    ("challenge-no-method", {"code_challenge": "c" * 43}),
    ("challenge-padded", {"code_challenge": "c" * 42 + "=", "code_challenge_method": "S256"}),
    ("challenge-method-number", {"code_challenge": "c" * 43, "code_challenge_method": 256}),
    ("redirect-uri-number", {"redirect_uri": 42}),
    ("redirect-uri-missing", {"redirect_uri": None}),
    ("redirect-uri-unregistered", {"redirect_uri": "https://evil.test/cb"}),
]


@pytest.mark.parametrize(("case", "changes"), SIGNIN_CASES, ids=[c[0] for c in SIGNIN_CASES])
def test_starting_a_signin_refuses_bad_fields(world, case, changes):
    body = merged(
        {"client_id": world.client[0], "username": "alice@acme.test", "redirect_uri": CB}, changes
    )
    assert_refused(lambda: request(world, "POST", "/t/acme/signin", body))


RESULT_CASES = [
    *claim_cases("secret", extra=[("long", "s" * 65), ("wrong", b64url(b"\x00" * 32))]),
]


@pytest.mark.parametrize(("case", "changes"), RESULT_CASES, ids=[c[0] for c in RESULT_CASES])
def test_collecting_a_result_refuses_bad_secrets(world, case, changes):
    body = merged({"secret": world.pending["secret"]}, changes)
    path = f"/t/acme/signin/{world.pending['signin_id']}/result"
    assert_refused(lambda: request(world, "POST", path, body))


BAD_SIGNIN_IDS = [
    ("word", "nope"),
    ("dots", ".."),
    ("encoded-traversal", "..%2F..%2Fjwks.json"),
    ("encoded-nul", "%00"),
    ("short", "0" * 16 + "a" * 21),
    ("long", "0" * 16 + "a" * 23),
    ("not-hex-prefix", "g" * 16 + "a" * 22),
    ("upper-hex-prefix", "A" * 16 + "a" * 22),
    ("encoded-emoji", quote("😀") * 6),
    ("unknown", "0" * 16 + "a" * 22),
]


@pytest.mark.parametrize(("case", "signin_id"), BAD_SIGNIN_IDS, ids=[c[0] for c in BAD_SIGNIN_IDS])
def test_collecting_a_result_refuses_invalid_signin_ids(world, case, signin_id):
    body = {"secret": world.pending["secret"]}
    path = f"/t/acme/signin/{signin_id}/result"
    assert_refused(lambda: request(world, "POST", path, body))


# --- The token endpoint (form-encoded) --------------------------------------------------------


def basic(client_id: str, secret: str) -> dict:
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def tampered(code: str) -> str:
    signin_id, mac = code.split(".")
    return f"{signin_id}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"


def form(text: str = "grant_type=authorization_code&redirect_uri={cb}&code={code}"):
    """A form body from a template: {code}, {pending} and {secret} come from the world."""
    return lambda w: text.format(
        code=w.code, pending=w.pending["signin_id"], secret=w.client[1], cb=quote(CB, safe="")
    )


AUTH = "grant_type=authorization_code&redirect_uri={cb}&code={code}"
BASIC = None  # the client's own Basic credentials


def header(value: str) -> dict:
    return {"Authorization": value}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# (id, form body built from the world, Authorization header)
TOKEN_CASES = [
    ("json-body", form('{{"grant_type": "authorization_code"}}'), BASIC),
    ("empty", form(""), BASIC),
    ("no-grant-type", form("code={code}"), BASIC),
    ("grant-password", form("grant_type=password&code={code}"), BASIC),
    ("grant-empty", form("grant_type=&code={code}"), BASIC),
    ("grant-twice", form(AUTH + "&grant_type=authorization_code"), BASIC),
    ("code-twice", form(AUTH + "&code={code}"), BASIC),
    ("no-code", form("grant_type=authorization_code"), BASIC),
    ("empty-code", form("grant_type=authorization_code&code="), BASIC),
    ("raw-utf8", lambda w: (form(AUTH)(w) + "é").encode(), BASIC),
    ("raw-latin1", lambda w: b"grant_type=authorization_code&code=\xe9", BASIC),
    ("code-nul", form("grant_type=authorization_code&code=%00"), BASIC),
    ("code-surrogate", form("grant_type=authorization_code&code=%ED%A0%80.x"), BASIC),
    ("code-emoji", form("grant_type=authorization_code&code=%F0%9F%98%80.x"), BASIC),
    ("code-rtl", form("grant_type=authorization_code&code=%E2%80%AE{code}"), BASIC),
    ("code-garbled", form("grant_type=authorization_code&code=not-a-code"), BASIC),
    ("code-too-long", form(AUTH + "x" * 100), BASIC),
    ("code-tampered", lambda w: form(AUTH)(w).replace(w.code, tampered(w.code)), BASIC),
    ("no-redirect-uri", form("grant_type=authorization_code&code={code}"), BASIC),
    ("code-of-pending", form("grant_type=authorization_code&code={pending}." + "A" * 43), BASIC),
    ("no-client", form(), {}),
    ("unknown-client", form(), basic("nope", "x")),
    ("wrong-secret", form(), basic("acme-web", "x")),
    ("basic-garbage", form(), header("Basic !!!")),
    ("basic-no-colon", form(), header("Basic " + b64(b"acme-web"))),
    ("basic-not-utf8", form(), header("Basic " + b64(b"\xff:\xff"))),
    ("bearer", form(), header("Bearer abc")),
    ("two-auth-methods", form(AUTH + "&client_secret={secret}"), BASIC),
    ("client-id-nul", form(AUTH + "&client_id=%00"), {}),
    ("client-id-twice", form(AUTH + "&client_id=acme-web&client_id=acme-web"), {}),
    ("ciba-no-request-id", form("grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba"), BASIC),
]


@pytest.mark.parametrize(("case", "build", "headers"), TOKEN_CASES, ids=[c[0] for c in TOKEN_CASES])
def test_the_token_endpoint_refuses_bad_forms(world, case, build, headers):
    raw = build(world)
    auth = basic(*world.client) if headers is None else headers
    assert_refused(lambda: request(world, "POST", "/t/acme/token", raw, FORM, auth))


def test_a_refused_pkce_verifier_leaves_the_code_unspent(world):
    code = world.approve(world.start())  # issued without a code_challenge
    form = (
        f"grant_type=authorization_code&code={code}&code_verifier={'v' * 43}"
        f"&redirect_uri={quote(CB, safe='')}"
    )
    assert_refused(
        lambda: request(world, "POST", "/t/acme/token", form, FORM, basic(*world.client)),
        400,
        "invalid_grant",
    )


# --- Tenants that do not exist, and ids that try to walk the path ----------------------------

BAD_TENANTS = [
    ("unknown", "nope-co"),
    ("upper-case", "ACME"),
    ("dots", ".."),
    ("encoded-traversal", "..%2Fglobex"),
    ("encoded-nul", "acme%00"),
    ("too-short", "a"),
    ("too-long", "a" * 40),
    ("encoded-emoji", quote("😀")),
]


def valid_request(w: World, endpoint: str):
    """The body and content type of a request `endpoint` would accept in tenant acme."""
    if endpoint == "signin":
        return (
            {"client_id": w.client[0], "username": "alice@acme.test", "redirect_uri": CB},
            JSON,
            {},
        )
    if endpoint == "result":
        return {"secret": w.pending["secret"]}, JSON, {}
    if endpoint == "token":
        form = f"grant_type=authorization_code&code={w.code}&redirect_uri={quote(CB, safe='')}"
        return form, FORM, basic(*w.client)
    return {"proof": proof(w, endpoint)}, JSON, {}


def tenant_path(w: World, tenant: str, endpoint: str) -> str:
    if endpoint == "result":
        return f"/t/{tenant}/signin/{w.pending['signin_id']}/result"
    if endpoint in ("signin", "token"):
        return f"/t/{tenant}/{endpoint}"
    return f"/t/{tenant}/device/{endpoint}"


@pytest.mark.parametrize("endpoint", ["signin", "result", "token", *DEVICE])
@pytest.mark.parametrize(("case", "tenant"), BAD_TENANTS, ids=[c[0] for c in BAD_TENANTS])
def test_post_endpoints_refuse_unknown_tenants(world, endpoint, case, tenant):
    body, kind, headers = valid_request(world, endpoint)
    path = tenant_path(world, tenant, endpoint)
    assert_refused(
        lambda: request(world, "POST", path, body, kind, headers),
        404,
        "unknown_tenant",
    )


@pytest.mark.parametrize("document", [".well-known/openid-configuration", "jwks.json"])
@pytest.mark.parametrize(("case", "tenant"), BAD_TENANTS, ids=[c[0] for c in BAD_TENANTS])
def test_discovery_and_jwks_refuse_unknown_tenants(world, document, case, tenant):
    assert_refused(
        lambda: request(world, "GET", f"/t/{tenant}/{document}"),
        404,
        "unknown_tenant",
    )


# --- What Chalice answers before our code runs ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/t/acme/signin", "text/plain"), ("/t/acme/device/respond", FORM), ("/t/acme/token", JSON)],
)
def test_a_wrong_content_type_is_refused_before_the_service_runs(world, path, content_type):
    # Chalice itself answers 415 with its own body shape ({"Code": ..., "Message": ...}),
    # not our error table's: still a clear 4xx, and nothing is written.
    before = stored_state()
    response = request(world, "POST", path, b"{}", content_type)
    assert response.status_code == 415
    assert json.loads(response.body)["Code"] == "UnsupportedMediaType"
    assert stored_state() == before
