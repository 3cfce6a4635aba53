"""The one source of configuration. Variable names match the Terraform outputs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.domain.passwords import OWASP_MEMORY_KIB, OWASP_TIME_COST


@dataclass(frozen=True)
class Settings:
    """The service's configuration, read once from the environment (from_env)."""

    table_prefix: str
    kms_key_id: str
    public_base_url: str
    push_apps: Mapping[str, str]
    tenant_cache_seconds: int = 60
    # Behind CloudFront: the SHA-256 (hex) of the secret it adds to every origin request as
    # X-Origin-Secret, or several, comma-separated, while a secret is rotated (the new one
    # and the one CloudFront may still send). Only a request carrying one has its viewer
    # headers believed (the person's address and place); anyone else could forge them.
    cloudfront_secret_sha256: str | None = None
    # Behind CloudFront with AWS WAF: refuse every request without the origin secret, so
    # nobody goes around the edge's rate limits by calling the API's own address.
    require_origin_secret: bool = False
    # Argon2id's cost for passwords (passwords.py): OWASP's minimum unless told otherwise.
    # Only the tests ask for less, to stay quick.
    argon2_memory_kib: int = OWASP_MEMORY_KIB
    argon2_time_cost: int = OWASP_TIME_COST

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        # os.environ read now, not bound at import: a test may have put another in its place.
        env = os.environ if env is None else env
        push_apps = {
            channel: env[name]
            for channel, name in (
                ("APNS", "PUSH_APP_APNS_ARN"),
                ("APNS_SANDBOX", "PUSH_APP_APNS_SANDBOX_ARN"),
                ("GCM", "PUSH_APP_FCM_ARN"),
            )
            if env.get(name)
        }
        return cls(
            table_prefix=env.get("TABLE_PREFIX", "phonesignin-"),
            kms_key_id=env.get("KMS_KEY_ID", "alias/phonesignin"),
            # No default: an issuer must never silently become localhost in production.
            public_base_url=env["PUBLIC_BASE_URL"].rstrip("/"),
            push_apps=push_apps,
            tenant_cache_seconds=int(env.get("TENANT_CACHE_SECONDS", "60")),
            cloudfront_secret_sha256=env.get("CLOUDFRONT_SECRET_SHA256") or None,
            require_origin_secret=env.get("REQUIRE_ORIGIN_SECRET", "").lower() == "true",
            argon2_memory_kib=int(env.get("ARGON2_MEMORY_KIB") or OWASP_MEMORY_KIB),
            argon2_time_cost=int(env.get("ARGON2_TIME_COST") or OWASP_TIME_COST),
        )

    def issuer(self, tenant_id: str) -> str:
        return f"{self.public_base_url}/t/{tenant_id}"
