"""SignInStore: one answer per sign-in, codes spent once, pending lists per user."""

from __future__ import annotations

import pytest

from chalicelib.adapters.dynamodb.base import SCHEMA
from chalicelib.adapters.dynamodb.signin_items import KEEP_SECONDS
from chalicelib.adapters.dynamodb.signins import INBOX_ITEMS
from chalicelib.domain import secret_codes, signins
from chalicelib.domain.accounts import user_key
from chalicelib.domain.signins import DecisionRefused, Notice, Outcome, Status
from chalicelib.errors import InvalidGrant
from tests.stores.conftest import ALICE

CODE_HASH = secret_codes.hash_secret("the-code")


def decide(svc, signin, outcome=Outcome.APPROVED, **changes):
    fields = dict(
        outcome=outcome,
        account_id="acct-alice",
        device_id="device-1",
        response_id="response-0123456789",
        now=svc.now(),
        match_number=outcome is Outcome.APPROVED,
        number=42 if outcome is Outcome.APPROVED else None,
    )
    svc.signins.decide("acme", signin.signin_id, **{**fields, **changes})


def test_a_signin_reads_back_as_it_was_created(svc, make_signin):
    signin = make_signin(nonce="n-0S6_WzA2Mj", code_challenge="E" * 43)
    assert svc.signins.get("acme", signin.signin_id) == signin


def test_optional_fields_read_back_as_none(svc, make_signin):
    signin = make_signin(account_id=None, choices=())
    assert svc.signins.get("acme", signin.signin_id) == signin


def test_an_unknown_signin_is_none(svc, make_signin):
    signin = make_signin()
    assert svc.signins.get("other", signin.signin_id) is None
    assert svc.signins.get("acme", ALICE + "B" * 22) is None


def test_ended_signins_are_kept_an_hour_then_removed_by_ttl(svc, aws, make_signin):
    signin = make_signin()
    table = svc.settings.table_prefix + "signins"
    (item,) = aws.client("dynamodb").scan(TableName=table)["Items"]
    assert int(item[SCHEMA["signins"]["ttl"]]["N"]) == signin.expires_at + KEEP_SECONDS


def test_the_first_answer_is_recorded(svc, clock, make_signin):
    signin = make_signin()
    clock.advance(10)
    decide(svc, signin)
    stored = svc.signins.get("acme", signin.signin_id)
    assert stored.outcome is Outcome.APPROVED
    assert (stored.decided_by, stored.decided_at) == ("device-1", svc.now())


def test_a_second_answer_is_refused_and_sees_the_first(svc, make_signin):
    signin = make_signin()
    decide(svc, signin, Outcome.APPROVED)
    with pytest.raises(DecisionRefused) as refused:
        decide(svc, signin, Outcome.DENIED, device_id="device-2")
    assert refused.value.current.outcome is Outcome.APPROVED
    assert refused.value.current.decided_by == "device-1"
    assert svc.signins.get("acme", signin.signin_id).outcome is Outcome.APPROVED


def test_an_expired_signin_still_in_the_table_takes_no_answer(svc, clock, make_signin):
    signin = make_signin()
    clock.advance(119)
    decide(svc, make_signin(expires_at=signin.expires_at))  # one second left: accepted
    clock.advance(1)
    with pytest.raises(DecisionRefused) as refused:
        decide(svc, signin)
    assert refused.value.current.status(svc.now()) is Status.EXPIRED
    assert svc.signins.get("acme", signin.signin_id).outcome is None


@pytest.mark.parametrize("account_id", ["acct-mallory", None])
def test_a_phone_of_another_account_cannot_answer(svc, make_signin, account_id):
    signin = make_signin(account_id=account_id)
    with pytest.raises(DecisionRefused) as refused:
        decide(svc, signin)
    assert refused.value.current.account_id == account_id
    assert svc.signins.get("acme", signin.signin_id).outcome is None


def test_an_answer_to_an_unknown_signin_is_refused_with_nothing_to_show(svc):
    unknown = signins.new_signin_id(ALICE, svc.rng, svc.now())
    with pytest.raises(DecisionRefused) as refused:
        svc.signins.decide(
            "acme",
            unknown,
            outcome=Outcome.DENIED,
            account_id="acct-alice",
            device_id="device-1",
            response_id="response-0123456789",
            now=svc.now(),
        )
    assert refused.value.current is None
    assert svc.signins.get("acme", unknown) is None


def test_approval_needs_the_stored_number(svc, make_signin):
    signin = make_signin(number=42)
    with pytest.raises(DecisionRefused) as refused:
        decide(svc, signin, number=17)
    assert refused.value.current.status(svc.now()) is Status.PENDING
    decide(svc, signin, number=42)
    assert svc.signins.get("acme", signin.signin_id).outcome is Outcome.APPROVED


