"""The app's class: Chalice, whose REST API path reads the binary media types once.

Chalice checks a response's Content-Type, and the request's Accept, against the API's binary
media types (`app.api.binary_types`) by lower-casing and splitting the whole list again on
each check, four times a request: about half of what Chalice itself costs a request. `App`
makes the same decisions, with the same results, from the list read once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from chalice import Chalice
from chalice.app import RestAPIEventHandler

_SEPARATORS = re.compile("[,;]")


class App(Chalice):
    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        # Chalice.__call__, with the handler below.
        self.lambda_context = context
        handler = _RestHandler(
            self.routes,
            self.api,
            self.log,
            self.debug,
            middleware_handlers=self._get_middleware_handlers("http"),
        )
        self.current_request = handler.create_request_object(event, context)
        return handler(event, context)


class _RestHandler(RestAPIEventHandler):
    def __call__(self, event: Any, context: Any) -> Any:
        def wrapped_event(request: Any) -> Any:
            return self._main_rest_api_handler(event, context)

        final_handler = self._build_middleware_handlers(
            [self._global_error_handler, *self._middleware_handlers],
            original_handler=wrapped_event,
        )
        response = final_handler(self.current_request)
        content_type = ""  # as to_dict reads it: the last single-valued spelling
        for name, value in response.headers.items():
            if not isinstance(value, list) and name.lower() == "content-type":
                content_type = value
        if _matcher(tuple(self.api.binary_types))(content_type):
            return response.to_dict(self.api.binary_types)  # Chalice base64-encodes it
        return response.to_dict()  # the same dict, the binary types' check left out

    def _validate_binary_response(self, request_headers: Any, response_headers: Any) -> bool:
        binary = _matcher(tuple(self.api.binary_types))
        if not binary(response_headers.get("content-type", "application/json")):
            return True
        accept = request_headers.get("accept")
        return accept is not None and binary(accept)


@functools.lru_cache(maxsize=8)
def _matcher(media_types: tuple[str, ...]) -> Callable[[str], bool]:
    """chalice.app._matches_content_type(header, media_types), the types read once."""
    listed = frozenset(t.lower() for t in media_types)
    any_type = "*/*" in listed

    def matches(header: str) -> bool:
        header = header.lower()
        if any_type or "*/*" in header:
            return True
        return any(part.strip() in listed for part in _SEPARATORS.split(header))

    return matches
