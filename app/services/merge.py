"""Merge duplicate customers (or contacts) into one survivor.

The chosen field values are copied onto the survivor through the customer and contact
services (validation, search text, audit trail), then every row pointing at the merged
records moves to the survivor: contacts (one primary kept), tags (union), and whatever
table has a foreign key to customers.id or contacts.id, found in the model metadata, so
tables added by later modules (opportunities, tickets) move too. The merged records are
then deleted through their services. Everything is flushed, not committed: the caller
commits once, so a refusal or failure leaves nothing behind.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.audit import Actor
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.records import AuditAction, AuditEntry, Tagging
from app.services import contacts, custom_fields, customers
from app.services.validation import RecordInvalid

CUSTOMER_FIELDS = (
    "name", "company", "industry", "size", "status", "source", "rating", "website",
    "email", "phone", "description", "owner_id",
)  # fmt: skip
CONTACT_FIELDS = (
    "first_name", "last_name", "email", "phone", "mobile", "title", "department",
    "customer_id", "owner_id",
)  # fmt: skip
CUSTOM_PREFIX = "custom."
_ADDRESS_COLUMNS = ("line1", "line2", "city", "region", "postal_code", "country")
# Rows that go with the merged record instead of moving: its addresses are copied only
# when chosen (the survivor would otherwise collect every address of every duplicate).
_NOT_MOVED = {"customer_addresses"}


@dataclasses.dataclass
class MergeResult:
    """What a merge did: how many records went into the survivor and what moved, by table."""

    survivor_id: int
    merged: int
    moved: dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        if count:
            self.moved[table] = self.moved.get(table, 0) + count


def _check_rights(actor, entity: str, survivor, others: list) -> None:
    """Refuse before anything changes: edit on the survivor, delete on every other."""
    if not others or any(other.id == survivor.id for other in others):
        raise RecordInvalid({"ids": gettext("Choose at least two different records.")})
    permissions.require(actor, "edit", entity, survivor)
    for other in others:
        permissions.require(actor, "delete", entity, other)


def _chosen(choices: dict, group: dict, fields: tuple, survivor) -> dict:
    """field -> value taken from the record chosen for it (only where it differs)."""
    values = {}
    for field, source_id in (choices or {}).items():
        try:
            source = group[int(source_id)]
        except (KeyError, TypeError, ValueError):
            raise RecordInvalid({field: gettext("Choose one of the merged records.")}) from None
        if source is survivor:
            continue
        if field in fields:
            values[field] = getattr(source, field)
        elif field.startswith(CUSTOM_PREFIX):
            values.setdefault("custom", {})[field.removeprefix(CUSTOM_PREFIX)] = (
                source.custom or {}
            ).get(field.removeprefix(CUSTOM_PREFIX))
        elif field == "addresses" and isinstance(source, Customer):
            values["addresses"] = [
                {key: getattr(a, key) for key in _ADDRESS_COLUMNS} | {"kind": a.kind}
                for a in source.addresses
            ]
        elif field == "credit_rating" and isinstance(source, Customer):
            values["credit_rating"] = source.credit_rating
        else:
            raise RecordInvalid({field: gettext("This field cannot be merged.")})
    return values


def _referencing_columns(table_name: str):
    """Every (table, column) with a foreign key to `table_name`.id, from the metadata."""
    for table in db.metadata.sorted_tables:
        if table.name == table_name or table.name in _NOT_MOVED:
            continue
        for column in table.columns:
            if any(fk.column.table.name == table_name for fk in column.foreign_keys):
                yield table, column


def _mapped_class(table):
    for mapper in db.Model.registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def _move_references(table_name: str, other_ids: list[int], survivor_id: int, result) -> None:
    """Point every row referring to a merged record at the survivor. Mapped rows change
    through the ORM, so audited tables record the move in their history."""
    for table, column in _referencing_columns(table_name):
        if table.name == "contacts" and table_name == "customers":
            continue  # moved by _move_contacts, which keeps one primary
        model = _mapped_class(table)
        if model is None:
            moved = db.session.execute(
                sa.update(table).where(column.in_(other_ids)).values({column.name: survivor_id})
            ).rowcount
        else:
            key = model.__mapper__.get_property_by_column(column).key
            rows = list(db.session.scalars(sa.select(model).where(column.in_(other_ids))))
            for row in rows:
                setattr(row, key, survivor_id)
            moved = len(rows)
        result.add(table.name, moved)
    db.session.flush()


def _move_tags(entity_type: str, other_ids: list[int], survivor_id: int, result) -> None:
    """The union of the tags: each tag once on the survivor, none left on the others."""
    have = set(
        db.session.scalars(
            sa.select(Tagging.tag_id).where(
                Tagging.entity_type == entity_type, Tagging.entity_id == survivor_id
            )
        )
    )
    taggings = db.session.scalars(
        sa.select(Tagging).where(
            Tagging.entity_type == entity_type, Tagging.entity_id.in_(other_ids)
        )
    ).all()
    for tagging in taggings:
        db.session.delete(tagging)
    db.session.flush()
    added = 0
    for tag_id in sorted({tagging.tag_id for tagging in taggings} - have):
        db.session.add(Tagging(tag_id=tag_id, entity_type=entity_type, entity_id=survivor_id))
        added += 1
    db.session.flush()
    result.add("taggings", added)


def _move_contacts(survivor: Customer, other_ids: list[int], result) -> None:
    """Contacts move to the survivor; its primary contact stays primary, else the first
    primary among the others does. Flags are cleared (and flushed) before the move so the
    one-primary index never sees two."""
    moving = db.session.scalars(
        sa.select(Contact).where(Contact.customer_id.in_(other_ids)).order_by(Contact.id)
    ).all()
    has_primary = db.session.scalar(
        sa.select(Contact.id).where(Contact.customer_id == survivor.id, Contact.is_primary)
    )
    keep = None if has_primary else next((c for c in moving if c.is_primary), None)
    for contact in moving:
        if contact is not keep:
            contact.is_primary = False
    db.session.flush()
    for contact in moving:
        contact.customer_id = survivor.id
    db.session.flush()
    result.add("contacts", len(moving))


def _note_merge(table_name: str, survivor, others: list) -> None:
    """An entry in the survivor's history naming the records merged into it."""
    actor = db.session.info.get("actor") or Actor()
    merged = ", ".join(f"{other} (#{other.id})" for other in others)
    db.session.add(
        AuditEntry(
            actor_id=actor.id,
            actor_label=actor.label[:254],
            source=actor.source,
            ip=actor.ip,
            action=AuditAction.UPDATE,
            entity_type=table_name,
            entity_id=str(survivor.id),
            label=str(survivor)[:255],
            changes={"merged_from": [None, merged]},
        )
    )


