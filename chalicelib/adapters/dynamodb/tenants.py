"""The tenants table: a tenant's policy, clients and signing keys in one partition.

pk = tenant id; sk = "tenant" | "datakey" | "client#<client id>" | "key#<kid>". One query loads
a tenant. The head item ("tenant") and the clients may be written by Terraform
(infrastructure/modules/tenant), which deletes any attribute of them it did not write: what the
service adds (the data key, the signing keys) lives in items of its own.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamodb.base import decode_item, encode_item, put_if_new, put_new
from chalicelib.adapters.dynamodb.base import values as encode_values
from chalicelib.domain.tenants import LIMITS, Client, NumberMatch, Policy, SigningKey, Tenant
from chalicelib.errors import ServiceError

DATA_KEY = "datakey"


class TenantExists(ServiceError):
    status = 409
    code = "tenant_exists"
    description = "A tenant with this id exists."


class TenantStore:
    def __init__(self, client: Any, table: str):
        self._client = client
        self._table = table

    def create(self, tenant: Tenant) -> None:
        item = {
            "pk": tenant.tenant_id,
            "sk": "tenant",
            "name": tenant.name,
            **_policy_attributes(tenant.policy),
        }
        put_new(self._client, self._table, item, TenantExists)
        if tenant.sealed_data_key is not None:
            self.set_data_key(tenant.tenant_id, tenant.sealed_data_key)

    def set_policy(self, tenant_id: str, policy: Policy) -> None:
        attributes = _policy_attributes(policy)
        self._client.update_item(
            TableName=self._table,
            Key=encode_item({"pk": tenant_id, "sk": "tenant"}),
            UpdateExpression="SET " + ", ".join(f"{k} = :{k}" for k in attributes),
            ExpressionAttributeValues={f":{k}": v for k, v in encode_item(attributes).items()},
            ConditionExpression="attribute_exists(pk)",
        )

    def put_client(self, tenant_id: str, client: Client) -> None:
        item = {
            "pk": tenant_id,
            "sk": f"client#{client.client_id}",
            "name": client.name,
            "redirect_uris": list(client.redirect_uris),
            "secret_hash": client.secret_hash,
            "id_token_signed_response_alg": client.id_token_signed_response_alg,
            "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
            "backchannel_logout_uri": client.backchannel_logout_uri,
            "backchannel_logout_session_required": client.backchannel_logout_session_required,
        }
        self._client.put_item(TableName=self._table, Item=encode_item(item))

    def put_signing_key(self, tenant_id: str, key: SigningKey) -> None:
        item = {
            "pk": tenant_id,
            "sk": f"key#{key.kid}",
            "public_jwk": key.public_jwk,
            "sealed_private_key": key.sealed_private_key,
            "created_at": key.created_at,
            "active": key.active,
            "retired_at": key.retired_at,
        }
        self._client.put_item(TableName=self._table, Item=encode_item(item))

    def set_data_key(self, tenant_id: str, sealed: bytes) -> bool:
        """Give the tenant its data key, unless another container got there first."""
        item = {"pk": tenant_id, "sk": DATA_KEY, "sealed_data_key": sealed}
        return put_if_new(self._client, self._table, item)

    def retire_signing_key(self, tenant_id: str, kid: str, now: int) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=encode_item({"pk": tenant_id, "sk": f"key#{kid}"}),
            UpdateExpression="SET active = :no, retired_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=encode_values(no=False, now=now),
        )

    def delete_signing_key(self, tenant_id: str, kid: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key=encode_item({"pk": tenant_id, "sk": f"key#{kid}"})
        )

    def load(self, tenant_id: str) -> Tenant | None:
        items: list[dict] = []
        kwargs = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": tenant_id}},
        }
        while True:
            page = self._client.query(**kwargs)
            items.extend(decode_item(i) for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return _tenant_from_items(tenant_id, items)


def _b64url(secret_hash: str | None) -> str | None:
    """Terraform writes base64sha256() (standard alphabet, padded); the service compares the
    URL-safe unpadded form. Both name the same SHA-256."""
    if secret_hash is None:
        return None
    return secret_hash.replace("+", "-").replace("/", "_").rstrip("=")


def _policy_attributes(policy: Policy) -> dict:
    return {
        "phone_signin": policy.phone_signin,
        "signin_seconds": policy.signin_seconds,
        "number_match": policy.number_match.value,
        "require_two_step": policy.require_two_step,
        "password_only_accounts": policy.password_only_accounts,
        "passkeys": policy.passkeys,
        **{name: getattr(policy, name) for name in LIMITS},
    }


def _tenant_from_items(tenant_id: str, items: list[dict]) -> Tenant | None:
    head = next((i for i in items if i["sk"] == "tenant"), None)
    if head is None:
        return None
    clients = {}
    keys = []
    for item in items:
        kind, _, name = item["sk"].partition("#")
        if kind == "client":
            clients[name] = Client(
                client_id=name,
                name=item["name"],
                redirect_uris=tuple(item["redirect_uris"]),
                secret_hash=_b64url(item.get("secret_hash")),
                # Written by every registration since RS256 came; a client stored before
                # knew only ES256, and its app may pin it: it keeps ES256 until registered again.
                id_token_signed_response_alg=item.get("id_token_signed_response_alg", "ES256"),
                post_logout_redirect_uris=tuple(item.get("post_logout_redirect_uris") or ()),
                backchannel_logout_uri=item.get("backchannel_logout_uri"),
                backchannel_logout_session_required=item.get(
                    "backchannel_logout_session_required", True
                ),
            )
        elif kind == "key":
            keys.append(
                SigningKey(
                    kid=name,
                    public_jwk=item["public_jwk"],
                    sealed_private_key=item["sealed_private_key"],
                    created_at=item["created_at"],
                    active=item["active"],
                    retired_at=item.get("retired_at"),
                )
            )
    return Tenant(
        tenant_id=tenant_id,
        name=head["name"],
        policy=Policy(
            phone_signin=head["phone_signin"],
            signin_seconds=head["signin_seconds"],
            number_match=NumberMatch(head["number_match"]),
            require_two_step=head.get("require_two_step", False),
            password_only_accounts=head.get("password_only_accounts", False),
            passkeys=head.get("passkeys", True),
            # Absent (a tenant written before these existed, or by Terraform): the defaults.
            **{name: head[name] for name in LIMITS if name in head},
        ),
        sealed_data_key=next((i["sealed_data_key"] for i in items if i["sk"] == DATA_KEY), None),
        clients=clients,
        signing_keys=tuple(sorted(keys, key=lambda k: k.created_at)),
    )
