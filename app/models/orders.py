"""Quotes, the orders they become, and the yearly number sequences both are numbered from.

A quote is a series of versions sharing one number (Q-2026-0001): each version is a row of
its own with its lines, and revising one makes the next version; earlier versions are
superseded and never change again. Amounts are stored as app.services.quote_math computed
them, line by line, so a quote shows the same cents on the page, in the PDF and in the API.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.extensions import db
from app.models.base import RecordMixin, UTCDateTime, enum_column, money_column


class NumberSequence(db.Model):
    """The last number given out in a series ("Q-2026", "SO-2026"); the row is locked while
    the next number is taken, so two quotes saved together never share a number."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0, server_default="0")


def _percent_column(**kwargs) -> Mapped[Decimal]:
    return mapped_column(sa.Numeric(5, 2), default=Decimal("0"), server_default="0", **kwargs)


class DocumentTotals:
    """The amounts a quote or an order carries, as quote_math computed them."""

    # Percent of the whole document, taken off before tax.
    discount_percent: Mapped[Decimal] = _percent_column()
    subtotal: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    discount_amount: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    tax_total: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    total: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")

    @property
    def net_amount(self) -> Decimal:
        """What the document is worth before tax: the revenue it stands for."""
        return self.subtotal - self.discount_amount


class DocumentLine:
    """One line of a quote or an order: a product (copied, so later catalogue changes do not
    rewrite a sent quote), its quantity and price, and the amounts computed for it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    unit: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    unit_price: Mapped[Decimal] = money_column()
    discount_percent: Mapped[Decimal] = _percent_column()
    tax_rate: Mapped[Decimal] = _percent_column()
    # Computed: quantity x price less the line discount; this line's share of the document
    # discount; the tax on what remains.
    net: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    discount_share: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")
    tax: Mapped[Decimal] = money_column(default=Decimal("0"), server_default="0")

    @declared_attr
    def product_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"), index=True)

    @property
    def amount(self) -> Decimal:
        """The line's total as printed: net less its share of the discount, plus tax."""
        return self.net - self.discount_share + self.tax


class QuoteStatus(enum.Enum):
    DRAFT = "DRAFT"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    SUPERSEDED = "SUPERSEDED"


class Quote(DocumentTotals, RecordMixin, db.Model):
    """One version of a quote. Only a DRAFT version can be edited; sending freezes it, and
    a change after that is a new version (quotes.revise)."""

    __tablename__ = "quotes"
    # A rendered PDF is a cache of the quote, not a change to it.
    __audit_ignore__ = frozenset({"pdf_file", "pdf_rendered_at"})
    __table_args__ = (
        sa.UniqueConstraint("number", "version"),
        sa.Index("ix_quotes_customer_id", "customer_id", "id"),
        sa.Index("ix_quotes_opportunity_id", "opportunity_id", "id"),
        sa.Index("ix_quotes_owner_id_id", "owner_id", "id"),
        sa.Index("ix_quotes_status_id", "status", "id"),
        sa.Index("ix_quotes_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20))
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    title: Mapped[str] = mapped_column(sa.String(200))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    opportunity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="SET NULL")
    )
    price_book_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("price_books.id", ondelete="SET NULL")
    )
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[QuoteStatus] = mapped_column(
        enum_column(QuoteStatus), default=QuoteStatus.DRAFT, server_default="DRAFT"
    )
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    # Shown above the lines (a cover note) and below the totals (payment, delivery terms).
    introduction: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    terms: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Accepted or declined: when, by whom (the contact's name as they gave it on the
    # portal, or the user who recorded it) and, for a decline, why.
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    decline_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # The last rendered PDF (a random name under instance/quotes) and when it was made;
    # a draft edited after that needs a new one.
    pdf_file: Mapped[str | None] = mapped_column(sa.String(64))
    pdf_rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="QuoteLine.position, QuoteLine.id",
    )

    @property
    def reference(self) -> str:
        """The number with its version: "Q-2026-0001 v2" (just the number for version 1)."""
        return self.number if self.version == 1 else f"{self.number} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status is QuoteStatus.DRAFT

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class QuoteLine(DocumentLine, db.Model):
    __tablename__ = "quote_lines"
    __audited__ = True
    __table_args__ = (sa.Index("ix_quote_lines_quote", "quote_id", "position"),)

    quote_id: Mapped[int] = mapped_column(sa.ForeignKey("quotes.id", ondelete="CASCADE"))
    quote: Mapped[Quote] = relationship(back_populates="lines", lazy="raise")

    def __str__(self) -> str:
        return self.name


class OrderStatus(enum.Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


class Order(DocumentTotals, RecordMixin, db.Model):
    """A customer's order: made from an accepted quote (its lines copied) or entered
    directly. Every order but a cancelled one counts as revenue, on its order date."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_customer_id", "customer_id", "order_date", "id"),
        sa.Index("ix_orders_opportunity_id", "opportunity_id"),
        sa.Index("ix_orders_owner_id_id", "owner_id", "id"),
        sa.Index("ix_orders_order_date_id", "order_date", "id"),
        sa.Index("ix_orders_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    # Orders are the revenue record: a customer with orders cannot be deleted.
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="RESTRICT"))
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    opportunity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opportunities.id", ondelete="SET NULL")
    )
    quote_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="SET NULL"), unique=True
    )
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus), default=OrderStatus.PENDING, server_default="PENDING"
    )
    order_date: Mapped[date] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3))
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="OrderLine.position, OrderLine.id",
    )

    def __str__(self) -> str:
        return self.number


class OrderLine(DocumentLine, db.Model):
    __tablename__ = "order_lines"
    __audited__ = True
    __table_args__ = (sa.Index("ix_order_lines_order", "order_id", "position"),)

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")

    def __str__(self) -> str:
        return self.name


class TargetPeriod(enum.Enum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"


class SalesTarget(db.Model):
    """A quota: what one rep or one team should win in a month or a quarter, starting on
    `period_start` (the first day of that month or quarter)."""

    __tablename__ = "sales_targets"
    __audited__ = True
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="user_or_team"),
        sa.Index("ix_sales_targets_user", "user_id", "period", "period_start"),
        sa.Index("ix_sales_targets_team", "team_id", "period", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    period: Mapped[TargetPeriod] = mapped_column(enum_column(TargetPeriod))
    period_start: Mapped[date] = mapped_column(sa.Date)
    amount: Mapped[Decimal] = money_column()
    currency: Mapped[str] = mapped_column(sa.String(3))

    def __str__(self) -> str:
        return f"{self.period.value} {self.period_start:%Y-%m} {self.amount} {self.currency}"
