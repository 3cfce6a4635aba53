"""Routes only: parse the request, call one use case, return its answer."""

from chalice.app import Request

from chalicelib import contract, service
from chalicelib.usecases import (
    ciba,
    device_api,
    oidc,
    passkeys,
    password_signin,
    phone_answers,
    phone_signin,
    recovery_codes,
    token_endpoint,
)
from chalicelib.web import (
    account_page,
    bodies,
    gateway_events,
    hosted_page,
    logout_page,
    middleware,
)
from chalicelib.web.account_session import html_view
from chalicelib.web.chalice_app import App
from chalicelib.web.origin_trust import origin
from chalicelib.web.responses import json_view

app = App(app_name="phone-signin")
middleware.bind(app)
T = "/t/{tenant_id}"
FORM = ["application/x-www-form-urlencoded"]


def current_request() -> Request:
    """The request a view answers (Chalice sets it before calling the view)."""
    if app.current_request is None:
        raise RuntimeError("no request is being handled")
    return app.current_request


def body(schema: str) -> dict:
    """The request's JSON body, checked against the named schema of openapi.json."""
    return bodies.json_body(current_request(), schema)


# OpenID Connect


@app.route(T + "/.well-known/openid-configuration", methods=["GET"])
@json_view
def openid_configuration(tenant_id):
    return oidc.discovery(service.get(), tenant_id), oidc.DISCOVERY_CACHING


@app.route(T + "/jwks.json", methods=["GET"])
@json_view
def jwks(tenant_id):
    return oidc.jwks(service.get(), tenant_id), oidc.JWKS_CACHING


@app.route(T + "/authorize", methods=["GET"])
def authorize(tenant_id):
    request = current_request()
    return hosted_page.authorize_page(
        service.get(), tenant_id, request, lambda: bodies.query(request)
    )


@app.route(T + "/authorize", methods=["POST"], content_types=FORM)
def authorize_by_post(tenant_id):
    request = current_request()
    return hosted_page.authorize_page(
        service.get(), tenant_id, request, lambda: bodies.form_params(request, "AuthorizeForm")
    )


@app.route(T + "/token", methods=["POST"], content_types=FORM)
@json_view
def token(tenant_id):
    request = current_request()
    form = bodies.form_body(request, "TokenForm")
    return token_endpoint.token(
        service.get(), tenant_id, form, request.headers.get("authorization")
    )


@app.route(T + "/bc-authorize", methods=["POST"], content_types=FORM)
@json_view
def backchannel_authorize(tenant_id):
    request = current_request()
    form, auth = bodies.form_body(request, "CibaForm"), request.headers.get("authorization")
    return ciba.backchannel_authorize(
        service.get(), tenant_id, form, auth, origin(request, service.get())
    )


@app.route(T + "/userinfo", methods=["GET", "POST"], content_types=bodies.OPTIONAL_FORM)
@json_view
def userinfo(tenant_id):
    request = current_request()
    form = bodies.optional_form_body(request, "UserinfoForm") if request.method == "POST" else None
    return oidc.userinfo(service.get(), tenant_id, request.headers.get("authorization"), form)


@app.route(T + "/logout", methods=["GET"])
@logout_page.html_errors(current_request)
def end_session(tenant_id):
    request = current_request()
    return logout_page.logout_page(service.get(), tenant_id, request, bodies.query(request))


@app.route(T + "/logout", methods=["POST"], content_types=FORM)
@logout_page.html_errors(current_request)
def end_session_form(tenant_id):
    request = current_request()
    form = bodies.form_body(request, "LogoutForm")
    return logout_page.logout_page(service.get(), tenant_id, request, form)


# The sign-in page's calls


@app.route("/", methods=["GET"])
def home():
    return hosted_page.home(current_request())


@app.route("/favicon.ico", methods=["GET"])
def favicon():
    return hosted_page.favicon()


@app.route("/openapi.json", methods=["GET"])
@json_view
def openapi():
    return contract.document()


@app.route("/static/{name}", methods=["GET"])
def static(name):
    return hosted_page.static(name)


@app.route(T + "/signin", methods=["POST"])
@json_view
def start_signin(tenant_id):
    request = hosted_page.from_page(current_request(), service.get())
    start = phone_signin.StartRequest.parse(body("StartSignIn"))
    return phone_signin.start(service.get(), tenant_id, start, origin(request, service.get()))


@app.route(T + "/signin/{signin_id}/result", methods=["POST"])
@json_view
def signin_result(tenant_id, signin_id):
    request = hosted_page.from_page(current_request(), service.get())
    answer = phone_signin.result(
        service.get(), tenant_id, signin_id, body("BindingSecret")["secret"]
    )
    return answer, hosted_page.remember(service.get(), tenant_id, request, answer)


@app.route(T + "/signin/{signin_id}/cancel", methods=["POST"])
@json_view
def cancel_signin(tenant_id, signin_id):
    hosted_page.from_page(current_request(), service.get())
    return phone_signin.cancel(service.get(), tenant_id, signin_id, body("BindingSecret")["secret"])


@app.route(T + "/password", methods=["POST"])
@json_view
def sign_in_with_password(tenant_id):
    request = hosted_page.from_page(current_request(), service.get(), csrf=True)
    answer = password_signin.sign_in(
        service.get(),
        tenant_id,
        password_signin.PasswordRequest.parse(body("PasswordSignIn")),
        origin(request, service.get()),
    )
    return answer, hosted_page.remember(service.get(), tenant_id, request, answer)


