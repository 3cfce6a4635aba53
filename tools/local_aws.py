"""AWS on this machine: a moto server on 127.0.0.1, and the service's resources in it.

The demo, the smoke run, the end-to-end tests and the benchmark all start from here, so they
provision exactly what Terraform provisions in AWS: the tables from chalicelib/schema.json, a
KMS key for tenant data keys, and one SNS platform application per push platform.
"""

from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

    def stop(self) -> None:
        self.server.stop()


def start_moto(port: int | None = None) -> MotoServer:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return MotoServer(url=f"http://127.0.0.1:{port}", server=server)


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


@contextmanager
def api_server(port: int, blueprints: tuple = ()):
    """Serve the Chalice app on 127.0.0.1:port in a thread (as `chalice local` does), with
    any local-only blueprints (the phone simulator) added."""
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
    server = LocalDevServer(app_module.app, config, "127.0.0.1", port, handler_cls=_quiet_handler())
    with in_thread(server, port) as url:
        yield url


@contextmanager
def in_thread(server, port: int):
    """Run a server with serve_forever/shutdown on a daemon thread for the `with` block."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@dataclass
class Stack:
    moto_url: str
    api_url: str
    env: dict[str, str]

    def issuer(self, tenant_id: str) -> str:
        return f"{self.api_url}/t/{tenant_id}"


@contextmanager
def running(
    api_port: int | None = None, prefix: str = "phonesignin-local-", blueprints: tuple = ()
):
    """Moto on 127.0.0.1, the resources in it, and the API in front: the whole service, local."""
    import boto3

    from chalicelib import service
    from chalicelib.adapters import aws

    moto = start_moto()
    try:
        use_moto(moto.url)
        api_port = api_port or free_port()
        env = provision(boto3.session.Session(), prefix, f"alias/{prefix}tenants")
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{api_port}"
        os.environ.update(env)
        aws.reset()
        service.get.cache_clear()
        with api_server(api_port, blueprints) as api_url:
            yield Stack(moto_url=moto.url, api_url=api_url, env=env)
    finally:
        service.get.cache_clear()
        aws.reset()
        moto.stop()
