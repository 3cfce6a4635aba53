"""The phone simulator: a phone-shaped page that plays the reference authenticator in a
browser tab (WebCrypto keys, PIN-locked). For the local demo only: it is a blueprint the
demo adds to the app at start-up, so it is never in a deployed package."""

from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.web.page import CSP

HERE = Path(__file__).parent
FILES = {
    "phone.html": "text/html; charset=utf-8",
    "phone.js": "text/javascript; charset=utf-8",
    "phone.css": "text/css; charset=utf-8",
}
blueprint = Blueprint(__name__)


def _file(name: str) -> Response:
    headers = {
        "Content-Type": FILES[name],
        "Cache-Control": "no-store",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=(HERE / name).read_text(), status_code=200, headers=headers)


@blueprint.route("/phone", methods=["GET"])
def phone_page():
    return _file("phone.html")


@blueprint.route("/phone/{name}", methods=["GET"])
def phone_asset(name):
    if name not in FILES:
        return Response(body="", status_code=404)
    return _file(name)
