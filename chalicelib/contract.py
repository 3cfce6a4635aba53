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
from collections.abc import Callable
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
    _named(name)(body, "body")


def check_query(method: str, route: str, params: dict[str, str]) -> None:
    """Refuse query parameters their route's description does not allow (those it names)."""
    for name, checker in _query(method.lower(), route):
        if name in params:
            checker(params[name], name)


def check(value: Any, schema: dict, where: str) -> None:
    _compile(schema)(value, where)


# Each schema is compiled once into a function of (value, where) that walks the value only:
# the schema's keywords are read once per container, not on every request. What it refuses,
# and the message, are the walk's as the keywords describe them above.
Check = Callable[[Any, str], None]


@functools.cache
def _named(name: str) -> Check:
    """A named schema, compiled with the ones it refers to (no schema refers to itself:
    tests/unit/test_contract.py compiles them all)."""
    return _compile(schema(name))


@functools.cache
def _query(method: str, route: str) -> tuple[tuple[str, Check], ...]:
    operation = document()["paths"].get(route, {}).get(method, {})
    return tuple(
        (parameter["name"], _compile(parameter["schema"]))
        for parameter in operation.get("parameters", ())
        if parameter.get("in") == "query"
    )


def _compile(schema: dict) -> Check:
    if "$ref" in schema:
        return _named(schema["$ref"].rpartition("/")[2])
    kinds = schema.get("type")
    allowed = None if kinds is None else tuple(t for k in _names(kinds) for t in _TYPES[k])
    bool_ok = allowed is not None and bool in allowed
    wrong_type = "" if kinds is None else f" must be of type {' or '.join(_names(kinds))}"
    enum = schema.get("enum")
    not_listed = "" if enum is None else f" must be one of {', '.join(map(str, enum))}"
    string, members = _string(schema), _object(schema)
    items = _compile(schema["items"]) if "items" in schema else None

    def check(value: Any, where: str) -> None:
        if allowed is not None and (
            not isinstance(value, allowed) or (value.__class__ is bool and not bool_ok)
        ):
            raise InvalidRequest(where + wrong_type)
        if enum is not None and not any(
            value == listed and type(value) is type(listed) for listed in enum
        ):
            raise InvalidRequest(where + not_listed)
        if isinstance(value, str):
            string(value, where)
        elif isinstance(value, dict):
            members(value, where)
        elif isinstance(value, list):
            each = items or _ANYTHING
            for n, item in enumerate(value):
                each(item, f"{where}[{n}]")

    return check


def _string(schema: dict) -> Check:
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    limit = f"{low}-{high}" if high is not None else f"at least {low}"
    search = _pattern(schema["pattern"]).search if "pattern" in schema else None

    def check_string(value: str, where: str) -> None:
        if not value.isascii():
            _unicode(value, where)
        if len(value) < low or (high is not None and len(value) > high):
            raise InvalidRequest(f"{where} must be {limit} characters")
        if search is not None and not search(value):
            raise InvalidRequest(f"{where} is malformed")

    return check_string


def _unicode(value: str, where: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidRequest(f"{where} is not valid Unicode") from err


def _object(schema: dict) -> Check:
    properties = {name: _compile(s) for name, s in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))
    optional = frozenset(properties) - frozenset(required)
    extra = schema.get("additionalProperties", True)
    strangers = _compile(extra) if isinstance(extra, dict) else None

    def check_object(value: dict, where: str) -> None:
        for name in required:
            if value.get(name) is None:
                raise InvalidRequest(f"{name} is required")
        for name, item in value.items():
            if not name.isascii():
                _unicode(name, "a member's name")
            if item is None and name in optional:
                continue  # null is the same as absent for an optional member (not a stranger)
            described = properties.get(name)
            if described is not None:
                described(item, name)
            elif extra is False:
                raise InvalidRequest(f"{name[:64]!r} is not a field of this request")
            else:  # described or not, what it holds is still checked for valid Unicode
                (strangers or _ANYTHING)(item, name[:64])

    return check_object


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        _, _, name = schema["$ref"].rpartition("/")
        schema = document()["components"]["schemas"][name]
    return schema


def _names(kinds: str | list[str]) -> list[str]:
    return [kinds] if isinstance(kinds, str) else list(kinds)


_ANYTHING = _compile({})  # what an undescribed member or item may hold: any valid Unicode
