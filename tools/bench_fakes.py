"""Tiny in-memory stand-ins for the boto3 clients the service uses, for `tools.bench`.

They keep items in DynamoDB's wire format and evaluate condition, filter, key-condition and
update expressions with a small parser (comparisons, BETWEEN, IN, AND/OR/NOT, parentheses,
attribute_exists, attribute_not_exists, attribute_type, begins_with, contains, size; SET with
+/-, if_not_exists and list_append, REMOVE, ADD, DELETE). Parsed expressions are cached, so a
CPU profile of a sign-in run against these fakes is, to within a few microseconds a call, the
service's own time. Anything they do not know raises NotImplementedError rather than guess.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

# Expressions


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<op><>|<=|>=|[=<>(),.\[\]+-])|(?P<word>[#:]?[A-Za-z_]\w*))"
)
_KEYWORDS = {"AND", "OR", "NOT", "BETWEEN", "IN"}


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise NotImplementedError(f"cannot parse expression {text!r} at {pos}")
        out.append(found.group(found.lastgroup))
        pos = found.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> str | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise NotImplementedError(f"expected {expected!r}, found {token!r}")
        self.i += 1
        return token

    def done(self) -> None:
        if self.peek() is not None:
            raise NotImplementedError(f"unexpected {self.peek()!r}")

    # operands

    def path(self) -> tuple:
        parts: list = [self.take()]
        while self.peek() in (".", "["):
            if self.take() == ".":
                parts.append(self.take())
            else:
                parts.append(int(self.take()))
                self.take("]")
        return ("path", tuple(parts))

    def operand(self) -> tuple:
        token = self.peek()
        if token is None:
            raise NotImplementedError("operand expected")
        if token.startswith(":"):
            self.take()
            return ("value", token)
        if self.peek(1) == "(":
            name = self.take()
            self.take("(")
            args = [self.value_expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.value_expr())
            self.take(")")
            return ("call", name, tuple(args))
        return self.path()

    def value_expr(self) -> tuple:
        left = self.operand()
        if self.peek() in ("+", "-"):
            op = self.take()
            return ("arith", op, left, self.operand())
        return left

    # conditions

    def condition(self) -> tuple:
        node = self.conjunction()
        while (self.peek() or "").upper() == "OR":
            self.take()
            node = ("or", node, self.conjunction())
        return node

    def conjunction(self) -> tuple:
        node = self.negation()
        while (self.peek() or "").upper() == "AND":
            self.take()
            node = ("and", node, self.negation())
        return node

    def negation(self) -> tuple:
        if (self.peek() or "").upper() == "NOT":
            self.take()
            return ("not", self.negation())
        if self.peek() == "(":
            self.take()
            node = self.condition()
            self.take(")")
            return node
        left = self.operand()
        token = (self.peek() or "").upper()
        if token in ("=", "<>", "<", "<=", ">", ">="):
            self.take()
            return ("cmp", token, left, self.operand())
        if token == "BETWEEN":
            self.take()
            low = self.operand()
            self.take("AND")
            return ("between", left, low, self.operand())
        if token == "IN":
            self.take()
            self.take("(")
            options = [self.operand()]
            while self.peek() == ",":
                self.take()
                options.append(self.operand())
            self.take(")")
            return ("in", left, tuple(options))
        if left[0] == "call":
            return ("test", left)
        raise NotImplementedError(f"condition expected at {token!r}")

    # updates

    def update(self) -> list[tuple]:
        actions = []
        while self.peek() is not None:
            clause = self.take().upper()
            while True:
                target = self.path()
                if clause == "SET":
                    self.take("=")
                    actions.append(("SET", target, self.value_expr()))
                elif clause == "REMOVE":
                    actions.append(("REMOVE", target, None))
                elif clause in ("ADD", "DELETE"):
                    actions.append((clause, target, self.operand()))
                else:
                    raise NotImplementedError(f"update clause {clause}")
                if self.peek() != ",":
                    break
                self.take()
        return actions


@functools.lru_cache(maxsize=512)
def _condition(text: str) -> tuple:
    parser = _Parser(text)
    node = parser.condition()
    parser.done()
    return node


@functools.lru_cache(maxsize=512)
def _update(text: str) -> tuple:
    return tuple(_Parser(text).update())


def _plain(attribute: dict | None) -> Any:
    """A scalar for comparisons: N as Decimal, S as str, B as bytes; None if missing."""
    if attribute is None:
        return None
    ((kind, value),) = attribute.items()
    return Decimal(value) if kind == "N" else value


def _number(value: Decimal) -> dict:
    text = format(value.normalize(), "f") if value != value.to_integral() else str(int(value))
    return {"N": text}


class _Eval:
    """One request's names and values, against one item."""

    def __init__(self, names: dict | None, values: dict | None):
        self.names = names or {}
        self.values = values or {}

    @classmethod
    def of(cls, request: dict) -> _Eval:
        return cls(
            request.get("ExpressionAttributeNames"), request.get("ExpressionAttributeValues")
        )

    def _name(self, part: Any) -> Any:
        if isinstance(part, str) and part.startswith("#"):
            return self.names[part]
        return part

    def resolve(self, item: dict | None, path: tuple) -> dict | None:
        node: Any = {"M": item or {}}
        for part in path:
            part = self._name(part)
            if isinstance(part, int):
                node = node.get("L") if isinstance(node, dict) else None
                node = node[part] if node is not None and part < len(node) else None
            else:
                node = node.get("M", {}).get(part) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    def value(self, item: dict | None, node: tuple) -> dict | None:
        kind = node[0]
        if kind == "value":
            return self.values[node[1]]
        if kind == "path":
            return self.resolve(item, node[1])
        if kind == "arith":
            a, b = _plain(self.value(item, node[2])), _plain(self.value(item, node[3]))
            return _number(a + b if node[1] == "+" else a - b)
        if kind == "call":
            name, args = node[1], node[2]
            if name == "if_not_exists":
                found = self.value(item, args[0])
                return found if found is not None else self.value(item, args[1])
            if name == "list_append":
                return {"L": self.value(item, args[0])["L"] + self.value(item, args[1])["L"]}
            if name == "size":
                ((t, v),) = self.value(item, args[0]).items()
                size = len(v.encode()) if t == "S" else len(v)
                return {"N": str(size)}
        raise NotImplementedError(f"operand {node}")

    def holds(self, node: tuple | None, item: dict | None) -> bool:
        if node is None:
            return True
        kind = node[0]
        if kind == "and":
            return self.holds(node[1], item) and self.holds(node[2], item)
        if kind == "or":
            return self.holds(node[1], item) or self.holds(node[2], item)
        if kind == "not":
            return not self.holds(node[1], item)
        if kind == "cmp":
            a, b = self.value(item, node[2]), self.value(item, node[3])
            if a is None or b is None:
                return node[1] == "<>" and (a is None) != (b is None)
            if set(a) != set(b):
                return node[1] == "<>"
            x, y = _plain(a), _plain(b)
            return {
                "=": x == y,
                "<>": x != y,
                "<": x < y,
                "<=": x <= y,
                ">": x > y,
                ">=": x >= y,
            }[node[1]]
        if kind == "between":
            v, low, high = (_plain(self.value(item, n)) for n in node[1:])
            return v is not None and low <= v <= high
        if kind == "in":
            v = self.value(item, node[1])
            return v is not None and any(v == self.value(item, o) for o in node[2])
        if kind == "test":
            name, args = node[1][1], node[1][2]
            if name == "attribute_exists":
                return self.value(item, args[0]) is not None
            if name == "attribute_not_exists":
                return self.value(item, args[0]) is None
            found = self.value(item, args[0])
            if found is None:
                return False
            if name == "attribute_type":
                return next(iter(found)) == _plain(self.value(item, args[1]))
            if name == "begins_with":
                return _plain(found).startswith(_plain(self.value(item, args[1])))
            if name == "contains":
                ((t, v),) = found.items()
                needle = self.value(item, args[1])
                if t == "L":
                    return needle in v
                return _plain(needle) in v
        raise NotImplementedError(f"condition {node}")

    def apply(self, actions: tuple, item: dict) -> set[str]:
        """Apply update actions in place; return the top-level attribute names touched."""
        touched = set()
        for action, (_, path), operand in actions:
            parts = [self._name(p) for p in path]
            touched.add(parts[0])
            parent: Any = item
            for part in parts[:-1]:  # copy on write: the stored item is never shared
                ((kind, inner),) = parent[part].items()
                inner = dict(inner) if kind == "M" else list(inner)
                parent[part] = {kind: inner}
                parent = inner
            leaf = parts[-1]
            if action == "SET":
                parent[leaf] = self.value(item, operand)
            elif action == "REMOVE":
                if isinstance(parent, list):
                    if leaf < len(parent):
                        del parent[leaf]
                else:
                    parent.pop(leaf, None)
            elif action == "ADD":
                add = self.value(item, operand)
                current = parent.get(leaf) if isinstance(parent, dict) else None
                if "N" in add:
                    base = _plain(current) if current else Decimal(0)
                    parent[leaf] = _number(base + _plain(add))
                else:
                    ((t, v),) = add.items()
                    merged = list(current[t]) if current else []
                    parent[leaf] = {t: merged + [x for x in v if x not in merged]}
            elif action == "DELETE":
                ((t, v),) = self.value(item, operand).items()
                current = parent.get(leaf)
                if current:
                    left = [x for x in current[t] if x not in v]
                    if left:
                        parent[leaf] = {t: left}
                    else:
                        parent.pop(leaf)
        return touched


