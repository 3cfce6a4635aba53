"""A relying party for the demo: what any web app does to sign people in with OIDC.

Authorization code + PKCE (S256) + state + nonce, code exchanged with client_secret_basic,
the ID token verified against the tenant's published JWKS. Standard library + PyJWT only.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt


@dataclass
class RelyingParty:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    pending: dict[str, dict] = field(default_factory=dict)

    def authorization_url(self, login_hint: str | None = None) -> str:
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        self.pending[state] = {"nonce": nonce, "verifier": verifier}
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        if login_hint:
            query["login_hint"] = login_hint
        return f"{self.issuer}/authorize?{urllib.parse.urlencode(query)}"

    def complete(self, state: str, code: str) -> dict:
        """Exchange the code and verify the ID token; return its claims."""
        expected = self.pending.pop(state, None)
        if expected is None:
            raise ValueError("unknown state: not a sign-in this app started")
        return self.redeem(code, expected["verifier"], expected["nonce"])

    def redeem(self, code: str, verifier: str | None, nonce: str | None) -> dict:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier:
            form["code_verifier"] = verifier
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        request = urllib.request.Request(
            f"{self.issuer}/token",
            data=urllib.parse.urlencode(form).encode(),
            headers={"Authorization": f"Basic {basic}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            tokens = json.load(response)
        return self.verify(tokens["id_token"], nonce)

    def verify(self, id_token: str, nonce: str | None) -> dict:
        with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration") as resp:
            jwks_uri = json.load(resp)["jwks_uri"]
        signing_key = jwt.PyJWKClient(jwks_uri).get_signing_key_from_jwt(id_token)
        claims = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=["ES256"],
            audience=self.client_id,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
        if nonce is not None and claims.get("nonce") != nonce:
            raise ValueError("nonce mismatch")
        return claims


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo App</title></head>
<body style="font-family: system-ui; max-width: 40rem; margin: 3rem auto">{body}</body></html>"""


def _handler():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the demo prints what matters
            pass

        def _send(self, status: int, body: str, location: str | None = None):
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(PAGE.format(body=body).encode())

        def do_GET(self):
            rp: RelyingParty = self.server.rp
            url = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/login":
                self._send(302, "", rp.authorization_url(params.get("login_hint")))
            elif url.path == "/callback" and "code" in params:
                try:
                    claims = rp.complete(params.get("state", ""), params["code"])
                except Exception as err:  # show the reason: this is a demo
                    self._send(400, f"<h1>Sign-in failed</h1><p>{html.escape(str(err))}</p>")
                    return
                pretty = html.escape(json.dumps(claims, indent=2))
                self._send(
                    200,
                    "<h1>Signed in</h1><p>The ID token verified against the "
                    f"tenant's JWKS. Its claims:</p><pre id='claims'>{pretty}</pre>"
                    "<p><a href='/login'>Sign in again</a></p>",
                )
            elif url.path == "/callback":
                reason = html.escape(params.get("error_description", params.get("error", "?")))
                self._send(400, f"<h1>Sign-in did not complete</h1><p>{reason}</p>")
            else:
                self._send(200, "<h1>Demo App</h1><p><a id='login' href='/login'>Sign in</a></p>")

    return Handler


def bind(port: int) -> ThreadingHTTPServer:
    """The demo app's server, bound on 127.0.0.1:`port` if that is free, else on a port the OS
    picks (tools.local_aws.bind). Bound before its relying party exists: the client is
    registered with a redirect URI on the port it really has. `serve` gives it the party."""
    from tools.local_aws import bind as bind_port

    return bind_port(lambda p: ThreadingHTTPServer(("127.0.0.1", p), _handler()), port)


@contextmanager
def serve(rp: RelyingParty, server: ThreadingHTTPServer):
    """Serve `rp` on the bound `server` for the `with` block; yields the app's URL."""
    from tools.local_aws import in_thread

    server.rp = rp
    with in_thread(server) as url:
        yield url
