"""One complete phone sign-in, written once, for everything that plays one.

    the authorize page -> start -> (pending polls) -> the phone approves with the page's number
    -> the result poll that sees "approved" -> the relying party redeems the code

`make smoke` (tools/demo.py), `make bench` (tools/bench), `make load` (tools/load.py) and the API
tests (tests/fixtures/api.py) each drive `SignIn` over their own `Http`: chalice's test client,
urllib against a running server, or the Lambda handler itself. A step that does not answer as a
sign-in must raise `SignInFailed`, so a change to the flow fails all of them the same way.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from authenticator import cli
from authenticator.device_api import DeviceApi, Transport, device_id

FORM = "application/x-www-form-urlencoded"


class SignInFailed(AssertionError):
    """A step answered otherwise than a sign-in must (an assertion, so tests report it as one)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> dict:
        return json.loads(self.text or "{}")


class Http(Protocol):
    """The least a sign-in needs from HTTP; a dict body goes as JSON, a str as it is."""

    def get(self, path: str, headers: dict | None = None) -> Response: ...

    def post(self, path: str, body: dict | str, headers: dict | None = None) -> Response: ...


def encode(body: dict | str, headers: dict | None) -> tuple[str, dict]:
    if isinstance(body, str):
        return body, dict(headers or {})
    return json.dumps(body), {"Content-Type": "application/json", **(headers or {})}


class ChaliceHttp:
    """chalice.test.Client (or its `.http`): the app in-process, as the API tests call it."""

    def __init__(self, client):
        self.http = getattr(client, "http", client)

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._answer(self.http.get(path, headers=headers or {}))

    def post(self, path: str, body: dict | str, headers: dict | None = None) -> Response:
        raw, headers = encode(body, headers)
        return self._answer(self.http.post(path, headers=headers, body=raw))

    @staticmethod
    def _answer(response) -> Response:
        return Response(response.status_code, dict(response.headers), response.body.decode())


class UrlHttp:
    """urllib against a running server (the demo's, the load run's)."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self._send(urllib.request.Request(self.base_url + path, headers=headers or {}))

    def post(self, path: str, body: dict | str, headers: dict | None = None) -> Response:
        raw, headers = encode(body, headers)
        url = self.base_url + path
        return self._send(urllib.request.Request(url, raw.encode(), headers, method="POST"))

    def _send(self, request: urllib.request.Request) -> Response:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Response(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as err:
            return Response(err.code, dict(err.headers), err.read().decode())


def transport(http: Http) -> Transport:
    """The device API's transport over `http`, so the phone reaches the same server the same way."""

    def post(path: str, body: dict) -> tuple[int, dict]:
        response = http.post(path, body)
        return response.status, response.json()

    return post


@dataclass
class Phone:
    """The reference phone (authenticator.device_api) with its key in memory: one account."""

    api: DeviceApi
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    installation_id: str = field(default_factory=lambda: "inst-" + secrets.token_hex(8))
    enrolment: dict | None = None

    @property
    def device_id(self) -> str:
        return device_id(self.key)

    def enrol(self, code: str, **kwargs) -> tuple[int, dict]:
        kwargs.setdefault("platform", "ios")
        kwargs.setdefault("installation_id", self.installation_id)
        status, body = self.api.enrol(self.key, activation_code=code, **kwargs)
        if status == 200:
            self.enrolment = body
        return status, body

    def pending(self):
        return self.api.pending(self.key)

    def set_locale(self, locale: str) -> tuple[int, dict]:
        return self.api.set_locale(self.key, locale)

    def respond(self, signin_id: str, decision: str = "approve", number: int | None = None):
        return self.api.respond(self.key, signin_id, decision, number)


