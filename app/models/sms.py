"""Text messages (SMS): every message sent or received, with its delivery state and what it
was about (a campaign recipient, a ticket reply), and each phone number's SMS marketing
state (consent, and the opt-out a STOP keyword records), which every send checks."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, enum_column, utcnow


class SmsDirection(enum.Enum):
    OUT = "OUT"
    IN = "IN"


class SmsStatus(enum.Enum):
    """QUEUED (written, not handed over yet), SENDING (the request to the provider is in
    flight: a row left so is never sent again), SENT (the provider accepted it), DELIVERED
    or FAILED (the provider's status callback), RECEIVED (an inbound message)."""

    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    RECEIVED = "RECEIVED"


class SmsMessage(db.Model):
    """One text message in or out. Not audited row by row (it is a log itself, and a
    campaign writes one per recipient); the state changes it stands for are."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        # The log (newest first by id) filtered by direction or by status.
        sa.Index("ix_sms_messages_direction", "direction", "id"),
        sa.Index("ix_sms_messages_status", "status", "id"),
        sa.Index("ix_sms_messages_campaign", "campaign_id", "status"),
        sa.Index("ix_sms_messages_provider_id", "provider_id"),
        sa.Index("ix_sms_messages_ticket", "ticket_id", "id"),
        sa.Index("ix_sms_messages_to_number", "to_number", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[SmsDirection] = mapped_column(enum_column(SmsDirection))
    # E.164 numbers; the sender may also be a provider's messaging service id.
    to_number: Mapped[str] = mapped_column(sa.String(40))
    from_number: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[SmsStatus] = mapped_column(enum_column(SmsStatus))
    # "dev" or "twilio": who was asked to send it (or who reported it, for inbound ones).
    provider: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    provider_id: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    error_code: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    campaign_recipient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign_recipients.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    ticket_comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_comments.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    # Who asked for it (a ticket notice, a test send); None for campaign sends and inbound.
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )

    def __str__(self) -> str:
        return f"SMS {self.direction.value} {self.to_number}"


class SmsPreference(db.Model):
    """A phone number's SMS marketing state (the SMS counterpart of EmailPreference):
    consent, and an opt-out by keyword (STOP...) or by a colleague. The primary key makes
    "is this number opted out?" one index lookup; the evidence of each change is a
    ConsentRecord with channel SMS. Audited: every opt-out and opt-in is on the log."""

    __tablename__ = "sms_preferences"
    __audited__ = True

    phone: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The keyword that opted the number out (STOP, UNSUBSCRIBE...), '' for other ways.
    opt_out_keyword: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    opt_out_source: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )

    def __str__(self) -> str:
        return self.phone
