"""The reference phone's command line (python -m authenticator) with several sign-ins waiting:
it lists every one, and answers the one the person means, never the newest on its own."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from authenticator import cli
from chalicelib.domain.tenants import NumberMatch, Policy
from tools.admin import flows as admin

PIN = "2468"
SERVER = "https://signin.example.test"  # the test app's PUBLIC_BASE_URL


@pytest.fixture
def command_line(post, tmp_path, monkeypatch):
    """The reference phone's command line, its state file sealed with PIN, talking to the test
    app: run(*argv) -> (exit status, stdout, stderr)."""
    monkeypatch.setattr(cli, "http_transport", lambda _base: post)
    state = tmp_path / "phone.json"

    def run(*argv: str, replies: tuple[str, ...] = ()) -> tuple[int, str, str]:
        answers = iter(replies)
        monkeypatch.setattr("builtins.input", lambda prompt="": print(prompt) or next(answers))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["--state", str(state), "--pin", PIN, *argv])
        return status, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def phone(new_account, command_line):
    """Alice's reference phone (polling, no push), enrolled."""
    code = new_account()["activation_code"]
    enrol = ("enrol", "--server", SERVER, "--tenant", "acme", "--code", code, "--no-push")
    assert command_line(*enrol)[0] == 0
    return command_line


@pytest.fixture
def two(start, clock):
    """Two sign-ins of Alice's, the second started two seconds after the first (the list is
    ordered by start, to the second): (older, newer)."""

    def make() -> tuple[dict, dict]:
        older = start()
        clock.advance(2)
        return older, start()

    return make


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_inbox_lists_every_waiting_sign_in_oldest_first_with_who_asks(phone, two):
    older, newer = two()

    status, out, _ = phone("inbox")

    assert status == 0
    assert last_json(out) == {"waiting": 2}
    assert out.index(older["signin_id"]) < out.index(newer["signin_id"])
    assert out.startswith("[1] Approve sign-in? Acme Portal · Acme Corp\n")
    assert "    account alice@acme.test\n" in out
    assert "[2] Approve sign-in?" in out


def test_approve_with_a_number_that_several_could_have_asks_which_and_answers_none(
    phone, two, result
):
    older, newer = two()

    status, out, err = phone("approve", "--number", str(older["number"]))

    assert status == 1 and out == ""
    assert "2 sign-ins are waiting" in err and "--id" in err
    assert older["signin_id"] in err and newer["signin_id"] in err
    assert result(older)[1]["status"] == result(newer)[1]["status"] == "pending"

    # Told which, it answers that one: the older; the newer still waits.
    status, out, _ = phone("approve", "--id", older["signin_id"], "--number", str(older["number"]))
    assert status == 0
    assert last_json(out) == {"signin_id": older["signin_id"], "status": "approved"}
    assert result(older)[1]["status"] == "approved"
    assert result(newer)[1]["status"] == "pending"

    # One left: nothing to choose, so it needs no id.
    status, out, _ = phone("deny")
    assert status == 0 and last_json(out)["signin_id"] == newer["signin_id"]
    assert result(newer)[1]["status"] == "denied"


def test_deny_with_several_waiting_asks_which(phone, two, result):
    older, newer = two()

    status, _, err = phone("deny", "--fraud")

    assert status == 1 and "--id" in err
    assert result(older)[1]["status"] == result(newer)[1]["status"] == "pending"


def test_approve_picks_the_one_whose_choices_hold_the_number(phone, two, result, svc):
    """In a `pick` tenant the phone knows each request's three numbers: the page's number
    names the one request that offers it. (When the newer one happens to offer it as a
    decoy too, the phone asks which instead.)"""
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.PICK))
    older, newer = two()
    rivals = older["number"] in svc.signins.get("acme", newer["signin_id"]).choices

    status, out, err = phone("approve", "--number", str(older["number"]))

    if rivals:
        assert status == 1 and "--id" in err
    else:
        assert status == 0, err
        assert last_json(out) == {"signin_id": older["signin_id"], "status": "approved"}
    assert result(newer)[1]["status"] == "pending"


def test_a_number_no_waiting_sign_in_offers_answers_none(phone, start, result, svc):
    admin.set_policy(svc, "acme", Policy(number_match=NumberMatch.PICK))
    started = start()
    offered = svc.signins.get("acme", started["signin_id"]).choices
    other = next(n for n in range(10, 100) if n not in offered)

    status, _, err = phone("approve", "--number", str(other))

    assert status == 1 and f"no waiting sign-in can have the number {other}" in err
    assert result(started)[1]["status"] == "pending"  # not failed by a wrong number


def test_watch_shows_every_waiting_sign_in_and_asks_which_one(phone, two, result):
    older, newer = two()

    status, out, _ = phone("watch", "--timeout", "5", replies=("1", str(older["number"])))

    assert status == 0, out
    assert "[1] Approve sign-in?" in out and "[2] Approve sign-in?" in out
    assert "Which sign-in? (1-2)" in out
    assert last_json(out) == {"status": "approved"}
    assert result(older)[1]["status"] == "approved"
    assert result(newer)[1]["status"] == "pending"


