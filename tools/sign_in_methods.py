"""Sign-ins by the page's other methods, as the hosted page makes them over HTTP: a password
followed by the app's six-digit code, and (once a passkey is registered) a passkey. `make
smoke` plays each method once; tools/scenario.py plays the phone sign-in."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlsplit

from tools.passkey_authenticator import SoftwarePasskey
from tools.scenario import CliPhone, Http, RelyingParty, SignInFailed

PAGE_FIELDS = ("client_id", "nonce", "scope", "redirect_uri", "code_challenge")


class PageSession:
    """One browser on the hosted page: its CSRF double-submit cookie echoed in the header, as
    signin.js does (the password and code calls need it)."""

    def __init__(self, http: Http, tenant: str):
        self.http, self.tenant = http, tenant
        self.csrf = secrets.token_urlsafe(32)

    def post(self, path: str, body: dict) -> dict:
        headers = {"X-CSRF-Token": self.csrf, "Cookie": f"psi_csrf={self.csrf}"}
        response = self.http.post(f"/t/{self.tenant}/{path}", body, headers)
        if response.status != 200:
            raise SignInFailed(f"{path}: {response.status} {response.text[:300]}")
        return response.json()


def _authorize(rp: RelyingParty) -> tuple[str, dict]:
    """The relying party's redirect: its state, and the fields the page sends on."""
    query = dict(parse_qsl(urlsplit(rp.authorization_url()).query))
    fields = {name: query[name] for name in PAGE_FIELDS if name in query}
    if "code_challenge" in fields:
        fields["code_challenge_method"] = "S256"
    return query["state"], fields


def password_and_code(
    http: Http, tenant: str, rp: RelyingParty, username: str, password: str, phone: CliPhone
) -> dict:
    """The password, then the six-digit code the phone's app shows (the tenant asks for a
    second step); the relying party redeems the code."""
    state, fields = _authorize(rp)
    page = PageSession(http, tenant)
    answer = page.post("password", {**fields, "username": username, "password": password})
    if answer.get("status") != "second_step":
        raise SignInFailed(f"password: a second step expected: {answer}")
    body = {"secret": answer["secret"], "code": phone.totp(), "username": username}
    approved = page.post(f"signin/{answer['signin_id']}/code", body)
    if approved.get("status") != "approved":
        raise SignInFailed(f"code: {approved}")
    return rp.complete(state, approved["code"])


def passkey(http: Http, tenant: str, rp: RelyingParty, device: SoftwarePasskey) -> dict:
    """ "Sign in with a passkey": a challenge for whoever answers it, the authenticator's
    answer (discoverable: no username typed), then the code back to the relying party."""
    state, fields = _authorize(rp)
    page = PageSession(http, tenant)
    asked = page.post("passkey/options", {})
    credential = device.get(asked["publicKey"])
    body = {**fields, "challenge_id": asked["challenge_id"], "credential": credential}
    approved = page.post("passkey", body)
    if approved.get("status") != "approved":
        raise SignInFailed(f"passkey: {approved}")
    return rp.complete(state, approved["code"])
