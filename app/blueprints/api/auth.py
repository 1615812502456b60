"""Who is calling the API: the user of a bearer token, never of a session cookie.

A browser's cookies alone therefore reach nothing here, which is why the API needs no
CSRF token.
"""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from app.audit import set_actor
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import ApiToken, TokenScope, User
from app.services import api_tokens

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def current_token() -> ApiToken | None:
    """The active token this request carries, looked up once per request, else None."""
    if "api_token" not in g:
        g.api_token_checked_at = utcnow()
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        g.api_token = api_tokens.authenticate(value.strip()) if scheme.lower() == "bearer" else None
    return g.api_token


def acting_user() -> User:
    """The user the current API request acts as (set by authenticate_request)."""
    return g.api_user


def rate_limit_key() -> str:
    """Flask-Limiter's key: the token, or the address of callers without a valid one."""
    token = current_token()
    return f"token:{token.id}" if token else f"ip:{request.remote_addr}"


def authenticate_request() -> None:
    """before_request of every API blueprint: require a token that allows this method."""
    token = current_token()
    if token is None:
        raise Unauthorized(
            gettext("A valid API token is required: send Authorization: Bearer <token>."),
            www_authenticate=WWWAuthenticate("bearer", {"realm": "api"}),
        )
    if request.method in WRITE_METHODS and token.scope is not TokenScope.WRITE:
        raise Forbidden(gettext("This token is read-only."))
    g.api_user = token.user
    # Flask-Login may already have loaded a user from a session cookie; in the API,
    # `current_user` (templates, locale) is the token's user and nobody else.
    g._login_user = token.user
    set_actor(db.session, token.user, source="api", ip=request.remote_addr)
    if token.last_used_at >= g.api_token_checked_at:
        # authenticate() just recorded the token's use (at most once a minute): keep it,
        # even when the request only reads and so never commits.
        db.session.commit()
