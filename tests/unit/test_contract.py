"""The edge's schema checker (chalicelib/contract.py), and the published description
(openapi.json) against the app's real routes."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest
from chalice.test import Client

import app as app_module
from chalicelib import contract
from chalicelib.errors import InvalidRequest

ROOT = Path(__file__).resolve().parents[2]

# --- The checker -------------------------------------------------------------------------------


def refused(value, schema: dict, where: str = "body") -> str:
    with pytest.raises(InvalidRequest) as caught:
        contract.check(value, schema, where)
    return caught.value.description


def accepted(value, schema: dict) -> None:
    contract.check(value, schema, "body")


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("string", ["", "x"], [1, 1.5, None, True, [], {}]),
        ("integer", [0, -3, 10**20], ["1", 1.5, None, [], {}]),
        ("boolean", [True, False], [0, 1, "true", None]),
        ("object", [{}, {"a": 1}], [[], "x", None, 1]),
        ("array", [[], [1]], [{}, "x", None]),
        ("null", [None], [0, "", False, [], {}]),
    ],
)
def test_each_type_takes_its_own_values_only(kind, good, bad):
    for value in good:
        accepted(value, {"type": kind})
    for value in bad:
        assert refused(value, {"type": kind}) == f"body must be of type {kind}"


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_an_integer(value):
    # In Python bool is a subclass of int; in JSON Schema true is not a number.
    assert refused(value, {"type": "integer"}) == "body must be of type integer"
    assert refused(value, {"type": ["integer", "null"]}) == "body must be of type integer or null"


def test_a_list_of_types_takes_any_of_them():
    schema = {"type": ["integer", "null"]}
    for value in (None, 0, 42):
        accepted(value, schema)
    for value in ("42", 1.0, [], {}):
        refused(value, schema)


def test_a_required_member_may_not_be_null_or_missing():
    schema = {"type": "object", "required": ["secret"], "properties": {"secret": {}}}
    accepted({"secret": "s"}, schema)
    assert refused({"secret": None}, schema) == "secret is required"
    assert refused({}, schema) == "secret is required"


def test_an_optional_member_may_be_left_out():
    schema = {"type": "object", "properties": {"nonce": {"type": "string", "minLength": 1}}}
    accepted({}, schema)
    assert refused({"nonce": ""}, schema) == "nonce must be at least 1 characters"
    assert refused({"nonce": 5}, schema) == "nonce must be of type string"


def test_null_stands_for_absent_only_for_a_member_the_schema_names():
    """Needs the null shortcut limited to described members: {"": null} or {"x": null}
    against additionalProperties false is a stranger's member, refused like any other (the
    fuzz suite found {"": null} accepted by /passkey/options)."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"nonce": {"type": "string"}},
    }
    accepted({"nonce": None}, schema)
    assert refused({"": None}, schema) == "'' is not a field of this request"
    assert refused({"x": None}, schema) == "'x' is not a field of this request"


def test_enum_takes_only_its_values():
    schema = {"type": "string", "enum": ["S256"]}
    accepted("S256", schema)
    for value in ("plain", "s256", "S256 ", ""):
        assert refused(value, schema, "code_challenge_method") == (
            "code_challenge_method must be one of S256"
        )


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a" * 64, True),
        ("a" * 65, False),
        ("😀" * 64, True),  # one code point each, though two UTF-16 units and four bytes
        ("😀" * 65, False),
        ("e\u0301" * 32, True),  # a combining sequence counts each code point
        ("e\u0301" * 32 + "e", False),
        ("é" * 64, True),
        ("", False),
    ],
)
def test_lengths_count_code_points(value, ok):
    schema = {"type": "string", "minLength": 1, "maxLength": 64}
    if ok:
        accepted(value, schema)
    else:
        assert refused(value, schema, "secret") == "secret must be 1-64 characters"


