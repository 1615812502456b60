"""CSV exports of the customer, contact, lead and deal lists, with the filters shown on
screen.

Rows are read through the lists' own permission-filtered queries, page by page on their
keyset (never OFFSET), with tags and custom fields; headers match the import's field
names, so an exported file maps itself when imported again. Cells are escaped against
formula injection by app.services.exports.write_csv.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from app import permissions
from app.extensions import db
from app.models.customers import AddressKind, Customer
from app.models.identity import User
from app.services import contacts, custom_fields, customers, leads, opportunity_lists, tags

BATCH_SIZE = 500


@dataclasses.dataclass(frozen=True)
class ListExport:
    """How one list is exported: its filters, query and pages, and its columns."""

    filters: Callable  # from_args(MultiDict) -> the list's filters
    query: Callable  # (actor, filters) -> the list's select
    page: Callable  # (actor, filters, cursor, limit) -> (rows, next cursor)
    table: str  # the tags' table name
    columns: Callable[[], list[str]]  # titles of the list's own columns
    cells: Callable  # (record, customer names) -> the list's own cells
    title: object  # the job's title
    file_stem: str  # the downloaded file's name before the date


def _enum(value) -> str:
    return value.value if value is not None else ""


def _text(value) -> str:
    return "" if value is None else str(value)


def _customer_columns() -> list[str]:
    return [
        gettext("ID"), gettext("Name"), gettext("Company"), gettext("Industry"),
        gettext("Size"), gettext("Status"), gettext("Source"), gettext("Rating"),
        gettext("Website"), gettext("Email"), gettext("Phone"), gettext("Description"),
        gettext("Address"), gettext("City"), gettext("Postal code"), gettext("Country"),
    ]  # fmt: skip


def _customer_cells(customer, names) -> list:
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


def _contact_columns() -> list[str]:
    return [
        gettext("ID"), gettext("First name"), gettext("Last name"), gettext("Customer"),
        gettext("Email"), gettext("Phone"), gettext("Mobile"), gettext("Job title"),
        gettext("Department"), gettext("Primary contact"),
    ]  # fmt: skip


def _contact_cells(contact, names) -> list:
    return [
        contact.id, contact.first_name, contact.last_name, names.get(contact.customer_id, ""),
        contact.email, contact.phone, contact.mobile, contact.title, contact.department,
        gettext("yes") if contact.is_primary else "",
    ]  # fmt: skip


def _lead_columns() -> list[str]:
    return [gettext("ID"), *(str(label) for label in leads.FIELD_LABELS.values())]


def _lead_cells(lead, names) -> list:
    values = {"source": _enum(lead.source), "status": _enum(lead.status)}
    return [lead.id] + [
        values[key] if key in values else _text(getattr(lead, key)) for key in leads.FIELD_LABELS
    ]


def _opportunity_columns() -> list[str]:
    return [
        gettext("ID"), gettext("Name"), gettext("Customer"), gettext("Stage"),
        gettext("Amount"), gettext("Currency"), gettext("Probability (%)"),
        gettext("Expected close date"), gettext("Closed (UTC)"), gettext("Loss reason"),
        gettext("Competitors"), gettext("Next step"), gettext("Description"),
    ]  # fmt: skip


def _opportunity_cells(deal, names) -> list:
    closed = deal.closed_at.strftime("%Y-%m-%d %H:%M") if deal.closed_at else ""
    return [
        deal.id, deal.name, names.get(deal.customer_id, ""), _enum(deal.stage),
        _text(deal.amount), deal.currency, _text(deal.probability),
        _text(deal.expected_close_date), closed, deal.loss_reason, deal.competitors,
        deal.next_step, deal.description,
    ]  # fmt: skip


EXPORTS = {
    "customer": ListExport(
        customers.CustomerFilters.from_args, customers.customers_query,
        customers.customer_page, "customers", _customer_columns, _customer_cells,
        _l("Customer export"), "customers",
    ),
    "contact": ListExport(
        contacts.ContactFilters.from_args, contacts.contacts_query, contacts.contact_page,
        "contacts", _contact_columns, _contact_cells, _l("Contact export"), "contacts",
    ),
    "lead": ListExport(
        leads.LeadFilters.from_args, leads.leads_query, leads.lead_page, "leads",
        _lead_columns, _lead_cells, _l("Lead export"), "leads",
    ),
    "opportunity": ListExport(
        opportunity_lists.OpportunityFilters.from_args, opportunity_lists.opportunities_query,
        opportunity_lists.opportunity_page, "opportunities", _opportunity_columns,
        _opportunity_cells, _l("Opportunity export"), "opportunities",
    ),
}  # fmt: skip
ENTITY_TYPES = tuple(EXPORTS)


def title(entity_type: str) -> str:
    """The export job's title, in the current language."""
    return str(EXPORTS[entity_type].title)


def file_name(entity_type: str, stamp: str) -> str:
    return f"{EXPORTS[entity_type].file_stem}-{stamp}.csv"


def _filters(entity_type: str, args: dict):
    """The list's filters from a query string kept as {name: [values]} (jobs take data)."""
    multi = MultiDict([(key, value) for key, values in args.items() for value in values])
    return EXPORTS[entity_type].filters(multi)


def count(actor, entity_type: str, args: dict) -> int:
    """How many rows the export will hold (once per export job, not on a list page)."""
    spec = EXPORTS[entity_type]
    query = spec.query(actor, _filters(entity_type, args)).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def _pages(actor, entity_type: str, filters) -> Iterator[list]:
    page = EXPORTS[entity_type].page
    cursor = None
    while True:
        rows, cursor = page(actor, filters, cursor, limit=BATCH_SIZE)
        if rows:
            yield rows
        if cursor is None:
            return


def header(entity_type: str) -> list[str]:
    """The column titles, in the user's language, custom fields last."""
    names = EXPORTS[entity_type].columns()
    names += [gettext("Owner email"), gettext("Tags"), gettext("Created (UTC)")]
    return names + [
        custom_fields.field_label(field) for field in custom_fields.fields_for(entity_type)
    ]


def _customer_names(page) -> dict[int, str]:
    ids = {record.customer_id for record in page if getattr(record, "customer_id", None)}
    query = sa.select(Customer.id, Customer.name).where(Customer.id.in_(ids))
    return {customer_id: name for customer_id, name in db.session.execute(query)} if ids else {}


def rows(actor, entity_type: str, args: dict, progress=None) -> Iterator[list]:
    """Every row `actor` may read in the filtered list, as CSV cells; `progress(n)` is
    called after each page with the number of rows so far."""
    permissions.require(actor, "read", entity_type)
    spec = EXPORTS[entity_type]
    filters = _filters(entity_type, args)
    fields = custom_fields.fields_for(entity_type)
    done = 0
    for page in _pages(actor, entity_type, filters):
        ids = [record.id for record in page]
        tagged = tags.tags_for(spec.table, ids)
        owner_ids = {record.owner_id for record in page if record.owner_id}
        owners = dict(
            db.session.execute(sa.select(User.id, User.email).where(User.id.in_(owner_ids)))
            .tuples()
            .all()
        )
        names = _customer_names(page)
        for record in page:
            cells = spec.cells(record, names) + [
                owners.get(record.owner_id, ""),
                ", ".join(tag.name for tag in tagged[record.id]),
                record.created_at.strftime("%Y-%m-%d %H:%M"),
            ]
            custom = record.custom or {}
            yield cells + [custom.get(field.key, "") for field in fields]
        done += len(page)
        if progress is not None:
            progress(done)
