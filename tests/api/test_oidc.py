"""OpenID Connect as a relying party, a browser and an attacker see it: discovery and JWKS,
the authorization endpoint, the token endpoint, the tokens, userinfo, key rotation, cancel.

Where one request is tried in many bad variants, a test sends them all and compares the
table of answers with the expected one, so a failure names every variant that went wrong.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest

from chalicelib.domain.tenants import KEY_OVERLAP_SECONDS
from tools.admin import flows as admin

BASE_URL = "https://signin.example.test"
ISSUER = f"{BASE_URL}/t/acme"
WEB_REDIRECT = "https://app.acme.test/cb"
SPA_REDIRECT = "http://127.0.0.1:9000/cb"
CODE = "authorization_code"
CIBA = "urn:openid:params:grant-type:ciba"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def code_form(code: str) -> dict:
    """The token request for a code of acme's web client."""
    return {"grant_type": CODE, "code": code, "redirect_uri": WEB_REDIRECT}


def web_client(tenant) -> tuple[str, str]:
    return tenant["client_id"], tenant["client_secret"]


def authorize_query(tenant, **changes) -> dict:
    """A valid authorization request for acme's web client; None in `changes` drops a param."""
    params = {
        "client_id": tenant["client_id"],
        "redirect_uri": WEB_REDIRECT,
        "response_type": "code",
        "scope": "openid",
        "state": "st-1",
        "nonce": "n-1",
        **changes,
    }
    return {name: value for name, value in params.items() if value is not None}


@pytest.fixture
def authorize(api):
    def get(params: dict, tenant_id: str = "acme", headers: dict | None = None):
        query = urlencode(params, doseq=True)
        return api.http.get(f"/t/{tenant_id}/authorize?{query}", headers=headers or {})

    return get


@pytest.fixture
def signed_in(alice, completed):
    """A finished phone sign-in on acme's web client: the token response."""
    return completed(alice, nonce="n-1")


def published_kids(api, tenant_id: str = "acme") -> set[str]:
    return {key["kid"] for key in api.http.get(f"/t/{tenant_id}/jwks.json").json_body["keys"]}


def verify(
    api, token: str, audience: str, tenant_id: str = "acme", algorithms: tuple = ("ES256",)
) -> dict:
    """What a relying party does: find the kid in the published JWKS, check the algorithm it
    registered (acme-web: ES256, as access tokens are), aud, iss."""
    keys = jwt.PyJWKSet.from_dict(api.http.get(f"/t/{tenant_id}/jwks.json").json_body)
    key = keys[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token,
        key.key,
        algorithms=list(algorithms),
        audience=audience,
        issuer=f"{BASE_URL}/t/{tenant_id}",
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )


def userinfo(api, authorization: str | None, tenant_id: str = "acme"):
    headers = {} if authorization is None else {"Authorization": authorization}
    return api.http.get(f"/t/{tenant_id}/userinfo", headers=headers)


def status_and_error(answer: tuple[int, dict]) -> tuple[int, str | None]:
    return answer[0], answer[1].get("error")


# --- Discovery and JWKS --------------------------------------------------------------------------


