"""Where a request comes from, and when to believe a CDN in front of us about it.

Behind our CloudFront the API sees only CloudFront's address; CloudFront proves itself with
the origin secret (Settings.cloudfront_secret_sha256), and only then are its viewer headers
(the person's address and place) believed. Anyone else's such headers are ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import secrets
from collections.abc import Mapping
from urllib.parse import unquote

from chalice import Response
from chalice.app import Request

from chalicelib.domain import browsers
from chalicelib.domain.signins import Origin
from chalicelib.errors import NotThroughTheEdge
from chalicelib.service import Services
from chalicelib.settings import Settings
from chalicelib.web.bodies import cookies
from chalicelib.web.responses import error_response


def origin(request: Request, svc: Services) -> Origin:
    """Where a request comes from, as the phone will show it: the address, the browser, and
    the place where our CloudFront tells us (it sees the person; the API then sees only
    CloudFront's own address). CloudFront proves itself with the origin secret."""
    identity = (request.context or {}).get("identity") or {}
    ip, place, headers = identity.get("sourceIp"), None, request.headers
    if _from_our_cloudfront(headers, svc.settings.cloudfront_secret_sha256):
        viewer = headers.get("cloudfront-viewer-address") or ""  # "ip:port", IPv6 unbracketed
        with contextlib.suppress(ValueError):  # not an address: keep the one API Gateway saw
            ip = str(ipaddress.ip_address(viewer.rpartition(":")[0]))
        parts = [
            headers.get("cloudfront-viewer-city"),
            headers.get("cloudfront-viewer-country-region-name"),
            headers.get("cloudfront-viewer-country-name")
            or headers.get("cloudfront-viewer-country"),
        ]
        place = ", ".join(unquote(p) for p in parts if p) or None
    return Origin.of(ip, headers.get("user-agent"), place, cookies(request).get(browsers.COOKIE))


def refused(headers: Mapping[str, str], settings: Settings | None) -> Response | None:
    """Behind CloudFront with REQUIRE_ORIGIN_SECRET, the answer to a request that went around
    it: a 403 before any table is read. None: serve the request."""
    if settings is None or not settings.require_origin_secret:
        return None
    if _from_our_cloudfront(headers, settings.cloudfront_secret_sha256):
        return None
    return error_response(NotThroughTheEdge())


def _from_our_cloudfront(headers: Mapping[str, str], secret_sha256: str | None) -> bool:
    """Whether the request carries an origin secret whose digest is one of the configured
    ones (two while a secret is rotated). Every digest is compared, in constant time."""
    sent = headers.get("x-origin-secret")
    if not secret_sha256 or not sent:
        return False
    digest = hashlib.sha256(sent.encode("utf-8", "replace")).hexdigest()
    matches = [secrets.compare_digest(digest, d.strip().lower()) for d in secret_sha256.split(",")]
    return any(matches)