def test_a_minimum_length_alone_says_so():
    assert refused("ab", {"type": "string", "minLength": 3}) == "body must be at least 3 characters"


@pytest.mark.parametrize(
    "value",
    [
        "e383094d4770a80f6b080592-3gOMZq7txTCy3OUDyVLPw",
        "000000000000000000000000AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_a_pattern_accepts_what_it_describes(value):
    schema = contract.document()["components"]["parameters"]["SigninId"]["schema"]
    accepted(value, schema)


@pytest.mark.parametrize(
    "value",
    [
        "e383094d4770a80f6b080592-3gOMZq7txTCy3OUDyVLPw\n",  # Python's $ would allow this
        "e383094d4770a80f6b080592-3gOMZq7txTCy3OUDyVLPw\r\n",
        "\ne383094d4770a80f6b080592-3gOMZq7txTCy3OUDyVLPw",
        " e383094d4770a80f6b080592-3gOMZq7txTCy3OUDyVLPw",
        "e383094d4770a80f6b080592-3gOMZq7txTCy3OUDyVLPwX",
        "E383094D4770A80F6B080592-3gOMZq7txTCy3OUDyVLPw",
        "",
    ],
)
def test_a_pattern_is_anchored_at_both_ends(value):
    schema = contract.document()["components"]["parameters"]["SigninId"]["schema"]
    assert refused(value, schema, "signin_id") == "signin_id is malformed"


def test_a_pattern_without_anchors_matches_anywhere():
    accepted("xxabcxx", {"type": "string", "pattern": "abc"})
    refused("xxabxx", {"type": "string", "pattern": "abc"})


def test_members_not_described_are_refused_when_additional_properties_is_false():
    schema = {"type": "object", "properties": {"a": {}}, "additionalProperties": False}
    accepted({"a": 1}, schema)
    assert refused({"a": 1, "b": 2}, schema) == "'b' is not a field of this request"
    # The name is quoted and cut short: a long or odd name cannot fill the message.
    message = refused({"x" * 1000: 1}, schema)
    assert message == f"{'x' * 64!r} is not a field of this request"


def test_members_not_described_are_checked_against_an_additional_properties_schema():
    schema = {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}}
    accepted({"resource": "x", "audience": "y"}, schema)
    assert refused({"resource": ["x"]}, schema) == "resource must be of type string"


def test_members_not_described_are_allowed_by_default():
    accepted({"anything": [1, {"x": None}]}, {"type": "object", "properties": {}})


def test_nested_members_are_checked_by_name():
    schema = {
        "type": "object",
        "properties": {"inner": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    }
    accepted({"inner": {"n": 1}}, schema)
    assert refused({"inner": {"n": "1"}}, schema) == "n must be of type integer"


def test_a_ref_is_resolved_against_the_published_components():
    schema = {"$ref": "#/components/schemas/BindingSecret"}
    accepted({"secret": "s" * 43}, schema)
    assert refused({}, schema) == "secret is required"
    assert refused({"secret": "s" * 65}, schema) == "secret must be 1-64 characters"
    assert refused({"secret": "s", "x": 1}, schema) == "'x' is not a field of this request"


def test_refs_are_followed_through_properties():
    schema = {"$ref": "#/components/schemas/StartSignIn"}  # properties are refs themselves
    start = {"client_id": "c", "username": "u", "redirect_uri": "https://app.test/cb"}
    accepted(start, schema)
    assert refused({**start, "username": "u" * 1025}, schema) == (
        "username must be 1-1024 characters"
    )
    assert refused({**start, "code_challenge_method": "plain"}, schema)


@pytest.mark.parametrize(
    "value",
    ["\ud800", "a\udfffb", "\udc00\ud800", "ok\ud83d"],  # lone or reversed surrogates
)
def test_text_with_a_lone_surrogate_is_refused(value):
    assert refused(value, {"type": "string"}, "username") == "username is not valid Unicode"
    assert refused(value, {"type": "string", "maxLength": 1024}, "username") == (
        "username is not valid Unicode"
    )


def test_a_surrogate_pair_from_json_is_one_valid_character():
    value = json.loads('"\\ud83d\\ude00"')  # JSON's escape of 😀: a pair, not two surrogates
    accepted(value, {"type": "string", "maxLength": 1})


def test_a_lone_surrogate_in_a_described_member_is_refused_wherever_it_is():
    schema = {"$ref": "#/components/schemas/StartSignIn"}
    body = {"client_id": "c", "username": "alice\ud800@acme.test", "redirect_uri": "https://a/cb"}
    assert refused(body, schema) == "username is not valid Unicode"
    extra = {"type": "object", "properties": {}, "additionalProperties": {"type": "string"}}
    assert refused({"resource": "\udc00"}, extra) == "resource is not valid Unicode"


def test_a_route_without_a_body_has_no_body_schema():
    assert contract.body_schema("GET", "/t/{tenant_id}/jwks.json", "application/json") is None


def test_a_body_is_checked_against_the_schema_named():
    contract.check_named({"grant_type": "authorization_code"}, "TokenForm")
    with pytest.raises(InvalidRequest, match="grant_type is required"):
        contract.check_named({"code": "x"}, "TokenForm")
    # Only the media type the route takes has a schema (Chalice refuses others with 415).
    assert contract.body_schema("POST", "/t/{tenant_id}/token", "application/json") is None


# --- The description against the app ----------------------------------------------------------

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def app_routes() -> dict[tuple[str, str], object]:
    """(path, method) -> view of every route app.py defines. A blueprint that the local demo
    adds at run time (the phone simulator, tools/simulator) is not part of the deployed API."""
    found = {}
    for path, methods in app_module.app.routes.items():
        for method, entry in methods.items():
            view = inspect.unwrap(entry.view_function)
            if view.__module__ == app_module.__name__:
                found[(path, method.lower())] = entry
    return found


def described() -> dict[tuple[str, str], dict]:
    return {
        (path, method): operation
        for path, item in contract.document()["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_route_is_described():
    missing = sorted(set(app_routes()) - set(described()))
    assert not missing, f"routes openapi.json does not describe: {missing}"


def test_everything_described_is_a_route():
    extra = sorted(set(described()) - set(app_routes()))
    assert not extra, f"openapi.json describes what app.py does not serve: {extra}"


def reads(view) -> str | None:
    """The media type of the body a view reads (from its source), or None."""
    source = inspect.getsource(inspect.unwrap(view))
    if "form_body(" in source or "form_params(" in source:
        return "application/x-www-form-urlencoded"
    if 'body("' in source or "json_body(" in source:
        return "application/json"
    return None


USERINFO = "/t/{tenant_id}/userinfo"
# UserInfo's one view reads a form body on POST only, and there it is optional (the token may
# be in the header instead: RFC 6750 2.1 and 2.2).
NO_BODY = {(USERINFO, "get")}
OPTIONAL_BODY = {(USERINFO, "post")}


@pytest.mark.parametrize(("path", "method"), sorted(app_routes()))
def test_a_route_that_reads_a_body_describes_it_with_a_schema(path, method):
    entry = app_routes()[(path, method)]
    operation = described()[(path, method)]
    media_type = None if (path, method) in NO_BODY else reads(entry.view_function)
    if media_type is None:
        assert "requestBody" not in operation, "a body is described that the view never reads"
        return
    body = operation["requestBody"]
    assert list(body["content"]) == [media_type]
    if (path, method) in OPTIONAL_BODY:
        assert body.get("required") is False
        # JSON's type only for a request without a body (Chalice reads no Content-Type as
        # JSON); bodies.optional_form_body refuses a body in it.
        assert entry.content_types == [media_type, "application/json"]
    else:
        assert body.get("required") is True
        assert entry.content_types == [media_type]  # what Chalice lets through, and no more
    schema = contract.body_schema(method, path, media_type)
    assert schema and contract._resolve(schema).get("type") == "object"


def test_every_post_takes_a_body_and_only_userinfos_may_leave_it_out():
    posts = {path for path, method in app_routes() if method == "post"}
    bodies = {
        path: operation["requestBody"].get("required")
        for (path, method), operation in described().items()
        if method == "post" and "requestBody" in operation
    }
    assert set(bodies) == posts
    assert {path for path, required in bodies.items() if not required} == {USERINFO}


def test_every_ref_in_the_description_resolves():
    document = contract.document()
    text = json.dumps(document)
    refs = {part.split('"')[0] for part in text.split('"$ref": "')[1:]}
    assert refs
    for ref in refs:
        node = document
        for key in ref.removeprefix("#/").split("/"):
            node = node[key]
        assert isinstance(node, dict), ref


def test_every_named_schema_compiles():
    """The checker compiles each named schema once, with those it refers to; a schema that
    refers to itself would recurse here instead of on a request."""
    for name in contract.document()["components"]["schemas"]:
        assert callable(contract._named(name))


def test_the_app_serves_exactly_the_published_file():
    with Client(app_module.app) as client:
        response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == json.loads(contract.DOCUMENT.read_text())


def test_enum_compares_types_too():
    """True == 1 in Python; a description that says 1 does not take true."""
    assert refused(True, {"enum": [1]}) == "body must be one of 1"
    assert refused(1, {"enum": [True]}) == "body must be one of True"
    accepted(1, {"enum": [1]})


def test_a_number_is_an_integer_or_a_float_but_not_a_boolean():
    accepted(1, {"type": "number"})
    accepted(1.5, {"type": "number"})
    assert refused(True, {"type": "number"}) == "body must be of type number"


def test_only_a_trailing_dollar_is_an_end_anchor():
    accepted("a$b", {"type": "string", "pattern": "^a[$]b$"})
    assert refused("a$b\n", {"type": "string", "pattern": "^a[$]b$"}) == "body is malformed"


def test_array_items_are_checked_each():
    accepted(["a", "b"], {"type": "array", "items": {"type": "string"}})
    assert refused(["a", 2], {"type": "array", "items": {"type": "string"}}) == (
        "body[1] must be of type string"
    )


def test_a_query_is_checked_against_the_parameters_its_route_describes():
    route = "/t/{tenant_id}/authorize"
    contract.check_query("get", route, {"prompt": "login", "unknown": "x" * 5000})
    with pytest.raises(InvalidRequest, match="prompt"):
        contract.check_query("get", route, {"prompt": "x" * 65})


def test_each_route_checks_its_body_against_the_schema_the_document_names():
    """Needs each route to name its schema (app.py `body("...")`, `form_body(..., "...")`): a
    route checked against another route's schema would let through what its document refuses
    (or the reverse), and the fuzz suite, which trusts the document, would not notice."""
    tree = ast.parse((ROOT / "app.py").read_text())
    named = {}
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        routes = [
            (d.args[0], d.keywords)
            for d in fn.decorator_list
            if isinstance(d, ast.Call) and getattr(d.func, "attr", None) == "route"
        ]
        schemas = {
            node.value
            for node in ast.walk(fn)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in contract.document()["components"]["schemas"]
        }
        for path, keywords in routes:
            source = ast.unparse(path)  # T + "/signin", or "/openapi.json"
            route = source.replace("T + ", "/t/{tenant_id}").replace("'", "").replace('"', "")
            methods = next(ast.literal_eval(k.value) for k in keywords if k.arg == "methods")
            for method in methods:
                named[(method.lower(), route)] = schemas
    expected = {}
    for route, operations in contract.document()["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                expected[(method, route)] = {content["schema"]["$ref"].rsplit("/", 1)[-1]}
    assert expected
    assert {key: named.get(key) for key in expected} == expected
