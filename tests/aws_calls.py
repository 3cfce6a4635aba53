"""The AWS calls the function makes, as IAM authorises them, recorded while the API suite runs.

tests/e2e/test_terraform.py checks the function's role (infrastructure/modules/service/iam.tf)
against them: every recorded call granted, every grant recorded. A call counts only while
Chalice is handling an event further up the stack: fixtures run admin flows through the same
clients, and those are the operator's CLI, with the operator's credentials.

tests/conftest.py registers `ApiSuite` as a plugin. During each tests/api test it registers a
botocore hook on the run's shared botocore session (every client the test makes from it
carries the hook) and unregisters it afterwards. With PHONESIGNIN_AWS_CALLS=<file> the run
writes its calls there as JSON: tests/e2e runs the API suite so in a subprocess when its own
session did not run all of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import pytest

API_SUITE = Path(__file__).resolve().parent / "api"
OUTPUT_ENV = "PHONESIGNIN_AWS_CALLS"
PLUGIN_NAME = "aws-calls"
HOOK = "before-parameter-build"  # once per API call (retries are not calls), any service
HOOK_ID = "tests.aws_calls"

# IAM authorises each item of a transaction as its single-item action.
TRANSACT_ITEMS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


@dataclass(frozen=True, order=True)
class Call:
    """One IAM action on one resource: for DynamoDB the table's logical name (`accounts`), for
    SNS `application` (a platform application) or `endpoint`, for KMS `key`."""

    service: str
    resource: str
    action: str

    def __str__(self) -> str:
        return f"{self.service}:{self.action} on {self.resource}"


def iam_calls(service: str, operation: str, params: dict, prefix: str) -> Iterator[Call]:
    """What IAM authorises for one API call."""
    if service == "dynamodb":
        for table, action in _dynamodb_actions(operation, params):
            yield Call(service, table.removeprefix(prefix), action)
    elif service == "sns":
        yield Call(service, _sns_resource(params), operation)
    elif service == "kms":
        yield Call(service, "key", operation)
    else:
        yield Call(service, "*", operation)


def _dynamodb_actions(operation: str, params: dict) -> Iterator[tuple[str, str]]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                yield request["TableName"], TRANSACT_ITEMS[kind]
    elif operation in ("BatchGetItem", "BatchWriteItem"):
        for table in params.get("RequestItems", {}):
            yield table, operation
    else:
        yield params.get("TableName", "*"), operation


def _sns_resource(params: dict) -> str:
    if "PlatformApplicationArn" in params:
        return "application"
    if ":endpoint/" in params.get("EndpointArn", params.get("TargetArn", "")):
        return "endpoint"
    return "*"


def _inside_the_app() -> bool:
    """Whether Chalice is handling an event further up this thread's stack: the test client
    and app.handler (behind any front) both end in the app's __call__ (chalice_app.App's,
    or Chalice's for another app)."""
    from chalice import Chalice

    from chalicelib.web.chalice_app import App

    app_calls = (App.__call__.__code__, Chalice.__call__.__code__)
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code in app_calls:
            return True
        frame = frame.f_back
    return False


class Recorder:
    """A botocore hook: the function's calls, each with where it was first seen (`label`).
    Records nothing while `label` is empty."""

    def __init__(self, prefix: str, label: str = ""):
        self.prefix = prefix
        self.label = label
        self.calls: dict[Call, str] = {}

    def __call__(self, model: Any, params: dict, **_: Any) -> None:
        if not self.label or not _inside_the_app():
            return
        service = model.service_model.service_name
        for call in iam_calls(service, model.name, params, self.prefix):
            self.calls.setdefault(call, self.label)


@contextlib.contextmanager
def recording(clients: Iterable[Any], prefix: str, label: str) -> Iterator[dict[Call, str]]:
    """The function's calls through these boto3 clients while the block runs."""
    clients = list(clients)
    recorder = Recorder(prefix, label)
    for client in clients:
        client.meta.events.register(HOOK, recorder, unique_id=HOOK_ID)
    try:
        yield recorder.calls
    finally:
        for client in clients:
            client.meta.events.unregister(HOOK, unique_id=HOOK_ID)


