"""A relying party as any Flask developer writes it with Authlib, unchanged: discovery,
authorization code + PKCE, nonce and state, ID token verified against the JWKS; and logout as
docs/integrate.md shows it: RP-initiated (the ID token as id_token_hint, a post-logout URI and
state) and back-channel (the logout token verified with PyJWT against the JWKS, kept in
`app.config["LOGOUT_TOKENS"]` for the tests to read)."""

from __future__ import annotations

import html
import json
import secrets
from contextlib import contextmanager
from urllib.parse import urlencode

import jwt
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, request, session, url_for
from werkzeug.serving import make_server

from tools.local_aws import in_thread

AUTHORIZE_EXTRAS = ("prompt", "max_age", "acr_values", "login_hint", "ui_locales", "response_mode")
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def build(clients: dict[str, dict]) -> Flask:
    """clients: name -> {issuer, client_id, client_secret, and alg if not RS256}."""
    app = Flask("relying_party")
    app.secret_key = secrets.token_hex(16)
    app.config["LOGOUT_TOKENS"] = []  # (app name, verified claims) of each back-channel logout
    oauth = OAuth(app)
    for name, client in clients.items():
        oauth.register(
            name,
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            server_metadata_url=client["issuer"] + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
        )

    @app.route("/login/<name>")
    def login(name):
        # What an app may add to its request (OpenID Connect Core 3.1.2.1), passed through.
        extra = {k: v for k, v in request.args.items() if k in AUTHORIZE_EXTRAS}
        return oauth.create_client(name).authorize_redirect(
            url_for("callback", name=name, _external=True), **extra
        )

    @app.route("/callback/<name>")
    def callback(name):
        try:
            token = oauth.create_client(name).authorize_access_token()
        except OAuthError as error:  # e.g. access_denied: the person cancelled
            shown = html.escape(f"{error.error} (state {request.args.get('state')})")
            return f"<h1>Not signed in</h1><p id='error'>{shown}</p>"
        session[f"id_token:{name}"] = token["id_token"]
        claims = html.escape(json.dumps(dict(token["userinfo"]), indent=2))
        return f"<h1>Signed in</h1><pre id='claims'>{claims}</pre>"

    @app.route("/logout/<name>")
    def logout(name):
        """RP-Initiated Logout: to the end_session_endpoint with the ID token as the hint
        (unless ?hint=no), where to come back and a state to check then."""
        metadata = oauth.create_client(name).load_server_metadata()
        session[f"logout_state:{name}"] = state = secrets.token_urlsafe(16)
        params = {"post_logout_redirect_uri": url_for("signed_out", name=name, _external=True),
                  "state": state, "client_id": clients[name]["client_id"],
                  **{k: v for k, v in request.args.items() if k == "ui_locales"}}  # fmt: skip
        hint = session.pop(f"id_token:{name}", None)
        if hint and request.args.get("hint") != "no":
            params["id_token_hint"] = hint
        return redirect(metadata["end_session_endpoint"] + "?" + urlencode(params))

    @app.route("/signed-out/<name>")
    def signed_out(name):
        good = request.args.get("state") == session.pop(f"logout_state:{name}", None)
        return f"<h1>Signed out</h1><p id='state'>{'state ok' if good else 'state wrong'}</p>"

    @app.route("/backchannel-logout/<name>", methods=["POST"])
    def backchannel_logout(name):
        """Back-Channel Logout 1.0 2.6, as docs/integrate.md writes it."""
        client = clients[name]
        token = request.form.get("logout_token", "")
        keys = jwt.PyJWKClient(client["issuer"] + "/jwks.json")
        try:
            if jwt.get_unverified_header(token).get("typ") != "logout+jwt":
                return "", 400
            claims = jwt.decode(
                token, keys.get_signing_key_from_jwt(token).key,
                algorithms=[client.get("alg", "RS256")], audience=client["client_id"],
                issuer=client["issuer"], options={"require": ["iat", "exp", "jti", "events"]},
            )  # fmt: skip
        except jwt.InvalidTokenError:
            return "", 400
        if "nonce" in claims or LOGOUT_EVENT not in claims["events"]:
            return "", 400
        app.config["LOGOUT_TOKENS"].append((name, claims))
        return "", 200

    return app


def bind():
    """The relying party's server, bound now on a port the OS picks (its redirect URIs are
    registered with that port before the app exists); `serve` gives it the app."""
    return make_server("127.0.0.1", 0, None, threaded=True)


@contextmanager
def serve(app: Flask, server):
    server.app = app
    with in_thread(server) as url:
        yield url