def test_discovery_names_this_tenants_endpoints_and_only_what_is_supported(api, tenant):
    response = api.http.get("/t/acme/.well-known/openid-configuration")

    assert response.status_code == 200
    doc = response.json_body
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert doc["token_endpoint"] == f"{ISSUER}/token"
    assert doc["jwks_uri"] == f"{ISSUER}/jwks.json"
    assert doc["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert doc["backchannel_authentication_endpoint"] == f"{ISSUER}/bc-authorize"
    assert doc["backchannel_token_delivery_modes_supported"] == ["poll"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["grant_types_supported"]) == {CODE, CIBA}
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    # A client library follows the document: the JWKS it names is served there.
    assert api.http.get(urlsplit(doc["jwks_uri"]).path).status_code == 200


def test_discovery_answers_what_client_libraries_ask_before_they_try(api, tenant):
    """OpenID Connect Discovery 1.0 section 3: a library reads these to decide what to send and
    what to expect (RFC 9207's iss, form_post, the logout endpoints), so each says what the
    service does; what it does not do is false or absent (no signed userinfo, no JWT client
    authentication, no request objects)."""
    doc = api.http.get("/t/acme/.well-known/openid-configuration").json_body

    assert {name: doc[name] for name in DISCOVERED} == DISCOVERED
    assert doc["ui_locales_supported"] == ["en", "nl"]  # language.available(): the catalogs
    assert set(doc["claims_supported"]) >= {"sub", "iss", "auth_time", "acr", "amr", "nonce"}
    assert set(doc["claims_supported"]) >= {"preferred_username", "email", "email_verified"}
    assert doc["acr_values_supported"] == [
        "urn:phonesignin:acr:mfa",
        "urn:phonesignin:acr:passkey",
        "urn:phonesignin:acr:pwd",
        "urn:phonesignin:acr:recovery",
    ]
    assert not {
        "userinfo_signing_alg_values_supported",
        "token_endpoint_auth_signing_alg_values_supported",
        "request_object_signing_alg_values_supported",
        "id_token_encryption_alg_values_supported",
    } & set(doc)


DISCOVERED = {
    "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    "request_parameter_supported": False,
    "request_uri_parameter_supported": False,
    "authorization_response_iss_parameter_supported": True,
    "claims_parameter_supported": False,
    "claim_types_supported": ["normal"],
    "response_modes_supported": ["query", "form_post"],
    "display_values_supported": ["page"],
    "prompt_values_supported": ["none", "login", "select_account"],
    "end_session_endpoint": f"{ISSUER}/logout",
    "frontchannel_logout_supported": False,
    "backchannel_logout_supported": True,
    "backchannel_logout_session_supported": True,
    "subject_types_supported": ["public"],
    "scopes_supported": ["openid", "profile", "email"],
}


def test_the_jwks_publishes_public_signing_keys_only(api, tenant):
    response = api.http.get("/t/acme/jwks.json")

    assert response.status_code == 200
    rsa, ec = sorted(response.json_body["keys"], key=lambda key: key["kty"], reverse=True)
    assert (ec["kid"], rsa["kid"]) == (tenant["kids"]["ES256"], tenant["kids"]["RS256"])
    assert (ec["kty"], ec["crv"], ec["alg"], ec["use"]) == ("EC", "P-256", "ES256", "sig")
    assert (rsa["kty"], rsa["alg"], rsa["use"], rsa["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert jwt.PyJWK.from_dict(rsa).key.key_size == 2048
    for key in (ec, rsa):
        assert not {"d", "p", "q", "k", "dp", "dq", "qi"} & set(key)


# --- The authorization endpoint ------------------------------------------------------------------


def test_a_valid_authorization_request_gets_a_locked_down_signin_page(authorize, tenant):
    response = authorize(authorize_query(tenant))

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert csp["script-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = SimpleCookie(response.headers["Set-Cookie"])["psi_csrf"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["secure"] is True
    assert cookie["path"] == "/t/acme"
    assert len(cookie.value) >= 32
    assert f'data-csrf="{cookie.value}"' in response.body.decode()


BAD_CLIENTS = {
    "unknown client": {"client_id": "acme-nobody"},
    "no client": {"client_id": None},
    "trailing slash": {"redirect_uri": WEB_REDIRECT + "/"},
    "upper-case host": {"redirect_uri": "https://APP.acme.test/cb"},
    "extra query": {"redirect_uri": WEB_REDIRECT + "?next=/admin"},
    "other host": {"redirect_uri": "https://evil.test/cb"},
    "http instead of https": {"redirect_uri": "http://app.acme.test/cb"},
    "fragment": {"redirect_uri": WEB_REDIRECT + "#frag"},
    "another client's uri": {"redirect_uri": SPA_REDIRECT},
    "no redirect uri": {"redirect_uri": None},
}


def test_an_unknown_client_or_unregistered_redirect_uri_gets_our_page_never_a_redirect(
    authorize, tenant
):
    def seen(response) -> tuple:
        return (
            response.status_code,
            response.headers["Content-Type"].split(";")[0],
            "Location" in response.headers,
            "Set-Cookie" in response.headers,
            "evil.test" in response.body.decode(),
        )

    # response_type=token would be sent back to a good redirect URI; to a bad one, never.
    answers = {
        case: seen(authorize(authorize_query(tenant, response_type="token", **changes)))
        for case, changes in BAD_CLIENTS.items()
    }

    assert answers == dict.fromkeys(BAD_CLIENTS, (400, "text/html", False, False, False))


REDIRECTED = {
    "implicit flow": ({"response_type": "token"}, "unsupported_response_type"),
    "no response type": ({"response_type": None}, "unsupported_response_type"),
    "no openid scope": ({"scope": "profile email"}, "invalid_scope"),
    "no scope": ({"scope": None}, "invalid_scope"),
    "repeated parameter": ({"scope": ["openid", "openid"]}, "invalid_request"),
    "plain pkce": (
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        "invalid_request",
    ),
    # Sizes from the published description (openapi.json), checked like a body's.
    "prompt too long": ({"prompt": "login" * 20}, "invalid_request"),
    "scope too long": ({"scope": "openid " + "x" * 600}, "invalid_request"),
    "login_hint too long": ({"login_hint": "a" * 1025}, "invalid_request"),
}


def test_errors_after_the_redirect_uri_is_known_good_go_back_to_the_client(authorize, tenant):
    def seen(response) -> tuple:
        location = urlsplit(response.headers.get("Location", ""))
        query = parse_qs(location.query)
        return (
            response.status_code,
            f"{location.scheme}://{location.netloc}{location.path}",
            query.get("error"),
            query.get("state"),
            query.get("iss"),  # RFC 9207: the client can tell who answered
            "Set-Cookie" in response.headers,
        )

    answers = {
        case: seen(authorize(authorize_query(tenant, **changes)))
        for case, (changes, _) in REDIRECTED.items()
    }

    assert answers == {
        case: (302, WEB_REDIRECT, [error], ["st-1"], [ISSUER], False)
        for case, (_, error) in REDIRECTED.items()
    }


def test_a_public_client_without_pkce_is_sent_back_with_invalid_request(authorize, tenant):
    query = authorize_query(tenant, client_id=tenant["public_client_id"], redirect_uri=SPA_REDIRECT)

    response = authorize(query)

    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == SPA_REDIRECT
    assert parse_qs(location.query)["error"] == ["invalid_request"]
    assert parse_qs(location.query)["state"] == ["st-1"]

    _, challenge = pkce_pair()
    with_s256 = {**query, "code_challenge": challenge, "code_challenge_method": "S256"}
    assert authorize(with_s256).status_code == 200
    # Without a method RFC 7636 means "plain", which is refused (S256 only).
    plain = authorize({**query, "code_challenge": challenge})
    assert parse_qs(urlsplit(plain.headers["Location"]).query)["error"] == ["invalid_request"]


def test_request_values_are_escaped_in_the_page(authorize, tenant):
    injected = '"><script>alert(1)</script>'

    response = authorize(
        authorize_query(tenant, state=injected, login_hint=injected, nonce=injected)
    )

    assert response.status_code == 200
    page = response.body.decode()
    assert "<script>alert" not in page
    escaped = "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    for attribute in ("state", "login-hint", "nonce"):
        assert f'data-{attribute}="{escaped}"' in page


def test_request_values_that_look_like_placeholders_are_shown_as_sent(authorize, tenant):
    """The page template fills {{name}}; a state naming another placeholder stays as sent
    (else the client gets back a state it did not send, holding the page's CSRF token)."""
    response = authorize(authorize_query(tenant, state="{{csrf}}", login_hint="{{nonce}}"))

    page = response.body.decode()
    assert 'data-state="{{csrf}}"' in page
    assert 'data-login-hint="{{nonce}}"' in page


# --- The token endpoint --------------------------------------------------------------------------


def test_a_confidential_client_authenticates_by_basic_or_post(
    alice, start, approved, token, api, tenant
):
    client_id, secret = web_client(tenant)
    by_basic = code_form(approved(alice, start()))
    by_post = code_form(approved(alice, start()))

    answers = [
        token(by_basic, client=(client_id, secret)),
        token({**by_post, "client_id": client_id, "client_secret": secret}),
    ]

    for status, body in answers:
        assert status == 200, body
        assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
        assert verify(api, body["id_token"], client_id)["aud"] == client_id


def test_a_client_using_two_authentication_methods_at_once_is_refused(
    alice, start, approved, token, api, tenant
):
    code = approved(alice, start())
    basic = base64.b64encode(":".join(web_client(tenant)).encode()).decode()

    response = api.http.post(
        "/t/acme/token",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
        },
        body=urlencode(
            {
                "grant_type": CODE,
                "code": code,
                "client_secret": tenant["client_secret"],
                "redirect_uri": WEB_REDIRECT,
            }
        ),
    )

    assert response.status_code == 401
    assert response.json_body["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert token(code_form(code), client=web_client(tenant))[0] == 200


@pytest.fixture
def spa_code(alice, post, approved, tenant):
    """A public client's sign-in, started with a redirect URI and a PKCE challenge:
    (code, verifier)."""
    verifier, challenge = pkce_pair()
    status, started = post(
        "/t/acme/signin",
        {
            "client_id": tenant["public_client_id"],
            "username": "alice@acme.test",
            "redirect_uri": SPA_REDIRECT,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "nonce": "n-spa",
        },
    )
    assert status == 200, started
    return approved(alice, started), verifier


def spa_form(tenant, code: str, verifier: str, **changes) -> dict:
    form = {
        "grant_type": CODE,
        "code": code,
        "client_id": tenant["public_client_id"],
        "code_verifier": verifier,
        "redirect_uri": SPA_REDIRECT,
        **changes,
    }
    return {name: value for name, value in form.items() if value is not None}


def test_a_public_client_signs_in_with_pkce_and_no_secret(spa_code, token, api, tenant):
    code, verifier = spa_code

    status, body = token(spa_form(tenant, code, verifier))

    assert status == 200, body
    # acme-spa registered no algorithm: RS256 (OIDC Dynamic Client Registration 1.0 section 2).
    claims = verify(api, body["id_token"], tenant["public_client_id"], algorithms=("RS256",))
    assert claims["nonce"] == "n-spa"


def test_a_public_client_presenting_a_secret_is_refused(spa_code, token, tenant):
    code, verifier = spa_code

    status, body = token(spa_form(tenant, code, verifier, client_secret="made-up"))

    assert (status, body["error"]) == (401, "invalid_client")
    assert token(spa_form(tenant, code, verifier))[0] == 200  # the code was not spent


def test_the_token_endpoint_answers_oauths_own_codes_not_the_edge_checks(spa_code, token, tenant):
    """Needs the token form's description to leave the checking to the endpoint: RFC 6749 5.2
    and RFC 7636 4.6 name the codes, and an edge check would answer invalid_request."""
    code, verifier = spa_code
    cases = {
        "client_id too long": ({"client_id": "x" * 300}, (401, "invalid_client")),
        "verifier too short": ({"code_verifier": verifier[:42]}, (400, "invalid_grant")),
        "verifier with +": ({"code_verifier": "+" * 43}, (400, "invalid_grant")),
        "grant_type too long": ({"grant_type": "x" * 300}, (400, "unsupported_grant_type")),
    }

    answers = {
        case: status_and_error(token(spa_form(tenant, code, verifier, **changes)))
        for case, (changes, _) in cases.items()
    }

    assert answers == {case: expected for case, (_, expected) in cases.items()}
    # Some libraries send an empty secret for a public client: that is no secret at all.
    status, body = token(spa_form(tenant, code, verifier, client_secret=""))
    assert status == 200, body


def test_the_redirect_uri_at_the_token_endpoint_must_be_the_one_the_signin_started_with(
    spa_code, token, tenant
):
    code, verifier = spa_code
    wrong = {
        "trailing slash": "http://127.0.0.1:9000/cb/",
        "other path": "http://127.0.0.1:9000/other",
        "another client's": WEB_REDIRECT,
        "omitted": None,
    }

    answers = {
        case: status_and_error(token(spa_form(tenant, code, verifier, redirect_uri=sent)))
        for case, sent in wrong.items()
    }

    assert answers == {
        **dict.fromkeys(wrong, (400, "invalid_grant")),
        "omitted": (400, "invalid_request"),  # RFC 6749 4.1.3: required, since /authorize had it
    }
    assert token(spa_form(tenant, code, verifier))[0] == 200  # the code was not spent


def test_a_missing_or_unknown_grant_type_is_refused(alice, start, approved, token, tenant):
    code = approved(alice, start())
    expected = {
        None: "invalid_request",
        "": "invalid_request",
        "password": "unsupported_grant_type",
        "client_credentials": "unsupported_grant_type",
        "refresh_token": "unsupported_grant_type",
        "AUTHORIZATION_CODE": "unsupported_grant_type",
    }

    answers = {
        grant: status_and_error(
            token(
                {"code": code} if grant is None else {"grant_type": grant, "code": code},
                client=web_client(tenant),
            )
        )
        for grant in expected
    }

    assert answers == {grant: (400, error) for grant, error in expected.items()}
    assert token(code_form(code), client=web_client(tenant))[0] == 200


# --- The tokens --------------------------------------------------------------------------------


def test_the_id_token_says_who_signed_in_how_when_and_for_which_client(
    enrolled, start, approved, token, api, tenant, clock
):
    clock.advance(-30)  # so that tokens issued "later" are not in the future for PyJWT
    phone, account = enrolled("Alice@Acme.test")
    started = start(nonce="n-42")
    approved_at = int(clock())
    code = approved(phone, started)
    clock.advance(7)

    status, body = token(code_form(code), client=web_client(tenant))

    assert status == 200, body
    header = jwt.get_unverified_header(body["id_token"])
    assert (header["alg"], header["kid"]) == ("ES256", tenant["kid"])
    claims = verify(api, body["id_token"], tenant["client_id"])
    assert claims["iss"] == ISSUER
    assert claims["sub"] == account["sub"]
    assert "alice" not in claims["sub"]
    assert claims["aud"] == tenant["client_id"]
    assert claims["iat"] == int(clock())
    assert claims["exp"] - claims["iat"] == 300
    assert claims["auth_time"] == approved_at
    assert claims["nonce"] == "n-42"
    assert claims["amr"] == ["mfa", "hwk", "user"]
    assert claims["acr"] == "urn:phonesignin:acr:mfa"


def test_the_access_token_is_an_rfc_9068_jwt_for_this_issuer(signed_in, api, tenant):
    access = signed_in["access_token"]

    header = jwt.get_unverified_header(access)
    assert (header["typ"], header["alg"], header["kid"]) == ("at+jwt", "ES256", tenant["kid"])
    claims = verify(api, access, ISSUER)
    assert claims["client_id"] == tenant["client_id"]
    assert claims["exp"] - claims["iat"] == 300
    assert claims["jti"]
    with pytest.raises(jwt.InvalidAudienceError):  # no relying party takes it as an ID token
        verify(api, access, tenant["client_id"])


def test_userinfo_names_the_subject_of_an_access_token(signed_in, api, tenant):
    sub = verify(api, signed_in["id_token"], tenant["client_id"])["sub"]

    response = userinfo(api, f"Bearer {signed_in['access_token']}")

    assert response.status_code == 200
    assert response.json_body == {"sub": sub}
    assert response.headers["Cache-Control"] == "no-store"


def refusal(response) -> tuple:
    return (
        response.status_code,
        (response.json_body or {}).get("error"),
        response.headers.get("WWW-Authenticate", "").split(" ")[0],
    )


REFUSED_BEARER = (401, "invalid_token", "Bearer")


def test_userinfo_refuses_anything_but_a_valid_access_token(signed_in, api):
    access = signed_in["access_token"]
    header, _, signature = access.split(".")
    forged = jwt.decode(access, options={"verify_signature": False}) | {"sub": "someone-else"}
    presented = {
        "nothing": None,
        "empty bearer": "Bearer ",
        "basic scheme": f"Basic {access}",
        "id token": f"Bearer {signed_in['id_token']}",
        "garbage": "Bearer not.a.token",
        "altered claims": f"Bearer {header}.{b64url(json.dumps(forged).encode())}.{signature}",
    }

    answers = {case: refusal(userinfo(api, sent)) for case, sent in presented.items()}

    assert answers == dict.fromkeys(presented, REFUSED_BEARER)


def test_userinfo_refuses_an_access_token_of_another_tenant(signed_in, globex, api):
    response = userinfo(api, f"Bearer {signed_in['access_token']}", tenant_id="globex")

    assert refusal(response) == REFUSED_BEARER


def test_userinfo_refuses_an_expired_access_token(signed_in, api, clock):
    clock.advance(299)
    assert userinfo(api, f"Bearer {signed_in['access_token']}").status_code == 200

    clock.advance(1)

    assert refusal(userinfo(api, f"Bearer {signed_in['access_token']}")) == REFUSED_BEARER


# --- Signing key rotation ----------------------------------------------------------------------


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_a_rotation_replaces_both_keys_and_the_old_ones_stay_published_while_needed(
    alice, start, approved, token, api, svc, tenant, clock
):
    """Needs rotate_signing_key to make a new key of each algorithm and SigningKey.published:
    without the first, RS256 ID tokens would go on being signed with the key the operator
    retired; without the second, tokens signed just before would stop verifying at once."""
    rs = admin.add_client(svc, "acme", "acme-rs", "Acme RS", [WEB_REDIRECT])
    clients = {"ES256": web_client(tenant), "RS256": (rs["client_id"], rs["client_secret"])}
    clock.advance(-90)  # two sign-ins a minute (the push limit is 3), and no token from the future

    def sign_in(client: tuple[str, str]) -> dict:
        status, body = token(code_form(approved(alice, start(client_id=client[0]))), client=client)
        assert status == 200, body
        return body

    old = tenant["kids"]
    before = {alg: sign_in(client) for alg, client in clients.items()}
    clock.advance(61)

    rotated = admin.rotate_signing_key(svc, "acme")

    new = rotated["kids"]
    assert set(new) == {"RS256", "ES256"}
    assert not set(new.values()) & set(old.values())
    assert sorted(rotated["retired"]) == sorted(old.values())
    assert published_kids(api) == {*old.values(), *new.values()}
    after = {alg: sign_in(client) for alg, client in clients.items()}
    for alg, issued in after.items():
        assert kid_of(issued["id_token"]) == new[alg]
        assert kid_of(issued["access_token"]) == new["ES256"]
    for alg, (client_id, _) in clients.items():
        for issued in (before[alg], after[alg]):
            assert verify(api, issued["id_token"], client_id, algorithms=(alg,))["iss"] == ISSUER
            assert userinfo(api, f"Bearer {issued['access_token']}").status_code == 200

    clock.advance(KEY_OVERLAP_SECONDS - 1)
    svc.directory.forget("acme")
    assert published_kids(api) == {*old.values(), *new.values()}

    clock.advance(1)
    svc.directory.forget("acme")
    assert published_kids(api) == set(new.values())
    later = sign_in(clients["RS256"])
    assert kid_of(later["id_token"]) == new["RS256"]
    assert userinfo(api, f"Bearer {later['access_token']}").status_code == 200


# --- Cancelling a sign-in, and the page's calls from other sites ---------------------------------


def test_the_page_that_started_a_signin_can_cancel_it(alice, start, post, result):
    started = start()

    status, body = post(
        f"/t/acme/signin/{started['signin_id']}/cancel", {"secret": started["secret"]}
    )

    assert (status, body) == (200, {"status": "cancelled"})
    assert alice.pending() == (200, {"signins": [], "notices": []})
    status, body = alice.respond(started["signin_id"], "approve", started["number"])
    assert (status, body["error"]) == (409, "signin_closed")
    assert result(started)[1]["status"] == "denied"


def test_nobody_else_can_cancel_a_signin(alice, start, post, result):
    started = start()

    status, body = post(
        f"/t/acme/signin/{started['signin_id']}/cancel", {"secret": secrets.token_urlsafe(32)}
    )

    assert (status, body["error"]) == (403, "invalid_binding")
    assert [s["signin_id"] for s in alice.pending()[1]["signins"]] == [started["signin_id"]]
    assert alice.respond(started["signin_id"], "approve", started["number"])[0] == 200


def test_a_signin_started_from_another_site_is_refused_and_nothing_is_sent(
    alice, post, tenant, snapshot
):
    origins = [
        "https://evil.test",
        "http://signin.example.test",
        "https://signin.example.test:8443",
        "https://signin.example.test.evil.test",
        "null",
    ]
    before = snapshot()

    answers = {
        origin: status_and_error(
            post(
                "/t/acme/signin",
                {
                    "client_id": tenant["client_id"],
                    "username": "alice@acme.test",
                    "redirect_uri": WEB_REDIRECT,
                },
                headers={"Origin": origin},
            )
        )
        for origin in origins
    }

    assert answers == dict.fromkeys(origins, (403, "cross_site_request"))
    assert snapshot() == before
    assert alice.pending()[1]["signins"] == []


def test_a_signin_started_from_our_own_page_is_accepted(alice, post, tenant):
    status, body = post(
        "/t/acme/signin",
        {
            "client_id": tenant["client_id"],
            "username": "alice@acme.test",
            "redirect_uri": WEB_REDIRECT,
        },
        headers={"Origin": BASE_URL},
    )

    assert status == 200, body
