"""Staff accounts: sign-in with throttling, password resets, creating and changing users."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app import permissions, queues
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role, Team, User

MIN_PASSWORD_LENGTH = 10
# Checked against when the account does not exist, so both answers take the same time.
_DUMMY_HASH = generate_password_hash("rapport-timing-equaliser")


class SignInRefused(Exception):
    """Sign-in failed; the message never says whether the account exists."""


class AccountError(ValueError):
    """A user change that breaks a rule; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: "id:version", so a bumped version ends every older session."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _failure_keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    keys = [(f"rapport:login-fail:acct:{digest}", config["LOGIN_FAILURES_PER_ACCOUNT"])]
    if ip:
        keys.append((f"rapport:login-fail:ip:{ip}", config["LOGIN_FAILURES_PER_IP"]))
    return keys


def _is_throttled(keys) -> bool:
    redis = queues.connection()
    counts = redis.mget([key for key, _ in keys])
    return any(
        count is not None and int(count) >= limit
        for count, (_, limit) in zip(counts, keys, strict=True)
    )


def _record_failure(keys) -> None:
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    pipe = queues.connection().pipeline()
    for key, _ in keys:
        # SET NX starts the window on the first failure (EXPIRE NX needs Redis 7).
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
    pipe.execute()


def authenticate(email: str, password: str, ip: str | None) -> User:
    """The active user with these credentials, or SignInRefused with one generic message."""
    email = normalise_email(email)
    keys = _failure_keys(email, ip)
    if _is_throttled(keys):
        raise SignInRefused("Too many failed sign-in attempts. Try again later.")
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        ok = False
    else:
        ok = user.check_password(password or "") and user.is_active
    if not ok:
        _record_failure(keys)
        raise SignInRefused("Invalid email or password.")
    queues.connection().delete(keys[0][0])
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_reset_token(user: User) -> str:
    """A signed token bound to the user's session version: using it once invalidates it."""
    return _reset_serializer().dumps({"uid": user.id, "v": user.session_version})


def user_for_reset_token(token: str) -> User | None:
    """The user a still-valid, unused reset token belongs to, else None."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.is_active or user.session_version != data.get("v"):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Queue a reset email when the account exists; callers answer the same either way."""
    email = normalise_email(email)
    user = db.session.execute(
        sa.select(User).where(User.email == email, User.is_active.is_(True))
    ).scalar_one_or_none()
    if user is None:
        return
    from app.jobs.mail import send_password_reset

    queues.enqueue(
        send_password_reset,
        user.id,
        password_reset_token(user),
        actor=None,
        title="Password reset email",
        queue_name="mail",
    )


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="password")


def reset_password(user: User, password: str) -> None:
    """Set a new password; every existing session and reset link of the user stops working."""
    check_password_strength(password)
    user.set_password(password)
    db.session.flush()


def _check_unique_email(email: str, user_id: int | None = None) -> None:
    clash = db.session.execute(
        sa.select(User.id).where(User.email == email, User.id != (user_id or 0))
    ).first()
    if clash:
        raise AccountError("Another user already has this email address.", field="email")


def create_user(
    *,
    actor,
    email: str,
    name: str,
    role: Role,
    password: str,
    team: Team | None = None,
    locale: str = "en",
) -> User:
    """Create a staff user; only those who manage users may, and never above their own role."""
    permissions.require(actor, "create", "user")
    if not permissions.may_assign_role(actor, role):
        raise permissions.PermissionDenied("You cannot grant a role above your own.")
    email = normalise_email(email)
    _check_unique_email(email)
    check_password_strength(password)
    user = User(email=email, name=name.strip(), role=role, team=team, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, actor, **changes) -> User:
    """Change a user's details. Role, team and active flag need the right to manage users."""
    permissions.require(actor, "edit", "user", user)
    managed = {"role", "team", "is_active"}
    if managed & changes.keys() and permissions.scope_for(actor, "user", "edit") is not (
        permissions.Scope.ALL
    ):
        raise permissions.PermissionDenied("Only administrators change roles, teams and access.")
    if "role" in changes and not permissions.may_assign_role(actor, changes["role"]):
        raise permissions.PermissionDenied("You cannot grant a role above your own.")
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
        _check_unique_email(changes["email"], user.id)
    if user.id == getattr(actor, "id", None) and (
        changes.get("is_active") is False or changes.get("role", user.role) is not user.role
    ):
        raise AccountError("You cannot deactivate yourself or change your own role.", "role")
    for key, value in changes.items():
        setattr(user, key, value)
    if changes.get("is_active") is False:
        user.session_version += 1
    db.session.flush()
    return user


def create_team(*, actor, name: str, description: str = "") -> Team:
    permissions.require(actor, "create", "team")
    name = name.strip()
    if db.session.execute(sa.select(Team.id).where(Team.name == name)).first():
        raise AccountError("A team with this name already exists.", field="name")
    team = Team(name=name, description=description)
    db.session.add(team)
    db.session.flush()
    return team


def ensure_admin(email: str, name: str, password: str) -> User:
    """Create or reset an administrator from the command line (no acting user)."""
    email = normalise_email(email)
    check_password_strength(password)
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, name=name, role=Role.ADMIN)
        db.session.add(user)
    user.role = Role.ADMIN
    user.is_active = True
    user.set_password(password)
    db.session.flush()
    return user
