"""What a customer's page shows of its quotes and orders: the latest of each the reader may
see, and the customer's revenue as ABC grading counts it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import orm

from app import permissions
from app.extensions import db
from app.models.orders import Order, Quote, QuoteStatus
from app.services import orders


def latest_quotes(actor, customer_id: int, limit: int = 5) -> list[Quote]:
    """The customer's newest quote versions still standing (not superseded)."""
    query = (
        sa.select(Quote)
        .options(orm.lazyload(Quote.lines))
        .where(
            Quote.customer_id == customer_id,
            Quote.status != QuoteStatus.SUPERSEDED,
            permissions.visible(actor, "quote", Quote.owner_id),
        )
        .order_by(Quote.created_at.desc(), Quote.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def latest_orders(actor, customer_id: int, limit: int = 5) -> list[Order]:
    query = (
        sa.select(Order)
        .options(orm.lazyload(Order.lines))
        .where(
            Order.customer_id == customer_id,
            permissions.visible(actor, "order", Order.owner_id),
        )
        .order_by(Order.order_date.desc(), Order.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def summary(actor, customer_id: int) -> dict:
    """The page's "Quotes and orders" section: latest quotes, latest orders, revenue."""
    return {
        "customer_quotes": latest_quotes(actor, customer_id)
        if permissions.can(actor, "read", "quote")
        else [],
        "customer_orders": latest_orders(actor, customer_id)
        if permissions.can(actor, "read", "order")
        else [],
        "customer_revenue": orders.customer_revenue(customer_id),
        "quote_status_labels": _labels("quotes"),
        "order_status_labels": _labels("orders"),
    }


def _labels(module: str) -> dict:
    from app.services import quotes

    source = quotes.STATUS_LABELS if module == "quotes" else orders.STATUS_LABELS
    return {status: str(label) for status, label in source.items()}
