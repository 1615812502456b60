"""Contacts: people, usually at a customer. Create, change, delete and list them; keep at
most one primary contact per customer; linking a contact to a customer needs the right
to edit both (SECURITY.md: write access to a relation needs edit rights on both ends).
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.records import Tagging
from app.services import custom_fields, history, record_inserts, search, tags
from app.services.record_checks import check_custom, check_email, check_owner, check_text
from app.services.record_lists import (
    KeysetSort,
    filter_where,
    keyset_page,
    list_filters,
    query_args,
)
from app.services.validation import RecordInvalid

# A contact's own profile fields and their labels (import mapping, merge page).
FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "title": _l("Job title"),
    "department": _l("Department"),
}

tags.register_taggable("contacts", Contact, "contact")
history.register_record_type("contacts", Contact, "contact")

TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "phone": 50,
    "mobile": 50,
    "title": 100,
    "department": 100,
}
_FIELDS = set(TEXT_LIMITS) | {"email", "customer_id", "is_primary", "owner_id", "custom"}


def _check_customer(actor, fields: dict, errors: dict, current: int | None) -> int | None:
    """The customer to link to; a new link needs the right to edit that customer."""
    if "customer_id" not in fields:
        return current
    raw = fields["customer_id"]
    if raw in (None, ""):
        return None
    try:
        customer_id = int(raw)
    except (TypeError, ValueError):
        customer_id = None
    if customer_id == current and current is not None:
        return current
    customer = db.session.get(Customer, customer_id) if customer_id else None
    # One message for "no such customer" and "not yours", so ids cannot be probed.
    if customer is None or not permissions.can(actor, "edit", "customer", customer):
        errors["customer_id"] = gettext("Choose a customer you may edit.")
        return current
    return customer_id


def _apply(
    contact: Contact, actor, fields: dict, partial: bool, definitions: list | None = None
) -> None:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown contact fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values = {}
    for name, limit in TEXT_LIMITS.items():
        if not partial or name in fields:
            required = gettext("Enter the contact's last name.") if name == "last_name" else None
            values[name] = check_text(fields, name, limit, errors, required)
    if not partial or "email" in fields:
        values["email"] = check_email(fields, "email", errors)
    values["customer_id"] = _check_customer(actor, fields, errors, contact.customer_id)
    values["owner_id"] = check_owner(actor, "contact", fields, errors, contact.owner_id)
    custom = check_custom("contact", fields, errors, partial, definitions)
    if errors:
        raise RecordInvalid(errors)
    wanted = fields.get("is_primary", contact.is_primary)
    primary = bool(wanted) and values["customer_id"] is not None
    if primary:
        _clear_primary(values["customer_id"], keep=contact.id)
    for name, value in values.items():
        setattr(contact, name, value)
    contact.is_primary = primary
    if custom is not None:
        custom_fields.apply_values(contact, custom)
    contact.updated_by_id = actor.id
    contact.search_text = search.normalise(
        contact.first_name, contact.last_name, contact.email, contact.phone, contact.mobile
    )


def _clear_primary(customer_id: int, keep: int | None) -> None:
    """Take the primary flag off the customer's other contact, flushed before the new one
    is set, so the one-primary-per-customer index never sees two."""
    others = db.session.scalars(
        sa.select(Contact).where(
            Contact.customer_id == customer_id,
            Contact.is_primary.is_(True),
            Contact.id != (keep or 0),
        )
    )
    for other in others:
        other.is_primary = False
    db.session.flush()


def create_contact(actor, **fields) -> Contact:
    """Create a contact (with or without a customer); RecordInvalid lists every bad field."""
    contact = new_contact(actor, fields)
    db.session.add(contact)
    db.session.flush()
    return contact


def new_contact(actor, fields: dict, definitions: list | None = None) -> Contact:
    """A checked contact, not yet in the session: `create_contact` adds it, an import
    gathers many for `insert_contacts`. Making it primary demotes the customer's current
    primary contact at once, so only `create_contact` may take a primary one."""
    permissions.require(actor, "create", "contact")
    contact = Contact(created_by_id=actor.id, custom={}, is_primary=False)
    _apply(contact, actor, fields, partial=False, definitions=definitions)
    return contact


def insert_contacts(new: list[Contact]) -> None:
    """Write non-primary contacts from `new_contact` in a few statements."""
    if any(contact.is_primary for contact in new):
        raise ValueError("a primary contact goes through create_contact")
    record_inserts.insert(Contact, new)


def update_contact(contact: Contact, actor, **fields) -> Contact:
    """Change the given fields of `contact`; making it primary demotes the previous one."""
    permissions.require(actor, "edit", "contact", contact)
    _apply(contact, actor, fields, partial=True)
    db.session.flush()
    return contact


def delete_contact(contact: Contact, actor) -> None:
    """Delete a contact and its tags."""
    permissions.require(actor, "delete", "contact", contact)
    taggings = db.session.scalars(
        sa.select(Tagging).where(Tagging.entity_type == "contacts", Tagging.entity_id == contact.id)
    )
    for tagging in taggings:
        db.session.delete(tagging)
    db.session.delete(contact)
    db.session.flush()


def contacts_of(customer: Customer, actor) -> list[Contact]:
    """The customer's contacts `actor` may see, primary first, in one query."""
    query = (
        sa.select(Contact)
        .where(
            Contact.customer_id == customer.id,
            permissions.visible(actor, "contact", Contact.owner_id),
        )
        .order_by(Contact.is_primary.desc(), Contact.last_name, Contact.id)
        .limit(200)
    )
    return list(db.session.scalars(query))


