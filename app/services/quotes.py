"""Quotes: drafted line by line, sent, accepted or declined; revised as new versions.

Lifecycle: DRAFT (editable) -> SENT (frozen) -> ACCEPTED (an order is made from it) or
DECLINED. `revise` copies the latest version into a new DRAFT version with the same number
and marks the old one SUPERSEDED; no version but the current draft ever changes again.
Totals follow app.services.quote_math (see its docstring for the rounding rules).
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact, Customer
from app.models.orders import Quote, QuoteLine, QuoteStatus
from app.models.sales import Opportunity, PriceBook
from app.services import document_lines, history, numbering, quote_math, search
from app.services.record_checks import check_link, check_owner, check_text
from app.services.validation import RecordInvalid

STATUS_LABELS = {
    QuoteStatus.DRAFT: _l("Draft"),
    QuoteStatus.SENT: _l("Sent"),
    QuoteStatus.ACCEPTED: _l("Accepted"),
    QuoteStatus.DECLINED: _l("Declined"),
    QuoteStatus.SUPERSEDED: _l("Superseded"),
}
NUMBER_PREFIX = "Q"
TITLE_LENGTH = 200
TEXT_LENGTH = 10_000
REASON_LENGTH = 500
_FIELDS = {
    "title", "customer_id", "contact_id", "opportunity_id", "price_book_id", "currency",
    "valid_until", "introduction", "terms", "discount_percent", "owner_id",
}  # fmt: skip
# Copied from a version to the next by `revise`.
_REVISED = (
    "number", "title", "customer_id", "contact_id", "opportunity_id", "price_book_id",
    "currency", "valid_until", "introduction", "terms", "discount_percent", "owner_id",
    "subtotal", "discount_amount", "tax_total", "total", "search_text", "custom",
)  # fmt: skip

history.register_record_type("quotes", Quote, "quote")


class QuoteLocked(RecordInvalid):
    """A change to a quote version that may no longer change (sent, decided, superseded)."""

    def __init__(self, message: str):
        super().__init__({"quote": message})
        self.message = message


def validity_days() -> int:
    return int(current_app.config.get("RAPPORT_QUOTE_VALIDITY_DAYS", 30))


def is_expired(quote: Quote, today: date | None = None) -> bool:
    """A sent quote past its validity date can no longer be accepted."""
    return (
        quote.status is QuoteStatus.SENT
        and quote.valid_until is not None
        and quote.valid_until < (today or date.today())
    )


def _date(fields: dict, errors: dict) -> date | None:
    raw = fields.get("valid_until")
    if raw in (None, ""):
        return date.today() + timedelta(days=validity_days())
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            errors["valid_until"] = gettext("Enter a date like 2026-12-31.")
            return None
    if value < date.today():
        errors["valid_until"] = gettext("Choose a date from today on.")
    return value


def _price_book(raw, errors: dict) -> PriceBook | None:
    if raw in (None, ""):
        return None
    book = db.session.get(PriceBook, int(raw)) if str(raw).strip().isdigit() else None
    if book is None or not book.is_active:
        errors["price_book_id"] = gettext("Choose an active price book.")
        return None
    return book


def _check_links(quote: Quote, actor, fields: dict, values: dict, errors: dict) -> None:
    """The customer, and the contact and deal, which must be that customer's."""
    if "opportunity_id" in fields:
        values["opportunity_id"] = check_link(
            actor, Opportunity, "opportunity", fields["opportunity_id"], errors,
            "opportunity_id", gettext("Choose an opportunity you may edit."),
        )  # fmt: skip
    deal = (
        db.session.get(Opportunity, values["opportunity_id"])
        if values.get("opportunity_id")
        else None
    )
    if "customer_id" in fields or quote.customer_id is None:
        raw = fields.get("customer_id") or (deal.customer_id if deal else None)
        message = gettext("Choose a customer you may edit.")
        values["customer_id"] = check_link(
            actor, Customer, "customer", raw, errors, "customer_id", message
        )
        if values["customer_id"] is None and "customer_id" not in errors:
            errors["customer_id"] = message
    customer_id = values.get("customer_id", quote.customer_id)
    if deal is not None and customer_id and deal.customer_id != customer_id:
        errors["opportunity_id"] = gettext("Choose an opportunity of this customer.")
    if "contact_id" in fields:
        contact_id = check_link(
            actor, Contact, "contact", fields["contact_id"], errors, "contact_id",
            gettext("Choose a contact you may edit."),
        )  # fmt: skip
        contact = db.session.get(Contact, contact_id) if contact_id else None
        if contact is not None and contact.customer_id != customer_id:
            errors["contact_id"] = gettext("Choose a contact of this customer.")
        values["contact_id"] = contact_id


