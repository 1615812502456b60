"""Orders: what customers bought, made from accepted quotes or entered directly.

Statuses: PENDING (lines may still change) -> CONFIRMED -> FULFILLED, or CANCELLED from
PENDING or CONFIRMED. Every order that is not cancelled counts as revenue on its order
date (its net amount, before tax): customer ABC grading and the reports read it here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact, Customer
from app.models.orders import Order, OrderLine, OrderStatus, Quote, QuoteLine
from app.models.sales import Opportunity, Product
from app.services import (
    customers,
    document_lines,
    grading,
    history,
    numbering,
    products,
    quote_math,
    search,
)
from app.services.record_checks import check_link, check_owner
from app.services.validation import RecordInvalid

STATUS_LABELS = {
    OrderStatus.PENDING: _l("Pending"),
    OrderStatus.CONFIRMED: _l("Confirmed"),
    OrderStatus.FULFILLED: _l("Fulfilled"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}
NEXT_STATUSES = {
    OrderStatus.PENDING: (OrderStatus.CONFIRMED, OrderStatus.CANCELLED),
    OrderStatus.CONFIRMED: (OrderStatus.FULFILLED, OrderStatus.CANCELLED),
    OrderStatus.FULFILLED: (),
    OrderStatus.CANCELLED: (),
}
NUMBER_PREFIX = "SO"
NOTES_LENGTH = 10_000
_FIELDS = {
    "customer_id", "contact_id", "opportunity_id", "order_date", "currency",
    "discount_percent", "notes", "owner_id",
}  # fmt: skip


class OrderLocked(RecordInvalid):
    """A change to an order's lines or amounts after it was confirmed."""

    def __init__(self, message: str):
        super().__init__({"order": message})
        self.message = message


def _order_date(fields: dict, errors: dict) -> date | None:
    raw = fields.get("order_date")
    if raw in (None, ""):
        return date.today()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors["order_date"] = gettext("Enter a date like 2026-12-31.")
        return None


def _apply(order: Order, actor, fields: dict, partial: bool) -> None:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown order fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    if not partial or "customer_id" in fields:
        message = gettext("Choose a customer you may edit.")
        values["customer_id"] = check_link(
            actor, Customer, "customer", fields.get("customer_id"), errors, "customer_id", message
        )
        if values["customer_id"] is None and "customer_id" not in errors:
            errors["customer_id"] = message
    customer_id = values.get("customer_id", order.customer_id)
    if "contact_id" in fields:
        values["contact_id"] = check_link(
            actor, Contact, "contact", fields["contact_id"], errors, "contact_id",
            gettext("Choose a contact you may edit."),
        )  # fmt: skip
        contact = db.session.get(Contact, values["contact_id"]) if values["contact_id"] else None
        if contact is not None and contact.customer_id != customer_id:
            errors["contact_id"] = gettext("Choose a contact of this customer.")
    if "opportunity_id" in fields:
        values["opportunity_id"] = check_link(
            actor, Opportunity, "opportunity", fields["opportunity_id"], errors,
            "opportunity_id", gettext("Choose an opportunity you may edit."),
        )  # fmt: skip
        deal = (
            db.session.get(Opportunity, values["opportunity_id"])
            if values["opportunity_id"]
            else None
        )
        if deal is not None and deal.customer_id != customer_id:
            errors["opportunity_id"] = gettext("Choose an opportunity of this customer.")
    if not partial or "order_date" in fields:
        values["order_date"] = _order_date(fields, errors)
    if not partial or "currency" in fields:
        currency = str(fields.get("currency") or current_app.config["DEFAULT_CURRENCY"])
        currency = currency.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            errors["currency"] = gettext("Enter a three-letter currency code, like USD.")
        values["currency"] = currency[:3]
    if not partial or "discount_percent" in fields:
        try:
            values["discount_percent"] = quote_math.check_percent(
                fields.get("discount_percent") or "0", "discount"
            )
        except ValueError:
            errors["discount_percent"] = gettext(
                "Enter a percentage from 0 to 100, with at most 2 decimals."
            )
    if not partial or "notes" in fields:
        values["notes"] = str(fields.get("notes") or "").strip()
        if len(values["notes"]) > NOTES_LENGTH:
            errors["notes"] = gettext("Use at most %(max)d characters.", max=NOTES_LENGTH)
    values["owner_id"] = check_owner(actor, "order", fields, errors, order.owner_id)
    amounts_change = {"currency", "discount_percent"} & set(values) - {None}
    if (
        partial
        and order.status is not OrderStatus.PENDING
        and any(values[name] != getattr(order, name) for name in amounts_change)
    ):
        errors["order"] = gettext("A confirmed order's amounts can no longer change.")
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        setattr(order, name, value)
    _touch(order, actor)


