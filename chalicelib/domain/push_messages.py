"""What a sign-in push says: the notification text and the data the phone needs to answer.

A payload carries what the notification shows and what the phone needs to answer (sign-in id,
the organisation's display name, app, origin, expiry, number choices); no account data: not
the username, which a lock screen would show to whoever holds the phone (the phone's list,
/device/signins, names the account). Its TTL is the sign-in's remaining
lifetime, so a late push is dropped, not shown. The SNS adapter (adapters/sns_push.py) wraps
these payloads in a Publish.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import language
from chalicelib.domain.language import N_

CATEGORY = "SIGNIN_REQUEST"
TITLE = N_("Approve sign-in?")
FROM = N_("from {place}")


@dataclass(frozen=True)
class Challenge:
    """What a sign-in push tells the phone."""

    tenant_id: str
    signin_id: str
    app_name: str
    ip: str
    device: str  # "Chrome on Windows" (useragent.describe), never the raw user agent
    expires_at: int
    choices: tuple[int, ...]
    ttl_seconds: int
    binding_message: str | None = None
    place: str | None = None
    organisation: str = ""  # the tenant's display name, useragent.clean'd

    def title(self, locale: str = language.DEFAULT) -> str:
        return language.translate(locale, TITLE)

    def body(self, locale: str = language.DEFAULT) -> str:
        """What the notification says, in the phone's language."""
        who = f"{self.organisation} · {self.app_name}" if self.organisation else self.app_name
        if self.binding_message:
            return f"{who} · {self.binding_message}"
        where = self.place or self.ip
        return f"{who} · " + language.translate(locale, FROM).replace("{place}", where)

    def data(self) -> dict[str, str]:
        """FCM data values must be strings; APNs gets the same keys."""
        extra = {"binding_message": self.binding_message} if self.binding_message else {}
        extra |= {"place": self.place} if self.place else {}
        return extra | {
            "type": "signin",
            "signin_id": self.signin_id,
            "tenant": self.tenant_id,
            "organisation": self.organisation,
            "app": self.app_name,
            "ip": self.ip,
            "device": self.device,
            "expires_at": str(self.expires_at),
            "choices": ",".join(str(n) for n in self.choices),
        }


def apns_payload(challenge: Challenge, locale: str = language.DEFAULT) -> dict:
    return {
        "aps": {
            "alert": {"title": challenge.title(locale), "body": challenge.body(locale)},
            "category": CATEGORY,
            "sound": "default",
            "interruption-level": "time-sensitive",
        },
        "signin": challenge.data(),
    }


def fcm_payload(challenge: Challenge, locale: str = language.DEFAULT) -> dict:
    return {
        "fcmV1Message": {
            "message": {
                "data": challenge.data(),
                "android": {
                    "priority": "high",
                    "ttl": f"{challenge.ttl_seconds}s",
                    "notification": {
                        "title": challenge.title(locale),
                        "body": challenge.body(locale),
                        "click_action": CATEGORY,
                    },
                },
            }
        }
    }