def merge_customers(survivor: Customer, others: list[Customer], actor, choices: dict):
    """Merge `others` into `survivor`; `choices` maps a field (or "custom.<key>",
    "addresses", "credit_rating") to the id of the customer whose value wins."""
    _check_rights(actor, "customer", survivor, others)
    group = {record.id: record for record in (survivor, *others)}
    values = _chosen(choices, group, CUSTOMER_FIELDS, survivor)
    credit_rating = values.pop("credit_rating", survivor.credit_rating)
    custom = values.pop("custom", None)
    if values:
        customers.update_customer(survivor, actor, **values)
    if custom is not None:
        custom_fields.apply_values(survivor, custom)
    survivor.credit_rating = credit_rating
    result = MergeResult(survivor.id, len(others))
    other_ids = [other.id for other in others]
    _move_contacts(survivor, other_ids, result)
    _move_references("customers", other_ids, survivor.id, result)
    _move_tags("customers", other_ids, survivor.id, result)
    for other in others:
        customers.delete_customer(other, actor)
    _note_merge("customers", survivor, others)
    db.session.flush()
    return result


def merge_contacts(survivor: Contact, others: list[Contact], actor, choices: dict):
    """Merge `others` into `survivor` (activities and tags move); the survivor is the
    primary contact of its customer when any merged record was."""
    _check_rights(actor, "contact", survivor, others)
    group = {record.id: record for record in (survivor, *others)}
    values = _chosen(choices, group, CONTACT_FIELDS, survivor)
    custom = values.pop("custom", None)
    customer_id = values.get("customer_id", survivor.customer_id)
    primary = any(
        record.is_primary and record.customer_id == customer_id for record in group.values()
    )
    for other in others:
        other.is_primary = False
    db.session.flush()
    if primary:
        values["is_primary"] = True
    if values:
        contacts.update_contact(survivor, actor, **values)
    if custom is not None:
        custom_fields.apply_values(survivor, custom)
    result = MergeResult(survivor.id, len(others))
    other_ids = [other.id for other in others]
    _move_references("contacts", other_ids, survivor.id, result)
    _move_tags("contacts", other_ids, survivor.id, result)
    for other in others:
        contacts.delete_contact(other, actor)
    _note_merge("contacts", survivor, others)
    db.session.flush()
    return result
