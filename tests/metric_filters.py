"""CloudWatch metric filters, read from the Terraform module's metrics.json, applied to the
service's log lines as Lambda's JSON log format writes them.

Lambda's Python runtime formats records with awslambdaric's JsonFormatter (the runtime
interface client: a test dependency, not the Lambda's): the record's extra fields become
top-level keys beside timestamp, level, message and requestId. The patterns are evaluated
here by a small reading of CloudWatch's JSON filter syntax (`{ $.a.b >= 500 || $.c = "x" }`:
property selectors, =, !=, <, <=, >, >=, && binding tighter than ||, parentheses), which is
all metrics.json uses; moto stores metric filters but never applies them.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from awslambdaric.lambda_runtime_log_utils import JsonFormatter

ROOT = Path(__file__).resolve().parents[1]
METRICS = json.loads((ROOT / "infrastructure/modules/service/metrics.json").read_text())["metrics"]
_TOKEN = re.compile(
    r"\s*(\(|\)|&&|\|\||!=|<=|>=|=|<|>"  # grouping, logic, comparison
    r'|\$(?:\.[A-Za-z_]\w*)+|"[^"]*"|-?\d+(?:\.\d+)?)'  # selector, string, number
)


def as_lambda_writes(record: logging.LogRecord) -> dict:
    """The JSON object CloudWatch receives for a record under AWS_LAMBDA_LOG_FORMAT=JSON."""
    return json.loads(JsonFormatter().format(record))


def counted(event: dict) -> dict[str, float]:
    """The metrics (by name) a log event adds to, with what it adds."""
    return {
        name: _value(metric["value"], event)
        for name, metric in METRICS.items()
        if matches(metric["pattern"], event)
    }


def matches(pattern: str, event: dict) -> bool:
    text = pattern.strip()
    assert text.startswith("{") and text.endswith("}"), pattern
    tokens = _tokens(text[1:-1])
    result, rest = _or(tokens, event)
    assert not rest, f"unparsed {rest} in {pattern}"
    return result


def _tokens(text: str) -> list[str]:
    found, at = [], 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        assert match, f"cannot read {text[at:]!r}"
        found.append(match.group(1))
        at = match.end()
    return found


def _or(tokens: list[str], event: dict) -> tuple[bool, list[str]]:
    result, tokens = _and(tokens, event)
    while tokens[:1] == ["||"]:
        right, tokens = _and(tokens[1:], event)
        result = result or right
    return result, tokens


def _and(tokens: list[str], event: dict) -> tuple[bool, list[str]]:
    result, tokens = _term(tokens, event)
    while tokens[:1] == ["&&"]:
        right, tokens = _term(tokens[1:], event)
        result = result and right
    return result, tokens


def _term(tokens: list[str], event: dict) -> tuple[bool, list[str]]:
    if tokens[0] == "(":
        result, rest = _or(tokens[1:], event)
        assert rest[:1] == [")"], tokens
        return result, rest[1:]
    selector, op, literal, *rest = tokens
    found = _select(selector, event)
    if literal.startswith('"'):
        text = literal[1:-1]
        assert op in ("=", "!="), f"strings compare with = or != only: {tokens}"
        return (isinstance(found, str) and found == text) == (op == "="), rest
    if isinstance(found, bool) or not isinstance(found, int | float):
        return False, rest  # a numeric comparison never matches a missing or text field
    number = float(literal)
    compare = {
        "=": found == number, "!=": found != number, "<": found < number,
        "<=": found <= number, ">": found > number, ">=": found >= number,
    }  # fmt: skip
    return compare[op], rest


def _select(selector: str, event: dict):
    found: object = event
    for key in selector.split(".")[1:]:
        if not isinstance(found, dict) or key not in found:
            return None
        found = found[key]
    return found


def _value(value: str, event: dict) -> float:
    return float(_select(value, event)) if value.startswith("$.") else float(value)
