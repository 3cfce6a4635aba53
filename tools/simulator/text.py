"""The sentences the phone simulator's script shows, as message ids in one table.

The page carries them in its language (a JSON data-text attribute), so phone.js holds no words
of its own: it fills their {name} fields and picks them by key. What the service sends (the
app's and organisation's names, the browser, the place, a binding message) is shown as sent.
Errors are chosen by the service's error code, never its English error_description.
"""

from __future__ import annotations

import json
from functools import cache

from chalicelib.domain import language
from chalicelib.domain.language import N_

# Two sentences for a count, one and more: enough for English and Dutch (plural n != 1); a
# language with other plural rules would need ngettext's forms here instead.
SCRIPT_TEXT: dict = {
    "pinTooShort": N_("Choose a PIN of at least 4 digits."),
    "wrongPin": N_("Wrong PIN."),
    # TRANSLATORS: a countdown, shortened: "Expires in 42s".
    "expiresIn": N_("Expires in {seconds}s"),
    "expired": N_("Expired"),
    # TRANSLATORS: seconds until the verification code changes, shortened: "17s".
    "codeLeft": N_("{seconds}s"),
    # TRANSLATORS: where a sign-in comes from: a place, an IP address, a browser ("Chrome on
    # Windows").
    "fromPlace": N_("From {place} ({ip}) · {device}"),
    "fromIp": N_("From {ip} · {device}"),
    "noRequests": N_("No sign-in requests."),
    "oneWaiting": N_(
        "1 request waiting. Check the number on the sign-in page, then choose its request."
    ),
    "manyWaiting": N_(
        "{count} requests waiting. Check the number on the sign-in page, then choose its request."
    ),
    "review": N_("Review"),
    # TRANSLATORS: a screen reader's name for the Review button: the app's name, then where
    # the sign-in comes from ("From 127.0.0.1 · Chrome on Windows").
    "reviewLabel": N_("Review: {app}, {where}"),
    "numberLabel": N_("Number {number}"),
    "promptTap": N_("Tap the number shown on the sign-in page:"),
    "promptType": N_("Type the number shown on the sign-in page:"),
    "typeDigits": N_("Type the {digits} digits the sign-in page shows."),
    "enterSixDigits": N_("Enter the six digits the sign-in page shows."),
    "noHeldSignin": N_("No sign-in with that number is waiting for this phone."),
    "endedElsewhere": N_(
        "That sign-in request has ended: it was answered on another phone, cancelled on the "
        "sign-in page, or it expired."
    ),
    "expiredUnanswered": N_("The sign-in request expired before it was answered."),
    # After an answer, by decision.
    "outcomes": {
        "approve": N_("Approved. The sign-in page continues on its own."),
        "deny": N_("Denied. The sign-in page has been told."),
        "report_fraud": N_(
            "Reported: this wasn't you. The sign-in was stopped and your administrator can "
            "see the report."
        ),
    },
    # An answer the service refused, by error code: the request has ended (the home screen
    # says so); any other code is answerFailed, on the request's screen.
    "failures": {
        "wrong_number": N_(
            "Wrong number: this sign-in has failed. Start again on the sign-in page."
        ),
        "signin_closed": N_(
            "That sign-in request had already ended: it was answered on another phone, "
            "cancelled, or it expired."
        ),
        "not_found": N_(
            "That sign-in request had already ended: it was answered on another phone, "
            "cancelled, or it expired."
        ),
    },
    "answerFailed": N_("That did not work. Try again."),
    # A set-up the service refused, by error code; "other" for any other code.
    "enrolErrors": {
        "invalid_activation_code": N_(
            "That activation code does not work: it may be mistyped, used or expired. Ask "
            "your administrator for a new one."
        ),
        "unknown_tenant": N_("There is no organisation with that id."),
        # The link pasted (or opened with ?link=) is not {this service}/t/{tenant}/enrol#code=.
        "bad_link": N_(
            "That is not an enrolment link of this service. Copy the whole link from your "
            "security-info page."
        ),
        "other": N_("Set-up failed. Check the organisation id and the activation code."),
    },
    # What the service noticed about the account, by notice kind.
    "notices": {
        "totp_failed": N_("Wrong verification codes in a row: {failures}"),
        "totp_failed_from": N_("Wrong verification codes in a row from {device}: {failures}"),
        # TRANSLATORS: {platform} is "android" or "ios".
        "device_enrolled": N_("A new phone ({platform}) was added to this account"),
        "device_enrolled_unnamed": N_("A new phone was added to this account"),
        # TRANSLATORS: {platform} is "android" or "ios".
        "device_removed": N_("A phone ({platform}) was removed from this account"),
        "activation_code_issued": N_("A code to add a phone was made on your security-info page"),
        "passkey_added": N_("A passkey ({name}) was added to this account"),
        "passkey_removed": N_("A passkey ({name}) was removed from this account"),
        "recovery_codes_generated": N_("New recovery codes were made; older ones no longer work"),
        "recovery_code_used": N_(
            "A recovery code signed in to this account from {network} ({device}); {remaining} left"
        ),
    },
}


def _translated(table: dict, locale: str) -> dict:
    return {
        key: _translated(value, locale)
        if isinstance(value, dict)
        else language.translate(locale, value)
        for key, value in table.items()
    }


@cache
def script_text(locale: str) -> str:
    """The script's sentences in the language, as the JSON the page's data-text carries."""
    return json.dumps(_translated(SCRIPT_TEXT, locale), ensure_ascii=False, separators=(",", ":"))
