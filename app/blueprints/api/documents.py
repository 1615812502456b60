"""What the quote and order resources share: their lines and totals as the API shows them,
the line fields a caller sends, a newest-first cursor page, and the 409 a locked document
answers.

Amounts travel as decimal strings with their stored places ("345.78", a quantity
"1.500") so no client rounds them through a float; numbers are accepted on input and
checked by the services (app.services.document_lines), which give the field messages.
"""

from __future__ import annotations

import marshmallow as ma
from flask import request, url_for
from flask_babel import gettext
from flask_smorest import abort

from app.blueprints.api.errors import api_error_response
from app.blueprints.api.pagination import encode_cursor
from app.extensions import db
from app.services import document_lines


def amount_in(**kwargs) -> ma.fields.Decimal:
    """A decimal a caller sends (a string or a number); the service checks its places."""
    return ma.fields.Decimal(as_string=True, **kwargs)


def money(**kwargs) -> ma.fields.Decimal:
    """An amount as shown: a string with two decimals, e.g. "345.78"."""
    return ma.fields.Decimal(as_string=True, places=2, dump_only=True, **kwargs)


def percent(**kwargs) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, places=2, dump_only=True, **kwargs)


class LineWriteSchema(ma.Schema):
    """A line: from a product (its name, unit, tax rate and price are the defaults) or typed.
    On a change (PATCH) only the fields sent change."""

    product_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    description = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "e.g. seat, hour, piece."})
    quantity = amount_in(metadata={"description": 'More than 0, at most 3 decimals: "1.5".'})
    unit_price = amount_in(
        metadata={"description": "At most 2 decimals; a product line defaults to its price."}
    )
    discount_percent = amount_in(metadata={"description": 'Line discount, e.g. "10".'})
    tax_rate = amount_in(metadata={"description": 'Percent, e.g. "5.00".'})


class LineSchema(ma.Schema):
    """A line with the figures computed for it (app.services.quote_math)."""

    id = ma.fields.Integer()
    position = ma.fields.Integer()
    product_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    description = ma.fields.String()
    unit = ma.fields.String()
    quantity = ma.fields.Decimal(as_string=True, places=3)
    unit_price = money()
    discount_percent = percent()
    tax_rate = percent()
    net = money(metadata={"description": "Quantity x unit price less the line discount."})
    discount_share = money(metadata={"description": "This line's share of the document discount."})
    tax = money(metadata={"description": "Tax on the net less the discount share."})
    amount = money(metadata={"description": "net - discount_share + tax."})


class DocumentSchema(ma.Schema):
    """Fields every quote and order shows: amounts, owner, times and lines."""

    id = ma.fields.Integer()
    number = ma.fields.String()
    customer_id = ma.fields.Integer()
    contact_id = ma.fields.Integer(allow_none=True)
    opportunity_id = ma.fields.Integer(allow_none=True)
    currency = ma.fields.String()
    discount_percent = percent(metadata={"description": "Of the whole document, before tax."})
    subtotal = money(metadata={"description": "Sum of the lines' nets."})
    discount_amount = money()
    net_amount = money(metadata={"description": "subtotal - discount_amount (before tax)."})
    tax_total = money()
    total = money()
    owner_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    lines = ma.fields.List(ma.fields.Nested(LineSchema))


def newest_first(query, id_column, args: dict) -> dict:
    """pagination.paginate's page, newest (highest id) first: `{"data", "next"}`."""
    limit = args["limit"]
    if args.get("cursor") is not None:
        query = query.where(id_column < args["cursor"])
    rows = db.session.scalars(query.order_by(id_column.desc()).limit(limit + 1)).all()
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        params = request.args.to_dict(flat=False)
        params["cursor"] = [encode_cursor(rows[-1].id)]
        next_url = url_for(request.endpoint, **(request.view_args or {}), **params, _external=True)
    return {"data": rows, "next": next_url}


def line_or_404(document, line_id: int):
    """The line `line_id` of `document`, or a 404 (another document's line included)."""
    line = document_lines.find_line(document, line_id)
    if line is None:
        abort(404, message=gettext("No such line on this document."))
    return line


def locked_response(code: str):
    """An error handler answering a service's "locked" refusal (QuoteLocked, OrderLocked)
    with 409 `code` and its message."""

    def respond(error):
        db.session.rollback()
        fields = {field: [str(message)] for field, message in error.errors.items()}
        return api_error_response(409, code, str(error.message), fields)

    return respond
