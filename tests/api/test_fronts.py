"""The same app behind each front a deployment may choose: REST API, HTTP API, function URL."""

from __future__ import annotations

import json

import pytest

import app as app_module
from chalicelib import service
from chalicelib.web import gateway_events


@pytest.fixture
def wired(svc, tenant, monkeypatch):
    monkeypatch.setattr(service, "get", lambda: svc)
    return tenant


def function_url_event(
    method: str, path: str, body: dict | None = None, query: str = "", cookies=None
):
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": query,
        "cookies": cookies or [],
        "headers": {"content-type": "application/json", "user-agent": "Probe/1.0"},
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": "r-1",
            "http": {
                "method": method,
                "path": path,
                "sourceIp": "203.0.113.9",
                "userAgent": "Probe/1.0",
            },
        },
    }


def http_api_v1_event(method: str, path: str, body: dict | None = None):
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method,
                           "identity": {"sourceIp": "198.51.100.7"}},
    }  # fmt: skip


def test_routes_match_literal_segments_before_parameters():
    patterns = [
        "/t/{tenant_id}/signin",
        "/t/{tenant_id}/signin/{signin_id}/result",
        "/static/{name}",
    ]
    assert gateway_events.match("/t/acme/signin", patterns) == (
        "/t/{tenant_id}/signin",
        {"tenant_id": "acme"},
    )
    assert gateway_events.match("/t/acme/signin/abc/result", patterns)[1] == {
        "tenant_id": "acme",
        "signin_id": "abc",
    }
    assert gateway_events.match("/t/acme/nothing", patterns) is None
    assert gateway_events.match("/t//signin", patterns) is None


@pytest.mark.parametrize("make_event", [function_url_event, http_api_v1_event])
def test_a_sign_in_starts_behind_the_cheaper_fronts(wired, alice, make_event):
    event = make_event(
        "POST",
        "/t/acme/signin",
        {
            "client_id": "acme-web",
            "username": "alice@acme.test",
            "redirect_uri": "https://app.acme.test/cb",
        },
    )
    response = app_module.handler(event, None)
    assert response["statusCode"] == 200, response
    body = json.loads(response["body"])
    assert 10 <= body["number"] <= 99 and body["signin_id"]


def test_discovery_behind_a_function_url(wired):
    response = app_module.handler(
        function_url_event("GET", "/t/acme/.well-known/openid-configuration"), None
    )
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["issuer"].endswith("/t/acme")


def test_the_page_gets_its_cookie_and_query_behind_a_function_url(wired):
    event = function_url_event(
        "GET",
        "/t/acme/authorize",
        query="response_type=code&client_id=acme-web&redirect_uri=https%3A%2F%2Fapp.acme.test%2Fcb&scope=openid",
        cookies=["psi_last_method=password"],
    )
    response = app_module.handler(event, None)
    assert response["statusCode"] == 200
    assert any(c.startswith("psi_csrf=") for c in response["cookies"])
    assert 'data-first-method="password"' in response["body"]


def test_an_unknown_path_is_a_clean_4xx_behind_a_function_url(wired):
    response = app_module.handler(function_url_event("GET", "/nowhere"), None)
    assert 400 <= response["statusCode"] < 500
