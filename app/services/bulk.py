"""Bulk actions on the checked rows of a customer, contact or lead list: assign an owner, add a
tag, delete. Each record is authorised on its own, as if changed one by one, and the result
says how many were changed and how many refused."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.sales import Lead
from app.services import contacts, customers, leads, tags
from app.services.validation import RecordInvalid

MAX_RECORDS = 500


@dataclasses.dataclass(frozen=True)
class _Kind:
    model: type
    table: str
    update: object
    delete: object


_KINDS = {
    "customers": _Kind(Customer, "customers", customers.update_customer, customers.delete_customer),
    "contacts": _Kind(Contact, "contacts", contacts.update_contact, contacts.delete_contact),
    "leads": _Kind(Lead, "leads", leads.update_lead, leads.delete_lead),
}


@dataclasses.dataclass
class Outcome:
    changed: int = 0
    refused: int = 0


def _records(kind: _Kind, ids) -> list:
    wanted = sorted({int(i) for i in ids if str(i).isdigit()})[:MAX_RECORDS]
    if not wanted:
        return []
    query = sa.select(kind.model).where(kind.model.id.in_(wanted)).order_by(kind.model.id)
    return list(db.session.scalars(query))


def _each(entity: str, ids, change) -> Outcome:
    kind = _KINDS[entity]
    records = _records(kind, ids)
    outcome = Outcome(refused=len({str(i) for i in ids}) - len(records))
    for record in records:
        try:
            change(kind, record)
        except (permissions.PermissionDenied, RecordInvalid, tags.TagError):
            outcome.refused += 1
        else:
            outcome.changed += 1
    db.session.flush()
    return outcome


def assign_owner(actor, entity: str, ids, owner_id: int) -> Outcome:
    """Give each record to `owner_id`, where `actor` may edit it and assign that owner."""
    return _each(entity, ids, lambda kind, r: kind.update(r, actor, owner_id=owner_id))


def add_tag(actor, entity: str, ids, name: str) -> Outcome:
    """Put the tag `name` on each record `actor` may edit."""
    tags.normalise(name)
    return _each(entity, ids, lambda kind, r: tags.add_tags(actor, kind.table, r.id, [name]))


def delete(actor, entity: str, ids) -> Outcome:
    """Delete each record `actor` may delete."""
    return _each(entity, ids, lambda kind, r: kind.delete(r, actor))
