"""Duplicate customers: the list of likely duplicates, and the side-by-side page where the
user picks the surviving record and, field by field, the value that wins."""

from __future__ import annotations

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
from app.models.customers import Customer
from app.services import custom_fields, customers, duplicates, merge, record_checks
from app.services.customers import CustomerFilters
from app.services.validation import RecordInvalid

MAX_MERGED = 10
PAGE = 50
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
    "owner_id": _l("Owner"),
    "credit_rating": _l("Credit rating"),
    "addresses": _l("Addresses"),
}
_ENUM_LABELS = {"size": SIZE_LABELS, "status": STATUS_LABELS, "rating": RATING_LABELS}
MOVED_LABELS = {
    "contacts": _l("contacts"),
    "activities": _l("activities"),
    "taggings": _l("tags"),
    "credit_rating_changes": _l("credit rating changes"),
}


@bp.get("/customers/duplicates")
def duplicates_list():
    permissions.require(current_user, "edit", "customer")
    limit = min(request.args.get("limit", PAGE, type=int) or PAGE, 500)
    groups = duplicates.find_customer_duplicates(current_user, limit=limit)
    return render_page_or_fragment(
        "customers/duplicates.html",
        "customers/_duplicate_groups.html",
        groups=groups,
        limit=limit,
        has_more=len(groups) >= limit,
        more_limit=min(limit + PAGE, 500),
    )


def _customers_from(raw: str, minimum: int = 2) -> list[Customer]:
    """The customers named by "1,2,3", in that order; each must exist and be editable."""
    ids = list(dict.fromkeys(int(part) for part in raw.split(",") if part.strip().isdigit()))
    if not minimum <= len(ids) <= MAX_MERGED:
        abort(400)
    found = {c.id: c for c in db.session.scalars(sa.select(Customer).where(Customer.id.in_(ids)))}
    if len(found) != len(ids):
        abort(404)
    for customer in found.values():
        permissions.require(current_user, "edit", "customer", customer)
    return [found[customer_id] for customer_id in ids]


def _shown(customer: Customer, field: str, owners: dict) -> str:
    """The value of `field` as the comparison shows it."""
    if field.startswith(merge.CUSTOM_PREFIX):
        value = (customer.custom or {}).get(field.removeprefix(merge.CUSTOM_PREFIX))
        return "" if value is None else str(value)
    if field == "addresses":
        return "; ".join(str(address) for address in customer.addresses)
    if field == "owner_id":
        return owners.get(customer.owner_id, "")
    value = getattr(customer, field)
    if field in _ENUM_LABELS:
        return str(_ENUM_LABELS[field].get(value, "")) if value else ""
    return value or ""


def _comparison(records: list[Customer]) -> list[dict]:
    """One row per field whose values differ: label, values by id, the id checked first
    (the first record's value, or the first non-empty one)."""
    owners = record_checks.owner_names(records)
    definitions = {f.key: f.label for f in custom_fields.fields_for("customer")}
    keys = sorted({key for record in records for key in (record.custom or {})})
    fields = [(name, label) for name, label in FIELD_LABELS.items()] + [
        (merge.CUSTOM_PREFIX + key, definitions.get(key, key)) for key in keys
    ]
    rows = []
    for field, label in fields:
        values = {record.id: _shown(record, field, owners) for record in records}
        if len(set(values.values())) < 2:
            continue
        first = records[0].id
        checked = first if values[first] else next(i for i, v in values.items() if v)
        rows.append({"field": field, "label": label, "values": values, "checked": checked})
    return rows


def _moved_text(result: merge.MergeResult) -> str:
    parts = [
        f"{count} {MOVED_LABELS.get(table, table.replace('_', ' '))}"
        for table, count in sorted(result.moved.items())
    ]
    return ", ".join(parts) if parts else _("nothing else")


def _partners(record: Customer, q: str) -> list[Customer]:
    """Customers found by `q` that `record` could be merged with (for "Merge with…")."""
    if not q.strip():
        return []
    rows, _cursor = customers.customer_page(current_user, CustomerFilters(q=q), limit=20)
    return [
        row
        for row in rows
        if row.id != record.id and permissions.can(current_user, "edit", "customer", row)
    ]


@bp.get("/customers/merge")
def merge_form():
    records = _customers_from(request.args.get("ids", ""), minimum=1)
    ids = ",".join(str(record.id) for record in records)
    if len(records) == 1:
        q = request.args.get("q", "")[:200]
        partners = _partners(records[0], q)
        return render_template(
            "customers/merge.html", records=records, ids=ids, q=q, partners=partners
        )
    return render_template(
        "customers/merge.html", records=records, rows=_comparison(records), ids=ids
    )


@bp.post("/customers/merge")
def merge_post():
    records = _customers_from(request.form.get("ids", ""))
    by_id = {record.id: record for record in records}
    survivor = by_id.get(request.form.get("survivor", type=int)) or abort(400)
    choices = {
        key.removeprefix("choice-"): value
        for key, value in request.form.items()
        if key.startswith("choice-")
    }
    others = [record for record in records if record is not survivor]
    try:
        result = merge.merge_customers(survivor, others, current_user, choices)
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(str(message) for message in invalid.errors.values()), "error")
        return redirect(url_for("customers.merge_form", ids=request.form.get("ids", "")))
    db.session.commit()
    message = ngettext(
        "%(num)d record merged into %(name)s; moved: %(moved)s.",
        "%(num)d records merged into %(name)s; moved: %(moved)s.",
        result.merged,
        name=survivor.name,
        moved=_moved_text(result),
    )
    flash(message, "success")
    return redirect(url_for("customers.show", customer_id=survivor.id))
