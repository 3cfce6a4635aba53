"""UserInfo as OpenID Connect Core 5.3 and RFC 6750 have it: GET or POST, the access token in
the Authorization header or (POST only) in a form body, never both; refusals with the Bearer
challenge RFC 6750 3 describes, and the JSON error body the rest of the service sends.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

FORM = "application/x-www-form-urlencoded"
INVALID_TOKEN = (
    'Bearer error="invalid_token", error_description="The access token is invalid or expired."'
)


@pytest.fixture
def signed_in(alice, completed) -> dict:
    return completed(alice, scope="openid profile")


def ask(api, method: str, headers: dict | None = None, body: str | None = None):
    """(status, WWW-Authenticate, JSON body) of a userinfo request."""
    send = api.http.get if method == "GET" else api.http.post
    kwargs = {"headers": headers or {}}
    if body is not None:
        kwargs["body"] = body
    response = send("/t/acme/userinfo", **kwargs)
    return response.status_code, response.headers.get("WWW-Authenticate"), response.json_body


def test_every_way_of_sending_the_token_gets_the_same_claims(api, signed_in):
    """OIDC Core 5.3.1: GET and POST; RFC 6750 2.1 (header) and 2.2 (form body), with or
    without a Content-Type for a POST without a body (Chalice reads none as JSON: without the
    route's content types, a form POST would get the gateway's 415)."""
    token = signed_in["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    ways = {
        "GET, header": ("GET", bearer, None),
        "POST, header, no body": ("POST", bearer, None),
        "POST, header, empty form": ("POST", {**bearer, "Content-Type": FORM}, ""),
        "POST, form": ("POST", {"Content-Type": FORM}, urlencode({"access_token": token})),
        "POST, form with charset": (
            "POST",
            {"Content-Type": f"{FORM}; charset=UTF-8"},
            urlencode({"access_token": token, "other": "ignored"}),
        ),
    }

    answers = {way: ask(api, *sent) for way, sent in ways.items()}

    expected = {"sub": answers["GET, header"][2]["sub"], "preferred_username": "alice@acme.test"}
    assert answers == dict.fromkeys(ways, (200, None, expected))


def test_a_token_sent_twice_is_an_invalid_request(api, signed_in):
    """RFC 6750 2 and 3.1: one method per request; header and body at once is invalid_request
    (400), its challenge saying so."""
    token = signed_in["access_token"]

    status, challenge, body = ask(
        api,
        "POST",
        {"Authorization": f"Bearer {token}", "Content-Type": FORM},
        urlencode({"access_token": token}),
    )

    assert (status, body["error"]) == (400, "invalid_request")
    assert challenge == (
        'Bearer error="invalid_request", error_description="Send the access token once: in '
        'the header or in the form."'
    )
    assert body["error_description"] == "Send the access token once: in the header or in the form."


def test_bad_bodies_are_invalid_requests(api, signed_in):
    token = signed_in["access_token"]
    bodies = {
        "json body": ({"Content-Type": "application/json"}, f'{{"access_token": "{token}"}}'),
        "token twice in the form": (
            {"Content-Type": FORM},
            urlencode([("access_token", token), ("access_token", token)]),
        ),
        "not UTF-8": ({"Content-Type": FORM}, "access_token=%FF"),
    }

    answers = {case: ask(api, "POST", *sent)[::2] for case, sent in bodies.items()}

    assert {case: (status, body["error"]) for case, (status, body) in answers.items()} == (
        dict.fromkeys(bodies, (400, "invalid_request"))
    )


def test_a_bad_or_expired_token_gets_the_invalid_token_challenge(api, signed_in, clock):
    """RFC 6750 3.1: 401, `Bearer error="invalid_token"` with a description, whichever way the
    token came."""
    token = signed_in["access_token"]
    head, payload, signature = token.split(".")
    altered = f"Bearer {head}.{payload}.{signature[:-4]}AAAA"
    cases = {
        "garbage in the header": ("GET", {"Authorization": "Bearer not.a.token"}, None),
        "garbage in the form": ("POST", {"Content-Type": FORM}, "access_token=not.a.token"),
        "empty in the form": ("POST", {"Content-Type": FORM}, "access_token="),
        "empty bearer": ("GET", {"Authorization": "Bearer "}, None),
        "an ID token": ("GET", {"Authorization": f"Bearer {signed_in['id_token']}"}, None),
        "altered signature": ("GET", {"Authorization": altered}, None),
    }  # fmt: skip

    answers = {case: ask(api, *sent)[:2] for case, sent in cases.items()}
    clock.advance(300)
    answers["expired, header"] = ask(api, "GET", {"Authorization": f"Bearer {token}"})[:2]
    answers["expired, form"] = ask(
        api, "POST", {"Content-Type": FORM}, urlencode({"access_token": token})
    )[:2]

    assert answers == dict.fromkeys([*cases, "expired, header", "expired, form"],
                                    (401, INVALID_TOKEN))  # fmt: skip


def test_a_request_without_a_token_gets_the_bare_challenge(api, signed_in):
    """RFC 6750 3.1: no error code when the request carried no token, or used another
    authentication scheme; a token in a GET's body or the query is not looked at (2.2, 2.3)."""
    token = signed_in["access_token"]
    cases = {
        "GET, nothing": ("GET", {}, None),
        "POST, nothing": ("POST", {}, None),
        "POST, empty form": ("POST", {"Content-Type": FORM}, ""),
        "basic scheme": ("GET", {"Authorization": f"Basic {token}"}, None),
        "GET with a form body": ("GET", {"Content-Type": FORM}, f"access_token={token}"),
    }

    answers = {case: ask(api, *sent) for case, sent in cases.items()}
    in_query = api.http.get(f"/t/acme/userinfo?access_token={token}")

    assert {case: answer[:2] for case, answer in answers.items()} == dict.fromkeys(
        cases, (401, "Bearer")
    )
    assert {answer[2]["error"] for answer in answers.values()} == {"invalid_token"}
    assert (in_query.status_code, in_query.headers["WWW-Authenticate"]) == (401, "Bearer")
