"""Personal access tokens for the JSON API: issued once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import ApiToken, TokenScope, User

PREFIX = "rpt_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: User, *, name: str, scope: TokenScope) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain value is returned once and never stored."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip(), scope=scope, prefix=plain[:10], token_hash=_digest(plain)
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def for_user(user: User) -> list[ApiToken]:
    return list(
        db.session.execute(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


def revoke(token_id: int, *, actor: User) -> ApiToken:
    """Revoke a token: its owner or an administrator may."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise permissions.PermissionDenied()
    if token.user_id != actor.id:
        permissions.require(actor, "edit", "user", token.user)
        if permissions.scope_for(actor, "user", "edit") is not permissions.Scope.ALL:
            raise permissions.PermissionDenied()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


def authenticate(plain: str) -> ApiToken | None:
    """The active token with this value, with its last use recorded, else None."""
    if not plain or not plain.startswith(PREFIX):
        return None
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == _digest(plain))
    ).scalar_one_or_none()
    if token is None or not token.is_active:
        return None
    now = utcnow()
    # Written at most once a minute, so busy integrations do not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        db.session.flush()
    return token
