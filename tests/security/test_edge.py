"""Behind CloudFront and AWS WAF: nobody goes around the edge, the origin secret rotates
without a refused request, and only public documents may be cached on the way.

REQUIRE_ORIGIN_SECRET (set by the Terraform module with `cloudfront = true`) refuses every
request without CloudFront's X-Origin-Secret, before any table is read: otherwise anyone could
call the API's own address and walk past WAF's rate limits per address.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from tests.fixtures.api import stored_state

NEW, OLD = "the-new-origin-secret", "the-old-origin-secret"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@pytest.fixture
def alice(enrolled):
    return enrolled(push_token="apns-token-alice")[0]


@pytest.fixture
def behind_the_edge(alice, svc, monkeypatch):
    """Alice enrolled, then CloudFront with WAF put in front, halfway through rotating the
    origin secret: the function accepts the new secret and the one CloudFront may still send."""
    settings = dataclasses.replace(
        svc.settings,
        cloudfront_secret_sha256=f"{digest(NEW)},{digest(OLD)}",
        require_origin_secret=True,
    )
    monkeypatch.setattr(svc, "settings", settings)


@pytest.fixture
def dynamodb_calls(svc):
    calls: list[str] = []
    svc.dynamodb.meta.events.register(
        "before-call.dynamodb", lambda model, **_: calls.append(model.name)
    )
    return calls


def start(api, tenant, headers: dict):
    body = {
        "client_id": tenant["client_id"],
        "username": "alice@acme.test",
        "redirect_uri": "https://app.acme.test/cb",
    }
    return api.http.post(
        "/t/acme/signin",
        headers={"Content-Type": "application/json", **headers},
        body=json.dumps(body),
    )


AROUND = {
    "no secret": {},
    "a wrong secret": {"X-Origin-Secret": "guessed"},
    "an empty secret": {"X-Origin-Secret": ""},
}


@pytest.mark.parametrize("headers", AROUND.values(), ids=AROUND.keys())
def test_a_request_around_the_edge_is_refused_before_any_table_is_read(
    behind_the_edge, api, tenant, dynamodb_calls, headers
):
    """Needs REQUIRE_ORIGIN_SECRET checked in the middleware, ahead of every route: without
    it, the sign-in starts (and pushes) for whoever calls the API directly."""
    before, dynamodb_calls[:] = stored_state(), []

    refused = [
        start(api, tenant, headers),
        api.http.get("/t/acme/authorize?client_id=acme-web", headers=headers),
        api.http.get("/t/acme/jwks.json", headers=headers),
        api.http.post("/t/acme/token", headers=headers, body="grant_type=x"),
    ]

    for response in refused:
        assert response.status_code == 403
        assert json.loads(response.body)["error"] == "not_through_the_edge"
    assert dynamodb_calls == []
    assert stored_state() == before


@pytest.mark.parametrize("secret", [NEW, OLD], ids=["the new secret", "the previous secret"])
def test_either_secret_passes_while_it_is_rotated(behind_the_edge, api, tenant, secret):
    """Needs every configured digest compared: with only one, the requests CloudFront's edges
    still send with the other would be refused while the rotation spreads."""
    response = start(api, tenant, {"X-Origin-Secret": secret})
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["method"] == "phone"


def test_without_the_requirement_a_direct_request_is_served(alice, api, tenant):
    """The module sets REQUIRE_ORIGIN_SECRET only with CloudFront in front: an HTTP API or a
    function URL on its own is the public address."""
    assert start(api, tenant, {}).status_code == 200


def test_only_discovery_and_the_jwks_may_be_cached(alice, api, tenant):
    """Needs the public documents' own Cache-Control: CloudFront caches what the origin
    allows, so everything else must stay no-store (it carries secrets or one-time state)."""
    discovery = api.http.get("/t/acme/.well-known/openid-configuration")
    jwks = api.http.get("/t/acme/jwks.json")
    assert discovery.headers["Cache-Control"] == "public, max-age=3600"
    assert jwks.headers["Cache-Control"] == "public, max-age=60"
    assert "Pragma" not in discovery.headers and "Pragma" not in jwks.headers
    started = start(api, tenant, {})
    unknown = api.http.get("/t/nobody/jwks.json")
    for response in (started, unknown):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Pragma"] == "no-cache"