@dataclass
class CliPhone:
    """The reference phone's command line and its sealed state file, as a person at the demo
    uses it: it finds the sign-in among those waiting for it, then answers."""

    state: str
    pin: str

    def respond(self, signin_id: str, decision: str = "approve", number: int | None = None):
        argv = ["--state", self.state, "--pin", self.pin]
        if decision == "approve":
            argv += ["approve", "--signin", signin_id, "--number", str(number)]
        else:
            argv += ["deny", "--signin", signin_id, *(["--fraud"] * (decision == "report_fraud"))]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            failed = cli.main(argv)
        if failed:
            return 400, {"error": "the phone refused"}
        return 200, json.loads(out.getvalue())

    def totp(self) -> str:
        """The six-digit code the app shows now."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            failed = cli.main(["--state", self.state, "--pin", self.pin, "totp"])
        if failed:
            raise SignInFailed("the phone shows no code")
        return json.loads(out.getvalue())["code"]


class RelyingParty(Protocol):
    """What a web app does: send the browser to /authorize, then redeem the code it gets back
    (tools/demo_rp.RelyingParty is one)."""

    def authorization_url(self) -> str: ...

    def complete(self, state: str, code: str) -> dict: ...


@dataclass
class Client:
    """A confidential client redeeming over the same Http (client_secret_basic): state, nonce
    and, unless told otherwise, PKCE, as a relying party sends them; a fresh nonce each time
    unless given one (a test that checks it). `complete` returns the token response."""

    http: Http
    tenant: str
    client_id: str
    client_secret: str
    redirect_uri: str
    pkce: bool = True
    nonce: str | None = None
    scope: str = "openid"
    pending: dict[str, dict] = field(default_factory=dict)

    def authorization_url(self) -> str:
        state, nonce = secrets.token_urlsafe(12), self.nonce or secrets.token_urlsafe(12)
        query = {"response_type": "code", "scope": self.scope, "client_id": self.client_id}
        query |= {"redirect_uri": self.redirect_uri, "state": state, "nonce": nonce}
        verifier = secrets.token_urlsafe(48) if self.pkce else None
        if verifier:
            digest = hashlib.sha256(verifier.encode()).digest()
            query["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            query["code_challenge_method"] = "S256"
        self.pending[state] = {"verifier": verifier}
        return f"/t/{self.tenant}/authorize?{urlencode(query)}"

    def complete(self, state: str, code: str) -> dict:
        verifier = self.pending.pop(state)["verifier"]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier:
            form["code_verifier"] = verifier
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        headers = {"Content-Type": FORM, "Authorization": f"Basic {basic}"}
        response = self.http.post(f"/t/{self.tenant}/token", urlencode(form), headers)
        tokens = response.json()
        if response.status != 200 or tokens.get("token_type") != "Bearer":
            raise SignInFailed(f"token: {response.status} {tokens}")
        return tokens


def _ignore(step: str) -> None:
    pass


class SignIn:
    """The browser's and the phone's side of phone sign-ins at one tenant. `on_step` hears the
    name of each step before its request: page, start, poll_pending, respond, poll_final, token."""

    def __init__(self, http: Http, phone, tenant: str, on_step: Callable[[str], None] = _ignore):
        self.http, self.phone, self.tenant, self.on_step = http, phone, tenant, on_step

    def run(self, rp: RelyingParty, username: str, *, page: bool = True, pending_polls: int = 0):
        """One sign-in from the relying party's redirect to what it makes of the code."""
        url = rp.authorization_url()
        query = dict(parse_qsl(urlsplit(url).query))
        if page:
            self.page(url)
        fields = ("client_id", "nonce", "scope", "redirect_uri", "code_challenge")
        fields += ("code_challenge_method",)
        started = self.start(username, **{k: query[k] for k in fields if k in query})
        if started.get("method") != "phone" or "number" not in started:
            raise SignInFailed(f"start: not a phone sign-in: {started}")
        for _ in range(pending_polls):
            self.poll(started, "pending", "poll_pending")
        code = self.approve(started)
        self.on_step("token")
        return rp.complete(query["state"], code)

    def page(self, url: str) -> None:
        """The hosted sign-in page, as the browser loads it; it must offer the number step."""
        self.on_step("page")
        parts = urlsplit(url)
        response = self.http.get(f"{parts.path}?{parts.query}")
        if response.status != 200 or 'id="number-step"' not in response.text:
            raise SignInFailed(f"authorize page: {response.status}")

    def start(self, username: str, **fields) -> dict:
        """What the page posts once the person typed their username."""
        self.on_step("start")
        response = self.http.post(f"/t/{self.tenant}/signin", {"username": username, **fields})
        return self._ok("start", response)

    def poll(self, started: dict, expect: str, step: str = "poll_final") -> dict:
        """The page's result poll; it must say `expect`."""
        self.on_step(step)
        path = f"/t/{self.tenant}/signin/{started['signin_id']}/result"
        answer = self._ok("result", self.http.post(path, {"secret": started["secret"]}))
        if answer.get("status") != expect:
            raise SignInFailed(f"result: {expect} expected: {answer}")
        return answer

    def approve(self, started: dict) -> str:
        """The phone approves with the page's number; the page's next poll gets the code."""
        self.on_step("respond")
        status, body = self.phone.respond(started["signin_id"], "approve", started["number"])
        if status != 200:
            raise SignInFailed(f"respond: {status} {body}")
        return self.poll(started, "approved")["code"]

    @staticmethod
    def _ok(step: str, response: Response) -> dict:
        if response.status != 200:
            raise SignInFailed(f"{step}: {response.status} {response.text[:300]}")
        return response.json()
