"""Customers (accounts): create, change and delete them with their addresses, custom fields
and owner, change their credit rating, and list them (permission-filtered, searched,
filtered, sorted on an allowlisted column, keyset-paged).

Field checks come from app.services.record_checks, shared with contacts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import (
    AddressKind,
    Contact,
    CreditRatingChange,
    Customer,
    CustomerAddress,
    CustomerSize,
    CustomerStatus,
    Rating,
)
from app.models.records import Tagging
from app.services import custom_fields, history, record_inserts, search, tags
from app.services.record_checks import (
    check_custom,
    check_email,
    check_enum,
    check_owner,
    check_text,
    check_website,
)
from app.services.record_lists import (
    KeysetSort,
    enum_member,
    filter_where,
    keyset_page,
    list_filters,
    query_args,
)
from app.services.validation import RecordInvalid

# A customer's own profile fields and their labels, shared by forms' neighbours: the import
# mapping, the merge page and anything else that lists them.
FIELD_LABELS = {
    "name": _l("Name"),
    "company": _l("Company"),
    "industry": _l("Industry"),
    "size": _l("Size"),
    "status": _l("Status"),
    "source": _l("Source"),
    "rating": _l("Rating"),
    "website": _l("Website"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "description": _l("Description"),
}

tags.register_taggable("customers", Customer, "customer")
history.register_record_type("customers", Customer, "customer")

_ADDRESS_LIMITS = {
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 2,
}
TEXT_LIMITS = {"name": 200, "company": 200, "industry": 80, "source": 80, "phone": 50}
CREDIT_RATING_LENGTH = 10
DESCRIPTION_LENGTH = 10_000


def _check_addresses(raw, errors: dict) -> list[CustomerAddress]:
    addresses = []
    for n, given in enumerate(raw or []):
        values = {key: " ".join(str(given.get(key) or "").split()) for key in _ADDRESS_LIMITS}
        if not any(values.values()):
            continue  # an empty address block in a form is no address
        kind = check_enum(AddressKind, given, "kind", errors)
        if "kind" in errors:
            errors[f"addresses.{n}.kind"] = errors.pop("kind")
        for key, limit in _ADDRESS_LIMITS.items():
            if len(values[key]) > limit:
                errors[f"addresses.{n}.{key}"] = gettext(
                    "Use at most %(max)d characters.", max=limit
                )
        values["country"] = values["country"].upper()
        addresses.append(CustomerAddress(kind=kind or AddressKind.OTHER, **values))
    return addresses


def _replace_addresses(customer: Customer, addresses: list[CustomerAddress]) -> None:
    """Make the customer's addresses `addresses`, reusing the existing rows in order so an
    unchanged address leaves no trace in the history."""
    kept = list(customer.addresses[: len(addresses)])
    for row, new in zip(kept, addresses, strict=False):
        for key in ("kind", *_ADDRESS_LIMITS):
            if getattr(row, key) != getattr(new, key):
                setattr(row, key, getattr(new, key))
    customer.addresses = kept + addresses[len(kept) :]


def _apply(
    customer: Customer, actor, fields: dict, partial: bool, definitions: list | None = None
) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `customer` untouched)."""
    errors: dict[str, str] = {}
    values = {}
    for name, limit in TEXT_LIMITS.items():
        if not partial or name in fields:
            required = gettext("Enter the customer's name.") if name == "name" else None
            values[name] = check_text(fields, name, limit, errors, required)
    if not partial or "email" in fields:
        values["email"] = check_email(fields, "email", errors)
    if not partial or "website" in fields:
        values["website"] = check_website(fields, errors)
    if not partial or "description" in fields:
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    for name, enum_cls in (("status", CustomerStatus), ("size", CustomerSize), ("rating", Rating)):
        if not partial or name in fields:
            values[name] = check_enum(enum_cls, fields, name, errors)
    if values.get("status") is None and "status" in values:
        values["status"] = CustomerStatus.PROSPECT if not partial else customer.status
    values["owner_id"] = check_owner(actor, "customer", fields, errors, customer.owner_id)
    custom = check_custom("customer", fields, errors, partial, definitions)
    addresses = _check_addresses(fields.get("addresses"), errors)
    unknown = set(fields) - set(TEXT_LIMITS) - {
        "email", "website", "description", "status", "size", "rating", "owner_id", "custom",
        "addresses",
    }  # fmt: skip
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        setattr(customer, name, value)
    if custom is not None:
        custom_fields.apply_values(customer, custom)
    if not partial or "addresses" in fields:
        _replace_addresses(customer, addresses)
    customer.updated_by_id = actor.id
    customer.search_text = search.normalise(
        customer.name, customer.company, customer.email, customer.phone
    )


