"""The HTTP fixtures of tests/api (the app through its test client, phones, sign-ins)."""

from tests.api.conftest import (  # noqa: F401 - fixtures
    alice,
    api,
    approved,
    ask,
    backchannel,
    endpoints,
    enrolled,
    globex,
    make_phone,
    post,
    published,
    result,
    same_phone,
    snapshot,
    sns,
    start,
    token,
)
