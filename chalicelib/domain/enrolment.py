"""Setting up a phone: activation codes and the enrolment link that carries one (no I/O).

An activation code is a bearer secret in transit (mail, chat, paper, a QR code on a screen):
long enough to reach the person, short enough that a forgotten one stops working. Only its
hash is stored, and only the account's newest one can be redeemed.

The enrolment link is what the security-info page's QR code encodes:
`{issuer}/enrol#code=XXXX-XXXX-XXXX-XXXX`. The issuer names the service and the tenant; the
code is in the fragment, which a browser never sends, so it reaches no server's log even when
someone opens the link in a browser instead of the authenticator app.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from chalicelib.domain import secret_codes
from chalicelib.domain.tenants import TENANT_ID
from chalicelib.errors import InvalidRequest

DEFAULT_SECONDS = 24 * 3600  # what an administrator's code lasts unless told otherwise
MIN_SECONDS = 5 * 60
MAX_SECONDS = 7 * 24 * 3600
PAGE_SECONDS = 15 * 60  # a code made on the security-info page: the person is at the screen
ENROL_PATH = "/enrol"
MAX_LINK = 512


@dataclass(frozen=True)
class ActivationCode:
    """A single-use code that enrols a phone, stored hashed."""

    tenant_id: str
    code_hash: str
    username: str
    expires_at: int
    used_at: int | None = None


def check_validity(valid_seconds: int) -> int:
    if not MIN_SECONDS <= valid_seconds <= MAX_SECONDS:
        raise InvalidRequest(
            f"an activation code is valid for {MIN_SECONDS} to {MAX_SECONDS} seconds "
            "(5 minutes to 7 days)"
        )
    return valid_seconds


def link(issuer: str, code: str) -> str:
    """The enrolment link for a code: the issuer's /enrol, the code in the fragment."""
    return f"{issuer}{ENROL_PATH}#code={code}"


@dataclass(frozen=True)
class EnrolmentLink:
    """An enrolment link, parsed: whose service, which tenant, which code."""

    issuer: str  # https://signin.example/t/acme
    tenant_id: str
    code: str  # normalised


def parse_link(text: str) -> EnrolmentLink:
    """What an authenticator reads from a link (or a scanned QR code): the issuer, its tenant
    and the code; InvalidRequest naming what is wrong with anything else."""
    text = text.strip() if isinstance(text, str) else ""
    if not text or len(text) > MAX_LINK:
        raise InvalidRequest(f"an enrolment link is 1-{MAX_LINK} characters")
    parts = urlsplit(text)
    head, sep, tenant_id = parts.path.removesuffix(ENROL_PATH).rpartition("/t/")
    if (
        parts.scheme not in ("https", "http")
        or not parts.netloc
        or not parts.path.endswith(ENROL_PATH)
        or not sep
        or not TENANT_ID.match(tenant_id)
        or parts.query
    ):
        raise InvalidRequest("an enrolment link looks like https://HOST/t/TENANT/enrol#code=CODE")
    fields = dict(parse_qsl(parts.fragment))
    code = secret_codes.normalise_activation_code(fields.get("code", ""))
    if code is None:
        raise InvalidRequest("the enrolment link carries no activation code (#code=...)")
    issuer = f"{parts.scheme}://{parts.netloc}{head}/t/{tenant_id}"
    return EnrolmentLink(issuer=issuer, tenant_id=tenant_id, code=code)
