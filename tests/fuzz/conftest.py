"""The fuzz suite's world and its one judgement of every answer.

Each module gets its own moto world, built once (Hypothesis runs many examples against it):
tenant 'acme' (two steps required, so a password leads to a code) with Alice (a password, an
enrolled phone with push, an access token), Bob (an unused activation code), a pending phone
sign-in and a password sign-in waiting for its second step; and tenant 'globex' (one step)
where Alice and José have passwords. Requests go through the Chalice test client, the local
gateway `tests/api` uses too; `ChaliceAdapter` lets `requests` (and so Schemathesis) send to
it as if over HTTP. `judge` is what every answer to every request must satisfy.
"""

from __future__ import annotations

import builtins
import io
import json
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, settings

from authenticator.device_api import DeviceApi, sign
from chalicelib import service
from chalicelib.domain import proofs
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from chalicelib.errors import ServiceError
from chalicelib.web.hosted_page import CSRF_COOKIE
from tests.fixtures.api import TestPhone, app_for_a_module, stored_state
from tests.fixtures.core import BASE_URL, PREFIX, Clock
from tools.admin import flows as admin
from tools.passkey_authenticator import SoftwarePasskey
from tools.scenario import ChaliceHttp, Client, SignIn


def _subclasses(kind: type) -> list[type]:
    return [kind, *(sub for child in kind.__subclasses__() for sub in _subclasses(child))]


WEB = "https://app.acme.test/cb"
BASE = "http://phonesignin.test"  # where `requests` thinks it sends; ChaliceAdapter serves it
ORIGIN = BASE_URL  # the service's own origin: what the page's calls carry
ISSUER = f"{BASE_URL}/t/acme"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ALICE = "alice@acme.test"
ALICE_PASSWORD = "correct horse battery staple"
JOSE = "jos\u00e9@acme.test"  # precomposed é: a name with a combining-character spelling
CSRF = "csrf-" + "c" * 40

# Deterministic in CI, no example database written, no per-example deadline (moto and scrypt
# vary in speed). The world is module-scoped, so no function-scoped fixture is involved; the
# one health check left out is generation speed, which a 2-core CI box would trip at random.
settings.register_profile(
    "fuzz",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
FUZZ = settings.get_profile("fuzz")

# What a leaked traceback or exception repr would show: the traceback itself, or the name of
# a Python, botocore or service exception class.
_EXCEPTIONS = {
    name
    for name, kind in vars(builtins).items()
    if isinstance(kind, type) and issubclass(kind, BaseException) and kind is not Warning
}
_EXCEPTIONS |= {"ClientError", "ParamValidationError", "BotoCoreError", "JoseError"}
_EXCEPTIONS |= {kind.__name__ for kind in _subclasses(ServiceError)}
PYTHON_ERRORS = re.compile(
    r"Traceback|File \"|\b(?:" + "|".join(sorted(map(re.escape, _EXCEPTIONS))) + r")\b"
)
ERROR_CODE = re.compile(r"[a-z_]+")
# What a refused request may still have written, by table (see `assert_no_partial_write`).
COUNTERS_AND_AUDIT = {f"{PREFIX}limits", f"{PREFIX}audit", f"{PREFIX}usage"}


class ChaliceAdapter(requests.adapters.BaseAdapter):
    """A `requests` transport that hands each prepared request to the Chalice test client:
    the bytes, headers and path `requests` would put on the wire, without a socket."""

    def __init__(self, http):
        super().__init__()
        self._http = http
        self._builder = requests.adapters.HTTPAdapter()  # only its build_response is used

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        answer = self._http.request(request.method, path, headers=dict(request.headers), body=body)
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(answer.body or b""),
            headers=answer.headers,
            status=answer.status_code,
            preload_content=False,
            decode_content=False,
        )
        return self._builder.build_response(request, raw)

    def close(self):
        pass


def session_for(http) -> requests.Session:
    session = requests.Session()
    session.mount(BASE, ChaliceAdapter(http))
    return session


