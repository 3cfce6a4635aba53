"""The phone's life cycle: enrol with an activation code, register push, set its language,
unregister."""

from __future__ import annotations

from chalicelib.domain import envelope, language, proofs, secret_codes, totp
from chalicelib.domain.accounts import AccountKind, DeviceSummary, user_key
from chalicelib.domain.devices import (
    INSTALLATION_ID,
    MAX_PUSH_TOKEN,
    PUSH_TOKEN,
    Device,
    Platform,
    parse_public_jwk,
    public_key_from_jwk,
    push_channel,
    thumbprint,
)
from chalicelib.domain.ports import PlatformEndpoint
from chalicelib.domain.signins import NOTICE_SECONDS, Notice
from chalicelib.errors import (
    DeviceAlreadyEnrolled,
    InvalidActivationCode,
    InvalidRequest,
    PushUnavailable,
    ScreenLockRequired,
    WorkAccountAlreadyEnrolled,
)
from chalicelib.service import Services
from chalicelib.usecases import sso
from chalicelib.usecases.device_auth import authenticate_device, field, spend
from chalicelib.usecases.tenant_directory import totp_context


def enrol(svc: Services, tenant_id: str, token: object) -> dict:
    """Redeem an activation code for a phone's public key.

    The proof is signed by the key being enrolled (its JWK is in the header), so nobody can
    enrol a key they do not hold. Code, device, account, the one-work-account-per-phone
    claim and the hold on the push endpoint are written in one transaction: all happen, or
    none. The account write requires the code to be the account's newest and the account
    to be enabled, so a revoked code, or one whose account was disabled meanwhile, changes
    nothing.
    """
    tenant = svc.directory.get(tenant_id)
    header = proofs.unverified_header(token, proofs.ENROL_TYP)
    jwk = parse_public_jwk(header.get("jwk"))
    assert isinstance(token, str)
    claims = proofs.verify(token, header, public_key_from_jwk(jwk), tenant.issuer, svc.now()).claims
    if claims.get("screen_lock") is not True:
        raise ScreenLockRequired()
    platform = _platform(claims)
    installation_id = field(claims, "installation_id", str, max_len=128)
    if not INSTALLATION_ID.match(installation_id):
        raise InvalidRequest("installation_id must be 8-128 characters of A-Z a-z 0-9 . _ -")
    push_token = _push_token(claims)
    sandbox = claims.get("apns_sandbox") is True
    locale = _locale(claims)

    code = secret_codes.normalise_activation_code(field(claims, "activation_code", str, max_len=64))
    now = svc.now()
    record = svc.activation_codes.get(tenant_id, secret_codes.hash_secret(code)) if code else None
    if record is None or record.used_at is not None or record.expires_at <= now:
        raise InvalidActivationCode()
    account = svc.accounts.get(tenant_id, record.username, consistent=True)
    if account is None:
        raise InvalidActivationCode()
    if account.disabled:
        raise InvalidActivationCode("This account is disabled; ask your administrator.")

    device_id = thumbprint(jwk)
    # Refuse the usual conflicts before touching SNS.
    if svc.devices.get(tenant_id, device_id) is not None:
        raise DeviceAlreadyEnrolled()
    if account.kind is AccountKind.WORK and svc.installations.is_claimed(installation_id):
        raise WorkAccountAlreadyEnrolled()
    secret = totp.new_secret(svc.rng)
    channel: str | None = None
    endpoint: PlatformEndpoint | None = None
    if push_token:
        channel = push_channel(platform, sandbox)
        if not svc.push.supports(channel):
            raise PushUnavailable()
        # An existing endpoint for the token is left as it is until the transaction holds it.
        endpoint = svc.push.endpoint_for(channel, push_token, device_id)
    endpoint_arn = endpoint.arn if endpoint else None
    device = Device(
        tenant_id=tenant_id,
        device_id=device_id,
        username=account.username,
        account_id=account.account_id,
        kind=account.kind,
        platform=platform,
        public_jwk=jwk,
        installation_id=installation_id,
        sealed_totp_secret=envelope.seal(
            tenant.data_key, secret, totp_context(tenant_id, device_id), svc.rng
        ),
        created_at=now,
        push_channel=channel,
        push_token=push_token,
        endpoint_arn=endpoint_arn,
        locale=locale,
    )
    writes = [
        svc.activation_codes.redeem(tenant_id, record.code_hash, now),
        svc.devices.add(device),
        svc.accounts.attach_device(
            tenant_id,
            account.username,
            device_id,
            DeviceSummary(channel, endpoint_arn, locale),
            code_hash=record.code_hash,
        ),
    ]
    if account.kind is AccountKind.WORK:
        writes.append(svc.installations.claim(installation_id, tenant_id, device_id))
    if endpoint_arn:
        writes.append(
            svc.installations.hold_endpoint(endpoint_arn, installation_id, tenant_id, device_id)
        )
    try:
        svc.transact(writes)
    except Exception:
        # No hold was taken. Delete only an endpoint made just now that nobody holds: the
        # token's endpoint may be another registration's, even this very key's (enrolled twice).
        if endpoint and not endpoint.existing and not svc.installations.is_held(endpoint.arn):
            svc.push.delete_endpoint(endpoint.arn)
        raise
    if endpoint and endpoint.existing:
        svc.push.enable_endpoint(endpoint.arn, device_id)
    svc.record(
        tenant_id, "device_enrolled", account=account.account_id, device=device_id,
        detail={"platform": platform.value, "push": endpoint is not None},
    )  # fmt: skip
    # The account's other phones are told: a phone added by someone else is seen at once.
    notice = Notice(
        kind="device_enrolled", at=now, account_id=account.account_id, key=device_id,
        detail={"platform": platform.value},
    )  # fmt: skip
    svc.signins.notify(tenant_id, user_key(account.username), notice, NOTICE_SECONDS)
    return {
        "device_id": device_id,
        "username": account.username,
        "account_kind": account.kind.value,
        "issuer": tenant.issuer,
        "push": endpoint is not None,
        "totp_secret": totp.base32(secret),
        "totp_uri": totp.otpauth_uri(secret, tenant.tenant.name, account.username),
    }