@app.route(T + "/recovery", methods=["POST"])
@json_view
def sign_in_with_recovery_code(tenant_id):
    request = hosted_page.from_page(current_request(), service.get(), csrf=True)
    answer = recovery_codes.sign_in(
        service.get(),
        tenant_id,
        recovery_codes.RecoveryRequest.parse(body("RecoverySignIn")),
        origin(request, service.get()),
    )
    return answer, hosted_page.remember(service.get(), tenant_id, request, answer)


@app.route(T + "/passkey/options", methods=["POST"])
@json_view
def passkey_options(tenant_id):
    hosted_page.from_page(current_request(), service.get())
    body("PasskeyOptionsRequest")
    return passkeys.assertion_options(service.get(), tenant_id)


@app.route(T + "/passkey", methods=["POST"])
@json_view
def sign_in_with_passkey(tenant_id):
    request = hosted_page.from_page(current_request(), service.get(), csrf=True)
    answer = passkeys.sign_in(
        service.get(),
        tenant_id,
        passkeys.PasskeyRequest.parse(body("PasskeySignIn")),
        origin(request, service.get()),
    )
    return answer, hosted_page.remember(service.get(), tenant_id, request, answer)


@app.route(T + "/signin/{signin_id}/code", methods=["POST"])
@json_view
def second_step_code(tenant_id, signin_id):
    request = hosted_page.from_page(current_request(), service.get(), csrf=True)
    answer = password_signin.second_step_code(
        service.get(), tenant_id, signin_id, body("SecondStepCode"), origin(request, service.get())
    )
    return answer, hosted_page.remember(service.get(), tenant_id, request, answer)


# The security-info page (web/account_page.py): the person's own sign-in methods


@app.route(T + "/account", methods=["GET"])
@html_view(current_request)
def account(tenant_id):
    return account_page.home(service.get(), tenant_id, current_request())


@app.route(T + "/account/callback", methods=["GET"])
@html_view(current_request)
def account_callback(tenant_id):
    return account_page.callback(service.get(), tenant_id, current_request())


@app.route(T + "/account/phones", methods=["POST"], content_types=FORM)
@html_view(current_request)
def account_add_phone(tenant_id):
    request = current_request()
    form = bodies.form_body(request, "AccountChange")
    return account_page.add_phone(service.get(), tenant_id, request, form)


@app.route(T + "/account/phones/{device_id}/remove", methods=["POST"], content_types=FORM)
@html_view(current_request)
def account_remove_phone(tenant_id, device_id):
    request = current_request()
    form = bodies.form_body(request, "AccountChange")
    return account_page.remove_phone(service.get(), tenant_id, request, form, device_id)


@app.route(T + "/account/recovery-codes", methods=["POST"], content_types=FORM)
@html_view(current_request)
def account_recovery_codes(tenant_id):
    request = current_request()
    form = bodies.form_body(request, "AccountChange")
    return account_page.new_recovery_codes(service.get(), tenant_id, request, form)


@app.route(T + "/account/passkeys/options", methods=["POST"])
@json_view
def account_passkey_options(tenant_id):
    body("AccountPasskeyOptions")
    return account_page.passkey_options(service.get(), tenant_id, current_request())


@app.route(T + "/account/passkeys", methods=["POST"])
@json_view
def account_add_passkey(tenant_id):
    return account_page.add_passkey(
        service.get(), tenant_id, current_request(), body("AccountPasskey")
    )


@app.route(T + "/account/passkeys/{credential_id}/remove", methods=["POST"], content_types=FORM)
@html_view(current_request)
def account_remove_passkey(tenant_id, credential_id):
    request = current_request()
    form = bodies.form_body(request, "AccountChange")
    return account_page.remove_passkey(service.get(), tenant_id, request, form, credential_id)


@app.route(T + "/enrol", methods=["GET"])
@html_view(current_request)
def enrolment_link(tenant_id):
    return account_page.enrol_page(service.get(), tenant_id, current_request())


# The device API (the phone's calls; each carries a proof signed by the device key)


@app.route(T + "/device/enrol", methods=["POST"])
@json_view
def enrol(tenant_id):
    return device_api.enrol(service.get(), tenant_id, body("DeviceProof").get("proof"))


@app.route(T + "/device/signins", methods=["POST"])
@json_view
def pending_signins(tenant_id):
    return phone_answers.pending(service.get(), tenant_id, body("DeviceProof").get("proof"))


@app.route(T + "/device/respond", methods=["POST"])
@json_view
def respond(tenant_id):
    return phone_answers.respond(service.get(), tenant_id, body("DeviceProof").get("proof"))


@app.route(T + "/device/push-token", methods=["POST"])
@json_view
def push_token(tenant_id):
    return device_api.register_push(service.get(), tenant_id, body("DeviceProof").get("proof"))


@app.route(T + "/device/locale", methods=["POST"])
@json_view
def device_locale(tenant_id):
    return device_api.set_locale(service.get(), tenant_id, body("DeviceProof").get("proof"))


@app.route(T + "/device/unregister", methods=["POST"])
@json_view
def unregister(tenant_id):
    return device_api.unregister(service.get(), tenant_id, body("DeviceProof").get("proof"))


def handler(event, context):
    """The Lambda entry point for every front: REST API, HTTP API or a function URL."""
    return gateway_events.adapt_response(
        app(gateway_events.adapt(event, app.routes), context), event
    )
