"""A container's memory does not grow with what strangers ask for: a flood of made-up static
file names or tenant ids leaves every per-container cache at its bound, and the real tenants
and files are still served (from memory, for a tenant already loaded)."""

from __future__ import annotations

import secrets

import pytest

from chalicelib.domain.tenants import Policy
from chalicelib.usecases import tenant_directory
from chalicelib.web import page
from tools.admin import flows as admin

STATIC_NAMES = 10_000
TENANT_IDS = 2_500  # well over MAX_UNKNOWN


def function_caches(module) -> dict[str, int]:
    """Entries held by each functools cache of the module."""
    return {
        name: value.cache_info().currsize
        for name, value in vars(module).items()
        if hasattr(value, "cache_info")
    }


def random_static_name() -> str:
    return secrets.token_urlsafe(8) + secrets.choice(["", ".js", ".css", ".html", ".map"])


def random_tenant_id() -> str:
    return "t" + secrets.token_hex(6)


def queries(svc) -> list[dict]:
    """The parameters of every DynamoDB Query the service sends from now on."""
    calls: list[dict] = []
    svc.dynamodb.meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: calls.append(params)
    )
    return calls


def test_a_flood_of_made_up_static_names_is_not_remembered(api):
    """Defence: `web/page.py` `static_file` serves from the files under web/static, read
    once; a name asked for is never a cache key."""
    assert api.http.get("/static/signin.js").status_code == 200
    shipped = sum(1 for path in page.HERE.rglob("*") if path.is_file())

    statuses = {
        api.http.get(f"/static/{random_static_name()}").status_code for _ in range(STATIC_NAMES)
    }

    assert statuses == {404}
    assert max(function_caches(page).values()) <= shipped, function_caches(page)
    assert api.http.get("/static/signin.css").status_code == 200


def test_a_flood_of_made_up_tenant_ids_is_bounded_and_a_real_tenant_stays_cached(api, svc, tenant):
    """Defence: `tenant_directory.py` `TenantDirectory`: unknown tenant ids are remembered in an
    LRU of MAX_UNKNOWN, apart from the tenants that exist."""
    discovery = "/t/{}/.well-known/openid-configuration"
    assert api.http.get(discovery.format("acme")).status_code == 200

    statuses = {
        api.http.get(discovery.format(random_tenant_id())).status_code for _ in range(TENANT_IDS)
    }

    assert statuses == {404}
    assert len(svc.directory) <= 1 + tenant_directory.MAX_UNKNOWN <= 1 + 1_000
    asked = queries(svc)
    assert api.http.get(discovery.format("acme")).status_code == 200
    assert asked == []  # answered from memory: the flood evicted no real tenant


def test_an_unknown_tenant_asked_again_is_answered_from_memory(api, svc):
    """Defence: `tenant_directory.py` `TenantDirectory` remembers a miss (within its LRU), so asking
    for the same made-up tenant over and over costs one query."""
    discovery = "/t/nobody-here/.well-known/openid-configuration"
    asked = queries(svc)

    statuses = {api.http.get(discovery).status_code for _ in range(20)}

    assert statuses == {404}
    assert len(asked) == 1


def test_tenants_that_exist_are_bounded_too(api, svc, monkeypatch):
    """Defence: `tenant_directory.py` `TenantDirectory` keeps at most MAX_KNOWN loaded tenants, the
    least recently used dropped first; a dropped tenant is loaded again when asked."""
    monkeypatch.setattr(tenant_directory, "MAX_KNOWN", 2)
    for name in ("one", "two", "three"):
        admin.create_tenant(svc, f"tenant-{name}", name.title(), Policy())
    discovery = "/t/tenant-{}/.well-known/openid-configuration"

    statuses = [api.http.get(discovery.format(n)).status_code for n in ("one", "two", "three")]

    assert statuses == [200, 200, 200]
    assert len(svc.directory) == 2
    asked = queries(svc)
    assert api.http.get(discovery.format("three")).status_code == 200
    assert asked == []
    assert api.http.get(discovery.format("one")).status_code == 200
    assert len(asked) == 1


@pytest.mark.parametrize(
    "name", ["..%2Ferror.html", "signin.html", "__init__.py", "%2E%2E%2Fsignin.html"]
)
def test_only_the_shipped_static_files_are_served(api, name):
    """Defence: `web/page.py` `static_file` knows only web/static's own files: nothing
    above it, nor a template, nor the code."""
    assert api.http.get(f"/static/{name}").status_code == 404