def create_customer(actor, **fields) -> Customer:
    """Create a customer owned by `actor` (or a user they may assign); RecordInvalid lists
    every bad field."""
    customer = new_customer(actor, fields)
    db.session.add(customer)
    db.session.flush()
    return customer


def new_customer(actor, fields: dict, definitions: list | None = None) -> Customer:
    """A checked customer, not yet in the session: `create_customer` adds it, an import
    gathers many for `insert_customers`. `definitions`: the active custom fields, if read."""
    permissions.require(actor, "create", "customer")
    customer = Customer(created_by_id=actor.id, custom={})
    _apply(customer, actor, fields, partial=False, definitions=definitions)
    return customer


def insert_customers(new: list[Customer]) -> None:
    """Write customers from `new_customer`, with their addresses, in a few statements."""
    record_inserts.insert(Customer, new)
    addresses = []
    for customer in new:
        for address in customer.addresses:
            address.customer_id = customer.id
            addresses.append(address)
    record_inserts.insert(CustomerAddress, addresses)


def update_customer(customer: Customer, actor, **fields) -> Customer:
    """Change the given fields of `customer` (the others stay as they are)."""
    permissions.require(actor, "edit", "customer", customer)
    _apply(customer, actor, fields, partial=True)
    db.session.flush()
    return customer


# Checks that may refuse deleting a customer (orders are kept as the record of a sale):
# each returns a message saying why, or None. Modules whose records must outlive a
# customer's deletion register one.
_REFERENCE_CHECKS: list[Callable[[Customer], str | None]] = []


def register_reference_check(check: Callable[[Customer], str | None]) -> None:
    """Refuse `delete_customer` while `check(customer)` returns a message."""
    _REFERENCE_CHECKS.append(check)


def delete_customer(customer: Customer, actor) -> None:
    """Delete a customer: its contacts stay, unlinked; its tags and activities go with it.
    Refused (RecordInvalid) while a registered check objects, e.g. it has orders."""
    permissions.require(actor, "delete", "customer", customer)
    for check in _REFERENCE_CHECKS:
        message = check(customer)
        if message:
            raise RecordInvalid({"customer": message})
    contacts = db.session.scalars(sa.select(Contact).where(Contact.customer_id == customer.id))
    for contact in contacts:
        contact.customer_id = None
        contact.is_primary = False
    taggings = db.session.scalars(
        sa.select(Tagging).where(
            Tagging.entity_type == "customers", Tagging.entity_id == customer.id
        )
    )
    for tagging in taggings:
        db.session.delete(tagging)
    db.session.flush()
    db.session.delete(customer)
    db.session.flush()


def set_credit_rating(customer: Customer, actor, rating: str | None, note: str = "") -> Customer:
    """Change the credit rating (e.g. "AA", "B+") and keep the change in its history."""
    permissions.require(actor, "edit", "customer", customer)
    rating = " ".join((rating or "").split()).upper() or None
    note = " ".join((note or "").split())
    errors = {}
    if rating and len(rating) > CREDIT_RATING_LENGTH:
        errors["rating"] = gettext("Use at most %(max)d characters.", max=CREDIT_RATING_LENGTH)
    if len(note) > 500:
        errors["note"] = gettext("Use at most %(max)d characters.", max=500)
    if errors:
        raise RecordInvalid(errors)
    if rating == customer.credit_rating:
        return customer
    db.session.add(
        CreditRatingChange(
            customer_id=customer.id,
            previous=customer.credit_rating,
            rating=rating,
            note=note,
            changed_by_id=actor.id,
        )
    )
    customer.credit_rating = rating
    customer.updated_by_id = actor.id
    db.session.flush()
    return customer