@dataclass
class World:
    http: object  # the Chalice test client's HTTP side
    session: requests.Session
    svc: service.Services
    clock: Clock
    phone: TestPhone
    client: tuple[str, str]
    activation_code: str  # Bob's, unused
    pending: dict  # a phone sign-in nobody answered
    second_step: dict  # a password sign-in waiting for its second step
    access_token: str = ""  # Alice's, from a completed phone sign-in
    globex: dict = field(default_factory=dict)  # a one-step tenant: its client, and subs
    redirect_uri: str = "https://app.acme.test/cb"
    newcomer: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    def send(self, method: str, path: str, body: bytes | str | dict = b"", **headers):
        """Send raw bytes (a dict is sent as JSON) with the given headers."""
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        headers.setdefault("Content-Type", JSON)
        return self.http.request(method, path, headers=headers, body=body)

    def page_headers(self) -> dict:
        """What the sign-in page's own calls carry: its Origin and the CSRF double submit."""
        return {"Origin": ORIGIN, "Cookie": f"{CSRF_COOKIE}={CSRF}", "X-CSRF-Token": CSRF}

    def proof(self, endpoint: str, age: int = 0) -> str:
        """A valid proof for a device endpoint (Alice's phone; Bob's code to enrol), signed
        `age` seconds ago: one older than the 120 s a proof lives is refused (401) only after
        its signature is checked, so it goes as deep as a proof can without changing anything."""
        now = int(self.clock()) - age
        if endpoint == "enrol":
            claims = {
                "activation_code": self.activation_code,
                "platform": "ios",
                "installation_id": "inst-newcomer-" + secrets.token_hex(4),
                "screen_lock": True,
            }
            typ = proofs.ENROL_TYP
            return sign(self.newcomer, typ, claims, audience=ISSUER, now=now, embed_jwk=True)
        if endpoint == "respond":
            claims = {"sid": self.pending["signin_id"], "decision": "deny"}
            return sign(self.phone.key, proofs.RESPONSE_TYP, claims, audience=ISSUER, now=now)
        claims = {"act": "pending" if endpoint == "signins" else endpoint}  # act names the call
        if endpoint == "push-token":
            claims["push_token"] = "apns-token-fuzz"
        if endpoint == "locale":
            claims["locale"] = "nl-NL"
        return sign(self.phone.key, proofs.REQUEST_TYP, claims, audience=ISSUER, now=now)


def build_world(http, svc: service.Services, clock: Clock) -> World:
    # globex: one step, so a right password there is answered with a code at once.
    admin.create_tenant(svc, "globex", "Globex Inc", Policy())
    client = admin.add_client(
        svc, "globex", "globex-web", "Globex Intranet", ["https://globex.test/cb"]
    )
    globex = {"client": (client["client_id"], client["client_secret"]), "subs": {}}
    for username in (ALICE, JOSE):
        account = admin.create_account(svc, "globex", username, AccountKind.WORK)
        globex["subs"][username] = account["sub"]
        admin.set_password(svc, "globex", username, ALICE_PASSWORD)
    svc.directory.get("globex")  # its signing keys are made on first load: not in a test
    admin.create_tenant(svc, "acme", "Acme Corp", Policy(require_two_step=True))
    web = admin.add_client(svc, "acme", "acme-web", "Acme Portal", ["https://app.acme.test/cb"])
    admin.add_client(svc, "acme", "acme-spa", "Acme SPA", ["http://127.0.0.1:9000/cb"], public=True)
    for username in (ALICE, "bob@acme.test"):
        admin.create_account(svc, "acme", username, AccountKind.WORK)
    admin.set_password(svc, "acme", ALICE, ALICE_PASSWORD)

    def post(path: str, body: dict):
        response = http.post(path, headers={"Content-Type": JSON}, body=json.dumps(body))
        return response.status_code, json.loads(response.body or b"{}")

    phone = TestPhone(DeviceApi(post, "acme", ISSUER, clock))
    code = admin.issue_activation_code(svc, "acme", ALICE)["activation_code"]
    assert phone.enrol(code, push_token="apns-token-alice")[0] == 200
    bob_code = admin.issue_activation_code(svc, "acme", "bob@acme.test")["activation_code"]
    status, pending = post(
        "/t/acme/signin", {"client_id": web["client_id"], "username": ALICE, "redirect_uri": WEB}
    )
    assert status == 200 and pending["method"] == "phone", pending
    world = World(
        http=http,
        session=session_for(http),
        svc=svc,
        clock=clock,
        phone=phone,
        client=(web["client_id"], web["client_secret"]),
        activation_code=bob_code,
        pending=pending,
        second_step={},
        globex=globex,
    )
    body = {
        "client_id": web["client_id"],
        "username": ALICE,
        "password": ALICE_PASSWORD,
        "redirect_uri": WEB,
    }
    response = world.send("POST", "/t/acme/password", body, **world.page_headers())
    assert response.status_code == 200, response.body
    world.second_step = json.loads(response.body)
    assert world.second_step["status"] == "second_step", world.second_step
    world.access_token = complete_signin(world)
    return world


