"""Quotes over the API: list, show, create, change and delete drafts, their lines, versions,
revisions, the customer's decision (accepting makes the order), and the PDF and sending
as background jobs (202 with the job's status URL, see jobs.py).

Every rule lives in app.services.quotes (the same functions the pages call). A change to a
quote that is no longer a draft answers 409 `quote_locked` with the reason (revise it to
get a new draft version); bad input answers 422 with the fields at fault.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import send_file, url_for
from flask_babel import gettext

from app import permissions, queues
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
from app.blueprints.api.errors import api_error_response
from app.blueprints.api.jobs import JobAcceptedSchema, accepted, register_result_url
from app.blueprints.api.pagination import ListArgs, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.orders import Order, Quote, QuoteStatus
from app.services import quotes
from app.services.quote_lists import QuoteFilters
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_quotes", __name__, tag="Quotes", description="Quotes, their versions and lines."
)
bp.register_error_handler(RecordInvalid, record_invalid_response)
bp.register_error_handler(quotes.QuoteLocked, locked_response("quote_locked"))
register_result_url(
    "app.jobs.quotes.render_quote_pdf",
    lambda job: url_for("api_quotes.pdf", quote_id=job.args[0], _external=True),
)
register_result_url(
    "app.jobs.quotes.send_quote",
    lambda job: url_for("api_quotes.show", quote_id=job.args[0], _external=True),
)


class QuoteWriteSchema(ma.Schema):
    """The fields a caller may set. On creation the customer may come from the deal, and
    the title too; on a change (PATCH, drafts only) only the fields sent change."""

    title = ma.fields.String()
    customer_id = ma.fields.Integer(allow_none=True)
    contact_id = ma.fields.Integer(allow_none=True)
    opportunity_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "A new quote starts with the deal's products."}
    )
    price_book_id = ma.fields.Integer(allow_none=True)
    currency = ma.fields.String(metadata={"description": "ISO 4217; defaults to the book's."})
    valid_until = ma.fields.Date(allow_none=True)
    introduction = ma.fields.String()
    terms = ma.fields.String()
    discount_percent = amount_in(metadata={"description": 'Of the whole quote, e.g. "7.5".'})
    owner_id = ma.fields.Integer(allow_none=True)


class QuoteSchema(DocumentSchema):
    """One quote version as the API shows it."""

    version = ma.fields.Integer()
    reference = ma.fields.String(metadata={"description": 'The number with its version: "v2".'})
    title = ma.fields.String()
    status = ma.fields.Enum(QuoteStatus, by_value=True)
    price_book_id = ma.fields.Integer(allow_none=True)
    valid_until = ma.fields.Date(allow_none=True)
    expired = ma.fields.Function(
        quotes.is_expired,
        metadata={"type": "boolean", "description": "Sent and past its validity date."},
    )
    introduction = ma.fields.String()
    terms = ma.fields.String()
    sent_at = ma.fields.DateTime(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.String()
    decline_reason = ma.fields.String()
    pdf_rendered_at = ma.fields.DateTime(allow_none=True)


class QuoteDecidedSchema(QuoteSchema):
    order_id = ma.fields.Method(
        "_order_id",
        metadata={"type": "integer", "nullable": True, "description": "The order it became."},
    )

    def _order_id(self, quote: Quote) -> int | None:
        return db.session.scalar(sa.select(Order.id).where(Order.quote_id == quote.id))


class QuoteVersionsSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(QuoteSchema), required=True)


class QuoteListArgs(ListArgs):
    status = ma.fields.Enum(QuoteStatus, by_value=True)
    customer_id = ma.fields.Integer()
    opportunity_id = ma.fields.Integer()
    number = ma.fields.String(metadata={"description": 'Every version of "Q-2026-0001".'})
    all_versions = ma.fields.Boolean(
        metadata={"description": "Include superseded versions (hidden unless asked for)."}
    )


class DecisionSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(["accept", "decline"]))
    name = ma.fields.String(
        load_default="", metadata={"description": "Who decided; defaults to the caller."}
    )
    reason = ma.fields.String(load_default="", metadata={"description": "Why it was declined."})


class SendSchema(ma.Schema):
    to = ma.fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "An email address; defaults to the quote contact's."},
    )
    message = ma.fields.String(load_default="", metadata={"description": "The cover note."})


def _quote(quote_id: int) -> Quote:
    return readable_record(Quote, quote_id, "quote")


@bp.get("/quotes")
@paginated(bp, QuoteListArgs, QuoteSchema)
def index(args):
    """Quote versions the caller may see, filtered, newest first."""
    filters = QuoteFilters(
        status=args.get("status"),
        customer_id=args.get("customer_id"),
        opportunity_id=args.get("opportunity_id"),
        all_versions=args.get("all_versions", False) or "number" in args,
    )
    query = sa.select(Quote).where(
        permissions.visible(acting_user(), "quote", Quote.owner_id), *filters.where()
    )
    if "number" in args:
        query = query.where(Quote.number == args["number"].strip().upper())
    return newest_first(query, Quote.id, args)


@bp.get("/quotes/<int:quote_id>")
@bp.response(200, QuoteSchema)
def show(quote_id: int):
    """One quote version with its lines."""
    return _quote(quote_id)


@bp.post("/quotes")
@bp.arguments(QuoteWriteSchema)
@bp.response(201, QuoteSchema)
def create(data):
    """Create a draft quote (numbered Q-<year>-<n>)."""
    quote = quotes.create_quote(acting_user(), **data)
    db.session.commit()
    return quote


@bp.patch("/quotes/<int:quote_id>")
@bp.arguments(QuoteWriteSchema)
@bp.response(200, QuoteSchema)
@bp.alt_response(409, response="CONFLICT", description="The quote is not a draft.")
def update(changes, quote_id: int):
    """Change a draft; 409 `quote_locked` once it was sent (revise it instead)."""
    quote = _quote(quote_id)
    quotes.update_quote(quote, acting_user(), **changes)
    db.session.commit()
    return quote


@bp.delete("/quotes/<int:quote_id>")
@bp.response(204)
@bp.alt_response(409, response="CONFLICT", description="Sent or revised quotes are kept.")
def delete(quote_id: int):
    """Delete a draft that was never sent."""
    quotes.delete_quote(_quote(quote_id), acting_user())
    db.session.commit()


@bp.get("/quotes/<int:quote_id>/versions")
@bp.response(200, QuoteVersionsSchema)
def versions(quote_id: int):
    """Every version of this quote's number the caller may see, first to last."""
    user = acting_user()
    rows = quotes.versions(_quote(quote_id))
    return {"data": [row for row in rows if permissions.can(user, "read", "quote", row)]}


