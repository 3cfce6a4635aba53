"""The HTTP fixtures of tests/api (the app through its test client, phones, sign-ins)."""

from tests.api.conftest import (  # noqa: F401 - fixtures
    api,
    endpoints,
    enrolled,
    make_phone,
    post,
    published,
    result,
    snapshot,
    start,
    token,
)
