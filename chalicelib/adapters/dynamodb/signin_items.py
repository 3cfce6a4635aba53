"""A sign-in and a notice as the sign-ins table stores them, and back."""

from __future__ import annotations

from chalicelib.domain.signins import PHONE_AMR, Notice, Origin, Outcome, SignIn

KEEP_SECONDS = 3600  # ended sign-ins stay an hour for support questions, then TTL removes them


def item_of(signin: SignIn) -> dict:
    return {
        "pk": f"{signin.tenant_id}#{signin.user_key}",
        "sk": signin.signin_id,
        "client_id": signin.client_id,
        "number": signin.number,
        "choices": list(signin.choices),
        "created_at": signin.created_at,
        "expires_at": signin.expires_at,
        "ttl": signin.expires_at + KEEP_SECONDS,
        "binding_hash": signin.binding_hash,
        "code_hash": signin.code_hash,
        "ip": signin.origin.ip,
        "ua": signin.origin.user_agent,
        "device": signin.origin.device,
        "place": signin.origin.place,
        "account_id": signin.account_id,
        "nonce": signin.nonce,
        "code_challenge": signin.code_challenge,
        "redirect_uri": signin.redirect_uri,
        "scope": signin.scope,
        "amr": list(signin.amr),
        "acr": signin.acr,
        "binding_message": signin.binding_message,
        "resets_failures": signin.resets_failures or None,
        "outcome": signin.outcome.value if signin.outcome else None,
        "decided_at": signin.decided_at,
        "session_id": signin.session_id,
        "auth_time": signin.auth_time,
    }


def notice_of(item: dict) -> Notice:
    kind, _, key = item["sk"][17:].partition("~")
    return Notice(
        kind=kind,
        at=item["at"],
        account_id=item.get("account_id"),
        key=key or None,
        detail=item.get("detail", {}),
    )


def signin_of(tenant_id: str, item: dict) -> SignIn:
    return SignIn(
        tenant_id=tenant_id,
        signin_id=item["sk"],
        client_id=item["client_id"],
        number=item.get("number"),
        choices=tuple(item["choices"]),
        created_at=item["created_at"],
        expires_at=item["expires_at"],
        binding_hash=item["binding_hash"],
        code_hash=item["code_hash"],
        origin=Origin(
            ip=item["ip"], user_agent=item["ua"], device=item["device"], place=item.get("place")
        ),
        account_id=item.get("account_id"),
        nonce=item.get("nonce"),
        code_challenge=item.get("code_challenge"),
        redirect_uri=item.get("redirect_uri"),
        scope=item.get("scope", "openid"),  # sign-ins stored before scopes were recorded
        amr=tuple(item.get("amr", PHONE_AMR)),
        acr=item.get("acr"),
        binding_message=item.get("binding_message"),
        resets_failures=item.get("resets_failures", False),
        outcome=Outcome(item["outcome"]) if "outcome" in item else None,
        decided_at=item.get("decided_at"),
        decided_by=item.get("decided_by"),
        redeemed_at=item.get("redeemed_at"),
        session_id=item.get("session_id"),
        auth_time=item.get("auth_time"),
    )
