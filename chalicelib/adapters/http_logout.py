"""Back-channel logout over HTTP (the LogoutChannel port), with the standard library's urllib:
no dependency for one form POST.

Only http(s) is ever opened (urllib's usual opener would also read file:, ftp: and data:
URLs: they are checked out, and the opener has no handler for them), and a redirect is not
followed: the token goes to the URI an administrator registered and nowhere else (Back-
Channel Logout 1.0 2.5 asks for 200, so a redirect is a failed delivery). A timeout bounds
each attempt; every fault of the app or the network is an answer (None), never an exception.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

USER_AGENT = "phone-signin back-channel logout"


class HttpLogoutChannel:
    def __init__(self) -> None:
        # build_opener's set without the handlers for redirects, file:, ftp: and data: URLs:
        # any status but 2xx, a redirect too, is an HTTPError carrying it.
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            self._opener.add_handler(handler)

    def post_form(self, uri: str, form: dict[str, str], timeout: float) -> int | None:
        if urlsplit(uri).scheme not in ("https", "http"):
            return None
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            uri,
            data=urlencode(form).encode("ascii"),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": USER_AGENT,
                "Cache-Control": "no-store",
            },
        )
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return response.status
        except urllib.error.HTTPError as err:  # the app answered, with an error or a redirect
            err.close()
            return err.code
        except (OSError, http.client.HTTPException, ValueError):  # no answer in time, or none
            return None
