"""Twilio's webhook signature and reply format.

X-Twilio-Signature is base64(HMAC-SHA1(auth token, URL + each POST parameter's name and
value, sorted by name)): https://www.twilio.com/docs/usage/security. Replies to inbound
messages are TwiML: `<Response><Message>text</Message></Response>`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from xml.sax.saxutils import escape


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The signature Twilio sends for a POST of `params` to `url`."""
    payload = url + "".join(f"{name}{value}" for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def is_valid(
    auth_token: str, urls: Iterable[str], params: Iterable[tuple[str, str]], given: str
) -> bool:
    """Whether `given` signs `params` for one of `urls` (the public URL as configured at
    the provider, and the URL as this server saw it: a proxy may change the scheme)."""
    if not auth_token or not given:
        return False
    params = list(params)
    return any(
        hmac.compare_digest(signature(auth_token, url, params), given)
        for url in dict.fromkeys(urls)
    )


def twiml(text: str = "") -> str:
    """A TwiML answer: the reply `text`, or nothing to send back."""
    if not text:
        return '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Message>{escape(text)}</Message></Response>"
    )