# Clients


def _error(cls: type[ClientError], code: str, operation: str, **extra: Any) -> ClientError:
    return cls({"Error": {"Code": code, "Message": code}, **extra}, operation)


class _DynamoExceptions:
    ClientError = ClientError

    class TransactionCanceledException(ClientError):
        pass

    class ConditionalCheckFailedException(ClientError):
        pass


class _SnsExceptions:
    ClientError = ClientError

    class InvalidParameterException(ClientError):
        pass

    class EndpointDisabledException(ClientError):
        pass


class FakeDynamoDB:
    """Tables of partitions of items, keyed by (hash, range) strings, in wire format."""

    exceptions = _DynamoExceptions

    def __init__(self, key_schema: dict[str, tuple[str, str | None]]):
        self._schema = key_schema
        self._tables: dict[str, dict[str, dict[str, dict]]] = {name: {} for name in key_schema}

    def _slot(self, table: str, key: dict) -> tuple[dict[str, dict], str]:
        hash_name, range_name = self._schema[table]
        ((_, hash_value),) = key[hash_name].items()
        partition = self._tables[table].setdefault(str(hash_value), {})
        if not range_name:
            return partition, ""
        ((_, range_value),) = key[range_name].items()
        return partition, str(range_value)

    def _key_of(self, table: str, item: dict) -> dict:
        return {name: item[name] for name in self._schema[table] if name}

    def _check(self, request: dict, current: dict | None, operation: str) -> _Eval:
        ev = _Eval.of(request)
        condition = request.get("ConditionExpression")
        if condition and not ev.holds(_condition(condition), current):
            extra = {}
            if request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                extra["Item"] = current
            raise _error(ClientError, "ConditionalCheckFailedException", operation, **extra)
        return ev

    def get_item(self, **request: Any) -> dict:
        if "ProjectionExpression" in request or "AttributesToGet" in request:
            raise NotImplementedError("projections")
        partition, sort = self._slot(request["TableName"], request["Key"])
        item = partition.get(sort)
        return {} if item is None else {"Item": item}

    def put_item(self, **request: Any) -> dict:
        table = request["TableName"]
        partition, sort = self._slot(table, self._key_of(table, request["Item"]))
        current = partition.get(sort)
        self._check(request, current, "PutItem")
        partition[sort] = dict(request["Item"])
        if request.get("ReturnValues") == "ALL_OLD" and current:
            return {"Attributes": current}
        return {}

    def update_item(self, **request: Any) -> dict:
        partition, sort = self._slot(request["TableName"], request["Key"])
        current = partition.get(sort)
        ev = self._check(request, current, "UpdateItem")
        item = dict(current) if current is not None else dict(request["Key"])
        touched = ev.apply(_update(request["UpdateExpression"]), item)
        partition[sort] = item
        wanted = request.get("ReturnValues", "NONE")
        if wanted == "ALL_NEW":
            return {"Attributes": item}
        if wanted == "UPDATED_NEW":
            return {"Attributes": {k: item[k] for k in touched if k in item}}
        if wanted == "ALL_OLD" and current:
            return {"Attributes": current}
        if wanted == "UPDATED_OLD" and current:
            return {"Attributes": {k: current[k] for k in touched if k in current}}
        return {}

    def delete_item(self, **request: Any) -> dict:
        partition, sort = self._slot(request["TableName"], request["Key"])
        current = partition.get(sort)
        self._check(request, current, "DeleteItem")
        partition.pop(sort, None)
        if request.get("ReturnValues") == "ALL_OLD" and current:
            return {"Attributes": current}
        return {}

    def query(self, **request: Any) -> dict:
        if "IndexName" in request:
            raise NotImplementedError("queries on indexes")
        table = request["TableName"]
        ev = _Eval.of(request)
        key_condition = _condition(request["KeyConditionExpression"])
        hash_name = self._schema[table][0]
        hash_value = self._hash_value(key_condition, ev, hash_name)
        partition = self._tables[table].get(hash_value, {})
        items = [partition[k] for k in sorted(partition)]
        items = [i for i in items if ev.holds(key_condition, i)]
        if request.get("ScanIndexForward") is False:
            items.reverse()
        if "ExclusiveStartKey" in request:
            raise NotImplementedError("query pagination")
        if request.get("Limit"):
            items = items[: request["Limit"]]
        filtered = request.get("FilterExpression")
        kept = [i for i in items if not filtered or ev.holds(_condition(filtered), i)]
        return {"Items": kept, "Count": len(kept), "ScannedCount": len(items)}

    @staticmethod
    def _hash_value(node: tuple, ev: _Eval, hash_name: str) -> str:
        if node[0] == "and":
            for side in node[1:]:
                try:
                    return FakeDynamoDB._hash_value(side, ev, hash_name)
                except NotImplementedError:
                    continue
        if (
            node[0] == "cmp"
            and node[1] == "="
            and node[2][0] == "path"
            and ev._name(node[2][1][0]) == hash_name
        ):
            ((_, value),) = ev.value(None, node[3]).items()
            return str(value)
        raise NotImplementedError("key condition without `hash = :value`")

    def transact_write_items(self, *, TransactItems: list[dict], **_: Any) -> dict:
        reasons = []
        for entry in TransactItems:
            ((_, request),) = entry.items()
            key = request.get("Key") or self._key_of(request["TableName"], request["Item"])
            partition, sort = self._slot(request["TableName"], key)
            try:
                self._check(request, partition.get(sort), "TransactWriteItems")
                reasons.append({"Code": "None"})
            except ClientError:
                reasons.append({"Code": "ConditionalCheckFailed"})
        if any(r["Code"] != "None" for r in reasons):
            raise _error(
                _DynamoExceptions.TransactionCanceledException,
                "TransactionCanceledException",
                "TransactWriteItems",
                CancellationReasons=reasons,
            )
        for entry in TransactItems:
            ((kind, request),) = entry.items()
            unconditional = {k: v for k, v in request.items() if k != "ConditionExpression"}
            if kind == "Put":
                self.put_item(**unconditional)
            elif kind == "Update":
                self.update_item(**unconditional)
            elif kind == "Delete":
                self.delete_item(**unconditional)
            elif kind != "ConditionCheck":
                raise NotImplementedError(f"transaction item {kind}")
        return {}