def _touch(order: Order, actor) -> None:
    if actor is not None:
        order.updated_by_id = actor.id
    customer_name = db.session.scalar(
        sa.select(Customer.name).where(Customer.id == order.customer_id)
    )
    order.search_text = search.normalise(order.number or "", customer_name)


def create_order(actor, **fields) -> Order:
    """A new PENDING order numbered SO-<year>-<n>; add its lines with add_line."""
    permissions.require(actor, "create", "order")
    order = Order(status=OrderStatus.PENDING, created_by_id=actor.id, lines=[])
    _apply(order, actor, fields, partial=False)
    order.number = numbering.next_number(NUMBER_PREFIX, order.order_date)
    _touch(order, actor)
    db.session.add(order)
    db.session.flush()
    return order


def create_from_quote(quote: Quote, actor=None) -> Order:
    """The CONFIRMED order an accepted quote becomes: its customer, contact, deal, lines and
    amounts, cent for cent. `actor` None means the customer accepted on the portal."""
    today = date.today()
    order = Order(
        number=numbering.next_number(NUMBER_PREFIX, today),
        customer_id=quote.customer_id,
        contact_id=quote.contact_id,
        opportunity_id=quote.opportunity_id,
        quote_id=quote.id,
        status=OrderStatus.CONFIRMED,
        order_date=today,
        currency=quote.currency,
        discount_percent=quote.discount_percent,
        subtotal=quote.subtotal,
        discount_amount=quote.discount_amount,
        tax_total=quote.tax_total,
        total=quote.total,
        notes=gettext("From quote %(quote)s.", quote=quote.reference),
        owner_id=quote.owner_id,
        created_by_id=getattr(actor, "id", None),
        lines=[],
    )
    document_lines.copy_lines(quote, order, OrderLine)
    _touch(order, actor)
    db.session.add(order)
    db.session.flush()
    return order


def update_order(order: Order, actor, **fields) -> Order:
    permissions.require(actor, "edit", "order", order)
    if order.status is OrderStatus.CANCELLED:
        raise OrderLocked(gettext("%(order)s was cancelled.", order=order.number))
    _apply(order, actor, fields, partial=True)
    document_lines.recalculate(order)
    db.session.flush()
    return order


def require_pending(order: Order) -> None:
    if order.status is not OrderStatus.PENDING:
        raise OrderLocked(
            gettext(
                "%(order)s is %(status)s: its lines can no longer change.",
                order=order.number,
                status=str(STATUS_LABELS[order.status]).lower(),
            )  # fmt: skip
        )


def _line(order: Order, line_id) -> OrderLine:
    line = document_lines.find_line(order, line_id)
    if line is None:
        raise RecordInvalid({"line": gettext("That line is not on this order.")})
    return line


def add_line(order: Order, actor, **fields) -> OrderLine:
    permissions.require(actor, "edit", "order", order)
    require_pending(order)
    line = document_lines.add_line(order, OrderLine, fields)
    _touch(order, actor)
    return line


def update_line(order: Order, actor, line_id, **fields) -> OrderLine:
    permissions.require(actor, "edit", "order", order)
    require_pending(order)
    line = _line(order, line_id)
    document_lines.update_line(order, line, fields)
    _touch(order, actor)
    return line


def remove_line(order: Order, actor, line_id) -> None:
    permissions.require(actor, "edit", "order", order)
    require_pending(order)
    document_lines.remove_line(order, _line(order, line_id))
    _touch(order, actor)


