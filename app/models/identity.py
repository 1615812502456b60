"""Staff users, teams, role grants and API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app import timezones
from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, enum_column, utcnow


class Role(enum.Enum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    MARKETING = "marketing"
    SUPPORT = "support"

    @property
    def rank(self) -> int:
        """Higher ranks may manage lower ones; nobody grants a role above their own."""
        return {"admin": 3, "manager": 2}.get(self.value, 1)


class Team(TimestampMixin, db.Model):
    __tablename__ = "teams"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    members: Mapped[list[User]] = relationship(
        back_populates="team", lazy="selectin", order_by="User.name"
    )

    def __str__(self) -> str:
        return self.name


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __audited__ = True
    __audit_secret__ = frozenset({"password_hash"})
    __audit_ignore__ = frozenset({"last_login_at", "updated_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.SALES)
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    # An IANA name ("Asia/Taipei"): the user's days and the times they see and type.
    time_zone: Mapped[str] = mapped_column(
        sa.String(64), default=timezones.default_name, server_default="UTC"
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Bumped on logout-everywhere, password change and deactivation: ends other sessions.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Part of the secret calendar feed URL; bumping it revokes the old URL.
    calendar_feed_version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship(back_populates="members", lazy="joined")

    def __str__(self) -> str:
        return self.name

    def get_id(self) -> str:
        # The session stores id and version, so bumping the version logs the user out.
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if current_app else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


class RoleGrant(db.Model):
    """An administrator's override of the default scope a role has for (entity, action)."""

    __tablename__ = "role_grants"
    __audited__ = True

    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(10))

    @property
    def id(self) -> str:
        return f"{self.role.value}:{self.entity}:{self.action}"

    def __str__(self) -> str:
        return self.id


class TokenScope(enum.Enum):
    READ = "read"
    WRITE = "write"


class ApiToken(db.Model):
    """A personal access token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"
    __audited__ = True
    __audit_secret__ = frozenset({"token_hash"})
    __audit_ignore__ = frozenset({"last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    prefix: Mapped[str] = mapped_column(sa.String(12))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(enum_column(TokenScope), default=TokenScope.READ)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.user.is_active
