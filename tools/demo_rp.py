"""A relying party for the demo: what any web app does to sign people in with OIDC.

Built on Authlib, an off-the-shelf OAuth and OpenID Connect client, used as its documentation
shows: discovery, the authorization code with PKCE (S256), state and nonce, the code exchanged
with client_secret_basic, and the ID token verified against the tenant's published JWKS (with
joserfc, the JOSE library Authlib now builds on), its algorithm pinned to the one the client
registered: RS256, as the demo's client registers none (add-client's default).
"""

from __future__ import annotations

import functools
import html
import json
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet


@dataclass
class RelyingParty:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    pending: dict[str, dict] = field(default_factory=dict)
    id_token_alg: str = "RS256"  # the client's id_token_signed_response_alg
    last_id_token: str | None = None  # the demo's one visitor's, for "Sign out"

    @functools.cached_property
    def metadata(self) -> dict:
        url = f"{self.issuer}/.well-known/openid-configuration"
        return requests.get(url, timeout=10).json()

    def _session(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope="openid",
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def authorization_url(self, login_hint: str | None = None) -> str:
        verifier, nonce = generate_token(48), generate_token(16)
        extra = {"login_hint": login_hint} if login_hint else {}
        url, state = self._session().create_authorization_url(
            self.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
        )
        self.pending[state] = {"nonce": nonce, "verifier": verifier}
        return url

    def complete(self, state: str, code: str) -> dict:
        """Exchange the code and verify the ID token; return its claims."""
        expected = self.pending.pop(state, None)
        if expected is None:
            raise ValueError("unknown state: not a sign-in this app started")
        token = self._session().fetch_token(
            self.metadata["token_endpoint"], code=code, code_verifier=expected["verifier"]
        )
        keys = KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=10).json())
        verified = jwt.decode(token["id_token"], keys, algorithms=[self.id_token_alg])
        self.last_id_token = token["id_token"]
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": expected["nonce"]},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        ).validate(verified.claims)
        return dict(verified.claims)

    def logout_url(self) -> str:
        """RP-Initiated Logout: the service ends the browser's single sign-on session (its
        other apps stop signing the person in) and sends the browser back to the app's home,
        the post_logout_redirect_uri the demo registered."""
        parts = urllib.parse.urlsplit(self.redirect_uri)
        home = f"{parts.scheme}://{parts.netloc}/"
        query = {"post_logout_redirect_uri": home, "client_id": self.client_id}
        if self.last_id_token:
            query["id_token_hint"] = self.last_id_token
        return self.metadata["end_session_endpoint"] + "?" + urllib.parse.urlencode(query)


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
            elif url.path == "/logout":
                self._send(302, "", rp.logout_url())
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
                    "<p><a href='/login'>Sign in again</a> (your browser is still signed in: "
                    "no phone needed) or <a id='logout' href='/logout'>Sign out</a></p>",
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
