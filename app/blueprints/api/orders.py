"""Orders over the API: list (filtered by status, customer, deal and order date), show,
enter, change and delete orders, their lines, and moving them through their statuses.

Every rule lives in app.services.orders (the same functions the pages call): lines change
only while an order is PENDING, and a change to a cancelled order or to the lines of a
confirmed one answers 409 `order_locked`; bad input and impossible status moves answer 422
with the fields at fault.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.documents import (
    DocumentSchema,
    LineWriteSchema,
    amount_in,
    line_or_404,
    locked_response,
    newest_first,
)
from app.blueprints.api.pagination import ListArgs, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.orders import Order, OrderStatus
from app.services import orders
from app.services.validation import RecordInvalid

bp = ApiBlueprint("api_orders", __name__, tag="Orders", description="Customers' orders.")
bp.register_error_handler(RecordInvalid, record_invalid_response)
bp.register_error_handler(orders.OrderLocked, locked_response("order_locked"))


class OrderWriteSchema(ma.Schema):
    """The fields a caller may set; on a change (PATCH) only the fields sent change."""

    customer_id = ma.fields.Integer(allow_none=True)
    contact_id = ma.fields.Integer(allow_none=True)
    opportunity_id = ma.fields.Integer(allow_none=True)
    order_date = ma.fields.Date(allow_none=True, metadata={"description": "Defaults to today."})
    currency = ma.fields.String(metadata={"description": "ISO 4217 code, e.g. TWD."})
    discount_percent = amount_in(metadata={"description": 'Of the whole order, e.g. "5".'})
    notes = ma.fields.String()
    owner_id = ma.fields.Integer(allow_none=True)


class OrderSchema(DocumentSchema):
    """An order as the API shows it."""

    quote_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The accepted quote it was made from."}
    )
    status = ma.fields.Enum(OrderStatus, by_value=True)
    order_date = ma.fields.Date()
    notes = ma.fields.String()


class OrderListArgs(ListArgs):
    status = ma.fields.Enum(OrderStatus, by_value=True)
    customer_id = ma.fields.Integer()
    opportunity_id = ma.fields.Integer()
    date_from = ma.fields.Date(metadata={"description": "Ordered on or after this day."})
    date_to = ma.fields.Date(metadata={"description": "Ordered on or before this day."})


class StatusSchema(ma.Schema):
    status = ma.fields.Enum(
        OrderStatus,
        by_value=True,
        required=True,
        metadata={"description": "PENDING -> CONFIRMED -> FULFILLED, or CANCELLED before."},
    )


def _order(order_id: int) -> Order:
    return readable_record(Order, order_id, "order")


@bp.get("/orders")
@paginated(bp, OrderListArgs, OrderSchema)
def index(args):
    """Orders the caller may see, filtered, newest first."""
    query = sa.select(Order).where(permissions.visible(acting_user(), "order", Order.owner_id))
    for name in ("status", "customer_id", "opportunity_id"):
        if args.get(name) is not None:
            query = query.where(getattr(Order, name) == args[name])
    if args.get("date_from") is not None:
        query = query.where(Order.order_date >= args["date_from"])
    if args.get("date_to") is not None:
        query = query.where(Order.order_date <= args["date_to"])
    return newest_first(query, Order.id, args)


@bp.get("/orders/<int:order_id>")
@bp.response(200, OrderSchema)
def show(order_id: int):
    """One order with its lines."""
    return _order(order_id)


@bp.post("/orders")
@bp.arguments(OrderWriteSchema)
@bp.response(201, OrderSchema)
def create(data):
    """Enter a PENDING order (numbered SO-<year>-<n>); add its lines next."""
    order = orders.create_order(acting_user(), **data)
    db.session.commit()
    return order


@bp.patch("/orders/<int:order_id>")
@bp.arguments(OrderWriteSchema)
@bp.response(200, OrderSchema)
@bp.alt_response(409, response="CONFLICT", description="The order was cancelled.")
def update(changes, order_id: int):
    """Change an order; a confirmed one's amounts (currency, discount) no longer change."""
    order = _order(order_id)
    orders.update_order(order, acting_user(), **changes)
    db.session.commit()
    return order


@bp.delete("/orders/<int:order_id>")
@bp.response(204)
@bp.alt_response(409, response="CONFLICT", description="Confirmed orders are cancelled.")
def delete(order_id: int):
    """Delete a pending order entered by mistake."""
    orders.delete_order(_order(order_id), acting_user())
    db.session.commit()


@bp.post("/orders/<int:order_id>/lines")
@bp.arguments(LineWriteSchema)
@bp.response(201, OrderSchema)
@bp.alt_response(409, response="CONFLICT", description="The order is not pending.")
def add_line(data, order_id: int):
    """Add a line to a pending order; answers the order with the line (last) and totals."""
    order = _order(order_id)
    orders.add_line(order, acting_user(), **data)
    db.session.commit()
    return order


@bp.patch("/orders/<int:order_id>/lines/<int:line_id>")
@bp.arguments(LineWriteSchema)
@bp.response(200, OrderSchema)
@bp.alt_response(409, response="CONFLICT", description="The order is not pending.")
def update_line(data, order_id: int, line_id: int):
    """Change a line of a pending order; answers the order with its new totals."""
    order = _order(order_id)
    orders.update_line(order, acting_user(), line_or_404(order, line_id).id, **data)
    db.session.commit()
    return order


@bp.delete("/orders/<int:order_id>/lines/<int:line_id>")
@bp.response(200, OrderSchema)
@bp.alt_response(409, response="CONFLICT", description="The order is not pending.")
def remove_line(order_id: int, line_id: int):
    """Remove a line from a pending order; answers the order with its new totals."""
    order = _order(order_id)
    orders.remove_line(order, acting_user(), line_or_404(order, line_id).id)
    db.session.commit()
    return order


@bp.post("/orders/<int:order_id>/status")
@bp.arguments(StatusSchema)
@bp.response(200, OrderSchema)
def set_status(data, order_id: int):
    """Move an order to its next status (422 for a move its status does not allow)."""
    order = _order(order_id)
    orders.set_status(order, acting_user(), data["status"])
    db.session.commit()
    return order
