"""When a phone last answered a sign-in: what the security-info page shows as "last used".

The decided sign-in is kept as the answer's record (signin_history.py), so respond writes
nothing else: "last used" is read back from the person's approvals when the page is opened.
"""

from __future__ import annotations

from chalicelib.domain.account_sessions import Session
from chalicelib.domain.accounts import user_key
from chalicelib.usecases import security_info


def test_the_last_approval_is_the_phones_last_use_with_no_write_of_its_own(
    alice, start, approved, svc, clock
):
    """Needs the decided sign-in kept and read back: without it the page cannot say when a
    phone was last used, or respond pays a devices write per sign-in to say it."""
    who = user_key("alice@acme.test")
    assert svc.signins.last_answers("acme", who, {alice.device_id}) == {}

    calls: list[str] = []
    client = svc.devices._client
    client.meta.events.register(
        "provide-client-params.dynamodb.*",
        lambda params, model, **_: calls.append(f"{model.name} {params['TableName']}"),
    )
    first = svc.now()
    approved(alice, start())
    clock.advance(86400 * 30)
    approved(alice, start())
    assert not any(call.endswith("devices") and not call.startswith("GetItem") for call in calls)
    assert not any(call.endswith("audit") for call in calls)  # no event for an approval

    assert svc.signins.last_answers("acme", who, {alice.device_id}) == {
        alice.device_id: first + 86400 * 30
    }
    answered = svc.signins.answered("acme", who, first, first + 1)
    assert [a["device_id"] for a in answered] == [alice.device_id]


def test_a_decided_signin_is_kept_as_long_as_the_audit_log(alice, start, approved, svc):
    """Needs decide's TTL: without it an approval's record (and "last used") would go with the
    sign-in an hour after it ends."""
    started = start()
    approved(alice, started)
    table = svc.signins._table
    item = svc.signins._client.get_item(
        TableName=table,
        Key={"pk": {"S": f"acme#{started['signin_id'][:16]}"}, "sk": {"S": started["signin_id"]}},
    )["Item"]
    assert int(item["ttl"]["N"]) == svc.now() + 90 * 86400


def test_the_security_info_page_shows_it(alice, start, approved, svc):
    """Needs overview to read the approvals: without it, last_used_at stays empty."""
    approved(alice, start())
    sub = svc.accounts.get("acme", "alice@acme.test").account_id
    session = Session("alice@acme.test", sub, svc.now(), svc.now() + 600, "csrf")
    phones = security_info.overview(svc, "acme", session)["phones"]
    assert [p["last_used_at"] for p in phones] == [svc.now()]