@bp.post("/quotes/<int:quote_id>/lines")
@bp.arguments(LineWriteSchema)
@bp.response(201, QuoteSchema)
@bp.alt_response(409, response="CONFLICT", description="The quote is not a draft.")
def add_line(data, quote_id: int):
    """Add a line to a draft; answers the quote with the line (last) and new totals."""
    quote = _quote(quote_id)
    quotes.add_line(quote, acting_user(), **data)
    db.session.commit()
    return quote


@bp.patch("/quotes/<int:quote_id>/lines/<int:line_id>")
@bp.arguments(LineWriteSchema)
@bp.response(200, QuoteSchema)
@bp.alt_response(409, response="CONFLICT", description="The quote is not a draft.")
def update_line(data, quote_id: int, line_id: int):
    """Change a line of a draft; answers the quote with its new totals."""
    quote = _quote(quote_id)
    line = line_or_404(quote, line_id)
    quotes.update_line(quote, acting_user(), line.id, **data)
    db.session.commit()
    return quote


@bp.delete("/quotes/<int:quote_id>/lines/<int:line_id>")
@bp.response(200, QuoteSchema)
@bp.alt_response(409, response="CONFLICT", description="The quote is not a draft.")
def remove_line(quote_id: int, line_id: int):
    """Remove a line from a draft; answers the quote with its new totals."""
    quote = _quote(quote_id)
    quotes.remove_line(quote, acting_user(), line_or_404(quote, line_id).id)
    db.session.commit()
    return quote


