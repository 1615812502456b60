"""Customer service: tickets and their conversation, the calendars and SLA policies that
time them, the knowledge base, satisfaction surveys and the customer portal's accounts.

A ticket's assignee is its `owner_id` (RecordMixin), so the permission layer's own / team /
all scopes work for tickets as for every record; `team_id` is the team whose queue holds it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    JSONType,
    RecordMixin,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    utcnow,
)


class TicketPriority(enum.Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


class TicketStatus(enum.Enum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    PENDING = "PENDING"  # waiting on the customer: the SLA clock stops
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"

    @property
    def is_done(self) -> bool:
        return self in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class TicketChannel(enum.Enum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CHAT = "CHAT"
    WEB = "WEB"  # the portal's form
    SOCIAL = "SOCIAL"


class BusinessCalendar(TimestampMixin, db.Model):
    """Working hours in a time zone, with holidays: SLA clocks run only inside them.

    `hours` maps ISO weekday numbers ("1" Monday ... "7" Sunday) to lists of
    ["HH:MM", "HH:MM"] intervals, e.g. {"1": [["09:00", "12:00"], ["13:00", "18:00"]]}.
    A team's calendar (team_id set) times its tickets; the default one times the rest."""

    __tablename__ = "business_calendars"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    hours: Mapped[dict] = mapped_column(JSONType, default=dict, server_default="{}")
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), unique=True
    )
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    holidays: Mapped[list[CalendarHoliday]] = relationship(
        back_populates="calendar",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="CalendarHoliday.day",
    )

    def __str__(self) -> str:
        return self.name