class FakeSns:
    """Platform endpoints and the last message published to each."""

    exceptions = _SnsExceptions

    def __init__(self) -> None:
        self.endpoints: dict[str, dict] = {}
        self.last_message: dict[str, str] = {}

    def create_platform_endpoint(
        self, *, PlatformApplicationArn: str, Token: str, **_: Any
    ) -> dict:
        arn = f"{PlatformApplicationArn.replace(':app/', ':endpoint/')}/{secrets.token_hex(8)}"
        self.endpoints[arn] = {"Token": Token, "Enabled": "true"}
        return {"EndpointArn": arn}

    def set_endpoint_attributes(self, *, EndpointArn: str, Attributes: dict, **_: Any) -> dict:
        self.endpoints.setdefault(EndpointArn, {}).update(Attributes)
        return {}

    def get_endpoint_attributes(self, *, EndpointArn: str, **_: Any) -> dict:
        return {"Attributes": dict(self.endpoints.get(EndpointArn, {}))}

    def delete_endpoint(self, *, EndpointArn: str, **_: Any) -> dict:
        self.endpoints.pop(EndpointArn, None)
        return {}

    def publish(self, *, TargetArn: str, Message: str, **_: Any) -> dict:
        if self.endpoints.get(TargetArn, {}).get("Enabled") != "true":
            raise _error(_SnsExceptions.EndpointDisabledException, "EndpointDisabled", "Publish")
        self.last_message[TargetArn] = Message
        return {"MessageId": secrets.token_hex(16)}

    def choices(self, endpoint_arn: str) -> tuple[str, list[int]]:
        """What the phone sees in the push: (sign-in id, number choices)."""
        return push_choices(self.last_message[endpoint_arn])


def push_choices(message: str) -> tuple[str, list[int]]:
    """Read (sign-in id, number choices) out of an SNS JSON message to APNs or FCM."""
    envelope = json.loads(message)
    platform = next(k for k in envelope if k != "default")
    payload = json.loads(envelope[platform])
    data = payload["signin"] if "signin" in payload else payload["fcmV1Message"]["message"]["data"]
    return data["signin_id"], [int(n) for n in str(data.get("choices", "")).split(",") if n]


class FakeKms:
    """Data keys 'wrapped' by a fixed prefix: no cryptography, just the shapes."""

    def generate_data_key(self, **_: Any) -> dict:
        plaintext = secrets.token_bytes(32)
        return {"Plaintext": plaintext, "CiphertextBlob": b"fake-kms:" + plaintext}

    def decrypt(self, *, CiphertextBlob: bytes, **_: Any) -> dict:
        return {"Plaintext": CiphertextBlob.removeprefix(b"fake-kms:")}

    def encrypt(self, *, Plaintext: bytes, **_: Any) -> dict:
        return {"CiphertextBlob": b"fake-kms:" + Plaintext}