def test_watch_asks_again_for_a_choice_that_is_not_in_the_list(phone, two, result):
    older, newer = two()

    replies = ("3", "", "2", "deny")
    status, out, _ = phone("watch", "--timeout", "5", replies=replies)

    assert status == 0, out
    assert out.count("Type a number from 1 to 2.") == 2
    assert result(newer)[1]["status"] == "denied"
    assert result(older)[1]["status"] == "pending"


@pytest.mark.parametrize(
    ("environ", "option", "sent"),
    [
        ({"LANG": "nl_NL.UTF-8"}, (), "nl-NL"),  # the system's language
        ({"LANG": "nl_NL.UTF-8"}, ("--locale", "en-GB"), "en-GB"),  # told otherwise
        ({"LANG": "nl_NL.UTF-8"}, ("--locale", ""), None),  # told to send none
        ({"LANG": "C.UTF-8"}, (), None),  # the system names no language
    ],
)
def test_enrol_sends_the_phones_language(
    environ, option, sent, new_account, command_line, svc, monkeypatch
):
    """Needs `enrol` to send the `locale` claim: the system's (LC_ALL, LC_MESSAGES, LANG)
    unless --locale says otherwise; the service keeps it on the device."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code = new_account()["activation_code"]

    status, out, _ = command_line(
        "enrol", "--server", SERVER, "--tenant", "acme", "--code", code, "--no-push", *option
    )

    assert status == 0
    enrolled = last_json(out)
    assert enrolled["locale"] == sent
    assert svc.devices.get("acme", enrolled["device_id"]).locale == sent


def test_the_locale_command_changes_the_phones_language(phone, svc, monkeypatch, tmp_path):
    """Needs the `locale` command: it sends the tag given (or the system's) to /device/locale
    and remembers it in the state file."""
    device_id = json.loads((tmp_path / "phone.json").read_text())["device_id"]

    status, out, _ = phone("locale", "nl-BE")

    assert status == 0
    assert last_json(out) == {"device_id": device_id, "locale": "nl-BE", "language": "nl"}
    assert svc.devices.get("acme", device_id).locale == "nl-BE"
    assert json.loads((tmp_path / "phone.json").read_text())["locale"] == "nl-BE"

    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert phone("locale")[0] == 0
    assert svc.devices.get("acme", device_id).locale == "en-US"

    status, _, err = phone("locale", "nl_NL")  # a POSIX name, not a language tag
    assert status == 1 and "400 invalid_request" in err
    assert svc.devices.get("acme", device_id).locale == "en-US"


@pytest.fixture
def pushed_phone(new_account, post, tmp_path, monkeypatch, endpoints):
    """Alice's reference phone with push, its pushes read from moto's SNS endpoints (as the
    local mode reads them from the moto server), every device API path it calls recorded:
    run(*argv) -> (exit status, stdout, stderr), and `run.paths`."""
    paths: list[str] = []

    def recorded(path, body, *args, **kwargs):
        paths.append(path.rsplit("/", 1)[-1])
        return post(path, body, *args, **kwargs)

    monkeypatch.setattr(cli, "http_transport", lambda _base: recorded)
    state = tmp_path / "phone.json"

    def delivered(phone_state: dict) -> list[dict]:
        token = phone_state["push_token"]
        return [
            json.loads(message)
            for endpoint in endpoints.values()
            if endpoint.token == token
            for message in endpoint.messages.values()
        ]

    monkeypatch.setattr(cli, "_delivered", delivered)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["--state", str(state), "--pin", PIN, *argv])
        return status, out.getvalue(), err.getvalue()

    code = new_account()["activation_code"]
    assert run("enrol", "--server", SERVER, "--tenant", "acme", "--code", code)[0] == 0
    paths.clear()
    run.paths = paths  # type: ignore[attr-defined]
    return run


def test_a_push_is_answered_straight_from_its_data_without_the_list(pushed_phone, start, result):
    """Defends the saving docs/device-api.md decides ("Answering from the push"): with a
    push that names the sign-in, the phone's one request is its answer; and a push is acted
    on once: the next sign-in is answered from its own push, not the old one's."""
    first = start()

    status, out, err = pushed_phone("approve", "--number", str(first["number"]))

    assert status == 0, err
    assert last_json(out) == {"signin_id": first["signin_id"], "status": "approved"}
    assert pushed_phone.paths == ["respond"]
    second = start()
    status, out, err = pushed_phone("deny")
    assert status == 0, err
    assert last_json(out)["signin_id"] == second["signin_id"]
    assert pushed_phone.paths == ["respond", "respond"]
    assert result(second)[1]["status"] == "denied"


def test_an_expired_push_or_several_go_to_the_list(pushed_phone, two, result, monkeypatch):
    """Defends the list as the truth where a push does not settle it: several pushes
    waiting (which one is meant?), or a push past its expiry (the phone never answers
    one from stale data)."""
    older, newer = two()

    status, _, err = pushed_phone("approve", "--number", str(older["number"]))

    assert status == 1 and "--id" in err  # several: asked which, from the list
    assert pushed_phone.paths == ["signins"]
    monkeypatch.setattr(cli, "clock", lambda: newer["expires_at"] + 1)
    number = str(older["number"])
    status, _, err = pushed_phone("approve", "--id", older["signin_id"], "--number", number)
    assert status == 0, err
    assert pushed_phone.paths == ["signins", "signins", "respond"]
    assert result(older)[1]["status"] == "approved"