def credit_history(customer: Customer, limit: int = 20) -> list[CreditRatingChange]:
    """The latest credit rating changes, newest first."""
    query = (
        sa.select(CreditRatingChange)
        .where(CreditRatingChange.customer_id == customer.id)
        .order_by(CreditRatingChange.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


_RATING_RANK = {Rating.HOT.value: 1, Rating.WARM.value: 2, Rating.COLD.value: 3}
# Hot first, then warm, cold, and customers without a rating last.
_RATING_ORDER = sa.case(
    _RATING_RANK,
    value=sa.type_coerce(Customer.rating, sa.String()),
    else_=4,
)
SORTS = {
    "name": KeysetSort(Customer.name, lambda c: c.name),
    "company": KeysetSort(Customer.company, lambda c: c.company),
    "status": KeysetSort(sa.type_coerce(Customer.status, sa.String()), lambda c: c.status.value),
    "rating": KeysetSort(
        _RATING_ORDER,
        lambda c: _RATING_RANK.get(getattr(c.rating, "value", None), 4),
    ),
    "industry": KeysetSort(Customer.industry, lambda c: c.industry),
    "created_at": KeysetSort(Customer.created_at, lambda c: c.created_at, is_time=True),
    "updated_at": KeysetSort(Customer.updated_at, lambda c: c.updated_at, is_time=True),
}


@dataclasses.dataclass
class CustomerFilters:
    """What a customer list shows: search, filters and an allowlisted sort."""

    q: str = ""
    status: CustomerStatus | None = None
    rating: Rating | None = None
    industry: str = ""
    size: CustomerSize | None = None
    owner_id: int | None = None
    tag: str = ""
    custom: dict = dataclasses.field(default_factory=dict)
    sort: str = "name"
    direction: str = "asc"

    @classmethod
    def from_args(cls, args) -> CustomerFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        common = list_filters(args, SORTS, "name")
        return cls(
            status=enum_member(CustomerStatus, args.get("status")),
            rating=enum_member(Rating, args.get("rating")),
            size=enum_member(CustomerSize, args.get("size")),
            industry=" ".join((args.get("industry") or "").split())[:80],
            **common,
        )

    def as_args(self) -> dict:
        """The query string for these filters (only what is set)."""
        own = {
            "status": self.status.value if self.status else "",
            "rating": self.rating.value if self.rating else "",
            "size": self.size.value if self.size else "",
            "industry": self.industry,
        }
        sort = {
            "sort": self.sort if self.sort != "name" else "",
            "direction": self.direction if self.direction != "asc" else "",
        }
        return query_args(self, own, sort)


def customers_query(actor, filters: CustomerFilters) -> sa.Select:
    """The customers `actor` may see that match `filters`, sorted by the sort column then id."""
    query = sa.select(Customer).where(permissions.visible(actor, "customer", Customer.owner_id))
    for column, value in (
        (Customer.status, filters.status),
        (Customer.rating, filters.rating),
        (Customer.size, filters.size),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.industry:
        query = query.where(sa.func.lower(Customer.industry) == filters.industry.lower())
    query = query.where(*filter_where(Customer, "customer", "customers", filters))
    return SORTS[filters.sort].order(query, Customer.id, filters.direction)


def customer_page(actor, filters: CustomerFilters, cursor: str | None = None, limit: int = 50):
    """One page of customers after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        customers_query(actor, filters),
        SORTS[filters.sort],
        Customer.id,
        filters.direction,
        cursor,
        limit,
    )