SORTS = {
    "name": KeysetSort(Contact.last_name, lambda c: c.last_name),
    "first_name": KeysetSort(Contact.first_name, lambda c: c.first_name),
    "email": KeysetSort(Contact.email, lambda c: c.email),
    "title": KeysetSort(Contact.title, lambda c: c.title),
    "created_at": KeysetSort(Contact.created_at, lambda c: c.created_at, is_time=True),
    "updated_at": KeysetSort(Contact.updated_at, lambda c: c.updated_at, is_time=True),
}


@dataclasses.dataclass
class ContactFilters:
    """What a contact list shows: search, filters and an allowlisted sort."""

    q: str = ""
    customer_id: int | None = None
    owner_id: int | None = None
    tag: str = ""
    custom: dict = dataclasses.field(default_factory=dict)
    sort: str = "name"
    direction: str = "asc"

    @classmethod
    def from_args(cls, args) -> ContactFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        customer = args.get("customer_id")
        customer_id = int(customer) if customer and str(customer).isdigit() else None
        return cls(customer_id=customer_id, **list_filters(args, SORTS, "name"))

    def as_args(self) -> dict:
        sort = {
            "sort": self.sort if self.sort != "name" else "",
            "direction": self.direction if self.direction != "asc" else "",
        }
        return query_args(self, {"customer_id": self.customer_id or ""}, sort)


def contacts_query(actor, filters: ContactFilters) -> sa.Select:
    """The contacts `actor` may see that match `filters`, sorted by the sort column then id."""
    query = sa.select(Contact).where(permissions.visible(actor, "contact", Contact.owner_id))
    if filters.customer_id is not None:
        query = query.where(Contact.customer_id == filters.customer_id)
    query = query.where(*filter_where(Contact, "contact", "contacts", filters))
    return SORTS[filters.sort].order(query, Contact.id, filters.direction)


def contact_page(actor, filters: ContactFilters, cursor: str | None = None, limit: int = 50):
    """One page of contacts after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        contacts_query(actor, filters),
        SORTS[filters.sort],
        Contact.id,
        filters.direction,
        cursor,
        limit,
    )


def customer_names(contacts) -> dict[int, str]:
    """The names of the contacts' customers, in one query for a whole page."""
    ids = {c.customer_id for c in contacts if c.customer_id}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Customer.id, Customer.name).where(Customer.id.in_(ids)))
    return dict(rows.tuples().all())


def linkable_customers(actor, limit: int = 200) -> list[tuple[int, str]]:
    """(id, name) of customers `actor` may edit, hence link contacts to, by name."""
    query = (
        sa.select(Customer.id, Customer.name)
        .where(permissions.visible(actor, "customer", Customer.owner_id, "edit"))
        .order_by(Customer.name, Customer.id)
        .limit(limit)
    )
    return list(db.session.execute(query).tuples())
