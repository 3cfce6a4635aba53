"""The phone simulator: a phone-shaped page that plays the reference authenticator in a
browser tab (WebCrypto keys, PIN-locked). For the local demo only: it is a blueprint the
demo adds to the app at start-up, so it is never in a deployed package.

It speaks the sign-in page's languages, from the same catalogs (chalicelib/locales): the
page is a template filled as the sign-in page's are, in the language of `?ui_locales=`, else
the browser's Accept-Language; its script's sentences come in a data-text attribute (text.py).
"""

from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.domain import language
from chalicelib.web import page
from tools.simulator import text

HERE = Path(__file__).parent
ASSETS = {
    "phone.js": "text/javascript; charset=utf-8",
    "phone.css": "text/css; charset=utf-8",
}
blueprint = Blueprint(__name__)


def _response(body: str, content_type: str) -> Response:
    headers = {
        "Content-Type": content_type,
        "Cache-Control": "no-store",
        "Content-Security-Policy": page.CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body=body, status_code=200, headers=headers)


@blueprint.route("/phone", methods=["GET"])
def phone_page():
    request = blueprint.current_request
    query = request.query_params or {}
    locale = language.negotiate(request.headers.get("accept-language"), query.get("ui_locales"))
    body = page.render_file(
        HERE / "phone.html",
        locale,
        lang=locale,
        languages=page.language_switch(locale, query),
        text=text.script_text(locale),
    )
    return _response(body, "text/html; charset=utf-8")


@blueprint.route("/phone/{name}", methods=["GET"])
def phone_asset(name):
    if name not in ASSETS:
        return Response(body="", status_code=404)
    return _response((HERE / name).read_text(), ASSETS[name])
