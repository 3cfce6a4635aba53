"""Routes only: parse the request, call one use case, return its answer."""

from chalice import Chalice

from chalicelib import http, service
from chalicelib.flows import devices, oidc, signin

app = Chalice(app_name="phone-signin")
T = "/t/{tenant_id}"


def body() -> dict:
    return http.json_body(app.current_request)


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
    return http.authorize_page(service.get(), tenant_id, http.query(app.current_request))


@app.route("/static/{name}", methods=["GET"])
def static(name):
    return http.static(name)


@app.route(T + "/signin", methods=["POST"])
@http.handler
def start_signin(tenant_id):
    request = signin.StartRequest.parse(body())
    return signin.start(service.get(), tenant_id, request, http.origin(app.current_request))


@app.route(T + "/signin/{signin_id}/result", methods=["POST"])
@http.handler
def signin_result(tenant_id, signin_id):
    return signin.result(service.get(), tenant_id, signin_id, body().get("secret"))


@app.route(T + "/token", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@http.handler
def token(tenant_id):
    request = app.current_request
    form = http.form_body(request)
    return oidc.exchange_code(service.get(), tenant_id, form, request.headers.get("authorization"))


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