def complete_signin(world: World) -> str:
    """A phone sign-in from start to tokens (tools/scenario.py); Alice's access token."""
    http = ChaliceHttp(world.http)
    rp = Client(http, "acme", *world.client, WEB, pkce=False)
    return SignIn(http, world.phone, "acme").run(rp, ALICE, page=False)["access_token"]


@pytest.fixture(scope="module")
def world():
    with app_for_a_module() as (http, svc, clock):
        yield build_world(http, svc, clock)


# --- The JSON endpoints, each with a body it would take -----------------------------------------

# (/passkey/options takes an empty object: nothing to fuzz in it but its shape, which
# test_schema.py covers from openapi.json.)
PAGE = ("signin", "result", "cancel", "password", "recovery", "code", "passkey")
DEVICE = ("enrol", "signins", "respond", "push-token", "locale", "unregister")
JSON_ENDPOINTS = PAGE + DEVICE
FORM_ENDPOINTS = ("token", "bc-authorize")


def path_of(world: World, endpoint: str) -> str:
    if endpoint in ("result", "cancel"):
        return f"/t/acme/signin/{world.pending['signin_id']}/{endpoint}"
    if endpoint == "code":
        return f"/t/acme/signin/{world.second_step['signin_id']}/code"
    if endpoint in DEVICE:
        return f"/t/acme/device/{endpoint}"
    return f"/t/acme/{endpoint}"


# An assertion as a browser sends it, for a challenge nobody gave (refused, whole); made once,
# so every example Hypothesis replays sees the same bytes.
ASSERTION = json.dumps(
    SoftwarePasskey(ORIGIN, "signin.example.test", user_handle=b"x" * 22).get(
        {"challenge": "A" * 43}
    )
)
STALE = 1000  # seconds: a proof this old is refused after its signature checks out


def valid_body(world: World, endpoint: str, proof_age: int = STALE) -> dict:
    """A body the endpoint's schema accepts, with real values (Alice's, the world's). Its
    proof, at a device endpoint, is stale unless told otherwise: nothing here may succeed
    by accident and change the world the module shares (unregister Alice's phone, say)."""
    client = world.client[0]
    return {
        "signin": lambda: {"client_id": client, "username": ALICE, "redirect_uri": WEB},
        "result": lambda: {"secret": world.pending["secret"]},
        "cancel": lambda: {"secret": world.pending["secret"]},
        "password": lambda: {
            "client_id": client,
            "username": ALICE,
            "password": "wrong-" * 3,
            "redirect_uri": WEB,
        },
        "recovery": lambda: {
            "client_id": client,
            "username": ALICE,
            "code": "00000-00000",
            "redirect_uri": WEB,
        },
        "passkey": lambda: {
            "client_id": client,
            "redirect_uri": WEB,
            "challenge_id": "A" * 22,
            "credential": json.loads(ASSERTION),
        },
        "code": lambda: {
            "secret": world.second_step["secret"],
            "code": "000000",
            "username": ALICE,
        },
        "token": lambda: {"grant_type": "authorization_code", "code": "x.y", "client_id": client},
        "bc-authorize": lambda: {"scope": "openid", "login_hint": ALICE, "client_id": client},
    }.get(endpoint, lambda: {"proof": world.proof(endpoint, proof_age)})()


