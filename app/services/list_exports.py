"""CSV exports of the customer and contact lists, with the filters shown on screen.

Rows are read through the lists' own permission-filtered queries, page by page on their
keyset (never OFFSET), with tags and custom fields; headers match the import's field
names, so an exported file maps itself when imported again. Cells are escaped against
formula injection by app.services.exports.write_csv.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from app import permissions
from app.extensions import db
from app.models.customers import AddressKind, Customer
from app.models.identity import User
from app.services import contacts, custom_fields, customers, tags

ENTITY_TYPES = ("customer", "contact")
BATCH_SIZE = 500


def _filters(entity_type: str, args: dict):
    """The list's filters from a query string kept as {name: [values]} (jobs take data)."""
    multi = MultiDict([(key, value) for key, values in args.items() for value in values])
    if entity_type == "customer":
        return customers.CustomerFilters.from_args(multi)
    return contacts.ContactFilters.from_args(multi)


def count(actor, entity_type: str, args: dict) -> int:
    """How many rows the export will hold (once per export job, not on a list page)."""
    query = _query(actor, entity_type, _filters(entity_type, args)).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def _query(actor, entity_type, filters):
    if entity_type == "customer":
        return customers.customers_query(actor, filters)
    return contacts.contacts_query(actor, filters)


def _pages(actor, entity_type: str, filters) -> Iterator[list]:
    page = customers.customer_page if entity_type == "customer" else contacts.contact_page
    cursor = None
    while True:
        rows, cursor = page(actor, filters, cursor, limit=BATCH_SIZE)
        if rows:
            yield rows
        if cursor is None:
            return


def header(entity_type: str) -> list[str]:
    """The column titles, in the user's language, custom fields last."""
    if entity_type == "customer":
        names = [
            gettext("ID"), gettext("Name"), gettext("Company"), gettext("Industry"),
            gettext("Size"), gettext("Status"), gettext("Source"), gettext("Rating"),
            gettext("Website"), gettext("Email"), gettext("Phone"), gettext("Description"),
            gettext("Address"), gettext("City"), gettext("Postal code"), gettext("Country"),
        ]  # fmt: skip
    else:
        names = [
            gettext("ID"), gettext("First name"), gettext("Last name"), gettext("Customer"),
            gettext("Email"), gettext("Phone"), gettext("Mobile"), gettext("Job title"),
            gettext("Department"), gettext("Primary contact"),
        ]  # fmt: skip
    names += [gettext("Owner email"), gettext("Tags"), gettext("Created (UTC)")]
    return names + [
        custom_fields.field_label(field) for field in custom_fields.fields_for(entity_type)
    ]


def _enum(value) -> str:
    return value.value if value is not None else ""


def _customer_cells(customer) -> list:
    billing = next((a for a in customer.addresses if a.kind is AddressKind.BILLING), None)
    address = [
        " ".join(part for part in (billing.line1, billing.line2) if part) if billing else "",
        billing.city if billing else "",
        billing.postal_code if billing else "",
        billing.country if billing else "",
    ]
    return [
        customer.id, customer.name, customer.company, customer.industry, _enum(customer.size),
        _enum(customer.status), customer.source, _enum(customer.rating), customer.website,
        customer.email, customer.phone, customer.description, *address,
    ]  # fmt: skip


def _customer_names(page) -> dict[int, str]:
    ids = {contact.customer_id for contact in page if contact.customer_id}
    query = sa.select(Customer.id, Customer.name).where(Customer.id.in_(ids))
    return {customer_id: name for customer_id, name in db.session.execute(query)} if ids else {}


def rows(actor, entity_type: str, args: dict, progress=None) -> Iterator[list]:
    """Every row `actor` may read in the filtered list, as CSV cells; `progress(n)` is
    called after each page with the number of rows so far."""
    permissions.require(actor, "read", entity_type)
    filters = _filters(entity_type, args)
    fields = custom_fields.fields_for(entity_type)
    table = "customers" if entity_type == "customer" else "contacts"
    done = 0
    for page in _pages(actor, entity_type, filters):
        ids = [record.id for record in page]
        tagged = tags.tags_for(table, ids)
        owner_ids = {record.owner_id for record in page if record.owner_id}
        owners = dict(
            db.session.execute(sa.select(User.id, User.email).where(User.id.in_(owner_ids)))
            .tuples()
            .all()
        )
        names = _customer_names(page) if entity_type == "contact" else {}
        for record in page:
            if entity_type == "customer":
                cells = _customer_cells(record)
            else:
                cells = [
                    record.id, record.first_name, record.last_name,
                    names.get(record.customer_id, ""), record.email, record.phone,
                    record.mobile, record.title, record.department,
                    gettext("yes") if record.is_primary else "",
                ]  # fmt: skip
            cells += [
                owners.get(record.owner_id, ""),
                ", ".join(tag.name for tag in tagged[record.id]),
                record.created_at.strftime("%Y-%m-%d %H:%M"),
            ]
            custom = record.custom or {}
            yield cells + [custom.get(field.key, "") for field in fields]
        done += len(page)
        if progress is not None:
            progress(done)
