"""LimitStore: backoff claims, window counters, and keys remembered closed in a container."""

from __future__ import annotations

from chalicelib.adapters.dynamodb.limits import Claim, LimitStore, Refused

NOW = 1_750_000_000


def test_a_claim_holds_the_key_while_its_attempt_is_checked(svc):
    first = svc.limits.claim("acme", "pwd-user", "alice", NOW, hold=10, keep=60)
    second = svc.limits.claim("acme", "pwd-user", "alice", NOW + 1, hold=10, keep=60)

    assert first == Claim("acme#pwd-user#alice", failures=1)
    assert second == NOW + 10  # a parallel guess waits until the first one is settled
    assert isinstance(svc.limits.claim("acme", "pwd-user", "bob", NOW, 10, 60), Claim)


def test_failures_count_on_until_a_success_clears_them(svc):
    claim = svc.limits.claim("acme", "pwd-user", "alice", NOW, hold=10, keep=60)
    svc.limits.failed(claim, NOW, wait=0, keep=60)
    again = svc.limits.claim("acme", "pwd-user", "alice", NOW, hold=10, keep=60)
    svc.limits.failed(again, NOW, wait=5, keep=60)

    assert again.failures == 2
    assert svc.limits.claim("acme", "pwd-user", "alice", NOW + 4, 10, 60) == NOW + 5
    third = svc.limits.claim("acme", "pwd-user", "alice", NOW + 5, 10, 60)
    assert third.failures == 3
    svc.limits.reset("acme", "pwd-user", "alice")
    assert svc.limits.claim("acme", "pwd-user", "alice", NOW + 5, 10, 60).failures == 1


def test_a_key_found_closed_is_refused_from_memory_for_half_a_minute_then_asked_again(svc, aws):
    claim = svc.limits.claim("acme", "pwd-user", "alice", NOW, hold=10, keep=60)
    svc.limits.failed(claim, NOW, wait=300, keep=60)
    # Another container (the admin CLI setting a new password) clears the key: this one keeps
    # refusing from memory, with no DynamoDB call, but only for MEMORY_SECONDS.
    other_container = LimitStore(aws.client("dynamodb"), svc.limits._table)
    other_container.reset("acme", "pwd-user", "alice")

    assert svc.limits.claim("acme", "pwd-user", "alice", NOW + 29, 10, 60) == NOW + 300
    assert isinstance(svc.limits.claim("acme", "pwd-user", "alice", NOW + 30, 10, 60), Claim)


def test_another_containers_check_in_flight_is_not_remembered_as_a_wait(svc, aws):
    other_container = LimitStore(aws.client("dynamodb"), svc.limits._table)
    in_flight = other_container.claim("acme", "pwd-user", "alice", NOW, hold=10, keep=60)

    assert svc.limits.claim("acme", "pwd-user", "alice", NOW + 1, 10, 60) == NOW + 10
    other_container.failed(in_flight, NOW + 1, wait=0, keep=60)  # a free failure: open now
    assert isinstance(svc.limits.claim("acme", "pwd-user", "alice", NOW + 2, 10, 60), Claim)


def test_failures_past_their_keep_start_again_even_before_ttl_deletes_them(svc):
    for n in range(3):
        claim = svc.limits.claim("acme", "pwd-user", "alice", NOW + n, hold=10, keep=60)
        svc.limits.failed(claim, NOW + n, wait=0, keep=60)
    assert claim.failures == 3

    later = svc.limits.claim("acme", "pwd-user", "alice", NOW + 2 + 61, hold=10, keep=60)

    assert later.failures == 1  # the item is still there (moto, like DynamoDB, lags), but stale


def test_a_window_claim_counts_before_the_check_and_refuses_past_its_limit(svc):
    """Needs claim_hit's conditional write: a read then a later write let parallel attempts
    from one network all pass a cap that was one short of full."""
    claims = [svc.limits.claim_hit("acme", "pwd-ip", "203.0.113.7", 900, NOW, 3) for _ in range(4)]

    assert claims == [None, None, None, (NOW // 900 + 1) * 900]
    assert svc.limits.claim_hit("acme", "pwd-ip", "203.0.113.8", 900, NOW, 3) is None  # per key
    assert svc.limits.claim_hit("acme", "pwd-ip", "203.0.113.7", 900, NOW + 900, 3) is None


def test_a_claim_given_back_makes_room_again(svc):
    other = LimitStore(svc.limits._client, svc.limits._table)  # a container with no memory
    for _ in range(3):
        assert svc.limits.claim_hit("acme", "pwd-ip", "203.0.113.7", 900, NOW, 3) is None
    svc.limits.give_back("acme", "pwd-ip", "203.0.113.7", 900, NOW)

    assert other.claim_hit("acme", "pwd-ip", "203.0.113.7", 900, NOW, 3) is None
    assert other.claim_hit("acme", "pwd-ip", "203.0.113.7", 900, NOW, 3) is not None
    svc.limits.give_back("acme", "pwd-ip", "203.0.113.9", 900, NOW)  # nothing to give back: fine


def test_memory_is_bounded():
    store = LimitStore(client=None, table="unused")
    for n in range(10_001):
        store.remember_closed(f"k{n}", NOW + 60, NOW)

    assert len(store._closed) <= 10_000


def test_take_counts_a_minute_and_a_day_in_one_item_and_refuses_when_either_is_full(svc):
    taken = [svc.limits.take("acme", "pushes", "sub-1", NOW, per_minute=2, per_day=3)]
    taken.append(svc.limits.take("acme", "pushes", "sub-1", NOW + 1, 2, 3))
    minute_full = svc.limits.take("acme", "pushes", "sub-1", NOW + 2, 2, 3)
    again = svc.limits.take("acme", "pushes", "sub-1", NOW + 3, 2, 3)

    assert taken == [None, None]
    assert minute_full == Refused("minute", (NOW // 60 + 1) * 60, first=True)
    assert again == Refused("minute", (NOW // 60 + 1) * 60, first=False)
    assert svc.limits.take("acme", "pushes", "sub-2", NOW, 2, 3) is None  # per key

    next_minute = (NOW // 60 + 1) * 60
    assert svc.limits.take("acme", "pushes", "sub-1", next_minute, 2, 3) is None
    day_full = svc.limits.take("acme", "pushes", "sub-1", next_minute + 1, 2, 3)
    assert day_full == Refused("day", (NOW // 86400 + 1) * 86400, first=True)
    assert svc.limits.take("acme", "pushes", "sub-1", (NOW // 86400 + 1) * 86400, 2, 3) is None


def test_refused_takes_do_not_use_up_the_day(svc, aws):
    """A flood within one minute is refused without counting: the day keeps its pushes."""
    for _ in range(50):
        svc.limits.take("acme", "pushes", "sub-1", NOW, per_minute=3, per_day=30)
    items = aws.client("dynamodb").scan(TableName=svc.limits._table)["Items"]

    (item,) = [i for i in items if i["pk"]["S"].startswith("acme#pushes#sub-1#")]
    assert item["d"] == {"N": "3"}