def test_an_approval_without_a_number_never_matches(svc, make_signin):
    """Needs the number condition without an escape for a missing number: before CIBA was
    numbered, a sign-in without a number was approved by an answer without one."""
    numbered, unnumbered = make_signin(number=42), make_signin(number=None, choices=())
    for signin in (numbered, unnumbered):
        with pytest.raises(DecisionRefused):
            decide(svc, signin, number=None)
        assert svc.signins.get("acme", signin.signin_id).outcome is None


def test_denial_needs_no_number(svc, make_signin):
    signin = make_signin()
    decide(svc, signin, Outcome.FRAUD_REPORTED)
    assert svc.signins.get("acme", signin.signin_id).outcome is Outcome.FRAUD_REPORTED


def redeem(svc, signin, **changes):
    fields = dict(
        client_id="acme-web",
        code_hash=CODE_HASH,
        code_challenge=signin.code_challenge,
        redirect_uri=signin.redirect_uri,
        now=svc.now(),
    )
    return svc.signins.redeem("acme", signin.signin_id, **{**fields, **changes})


def test_an_approved_code_is_redeemed_once(svc, clock, make_signin):
    signin = make_signin()
    decide(svc, signin)
    clock.advance(5)
    redeemed = redeem(svc, signin)
    assert redeemed.redeemed_at == svc.now()
    assert redeemed.outcome is Outcome.APPROVED
    with pytest.raises(InvalidGrant):
        redeem(svc, signin)


def test_a_code_is_for_its_own_client_only(svc, make_signin):
    signin = make_signin()
    decide(svc, signin)
    with pytest.raises(InvalidGrant):
        redeem(svc, signin, client_id="acme-spa")
    assert redeem(svc, signin).redeemed_at is not None  # the failed attempt spent nothing


def test_a_wrong_code_is_refused(svc, make_signin):
    signin = make_signin()
    decide(svc, signin)
    with pytest.raises(InvalidGrant):
        redeem(svc, signin, code_hash=secret_codes.hash_secret("a-guess"))


def test_a_code_lives_one_minute_after_approval(svc, clock, make_signin):
    late, in_time = make_signin(), make_signin()
    decide(svc, late)
    decide(svc, in_time)
    clock.advance(signins.CODE_SECONDS - 1)
    assert redeem(svc, in_time).redeemed_at == svc.now()
    clock.advance(1)
    with pytest.raises(InvalidGrant):
        redeem(svc, late)


@pytest.mark.parametrize("outcome", [None, Outcome.DENIED, Outcome.WRONG_NUMBER])
def test_no_code_without_approval(svc, make_signin, outcome):
    signin = make_signin()
    if outcome is not None:
        decide(svc, signin, outcome)
    with pytest.raises(InvalidGrant):
        redeem(svc, signin)


def test_an_unknown_signin_has_no_code(svc):
    with pytest.raises(InvalidGrant):
        svc.signins.redeem(
            "acme",
            signins.new_signin_id(ALICE, svc.rng, svc.now()),
            client_id="acme-web",
            code_hash=CODE_HASH,
            code_challenge=None,
            redirect_uri=None,
            now=svc.now(),
        )


CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.mark.parametrize("sent", [None, "A" * 43])
def test_a_code_issued_with_a_challenge_needs_that_challenge(svc, make_signin, sent):
    signin = make_signin(code_challenge=CHALLENGE)
    decide(svc, signin)
    with pytest.raises(InvalidGrant):
        redeem(svc, signin, code_challenge=sent)
    assert redeem(svc, signin, code_challenge=CHALLENGE).redeemed_at is not None


def test_a_code_issued_without_a_challenge_refuses_a_verifier(svc, make_signin):
    signin = make_signin()
    decide(svc, signin)
    with pytest.raises(InvalidGrant):
        redeem(svc, signin, code_challenge=CHALLENGE)
    assert redeem(svc, signin).redeemed_at is not None


@pytest.mark.parametrize("sent", [None, "https://evil.test/cb"])
def test_a_code_issued_for_a_redirect_uri_needs_that_uri(svc, make_signin, sent):
    signin = make_signin(redirect_uri="https://app.acme.test/cb")
    decide(svc, signin)
    with pytest.raises(InvalidGrant):
        redeem(svc, signin, redirect_uri=sent)
    assert redeem(svc, signin, redirect_uri="https://app.acme.test/cb").redeemed_at is not None


