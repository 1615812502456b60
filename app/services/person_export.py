"""A person's own data as one JSON document (GDPR art. 15 access and art. 20 portability):
their contact and lead records and every row the registry in app.services.personal_data
links to them, with the history of their records. Secrets (password hashes) never leave;
colleagues' internal notes on their tickets are left out, since they may hold other
people's data (art. 15(4)); the person's own messages are all there.
"""

from __future__ import annotations

import dataclasses
import json

import sqlalchemy as sa
from flask import current_app

from app import audit, permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.records import AuditEntry, Tag, Tagging
from app.models.sales import Lead
from app.services import full_export, person_records
from app.services import personal_data as pd
from app.services.full_export import plain

FORMAT = "rapport-personal-data/1"


@dataclasses.dataclass
class PersonExport:
    """The document, its file name and how many rows of each table it holds."""

    filename: str
    content: bytes
    counts: dict[str, int]


def _record(kind: str, record_id: int):
    return db.session.get(Contact if kind == "contact" else Lead, record_id)


def may_export(actor, kind: str, record) -> bool:
    """Whether `actor` may export this person's data: the personal-data right (administrators
    always have it) and the right to read the record itself."""
    return permissions.can(actor, "read", "personal_data") and permissions.can(
        actor, "read", kind, record
    )


def _rows(table: sa.Table, where) -> list[dict]:
    columns = [c for c in table.columns if not full_export.is_secret(table.name, c.name)]
    keys = list(table.primary_key.columns)
    query = sa.select(*columns).where(where).order_by(*keys)
    return [{k: plain(v) for k, v in row.items()} for row in db.session.execute(query).mappings()]


def _linked(person) -> dict[str, list[dict]]:
    result: dict[str, dict] = {}
    for rule in pd.RULES:
        if not rule.exported or not person_records.has_table(rule.table):
            continue
        table = db.metadata.tables[rule.table]
        where = person_records.link_clause(table, rule.link, person, list(rule.columns))
        if rule.table == "ticket_comments":
            # Their own words, and what colleagues told them; not colleagues' notes.
            where = sa.and_(
                where,
                sa.or_(~table.c.is_internal, table.c.author_contact_id.in_(person.contact_ids)),
            )
        keys = [c.name for c in table.primary_key.columns]
        for row in _rows(table, where):
            result.setdefault(rule.table, {})[tuple(row[k] for k in keys)] = row
    return {table: list(rows.values()) for table, rows in result.items()}


def _history(person) -> list[dict]:
    where = sa.or_(
        sa.and_(AuditEntry.entity_type == "contacts",
                AuditEntry.entity_id.in_([str(i) for i in person.contact_ids])),
        sa.and_(AuditEntry.entity_type == "leads",
                AuditEntry.entity_id.in_([str(i) for i in person.lead_ids])),
    )  # fmt: skip
    return _rows(AuditEntry.__table__, where)


def _tags(person) -> list[dict]:
    query = (
        sa.select(Tagging.entity_type, Tagging.entity_id, Tag.name)
        .join(Tag, Tag.id == Tagging.tag_id)
        .where(
            sa.or_(
                sa.and_(
                    Tagging.entity_type == "contacts", Tagging.entity_id.in_(person.contact_ids)
                ),
                sa.and_(Tagging.entity_type == "leads", Tagging.entity_id.in_(person.lead_ids)),
            )
        )
    )
    return [dict(row) for row in db.session.execute(query).mappings()]


def build(actor, kind: str, record_id: int) -> PersonExport:
    """Everything Rapport holds about the person behind a contact or lead, as JSON; the
    export is audited on their record. LookupError when there is no such record."""
    record = _record(kind, record_id) if kind in person_records.KINDS else None
    if record is None:
        raise LookupError(record_id)
    if not may_export(actor, kind, record):
        raise permissions.PermissionDenied()
    person = person_records.load(kind, record_id)
    records = _linked(person)
    records["audit_entries"] = _history(person)
    records["taggings"] = _tags(person)
    counts = {table: len(rows) for table, rows in sorted(records.items()) if rows}
    document = {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "exported_by": actor.email,
        "installation": current_app.config.get("BASE_URL", ""),
        "subject": {"kind": kind, "id": record_id, "name": person.label,
                    "contact_ids": sorted(person.contact_ids), "lead_ids": sorted(person.lead_ids)},
        "notes": [
            "Each key of 'records' is a table; each row has every column but secrets.",
            "Internal notes colleagues wrote on tickets are not included.",
        ],
        "records": {table: rows for table, rows in sorted(records.items()) if rows},
    }  # fmt: skip
    content = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
    _audit(actor, kind, record, counts)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return PersonExport(f"personal-data-{kind}-{record_id}-{stamp}.json", content, counts)


def _audit(user, kind: str, record, counts: dict[str, int]) -> None:
    """An entry on the record's history: who exported the person's data, and how much."""
    audit.record_action(
        db.session,
        user,
        record.__tablename__,
        record.id,
        str(record),
        {"personal_data_exported": [None, counts]},
    )
