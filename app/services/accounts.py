"""Staff accounts: sign-in with throttling, password resets, users and teams."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app import permissions, queues, timezones
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role, Team, User
from app.services.search import contains_pattern

log = logging.getLogger(__name__)

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


class RoleAboveOwn(permissions.PermissionDenied):
    """The actor tried to grant a role ranked above their own (a 403 unless a form shows it)."""

    field = "role"
    description = _l("You cannot grant a role above your own.")


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


def is_throttled(keys) -> bool:
    """Whether any (Redis key, limit) pair has reached its limit of recent failures (staff
    and portal sign-ins keep their own keys)."""
    try:
        counts = queues.connection().mget([key for key, _ in keys])
    except queues.REDIS_DOWN:
        # Signing in matters more than counting failures during a Redis outage; the
        # per-address rate limit of the sign-in pages still applies.
        log.warning("sign-in throttle unavailable: Redis is unreachable")
        return False
    return any(
        count is not None and int(count) >= limit
        for count, (_, limit) in zip(counts, keys, strict=True)
    )


def record_failure(keys) -> None:
    """Count one failed sign-in under each key, for LOGIN_FAILURE_WINDOW seconds."""
    window = current_app.config["LOGIN_FAILURE_WINDOW"]
    pipe = queues.connection().pipeline()
    for key, _ in keys:
        # SET NX starts the window on the first failure (EXPIRE NX needs Redis 7).
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
    with contextlib.suppress(*queues.REDIS_DOWN):
        pipe.execute()


def forget_failures(key: str) -> None:
    """Start counting a sign-in's failures afresh (after a success or a new password)."""
    with contextlib.suppress(*queues.REDIS_DOWN):
        queues.connection().delete(key)


def authenticate(email: str, password: str, ip: str | None) -> User:
    """The active user with these credentials, or SignInRefused with one generic message."""
    email = normalise_email(email)
    keys = _failure_keys(email, ip)
    if is_throttled(keys):
        raise SignInRefused("Too many failed sign-in attempts. Try again later.")
    user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        ok = False
    else:
        ok = user.check_password(password or "") and user.is_active
    if not ok:
        record_failure(keys)
        raise SignInRefused("Invalid email or password.")
    forget_failures(keys[0][0])
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
    _queue_password_link(user, actor=None)


def _queue_password_link(user: User, *, actor) -> None:
    from app.jobs.mail import send_password_reset

    queues.enqueue_durably(
        send_password_reset,
        user.id,
        password_reset_token(user),
        actor=actor,
        title="Password reset email",
        queue_name="mail",
    )


def send_password_link(user: User, *, actor) -> None:
    """Email `user` a link to choose a password (new accounts created without one).

    Call it after the commit that created or reactivated the user: the mail job reads the
    user from the database, and a job that ran before the commit would find nobody.
    """
    _require_user_management(actor)
    if not user.is_active:
        raise AccountError(_l("This user is deactivated; reactivate them first."), "is_active")
    _queue_password_link(user, actor=actor)


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("Use at least %(count)d characters.", count=MIN_PASSWORD_LENGTH), field="password"
        )


def reset_password(user: User, password: str) -> None:
    """Set a new password; every existing session and reset link of the user stops working."""
    check_password_strength(password)
    user.set_password(password)
    db.session.flush()


def check_time_zone(name: str) -> None:
    """Refuse a time zone name that is not in the IANA database (typos, invented places)."""
    if not timezones.is_known(name):
        raise AccountError(
            _l(
                "“%(name)s” is not a time zone Rapport knows. Choose one from the list, "
                "such as Asia/Taipei or Europe/London.",
                name=name,
            ),
            field="time_zone",
        )


def _check_unique_email(email: str, user_id: int | None = None) -> None:
    clash = db.session.execute(
        sa.select(User.id).where(User.email == email, User.id != (user_id or 0))
    ).first()
    if clash:
        raise AccountError(_l("Another user already has this email address."), field="email")


def _require_user_management(actor) -> None:
    if permissions.scope_for(actor, "user", "edit") is not permissions.Scope.ALL:
        raise permissions.PermissionDenied(
            _l("Only administrators change roles, teams and access.")
        )


def create_user(
    *,
    actor,
    email: str,
    name: str,
    role: Role,
    password: str | None,
    team: Team | None = None,
    locale: str = "en",
    time_zone: str | None = None,
) -> User:
    """Create a staff user; only those who manage users may, and never above their own role.

    With `password=None` the account cannot sign in until its owner sets a password through
    the link `send_password_link` emails. Without `time_zone` the user gets the
    configured default.
    """
    permissions.require(actor, "create", "user")
    if not permissions.may_assign_role(actor, role):
        raise RoleAboveOwn()
    email = normalise_email(email)
    _check_unique_email(email)
    if password is not None:
        check_password_strength(password)
    if time_zone is not None:
        check_time_zone(time_zone)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        team=team,
        locale=locale,
        time_zone=time_zone or timezones.default_name(),
    )
    if password is not None:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


