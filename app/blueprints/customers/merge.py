"""Duplicate customers and contacts: the list of likely duplicates, and the side-by-side
page where the user picks the surviving record and, field by field, the value that wins.

Both record types share the views and templates; a RecordKind says what differs (model,
fields, labels, endpoints, the finder and the merge service)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from app import permissions
from app.blueprints.customers import bp
from app.blueprints.customers.forms import RATING_LABELS, SIZE_LABELS, STATUS_LABELS
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Contact, Customer
from app.services import contacts, custom_fields, customers, duplicates, merge, record_checks
from app.services.contacts import ContactFilters
from app.services.customers import CustomerFilters
from app.services.validation import RecordInvalid

MAX_MERGED = 10
PAGE = 50
_ENUM_LABELS = {"size": SIZE_LABELS, "status": STATUS_LABELS, "rating": RATING_LABELS}
# One function per table a merge moves rows of, so each count reads as "1 activity".
MOVED_LABELS = {
    "contacts": lambda n: ngettext("%(num)d contact", "%(num)d contacts", n),
    "activities": lambda n: ngettext("%(num)d activity", "%(num)d activities", n),
    "taggings": lambda n: ngettext("%(num)d tag", "%(num)d tags", n),
    "credit_rating_changes": lambda n: ngettext(
        "%(num)d credit rating change", "%(num)d credit rating changes", n
    ),
}


@dataclasses.dataclass(frozen=True)
class RecordKind:
    """What the duplicate and merge pages need to know about one record type."""

    entity: str  # the permission entity, also used in element ids
    model: type
    field_labels: dict
    find: Callable
    merge: Callable
    search: Callable  # (actor, q) -> records found by a search, for "Merge with…"
    title: Callable  # record -> its name as shown
    show_url: Callable
    columns: tuple  # (label, attribute) shown after the name in a duplicate group
    endpoints: dict  # index, duplicates, merge_form, merge_post
    labels: dict  # the page texts, each translatable (counted ones are functions of n)


CUSTOMERS = RecordKind(
    entity="customer",
    model=Customer,
    field_labels={
        **customers.FIELD_LABELS,
        "owner_id": _l("Owner"),
        "credit_rating": _l("Credit rating"),
        "addresses": _l("Addresses"),
    },
    find=duplicates.find_customer_duplicates,
    merge=merge.merge_customers,
    search=lambda actor, q: customers.customer_page(actor, CustomerFilters(q=q), limit=20)[0],
    title=lambda record: record.name,
    show_url=lambda record: url_for("customers.show", customer_id=record.id),
    columns=((_l("Company"), "company"), (_l("Email"), "email"), (_l("Phone"), "phone")),
    endpoints={
        "index": "customers.index",
        "duplicates": "customers.duplicates_list",
        "merge_form": "customers.merge_form",
        "merge_post": "customers.merge_post",
    },
    labels={
        "duplicates": _l("Duplicate customers"),
        "all": _l("All customers"),
        "intro": _l(
            "Customers you may edit that share an email address, a phone number (its last "
            "eight digits) or a name written differently."
        ),
        "empty": _l(
            "No duplicates found. Customers sharing an email, phone number or name will "
            "show up here."
        ),
        "merge": _l("Merge customers"),
        "merge_count": lambda n: ngettext("Merge %(num)d customer", "Merge %(num)d customers", n),
        "find_other": _l("Find the other customer"),
        "placeholder": _l("Name, company, email or phone"),
        "no_partner": _l("No other customer you may edit matches this search."),
        "explain": _l(
            "The surviving record keeps the values you pick below and receives the "
            "contacts, activities, tags and history of the others, which are then deleted. "
            "This cannot be undone."
        ),
    },
)
CONTACTS = RecordKind(
    entity="contact",
    model=Contact,
    field_labels={
        **contacts.FIELD_LABELS,
        "customer_id": _l("Customer"),
        "owner_id": _l("Owner"),
    },
    find=duplicates.find_contact_duplicates,
    merge=merge.merge_contacts,
    search=lambda actor, q: contacts.contact_page(actor, ContactFilters(q=q), limit=20)[0],
    title=lambda record: record.full_name,
    show_url=lambda record: url_for("customers.contact_show", contact_id=record.id),
    columns=((_l("Email"), "email"), (_l("Phone"), "phone"), (_l("Mobile"), "mobile")),
    endpoints={
        "index": "customers.contacts_index",
        "duplicates": "customers.contact_duplicates",
        "merge_form": "customers.contact_merge_form",
        "merge_post": "customers.contact_merge_post",
    },
    labels={
        "duplicates": _l("Duplicate contacts"),
        "all": _l("All contacts"),
        "intro": _l(
            "Contacts you may edit that share an email address, a phone or mobile number "
            "(its last eight digits) or a name written differently."
        ),
        "empty": _l(
            "No duplicates found. Contacts sharing an email, phone number or name will "
            "show up here."
        ),
        "merge": _l("Merge contacts"),
        "merge_count": lambda n: ngettext("Merge %(num)d contact", "Merge %(num)d contacts", n),
        "find_other": _l("Find the other contact"),
        "placeholder": _l("Name, email or phone"),
        "no_partner": _l("No other contact you may edit matches this search."),
        "explain": _l(
            "The surviving record keeps the values you pick below and receives the "
            "activities, tags and history of the others, which are then deleted. This "
            "cannot be undone."
        ),
    },
)


def _duplicates_page(kind: RecordKind):
    permissions.require(current_user, "edit", kind.entity)
    limit = min(request.args.get("limit", PAGE, type=int) or PAGE, 500)
    groups = kind.find(current_user, limit=limit)
    return render_page_or_fragment(
        "customers/duplicates.html",
        "customers/_duplicate_groups.html",
        kind=kind,
        groups=groups,
        limit=limit,
        has_more=len(groups) >= limit,
        more_limit=min(limit + PAGE, 500),
    )


def _records_from(kind: RecordKind, raw: str, minimum: int = 2) -> list:
    """The records named by "1,2,3", in that order; each must exist and be editable."""
    ids = list(dict.fromkeys(int(part) for part in raw.split(",") if part.strip().isdigit()))
    if not minimum <= len(ids) <= MAX_MERGED:
        abort(400)
    model = kind.model
    found = {r.id: r for r in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}
    if len(found) != len(ids):
        abort(404)
    for record in found.values():
        permissions.require(current_user, "edit", kind.entity, record)
    return [found[record_id] for record_id in ids]


def _shown(record, field: str, names: dict) -> str:
    """The value of `field` as the comparison shows it; `names` maps the id fields
    (owner_id, customer_id) to the names shown for their ids."""
    if field.startswith(merge.CUSTOM_PREFIX):
        value = (record.custom or {}).get(field.removeprefix(merge.CUSTOM_PREFIX))
        return "" if value is None else str(value)
    if field == "addresses":
        return "; ".join(str(address) for address in record.addresses)
    if field in names:
        return names[field].get(getattr(record, field), "")
    value = getattr(record, field)
    if field in _ENUM_LABELS:
        return str(_ENUM_LABELS[field].get(value, "")) if value else ""
    return value or ""


def _comparison(kind: RecordKind, records: list) -> list[dict]:
    """One row per field whose values differ: label, values by id, the id checked first
    (the first record's value, or the first non-empty one)."""
    names = {"owner_id": record_checks.owner_names(records)}
    if kind.model is Contact:
        names["customer_id"] = contacts.customer_names(records)
    definitions = {f.key: f.label for f in custom_fields.fields_for(kind.entity)}
    keys = sorted({key for record in records for key in (record.custom or {})})
    fields = list(kind.field_labels.items()) + [
        (merge.CUSTOM_PREFIX + key, definitions.get(key, key)) for key in keys
    ]
    rows = []
    for field, label in fields:
        values = {record.id: _shown(record, field, names) for record in records}
        if len(set(values.values())) < 2:
            continue
        first = records[0].id
        checked = first if values[first] else next(i for i, v in values.items() if v)
        rows.append({"field": field, "label": label, "values": values, "checked": checked})
    return rows


def _moved_text(result: merge.MergeResult) -> str:
    parts = []
    for table, count in sorted(result.moved.items()):
        label = MOVED_LABELS.get(table)
        if label is None:  # a table added by a later module, named as it is
            parts.append(
                ngettext(
                    "%(num)d row of %(table)s", "%(num)d rows of %(table)s", count, table=table
                )
            )
        else:
            parts.append(label(count))
    return ", ".join(parts) if parts else _("nothing else")


def _merge_form(kind: RecordKind):
    records = _records_from(kind, request.args.get("ids", ""), minimum=1)
    ids = ",".join(str(record.id) for record in records)
    context = {"kind": kind, "records": records, "ids": ids}
    if len(records) == 1:
        q = request.args.get("q", "")[:200]
        found = kind.search(current_user, q) if q.strip() else []
        context["partners"] = [
            row
            for row in found
            if row.id != records[0].id and permissions.can(current_user, "edit", kind.entity, row)
        ]
        return render_template("customers/merge.html", q=q, **context)
    return render_template("customers/merge.html", rows=_comparison(kind, records), **context)


def _merge_post(kind: RecordKind):
    records = _records_from(kind, request.form.get("ids", ""))
    by_id = {record.id: record for record in records}
    survivor = by_id.get(request.form.get("survivor", type=int)) or abort(400)
    choices = {
        key.removeprefix("choice-"): value
        for key, value in request.form.items()
        if key.startswith("choice-")
    }
    others = [record for record in records if record is not survivor]
    try:
        result = kind.merge(survivor, others, current_user, choices)
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(str(message) for message in invalid.errors.values()), "error")
        return redirect(url_for(kind.endpoints["merge_form"], ids=request.form.get("ids", "")))
    db.session.commit()
    message = ngettext(
        "%(num)d record merged into %(name)s; moved: %(moved)s.",
        "%(num)d records merged into %(name)s; moved: %(moved)s.",
        result.merged,
        name=kind.title(survivor),
        moved=_moved_text(result),
    )
    flash(message, "success")
    return redirect(kind.show_url(survivor))


@bp.get("/customers/duplicates")
def duplicates_list():
    return _duplicates_page(CUSTOMERS)


@bp.get("/customers/merge")
def merge_form():
    return _merge_form(CUSTOMERS)


@bp.post("/customers/merge")
def merge_post():
    return _merge_post(CUSTOMERS)


@bp.get("/contacts/duplicates")
def contact_duplicates():
    return _duplicates_page(CONTACTS)


@bp.get("/contacts/merge")
def contact_merge_form():
    return _merge_form(CONTACTS)


@bp.post("/contacts/merge")
def contact_merge_post():
    return _merge_post(CONTACTS)