def _apply(quote: Quote, actor, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `quote` untouched)."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown quote fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    _check_links(quote, actor, fields, values, errors)
    deal = (
        db.session.get(Opportunity, values["opportunity_id"])
        if values.get("opportunity_id")
        else None
    )
    if not partial and deal is not None:
        # A quote for a deal is addressed to the deal's contact unless told otherwise.
        if not fields.get("contact_id") and deal.contact_id:
            _check_links(quote, actor, {"contact_id": deal.contact_id}, values, errors)
        if not fields.get("title"):
            fields = fields | {"title": deal.name}
    if not partial or "title" in fields:
        values["title"] = check_text(
            fields, "title", TITLE_LENGTH, errors, gettext("Give the quote a title.")
        )
    for name in ("introduction", "terms"):
        if not partial or name in fields:
            values[name] = str(fields.get(name) or "").strip()
            if len(values[name]) > TEXT_LENGTH:
                errors[name] = gettext("Use at most %(max)d characters.", max=TEXT_LENGTH)
    if not partial and "terms" not in fields:
        values["terms"] = current_app.config.get("RAPPORT_QUOTE_TERMS", "")
    if not partial or "valid_until" in fields:
        values["valid_until"] = _date(fields, errors)
    if not partial or "discount_percent" in fields:
        try:
            values["discount_percent"] = quote_math.check_percent(
                fields.get("discount_percent") or "0", "discount"
            )
        except ValueError:
            errors["discount_percent"] = gettext(
                "Enter a percentage from 0 to 100, with at most 2 decimals."
            )
    book = quote.price_book_id and db.session.get(PriceBook, quote.price_book_id)
    if "price_book_id" in fields:
        book = _price_book(fields["price_book_id"], errors)
        values["price_book_id"] = book.id if book else None
    if not partial or "currency" in fields:
        default = book.currency if book else deal.currency if deal else None
        currency = str(fields.get("currency") or default or current_app.config["DEFAULT_CURRENCY"])
        currency = currency.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            errors["currency"] = gettext("Enter a three-letter currency code, like USD.")
        values["currency"] = currency[:3]
    currency = values.get("currency", quote.currency)
    if book and currency and book.currency != currency and "price_book_id" not in errors:
        errors["price_book_id"] = gettext(
            "This price book is in %(currency)s; the quote is in %(quote)s.",
            currency=book.currency, quote=currency,
        )  # fmt: skip
    values["owner_id"] = check_owner(actor, "quote", fields, errors, quote.owner_id)
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        setattr(quote, name, value)
    _touch(quote, actor)


def _touch(quote: Quote, actor) -> None:
    """Note an edit: who made it, and a new updated_at (a PDF made before it is stale)."""
    if actor is not None:
        quote.updated_by_id = actor.id
    quote.updated_at = utcnow()
    customer_name = db.session.scalar(
        sa.select(Customer.name).where(Customer.id == quote.customer_id)
    )
    quote.search_text = search.normalise(quote.number or "", quote.title, customer_name)


def require_draft(quote: Quote) -> None:
    if quote.status is not QuoteStatus.DRAFT:
        raise QuoteLocked(
            gettext(
                "%(quote)s is %(status)s and can no longer change; revise it to make a new "
                "version.",
                quote=quote.reference,
                status=str(STATUS_LABELS[quote.status]).lower(),
            )  # fmt: skip
        )