def test_pending_lists_only_undecided_unexpired_signins_of_that_user(svc, clock, make_signin):
    waiting = make_signin()
    decided = make_signin()
    decide(svc, decided, Outcome.DENIED)
    make_signin(expires_at=svc.now() + 30)
    later = make_signin(expires_at=svc.now() + 300)
    make_signin(signin_id=signins.new_signin_id(user_key("bob@acme.test"), svc.rng, svc.now()))
    make_signin(tenant_id="globex")
    clock.advance(30)

    pending = svc.signins.pending_for("acme", ALICE, svc.now())

    assert sorted(s.signin_id for s in pending) == sorted([waiting.signin_id, later.signin_id])
    assert all(s.tenant_id == "acme" for s in pending)


def test_pending_finds_a_signin_behind_a_full_page(svc, make_signin):
    """Sign-ins are filed by username, which anyone can type: many ended ones must not hide
    a waiting one from a polling phone (a query page stops at 1 MB)."""
    big = signins.Origin(ip="203.0.113.7", user_agent="x" * 150_000, device="Unknown browser")
    ids = sorted(signins.new_signin_id(ALICE, svc.rng, svc.now()) for _ in range(9))
    for signin_id in ids[:-1]:
        decide(svc, make_signin(signin_id=signin_id, origin=big), Outcome.DENIED)
    waiting = make_signin(signin_id=ids[-1])  # sorts last: on the second page

    pending = svc.signins.pending_for("acme", ALICE, svc.now())

    assert [s.signin_id for s in pending] == [waiting.signin_id]


def held(svc, number: int, **changes):
    """A held sign-in for alice with this number (id derived from it), unstored."""
    key = signins.held_key(b"k" * 32)
    now = svc.now()
    fields = dict(
        tenant_id="acme",
        signin_id=signins.held_signin_id(key, ALICE, number),
        client_id="acme-web",
        number=number,
        choices=(),
        created_at=now,
        expires_at=now + 120,
        binding_hash=secret_codes.hash_secret("binding-secret"),
        code_hash=secret_codes.hash_secret("the-code"),
        origin=signins.Origin.of("203.0.113.7", "Firefox/128.0"),
        account_id="acct-alice",
    )
    return signins.SignIn(**{**fields, **changes})


def test_one_live_held_signin_per_number_and_its_id_reused_once_its_code_is_spent(svc, clock):
    """Needs create_held's condition: two live held sign-ins with one number would make the
    number find the wrong one (or a stranger's)."""
    first = held(svc, 482_913)
    assert svc.signins.create_held(first, svc.now()) is True
    assert svc.signins.create_held(held(svc, 482_913), svc.now()) is False  # live: draw again
    clock.advance(120 + signins.CODE_SECONDS)  # expired, and its code could still be redeemed
    assert svc.signins.create_held(held(svc, 482_913), svc.now()) is False
    clock.advance(1)
    again = held(svc, 482_913)
    assert svc.signins.create_held(again, svc.now()) is True
    assert svc.signins.get("acme", again.signin_id) == again


def test_held_signins_and_a_flood_of_ended_ones_stay_out_of_the_phones_read(svc, make_signin):
    """Needs held ids outside the pending query's range (time 00000000) and the bounded,
    newest-first read: a stranger's flood must not slow the phone's list or hide the owner's."""
    for number in range(100_000, 100_040):
        assert svc.signins.create_held(held(svc, number), svc.now())
    for _ in range(INBOX_ITEMS + 20):  # earlier in the ten minutes: the newest is read first
        earlier = signins.new_signin_id(ALICE, svc.rng, svc.now() - 5)
        decide(svc, make_signin(signin_id=earlier), Outcome.CANCELLED)
    waiting = make_signin()
    calls = []
    svc.signins._client.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: calls.append(parsed)
    )

    pending = svc.signins.pending_for("acme", ALICE, svc.now())

    assert [s.signin_id for s in pending] == [waiting.signin_id]
    (page,) = calls
    assert page["ScannedCount"] <= INBOX_ITEMS


def test_notices_are_read_with_the_waiting_signins_and_replace_their_kind(svc, make_signin):
    waiting = make_signin()
    now = svc.now()
    for failures in (1, 2):
        notice = Notice("totp_failed", now, "acct-alice", detail={"failures": failures})
        svc.signins.notify("acme", ALICE, notice, keep=600)
    svc.signins.notify("acme", ALICE, Notice("device_enrolled", now, "acct-alice", "dev-2"), 600)

    signins_, notices = svc.signins.inbox("acme", ALICE, now)

    assert [s.signin_id for s in signins_] == [waiting.signin_id]
    assert sorted((n.kind, n.key, n.detail.get("failures")) for n in notices) == [
        ("device_enrolled", "dev-2", None),
        ("totp_failed", None, 2),
    ]
    assert svc.signins.inbox("acme", ALICE, now + 600)[1] == []  # kept `keep` seconds
