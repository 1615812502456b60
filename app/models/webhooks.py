"""Outgoing webhooks: the URLs administrators subscribe to events, and one delivery row per
(event, subscription) that the jobs send, retry and log."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column, utcnow
from app.models.identity import User


class DeliveryStatus(enum.Enum):
    PENDING = "PENDING"  # not tried yet (or sent again by hand)
    RETRYING = "RETRYING"  # failed, tried again at next_attempt_at
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"  # every attempt failed

    @property
    def is_waiting(self) -> bool:
        return self in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


class WebhookSubscription(TimestampMixin, db.Model):
    """A URL that receives the events it is subscribed to, signed with its own secret."""

    __tablename__ = "webhook_subscriptions"
    __audited__ = True
    # The signing key is stored as is (HMAC needs it); the audit trail only says it changed.
    __audit_secret__ = frozenset({"secret"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list] = mapped_column(JSONType, default=list)
    secret: Mapped[str] = mapped_column(sa.String(100))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    created_by: Mapped[User | None] = relationship(lazy="joined")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(db.Model):
    """One event for one subscription: its payload, where it stands, and the last attempt.

    `claimed_until` is the lease of the worker sending it right now (a conditional UPDATE
    sets it), so two workers never send the same delivery at once.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # The log page: one subscription's deliveries, newest first, paged by id.
        sa.Index("ix_webhook_deliveries_log", "subscription_id", "id"),
        # The retry sweep: waiting deliveries whose time has come.
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        # The job queued after a commit finds its deliveries by event id.
        sa.Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event: Mapped[str] = mapped_column(sa.String(60))
    event_id: Mapped[str] = mapped_column(sa.String(36))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    response_excerpt: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )

    subscription: Mapped[WebhookSubscription] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.event} #{self.id}"
