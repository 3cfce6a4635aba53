"""Routes only: parse the request, call one use case, return its answer."""

from chalice import Chalice

from chalicelib import service
from chalicelib.usecases import ciba, oidc, token_endpoint
from chalicelib.usecases import device_api as devices
from chalicelib.usecases import password_signin as password
from chalicelib.usecases import phone_signin as signin
from chalicelib.web import contract, http

app = Chalice(app_name="phone-signin")
http.bind(app)
T = "/t/{tenant_id}"
FORM = ["application/x-www-form-urlencoded"]


def body() -> dict:
    return http.json_body(app.current_request)


# OpenID Connect


@app.route(T + "/.well-known/openid-configuration", methods=["GET"])
@http.handler
def openid_configuration(tenant_id):
    return oidc.discovery(service.get(), tenant_id)


@app.route(T + "/jwks.json", methods=["GET"])
@http.handler
def jwks(tenant_id):
    return oidc.jwks(service.get(), tenant_id)


@app.route(T + "/authorize", methods=["GET"])
def authorize(tenant_id):
    request = app.current_request
    return http.authorize_page(service.get(), tenant_id, http.query(request), request)


@app.route(T + "/token", methods=["POST"], content_types=FORM)
@http.handler
def token(tenant_id):
    request = app.current_request
    form = http.form_body(request)
    return token_endpoint.token(
        service.get(), tenant_id, form, request.headers.get("authorization")
    )


@app.route(T + "/bc-authorize", methods=["POST"], content_types=FORM)
@http.handler
def backchannel_authorize(tenant_id):
    request = app.current_request
    form, auth = http.form_body(request), request.headers.get("authorization")
    return ciba.backchannel_authorize(
        service.get(), tenant_id, form, auth, http.origin(request, service.get())
    )


@app.route(T + "/userinfo", methods=["GET", "POST"])
@http.handler
def userinfo(tenant_id):
    return oidc.userinfo(service.get(), tenant_id, app.current_request.headers.get("authorization"))


# The sign-in page's calls


@app.route("/openapi.json", methods=["GET"])
@http.handler
def openapi():
    return contract.document()


@app.route("/static/{name}", methods=["GET"])
def static(name):
    return http.static(name)


@app.route(T + "/signin", methods=["POST"])
@http.handler
def start_signin(tenant_id):
    request = http.from_page(app.current_request, service.get())
    start = signin.StartRequest.parse(body())
    return signin.start(service.get(), tenant_id, start, http.origin(request, service.get()))


@app.route(T + "/signin/{signin_id}/result", methods=["POST"])
@http.handler
def signin_result(tenant_id, signin_id):
    request = http.from_page(app.current_request, service.get())
    answer = signin.result(service.get(), tenant_id, signin_id, body().get("secret"))
    return answer, http.remember(service.get(), tenant_id, request, answer, signin_id)


@app.route(T + "/signin/{signin_id}/cancel", methods=["POST"])
@http.handler
def cancel_signin(tenant_id, signin_id):
    http.from_page(app.current_request, service.get())
    return signin.cancel(service.get(), tenant_id, signin_id, body().get("secret"))


@app.route(T + "/password", methods=["POST"])
@http.handler
def password_signin(tenant_id):
    request = http.from_page(app.current_request, service.get(), csrf=True)
    answer = password.sign_in(
        service.get(),
        tenant_id,
        password.PasswordRequest.parse(body()),
        http.origin(request, service.get()),
    )
    signin_id = answer.get("signin_id", "")
    return answer, http.remember(service.get(), tenant_id, request, answer, signin_id)


@app.route(T + "/signin/{signin_id}/code", methods=["POST"])
@http.handler
def second_step_code(tenant_id, signin_id):
    request = http.from_page(app.current_request, service.get(), csrf=True)
    answer = password.second_step_code(
        service.get(), tenant_id, signin_id, body(), http.origin(request, service.get())
    )
    return answer, http.remember(service.get(), tenant_id, request, answer, signin_id)


# The device API (the phone's calls; each carries a proof signed by the device key)


@app.route(T + "/device/enrol", methods=["POST"])
@http.handler
def enrol(tenant_id):
    return devices.enrol(service.get(), tenant_id, body().get("proof"))


@app.route(T + "/device/signins", methods=["POST"])
@http.handler
def pending_signins(tenant_id):
    return signin.pending(service.get(), tenant_id, body().get("proof"))


@app.route(T + "/device/respond", methods=["POST"])
@http.handler
def respond(tenant_id):
    return signin.respond(service.get(), tenant_id, body().get("proof"))


@app.route(T + "/device/push-token", methods=["POST"])
@http.handler
def push_token(tenant_id):
    return devices.register_push(service.get(), tenant_id, body().get("proof"))


@app.route(T + "/device/unregister", methods=["POST"])
@http.handler
def unregister(tenant_id):
    return devices.unregister(service.get(), tenant_id, body().get("proof"))


def handler(event, context):
    """The Lambda entry point for every front: REST API, HTTP API or a function URL."""
    from chalicelib.web import gateway_events

    return gateway_events.adapt_response(
        app(gateway_events.adapt(event, app.routes), context), event
    )
