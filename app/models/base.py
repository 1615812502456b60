"""Column types and the mixin shared by every business record."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> sa.Enum:
    """An Enum stored as its readable string value (VARCHAR, no native type)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
        **kwargs,
    )


def money_column(**kwargs) -> Mapped:
    """An exact amount; always stored beside a currency column."""
    return mapped_column(sa.Numeric(14, 2), **kwargs)


def email_key_column() -> Mapped:
    """The email address lower-cased and trimmed, kept by the database itself (a generated
    column): what email preferences, suppression and duplicate checks match on, indexed."""
    return mapped_column(
        sa.String(254), sa.Computed("lower(trim(email))", persisted=True), deferred=True
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


class RecordMixin(TimestampMixin):
    """Owner, creator, timestamps and custom fields of a business record.

    Tags live in the `taggings` table keyed by (entity_type, entity_id), so every record
    type shares one tag mechanism; see app.services.tags.
    """

    __audited__ = True

    @declared_attr
    def owner_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def updated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    custom: Mapped[dict] = mapped_column(JSONType, default=dict, server_default="{}")


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in text)


def person_name(first_name: str | None, last_name: str | None) -> str:
    """A person's name as they write it: "Mei Chen", but "陳美玲" (family name first, no
    space) when both parts are Chinese, Japanese or Korean."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if first and last and _is_cjk(first) and _is_cjk(last):
        return last + first
    return " ".join(part for part in (first, last) if part)