def create_quote(actor, **fields) -> Quote:
    """A new DRAFT quote numbered Q-<year>-<n>; made for a deal, it starts with the deal's
    products as lines."""
    permissions.require(actor, "create", "quote")
    quote = Quote(status=QuoteStatus.DRAFT, version=1, created_by_id=actor.id, lines=[])
    _apply(quote, actor, fields, partial=False)
    quote.number = numbering.next_number(NUMBER_PREFIX)
    _touch(quote, actor)
    db.session.add(quote)
    if quote.opportunity_id:
        _copy_deal_products(quote)
    db.session.flush()
    return quote


def _copy_deal_products(quote: Quote) -> None:
    from app.services.opportunity_parts import product_lines

    deal = db.session.get(Opportunity, quote.opportunity_id)
    for position, item in enumerate(product_lines(deal), start=1):
        product = item.product
        quote.lines.append(
            QuoteLine(
                position=position,
                product_id=product.id,
                name=product.name,
                description=product.description,
                unit=product.unit,
                quantity=item.quantity,
                unit_price=item.unit_price,
                tax_rate=product.tax_rate,
                discount_percent=0,
            )  # fmt: skip
        )
    document_lines.recalculate(quote)


def update_quote(quote: Quote, actor, **fields) -> Quote:
    permissions.require(actor, "edit", "quote", quote)
    require_draft(quote)
    _apply(quote, actor, fields, partial=True)
    document_lines.recalculate(quote)
    db.session.flush()
    return quote


def add_line(quote: Quote, actor, **fields) -> QuoteLine:
    """Add a line (from a product, or typed) to a draft; its totals are recomputed."""
    permissions.require(actor, "edit", "quote", quote)
    require_draft(quote)
    book = db.session.get(PriceBook, quote.price_book_id) if quote.price_book_id else None
    line = document_lines.add_line(quote, QuoteLine, fields, book)
    _touch(quote, actor)
    return line


def _line(quote: Quote, line_id) -> QuoteLine:
    line = document_lines.find_line(quote, line_id)
    if line is None:
        raise RecordInvalid({"line": gettext("That line is not on this quote.")})
    return line


def update_line(quote: Quote, actor, line_id, **fields) -> QuoteLine:
    permissions.require(actor, "edit", "quote", quote)
    require_draft(quote)
    line = _line(quote, line_id)
    document_lines.update_line(quote, line, fields)
    _touch(quote, actor)
    return line


def remove_line(quote: Quote, actor, line_id) -> None:
    permissions.require(actor, "edit", "quote", quote)
    require_draft(quote)
    document_lines.remove_line(quote, _line(quote, line_id))
    _touch(quote, actor)


def versions(quote: Quote) -> list[Quote]:
    """Every version of `quote`'s number, first to last."""
    return list(
        db.session.scalars(
            sa.select(Quote).where(Quote.number == quote.number).order_by(Quote.version)
        )
    )


def revise(quote: Quote, actor) -> Quote:
    """A new DRAFT version of `quote` with the same lines; `quote` becomes SUPERSEDED."""
    permissions.require(actor, "edit", "quote", quote)
    if quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.SUPERSEDED):
        message = (
            gettext("%(quote)s was accepted; its order carries it on.", quote=quote.reference)
            if quote.status is QuoteStatus.ACCEPTED
            else gettext("%(quote)s has a newer version: revise that one.", quote=quote.reference)
        )
        raise QuoteLocked(message)
    revision = Quote(
        **{name: getattr(quote, name) for name in _REVISED},
        version=quote.version + 1,
        status=QuoteStatus.DRAFT,
        created_by_id=actor.id,
        updated_by_id=actor.id,
        lines=[],
    )
    if revision.valid_until is None or revision.valid_until < date.today():
        revision.valid_until = date.today() + timedelta(days=validity_days())
    document_lines.copy_lines(quote, revision, QuoteLine)
    quote.status = QuoteStatus.SUPERSEDED
    db.session.add(revision)
    db.session.flush()
    return revision


