"""KMS envelope keys: one data key per tenant, unwrapped once per container (the Vault port)."""

from __future__ import annotations

from typing import Any


class KmsVault:
    def __init__(self, client: Any, key_id: str):
        self._client = client
        self._key_id = key_id
        self._unwrapped: dict[bytes, bytes] = {}

    def new_data_key(self, tenant_id: str) -> tuple[bytes, bytes]:
        """(plaintext, ciphertext); only the ciphertext is ever stored."""
        response = self._client.generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext={"tenant": tenant_id}
        )
        return response["Plaintext"], response["CiphertextBlob"]

    def unwrap(self, sealed: bytes, tenant_id: str) -> bytes:
        if sealed not in self._unwrapped:
            response = self._client.decrypt(
                CiphertextBlob=sealed, EncryptionContext={"tenant": tenant_id}
            )
            self._unwrapped[sealed] = response["Plaintext"]
        return self._unwrapped[sealed]
