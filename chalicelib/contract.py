"""The published API contract (openapi.json), and the edge check of request bodies against it.

One document says what every endpoint accepts: it is served at /openapi.json, the fuzz suite
generates its requests from it, and every body (and /authorize's query) is checked against it
here before any use case runs. The checker knows the part of JSON Schema the document uses
(type, required, properties, additionalProperties, items, enum, pattern, minLength, maxLength,
$ref): a dependency such as jsonschema would cost the Lambda more bytes than this file. A
string that is not valid Unicode (a lone surrogate, which JSON can carry) is refused anywhere
in a body, in members the description names or not, and in members' names.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from chalicelib.errors import InvalidRequest

DOCUMENT = Path(__file__).with_name("openapi.json")
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "null": (type(None),),
}


@functools.cache
def document() -> dict:
    return json.loads(DOCUMENT.read_text())


@functools.cache
def _pattern(source: str) -> re.Pattern:
    return re.compile(source[:-1] + r"\Z" if source.endswith("$") else source)


def schema(name: str) -> dict:
    """A named schema (components/schemas): where the domain reads the limits the document
    publishes, so that no limit is written twice."""
    return document()["components"]["schemas"][name]


def parameter_pattern(name: str) -> re.Pattern:
    """The pattern of a named path parameter (components/parameters), compiled as `check` does."""
    return _pattern(document()["components"]["parameters"][name]["schema"]["pattern"])


def pattern(name: str) -> re.Pattern:
    return _pattern(schema(name)["pattern"])


def body_schema(method: str, route: str, media_type: str) -> dict | None:
    """The schema of a route's request body, from the document (None: it takes no body)."""
    operation = document()["paths"].get(route, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    return content.get(media_type, {}).get("schema")


def check_named(body: Any, name: str) -> None:
    """Refuse a body the named schema (components/schemas) does not allow: a 400 naming the
    field. Each route names its schema (app.py); tests/unit/test_contract.py checks that the
    name is the one the route's requestBody refers to."""
    check(body, {"$ref": f"#/components/schemas/{name}"}, "body")


def check_query(method: str, route: str, params: dict[str, str]) -> None:
    """Refuse query parameters their route's description does not allow (those it names)."""
    operation = document()["paths"].get(route, {}).get(method.lower(), {})
    for parameter in operation.get("parameters", ()):
        if parameter.get("in") == "query" and parameter["name"] in params:
            check(params[parameter["name"]], parameter["schema"], parameter["name"])


def check(value: Any, schema: dict, where: str) -> None:
    schema = _resolve(schema)
    kinds = schema.get("type")
    if kinds is not None:
        allowed = tuple(t for kind in _names(kinds) for t in _TYPES[kind])
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            raise InvalidRequest(f"{where} must be of type {' or '.join(_names(kinds))}")
    if "enum" in schema and not any(
        value == allowed and type(value) is type(allowed) for allowed in schema["enum"]
    ):
        raise InvalidRequest(f"{where} must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, str):
        _check_string(value, schema, where)
    elif isinstance(value, dict):
        _check_object(value, schema, where)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            check(item, schema.get("items", {}), f"{where}[{n}]")


def _check_string(value: str, schema: dict, where: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidRequest(f"{where} is not valid Unicode") from err
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if len(value) < low or (high is not None and len(value) > high):
        limit = f"{low}-{high}" if high is not None else f"at least {low}"
        raise InvalidRequest(f"{where} must be {limit} characters")
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        raise InvalidRequest(f"{where} is malformed")


def _check_object(value: dict, schema: dict, where: str) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if value.get(name) is None:
            raise InvalidRequest(f"{name} is required")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        _check_string(name, {}, "a member's name")
        if item is None and name in properties and name not in schema.get("required", ()):
            continue  # null is the same as absent for an optional member (not for a stranger)
        if name in properties:
            check(item, properties[name], name)
        elif extra is False:
            raise InvalidRequest(f"{name[:64]!r} is not a field of this request")
        else:  # described or not, what it holds is still checked for valid Unicode
            check(item, extra if isinstance(extra, dict) else {}, name[:64])


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        _, _, name = schema["$ref"].rpartition("/")
        schema = document()["components"]["schemas"][name]
    return schema


def _names(kinds: str | list[str]) -> list[str]:
    return [kinds] if isinstance(kinds, str) else list(kinds)
