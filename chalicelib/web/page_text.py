"""The sentences the sign-in page's script shows, as message ids in one table.

The page carries them in its language (a JSON data-text attribute, filled by hosted_page), so
signin.js holds no words of its own and a catalog (domain/language.py) translates them all.
Errors the page's own calls answer are shown by code in the person's language; the service's
error_description is English, for developers, and never shown on the page.
"""

from __future__ import annotations

import json
from functools import cache

from chalicelib.domain import language
from chalicelib.domain.language import N_

SCRIPT_TEXT: dict = {
    "signedIn": N_("Signed in."),
    "resend": N_("Send a new request"),
    "tryAgain": N_("Try again"),
    "waiting": N_("Waiting for your phone…"),
    "expiresIn": N_("Expires in {time}"),
    "introHeld": N_(
        "No notification was sent this time. Open your authenticator app, choose "
        "\u201cEnter a number\u201d and type the number you see here."
    ),
    "introPick": N_("Open your authenticator app and tap the number you see here."),
    "introType": N_("Open your authenticator app and type the number you see here."),
    "headingSecondStep": N_("One more step: approve on your phone"),
    "headingHeld": N_("Open the app on your phone"),
    "headingApprove": N_("Approve the sign-in on your phone"),
    "enterUsername": N_("Enter your email or username."),
    "enterPassword": N_("Enter your password."),
    "enterCode": N_("Enter the six digits the app shows."),
    "passkeyNotUsed": N_(
        "No passkey was used. Try again, or enter your email or username to sign in another way."
    ),
    "enterRecoveryCode": N_(
        "Enter the 10 letters and digits of a recovery code, like ABCDE-FGHJK."
    ),
    "recoveryWrong": N_(
        "That recovery code did not work. Check the username and the code: each code works once."
    ),
    # After a recovery code signed the person in: how many they have left.
    "recoveryLeft": N_("You used a recovery code; {count} are left."),
    "recoveryLeftOne": N_("You used a recovery code; 1 is left."),
    "recoveryLeftNone": N_("You used your last recovery code."),
    "numberSpoken": N_("Your number is {number}. Enter it on your phone."),
    "expiresSoon": N_("Less than {seconds} seconds left to answer on your phone."),
    "ended": {
        "approved": {
            "heading": N_("Approved"),
            "status": N_("Approved. Signing you in…"),
            "hint": N_("Taking you back to the app."),
        },
        "denied": {
            "heading": N_("Sign-in denied"),
            "status": N_("The sign-in was denied on your phone."),
            "hint": N_("If it was you, try again and approve it on your phone this time."),
        },
        "wrong_number": {
            "heading": N_("Sign-in stopped"),
            "status": N_("That wasn't the number shown here, so the sign-in was stopped."),
            "hint": N_("Try again, and on your phone choose the number this page shows."),
        },
        "fraud_reported": {
            "heading": N_("Sign-in blocked"),
            "status": N_("You reported this sign-in as not you. It has been stopped."),
            "hint": N_(
                "Nobody was signed in. If it was you after all, try again or use your password."
            ),
        },
        "expired": {
            "heading": N_("Request expired"),
            "status": N_("The request expired before it was approved."),
            "hint": N_("Try again to send a new request to your phone."),
        },
        "locked": {
            "heading": N_("Phone sign-in paused"),
            "status": N_("Phone sign-in is paused for this account."),
            "hint": N_("Use your password instead, or try again later."),
        },
        "error": {
            "heading": N_("Something went wrong"),
            "status": N_("The sign-in could not be checked."),
            "hint": N_("Try again. If it keeps happening, use your password."),
        },
    },
    # What the page's own calls can answer, by error code; "other" for any other code.
    "errors": {
        "invalid_credentials": N_("The username or password is incorrect."),
        "invalid_code": N_("That code did not work. Check the app and try again."),
        "too_many_attempts": N_("Too many attempts. Wait a few minutes, then try again."),
        "too_many_attempts_in": N_("Too many attempts. Try again in {seconds} seconds."),
        "second_step_unavailable": N_(
            "Your organisation requires a second step, and this account has no phone set up. "
            "Ask your administrator for an activation code."
        ),
        "recovery_unavailable": N_(
            "Your organisation requires two-step verification, so a recovery code alone cannot "
            "sign you in. Use your password, or ask your administrator for an activation code."
        ),
        "invalid_passkey": N_("That passkey could not be used. Try again, or sign in another way."),
        "passkeys_disabled": N_("Your organisation does not allow passkeys. Sign in another way."),
        "cross_site_request": N_("This page has expired. Go back to the app and sign in again."),
        "temporarily_unavailable": N_("The service is busy. Try again in a few seconds."),
        "other": N_("Sign-in could not continue. Try again."),
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
