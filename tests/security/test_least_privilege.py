"""The function may make only the AWS calls it makes: its role's DynamoDB grants
(infrastructure/modules/service/iam.tf `table_actions`) are exactly the calls recorded while the
API suite drove the app (tests/aws_calls.py). tests/e2e/test_terraform.py checks the role
Terraform applies, with its resources and its SNS and KMS statements, the same way.

Each test says which defence it needs: without it, the test fails.
"""

from __future__ import annotations

import re
from pathlib import Path

IAM_TF = Path(__file__).resolve().parents[2] / "infrastructure" / "modules" / "service" / "iam.tf"


def granted_table_actions() -> dict[str, set[str]]:
    """`table_actions` as iam.tf writes it: `<table> = ["GetItem", ...]` lines."""
    block = re.search(r"table_actions = \{(.*?)\n  \}", IAM_TF.read_text(), re.S)
    assert block, "iam.tf has no table_actions block"
    return {
        table: set(re.findall(r'"(\w+)"', actions))
        for table, actions in re.findall(r"^\s+(\w+)\s+= \[(.*?)\]", block[1], re.M)
    }


def test_the_functions_table_grants_are_exactly_the_calls_it_makes(api_suite_calls):
    """Needs iam.tf's table_actions cut to the recorded calls: it once let the function
    PutItem on accounts and activation_codes, which only the operator's CLI writes (a stolen
    function role could then have made accounts)."""
    called, failed = api_suite_calls
    made: dict[str, set[str]] = {}
    for call in called:
        if call.service == "dynamodb":
            made.setdefault(call.resource, set()).add(call.action)
    granted = granted_table_actions()

    assert not failed, f"API tests failed, so calls may be missing: {failed[:3]}"
    missing = {
        t: sorted(a - granted.get(t, set())) for t, a in made.items() if a - granted.get(t, set())
    }
    extra = {
        t: sorted(a - made.get(t, set())) for t, a in granted.items() if a - made.get(t, set())
    }
    assert (missing, extra) == ({}, {}), (
        f"called, not granted: {missing}; granted, never called: {extra}"
    )
    # Accounts are made by the operator's CLI only. (Activation codes are issued by the
    # security-info page too since issue 13: that PutItem is a recorded call.)
    assert "PutItem" not in granted["accounts"]
