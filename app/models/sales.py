"""Sales: leads and how they are assigned, the product catalogue and its price books,
opportunities and their pipelines. Quotes, orders and targets join this module as they land.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    JSONType,
    RecordMixin,
    TimestampMixin,
    UTCDateTime,
    email_key_column,
    enum_column,
    money_column,
    person_name,
    utcnow,
)


class LeadStatus(enum.Enum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    UNQUALIFIED = "UNQUALIFIED"
    CONVERTED = "CONVERTED"


class LeadSource(enum.Enum):
    """How a lead reached Rapport; the channel reports group by it."""

    MANUAL = "MANUAL"
    IMPORT = "IMPORT"
    WEB_FORM = "WEB_FORM"
    API = "API"
    REFERRAL = "REFERRAL"
    CAMPAIGN = "CAMPAIGN"
    SOCIAL = "SOCIAL"
    EVENT = "EVENT"
    OTHER = "OTHER"


class Lead(RecordMixin, db.Model):
    """A person (and usually their company) who may buy, not yet qualified. Converting a
    lead creates or links a customer and a contact (and later an opportunity), which the
    lead then points to; the lead itself stays, with its history."""

    __tablename__ = "leads"
    __table_args__ = (
        sa.Index("ix_leads_owner_id_id", "owner_id", "id"),
        sa.Index("ix_leads_status_id", "status", "id"),
        sa.Index("ix_leads_last_name_id", "last_name", "id"),
        sa.Index("ix_leads_email", "email"),
        sa.Index("ix_leads_email_key", "email_key"),
        sa.Index("ix_leads_created_at_id", "created_at", "id"),
        sa.Index("ix_leads_campaign_id", "campaign_id", "status"),
        # Lists and segments sort and filter by the stored score.
        # (Unscored leads sort as -1, so the keyset pages never compare with NULL.)
        sa.Index("ix_leads_score_id", sa.text("coalesce(score, -1)"), "id"),
        # A grade's leads in the list's default order (newest first).
        sa.Index("ix_leads_grade_created", "score_grade", "created_at", "id"),
    )
    # Computed nightly by the scoring job, not edited: not worth an audit entry per lead.
    __audit_ignore__ = frozenset(
        {"email_key", "score", "score_grade", "score_factors", "scored_at"}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(sa.String(100))
    company: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    title: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    email_key: Mapped[str | None] = email_key_column()
    phone: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    mobile: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    website: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    industry: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    employees: Mapped[int | None]
    annual_revenue: Mapped[Decimal | None] = money_column()
    # Territory: what assignment rules and regional reports match on.
    country: Mapped[str] = mapped_column(sa.String(2), default="", server_default="")
    region: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    source: Mapped[LeadSource] = mapped_column(
        enum_column(LeadSource), default=LeadSource.MANUAL, server_default="MANUAL"
    )
    # Free text beside the source: the campaign, the referrer, the form's page.
    source_detail: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # The campaign the lead came from (a tracked link, a form, a UTM-tagged visit).
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL", use_alter=True)
    )
    utm_source: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_medium: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    utm_campaign: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    status: Mapped[LeadStatus] = mapped_column(
        enum_column(LeadStatus), default=LeadStatus.NEW, server_default="NEW"
    )
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL")
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    opportunity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="SET NULL", use_alter=True)
    )
    # Lower-cased, accent-free name, company, email and phones: what search matches against.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The lead score (app.services.predictions.lead_scoring): 0-100, grade A-D, and the
    # factors that pushed it up and down, as shown on the lead's page.
    score: Mapped[int | None]
    score_grade: Mapped[str | None] = mapped_column(sa.String(1))
    score_factors: Mapped[dict | None] = mapped_column(JSONType)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    def __str__(self) -> str:
        return self.full_name


class AssignmentRule(TimestampMixin, db.Model):
    """Who gets a new lead: the first active rule (by position) whose conditions all match
    (an empty condition matches anything) gives it to a user, or round-robin to the active
    members of a team."""

    __tablename__ = "lead_assignment_rules"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    source: Mapped[LeadSource | None] = mapped_column(enum_column(LeadSource))
    industry: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="", server_default="")
    region: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))

    def __str__(self) -> str:
        return self.name


class RoundRobinCursor(db.Model):
    """The member of a team who got the team's last lead; locked while the next is chosen,
    so two leads arriving together go to two people."""

    __tablename__ = "round_robin_cursors"

    team_id: Mapped[int] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    last_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class Product(TimestampMixin, db.Model):
    """A catalogue item: its list price is in the company's default currency; price books
    give other prices (per currency or customer tier)."""

    __tablename__ = "products"
    __audited__ = True
    __table_args__ = (sa.Index("ix_products_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    unit: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    # The product line it belongs to ("Hardware", "Services"): reports and forecasts group
    # sales by it.
    line: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    list_price: Mapped[Decimal] = money_column()
    # Percent, e.g. 5.00 for 5 %.
    tax_rate: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), default=Decimal("0"), server_default="0"
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class PriceBook(TimestampMixin, db.Model):
    """A named list of prices in one currency (e.g. "Retail TWD", "Distributors USD")."""

    __tablename__ = "price_books"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    entries: Mapped[list[PriceBookEntry]] = relationship(
        back_populates="price_book", lazy="raise", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class PriceBookEntry(TimestampMixin, db.Model):
    """A product's price in one price book."""

    __tablename__ = "price_book_entries"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("price_book_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    price_book_id: Mapped[int] = mapped_column(sa.ForeignKey("price_books.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    unit_price: Mapped[Decimal] = money_column()

    price_book: Mapped[PriceBook] = relationship(back_populates="entries", lazy="raise")
    product: Mapped[Product] = relationship(lazy="joined")

    def __str__(self) -> str:
        return f"{self.product} @ {self.unit_price}"


class OpportunityStage(enum.Enum):
    PROSPECTING = "PROSPECTING"
    QUALIFICATION = "QUALIFICATION"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    CLOSED_WON = "CLOSED_WON"
    CLOSED_LOST = "CLOSED_LOST"

    @property
    def is_closed(self) -> bool:
        return self in (OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST)

    @property
    def depth(self) -> int:
        """How far along the funnel: 1 (prospecting) to 5 (won); 0 for lost."""
        order = ("PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION", "CLOSED_WON")
        return order.index(self.value) + 1 if self.value in order else 0


class Pipeline(TimestampMixin, db.Model):
    """A sales process with its own board (e.g. "New business", "Renewals"); every pipeline
    has the six stages, each with the default probability of a deal in it."""

    __tablename__ = "pipelines"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    position: Mapped[int] = mapped_column(default=0, server_default="0")

    stages: Mapped[list[PipelineStage]] = relationship(
        back_populates="pipeline",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="PipelineStage.position",
    )

    def __str__(self) -> str:
        return self.name


class PipelineStage(db.Model):
    """One stage of a pipeline: its place on the board and its default probability."""

    __tablename__ = "pipeline_stages"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("pipeline_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(sa.ForeignKey("pipelines.id", ondelete="CASCADE"))
    stage: Mapped[OpportunityStage] = mapped_column(enum_column(OpportunityStage))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    probability: Mapped[int] = mapped_column(default=0, server_default="0")

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages", lazy="raise")

    def __str__(self) -> str:
        return self.stage.value


class Opportunity(RecordMixin, db.Model):
    """A deal being worked: what may be sold to a customer, for how much, by when, and how
    likely. `version` detects concurrent edits: a change made from a stale copy (a board
    card dragged after someone else moved it) is refused, never silently applied."""

    __tablename__ = "opportunities"
    # furthest_stage is kept from the stage history; the win score by the scoring job.
    __audit_ignore__ = frozenset({"furthest_stage", "win_score", "win_factors", "win_scored_at"})
    __table_args__ = (
        # The board: open deals of a pipeline by stage, soonest close first.
        sa.Index("ix_opportunities_board", "pipeline_id", "stage", "expected_close_date", "id"),
        sa.Index("ix_opportunities_customer_id", "customer_id", "id"),
        sa.Index("ix_opportunities_owner_id_id", "owner_id", "id"),
        sa.Index("ix_opportunities_name_id", "name", "id"),
        sa.Index("ix_opportunities_closed_at", "closed_at"),
        # Deals made from a campaign or a lead (marketing reports).
        sa.Index("ix_opportunities_campaign_id", "campaign_id"),
        sa.Index("ix_opportunities_lead_id", "lead_id"),
        # The deal list's default order: by close date, undated last (opportunity_lists).
        sa.Index(
            "ix_opportunities_close_id",
            sa.text("coalesce(expected_close_date, '9999-12-31')"),
            "id",
        ),
        # The board's totals of open deals, read from the index alone on PostgreSQL.
        sa.Index(
            "ix_opportunities_open",
            "pipeline_id",
            "stage",
            "owner_id",
            postgresql_include=["amount", "probability"],
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    pipeline_id: Mapped[int] = mapped_column(sa.ForeignKey("pipelines.id"))
    stage: Mapped[OpportunityStage] = mapped_column(
        enum_column(OpportunityStage),
        default=OpportunityStage.PROSPECTING,
        server_default="PROSPECTING",
    )
    amount: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    currency: Mapped[str] = mapped_column(sa.String(3))
    # 0-100; follows the stage's default until someone sets it by hand.
    probability: Mapped[int] = mapped_column(default=0, server_default="0")
    probability_is_manual: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    expected_close_date: Mapped[date | None] = mapped_column(sa.Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The furthest funnel stage the deal ever reached (a lost deal keeps the last one it
    # reached): what the funnel report counts, kept as the stage moves.
    furthest_stage: Mapped[OpportunityStage | None] = mapped_column(enum_column(OpportunityStage))
    stage_changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    loss_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    competitors: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    next_step: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    # The campaign the deal is attributed to (from its lead, or set by hand).
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL", use_alter=True)
    )
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # The predicted chance of winning, 0-100 (app.services.predictions.win_probability),
    # shown beside the stage's default probability; written with plain UPDATEs that leave
    # `version` alone, so scoring never makes a user's open form stale.
    win_score: Mapped[int | None]
    win_factors: Mapped[list | None] = mapped_column(JSONType)
    win_scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.name


class StageChange(db.Model):
    """An opportunity entering a stage; the time in a stage runs from one change to the next."""

    __tablename__ = "opportunity_stage_changes"
    __table_args__ = (sa.Index("ix_stage_changes_opportunity", "opportunity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    from_stage: Mapped[OpportunityStage | None] = mapped_column(enum_column(OpportunityStage))
    to_stage: Mapped[OpportunityStage] = mapped_column(enum_column(OpportunityStage))
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
    # How long the deal had stayed in from_stage (None for the first change).
    stay_seconds: Mapped[int | None]
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )


class OpportunityMember(db.Model):
    """A colleague working a deal beside its owner (a pre-sales engineer, a manager)."""

    __tablename__ = "opportunity_members"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("opportunity_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")


class OpportunityProduct(db.Model):
    """A product a deal is about, with quantity and expected price."""

    __tablename__ = "opportunity_products"
    __audited__ = True
    __table_args__ = (sa.Index("ix_opportunity_products_opportunity", "opportunity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    unit_price: Mapped[Decimal] = money_column()

    product: Mapped[Product] = relationship(lazy="joined")


class OpportunityDocument(db.Model):
    """A file uploaded to a deal, stored outside the web root under a random name."""

    __tablename__ = "opportunity_documents"
    __audited__ = True
    __table_args__ = (sa.Index("ix_opportunity_documents_opportunity", "opportunity_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="CASCADE")
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )

    def __str__(self) -> str:
        return self.filename