_EDITABLE_USER_FIELDS = {"name", "email", "locale", "time_zone", "role", "team", "is_active"}


def update_user(user: User, *, actor, **changes) -> User:
    """Change a user's details. Role, team and active flag need the right to manage users;
    deactivating a user ends all of their sessions."""
    unknown = changes.keys() - _EDITABLE_USER_FIELDS
    if unknown:
        # Passwords, session versions and the like have their own functions, never this one.
        raise TypeError(f"update_user cannot change {', '.join(sorted(unknown))}")
    permissions.require(actor, "edit", "user", user)
    if {"role", "team", "is_active"} & changes.keys():
        _require_user_management(actor)
    if "role" in changes and not permissions.may_assign_role(actor, changes["role"]):
        raise RoleAboveOwn()
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
        _check_unique_email(changes["email"], user.id)
    if "time_zone" in changes:
        check_time_zone(changes["time_zone"])
    if user.id == getattr(actor, "id", None):
        # An administrator who locks themselves out may leave nobody able to undo it.
        if changes.get("is_active") is False:
            raise AccountError(_l("You cannot deactivate yourself."), "is_active")
        if changes.get("role", user.role) is not user.role:
            raise AccountError(_l("You cannot change your own role."), "role")
    was_active = user.is_active
    for key, value in changes.items():
        setattr(user, key, value)
    if was_active and not user.is_active:
        user.session_version += 1
    db.session.flush()
    return user


USERS_PER_PAGE = 50


@dataclasses.dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_after: int | None


def find_users(
    actor,
    *,
    search: str = "",
    role: Role | None = None,
    team_id: int | None = None,
    without_team: bool = False,
    active: bool | None = None,
    after: int | None = None,
    limit: int = USERS_PER_PAGE,
) -> UserPage:
    """One page of the users `actor` may see, by name, continuing after user id `after`."""
    query = sa.select(User).where(permissions.visible(actor, "user", User.id))
    if search.strip():
        pattern = contains_pattern(search.strip())
        query = query.where(
            sa.or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
    if role is not None:
        query = query.where(User.role == role)
    if without_team:
        query = query.where(User.team_id.is_(None))
    elif team_id is not None:
        query = query.where(User.team_id == team_id)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if after is not None:
        # Keyset pagination on (name, id): stable and cheap at any depth.
        anchor = db.session.execute(sa.select(User.name).where(User.id == after)).scalar()
        if anchor is not None:
            query = query.where(
                sa.or_(User.name > anchor, sa.and_(User.name == anchor, User.id > after))
            )
    rows = list(db.session.execute(query.order_by(User.name, User.id).limit(limit + 1)).scalars())
    more = len(rows) > limit
    return UserPage(rows[:limit], rows[limit - 1].id if more else None)


def _check_unique_team_name(name: str, team_id: int | None = None) -> None:
    clash = db.session.execute(
        sa.select(Team.id).where(Team.name == name, Team.id != (team_id or 0))
    ).first()
    if clash:
        raise AccountError(_l("A team with this name already exists."), field="name")


def create_team(*, actor, name: str, description: str = "") -> Team:
    """Create a team; names are unique."""
    permissions.require(actor, "create", "team")
    name = name.strip()
    _check_unique_team_name(name)
    team = Team(name=name, description=description.strip())
    db.session.add(team)
    db.session.flush()
    return team


def update_team(team: Team, *, actor, name: str, description: str = "") -> Team:
    """Rename a team or change its description."""
    permissions.require(actor, "edit", "team", team)
    name = name.strip()
    _check_unique_team_name(name, team.id)
    team.name = name
    team.description = description.strip()
    db.session.flush()
    return team


def delete_team(team: Team, *, actor) -> None:
    """Delete a team that has no members; members are moved or removed first, on purpose,
    so nobody silently loses the team-wide access they had."""
    permissions.require(actor, "delete", "team", team)
    members = db.session.execute(
        sa.select(sa.func.count(User.id)).where(User.team_id == team.id)
    ).scalar_one()
    if members:
        raise AccountError(
            ngettext(
                "This team still has %(num)d member. Move them to another team first.",
                "This team still has %(num)d members. Move them to another team first.",
                members,
            )
        )
    db.session.delete(team)
    db.session.flush()


def teams_with_member_counts(actor) -> list[tuple[Team, int]]:
    """Every team `actor` may see, by name, with how many users belong to it."""
    permissions.require(actor, "read", "team")
    counts = (
        sa.select(User.team_id, sa.func.count(User.id).label("members"))
        .group_by(User.team_id)
        .subquery()
    )
    query = (
        sa.select(Team, sa.func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.team_id == Team.id)
        .order_by(Team.name)
    )
    return [(team, members) for team, members in db.session.execute(query)]


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