@bp.post("/quotes/<int:quote_id>/revise")
@bp.response(201, QuoteSchema)
@bp.alt_response(409, response="CONFLICT", description="Accepted or superseded already.")
def revise(quote_id: int):
    """Make the next version, a draft with the same lines; this one becomes SUPERSEDED."""
    revision = quotes.revise(_quote(quote_id), acting_user())
    db.session.commit()
    return revision


@bp.post("/quotes/<int:quote_id>/decision")
@bp.arguments(DecisionSchema)
@bp.response(200, QuoteDecidedSchema)
@bp.alt_response(409, response="CONFLICT", description="Not sent, expired or decided.")
def decision(data, quote_id: int):
    """Record the customer's decision on a sent quote; accepting makes its order
    (`order_id`)."""
    quote, user = _quote(quote_id), acting_user()
    if data["decision"] == "accept":
        quotes.accept(quote, data["name"], actor=user)
    else:
        quotes.decline(quote, data["name"], data["reason"], actor=user)
    db.session.commit()
    return quote


@bp.post("/quotes/<int:quote_id>/pdf")
@bp.response(202, JobAcceptedSchema)
def render_pdf(quote_id: int):
    """Render the quote's PDF in the background; poll `status_url`, then GET the PDF."""
    from app.jobs.quotes import render_quote_pdf

    quote = _quote(quote_id)
    title = gettext("PDF of quote %(quote)s", quote=quote.reference)
    job = queues.enqueue(
        render_quote_pdf, quote.id, actor=acting_user(), title=title, queue_name="reports"
    )
    return accepted(job)


@bp.get("/quotes/<int:quote_id>/pdf")
@bp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/pdf",
    description="The last rendered PDF (older than the quote when `pdf_rendered_at` is before "
    "`updated_at`: POST .../pdf again); 404 `pdf_not_rendered` before any was rendered.",
)
def pdf(quote_id: int):
    """The quote's rendered PDF."""
    from app.services import quote_pdf

    quote = _quote(quote_id)
    path = quote_pdf.pdf_path(quote)
    if path is None:
        message = gettext(
            "No PDF of %(quote)s has been rendered yet: POST %(url)s and wait for its job.",
            quote=quote.reference,
            url=url_for("api_quotes.render_pdf", quote_id=quote.id),
        )
        return api_error_response(404, "pdf_not_rendered", message)
    return send_file(path, mimetype="application/pdf", download_name=f"{quote.reference}.pdf")


@bp.post("/quotes/<int:quote_id>/send")
@bp.arguments(SendSchema)
@bp.response(202, JobAcceptedSchema)
@bp.alt_response(409, response="CONFLICT", description="Accepted, declined or superseded.")
def send(data, quote_id: int):
    """Email the quote (PDF attached, with a link to accept or decline it) in the
    background; the quote becomes SENT."""
    from app.jobs.quotes import send_quote
    from app.services import quote_sending

    quote, user = _quote(quote_id), acting_user()
    permissions.require(user, "edit", "quote", quote)
    if quote.status is not QuoteStatus.SENT:
        quotes.require_draft(quote)
    if not quote.lines:
        raise RecordInvalid({"lines": gettext("Add at least one line before sending the quote.")})
    to, message = quote_sending.check_send(quote, data["to"], data["message"])
    title = gettext("Sending quote %(quote)s", quote=quote.reference)
    job = queues.enqueue(
        send_quote, quote.id, to, message, actor=user, title=title, queue_name="mail"
    )
    return accepted(job)
