"""The only place boto3 clients are made: lazily, once per container.

Nothing is created at import time, so a cold start pays only for the clients a request
uses, and moto intercepts every call in tests.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _session() -> Any:
    import boto3  # deferred: importing boto3 is most of a cold start

    return boto3.session.Session()


@functools.cache
def client(service: str) -> Any:
    from botocore.config import Config

    # Bounded retries: "standard" mode retries throttling, 5xx and connection errors with
    # exponential backoff and full jitter (so retrying containers do not stampede), 3 attempts
    # in all (botocore's `max_attempts` would count retries, one more), within short timeouts
    # that keep the worst case under API Gateway's 30 s. What still fails reaches
    # web/responses.py as a 503 with Retry-After: the caller retries later, instead of Lambda
    # piling retries on AWS.
    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "total_max_attempts": 3},
    )
    return _session().client(service, config=config)


class lazy:
    """A client that is made on its first use, so a request pays only for what it touches."""

    def __init__(self, service: str):
        self._service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(client(self._service), name)


def reset() -> None:
    """Forget every client (tests switch between moto back ends)."""
    client.cache_clear()
    _session.cache_clear()
