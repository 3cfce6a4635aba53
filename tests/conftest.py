"""The suites' shared fixtures live in tests/fixtures (loaded here, once, as plugins); this
file keeps only the run's hooks. No test imports from a conftest: helpers and constants come
from tests/fixtures."""

from __future__ import annotations

import os

pytest_plugins = ["tests.fixtures.core", "tests.fixtures.api", "tests.fixtures.isolation"]

_FROM_CORE = {"BASE_URL", "CHEAP_PASSWORDS", "PREFIX", "Clock"}


def __getattr__(name: str):
    """`from tests.conftest import PREFIX` still works for modules written before
    tests/fixtures (new code imports from tests.fixtures.core). Looked up on use, so that the
    plugin module is first imported by pytest, which rewrites its asserts."""
    if name in _FROM_CORE:
        from tests.fixtures import core

        return getattr(core, name)
    raise AttributeError(name)


def pytest_configure(config):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def pytest_sessionstart(session):
    """Record the AWS calls the function makes in the API suite, for the role's check in
    tests/e2e/test_terraform.py (tests/aws_calls.py)."""
    from tests import aws_calls
    from tests.fixtures.core import PREFIX, _botocore_session

    plugin = aws_calls.ApiSuite(session.config.rootpath, _botocore_session, PREFIX)
    session.config.pluginmanager.register(plugin, aws_calls.PLUGIN_NAME)