def _platform(claims: dict) -> Platform:
    try:
        return Platform(claims.get("platform", ""))
    except ValueError as err:
        raise InvalidRequest("platform must be ios or android") from err


def _push_token(claims: dict) -> str | None:
    token = field(claims, "push_token", str, required=False, max_len=MAX_PUSH_TOKEN)
    if token is not None and not PUSH_TOKEN.match(token):
        raise InvalidRequest("push_token must be printable ASCII without spaces")
    return token


def _locale(claims: dict) -> str | None:
    """The phone's language tag, kept as sent: a language offered later then reaches the
    phones that asked for it already."""
    tag = field(claims, "locale", str, required=False, max_len=language.MAX_TAG)
    if tag is not None and not language.TAG.match(tag):
        raise InvalidRequest("locale must be a language tag such as nl-NL or en")
    return tag


def register_push(svc: Services, tenant_id: str, token: object) -> dict:
    """Upgrade a phone to push, or move it to a new token; re-enables an endpoint SNS disabled.

    A new token never changes the old endpoint in place (another registration may share
    it): the phone takes hold of the new token's endpoint, then lets go of the old one.
    """
    tenant = svc.directory.get(tenant_id)
    device, proof = authenticate_device(svc, tenant, token, proofs.REQUEST_TYP, "push-token")
    push_token = _push_token(proof.claims)
    if push_token is None:
        raise InvalidRequest("push_token is required")
    channel = push_channel(device.platform, proof.claims.get("apns_sandbox") is True)
    if not svc.push.supports(channel):
        raise PushUnavailable()
    spend(svc, tenant, device, proof)
    if device.endpoint_arn and (device.push_channel, device.push_token) == (channel, push_token):
        endpoint_arn = device.endpoint_arn  # the same token: this phone holds the endpoint
        svc.push.enable_endpoint(endpoint_arn, device.device_id)
    else:
        endpoint_arn = _take_endpoint(svc, device, channel, push_token)
    svc.devices.set_push(tenant_id, device.device_id, channel, push_token, endpoint_arn)
    summary = DeviceSummary(channel, endpoint_arn, device.locale)
    svc.accounts.set_device(tenant_id, device.username, device.device_id, summary)
    if device.endpoint_arn and device.endpoint_arn != endpoint_arn:
        _drop_endpoint(svc, device.endpoint_arn, tenant_id, device.device_id)
    return {"device_id": device.device_id, "push": True}


