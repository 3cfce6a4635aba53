"""The security-info page's lists of methods as HTML, in the person's language: each phone and
passkey with its facts and a remove form, the one-method warning, the recovery codes left, and
the sentences the page's script (static/account.js) shows.

Every value is escaped here (page.message escapes the sentence with its fields filled); the
page inserts the result as it is (page.Html).
"""

from __future__ import annotations

import functools
import html
import json
import time

from chalicelib.domain import language
from chalicelib.domain.account_sessions import Session
from chalicelib.domain.language import N_
from chalicelib.web import page

# The sentences made here (the rest are in the templates), as message ids.
TEXT = {
    "ios": N_("iPhone"),
    "android": N_("Android phone"),
    "added": N_("Added {date}"),
    "used": N_("Last used {date}"),
    "unused": N_("Not used yet"),
    "push_on": N_("Notifications on"),
    "push_off": N_("Notifications off"),
    "synced": N_("Synced across your devices"),
    "device_bound": N_("On one device only"),
    "remove": N_("Remove"),
    "remove_label": N_("Remove {phone}, added {date}"),
    "remove_passkey_label": N_("Remove the passkey {name}"),
    "only_one": N_(
        "You have only one way to sign in besides your password. Add another phone or a "
        "passkey, so that losing one does not lock you out."
    ),
    "none": N_(
        "You have no phone or passkey to sign in with. Add a phone, so that you can sign in "
        "without a password."
    ),
    "no_passkeys": N_("No passkeys yet."),
    "recovery_left": N_("Recovery codes left: {count}"),
}
# The page's script adds a passkey; its sentences, by key, in data-text.
SCRIPT_TEXT = {
    "notAllowed": N_("No passkey was made: it was cancelled, or it took too long."),
    "unsupported": N_("This browser cannot make passkeys."),
    "nameRequired": N_("Give the passkey a name, such as the device it is on."),
    "login_required": N_("Your session on this page has ended. Sign in again to continue."),
    "other": N_("The passkey could not be added. Try again."),
}


def phones(home: str, overview: dict, session: Session, locale: str) -> page.Html:
    """Each phone: what it is, when added and last used, push; and a remove button where
    removing it leaves a method (or the tenant allows none)."""
    items = []
    for phone in overview["phones"]:
        name, added = language.translate(locale, TEXT[phone["platform"]]), day(phone["added_at"])
        facts = [
            say(locale, "added", date=added),
            _used(locale, phone["last_used_at"]),
            say(locale, "push_on" if phone["push"] else "push_off"),
        ]
        label = say(locale, "remove_label", phone=name, date=added)
        action = f"{home}/phones/{phone['device_id']}/remove"
        remove = _remove(overview, action, label, session, locale)
        items.append(_item(html.escape(name), facts, remove))
    return page.Html("".join(items))


def passkeys(home: str, overview: dict, session: Session, locale: str) -> page.Html:
    """Each passkey: its name, when added and last used, synced or on one device; and a
    remove button on the same terms as a phone's."""
    if not overview["passkeys"]:
        return page.Html(f'<p class="facts" id="no-passkeys">{say(locale, "no_passkeys")}</p>')
    items = []
    for passkey in overview["passkeys"]:
        facts = [
            say(locale, "added", date=day(passkey["created_at"])),
            _used(locale, passkey["last_used_at"]),
            say(locale, "synced" if passkey["synced"] else "device_bound"),
        ]
        label = say(locale, "remove_passkey_label", name=passkey["name"])
        action = f"{home}/passkeys/{passkey['credential_id']}/remove"
        remove = _remove(overview, action, label, session, locale)
        items.append(_item(html.escape(passkey["name"]), facts, remove))
    return page.Html(f'<ul id="passkey-list" class="methods">{"".join(items)}</ul>')


def warning(overview: dict, locale: str) -> page.Html:
    if overview["methods"] > 1:
        return page.Html("")
    text = say(locale, "only_one" if overview["methods"] == 1 else "none")
    return page.Html(f'<p class="note warning" id="one-method">{text}</p>')


def recovery(left: int, locale: str) -> page.Html:
    return page.Html(f'<p id="recovery-left">{say(locale, "recovery_left", count=left)}</p>')


def codes(recovery_codes: list[str]) -> page.Html:
    """The codes, one per line, each in its own element so a screen reader reads it whole."""
    items = "".join(f'<li><code class="code">{html.escape(c)}</code></li>' for c in recovery_codes)
    return page.Html(f'<ol id="codes" class="codes">{items}</ol>')


def hidden(session: Session, locale: str) -> str:
    """The fields every change's form carries: the CSRF token and the page's language."""
    return (
        f'<input type="hidden" name="csrf" value="{html.escape(session.csrf)}">'
        f'<input type="hidden" name="ui_locales" value="{html.escape(locale)}">'
    )


def say(locale: str, key: str, **values: object) -> str:
    """A sentence of TEXT in the language, fields filled, HTML-escaped."""
    return page.message(locale, TEXT[key], values)


def day(at: int) -> str:
    """A date every language here reads: ISO 8601, UTC."""
    return time.strftime("%Y-%m-%d", time.gmtime(at))


@functools.cache
def script_text(locale: str) -> str:
    translated = {key: language.translate(locale, text) for key, text in SCRIPT_TEXT.items()}
    return json.dumps(translated, ensure_ascii=False, separators=(",", ":"))


def _used(locale: str, at: int | None) -> str:
    return say(locale, "used", date=day(at)) if at else say(locale, "unused")


def _remove(overview: dict, action: str, label: str, session: Session, locale: str) -> str:
    """A remove button, where removing leaves a method or the tenant allows none."""
    if not (overview["may_remove_last"] or overview["methods"] > 1):
        return ""
    return (
        f'<form method="post" action="{html.escape(action)}">{hidden(session, locale)}'
        f'<button type="submit" class="secondary" aria-label="{label}">'
        f"{say(locale, 'remove')}</button></form>"
    )


def _item(name: str, facts: list[str], remove: str) -> str:
    return (
        f'<li class="method"><strong>{name}</strong>'
        f'<span class="facts">{" · ".join(facts)}</span>{remove}</li>'
    )
