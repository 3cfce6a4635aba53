"""Two OpenID Connect client libraries, unchanged and as their documentation sets them up,
against the service on 127.0.0.1: Authlib (its Flask client) and pyoidc (`oic`, the Python
relying party library of the OpenID Foundation's certified implementations). Each reads
discovery, redeems the code, verifies the ID token itself against the JWKS, and reads
userinfo; a reference phone approves each sign-in over the device API.

pyoidc keeps its defaults: it verifies the ID token with the key its kid names in the JWKS,
and asks userinfo by POST with the token in a form body. Where it is asked to pin the
algorithm, it expects RS256 unless told the client registered otherwise (OIDC Dynamic Client
Registration 1.0 section 2). Authlib takes the algorithms discovery lists, and asks userinfo by
GET (and here by POST too, with its own session).
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
import pytest
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify
from oic import rndstr
from oic.oauth2.message import WrongSigningAlgorithm
from oic.oic import Client as OicClient
from oic.oic.message import AuthorizationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from authenticator.device_api import DeviceApi, http_transport
from chalicelib.domain.accounts import AccountKind
from chalicelib.domain.tenants import Policy
from tools import scenario
from tools.admin import flows as admin

TENANT = "rplibs"
ALICE = "alice@rplibs.test"
# Nothing listens here: the libraries are handed the code the page would redirect with.
CALLBACK = "http://127.0.0.1:9/callback"
AUTHORIZE_FIELDS = ("client_id", "nonce", "scope", "redirect_uri")
PKCE_FIELDS = ("code_challenge", "code_challenge_method")


@pytest.fixture(scope="module")
def world(svc, stack):
    """The tenant, one client per library and algorithm, and Alice with her phone enrolled."""
    admin.create_tenant(svc, TENANT, "RP Libraries", Policy(pushes_per_minute=20))
    clients = {
        name: admin.add_client(svc, TENANT, name, "Libraries", [f"{CALLBACK}/{name}"], **kw)
        for name, kw in (
            ("authlib-rs", {}),
            ("authlib-es", {"id_token_signed_response_alg": "ES256"}),
            ("pyoidc-rs", {}),
            ("pyoidc-es", {"id_token_signed_response_alg": "ES256"}),
        )
    }
    admin.create_account(svc, TENANT, ALICE, AccountKind.WORK)
    issuer = stack.issuer(TENANT)
    phone = scenario.Phone(DeviceApi(http_transport(stack.api_url), TENANT, issuer))
    status, body = phone.enrol(admin.issue_activation_code(svc, TENANT, ALICE)["activation_code"])
    assert status == 200, body
    return {"issuer": issuer, "clients": clients, "phone": phone, "api_url": stack.api_url}


def approve(world, authorization_url: str) -> tuple[dict, str]:
    """What the browser and the phone do between the app's redirect and its callback: the
    page starts the sign-in with the authorization request's fields, the phone approves with
    the page's number, the page gets the code. Returns (the request's query, the code)."""
    query = dict(parse_qsl(urlsplit(authorization_url).query))
    signin = scenario.SignIn(scenario.UrlHttp(world["api_url"]), world["phone"], TENANT)
    started = signin.start(
        ALICE, **{k: query[k] for k in AUTHORIZE_FIELDS + PKCE_FIELDS if k in query}
    )
    return query, signin.approve(started)


# --- Authlib -----------------------------------------------------------------------------------


def authlib_app(world) -> Flask:
    """A Flask app as Authlib's documentation writes one: discovery, PKCE S256, the ID token
    parsed and verified by `authorize_access_token`, then userinfo."""
    app = Flask("authlib_rp")
    app.secret_key = secrets.token_hex(16)
    oauth = OAuth(app)
    for name in ("authlib-rs", "authlib-es"):
        oauth.register(
            name,
            client_id=name,
            client_secret=world["clients"][name]["client_secret"],
            server_metadata_url=f"{world['issuer']}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
        )

    @app.route("/login/<name>")
    def login(name):
        return oauth.create_client(name).authorize_redirect(f"{CALLBACK}/{name}")

    @app.route("/callback/<name>")
    def callback(name):
        client = oauth.create_client(name)
        token = client.authorize_access_token()  # the code redeemed, the ID token verified
        userinfo_url = client.load_server_metadata()["userinfo_endpoint"]
        return jsonify(
            id_token_header=jwt.get_unverified_header(token["id_token"]),
            claims=dict(token["userinfo"]),  # Authlib's name for the verified ID token claims
            userinfo=dict(client.userinfo(token=token)),
            userinfo_by_post=client.post(userinfo_url, token=token).json(),
        )

    return app


@pytest.mark.parametrize(("name", "alg"), [("authlib-rs", "RS256"), ("authlib-es", "ES256")])
def test_authlib_verifies_the_id_token_in_the_algorithm_its_client_registered(world, name, alg):
    browser = authlib_app(world).test_client()
    redirect = browser.get(f"/login/{name}")
    query, code = approve(world, redirect.headers["Location"])

    answer = browser.get(
        f"/callback/{name}?"
        + urlencode({"code": code, "state": query["state"], "iss": world["issuer"]})
    )

    assert answer.status_code == 200, answer.get_data(as_text=True)
    seen = answer.get_json()
    assert seen["id_token_header"]["alg"] == alg
    claims = seen["claims"]
    assert (claims["iss"], claims["aud"], claims["nonce"]) == (
        world["issuer"],
        name,
        query["nonce"],
    )
    assert claims["preferred_username"] == ALICE
    expected = {"sub": claims["sub"], "preferred_username": ALICE}
    assert seen["userinfo"] == seen["userinfo_by_post"] == expected


# --- pyoidc ------------------------------------------------------------------------------------


def pyoidc_client(world, name: str, registered: dict | None = None) -> tuple[OicClient, list]:
    """pyoidc's Client as its documentation sets it up: provider info from discovery (and the
    JWKS into its key jar), the registration the operator handed out, nothing else. Also the
    (method, url, headers, body) of each request it makes, recorded on the way out."""
    client = OicClient(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(world["issuer"])
    client.store_registration_info(
        RegistrationResponse(
            client_id=name,
            client_secret=world["clients"][name]["client_secret"],
            redirect_uris=[f"{CALLBACK}/{name}"],
            **(registered or {}),
        )
    )
    sent: list = []
    send = client.http_request

    def recorded(url, method="GET", **kwargs):
        sent.append((method, url, kwargs.get("headers") or {}, kwargs.get("data")))
        return send(url, method, **kwargs)

    client.http_request = recorded
    return client, sent


def pyoidc_sign_in(world, client: OicClient, name: str, pin: bool = False) -> tuple[str, dict]:
    """Authorization request, sign-in, the callback parsed, the code redeemed
    (client_secret_basic) and the ID token verified by pyoidc: (state, the token response).
    `pin`: verify only the algorithm the client registered (pyoidc's `sign_enc_algs`), which
    pyoidc checks at the token endpoint only when asked."""
    state, nonce = rndstr(), rndstr()
    request = client.construct_AuthorizationRequest(
        request_args={
            "client_id": name,
            "response_type": "code",
            "scope": ["openid", "profile"],
            "redirect_uri": f"{CALLBACK}/{name}",
            "state": state,
            "nonce": nonce,
        }
    )
    _, code = approve(world, request.request(client.authorization_endpoint))
    callback = urlencode({"code": code, "state": state, "iss": world["issuer"]})
    client.parse_response(AuthorizationResponse, info=callback, sformat="urlencoded")
    pinned = {"algs": client.sign_enc_algs("id_token")} if pin else {}
    tokens = client.do_access_token_request(
        state=state, request_args={"code": code}, authn_method="client_secret_basic", **pinned
    )
    assert tokens["id_token"]["nonce"] == nonce
    return state, tokens


def test_pyoidc_with_its_defaults_verifies_an_rs256_id_token_and_posts_the_token_to_userinfo(
    world,
):
    """A client that registered no algorithm gets RS256 (OIDC Dynamic Client Registration 1.0
    section 2). pyoidc's default userinfo request is a POST with the token in a form body
    (RFC 6750 2.2), which the edge must not answer with 415."""
    client, sent = pyoidc_client(world, "pyoidc-rs")

    state, tokens = pyoidc_sign_in(world, client, "pyoidc-rs")
    userinfo = client.do_user_info_request(state=state)

    id_token = tokens["id_token"]
    assert id_token.jws_header["alg"] == "RS256"
    assert (id_token["iss"], id_token["aud"]) == (world["issuer"], ["pyoidc-rs"])
    assert userinfo.to_dict() == {"sub": id_token["sub"], "preferred_username": ALICE}
    method, url, headers, body = sent[-1]
    assert (method, url) == ("POST", f"{world['issuer']}/userinfo")
    assert "Authorization" not in headers
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(body)) == {"access_token": tokens["access_token"]}


def test_pyoidc_posts_the_token_in_the_authorization_header_when_told(world):
    """RFC 6750 2.1 on a POST: pyoidc's `use_authorization_header` behaviour."""
    client, sent = pyoidc_client(world, "pyoidc-rs")
    state, tokens = pyoidc_sign_in(world, client, "pyoidc-rs")

    userinfo = client.do_user_info_request(state=state, behavior="use_authorization_header")

    assert userinfo["sub"] == tokens["id_token"]["sub"]
    method, _, headers, body = sent[-1]
    assert method == "POST" and not body
    assert headers["Authorization"] == f"Bearer {tokens['access_token']}"


def test_pyoidc_told_the_client_registered_es256_verifies_an_es256_id_token(world):
    client, _ = pyoidc_client(world, "pyoidc-es", {"id_token_signed_response_alg": "ES256"})

    _, tokens = pyoidc_sign_in(world, client, "pyoidc-es", pin=True)

    assert tokens["id_token"].jws_header["alg"] == "ES256"


def test_a_library_that_pins_the_registered_algorithm_refuses_another(world):
    """Why the algorithm is each client's to choose, RS256 by default: a relying party that
    pins the algorithm it registered (RFC 8725 3.1; pyoidc's `algs`) refuses an ID token in
    any other, so a client registered for ES256 must never get RS256 and one that registered
    nothing must get RS256."""
    assumes_default, _ = pyoidc_client(world, "pyoidc-es")  # told nothing: RS256

    with pytest.raises(WrongSigningAlgorithm):
        pyoidc_sign_in(world, assumes_default, "pyoidc-es", pin=True)
    client, _ = pyoidc_client(world, "pyoidc-rs")
    _, tokens = pyoidc_sign_in(world, client, "pyoidc-rs", pin=True)
    assert tokens["id_token"].jws_header["alg"] == "RS256"
