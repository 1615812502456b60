"""Sales: leads and how they are assigned, the product catalogue and its price books.

Opportunities, quotes, orders and targets join this module as they land.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    RecordMixin,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    money_column,
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
        sa.Index("ix_leads_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(sa.String(100))
    company: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    title: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
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
    # Lower-cased, accent-free name, company, email and phones: what search matches against.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

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