def _take_endpoint(svc: Services, device: Device, channel: str, push_token: str) -> str:
    """Create or adopt the endpoint for a token and hold it (PushTokenInUse when another
    installation holds it); an existing endpoint is changed only once this phone holds it."""
    endpoint = svc.push.endpoint_for(channel, push_token, device.device_id)
    hold = svc.installations.hold_endpoint(
        endpoint.arn, device.installation_id, device.tenant_id, device.device_id
    )
    svc.transact([hold])
    if endpoint.existing:
        svc.push.enable_endpoint(endpoint.arn, device.device_id)
    return endpoint.arn


def set_locale(svc: Services, tenant_id: str, token: object) -> dict:
    """The phone's language changed: its pushes follow it. The device record and the
    account's summary of the phone (what a sign-in reads to push) change in one transaction."""
    tenant = svc.directory.get(tenant_id)
    device, proof = authenticate_device(svc, tenant, token, proofs.REQUEST_TYP, "locale")
    locale = _locale(proof.claims)
    if locale is None:
        raise InvalidRequest("locale is required")
    spend(svc, tenant, device, proof)
    svc.transact(
        [
            svc.devices.set_locale(tenant_id, device.device_id, locale),
            svc.accounts.set_device_locale(tenant_id, device.username, device.device_id, locale),
        ]
    )
    return {
        "device_id": device.device_id,
        "locale": locale,
        "language": language.negotiate(None, locale),
    }


def unregister(svc: Services, tenant_id: str, token: object) -> dict:
    """Remove the account from the phone: the device record, its claim and its SNS endpoint."""
    tenant = svc.directory.get(tenant_id)
    device, proof = authenticate_device(svc, tenant, token, proofs.REQUEST_TYP, "unregister")
    spend(svc, tenant, device, proof)
    return remove_device(svc, device, actor=device.device_id)


def remove_device(svc: Services, device: Device, actor: str) -> dict:
    """Unregistered by the phone, or revoked by an administrator: the same clean-up."""
    tenant_id = device.tenant_id
    writes = [
        svc.devices.remove(tenant_id, device.device_id),
        svc.accounts.detach_device(tenant_id, device.username, device.device_id),
    ]
    if device.kind is AccountKind.WORK:
        writes.append(
            svc.installations.release(device.installation_id, tenant_id, device.device_id)
        )
    svc.transact(writes)
    if device.endpoint_arn:
        _drop_endpoint(svc, device.endpoint_arn, tenant_id, device.device_id)
    svc.record(
        tenant_id, "device_removed", account=device.account_id, device=device.device_id,
        actor=actor,
    )  # fmt: skip
    # Browsers this phone signed in are signed out at once (their apps are told).
    sso.end_for_account(svc, tenant_id, device.account_id, "device_removed", device.device_id)
    return {"device_id": device.device_id, "removed": True}


def _drop_endpoint(svc: Services, endpoint_arn: str, tenant_id: str, device_id: str) -> None:
    """Let go of a push endpoint; delete it in SNS only if no other registration uses it."""
    if svc.installations.release_endpoint(endpoint_arn, tenant_id, device_id):
        svc.push.delete_endpoint(endpoint_arn)
