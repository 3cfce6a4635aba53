"""Domain errors, named after what went wrong (and after the spec code where one exists).

Each carries its HTTP status, machine-readable code and the headers its answer needs;
web/responses.py turns them into responses.
"""


class ServiceError(Exception):
    status = 400
    code = "invalid_request"
    description = "The request is not valid."

    def __init__(self, description: str | None = None):
        super().__init__(description or self.description)
        self.description = description or self.description

    def headers(self) -> dict[str, str]:
        return {}


class InvalidRequest(ServiceError):
    pass


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"
    description = "The request body is too large."


class NotFound(ServiceError):
    status = 404
    code = "not_found"
    description = "No such resource."


class UnknownTenant(NotFound):
    code = "unknown_tenant"
    description = "No such tenant."


class PhoneSignInDisabled(ServiceError):
    status = 403
    code = "phone_signin_disabled"
    description = "Phone sign-in is not enabled for this organisation; use your password."


class InvalidClient(ServiceError):
    status = 401
    code = "invalid_client"
    description = "Client authentication failed."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="token"'}


class InvalidGrant(ServiceError):
    code = "invalid_grant"
    description = "The authorization code is invalid, expired or already used."


class UnsupportedGrantType(ServiceError):
    code = "unsupported_grant_type"
    description = "Supported grants: authorization_code and urn:openid:params:grant-type:ciba."


class InvalidBinding(ServiceError):
    status = 403
    code = "invalid_binding"
    description = "This sign-in belongs to another browser or client."


class InvalidActivationCode(ServiceError):
    code = "invalid_activation_code"
    description = "The activation code is unknown, expired or already used."


class ScreenLockRequired(ServiceError):
    code = "screen_lock_required"
    description = "Phone sign-in needs a phone with a screen lock (PIN, pattern or biometrics)."


class WorkAccountAlreadyEnrolled(ServiceError):
    status = 409
    code = "work_account_already_enrolled"
    description = "This phone already holds a work or school account; remove it first."


class DeviceAlreadyEnrolled(ServiceError):
    status = 409
    code = "device_already_enrolled"
    description = "This key is already enrolled."


class InvalidDeviceProof(ServiceError):
    status = 401
    code = "invalid_device_proof"
    description = "The device signature is missing, malformed or does not verify."


class SignInClosed(ServiceError):
    status = 409
    code = "signin_closed"
    description = "This sign-in is no longer waiting for an answer."


class WrongNumber(ServiceError):
    status = 409
    code = "wrong_number"
    description = "That is not the number shown on the sign-in page; this sign-in has failed."


class PushUnavailable(ServiceError):
    code = "push_unavailable"
    description = "Push notifications are not configured for this platform."


class InvalidScope(ServiceError):
    code = "invalid_scope"
    description = "The scope must include openid."


class UnauthorizedClient(ServiceError):
    code = "unauthorized_client"
    description = "This client may not use this grant."


class AuthorizationPending(ServiceError):
    code = "authorization_pending"
    description = "The person has not answered yet."


class SlowDown(ServiceError):
    code = "slow_down"
    description = "Polling too fast; wait the interval (now 5 seconds longer)."


class ExpiredToken(ServiceError):
    code = "expired_token"
    description = "The request expired before it was answered."


class AccessDenied(ServiceError):
    status = 400
    code = "access_denied"
    description = "The person denied the request."


class InvalidBindingMessage(ServiceError):
    code = "invalid_binding_message"
    description = "binding_message must be 1-64 printable characters."


class InvalidCredentials(ServiceError):
    status = 401
    code = "invalid_credentials"
    description = "The username or password is incorrect."


class TooManyAttempts(ServiceError):
    status = 429
    code = "too_many_attempts"
    description = "Too many attempts. Wait a few minutes, then try again."

    def __init__(self, retry_after: int | None = None):
        if retry_after is None:
            super().__init__()
        elif retry_after < 120:
            unit = "second" if retry_after == 1 else "seconds"
            super().__init__(f"Too many attempts. Try again in {retry_after} {unit}.")
        else:
            super().__init__(f"Too many attempts. Try again in {-(-retry_after // 60)} minutes.")
        self.retry_after = retry_after  # seconds, sent as Retry-After where known

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class SecondStepUnavailable(ServiceError):
    status = 403
    code = "second_step_unavailable"
    description = (
        "Your organisation requires two-step verification, and this account has no phone set "
        "up. Ask your administrator for an activation code."
    )


class RecoveryUnavailable(ServiceError):
    status = 403
    code = "recovery_unavailable"
    description = (
        "Your organisation requires two-step verification, which a recovery code alone is "
        "not. Sign in another way, or ask your administrator for an activation code."
    )


class PasskeysDisabled(ServiceError):
    status = 403
    code = "passkeys_disabled"
    description = "Passkeys are not enabled for this organisation; sign in another way."


class InvalidPasskey(ServiceError):
    """A WebAuthn response that does not verify (origin, RP ID, challenge, flags, signature,
    counter), or a passkey this service does not know for this account."""

    status = 401
    code = "invalid_passkey"
    description = "The passkey could not be verified."


class InvalidToken(ServiceError):
    status = 401
    code = "invalid_token"
    description = "The access token is invalid or expired."
    no_token = "An access token is required."  # noqa: S105 - a message

    def headers(self) -> dict[str, str]:
        # RFC 6750 3.1: no error code when the request carried no token at all.
        if self.description == self.no_token:
            return {"WWW-Authenticate": "Bearer"}
        return {"WWW-Authenticate": bearer_challenge(self.code, self.description)}


class InvalidBearerRequest(InvalidRequest):
    """A protected resource's request that is malformed (RFC 6750 3.1): say so in the challenge."""

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": bearer_challenge(self.code, self.description)}


def bearer_challenge(code: str, description: str) -> str:
    """RFC 6750 3: the Bearer challenge. Descriptions are ours, printable ASCII without `"` or
    `\\` (3: %x20-21 / %x23-5B / %x5D-7E), so they need no escaping."""
    return f'Bearer error="{code}", error_description="{description}"'


class CrossSiteRequest(ServiceError):
    status = 403
    code = "cross_site_request"
    description = "This request did not come from the sign-in page."


class InvalidCode(ServiceError):
    status = 401
    code = "invalid_code"
    description = "That verification code is not right. Check the app and try again."


class TemporarilyUnavailable(ServiceError):
    """AWS throttled the service or could not be reached, after the clients' own retries."""

    status = 503
    code = "temporarily_unavailable"  # RFC 6749 4.1.2.1
    description = "The service is busy. Try again in a few seconds."
    retry_after_seconds = "2"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": self.retry_after_seconds}


class PushTokenInUse(ServiceError):
    """The push token's SNS endpoint is held by another app installation: taking it over
    would send that phone's sign-ins elsewhere (or this phone's to it)."""

    status = 409
    code = "push_token_in_use"
    description = (
        "This push token is registered by another installation of the app. Enrol without "
        "push and poll, or ask your administrator to revoke that installation's phones."
    )


class NotThroughTheEdge(ServiceError):
    """Behind CloudFront (REQUIRE_ORIGIN_SECRET), a request without the origin secret went
    around the edge, and with it around AWS WAF's rate limits."""

    status = 403
    code = "not_through_the_edge"
    description = "Use the service's public address."
