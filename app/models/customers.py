"""Customers (accounts), their addresses, contacts, and credit-rating history."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import (
    JSONType,
    RecordMixin,
    UTCDateTime,
    email_key_column,
    enum_column,
    person_name,
    utcnow,
)


class CustomerStatus(enum.Enum):
    LEAD = "LEAD"
    PROSPECT = "PROSPECT"
    CUSTOMER = "CUSTOMER"
    PARTNER = "PARTNER"


class CustomerSize(enum.Enum):
    SMALL = "SMALL"
    MEDIUM = "MEDIUM"
    LARGE = "LARGE"
    ENTERPRISE = "ENTERPRISE"


class Rating(enum.Enum):
    HOT = "HOT"
    WARM = "WARM"
    COLD = "COLD"


class AddressKind(enum.Enum):
    BILLING = "BILLING"
    SHIPPING = "SHIPPING"
    OTHER = "OTHER"


class Customer(RecordMixin, db.Model):
    """An account: a company (or a person) the business sells to or works with."""

    __tablename__ = "customers"
    __table_args__ = (
        # Lists: newest first per owner, and the default sort by name then id (keyset).
        sa.Index("ix_customers_owner_id_id", "owner_id", "id"),
        sa.Index("ix_customers_name_id", "name", "id"),
        sa.Index("ix_customers_status_id", "status", "id"),
        # The customers-at-risk list: highest churn risk first.
        sa.Index("ix_customers_churn_risk_id", "churn_risk", "id"),
        # Counts per churn level of the few customers scored, from the index alone.
        sa.Index(
            "ix_customers_churn_level",
            "churn_level",
            "owner_id",
            postgresql_where=sa.text("churn_level IS NOT NULL"),
            sqlite_where=sa.text("churn_level IS NOT NULL"),
        ),
    )
    # The churn prediction is recomputed by a job, not edited: no audit entry per customer.
    __audit_ignore__ = frozenset({"churn_risk", "churn_level", "churn_factors", "churn_scored_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    company: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    industry: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    size: Mapped[CustomerSize | None] = mapped_column(enum_column(CustomerSize))
    status: Mapped[CustomerStatus] = mapped_column(
        enum_column(CustomerStatus), default=CustomerStatus.PROSPECT, server_default="PROSPECT"
    )
    source: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    rating: Mapped[Rating | None] = mapped_column(enum_column(Rating))
    website: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # ABC class from revenue contribution (A/B/C), recomputed by a scheduled job.
    abc_class: Mapped[str | None] = mapped_column(sa.String(1))
    # Churn risk (app.services.predictions.churn): probability 0-1, level low/medium/high,
    # and the risk factors behind it.
    churn_risk: Mapped[float | None] = mapped_column(sa.Float)
    churn_level: Mapped[str | None] = mapped_column(sa.String(10))
    churn_factors: Mapped[list | None] = mapped_column(JSONType)
    churn_scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credit_rating: Mapped[str | None] = mapped_column(sa.String(10))
    # Lower-cased, accent-free name, company, email and phone: what search matches against.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    addresses: Mapped[list[CustomerAddress]] = relationship(
        back_populates="customer",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="CustomerAddress.id",
    )
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", lazy="raise")

    def __str__(self) -> str:
        return self.name


class CustomerAddress(db.Model):
    __tablename__ = "customer_addresses"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AddressKind] = mapped_column(enum_column(AddressKind))
    line1: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    line2: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    city: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    region: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    postal_code: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="", server_default="")

    customer: Mapped[Customer] = relationship(back_populates="addresses", lazy="raise")

    def __str__(self) -> str:
        parts = [self.line1, self.line2, self.postal_code, self.city, self.region, self.country]
        return ", ".join(part for part in parts if part)


class Contact(RecordMixin, db.Model):
    """A person, usually at a customer; at most one primary contact per customer."""

    __tablename__ = "contacts"
    __table_args__ = (
        sa.Index(
            "uq_contacts_primary_per_customer",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        ),
        sa.Index("ix_contacts_customer_id_id", "customer_id", "id"),
        sa.Index("ix_contacts_last_name_id", "last_name", "id"),
        sa.Index("ix_contacts_owner_id_id", "owner_id", "id"),
        sa.Index("ix_contacts_email", "email"),
        sa.Index("ix_contacts_email_key", "email_key"),
    )
    __audit_ignore__ = frozenset({"email_key"})

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL")
    )
    first_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    email_key: Mapped[str | None] = email_key_column()
    phone: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    mobile: Mapped[str] = mapped_column(sa.String(50), default="", server_default="")
    title: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    department: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    customer: Mapped[Customer | None] = relationship(back_populates="contacts", lazy="raise")

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    def __str__(self) -> str:
        return self.full_name


class CreditRatingChange(db.Model):
    """One change of a customer's credit rating, kept for its history."""

    __tablename__ = "credit_rating_changes"
    __table_args__ = (sa.Index("ix_credit_rating_changes_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    previous: Mapped[str | None] = mapped_column(sa.String(10))
    rating: Mapped[str | None] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )


class SavedView(db.Model):
    """A user's named list view: the filters, search and sort of a list, as a query string."""

    __tablename__ = "saved_views"
    __table_args__ = (sa.UniqueConstraint("user_id", "entity", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(80))
    query: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=sa.func.now()
    )
