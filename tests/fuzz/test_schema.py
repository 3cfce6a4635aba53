"""Schemathesis against the app's own published description: every operation in
/openapi.json, with schema-valid (positive) and schema-violating (negative) requests.

The description is fetched from the app (GET /openapi.json, through `requests` and the
Chalice test client), so what is fuzzed is what is served. The world's ids are put where a
random one would only ever meet a 404: the tenant is 'acme', a sign-in id is a live one, and
the page's calls carry its Origin and CSRF double submit. In positive examples Hypothesis
also decides, field by field, whether to use a real value (Alice's username and password,
the sign-in's secret, the client's id and secret, a valid device proof, an access token), so
the requests reach the use cases and their writes, not only the first lookup.
"""

from __future__ import annotations

import pytest
import schemathesis
from chalice.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import app as app_module
from chalicelib.usecases.ciba import GRANT_TYPE as CIBA_GRANT
from chalicelib.web.hosted_page import CSRF_COOKIE
from tests.fuzz.conftest import (
    ALICE,
    ALICE_PASSWORD,
    BASE,
    CSRF,
    FUZZ,
    ORIGIN,
    World,
    judge,
    session_for,
)

EXAMPLES = 30
# Any 4xx is a refusal; the defaults do not list 413 (too large).
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": ["4XX"]}}}
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def published_schema():
    """The description as the app serves it (serving it needs no AWS)."""
    with Client(app_module.app) as client:
        response = session_for(client.http).get(f"{BASE}/openapi.json")
    assert response.status_code == 200, response.text
    return schemathesis.openapi.from_dict(response.json(), config=CONFIG)


SCHEMA = published_schema()
# An operation the description gets wrong (an Err) fails here, at collection.
OPERATIONS = sorted(
    (result.ok().method.upper(), result.ok().path) for result in SCHEMA.get_all_operations()
)


def takes_input(operation) -> bool:
    return any((operation.body, operation.query, operation.path_parameters, operation.headers))


# (method, path, mode): negative examples only where there is an input to get wrong.
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode.is_positive or takes_input(SCHEMA[path][method])
]


def held_signin(world: World, path: str) -> dict:
    return world.second_step if path.endswith("/code") else world.pending


def fixed_parts(world: World, operation, mode: GenerationMode) -> dict:
    """Path parameters and headers that put a request in the world. A negative request for
    an operation whose only input is the tenant id has to be about the tenant id."""
    path = operation.path
    params: dict = {}
    if "{tenant_id}" in path:
        params["tenant_id"] = "acme"
    if mode.is_negative and not (operation.body or operation.query or "{signin_id}" in path):
        params = {}
    if "{signin_id}" in path:
        params["signin_id"] = held_signin(world, path)["signin_id"]
    headers = {}
    if "/device/" not in path and (
        "/signin" in path
        or path.endswith(("/password", "/recovery", "/passkey", "/passkey/options"))
    ):
        headers = {"Origin": ORIGIN, "X-CSRF-Token": CSRF}  # hosted_page.from_page's checks
    return {"path_parameters": params, "headers": headers}


def make_real(world: World, case, data) -> None:
    """Put real values in a generated positive request, each where Hypothesis says so."""

    def real(label: str) -> bool:
        return data.draw(st.booleans(), label=label)

    path, body = case.path, case.body
    if path.endswith("/userinfo") and real("access token"):
        case.headers["Authorization"] = f"Bearer {world.access_token}"
    if path.endswith("/authorize"):
        if real("client in query"):
            case.query.update(client_id=world.client[0], redirect_uri=world.redirect_uri)
        if real("openid code flow"):
            case.query.update(response_type="code", scope="openid")
    if not isinstance(body, dict):
        return
    if path.endswith("/userinfo") and real("access token in the form"):  # RFC 6750 2.2
        body["access_token"] = world.access_token
    if "secret" in body and real("binding secret"):
        body["secret"] = held_signin(world, path)["secret"]
    if "username" in body and real("username"):
        body["username"] = ALICE
    if "password" in body and real("password"):
        body["password"] = ALICE_PASSWORD
    if "client_id" in body and not path.endswith(("/token", "/bc-authorize")) and real("client"):
        body["client_id"] = world.client[0]
    if "proof" in body and path.endswith(("/signins", "/push-token", "/locale")) and real("proof"):
        body["proof"] = world.proof(path.rsplit("/", 1)[1])
    if path.endswith(("/token", "/bc-authorize")) and real("client credentials"):
        body.update(client_id=world.client[0], client_secret=world.client[1])
        case.headers.pop("Authorization", None)
    if path.endswith("/token") and real("grant type"):
        body["grant_type"] = data.draw(st.sampled_from(["authorization_code", CIBA_GRANT]))
    if path.endswith("/bc-authorize") and real("ciba request"):
        body.update(scope="openid", login_hint=ALICE)


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode}" for m, p, mode in CASES]
)
def test_every_operation_answers_cleanly(world, method, path, mode):
    """No 5xx, no traceback, the documented statuses, content types and bodies (errors in
    the Error schema), negative data refused, and no partial write (see `judge`)."""
    operation = SCHEMA[path][method]

    @settings(FUZZ, max_examples=EXAMPLES)
    @given(data=st.data())
    def run(data):
        fixed = fixed_parts(world, operation, mode)
        case = data.draw(operation.as_strategy(generation_mode=mode, **fixed), label="case")
        if mode.is_positive:
            make_real(world, case, data)
        sent = {}

        def send():
            sent["response"] = case.call(
                base_url=BASE, session=world.session, cookies={CSRF_COOKIE: CSRF}
            )
            return sent["response"]

        judge(send)
        case.validate_response(sent["response"], checks=CHECKS)

    run()
