"""Converting a lead: link or create its customer and contact (and create an opportunity) in
one transaction; the lead keeps its history and points at what it became, and its
activities move onto the customer and contact (keeping their lead link).
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.activities import Activity
from app.models.base import utcnow
from app.models.customers import Contact, Customer
from app.models.sales import Lead, LeadStatus
from app.services import contacts, customers, marketing_signals, opportunities
from app.services.record_checks import assignable_owner
from app.services.validation import RecordInvalid


@dataclasses.dataclass(frozen=True)
class Conversion:
    """What converting a lead made or linked."""

    lead: Lead
    customer: Customer
    contact: Contact
    opportunity: object | None = None


def _prefixed(prefix: str, invalid: RecordInvalid) -> RecordInvalid:
    return RecordInvalid({f"{prefix}.{key}": message for key, message in invalid.errors.items()})


def _editable(actor, model, record_id, entity: str):
    """The record if it exists and `actor` may edit it (one answer for both, so ids
    cannot be probed)."""
    try:
        record = db.session.get(model, int(record_id))
    except (TypeError, ValueError):
        record = None
    if record is None or not permissions.can(actor, "edit", entity, record):
        return None
    return record


def _conversion_owner(actor, lead: Lead) -> int:
    """The new records go to the lead's owner when `actor` may give them records."""
    owner_id = lead.owner_id
    if owner_id is not None and assignable_owner(actor, "customer", owner_id):
        return owner_id
    return actor.id


def _new_customer(actor, lead: Lead) -> Customer:
    fields = {
        "name": lead.company or lead.full_name,
        "company": lead.company,
        "industry": lead.industry,
        "website": lead.website,
        "source": lead.source.value.lower(),
        "owner_id": _conversion_owner(actor, lead),
    }
    if not lead.company:
        fields |= {"email": lead.email, "phone": lead.phone or lead.mobile}
    if lead.city or lead.region or lead.country:
        fields["addresses"] = [
            {"kind": "OTHER", "city": lead.city, "region": lead.region, "country": lead.country}
        ]
    try:
        return customers.create_customer(actor, **fields)
    except RecordInvalid as invalid:
        raise _prefixed("customer", invalid) from None


def _new_contact(actor, lead: Lead, customer: Customer, primary: bool) -> Contact:
    fields = {name: getattr(lead, name) for name in ("first_name", "last_name", "title")}
    fields |= {"email": lead.email, "phone": lead.phone, "mobile": lead.mobile}
    fields |= {"customer_id": customer.id, "is_primary": primary}
    fields["owner_id"] = _conversion_owner(actor, lead)
    try:
        return contacts.create_contact(actor, **fields)
    except RecordInvalid as invalid:
        raise _prefixed("contact", invalid) from None


def _linked_contact(actor, contact_id, customer: Customer) -> Contact:
    contact = _editable(actor, Contact, contact_id, "contact")
    if contact is None:
        raise RecordInvalid({"contact_id": gettext("Choose a contact you may edit.")})
    if contact.customer_id is None:
        contacts.update_contact(contact, actor, customer_id=customer.id)
    elif contact.customer_id != customer.id:
        raise RecordInvalid({"contact_id": gettext("This contact works at another customer.")})
    return contact


def _new_opportunity(actor, lead, customer, contact, name, amount, close_date):

    fields = {
        "name": " ".join((name or "").split()) or customer.name,
        "customer_id": customer.id,
        "contact_id": contact.id,
        "amount": amount,
        "expected_close_date": close_date,
        "lead_id": lead.id,
        "owner_id": _conversion_owner(actor, lead),
    }
    try:
        opportunity = opportunities.create_opportunity(actor, **fields)
    except RecordInvalid as invalid:
        raise _prefixed("opportunity", invalid) from None
    # The deal is attributed to the campaign the lead came from.
    if lead.campaign_id is not None:
        opportunity.campaign_id = lead.campaign_id
    return opportunity


def convert_lead(
    lead: Lead,
    actor,
    *,
    customer_id: int | None = None,
    contact_id: int | None = None,
    create_opportunity: bool = False,
    opportunity_name: str = "",
    amount=None,
    expected_close_date=None,
) -> Conversion:
    """Convert `lead`: link the customer `customer_id` (one `actor` may edit) or create one
    from the lead's company (or name), link the contact `contact_id` or create one from the
    lead at that customer, optionally create an opportunity; the lead's activities join
    the customer's timeline. All or nothing: on RecordInvalid nothing stays."""
    permissions.require(actor, "edit", "lead", lead)
    if lead.status is LeadStatus.CONVERTED:
        raise RecordInvalid({"status": gettext("This lead is already converted.")})
    with db.session.begin_nested():
        if customer_id not in (None, ""):
            customer = _editable(actor, Customer, customer_id, "customer")
            if customer is None:
                raise RecordInvalid({"customer_id": gettext("Choose a customer you may edit.")})
            created_customer = False
        else:
            customer = _new_customer(actor, lead)
            created_customer = True
        if contact_id not in (None, ""):
            contact = _linked_contact(actor, contact_id, customer)
        else:
            contact = _new_contact(actor, lead, customer, primary=created_customer)
        opportunity = None
        if create_opportunity:
            opportunity = _new_opportunity(
                actor, lead, customer, contact, opportunity_name, amount, expected_close_date
            )
        # They keep lead_id, so the lead's page still shows them.
        for activity in db.session.scalars(sa.select(Activity).where(Activity.lead_id == lead.id)):
            activity.customer_id = customer.id
            activity.contact_id = contact.id
        lead.status = LeadStatus.CONVERTED
        lead.converted_at = utcnow()
        lead.customer_id = customer.id
        lead.contact_id = contact.id
        lead.opportunity_id = getattr(opportunity, "id", None)
        lead.updated_by_id = actor.id
        db.session.flush()
    marketing_signals.emit("lead_converted", lead=lead)
    return Conversion(lead, customer, contact, opportunity)
