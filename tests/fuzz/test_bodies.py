"""Bodies no schema describes, at every JSON endpoint (and the form ones where it applies):
random bytes, truncated and corrupted JSON, deep nesting, sizes either side of 16 KiB and
the wrong Content-Type. Each is refused with the right 4xx, and `judge` checks the rest:
never a 5xx or a traceback, errors in the Error schema, and nothing written.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib import contract
from tests.fuzz.conftest import (
    DEVICE,
    FORM,
    FORM_ENDPOINTS,
    FUZZ,
    JSON,
    JSON_ENDPOINTS,
    headers_of,
    judge,
    media_type_of,
    path_of,
    valid_body,
)

ALL_ENDPOINTS = JSON_ENDPOINTS + FORM_ENDPOINTS
LIMIT = 16 * 1024  # bytes: the largest body any endpoint reads (docs/device-api.md)


def error_of(text: str) -> str:
    return json.loads(text)["error"]


def send(world, endpoint: str, raw: bytes, content_type: str | None = None):
    headers = headers_of(world, endpoint)
    headers["Content-Type"] = content_type or media_type_of(endpoint)
    return judge(lambda: world.http.request("POST", path_of(world, endpoint), headers, raw))


def json_text(world, endpoint: str) -> bytes:
    return json.dumps(valid_body(world, endpoint)).encode()


def parses_as_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_random_bytes_are_refused(world, endpoint, data):
    raw = data.draw(st.binary(max_size=256), label="body")
    status, _, text = send(world, endpoint, raw)
    if not parses_as_object(raw):  # b"{}" is an object, just one that lacks every field
        assert (status, error_of(text)) == (400, "invalid_request"), text


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=15)
@given(data=st.data())
def test_truncated_json_is_refused(world, endpoint, data):
    whole = json_text(world, endpoint)
    cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
    status, _, text = send(world, endpoint, whole[:cut])
    assert (status, error_of(text)) == (400, "invalid_request"), text


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_corrupted_json_is_answered_cleanly(world, endpoint, data):
    """One byte replaced anywhere: often no longer JSON, sometimes another value or even
    another valid request (a different username); whatever the answer, it is clean (judge)."""
    whole = bytearray(json_text(world, endpoint))
    where = data.draw(st.integers(0, len(whole) - 1), label="where")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != whole[where]), label="byte")
    whole[where] = byte
    send(world, endpoint, bytes(whole))


NESTERS = st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")])


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=10)
@given(data=st.data())
def test_deeply_nested_json_is_refused(world, endpoint, data):
    """Nesting deep enough to exhaust a recursive parser, at the top or in a field: 400, or
    413 once the nesting alone is over 16 KiB."""
    depth = data.draw(st.integers(1, 6000) | st.sampled_from([999, 1000, 1001, 5000]), "depth")
    opener, closer = data.draw(NESTERS, label="nesting")
    nested = opener * depth + "0" + closer * depth
    field = data.draw(st.sampled_from([None, *valid_body(world, endpoint)]), label="field")
    text = nested if field is None else json.dumps({field: 0}).replace("0", nested, 1)
    raw = text.encode()
    status, _, answer = send(world, endpoint, raw)
    expected = {(413, "payload_too_large")} if len(raw) > LIMIT else {(400, "invalid_request")}
    if endpoint in DEVICE and len(raw) <= LIMIT:
        expected.add((401, "invalid_device_proof"))  # no proof, or one that is not a JWS
    assert (status, error_of(answer)) in expected, answer[:300]


def padded(world, endpoint: str, size: int) -> bytes:
    """A body of exactly `size` bytes: a real body plus a padding field (JSON or form)."""
    body = valid_body(world, endpoint)
    if endpoint in FORM_ENDPOINTS:
        from urllib.parse import urlencode

        start = (urlencode(body) + "&pad=").encode()
        return start + b"p" * (size - len(start))
    start = json.dumps({**body, "pad": ""}).encode()
    return start[:-2] + b"p" * (size - len(start)) + start[-2:]


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
@settings(FUZZ, max_examples=8)
@given(over=st.integers(1, 64) | st.integers(65, 4 * LIMIT))
def test_a_body_over_16_kib_is_refused_before_it_is_read(world, endpoint, over):
    status, _, text = send(world, endpoint, padded(world, endpoint, LIMIT + over))
    assert (status, error_of(text)) == (413, "payload_too_large"), text


def takes_extra_fields(endpoint: str) -> bool:
    """Whether the published schema lets this endpoint's body carry members it does not name."""
    route = {
        "result": "/t/{tenant_id}/signin/{signin_id}/result",
        "cancel": "/t/{tenant_id}/signin/{signin_id}/cancel",
        "code": "/t/{tenant_id}/signin/{signin_id}/code",
    }.get(endpoint, f"/t/{{tenant_id}}/{'device/' if endpoint in DEVICE else ''}{endpoint}")
    schema = contract.body_schema("POST", route, media_type_of(endpoint))
    assert schema is not None, route
    while "$ref" in schema:
        schema = contract.document()["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema.get("additionalProperties", True) is not False


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
@settings(FUZZ, max_examples=4)
@given(under=st.integers(0, 64))
def test_a_body_of_16_kib_or_less_is_read(world, endpoint, under):
    """The limit is exact: 16 KiB itself is read, and then refused for its padding where
    the schema names every member (or, where extra members are ignored, for its stale proof
    or made-up code)."""
    status, _, text = send(world, endpoint, padded(world, endpoint, LIMIT - under))
    assert status != 413, text
    if not takes_extra_fields(endpoint):
        assert (status, error_of(text)) == (400, "invalid_request"), text
    else:
        assert 400 <= status < 500, text


WRONG_FOR_JSON = [
    "text/plain",
    "text/html; charset=utf-8",
    "application/xml",
    FORM,
    "multipart/form-data; boundary=xyz",
    "application/octet-stream",
    "application/ld+json",
    "application/jsonx",
    "text/json",
]
WRONG_FOR_FORM = [JSON, "text/plain", "multipart/form-data; boundary=xyz", "application/xml"]


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS)
@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_a_wrong_content_type_is_refused(world, endpoint, data):
    wrong = WRONG_FOR_FORM if endpoint in FORM_ENDPOINTS else WRONG_FOR_JSON
    content_type = data.draw(st.sampled_from(wrong), label="content type")
    raw = data.draw(st.sampled_from([json_text(world, endpoint), b"", b"a=b"]), label="body")
    status, _, text = send(world, endpoint, raw, content_type)
    assert status == 415, text
    assert json.loads(text)["Code"] == "UnsupportedMediaType", text


def test_a_form_without_a_content_type_is_refused(world):
    # Chalice takes a missing Content-Type for JSON, which the token endpoint does not take.
    path = path_of(world, "token")
    response = judge(lambda: world.http.request("POST", path, {}, b"grant_type=x"))
    assert response[0] == 415, response


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(FUZZ, max_examples=10)
@given(data=st.data())
def test_json_that_is_not_an_object_is_refused(world, endpoint, data):
    scalar = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    value = data.draw(st.recursive(scalar, lambda c: st.lists(c, max_size=3), max_leaves=8))
    raw = json.dumps(value).encode()
    assume(len(raw) <= LIMIT)
    status, _, text = send(world, endpoint, raw)
    assert (status, error_of(text)) == (400, "invalid_request"), text