def mark_sent(quote: Quote, actor) -> Quote:
    """Freeze a draft as SENT (sending it again keeps it SENT)."""
    permissions.require(actor, "edit", "quote", quote)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        require_draft(quote)
    if not quote.lines:
        raise RecordInvalid({"lines": gettext("Add at least one line before sending the quote.")})
    quote.status = QuoteStatus.SENT
    quote.sent_at = utcnow()
    quote.updated_by_id = actor.id
    db.session.flush()
    return quote


def _check_decidable(quote: Quote) -> None:
    if quote.status is not QuoteStatus.SENT:
        messages = {
            QuoteStatus.DRAFT: gettext("%(quote)s has not been sent yet."),
            QuoteStatus.ACCEPTED: gettext("%(quote)s was already accepted."),
            QuoteStatus.DECLINED: gettext("%(quote)s was already declined."),
            QuoteStatus.SUPERSEDED: gettext("%(quote)s was replaced by a newer version."),
        }
        raise QuoteLocked(messages[quote.status] % {"quote": quote.reference})
    if is_expired(quote):
        raise QuoteLocked(
            gettext(
                "%(quote)s expired on %(date)s.",
                quote=quote.reference,
                date=format_date(quote.valid_until),
            )  # fmt: skip
        )


def _decider(by_name: str, actor) -> str:
    name = " ".join(str(by_name or "").split())[:200]
    if not name and actor is not None:
        name = actor.name
    if not name:
        raise RecordInvalid({"name": gettext("Enter your name.")})
    return name


def accept(quote: Quote, by_name: str, actor=None):
    """Record that the customer accepted a sent quote, and make its order.

    `actor` is the user recording it (checked), or None when the customer's contact accepts
    on the portal through the quote's signed link (the link is the authorisation)."""
    from app.services import orders

    if actor is not None:
        permissions.require(actor, "edit", "quote", quote)
    _check_decidable(quote)
    quote.decided_by = _decider(by_name, actor)
    quote.status = QuoteStatus.ACCEPTED
    quote.decided_at = utcnow()
    db.session.flush()
    return orders.create_from_quote(quote, actor)


def decline(quote: Quote, by_name: str, reason: str = "", actor=None) -> Quote:
    """Record that the customer declined a sent quote (and why, if they said)."""
    if actor is not None:
        permissions.require(actor, "edit", "quote", quote)
    _check_decidable(quote)
    reason = " ".join(str(reason or "").split())
    if len(reason) > REASON_LENGTH:
        raise RecordInvalid(
            {"reason": gettext("Use at most %(max)d characters.", max=REASON_LENGTH)}
        )
    quote.decided_by = _decider(by_name, actor)
    quote.status = QuoteStatus.DECLINED
    quote.decided_at = utcnow()
    quote.decline_reason = reason
    db.session.flush()
    return quote


def delete_quote(quote: Quote, actor) -> None:
    """Delete a draft that was never sent (a first version); sent quotes are kept."""
    permissions.require(actor, "delete", "quote", quote)
    if quote.status is not QuoteStatus.DRAFT or quote.version != 1:
        raise QuoteLocked(
            gettext(
                "%(quote)s has been sent or revised and is kept; revise it instead.",
                quote=quote.reference,
            )
        )
    db.session.delete(quote)
    db.session.flush()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="quote-portal")


def portal_token(quote: Quote) -> str:
    """The signed part of the link a customer's contact opens to view and decide."""
    return _serializer().dumps({"quote": quote.id, "number": quote.number})


def quote_for_token(token: str) -> Quote | None:
    """The quote version a portal link names, or None for a forged or unknown link."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    quote = db.session.get(Quote, data.get("quote")) if isinstance(data, dict) else None
    if quote is None or quote.number != data.get("number"):
        return None
    return quote


def latest_shown_version(quote: Quote) -> Quote:
    """The newest version of `quote`'s number the customer has been sent (drafts are
    never shown on the portal): what a link to an older version leads to."""
    shown = db.session.scalar(
        sa.select(Quote)
        .where(Quote.number == quote.number, Quote.status != QuoteStatus.DRAFT)
        .order_by(Quote.version.desc())
        .limit(1)
    )
    return shown or quote
