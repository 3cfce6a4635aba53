"""A relying party as any Flask developer writes it with Authlib, unchanged: discovery,
authorization code + PKCE, nonce and state, ID token verified against the JWKS."""

from __future__ import annotations

import html
import json
import secrets
from contextlib import contextmanager

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, request, url_for
from werkzeug.serving import make_server

from tools.local_aws import in_thread

AUTHORIZE_EXTRAS = ("prompt", "max_age", "acr_values", "login_hint", "ui_locales", "response_mode")


def build(clients: dict[str, dict]) -> Flask:
    """clients: name -> {issuer, client_id, client_secret}."""
    app = Flask("relying_party")
    app.secret_key = secrets.token_hex(16)
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
        claims = html.escape(json.dumps(dict(token["userinfo"]), indent=2))
        return f"<h1>Signed in</h1><pre id='claims'>{claims}</pre>"

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