class CalendarHoliday(db.Model):
    """A day off in a calendar: no SLA time passes on it."""

    __tablename__ = "calendar_holidays"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_calendars.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(sa.Date)
    name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="holidays", lazy="raise")

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class SlaPolicy(TimestampMixin, db.Model):
    """Targets for tickets of one priority (and, optionally, one customer tier: the ABC
    class): the first public reply and the resolution, in business minutes."""

    __tablename__ = "sla_policies"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("priority", "customer_tier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    priority: Mapped[TicketPriority] = mapped_column(enum_column(TicketPriority))
    # "" for any customer, else "A", "B" or "C" (customers.abc_class).
    customer_tier: Mapped[str] = mapped_column(sa.String(1), default="", server_default="")
    first_response_minutes: Mapped[int]
    resolution_minutes: Mapped[int]
    # Warn the assignee this many business minutes before a target is missed.
    warn_before_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    # On a breach, also raise the ticket's priority one step.
    raise_priority_on_breach: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __str__(self) -> str:
        return self.name


class TicketCategory(TimestampMixin, db.Model):
    """What a ticket is about; a category may route its tickets to a team's queue."""

    __tablename__ = "ticket_categories"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    # Give new tickets of this category round-robin to the team's active support agents.
    round_robin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __str__(self) -> str:
        return self.name


class TicketRoundRobin(db.Model):
    """The agent of a team who got its last round-robin ticket; locked while the next is
    chosen (tickets keep their own rotation, apart from the leads')."""

    __tablename__ = "ticket_round_robin"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    last_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class Ticket(RecordMixin, db.Model):
    """A customer's request. `owner_id` is the assignee (None: unassigned, in the team's
    queue). SLA: the due times are set from the matching policy when the ticket opens and
    pushed back by the business time it spends PENDING; a breach is recorded once."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_status_id", "status", "id"),
        sa.Index("ix_tickets_owner_status", "owner_id", "status", "id"),
        sa.Index("ix_tickets_team_status", "team_id", "status", "id"),
        sa.Index("ix_tickets_customer_id", "customer_id", "id"),
        sa.Index("ix_tickets_contact_id", "contact_id", "id"),
        sa.Index("ix_tickets_created_at_id", "created_at", "id"),
        # Threading an email reply by its In-Reply-To / References.
        sa.Index("ix_tickets_email_message_id", "email_message_id"),
        # Breaching soon: open tickets by their next due time.
        sa.Index(
            "ix_tickets_open_due",
            "resolution_due_at",
            "id",
            postgresql_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
            sqlite_where=sa.text("status IN ('OPEN', 'IN_PROGRESS')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    priority: Mapped[TicketPriority] = mapped_column(
        enum_column(TicketPriority), default=TicketPriority.MEDIUM, server_default="MEDIUM"
    )
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus), default=TicketStatus.OPEN, server_default="OPEN"
    )
    channel: Mapped[TicketChannel] = mapped_column(
        enum_column(TicketChannel), default=TicketChannel.WEB, server_default="WEB"
    )
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_categories.id", ondelete="SET NULL")
    )
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    sla_policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sla_policies.id", ondelete="SET NULL")
    )
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who wrote that first public reply (the first-response report credits them).
    first_responder_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set while PENDING: when the SLA clock stopped.
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the breach warning went out (once per ticket and due time).
    sla_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_customer_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_agent_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A duplicate merged into another ticket points at it (and is closed).
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL")
    )
    # The Message-ID of the email that opened it, for threading replies.
    email_message_id: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketComment(db.Model):
    """A message on a ticket: a public reply (the customer sees it, by email or on the
    portal), an internal note (staff only), or the customer's own reply."""

    __tablename__ = "ticket_comments"
    __audited__ = True
    __table_args__ = (
        sa.Index("ix_ticket_comments_ticket", "ticket_id", "id"),
        sa.Index("ix_ticket_comments_email_message_id", "email_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    # Written by a colleague (author_user_id) or by the customer's contact.
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    author_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    is_internal: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    body: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[TicketChannel | None] = mapped_column(enum_column(TicketChannel))
    email_message_id: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )

    @property
    def is_from_customer(self) -> bool:
        return self.author_user_id is None


class TicketAttachment(db.Model):
    """A file on a ticket (or one of its comments), stored outside the web root under a
    random name and served only to those who may read the ticket, always as a download."""

    __tablename__ = "ticket_attachments"
    __audited__ = True
    __table_args__ = (sa.Index("ix_ticket_attachments_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_comments.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_by_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_by_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )

    def __str__(self) -> str:
        return self.filename


class SlaTarget(enum.Enum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"


class SlaBreach(db.Model):
    """A missed SLA target, recorded once per ticket and target (the unique constraint
    makes the breach job's escalation happen once however often it runs)."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "target"),
        sa.Index("ix_sla_breaches_breached_at", "breached_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    target: Mapped[SlaTarget] = mapped_column(enum_column(SlaTarget))
    policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sla_policies.id", ondelete="SET NULL")
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))


class ArticleStatus(enum.Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


class ArticleVisibility(enum.Enum):
    PUBLIC = "PUBLIC"  # the portal and its help bot show it
    INTERNAL = "INTERNAL"  # staff only


class KbCategory(TimestampMixin, db.Model):
    __tablename__ = "kb_categories"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    def __str__(self) -> str:
        return self.name


class KbArticle(RecordMixin, db.Model):
    """A knowledge-base article (an FAQ entry too), in one language ("en" or "zh_Hant")."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        sa.Index("ix_kb_articles_status_visibility", "status", "visibility", "id"),
        sa.Index("ix_kb_articles_category", "category_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("kb_categories.id", ondelete="SET NULL")
    )
    language: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    status: Mapped[ArticleStatus] = mapped_column(
        enum_column(ArticleStatus), default=ArticleStatus.DRAFT, server_default="DRAFT"
    )
    visibility: Mapped[ArticleVisibility] = mapped_column(
        enum_column(ArticleVisibility),
        default=ArticleVisibility.PUBLIC,
        server_default="PUBLIC",
    )
    is_faq: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    view_count: Mapped[int] = mapped_column(default=0, server_default="0")
    helpful_yes: Mapped[int] = mapped_column(default=0, server_default="0")
    helpful_no: Mapped[int] = mapped_column(default=0, server_default="0")
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    def __str__(self) -> str:
        return self.title


class SurveyKind(enum.Enum):
    CSAT = "CSAT"  # 1-5, after a ticket is resolved
    NPS = "NPS"  # 0-10, "how likely are you to recommend us"


class SurveyResponse(db.Model):
    """One survey sent to a contact, and their answer: the signed link it went out with
    works once (answered_at set), without a login."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.Index("ix_survey_responses_kind_answered", "kind", "answered_at"),
        sa.Index("ix_survey_responses_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SurveyKind] = mapped_column(enum_column(SurveyKind))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    # The agent a CSAT answer rates (the assignee when it was resolved).
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # An NPS round's name (e.g. "NPS 2026 Q4").
    survey_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    sent_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


class PortalUser(TimestampMixin, db.Model):
    """A customer's contact who signs in to the portal: a separate account and session from
    staff. A company admin sees every ticket, quote and order of their customer; others
    see their own tickets and the company's quotes and orders addressed to them."""

    __tablename__ = "portal_users"
    __audited__ = True
    __audit_secret__ = frozenset({"password_hash"})
    __audit_ignore__ = frozenset({"last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_company_admin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    locale: Mapped[str] = mapped_column(sa.String(10), default="en", server_default="en")
    # Bumped on a password change or deactivation: every other portal session ends.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return self.email
