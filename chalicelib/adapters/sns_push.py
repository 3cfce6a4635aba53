"""Push notifications through SNS mobile push: endpoints per phone, and one Publish per push.

Nothing else knows SNS: the payloads themselves are domain/push_messages.py's. SnsPush is the
use cases' Push port (domain/ports.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import language
from chalicelib.domain.ports import PlatformEndpoint
from chalicelib.domain.push_messages import Challenge, apns_payload, fcm_payload

_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:[^ ]+) already exists")


def publish_request(
    endpoint_arn: str, channel: str, challenge: Challenge, locale: str = language.DEFAULT
) -> dict:
    """The arguments of one SNS Publish to one phone, its text in `locale`."""
    payload_of = fcm_payload if channel == "GCM" else apns_payload
    payload = payload_of(challenge, locale)
    ttl_attribute = "FCM" if channel == "GCM" else channel
    return {
        "TargetArn": endpoint_arn,
        "MessageStructure": "json",
        # UTF-8, not \u escapes: an emoji is then 4 bytes instead of 12 against APNs' 4 KB.
        "Message": json.dumps(
            {
                "default": f"{challenge.title(locale)} {challenge.body(locale)}",
                channel: json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            },
            separators=(",", ":"),
        ),
        "MessageAttributes": {
            f"AWS.SNS.MOBILE.{ttl_attribute}.TTL": {
                "DataType": "String",
                "StringValue": str(challenge.ttl_seconds),
            }
        },
    }


class SnsPush:
    """The SNS adapter: platform endpoints per phone, one publish per phone and sign-in."""

    def __init__(self, client: Any, apps: Mapping[str, str]):
        self._client = client
        self._apps = apps

    def supports(self, channel: str) -> bool:
        return channel in self._apps

    def endpoint_for(self, channel: str, token: str, device_id: str) -> PlatformEndpoint:
        """The endpoint for a push token: a new one, enabled and naming this phone, or the
        one SNS already keeps for the token (SNS keeps one per token), left exactly as it is.

        Nothing of an existing endpoint is changed here: it may be another phone's. The caller
        takes hold of it first (`InstallationStore.hold_endpoint`), then `enable_endpoint`.
        """
        try:
            response = self._client.create_platform_endpoint(
                PlatformApplicationArn=self._apps[channel],
                Token=token,
                CustomUserData=device_id,
                Attributes={"Enabled": "true"},
            )
            # New, or an existing one that already has exactly these attributes.
            return PlatformEndpoint(response["EndpointArn"], existing=False)
        except self._client.exceptions.InvalidParameterException as err:
            found = _EXISTING_ENDPOINT.search(str(err))
            if not found:
                raise
            return PlatformEndpoint(found.group(1), existing=True)

    def enable_endpoint(self, endpoint_arn: str, device_id: str) -> None:
        """Enable an endpoint this phone holds (one SNS disabled, or one adopted), keeping its
        token: a token is never changed in place, since others may hold the endpoint."""
        self._client.set_endpoint_attributes(
            EndpointArn=endpoint_arn, Attributes={"CustomUserData": device_id, "Enabled": "true"}
        )

    def delete_endpoint(self, endpoint_arn: str) -> None:
        self._client.delete_endpoint(EndpointArn=endpoint_arn)  # idempotent in SNS

    def publish(self, endpoint_arn: str, channel: str, challenge: Challenge, locale: str) -> bool:
        """True when SNS took the message; False when the endpoint is disabled or failing,
        or SNS cannot be reached (timeouts, connection errors)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.publish(**publish_request(endpoint_arn, channel, challenge, locale))
            return True
        except (BotoCoreError, ClientError):
            return False
