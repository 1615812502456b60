"""What hangs off a deal: the colleagues working it, the products it is about (whose total
may become its amount), and its documents (checked by extension and by their first bytes,
stored outside the web root under random names).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.identity import User
from app.models.sales import (
    Opportunity,
    OpportunityDocument,
    OpportunityMember,
    OpportunityProduct,
    Product,
)
from app.services import uploads
from app.services.opportunities import check_version, flush_versioned
from app.services.validation import RecordInvalid

MAX_DOCUMENT_SIZE = 10 * 1024 * 1024
DOCUMENT_TYPES = uploads.DOCUMENT_TYPES
DOCUMENTS_FOLDER = "documents"


def members_of(opportunity: Opportunity) -> list[tuple[OpportunityMember, str]]:
    """(member, user name) of the deal's team, by name."""
    query = (
        sa.select(OpportunityMember, User.name)
        .join(User, User.id == OpportunityMember.user_id)
        .where(OpportunityMember.opportunity_id == opportunity.id)
        .order_by(User.name, OpportunityMember.id)
    )
    return [tuple(row) for row in db.session.execute(query)]


def add_member(opportunity: Opportunity, actor, user_id, role: str = "") -> OpportunityMember:
    """Add an active colleague to the deal (adding one twice changes nothing)."""
    permissions.require(actor, "edit", "opportunity", opportunity)
    user = db.session.get(User, int(user_id)) if str(user_id or "").isdigit() else None
    if user is None or not user.is_active:
        raise RecordInvalid({"user_id": gettext("Choose an active user.")})
    role = " ".join((role or "").split())
    if len(role) > 80:
        raise RecordInvalid({"role": gettext("Use at most %(max)d characters.", max=80)})
    member = db.session.scalar(
        sa.select(OpportunityMember).filter_by(opportunity_id=opportunity.id, user_id=user.id)
    )
    if member is None:
        member = OpportunityMember(opportunity_id=opportunity.id, user_id=user.id, role=role)
        db.session.add(member)
    else:
        member.role = role
    db.session.flush()
    return member


def remove_member(opportunity: Opportunity, actor, member_id: int) -> None:
    permissions.require(actor, "edit", "opportunity", opportunity)
    member = db.session.get(OpportunityMember, member_id)
    if member is not None and member.opportunity_id == opportunity.id:
        db.session.delete(member)
        db.session.flush()


def product_lines(opportunity: Opportunity) -> list[OpportunityProduct]:
    return list(
        db.session.scalars(
            sa.select(OpportunityProduct)
            .where(OpportunityProduct.opportunity_id == opportunity.id)
            .order_by(OpportunityProduct.id)
        )
    )


def lines_total(lines) -> Decimal:
    return sum(
        ((line.quantity * line.unit_price).quantize(Decimal("0.01")) for line in lines),
        Decimal("0.00"),
    )


def _decimal(raw, places: int, errors: dict, key: str, message: str) -> Decimal | None:
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value < 0 or value >= 10**11:
        errors[key] = message
        return None
    if value.as_tuple().exponent < -places:
        errors[key] = gettext("Use at most %(places)d decimals.", places=places)
        return None
    return value


def add_product(
    opportunity: Opportunity, actor, product_id, quantity, unit_price=None
) -> OpportunityProduct:
    """Add a product line; the price defaults to the product's list price."""
    permissions.require(actor, "edit", "opportunity", opportunity)
    errors: dict[str, str] = {}
    product = db.session.get(Product, int(product_id)) if str(product_id or "").isdigit() else None
    if product is None or not product.is_active:
        errors["product_id"] = gettext("Choose an active product.")
    amount = _decimal(quantity, 3, errors, "quantity", gettext("Enter a quantity of more than 0."))
    if amount is not None and amount == 0:
        errors["quantity"] = gettext("Enter a quantity of more than 0.")
    price = None
    if unit_price not in (None, ""):
        price = _decimal(
            unit_price, 2, errors, "unit_price", gettext("Enter a price of 0 or more.")
        )
    if errors:
        raise RecordInvalid(errors)
    line = OpportunityProduct(
        opportunity_id=opportunity.id,
        product_id=product.id,
        quantity=amount,
        unit_price=product.list_price if price is None else price,
    )
    db.session.add(line)
    db.session.flush()
    return line


def remove_product(opportunity: Opportunity, actor, line_id: int) -> None:
    permissions.require(actor, "edit", "opportunity", opportunity)
    line = db.session.get(OpportunityProduct, line_id)
    if line is not None and line.opportunity_id == opportunity.id:
        db.session.delete(line)
        db.session.flush()


def amount_from_lines(opportunity: Opportunity, actor, seen_version) -> Opportunity:
    """Make the deal's amount its product lines' total, when the user asks for it."""
    permissions.require(actor, "edit", "opportunity", opportunity)
    check_version(opportunity, seen_version)
    opportunity.amount = lines_total(product_lines(opportunity))
    opportunity.updated_by_id = actor.id
    flush_versioned(opportunity)
    return opportunity


def documents_of(opportunity: Opportunity) -> list[OpportunityDocument]:
    return list(
        db.session.scalars(
            sa.select(OpportunityDocument)
            .where(OpportunityDocument.opportunity_id == opportunity.id)
            .order_by(OpportunityDocument.id.desc())
        )
    )


def document_path(document: OpportunityDocument) -> str:
    return uploads.stored_path(DOCUMENTS_FOLDER, document.stored_name)


def save_document(opportunity: Opportunity, actor, filename: str, stream) -> OpportunityDocument:
    """Store an upload if its extension is allowed, its first bytes match that extension
    and it is at most MAX_DOCUMENT_SIZE; RecordInvalid otherwise."""
    permissions.require(actor, "edit", "opportunity", opportunity)
    checked = uploads.check_upload(filename, stream, DOCUMENT_TYPES, MAX_DOCUMENT_SIZE)
    document = OpportunityDocument(
        opportunity_id=opportunity.id,
        filename=checked.filename,
        stored_name=uploads.store(DOCUMENTS_FOLDER, checked.content),
        content_type=checked.content_type,
        size=checked.size,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    return document


def delete_document(opportunity: Opportunity, actor, document_id: int) -> None:
    permissions.require(actor, "edit", "opportunity", opportunity)
    document = db.session.get(OpportunityDocument, document_id)
    if document is None or document.opportunity_id != opportunity.id:
        return
    db.session.delete(document)
    db.session.flush()
    uploads.remove(DOCUMENTS_FOLDER, document.stored_name)
