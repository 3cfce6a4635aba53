"""Sign-ins: numbers to match, their life cycle and what the page may learn (no I/O)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib import contract
from chalicelib.domain import secret_codes, useragent
from chalicelib.domain.secret_codes import RandomSource
from chalicelib.domain.tenants import NumberMatch
from chalicelib.errors import InvalidRequest, NotFound

CHOICES = 3
TWO_DIGITS = range(10, 100)  # pick and type: always shown as two digits, never '07'
# strict: six digits, never a leading zero to lose on the way; 900,000 values (19.8 bits,
# the "6 decimal digits, approximately 20 bits" of NIST SP 800-63B).
SIX_DIGITS = range(100_000, 1_000_000)
PHONE_AMR = ("mfa", "hwk", "user")  # a device-bound key unlocked by PIN or biometrics (RFC 8176)
PASSWORD_AMR = ("pwd",)
PASSWORD_AND_PHONE_AMR = ("pwd", "mfa", "hwk", "user")
PASSWORD_AND_TOTP_AMR = ("pwd", "mfa", "otp")
# user key (16 hex) + creation time (8 hex) + 128 random bits: within a user's partition the
# ids sort by time, so a phone's "what is waiting" query reads only the last few minutes.
# A held sign-in (no push: a limit or a lock) has the time 00000000 and a tail derived from
# its number instead: it sorts outside that query, and the phone finds it by the number. A
# password-only sign-in (no phone answers it) has the time 00000000 and a random tail.
SIGNIN_ID = contract.parameter_pattern("SigninId")
HELD_TIME = "00000000"
CODE_SECONDS = 60  # an authorization code must be redeemed within a minute of approval
POLL_SECONDS = 2
MAX_USER_AGENT, MAX_PLACE = 160, 100
MAX_NONCE = contract.schema("Nonce")["maxLength"]
NOTICE_SECONDS = 7 * 86400  # how long the person's phones show a notice


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


class Decision(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    REPORT_FRAUD = "report_fraud"


class Outcome(StrEnum):
    """Why a sign-in ended, as stored; the page sees a Status."""

    APPROVED = "approved"
    DENIED = "denied"
    FRAUD_REPORTED = "fraud_reported"
    WRONG_NUMBER = "wrong_number"
    CANCELLED = "cancelled"  # the page moved on (e.g. to the password): phones drop it
    LOCKED = "locked"  # phone sign-in was locked for the account while it waited


def new_number(rng: RandomSource, mode: NumberMatch = NumberMatch.PICK) -> int:
    """The number the page shows, from a CSPRNG: two digits, or six for strict."""
    digits = SIX_DIGITS if mode is NumberMatch.STRICT else TWO_DIGITS
    return digits.start + rng.randbelow(len(digits))


def number_choices(rng: RandomSource, number: int, mode: NumberMatch) -> tuple[int, ...]:
    """The numbers the phone offers: the right one among distinct decoys, in random order.
    None when the number is typed (type, strict): choices would give it away."""
    if mode is not NumberMatch.PICK:
        return ()
    choices = [number]
    while len(choices) < CHOICES:
        decoy = new_number(rng)
        if decoy not in choices:
            choices.append(decoy)
    for i in range(len(choices) - 1, 0, -1):  # Fisher-Yates with the CSPRNG
        j = rng.randbelow(i + 1)
        choices[i], choices[j] = choices[j], choices[i]
    return tuple(choices)


def valid_number(number: object) -> bool:
    """A number some mode could have shown (an int of 2 or 6 digits). Which one is right is
    the stored sign-in's business: the policy may change while a sign-in waits."""
    if not isinstance(number, int) or isinstance(number, bool):
        return False
    return number in TWO_DIGITS or number in SIX_DIGITS


def new_signin_id(user_key: str, rng: RandomSource, now: int) -> str:
    return f"{user_key}{now:08x}{secret_codes.new_secret(rng, 16)}"


# Damm's check digit (a quasigroup of order 10): every single-digit error and every swap of
# two adjacent digits gives a number whose check fails. Held numbers carry one, so a person's
# typo in the app can never name another (a stranger's) held sign-in.
_DAMM = (
    "0317598642", "7092154863", "4206871359", "1750983426", "6123045978",
    "3674209581", "5869720134", "8945362017", "9438617205", "2581436790",
)  # fmt: skip


def _damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = int(_DAMM[interim][int(digit)])
    return interim


def new_held_number(rng: RandomSource) -> int:
    """Six digits for a held sign-in: five from a CSPRNG (never a leading zero), then the
    Damm check digit."""
    body = 10_000 + rng.randbelow(90_000)
    return body * 10 + _damm(str(body))


def valid_held_number(number: object) -> bool:
    """A number a held sign-in could have: six digits whose Damm check holds."""
    if not isinstance(number, int) or isinstance(number, bool) or number not in SIX_DIGITS:
        return False
    return _damm(str(number)) == 0


def held_key(data_key: bytes) -> bytes:
    """The tenant's key for held sign-in ids, derived so it serves nothing else."""
    return hmac.new(data_key, b"held-signin", hashlib.sha256).digest()


def held_signin_id(key: bytes, user_key: str, number: int) -> str:
    """The id of the held sign-in with this number: the phone, told the number by its person,
    finds it with one read however many sign-ins a stranger started. Keyed, so the id does
    not give the number away; at most one live held sign-in per person has a number."""
    mac = hmac.new(key, f"{user_key}:{number}".encode(), hashlib.sha256).digest()
    return f"{user_key}{HELD_TIME}{secret_codes.b64url(mac)[:22]}"


