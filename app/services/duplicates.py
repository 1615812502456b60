"""Duplicate finder: groups of customers (or contacts) the actor may edit that share an
email address, the last digits of a phone number, or a name written differently.

The grouping happens in SQL (GROUP BY on an expression, bounded by `limit`), so it stays
workable on 100,000 records; Python only joins the candidate groups that share a record
and re-checks emails and names with the importer's duplicate rules
(app.services.import_rows.duplicate_keys).
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.services.import_rows import duplicate_keys

PHONE_TAIL = 8
# What people put between the digits of a phone number; stripped in SQL, where a regular
# expression is not available on every backend.
_PHONE_PUNCTUATION = (" ", "-", "+", "(", ")", ".", "/", "\u3000", "－", "＋")


@dataclasses.dataclass
class DuplicateGroup:
    """Records that look like one: why (email, phone, name) and the records, oldest first."""

    reasons: set[str]
    records: list

    @property
    def ids(self) -> list[int]:
        return [record.id for record in self.records]


def _digits(column):
    for mark in _PHONE_PUNCTUATION:
        column = sa.func.replace(column, mark, "")
    return column


def _phone_tail(column):
    """The last PHONE_TAIL characters of the number without punctuation: +886 2 1234-5678
    and 02-12345678 both give 12345678."""
    digits = _digits(column)
    return sa.func.substr(digits, sa.func.length(digits) - (PHONE_TAIL - 1))


def _name_key(model):
    """The normalised name, read from the start of search_text: normalise() keeps the
    length of a single-spaced name (case and full width change no length), so the prefix
    as long as the name is its normalised form; candidates are re-checked in Python."""
    if model is Customer:
        length = sa.func.length(Customer.name)
    else:
        length = (
            sa.func.length(Contact.first_name)
            + sa.case((Contact.first_name != "", 1), else_=0)
            + sa.func.length(Contact.last_name)
        )
    return sa.func.substr(model.search_text, 1, length)


def _keyed_rows(model, actor):
    """(reason, key expression, row filter) per duplicate rule; phone rules per column."""
    entity = "customer" if model is Customer else "contact"
    editable = permissions.visible(actor, entity, model.owner_id, "edit")
    email = sa.func.lower(sa.func.trim(model.email))
    rules = [("email", email, model.email != ""), ("name", _name_key(model), sa.true())]
    phones = [model.phone] if model is Customer else [Contact.phone, Contact.mobile]
    for column in phones:
        rules.append(("phone", _phone_tail(column), sa.func.length(_digits(column)) >= PHONE_TAIL))
    return editable, rules


def _candidate_pairs(model, actor, limit: int) -> list[tuple[str, int, str]]:
    """(reason, record id, key) for records sharing a key, at most `limit` keys per rule."""
    editable, rules = _keyed_rows(model, actor)
    pairs = []
    by_reason: dict[str, list] = {}
    for reason, key, where in rules:
        by_reason.setdefault(reason, []).append(
            sa.select(model.id.label("id"), key.label("key")).where(editable, where)
        )
    for reason, selects in by_reason.items():
        keyed = sa.union_all(*selects).subquery() if len(selects) > 1 else selects[0].subquery()
        shared = (
            sa.select(keyed.c.key)
            .where(keyed.c.key != "")
            .group_by(keyed.c.key)
            .having(sa.func.count(sa.distinct(keyed.c.id)) > 1)
            .order_by(keyed.c.key)
            .limit(limit)
        )
        rows = db.session.execute(
            sa.select(keyed.c.id, keyed.c.key).where(keyed.c.key.in_(shared.scalar_subquery()))
        )
        pairs.extend((reason, record_id, key) for record_id, key in rows)
    return pairs


def _true_key(reason: str, record) -> str:
    """The email or name key recomputed in Python by the importer's duplicate rules, to
    drop candidates the SQL shortcut let through."""
    if isinstance(record, Customer):
        keys = duplicate_keys("customer", {"name": record.name, "email": record.email})
    else:
        fields = {"first_name": record.first_name, "last_name": record.last_name}
        keys = duplicate_keys("contact", fields | {"email": record.email})
    return dict(keys).get(reason, "")


def _find(model, actor, limit: int) -> list[DuplicateGroup]:
    pairs = _candidate_pairs(model, actor, limit)
    records = {}
    ids = {record_id for _reason, record_id, _key in pairs}
    if ids:
        records = {r.id: r for r in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}
    buckets: dict[tuple[str, str], set[int]] = {}
    for reason, record_id, key in pairs:
        if reason != "phone":
            key = _true_key(reason, records[record_id])
        buckets.setdefault((reason, key), set()).add(record_id)
    # Records sharing any key end in one group (a small union-find over the candidates).
    parent = {record_id: record_id for record_id in ids}

    def root(record_id):
        while parent[record_id] != record_id:
            parent[record_id] = parent[parent[record_id]]
            record_id = parent[record_id]
        return record_id

    reasons: dict[int, set[str]] = {}
    for (reason, _key), members in buckets.items():
        if len(members) < 2:
            continue
        first, *rest = sorted(members)
        for other in rest:
            parent[root(other)] = root(first)
        for member in members:
            reasons.setdefault(member, set()).add(reason)
    groups: dict[int, DuplicateGroup] = {}
    for record_id in sorted(reasons):
        group = groups.setdefault(root(record_id), DuplicateGroup(set(), []))
        group.records.append(records[record_id])
        group.reasons |= reasons[record_id]
    return list(groups.values())[:limit]


def find_customer_duplicates(actor, limit: int = 50) -> list[DuplicateGroup]:
    """Groups of customers `actor` may edit sharing an email, phone tail or name."""
    return _find(Customer, actor, limit)


def find_contact_duplicates(actor, limit: int = 50) -> list[DuplicateGroup]:
    """Groups of contacts `actor` may edit sharing an email, phone/mobile tail or name."""
    return _find(Contact, actor, limit)
