"""When a phone last answered a sign-in: what the security-info page shows as "last used"."""

from __future__ import annotations


def test_an_answer_records_when_the_phone_was_last_used_at_most_once_an_hour(
    alice, start, approved, svc, clock, aws
):
    """Needs respond's last_used_at write, and its hourly step: without the write the page
    cannot say when a phone was last used; without the step every sign-in pays one more write."""
    assert svc.devices.get("acme", alice.device_id).last_used_at is None
    first = svc.now()
    approved(alice, start())
    assert svc.devices.get("acme", alice.device_id).last_used_at == first

    calls: list[str] = []
    client = svc.devices._client
    client.meta.events.register(
        "provide-client-params.dynamodb.UpdateItem",
        lambda params, **_: calls.append(params["TableName"]),
    )
    clock.advance(600)
    approved(alice, start())
    assert svc.devices.get("acme", alice.device_id).last_used_at == first
    assert not any(name.endswith("devices") for name in calls)

    clock.advance(3600)
    approved(alice, start())
    assert svc.devices.get("acme", alice.device_id).last_used_at == first + 4200
