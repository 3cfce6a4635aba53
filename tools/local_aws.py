"""AWS on this machine: a moto server on 127.0.0.1, and the service's resources in it.

The demo, the smoke run, the end-to-end tests and the benchmark all start from here, so they
provision exactly what Terraform provisions in AWS: the tables from chalicelib/schema.json, a
KMS key for tenant data keys, and one SNS platform application per push platform.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from chalicelib.adapters.dynamodb.base import create_tables

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
PLATFORMS = {
    "APNS": "PUSH_APP_APNS_ARN",
    "APNS_SANDBOX": "PUSH_APP_APNS_SANDBOX_ARN",
    "GCM": "PUSH_APP_FCM_ARN",
}


Server = TypeVar("Server")


def bind(make: Callable[[int], Server], preferred: int = 0) -> Server:
    """`make(port)` builds a server, which binds its port: on `preferred` if that is free, else
    on one the OS picks (0), read back from the bound server. Bound once and kept: choosing a
    free port and binding it later lets another process take it in between."""
    if preferred:
        try:
            return make(preferred)
        except OSError:  # taken: any port will do
            pass
    return make(0)


def port_of(server) -> int:
    """The port a socketserver-based server (http.server, werkzeug, chalice) is bound on."""
    return server.server_address[1]


def provision(session, prefix: str, kms_alias: str) -> dict[str, str]:
    """Create the service's resources; return the settings the app reads (as env vars)."""
    create_tables(session.client("dynamodb"), prefix)
    kms = session.client("kms")
    key_id = kms.create_key(Description="phone sign-in tenant data keys")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=kms_alias, TargetKeyId=key_id)
    sns = session.client("sns")
    env = {"TABLE_PREFIX": prefix, "KMS_KEY_ID": kms_alias}
    for platform, variable in PLATFORMS.items():
        arn = sns.create_platform_application(
            Name=f"{prefix}{platform.lower()}",
            Platform=platform,
            Attributes={"PlatformCredential": "local-credential", "PlatformPrincipal": "local"},
        )["PlatformApplicationArn"]
        env[variable] = arn
    return env


@dataclass
class MotoServer:
    url: str
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


def start_moto() -> MotoServer:
    """moto's server app, served as moto's ThreadedMotoServer serves it, but bound on a port
    the OS picks before anything reads its number (ThreadedMotoServer takes a number first)."""
    import logging

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return MotoServer(url=f"http://127.0.0.1:{port_of(server)}", server=server, thread=thread)


def use_moto(url: str) -> None:
    """Point every boto3 client in this process at the moto server."""
    os.environ.update(FAKE_CREDENTIALS)
    os.environ["AWS_ENDPOINT_URL"] = url


def _quiet_handler():
    from chalice.local import ChaliceRequestHandler

    class Quiet(ChaliceRequestHandler):
        def log_message(self, *args):  # the page polls every two seconds
            pass

    return Quiet


def api_server(port: int = 0, blueprints: tuple = ()):
    """The Chalice app as `chalice local` serves it, with any local-only blueprints (the phone
    simulator) added, bound on 127.0.0.1 (`port` if free, see `bind`); `in_thread` serves it.
    It changes the app's class and routes for good: `running` puts them back when it stops."""
    from chalice.cli import factory
    from chalice.local import LocalChalice, LocalDevServer

    import app as app_module

    # As `chalice local` does: the request lives per thread, so concurrent requests to this
    # threaded server never see each other's bodies.
    app_module.app.__class__ = LocalChalice
    for blueprint in blueprints:
        if not any(path.startswith("/phone") for path in app_module.app.routes):
            app_module.app.register_blueprint(blueprint)

    config = factory.CLIFactory(os.path.dirname(os.path.dirname(__file__))).create_config_obj(
        chalice_stage_name="local"
    )
    handler = _quiet_handler()
    # LocalDevServer binds its HTTP server (.server) when made; its own serve_forever would
    # print the port it was asked for, 0 when the OS picks.
    server = bind(
        lambda p: LocalDevServer(app_module.app, config, "127.0.0.1", p, handler_cls=handler),
        port,
    ).server
    # A browser keeps its connection open: its thread must not hold the process at Ctrl-C.
    server.daemon_threads = True
    return server


@contextmanager
def in_thread(server):
    """Serve a bound server on a daemon thread for the `with` block; yields its URL. Closes
    it afterwards."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port_of(server)}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@dataclass
class Stack:
    moto_url: str
    api_url: str
    env: dict[str, str]

    def issuer(self, tenant_id: str) -> str:
        return f"{self.api_url}/t/{tenant_id}"


@contextmanager
def running(
    api_port: int = 0,
    prefix: str = "phonesignin-local-",
    blueprints: tuple = (),
    host: str = "127.0.0.1",
):
    """Moto on 127.0.0.1, the resources in it, and the API in front: the whole service, local.
    The API is on `api_port` if that is free (0: any), else on a port the OS picks; the
    issuers name the port it is really on, and `host`: the demo says localhost, since
    browsers refuse an IP address as a passkey's RP ID (the server listens on 127.0.0.1)."""
    import boto3

    import app as app_module
    from chalicelib import service
    from chalicelib.adapters import aws

    # What use_moto, provision's env and api_server change in this process, put back when the
    # stack stops (after its servers have), so that a test run goes on as it was.
    saved_env = dict(os.environ)
    saved_class = app_module.app.__class__
    saved_routes = {path: dict(methods) for path, methods in app_module.app.routes.items()}
    saved_handlers = dict(app_module.app.handler_map)
    moto = start_moto()
    try:
        use_moto(moto.url)
        env = provision(boto3.session.Session(), prefix, f"alias/{prefix}tenants")
        api = api_server(api_port, blueprints)
        # Before it serves: the settings, and so every issuer, name the port it is bound on.
        env["PUBLIC_BASE_URL"] = f"http://{host}:{port_of(api)}"
        os.environ.update(env)
        aws.reset()
        service.get.cache_clear()
        with in_thread(api):
            yield Stack(moto_url=moto.url, api_url=env["PUBLIC_BASE_URL"], env=env)
    finally:
        service.get.cache_clear()
        aws.reset()
        moto.stop()
        os.environ.clear()
        os.environ.update(saved_env)
        app_module.app.__class__ = saved_class
        app_module.app.routes.clear()
        app_module.app.routes.update(saved_routes)
        app_module.app.handler_map.clear()
        app_module.app.handler_map.update(saved_handlers)
