"""Activities: calls, emails, meetings, notes and tasks, linked to the records they concern."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import RecordMixin, UTCDateTime, enum_column
from app.models.customers import Contact, Customer


class ActivityKind(enum.Enum):
    CALL = "CALL"
    EMAIL = "EMAIL"
    MEETING = "MEETING"
    NOTE = "NOTE"
    TASK = "TASK"


class ActivityStatus(enum.Enum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class Activity(RecordMixin, db.Model):
    """One touchpoint. Later modules add their links (opportunity, ticket) here."""

    __tablename__ = "activities"
    __table_args__ = (
        # Timeline of a customer / contact, newest first.
        sa.Index("ix_activities_customer_id_occurred", "customer_id", "occurred_at", "id"),
        sa.Index("ix_activities_contact_id_occurred", "contact_id", "occurred_at", "id"),
        sa.Index("ix_activities_lead_id_occurred", "lead_id", "occurred_at", "id"),
        # "My tasks": open items of one owner by due date.
        sa.Index("ix_activities_owner_status_due", "owner_id", "status", "due_at"),
        # The reminder sweep: open items whose reminder time has come and not been sent.
        sa.Index("ix_activities_remind_at", "remind_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ActivityKind] = mapped_column(enum_column(ActivityKind))
    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[ActivityStatus] = mapped_column(
        enum_column(ActivityStatus), default=ActivityStatus.OPEN, server_default="OPEN"
    )
    # When it happened (calls, emails, notes) or starts (meetings); tasks use due_at.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE")
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))

    customer: Mapped[Customer | None] = relationship(lazy="raise")
    contact: Mapped[Contact | None] = relationship(lazy="raise")

    def __str__(self) -> str:
        return self.subject
