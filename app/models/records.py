"""What every record type shares: the audit trail, tags and administrator-defined fields."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column, utcnow


class AuditAction(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class AuditEntry(db.Model):
    """One create/update/delete of one record, with field-level before/after values."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_entity", "entity_type", "entity_id", "id"),
        sa.Index("ix_audit_entries_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # No foreign key: the trail outlives the users and records it mentions.
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    source: Mapped[str] = mapped_column(sa.String(10), default="system", server_default="system")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[str] = mapped_column(sa.String(64))
    label: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    changes: Mapped[dict] = mapped_column(JSONType, default=dict)


class Tag(TimestampMixin, db.Model):
    __tablename__ = "tags"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    color: Mapped[str] = mapped_column(sa.String(7), default="#64748b", server_default="#64748b")

    def __str__(self) -> str:
        return self.name


class Tagging(db.Model):
    """A tag on one record of any type; audited as a change to that record's tags."""

    __tablename__ = "taggings"
    __table_args__ = (
        sa.UniqueConstraint("tag_id", "entity_type", "entity_id"),
        sa.Index("ix_taggings_entity", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int]

    tag: Mapped[Tag] = relationship(lazy="joined")


class FieldType(enum.Enum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    CHECKBOX = "checkbox"


class CustomField(TimestampMixin, db.Model):
    """A field an administrator added to one entity type; values live in record.custom."""

    __tablename__ = "custom_fields"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("entity_type", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(120))
    label_zh: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    field_type: Mapped[FieldType] = mapped_column(enum_column(FieldType))
    choices: Mapped[list] = mapped_column(JSONType, default=list)
    required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __str__(self) -> str:
        return self.label


class ImportStatus(enum.Enum):
    MAPPING = "mapping"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DataImport(TimestampMixin, db.Model):
    """One CSV upload into a record type: its column mapping, options and outcome.

    The job commits batch by batch together with `rows_done`, so a retried job resumes
    after the last committed row and no row is imported twice.
    """

    __tablename__ = "data_imports"
    __table_args__ = (sa.Index("ix_data_imports_created_by_id", "created_by_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus), default=ImportStatus.MAPPING
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_file: Mapped[str] = mapped_column(sa.String(64))
    mapping: Mapped[dict] = mapped_column(JSONType, default=dict)
    options: Mapped[dict] = mapped_column(JSONType, default=dict)
    total_rows: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_done: Mapped[int] = mapped_column(default=0, server_default="0")
    created: Mapped[int] = mapped_column(default=0, server_default="0")
    updated: Mapped[int] = mapped_column(default=0, server_default="0")
    skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    report_file: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    job_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return self.filename
