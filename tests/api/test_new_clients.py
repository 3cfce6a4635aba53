"""A client added with the admin CLI (or Terraform) works at once on a container that cached
its tenant before the client existed, and client ids that name no client cannot make every
request read the tenants table.

The admin CLI runs in its own process, with its own services: the API's container is never
told about the change, as in a deployment (`operator` below).
"""

from __future__ import annotations

import base64
import json
import secrets
from urllib.parse import urlencode

import pytest

from chalicelib import service
from chalicelib.usecases.tenant_directory import CLIENT_RELOAD_SECONDS
from tests.conftest import PREFIX
from tools.admin import flows as admin

CACHED_FOR = 30  # seconds the container has had acme: well within tenant_cache_seconds (60)
NEW_REDIRECT = "https://new.acme.test/cb"
FLOOD = 50


@pytest.fixture
def operator(aws, settings, clock) -> service.Services:
    """The admin CLI's process: the same tables, its own tenant cache."""
    return service.build(
        settings, aws.client("dynamodb"), aws.client("sns"), aws.client("kms"), clock, secrets
    )


@pytest.fixture
def warm(api, tenant, clock):
    """The API's container has cached acme, CACHED_FOR seconds ago."""
    assert api.http.get("/t/acme/.well-known/openid-configuration").status_code == 200
    clock.advance(CACHED_FOR)


@pytest.fixture
def aws_calls(svc) -> list[str]:
    """Every DynamoDB and KMS call the API's container makes from now on, as
    '<service>.<Operation> <table>'."""
    calls: list[str] = []

    def record(event_name: str, params: dict, **_):
        _, service_name, operation = event_name.split(".")
        table = params.get("TableName", "").removeprefix(PREFIX)
        calls.append(f"{service_name}.{operation} {table}".strip())

    for client in (svc.dynamodb, svc.vault._client):
        client.meta.events.register("provide-client-params.*.*", record)
    return calls


def basic(client_id: str, secret: str) -> dict:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {
        "Authorization": f"Basic {pair}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def authorize_page(api, client: dict):
    query = urlencode({
        "client_id": client["client_id"], "redirect_uri": NEW_REDIRECT, "response_type": "code",
        "scope": "openid", "state": "st-1", "nonce": "n-1",
    })  # fmt: skip
    response = api.http.get(f"/t/acme/authorize?{query}")
    return response.status_code, response.body.decode()


def start_signin(api, client: dict):
    body = {"client_id": client["client_id"], "username": "nobody@acme.test",
            "redirect_uri": NEW_REDIRECT}  # fmt: skip
    response = api.http.post(
        "/t/acme/signin", headers={"Content-Type": "application/json"}, body=json.dumps(body)
    )
    return response.status_code, response.json_body


def backchannel(api, client: dict):
    form = urlencode({"scope": "openid", "login_hint": "nobody@acme.test"})
    response = api.http.post(
        "/t/acme/bc-authorize", headers=basic(client["client_id"], client["client_secret"]),
        body=form,
    )  # fmt: skip
    return response.status_code, response.json_body


@pytest.mark.parametrize(
    "use",
    [authorize_page, start_signin, backchannel],
    ids=["authorize page", "sign-in start", "client authentication (CIBA, token)"],
)
def test_a_client_added_after_the_tenant_was_cached_works_at_once(api, warm, operator, use):
    """Needs `ActiveTenant.client` to read the tenant again for a client it lacks: without it,
    the container refuses the new client as unknown until acme's cache entry ages out (up to
    tenant_cache_seconds, 60 s), and an integrator's first try fails."""
    added = admin.add_client(operator, "acme", "acme-new", "Acme New", [NEW_REDIRECT])

    status, body = use(api, added)

    assert status == 200, body


def test_a_flood_of_unknown_client_ids_reads_the_tenant_at_most_once_per_bound(
    api, warm, tenant, clock, aws_calls
):
    """Needs CLIENT_RELOAD_SECONDS: without the bound, every made-up client id would cost a
    query of the tenants table, so anyone could turn the token endpoint into a read of it per
    request. With it, a flood costs one query per tenant every CLIENT_RELOAD_SECONDS, and no KMS
    call (the data key stays unwrapped)."""

    def flood() -> set[int]:
        return {
            api.http.post(
                "/t/acme/token", headers=basic(f"made-up-{secrets.token_hex(4)}", "x"),
                body=urlencode({"grant_type": "authorization_code", "code": "c"}),
            ).status_code
            for _ in range(FLOOD)
        }  # fmt: skip

    assert flood() == {401}
    assert aws_calls == ["dynamodb.Query tenants"]

    clock.advance(CLIENT_RELOAD_SECONDS - 0.5)
    assert flood() == {401}
    assert aws_calls == ["dynamodb.Query tenants"]

    clock.advance(0.5)
    assert flood() == {401}
    assert aws_calls == ["dynamodb.Query tenants"] * 2

    clock.advance(CLIENT_RELOAD_SECONDS)
    aws_calls.clear()
    assert backchannel(api, tenant)[0] == 200
    assert "dynamodb.Query tenants" not in aws_calls  # a known client never reads the tenant
