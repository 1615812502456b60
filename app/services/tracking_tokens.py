"""The signed tokens in marketing emails: the open pixel, tracked links, one-click
unsubscribe and the preferences page. Each is an HMAC (itsdangerous) over what it stands
for, with its own salt, so a token for one purpose is worthless for another and a click
token carries its target URL inside the signature: a changed target fails verification,
so the redirect can never be pointed anywhere else (no open redirect)."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

_SALTS = {
    "open": "mail-open",
    "click": "mail-click",
    "unsubscribe": "mail-unsubscribe",
    "preferences": "mail-preferences",
}


class TokenInvalid(ValueError):
    """The token was not made by this installation for this purpose (or was altered)."""


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALTS[purpose])


def _load(purpose: str, token: str):
    try:
        return _serializer(purpose).loads(token)
    except BadSignature as error:
        raise TokenInvalid(purpose) from error


def open_token(recipient_id: int) -> str:
    return _serializer("open").dumps(recipient_id)


def read_open_token(token: str) -> int:
    value = _load("open", token)
    if not isinstance(value, int):
        raise TokenInvalid("open")
    return value


def click_token(recipient_id: int, url: str) -> str:
    return _serializer("click").dumps([recipient_id, url])


def read_click_token(token: str) -> tuple[int, str]:
    """(recipient id, target URL) of a tracked link."""
    value = _load("click", token)
    if not (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        raise TokenInvalid("click")
    return value[0], value[1]


def unsubscribe_token(recipient_id: int) -> str:
    """Bound to one campaign recipient row, i.e. to (address, campaign and its topic)."""
    return _serializer("unsubscribe").dumps(recipient_id)


def read_unsubscribe_token(token: str) -> int:
    value = _load("unsubscribe", token)
    if not isinstance(value, int):
        raise TokenInvalid("unsubscribe")
    return value


def preferences_token(email: str) -> str:
    return _serializer("preferences").dumps(email.strip().lower())


def read_preferences_token(token: str) -> str:
    value = _load("preferences", token)
    if not isinstance(value, str) or "@" not in value:
        raise TokenInvalid("preferences")
    return value