def unlisted_signin_id(user_key: str, rng: RandomSource) -> str:
    """An id outside the phone's query, for a sign-in no phone answers (approved by the
    password alone): a flood of them, by whoever knows the password, cannot push a waiting
    sign-in out of the phone's bounded read."""
    return f"{user_key}{HELD_TIME}{secret_codes.new_secret(rng, 16)}"


def is_unlisted_id(signin_id: str) -> bool:
    return signin_id[16:24] == HELD_TIME


def oldest_open_id(user_key: str, now: int, lifetime: int) -> str:
    """The smallest sign-in id that could still be open now: a sort-key bound."""
    return f"{user_key}{max(0, now - lifetime):08x}"


def parse_signin_id(signin_id: object) -> str:
    """Return the user key a sign-in id is filed under, or refuse the id."""
    if not isinstance(signin_id, str) or not SIGNIN_ID.match(signin_id):
        raise InvalidRequest("malformed sign-in id")
    return signin_id[:16]


def authorization_code(binding_secret: str, signin_id: str) -> str:
    """Derived from the binding secret, so only the holder of that secret can ever know it."""
    mac = hmac.new(binding_secret.encode(), b"code:" + signin_id.encode(), hashlib.sha256)
    return f"{signin_id}.{secret_codes.b64url(mac.digest())}"


def signin_id_of_code(code: object) -> str:
    if not isinstance(code, str) or len(code) > 128 or "." not in code:
        raise InvalidRequest("malformed code")
    signin_id = code.split(".", 1)[0]
    parse_signin_id(signin_id)
    return signin_id


@dataclass(frozen=True)
class Origin:
    """Where the sign-in attempt comes from, as the phone shows it, and the browser's cookie
    that may say it signed this person in before (browsers.py; never stored)."""

    ip: str
    user_agent: str  # cleaned of control and bidi characters, cut short; for the audit log
    device: str  # what the phone shows: "Chrome on Windows", never the raw user agent
    place: str | None = None  # "City, Region, Country" where the front tells us (CloudFront)
    browser_cookie: str | None = None

    @property
    def network(self) -> str:
        """What limits per address count by: the address, or its /64 for IPv6 (one
        subscriber's allocation, which an attacker can walk through at will)."""
        try:
            address = ipaddress.ip_address(self.ip)
        except ValueError:
            return self.ip
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/64", strict=False))
        return str(address)

    @classmethod
    def of(
        cls,
        ip: str | None,
        user_agent: str | None,
        place: str | None = None,
        browser_cookie: str | None = None,
        device: str | None = None,
    ) -> Origin:
        """Where a request comes from; `device` names a caller that is not a browser."""
        return cls(
            ip=(ip or "unknown")[:45],
            user_agent=useragent.clean(user_agent or "")[:MAX_USER_AGENT] or "unknown",
            device=device or useragent.describe(user_agent or ""),
            place=useragent.clean(place or "")[:MAX_PLACE] or None,
            browser_cookie=browser_cookie,
        )


@dataclass(frozen=True)
class Notice:
    """Something the person's phones should show besides waiting sign-ins: a new phone on the
    account, failed verification codes. One per kind and key; a newer one replaces it."""

    kind: str
    at: int
    account_id: str | None = None
    key: str | None = None
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SignIn:
    tenant_id: str
    signin_id: str
    client_id: str
    number: int | None  # None: nothing to match (CIBA shows a binding message instead)
    choices: tuple[int, ...]
    created_at: int
    expires_at: int
    binding_hash: str
    code_hash: str
    origin: Origin
    account_id: str | None = None  # None: unknown username or no phone; never approvable
    nonce: str | None = None
    code_challenge: str | None = None
    redirect_uri: str | None = None
    scope: str = "openid"  # as granted (scopes.grant): what the tokens may say of the person
    amr: tuple[str, ...] = PHONE_AMR  # what the token will say, once approved
    acr: str | None = None  # the token's acr where amr does not tell it (tokens.ACR_PASSKEY)
    binding_message: str | None = None
    # The account had a run of failed phone answers when this started: approving it ends it.
    resets_failures: bool = False
    outcome: Outcome | None = None
    decided_at: int | None = None
    decided_by: str | None = None
    redeemed_at: int | None = None
    session_id: str | None = None  # through a single sign-on session (sso.py), and then
    auth_time: int | None = None  # when the person really signed in (not decided_at)

    @property
    def user_key(self) -> str:
        return self.signin_id[:16]

    @property
    def held(self) -> bool:
        """No push was sent (a limit or a lock): the person enters the number in the app."""
        return is_unlisted_id(self.signin_id) and self.number is not None

    @property
    def number_match(self) -> str:
        """How the phone answers this sign-in, from what was stored when it started."""
        if self.number is None:
            return "none"  # a password-only sign-in: approved when stored, never asked
        if self.choices:
            return NumberMatch.PICK.value
        return (NumberMatch.STRICT if self.number in SIX_DIGITS else NumberMatch.TYPE).value

    def status(self, now: int) -> Status:
        if self.outcome is Outcome.APPROVED:
            return Status.APPROVED
        if self.outcome is not None:
            return Status.DENIED
        return Status.EXPIRED if now >= self.expires_at else Status.PENDING


def validate_nonce(nonce: object) -> str | None:
    if nonce is None:
        return None
    if not isinstance(nonce, str) or not 1 <= len(nonce) <= MAX_NONCE or not nonce.isprintable():
        raise InvalidRequest(f"nonce must be 1-{MAX_NONCE} printable characters")
    return nonce


class DecisionRefused(NotFound):
    """The sign-in did not take the answer; `current` is how it stands (None if absent)."""

    def __init__(self, current: SignIn | None):
        super().__init__()
        self.current = current
