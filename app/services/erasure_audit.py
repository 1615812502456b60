"""The audit trail's part of an erasure: entries that still hold the erased person's old
values are rewritten, or the erasure would be a lie.

Two kinds of entries are scrubbed: those about a row the erasure changed (a value of a
column the registry removes becomes "[erased]", any other text has the person's names,
addresses and numbers redacted), and any other entry whose label, author or changes
mention the person's full name, email address or phone number (a colleague copying the
address to the company's record, the person acting on the portal: their IP goes too).
The entry itself stays, so the trail still says who changed what, and when.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.records import AuditEntry
from app.services import person_records
from app.services import personal_data as pd
from app.services.person_records import ERASED, Person, Redactor

_CHUNK = 500
SCAN_CHUNK = 100_000
_OWN_RECORDS = ("contacts", "leads")


def _audited_tables() -> set[str]:
    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if getattr(mapper.class_, "__audited__", False)
    }


def _entity_id(key: tuple) -> str:
    return str(key[0]) if len(key) == 1 else ":".join(str(part) for part in key)


def _about_rows(touched: dict) -> list[sa.ColumnElement]:
    """Entries about the rows the erasure changed (found by the entity index)."""
    clauses = []
    audited = _audited_tables()
    for table, keys in touched.items():
        if table not in audited:
            continue
        ids = sorted(_entity_id(key) for key in keys)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            clauses.append(
                sa.and_(AuditEntry.entity_type == table, AuditEntry.entity_id.in_(chunk))
            )
    return clauses


def _entries(person: Person, touched: dict, progress):
    """The candidate entries: those about the changed rows, then every entry that mentions
    the person, read SCAN_CHUNK ids at a time (the trail may hold millions of entries)."""
    columns = (
        AuditEntry.id, AuditEntry.entity_type, AuditEntry.entity_id, AuditEntry.label,
        AuditEntry.actor_label, AuditEntry.ip, AuditEntry.changes,
    )  # fmt: skip
    seen = set()
    for clause in _about_rows(touched):
        for row in db.session.execute(sa.select(*columns).where(clause)).mappings().all():
            seen.add(row["id"])
            yield row
    audit = db.metadata.tables["audit_entries"]
    mentions = person_records.link_clause(
        audit, "mentions", person, ["label", "actor_label", "changes"]
    )
    last = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    for start in range(1, last + 1, SCAN_CHUNK):
        window = AuditEntry.id.between(start, start + SCAN_CHUNK - 1)
        for row in db.session.execute(sa.select(*columns).where(window, mentions)).mappings():
            if row["id"] not in seen:
                yield row
        if progress is not None:
            progress(min(start + SCAN_CHUNK - 1, last), last)


def _scrub_changes(changes: dict, treatments: dict | None, redactor: Redactor) -> dict:
    result = {}
    for key, pair in (changes or {}).items():
        column = key.split(".", 1)[0]
        treatment = (treatments or {}).get(column)
        if treatment in pd.REMOVING and isinstance(pair, list):
            result[key] = [ERASED if value not in (None, "", {}, []) else value for value in pair]
        else:
            result[key] = redactor.json(pair)
    return result


def scrub(person: Person, touched: dict[str, dict[tuple, dict[str, str]]], progress=None) -> int:
    """Rewrite the entries that mention the person; returns how many changed.
    `progress(done_id, last_id)` is called as the scan goes."""
    own = Redactor(person.identifiers(with_parts=True))
    anyone = Redactor(person.identifiers(with_parts=False))
    by_entity = {
        (table, _entity_id(key)): treatments
        for table, rows in touched.items()
        for key, treatments in rows.items()
    }
    changed = 0
    for row in list(_entries(person, touched, progress)):
        treatments = by_entity.get((row["entity_type"], row["entity_id"]))
        redactor = own if treatments is not None else anyone
        values = {"changes": _scrub_changes(row["changes"], treatments, redactor)}
        if treatments is not None and row["entity_type"] in _OWN_RECORDS:
            values["label"] = f"Erased person #{row['entity_id']}"
        else:
            values["label"] = redactor.text(row["label"])
        if anyone.text(row["entity_id"]) != row["entity_id"]:
            # A row keyed by the address or number itself (an SMS preference).
            values["entity_id"] = "erased"
        actor_label = anyone.text(row["actor_label"])
        if actor_label != row["actor_label"]:
            # The person acting themselves (the portal, a quote decision): where from, too.
            values |= {"actor_label": actor_label, "ip": None}
        values = {key: value for key, value in values.items() if value != row[key]}
        if values:
            db.session.execute(
                sa.update(AuditEntry).where(AuditEntry.id == row["id"]).values(values)
            )
            changed += 1
    return changed