class ApiSuite:
    """A pytest plugin: records the function's calls in every tests/api test, and knows
    whether this session ran the whole API suite."""

    def __init__(self, rootpath: Path, botocore_session: Callable[[], Any], prefix: str):
        self._suite = API_SUITE.relative_to(rootpath).as_posix() + "/"
        self._botocore_session = botocore_session
        self.recorder = Recorder(prefix)
        self._modules: set[str] = set()
        self._pending: set[str] = set()
        self._deselected = False
        self.failed: list[str] = []

    def _in_suite(self, nodeid: str) -> bool:
        return nodeid.startswith(self._suite)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if self._in_suite(report.nodeid) and "::" not in report.nodeid and not report.failed:
            self._modules.add(report.nodeid)

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self._pending = {item.nodeid for item in items if self._in_suite(item.nodeid)}

    def pytest_deselected(self, items: Iterable[pytest.Item]) -> None:
        if any(self._in_suite(item.nodeid) for item in items):
            self._deselected = True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        if not self._in_suite(item.nodeid):
            return (yield)
        session = self._botocore_session()
        session.register(HOOK, self.recorder, unique_id=HOOK_ID)
        self.recorder.label = item.nodeid
        try:
            return (yield)
        finally:
            self.recorder.label = ""
            session.unregister(HOOK, unique_id=HOOK_ID)
            self._pending.discard(item.nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and self._in_suite(report.nodeid):
            self.failed.append(report.nodeid)

    def ran_whole_suite(self) -> bool:
        """Every test module of tests/api collected, none of its tests deselected, all run."""
        modules = {f"{self._suite}{path.name}" for path in API_SUITE.glob("test_*.py")}
        return modules <= self._modules and not self._deselected and not self._pending

    def pytest_sessionfinish(self) -> None:
        if output := os.environ.get(OUTPUT_ENV):
            write(Path(output), self.recorder.calls, self.failed, self.ran_whole_suite())


def write(path: Path, calls: dict[Call, str], failed: list[str], whole_suite: bool) -> None:
    rows = sorted([*astuple(call), label] for call, label in calls.items())
    path.write_text(json.dumps({"calls": rows, "failed": failed, "whole_suite": whole_suite}))


def read(path: Path) -> tuple[dict[Call, str], list[str], bool]:
    """(calls, failed tests, whether the whole suite ran), as `write` left them."""
    data = json.loads(path.read_text())
    calls = {Call(*row[:3]): row[3] for row in data["calls"]}
    return calls, data["failed"], data["whole_suite"]


def of_the_api_suite(config: pytest.Config, scratch: Path) -> tuple[dict[Call, str], list[str]]:
    """The AWS calls the function made in the API suite and the suite's failed tests: this
    session's, when it ran all of tests/api first (a plain `pytest` does: tests/api comes
    before tests/e2e and tests/security), or else those of a run of tests/api in a subprocess
    that writes them to a file in `scratch`. That fallback costs the API suite's own time:
    measured 64 to 83 s (877 tests, 2 CPUs, shared). The hook itself adds under half a second
    to the suite (7,665 calls)."""
    suite = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if suite.ran_whole_suite():
        return suite.recorder.calls, suite.failed
    output = scratch / "calls.json"
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/api", "-p", "no:cacheprovider"],
        cwd=config.rootpath, env={**env, OUTPUT_ENV: str(output)},
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    report = run.stdout[-3000:] + run.stderr[-2000:]
    assert output.exists(), f"the API suite did not run:\n{report}"
    calls, failed, whole_suite = read(output)
    assert whole_suite, f"the subprocess did not run all of tests/api:\n{report}"
    return calls, failed
