"""Tenants: their policy, their OIDC clients and their signing keys (plain values, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from chalicelib import contract
from chalicelib.domain import secret_codes
from chalicelib.domain.language import N_
from chalicelib.errors import InvalidClient, InvalidRequest

TENANT_ID = contract.parameter_pattern("TenantId")
CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{3,64}\Z")
DEFAULT_SIGNIN_SECONDS = 120
MAX_SIGNIN_SECONDS = 600  # OWASP ASVS 5.0: out-of-band requests live at most 10 minutes
MIN_SIGNIN_SECONDS = 30
# Token lifetime (300 s) + the tenant cache (60 s) + margin: how long a retired key stays published.
KEY_OVERLAP_SECONDS = 3600
# Every tenant has an active key of each: RS256 for the ID tokens of clients that registered
# it or nothing (OIDC Dynamic Client Registration 1.0 section 2), ES256 for the others' and for
# access tokens, which only the service itself reads.
SIGNING_ALGS = ("RS256", "ES256")
DEFAULT_ID_TOKEN_ALG = "RS256"  # noqa: S105 - an algorithm, not a secret
ACCESS_TOKEN_ALG = "ES256"  # noqa: S105 - an algorithm, not a secret
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class NumberMatch(StrEnum):
    """How the person proves the phone and the page belong together.

    The default is TYPE: a person who taps at random while being bombed with pushes approves
    one attempt in three with PICK, and with three wrong taps allowed before the lock, about
    70% of such runs let the attacker in; typing a number nobody showed them succeeds about
    one time in 90 (3% over three tries). Entra made typing the only mode for that reason."""

    PICK = "pick"  # tap the page's number among three (the source's behaviour)
    TYPE = "type"  # type the page's number on the phone (the default)
    # NIST SP 800-63B-4 out-of-band: a six-digit secret shown on the page and typed on the phone
    # (a tap among choices, or a two-digit number, does not meet its rule).
    STRICT = "strict"


# Push fatigue (the 2022 Uber push-bombing): the tenant's limits and their allowed ranges.
PUSH_LIMITS = {
    "pushes_per_minute": (1, 20),
    "pushes_per_day": (1, 1000),
    "max_pending": (1, 10),  # sign-ins waiting for the account's phones at once
    "deny_lock_after": (1, 100),  # NIST SP 800-63B: at most 100 failed attempts in a row
    "lock_seconds": (60, 86400),
}
# Single sign-on (domain/sso.py): a session ends once unused this long (idle) and, however
# used, this long after the sign-in (absolute): at least 5 minutes, at most a day idle and
# 30 days in all.
SESSION_LIFETIMES = {
    "session_idle_seconds": (300, 86400),
    "session_max_seconds": (300, 30 * 86400),
}
LIMITS = {**PUSH_LIMITS, **SESSION_LIFETIMES}  # every whole-number setting but signin_seconds


@dataclass(frozen=True)
class Policy:
    """A tenant's sign-in policy."""

    phone_signin: bool = True
    signin_seconds: int = DEFAULT_SIGNIN_SECONDS
    number_match: NumberMatch = NumberMatch.TYPE
    require_two_step: bool = False  # password sign-ins also need the phone or a TOTP code
    pushes_per_minute: int = 3  # per account
    pushes_per_day: int = 30  # per account
    max_pending: int = 3  # phone sign-ins waiting for one account at once
    deny_lock_after: int = 3  # denials or wrong numbers in a row that lock phone sign-in
    lock_seconds: int = 900  # how long it stays locked (a fraud report locks at once)
    # A person may remove their last phone or passkey on the security-info page and keep only
    # the password. Off by default: everyone keeps a method that proves a device.
    password_only_accounts: bool = False
    # People may sign in with a passkey on the hosted page (and register one on the
    # security-info page). On by default: a passkey is two factors and phishing resistant.
    passkeys: bool = True
    # A browser that signed a person in signs them in to the tenant's other apps for 2 hours
    # after its last use, 12 hours in all (a working day), unless an app asks for more.
    session_idle_seconds: int = 7200
    session_max_seconds: int = 43200

    def __post_init__(self) -> None:
        ranges = {"signin_seconds": (MIN_SIGNIN_SECONDS, MAX_SIGNIN_SECONDS), **LIMITS}
        for name, (low, high) in ranges.items():
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidRequest(f"{name} must be a whole number between {low} and {high}")
        if self.pushes_per_minute > self.pushes_per_day:
            raise InvalidRequest("pushes_per_minute cannot exceed pushes_per_day")
        if self.session_idle_seconds > self.session_max_seconds:
            raise InvalidRequest("session_idle_seconds cannot exceed session_max_seconds")
        for name in ("password_only_accounts", "passkeys"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidRequest(f"{name} must be true or false")
        if not isinstance(self.number_match, NumberMatch):
            raise InvalidRequest("number_match must be one of " + ", ".join(NumberMatch))


@dataclass(frozen=True)
class Client:
    """A relying party as registered. Beside its redirect URIs: the algorithm of its ID
    tokens, and for logout (OIDC RP-Initiated and Back-Channel Logout 1.0) where to send the
    person afterwards and where to tell the app that a session ended."""

    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    secret_hash: str | None = None  # None: a public client (PKCE required)
    id_token_signed_response_alg: str = DEFAULT_ID_TOKEN_ALG
    post_logout_redirect_uris: tuple[str, ...] = ()
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = True

    def check_registration(self) -> None:
        """What a registration must hold (the admin CLI checks it, the Terraform module the
        same in HCL): InvalidRequest naming the first value that does not."""
        if self.id_token_signed_response_alg not in SIGNING_ALGS:
            raise InvalidRequest("id_token_signed_response_alg must be RS256 or ES256")
        for uri in self.redirect_uris:
            check_client_uri(uri, "redirect URI")
        for uri in self.post_logout_redirect_uris:
            check_client_uri(uri, "post-logout redirect URI")
        if self.backchannel_logout_uri is not None:
            check_client_uri(self.backchannel_logout_uri, "back-channel logout URI")
        if not isinstance(self.backchannel_logout_session_required, bool):
            raise InvalidRequest("backchannel_logout_session_required must be true or false")

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    def authenticate(self, secret: str | None) -> None:
        """A public client sends no secret, a confidential one its own; any other attempt
        gets the one InvalidClient answer (saying which would tell the client is public)."""
        if self.public:
            if secret:
                raise InvalidClient()
            return
        if not secret or not secret_codes.same_secret(secret, self.secret_hash):
            raise InvalidClient()


def check_client_uri(uri: str, what: str) -> None:
    """Absolute, no fragment; https except on loopback (RFC 9700 2.1, RFC 8252 7.3)."""
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if (
        parts is None
        or parts.fragment
        or not parts.hostname
        or parts.scheme not in ("https", "http")
    ):
        raise InvalidRequest(f"{what} {uri!r} must be absolute, without a fragment")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise InvalidRequest(f"{what} {uri!r} must use https")


# The service is its own relying party for the security-info page (/t/{tenant}/account): a
# public client every tenant has, under an id no registered client can take.
ACCOUNT_CLIENT_ID = "account"
ACCOUNT_APP_NAME = N_("Security info")
ACCOUNT_CALLBACK_PATH = "/account/callback"
RESERVED_CLIENT_IDS = frozenset({ACCOUNT_CLIENT_ID})


def account_client(issuer: str) -> Client:
    """The security-info page's built-in client: public (PKCE), its one redirect URI the
    page's own callback under the tenant's issuer."""
    return Client(
        client_id=ACCOUNT_CLIENT_ID,
        name=ACCOUNT_APP_NAME,
        redirect_uris=(issuer + ACCOUNT_CALLBACK_PATH,),
    )


@dataclass(frozen=True)
class SigningKey:
    """A tenant's token signing key: public JWK, sealed private key."""

    kid: str
    public_jwk: dict
    sealed_private_key: bytes
    created_at: int
    active: bool = True
    retired_at: int | None = None

    @property
    def alg(self) -> str:
        """What it signs: its JWK says (keys made before RS256 existed are P-256's ES256)."""
        return self.public_jwk.get("alg", "ES256")

    def published(self, now: int) -> bool:
        """A retired key stays in the JWKS while tokens it signed may still be presented,
        and while containers that cached it may still sign with it."""
        return self.active or (self.retired_at or 0) + KEY_OVERLAP_SECONDS > now


@dataclass(frozen=True)
class Tenant:
    """A tenant: its name, policy, clients and signing keys."""

    tenant_id: str
    name: str
    policy: Policy
    sealed_data_key: bytes | None = None  # None until the service first loads the tenant
    clients: dict[str, Client] = field(default_factory=dict)
    signing_keys: tuple[SigningKey, ...] = ()

    def client(self, client_id: str) -> Client:
        """The client, or InvalidClient saying it is unknown, which the /authorize page shows;
        the token and CIBA endpoints give every failure one answer
        (`client_auth.authenticate_client`). Requests ask `ActiveTenant.client`, which reads
        the tenant again for a client added since it was cached."""
        client = self.clients.get(client_id)
        if client is None:
            raise InvalidClient("Unknown client_id.")
        return client

    @property
    def active_keys(self) -> dict[str, SigningKey]:
        """The key that signs, by algorithm: the newest active one of each."""
        newest: dict[str, SigningKey] = {}
        for key in self.signing_keys:
            if key.active and (
                key.alg not in newest or key.created_at > newest[key.alg].created_at
            ):
                newest[key.alg] = key
        return newest


def validate_tenant_id(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not TENANT_ID.match(tenant_id):
        raise InvalidRequest("tenant id must be 3-32 characters of a-z, 0-9 and '-'")
    return tenant_id