def headers_of(world: World, endpoint: str) -> dict:
    return world.page_headers() if endpoint in PAGE else {}


def media_type_of(endpoint: str) -> str:
    return FORM if endpoint in FORM_ENDPOINTS else JSON


# --- The judgement -----------------------------------------------------------------------------


def text_of(body: bytes | None) -> str:
    return (body or b"").decode("utf-8", "replace")


def assert_no_traceback(text: str) -> None:
    found = PYTHON_ERRORS.search(text)
    assert found is None, f"the answer shows Python internals ({found.group(0)!r}): {text[:500]}"


def assert_error_shape(status: int, headers: dict, text: str) -> dict | None:
    """A JSON error answer is our Error schema: {"error": "[a-z_]+", "error_description": str}.

    Chalice itself answers a Content-Type its route does not take (415) before any of our
    code runs, in its own shape: that one is checked to be exactly Chalice's.
    """
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if status < 400 or not kind.startswith(JSON):
        return None
    body = json.loads(text)
    if status == 415 and set(body) == {"Code", "Message"}:
        assert body["Code"] == "UnsupportedMediaType", text
        return None
    assert isinstance(body, dict) and set(body) == {"error", "error_description"}, text
    assert ERROR_CODE.fullmatch(body["error"]), text
    assert isinstance(body["error_description"], str) and body["error_description"], text
    assert {k.lower(): v for k, v in headers.items()}.get("cache-control") == "no-store", headers
    return body


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}


def _without_notices(state: dict) -> dict:
    """The stored state without the person's notices (signins items sorted under '~'): a
    failed code leaves one for the phones, by design."""
    signins = f"{PREFIX}signins"
    kept = [i for i in state.get(signins, ()) if "~" not in json.loads(i)["Attributes"]["sk"]["S"]]
    return {**state, signins: kept}


def assert_no_partial_write(status: int, error: str | None, before: dict, after: dict) -> None:
    """A refused request leaves the stored state as it was, with two designed exceptions.

    - 400 invalid_request, 413 and 415 are refused at the edge, before any use case runs:
      nothing at all may change (no table, no SNS endpoint).
    - Any other 4xx may have got as far as counting: failed attempts are counted *before*
      they are checked (limits: a password or code guess, a spent proof's jti), so parallel
      guesses cannot slip past the limit; a limit reached, or a wrong code, is written to the
      audit log, and a wrong code left as a notice for the person's phones; and the usage
      meter's tally (a password check is billable, right or wrong) may be flushed to the usage
      table. Nothing else may change: no sign-in, account, device, activation code,
      installation, tenant or SNS endpoint.
    """
    changed = changed_tables(_without_notices(before), _without_notices(after))
    if status in (413, 415) or (status == 400 and error == "invalid_request"):
        assert not changed, f"{status} {error} changed {sorted(changed)}"
    elif 400 <= status < 500:
        assert changed <= COUNTERS_AND_AUDIT, f"{status} {error} changed {sorted(changed)}"
        audit = f"{PREFIX}audit"
        kept = set(before.get(audit, ())) <= set(after.get(audit, ()))
        assert kept, f"{status} {error} changed or removed audit entries"  # the log only grows


def judge(send) -> tuple[int, dict, str]:
    """Send one request and check what any answer must satisfy; (status, headers, text)."""
    before = stored_state()
    response = send()
    after = stored_state()
    status, headers, text = response_parts(response)
    assert status < 500, f"{status}: {text[:500]}"
    assert_no_traceback(text)
    body = assert_error_shape(status, headers, text)
    assert_no_partial_write(status, body and body["error"], before, after)
    return status, headers, text


def response_parts(response) -> tuple[int, dict, str]:
    """(status, headers, text) of a Chalice test client's or Schemathesis' response."""
    if hasattr(response, "content"):  # Schemathesis: headers map to lists of values
        headers = {name: ", ".join(values) for name, values in response.headers.items()}
        return response.status_code, headers, text_of(response.content)
    return response.status_code, dict(response.headers), text_of(response.body)
