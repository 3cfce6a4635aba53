"""The device API from the phone's side: every call is one signed proof (compact JWS, ES256).

    enrol      typ device-enrol+jwt, header carries the new public key as `jwk`
    respond    typ signin-response+jwt, header `kid` = device id
    others     typ device-request+jwt, header `kid`, claim `act` names the call

Every payload has `aud` (the tenant's issuer), `iat` and a fresh `jti`. Signatures are
`R || S` with S in the lower half of the group: the service accepts no other.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

Transport = Callable[[str, dict], tuple[int, dict]]

# n, the order of the P-256 group (FIPS 186-4 D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def device_id(key: ec.EllipticCurvePrivateKey) -> str:
    """RFC 7638 thumbprint of the public key: the id the service knows this phone by."""
    canonical = json.dumps(public_jwk(key), separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def low_s(signature: bytes) -> bytes:
    """The same ES256 signature `R || S` with S in the lower half: if (r, s) verifies, so does
    (r, n - s), and the service accepts only the one with s <= n/2. Platform APIs (iOS
    SecKeyCreateSignature, Android Signature, `cryptography`) return either."""
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    return r.to_bytes(32, "big") + min(s, P256_ORDER - s).to_bytes(32, "big")


def es256(key: ec.EllipticCurvePrivateKey, signing_input: bytes) -> bytes:
    """The JWS signature of `signing_input` (RFC 7518 3.4): `R || S`, 32 bytes each, low S."""
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return low_s(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def jws(key: ec.EllipticCurvePrivateKey, header: dict, payload: dict | bytes) -> str:
    """A compact JWS signed ES256 by `key`, its header `alg` and exactly the members given."""
    if isinstance(payload, dict):
        payload = json.dumps(payload, separators=(",", ":")).encode()
    protected = json.dumps({"alg": "ES256", **header}, separators=(",", ":")).encode()
    signing_input = f"{b64url(protected)}.{b64url(payload)}"
    return f"{signing_input}.{b64url(es256(key, signing_input.encode('ascii')))}"


def sign(
    key: ec.EllipticCurvePrivateKey,
    typ: str,
    claims: dict,
    *,
    audience: str,
    now: int | None = None,
    embed_jwk: bool = False,
) -> str:
    header = {"typ": typ}
    if embed_jwk:
        header["jwk"] = public_jwk(key)
    else:
        header["kid"] = device_id(key)
    payload = {
        "aud": audience,
        "iat": int(time.time()) if now is None else now,
        "jti": b64url(secrets.token_bytes(16)),
        **claims,
    }
    return jws(key, header, payload)


def http_transport(base_url: str) -> Transport:
    """POST JSON to the service; return (status, body) whatever the status."""

    def post(path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            base_url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "reference-authenticator"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")

    return post


class DeviceApi:
    """One phone's calls to one tenant."""

    def __init__(
        self, transport: Transport, tenant: str, issuer: str, clock: Callable[[], float] = time.time
    ):
        self._post = transport
        self._clock = clock
        self._base = f"/t/{tenant}/device"
        self.issuer = issuer

    def enrol(
        self,
        key,
        *,
        activation_code: str,
        platform: str,
        installation_id: str,
        screen_lock: bool = True,
        push_token: str | None = None,
        locale: str | None = None,
    ) -> tuple[int, dict]:
        """`locale`: the phone's language as its system reports it ("nl-NL"), for the push
        text; None leaves it to the service's default (English)."""
        claims = {
            "activation_code": activation_code,
            "platform": platform,
            "installation_id": installation_id,
            "screen_lock": screen_lock,
        }
        if push_token:
            claims["push_token"] = push_token
        if locale is not None:
            claims["locale"] = locale
        proof = sign(
            key, "device-enrol+jwt", claims, audience=self.issuer, now=self._now(), embed_jwk=True
        )
        return self._post(f"{self._base}/enrol", {"proof": proof})

    def pending(self, key, number: int | None = None) -> tuple[int, dict]:
        """The sign-ins waiting for this phone; with the six-digit `number` its person read off
        a page that sent no notification, the held sign-in with that number too."""
        extra = {} if number is None else {"number": number}
        return self._request(key, "signins", "pending", **extra)

    def respond(self, key, signin_id: str, decision: str, number: int | None = None):
        claims = {"sid": signin_id, "decision": decision}
        if number is not None:
            claims["number"] = number
        proof = sign(key, "signin-response+jwt", claims, audience=self.issuer, now=self._now())
        return self._post(f"{self._base}/respond", {"proof": proof})

    def register_push(self, key, push_token: str) -> tuple[int, dict]:
        return self._request(key, "push-token", "push-token", push_token=push_token)

    def set_locale(self, key, locale: str) -> tuple[int, dict]:
        """The phone's language changed (a BCP 47 tag such as "nl-NL"): pushes follow it."""
        return self._request(key, "locale", "locale", locale=locale)

    def unregister(self, key) -> tuple[int, dict]:
        return self._request(key, "unregister", "unregister")

    def _now(self) -> int:
        return int(self._clock())

    def _request(self, key, path: str, act: str, **claims) -> tuple[int, dict]:
        proof = sign(
            key, "device-request+jwt", {"act": act, **claims}, audience=self.issuer, now=self._now()
        )
        return self._post(f"{self._base}/{path}", {"proof": proof})