def set_status(order: Order, actor, status) -> Order:
    """Move an order on: PENDING -> CONFIRMED -> FULFILLED, or to CANCELLED before it is
    fulfilled. A pending order needs a line before it can be confirmed."""
    permissions.require(actor, "edit", "order", order)
    try:
        status = status if isinstance(status, OrderStatus) else OrderStatus(str(status).upper())
    except ValueError:
        raise RecordInvalid({"status": gettext("Choose a status.")}) from None
    if status is order.status:
        return order
    if status not in NEXT_STATUSES[order.status]:
        raise RecordInvalid(
            {
                "status": gettext(
                    "A %(current)s order cannot become %(wanted)s.",
                    current=str(STATUS_LABELS[order.status]).lower(),
                    wanted=str(STATUS_LABELS[status]).lower(),
                )
            }
        )
    if status is OrderStatus.CONFIRMED and not order.lines:
        raise RecordInvalid({"status": gettext("Add at least one line before confirming.")})
    order.status = status
    order.updated_by_id = actor.id
    order.updated_at = utcnow()
    db.session.flush()
    return order


def delete_order(order: Order, actor) -> None:
    """Delete a PENDING order entered by mistake; confirmed orders are cancelled instead."""
    permissions.require(actor, "delete", "order", order)
    if order.status is not OrderStatus.PENDING or order.quote_id is not None:
        raise OrderLocked(
            gettext(
                "%(order)s is kept as a record of the sale: cancel it instead.", order=order.number
            )  # fmt: skip
        )
    db.session.delete(order)
    db.session.flush()


def net_amount_column():
    """An order's revenue, before tax: subtotal less the order discount."""
    return Order.subtotal - Order.discount_amount


def revenue_clause():
    """Orders that count as revenue: all but cancelled ones, in the default currency
    (orders in other currencies are left out, no exchange rates yet, never added up at face
    value)."""
    return sa.and_(
        Order.status != OrderStatus.CANCELLED,
        Order.currency == current_app.config["DEFAULT_CURRENCY"],
    )


@grading.register_revenue_source
def revenue_by_customer() -> dict[int, Decimal]:
    """Each customer's revenue from orders (see revenue_clause)."""
    query = (
        sa.select(Order.customer_id, sa.func.sum(net_amount_column()))
        .where(revenue_clause())
        .group_by(Order.customer_id)
    )
    return {customer_id: Decimal(total or 0) for customer_id, total in db.session.execute(query)}


def _customer_has_orders(customer: Customer) -> str | None:
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(Order.customer_id == customer.id)
    )
    if count:
        return gettext(
            "%(customer)s has %(count)d orders, kept as the record of its purchases; merge it "
            "into another customer instead of deleting it.",
            customer=customer.name, count=count,
        )  # fmt: skip
    return None


customers.register_reference_check(_customer_has_orders)


def _product_on_documents(product: Product) -> str | None:
    for line_class, message in (
        (QuoteLine, gettext("%(product)s is on quotes; deactivate it instead.")),
        (OrderLine, gettext("%(product)s is on orders; deactivate it instead.")),
    ):
        used = db.session.scalar(
            sa.select(line_class.id).where(line_class.product_id == product.id).limit(1)
        )
        if used is not None:
            return message % {"product": product.name}
    return None


products.register_reference_check(_product_on_documents)


def create_from_opportunity(deal: Opportunity, actor, **fields) -> Order:
    """A PENDING order for a (won) deal: its customer, currency and products as lines, ready
    to check and confirm; `fields` (as for create_order) override what the deal gives."""
    from app.services.opportunity_parts import product_lines

    permissions.require(actor, "read", "opportunity", deal)
    given = {key: value for key, value in fields.items() if value not in (None, "")}
    defaults = {"customer_id": deal.customer_id, "currency": deal.currency}
    order = create_order(actor, **(defaults | given | {"opportunity_id": deal.id}))
    for item in product_lines(deal):
        add_line(order, actor, product_id=item.product_id, quantity=item.quantity,
                 unit_price=item.unit_price)  # fmt: skip
    db.session.flush()
    return order


def customer_revenue(customer_id: int) -> Decimal:
    """One customer's revenue, counted as revenue_by_customer counts it, summed in SQL."""
    total = db.session.scalar(
        sa.select(sa.func.sum(net_amount_column())).where(
            Order.customer_id == customer_id, revenue_clause()
        )
    )
    return Decimal(total or 0)


history.register_record_type("orders", Order, "order")
