"""Marketing: segments and static lists, email templates, campaigns and their per-recipient
send state (the outbox), behaviour events, each address's consent and preferences, web
forms with A/B variants, drip sequences, and tracked short links."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import (
    JSONType,
    RecordMixin,
    UTCDateTime,
    enum_column,
    money_column,
    utcnow,
)


class SegmentEntity(enum.Enum):
    """Who a segment is made of: contacts (of customers) or leads."""

    CONTACT = "CONTACT"
    LEAD = "LEAD"


class SegmentKind(enum.Enum):
    DYNAMIC = "DYNAMIC"  # conditions, evaluated by one SQL query whenever it is used
    STATIC = "STATIC"  # a hand-picked list (segment_members)


class Segment(RecordMixin, db.Model):
    """An audience. A dynamic segment's `definition` is
    `{"match": "all"|"any", "groups": [{"match": ..., "conditions": [{field, op, value}]}]}`,
    compiled to SQL by app.services.segment_rules."""

    __tablename__ = "segments"
    __table_args__ = (sa.Index("ix_segments_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    entity: Mapped[SegmentEntity] = mapped_column(
        enum_column(SegmentEntity), default=SegmentEntity.CONTACT, server_default="CONTACT"
    )
    kind: Mapped[SegmentKind] = mapped_column(
        enum_column(SegmentKind), default=SegmentKind.DYNAMIC, server_default="DYNAMIC"
    )
    definition: Mapped[dict] = mapped_column(JSONType, default=dict)
    # The last count, with when it was taken: lists show it without counting every segment.
    last_count: Mapped[int | None]
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __str__(self) -> str:
        return self.name


class SegmentMember(db.Model):
    """One contact or lead (by the segment's entity) on a static list."""

    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(primary_key=True)
    added_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class EmailTemplate(RecordMixin, db.Model):
    """A marketing email in two languages. The bodies hold merge fields such as
    `{{ contact.first_name | default("there") }}`, substituted by app.services.merge_fields
    (never compiled by a template engine); the HTML body is stored sanitised."""

    __tablename__ = "email_templates"
    __table_args__ = (sa.Index("ix_email_templates_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    sender_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    subject: Mapped[str] = mapped_column(sa.String(255))
    html_body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    text_body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The Traditional Chinese version; empty parts fall back to the default language.
    sender_name_zh: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    subject_zh: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    html_body_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    text_body_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    def __str__(self) -> str:
        return self.name


class CampaignType(enum.Enum):
    EMAIL = "EMAIL"
    SOCIAL = "SOCIAL"
    EVENT = "EVENT"
    WEBINAR = "WEBINAR"
    CONTENT = "CONTENT"
    SMS = "SMS"  # sent as text messages (app.services.sms.campaigns)


class CampaignStatus(enum.Enum):
    PLANNING = "PLANNING"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"


class MarketingTopic(enum.Enum):
    """What a campaign is about; recipients may opt out of single topics."""

    NEWSLETTER = "NEWSLETTER"
    PRODUCT = "PRODUCT"
    EVENTS = "EVENTS"
    OFFERS = "OFFERS"


class SendState(enum.Enum):
    """Where a campaign's email send is: DRAFT until someone sends it."""

    DRAFT = "DRAFT"
    PREPARING = "PREPARING"  # the recipient rows are being written
    SENDING = "SENDING"
    PAUSED = "PAUSED"
    CANCELLED = "CANCELLED"
    SENT = "SENT"


class Campaign(RecordMixin, db.Model):
    """A marketing campaign: its plan (type, dates, budget, channels), its audience and
    email, what it cost, and (through campaign_recipients, marketing_events and the leads
    and deals attributed to it) what it earned."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.Index("ix_campaigns_name_id", "name", "id"),
        sa.Index("ix_campaigns_status_id", "status", "id"),
        sa.Index("ix_campaigns_start_date_id", "start_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[CampaignType] = mapped_column(
        enum_column(CampaignType), default=CampaignType.EMAIL, server_default="EMAIL"
    )
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.PLANNING, server_default="PLANNING"
    )
    topic: Mapped[MarketingTopic] = mapped_column(
        enum_column(MarketingTopic), default=MarketingTopic.NEWSLETTER, server_default="NEWSLETTER"
    )
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3))
    budget: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    # What was actually spent (ads, venue, agency); ROI is measured against it.
    actual_cost: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    expected_revenue: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    # Channel names (EMAIL, SOCIAL:linkedin, EVENT, ...), see app.services.campaigns.
    channels: Mapped[list] = mapped_column(JSONType, default=list)
    # Entered for channels Rapport cannot count itself (ads, social posts, events).
    impressions: Mapped[int] = mapped_column(default=0, server_default="0")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    segment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("segments.id", ondelete="SET NULL")
    )
    template_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("email_templates.id", ondelete="SET NULL")
    )
    # The text of an SMS campaign (merge fields allowed; at most 640 characters).
    sms_body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    send_state: Mapped[SendState] = mapped_column(
        enum_column(SendState), default=SendState.DRAFT, server_default="DRAFT"
    )
    # Messages per minute for this campaign's send; None: the installation's setting.
    send_rate: Mapped[int | None]
    # Audience rows that repeated an address already on the send (one message per address).
    duplicates_skipped: Mapped[int] = mapped_column(default=0, server_default="0")
    send_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on the campaign a sequence's email step sends through (kept out of the list).
    sequence_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sequences.id", ondelete="SET NULL", use_alter=True)
    )

    def __str__(self) -> str:
        return self.name


class RecipientStatus(enum.Enum):
    """A recipient row's place in the outbox. CLAIMED rows were taken by a batch but not
    tried; SENDING means the SMTP conversation started, so a row a dead worker left
    SENDING becomes UNKNOWN (it may have been delivered) and is never resent blindly."""

    QUEUED = "QUEUED"
    CLAIMED = "CLAIMED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"
    UNKNOWN = "UNKNOWN"


class CampaignRecipient(db.Model):
    """One address on one campaign send (unique per campaign): the persisted send state that
    makes sends idempotent, and the first open, click, bounce and unsubscribe it led to."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "email"),
        sa.Index("ix_campaign_recipients_queue", "campaign_id", "status", "id"),
        sa.Index("ix_campaign_recipients_message_id", "message_id"),
        sa.Index("ix_campaign_recipients_contact_id", "contact_id"),
        sa.Index("ix_campaign_recipients_lead_id", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    # Lower-cased address; '' for audience members who have none (skipped, counted).
    email: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[RecipientStatus] = mapped_column(
        enum_column(RecipientStatus), default=RecipientStatus.QUEUED, server_default="QUEUED"
    )
    # Why a SKIPPED row was not sent: no_email, no_consent, unsubscribed, bounced, topic.
    skip_reason: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    claimed_by: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    open_count: Mapped[int] = mapped_column(default=0, server_default="0")
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    click_count: Mapped[int] = mapped_column(default=0, server_default="0")
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventKind(enum.Enum):
    VISIT = "VISIT"
    EMAIL_OPEN = "EMAIL_OPEN"
    EMAIL_CLICK = "EMAIL_CLICK"
    DOWNLOAD = "DOWNLOAD"
    FORM_SUBMIT = "FORM_SUBMIT"
    UNSUBSCRIBE = "UNSUBSCRIBE"
    BOUNCE = "BOUNCE"


class MarketingEvent(db.Model):
    """One behaviour event of a contact or lead (or of an anonymous visitor, attached to
    the person once they identify themselves): what segments and lead scoring read."""

    __tablename__ = "marketing_events"
    __table_args__ = (
        sa.Index("ix_marketing_events_contact", "contact_id", "kind", "occurred_at"),
        sa.Index("ix_marketing_events_lead", "lead_id", "kind", "occurred_at"),
        sa.Index("ix_marketing_events_campaign", "campaign_id", "kind"),
        sa.Index("ix_marketing_events_visitor", "visitor_id"),
        # Who did this in the last N days (segments counting events): a covering range scan.
        sa.Index("ix_marketing_events_recent", "kind", "occurred_at", "contact_id", "lead_id"),
        # Downloads by URL in a period (content performance): a small covering index.
        sa.Index(
            "ix_marketing_events_downloads",
            "occurred_at",
            "url",
            "contact_id",
            "lead_id",
            postgresql_where=sa.text("kind = 'DOWNLOAD'"),
            sqlite_where=sa.text("kind = 'DOWNLOAD'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    occurred_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    # The anonymous visitor cookie of the tracking snippet.
    visitor_id: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    url: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    # UTM parameters, referrer, the link's label...: small and schemaless.
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)


class ConsentChannel(enum.Enum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PHONE = "PHONE"


class ConsentRecord(db.Model):
    """One grant or withdrawal of consent, kept forever as evidence (GDPR art. 7): who,
    for which channel, how (source), when, from where."""

    __tablename__ = "consent_records"
    __table_args__ = (sa.Index("ix_consent_records_email", "email", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    channel: Mapped[ConsentChannel] = mapped_column(
        enum_column(ConsentChannel), default=ConsentChannel.EMAIL, server_default="EMAIL"
    )
    granted: Mapped[bool]
    # form, import, manual, api, portal, preferences, unsubscribe_link, list_unsubscribe
    source: Mapped[str] = mapped_column(sa.String(40))
    detail: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    # No foreign key: the evidence outlives the user who recorded it.
    actor_id: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, server_default=sa.func.now())


class EmailPreference(db.Model):
    """An address's current marketing state, which every send checks: consent, a global
    unsubscribe, a hard bounce, the topics opted out of, and the language wanted."""

    __tablename__ = "email_preferences"

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    consent: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_source: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_count: Mapped[int] = mapped_column(default=0, server_default="0")
    bounce_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # MarketingTopic values this address does not want.
    topics_opted_out: Mapped[list] = mapped_column(JSONType, default=list)
    locale: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )


class FormStatus(enum.Enum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ARCHIVED = "ARCHIVED"


class WebForm(RecordMixin, db.Model):
    """A web form with its hosted landing page (/f/<slug>) and embeddable snippet. `fields`
    is a list of `{key, label, label_zh, type, required, maps_to, choices}`; `maps_to` names
    the lead field (or `custom.<key>`) a value lands in. Submissions create or update leads."""

    __tablename__ = "web_forms"
    __table_args__ = (sa.Index("ix_web_forms_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    status: Mapped[FormStatus] = mapped_column(
        enum_column(FormStatus), default=FormStatus.DRAFT, server_default="DRAFT"
    )
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    fields: Mapped[list] = mapped_column(JSONType, default=list)
    # The consent tick box's wording; empty: the form asks no marketing consent.
    consent_text: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    consent_text_zh: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    success_message: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    success_message_zh: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # Where visitors go after submitting (http/https only); empty: the thank-you message.
    redirect_url: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")

    def __str__(self) -> str:
        return self.name


class FormVariant(db.Model):
    """One A/B variant of a form's landing page, shown to `weight` parts of the traffic,
    with its view and submission counters (incremented in SQL, never read-modify-write)."""

    __tablename__ = "web_form_variants"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("form_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("web_forms.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(40))
    weight: Mapped[int] = mapped_column(default=50, server_default="50")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    headline: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    headline_zh: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    intro: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    intro_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    button_label: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    button_label_zh: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    views: Mapped[int] = mapped_column(default=0, server_default="0")
    submissions: Mapped[int] = mapped_column(default=0, server_default="0")


class FormSubmission(db.Model):
    """One submission of a web form: what was typed, the lead it created or updated, the
    variant shown, and where the visitor came from (UTM parameters, referrer, page)."""

    __tablename__ = "web_form_submissions"
    __table_args__ = (
        sa.Index("ix_web_form_submissions_form", "form_id", "id"),
        sa.Index("ix_web_form_submissions_lead", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("web_forms.id", ondelete="CASCADE"))
    variant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("web_form_variants.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    utm_source: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_medium: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_campaign: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_term: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_content: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    referrer: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    page_url: Mapped[str] = mapped_column(sa.String(1000), default="", server_default="")
    visitor_id: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )


class SequenceTrigger(enum.Enum):
    SEGMENT_JOIN = "SEGMENT_JOIN"  # a contact or lead starts matching a segment
    FORM_SUBMIT = "FORM_SUBMIT"
    LEAD_CREATED = "LEAD_CREATED"
    MANUAL = "MANUAL"


class SequenceStatus(enum.Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"


class Sequence(RecordMixin, db.Model):
    """A drip sequence: who enters it (the trigger), the steps they go through, and when
    they leave (unsubscribing, converting, or reaching the end)."""

    __tablename__ = "sequences"
    __table_args__ = (sa.Index("ix_sequences_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    status: Mapped[SequenceStatus] = mapped_column(
        enum_column(SequenceStatus), default=SequenceStatus.DRAFT, server_default="DRAFT"
    )
    trigger: Mapped[SequenceTrigger] = mapped_column(
        enum_column(SequenceTrigger), default=SequenceTrigger.MANUAL, server_default="MANUAL"
    )
    entity: Mapped[SegmentEntity] = mapped_column(
        enum_column(SegmentEntity), default=SegmentEntity.LEAD, server_default="LEAD"
    )
    segment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("segments.id", ondelete="SET NULL")
    )
    form_id: Mapped[int | None] = mapped_column(sa.ForeignKey("web_forms.id", ondelete="SET NULL"))
    topic: Mapped[MarketingTopic] = mapped_column(
        enum_column(MarketingTopic), default=MarketingTopic.NEWSLETTER, server_default="NEWSLETTER"
    )

    def __str__(self) -> str:
        return self.name


class StepKind(enum.Enum):
    WAIT = "WAIT"
    SEND_EMAIL = "SEND_EMAIL"
    CREATE_TASK = "CREATE_TASK"
    ADD_TAG = "ADD_TAG"
    BRANCH = "BRANCH"


class SequenceStep(db.Model):
    """One step of a sequence, by position. `settings` by kind: WAIT {days, hours};
    SEND_EMAIL {template_id} (sent through the step's own campaign, so the outbox, tracking
    and metrics of campaigns apply); CREATE_TASK {subject, due_days}; ADD_TAG {tag};
    BRANCH {on: opened|clicked, within_days, yes: position, no: position}."""

    __tablename__ = "sequence_steps"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("sequence_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind))
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )


class EnrollmentStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    EXITED = "EXITED"


class SequenceEnrollment(db.Model):
    """One contact's or lead's way through a sequence: the step it is at and when that step
    is due; the scheduled job advances every due enrollment."""

    __tablename__ = "sequence_enrollments"
    __table_args__ = (
        sa.Index("ix_sequence_enrollments_due", "status", "next_run_at"),
        sa.Index("ix_sequence_enrollments_sequence", "sequence_id", "status", "id"),
        sa.Index("ix_sequence_enrollments_contact", "contact_id"),
        sa.Index("ix_sequence_enrollments_lead", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    status: Mapped[EnrollmentStatus] = mapped_column(
        enum_column(EnrollmentStatus), default=EnrollmentStatus.ACTIVE, server_default="ACTIVE"
    )
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enrolled_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # unsubscribed, converted, bounced, removed, completed
    exit_reason: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    # Optimistic lock: two scheduler runs never advance the same enrollment twice.
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class CampaignLink(db.Model):
    """A short tracked link (/l/<code>): a campaign's post on one social channel, an ad, or a
    content download. It redirects to the target with the UTM parameters added and counts
    the click; leads arriving through it are attributed to the campaign and channel."""

    __tablename__ = "campaign_links"
    __audited__ = True
    __table_args__ = (sa.Index("ix_campaign_links_campaign", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    # linkedin, facebook, x, instagram, youtube, email, ads, other
    channel: Mapped[str] = mapped_column(sa.String(40), default="other", server_default="other")
    label: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    target_url: Mapped[str] = mapped_column(sa.String(1000))
    utm_source: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_medium: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_campaign: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_content: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # A download (a PDF, an e-book): its clicks are DOWNLOAD events, not visits.
    is_download: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    clicks: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )


class WebVisitor(db.Model):
    """An anonymous website visitor (the tracking snippet's id) and, once they identify
    themselves (a form, a tracked email link), the contact or lead they are; their earlier
    events are attached to that person then."""

    __tablename__ = "web_visitors"
    __table_args__ = (
        sa.Index("ix_web_visitors_contact", "contact_id"),
        sa.Index("ix_web_visitors_lead", "lead_id"),
    )

    visitor_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    # First touch: how the visitor first arrived (utm_*, referrer, landing page).
    first_touch: Mapped[dict] = mapped_column(JSONType, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    last_seen_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
