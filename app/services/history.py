"""Reading the audit trail: one record's history, and the filtered global log.

Both page newest first with a keyset on the entry id (fetch one more row than shown to
know whether there is more), never OFFSET or a COUNT over the whole table.

Record pages find their model and permission entity through `register_record_type`, so a
module that adds a record type registers it here once and gets a history panel for free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app import permissions, timezones
from app.extensions import db
from app.models.identity import Team, User
from app.models.records import AuditAction, AuditEntry

PAGE_SIZE = 20
MAX_PAGE_SIZE = 500


@dataclasses.dataclass(frozen=True)
class RecordType:
    """A table whose records have a history panel, and the permission entity guarding it."""

    table_name: str
    model: type
    permission_entity: str


_RECORD_TYPES: dict[str, RecordType] = {}


def register_record_type(table_name: str, model: type, permission_entity: str) -> RecordType:
    """Let record pages of `model` (audited as `table_name`) show their history."""
    if permission_entity not in permissions.ENTITIES:
        raise ValueError(f"unknown permission entity {permission_entity!r}")
    record_type = RecordType(table_name, model, permission_entity)
    _RECORD_TYPES[table_name] = record_type
    return record_type


def record_type(table_name: str) -> RecordType | None:
    return _RECORD_TYPES.get(table_name)


def find_record(table_name: str, entity_id: str):
    """The live record behind (table_name, entity_id), or None if unknown or gone."""
    kind = record_type(table_name)
    if kind is None or not entity_id.isdigit():
        return None
    return db.session.get(kind.model, int(entity_id))


register_record_type("users", User, "user")
register_record_type("teams", Team, "team")


@dataclasses.dataclass(frozen=True)
class Page:
    """Entries newest first; `next_before_id` continues after the last one, if there is more."""

    entries: list[AuditEntry]
    next_before_id: int | None

    @property
    def has_more(self) -> bool:
        return self.next_before_id is not None


def _page(query, before_id: int | None, limit: int) -> Page:
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = db.session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).scalars()
    entries = list(rows)
    more = len(entries) > limit
    entries = entries[:limit]
    return Page(entries, entries[-1].id if more else None)


def record_history(
    entity_type: str, entity_id, *, before_id: int | None = None, limit: int = PAGE_SIZE
) -> Page:
    """One record's entries, newest first; the caller has checked the user may read it."""
    query = sa.select(AuditEntry).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id)
    )
    return _page(query, before_id, limit)


@dataclasses.dataclass(frozen=True)
class Filters:
    """What the global audit log is narrowed to; every field optional."""

    entity_type: str | None = None
    action: AuditAction | None = None
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    entity_id: str | None = None
    text: str | None = None
    # The dates are days in this zone (the reader's), not UTC days.
    time_zone: str = "UTC"

    def as_dict(self) -> dict:
        """Plain values, for a job's arguments or a URL's query string."""
        return {
            "entity_type": self.entity_type,
            "action": self.action.value if self.action else None,
            "actor_id": self.actor_id,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "entity_id": self.entity_id,
            "text": self.text,
            "time_zone": self.time_zone,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Filters:
        def day(value):
            return date.fromisoformat(value) if value else None

        return cls(
            entity_type=data.get("entity_type") or None,
            action=AuditAction(data["action"]) if data.get("action") else None,
            actor_id=int(data["actor_id"]) if data.get("actor_id") else None,
            date_from=day(data.get("date_from")),
            date_to=day(data.get("date_to")),
            entity_id=data.get("entity_id") or None,
            text=data.get("text") or None,
            time_zone=data.get("time_zone") or "UTC",
        )


def _start_of(day: date, zone_name: str) -> datetime:
    """The UTC moment `day` begins in the zone called `zone_name`."""
    zone = ZoneInfo(zone_name) if timezones.is_known(zone_name) else UTC
    return timezones.from_wall_clock(datetime.combine(day, time.min), zone)


def filtered(actor, filters: Filters):
    """The entries `actor` may read that match `filters`, as an unordered SELECT."""
    permissions.require(actor, "read", "audit")
    query = sa.select(AuditEntry).where(permissions.visible(actor, "audit", AuditEntry.actor_id))
    if filters.entity_type:
        query = query.where(AuditEntry.entity_type == filters.entity_type)
    if filters.entity_id:
        query = query.where(AuditEntry.entity_id == filters.entity_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor_id is not None:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.date_from:
        query = query.where(AuditEntry.at >= _start_of(filters.date_from, filters.time_zone))
    if filters.date_to:
        # The whole "to" day counts: up to the start of the next one.
        query = query.where(
            AuditEntry.at < _start_of(filters.date_to + timedelta(days=1), filters.time_zone)
        )
    if filters.text:
        query = query.where(AuditEntry.label.icontains(filters.text, autoescape=True))
    return query


def search(actor, filters: Filters, before_id: int | None = None, limit: int = 50) -> Page:
    """The global audit log for `actor` (admins all, managers their team), newest first."""
    return _page(filtered(actor, filters), before_id, limit)


def count(actor, filters: Filters) -> int:
    """How many entries match; exact, so for jobs only, never for a page header."""
    query = filtered(actor, filters).with_only_columns(sa.func.count()).order_by(None)
    return db.session.execute(query).scalar_one()


def walk(actor, filters: Filters, batch_size: int = 500) -> Iterator[list[AuditEntry]]:
    """Every matching entry, newest first, a batch at a time (keyset, so no OFFSET)."""
    before_id = None
    while True:
        page = search(actor, filters, before_id, batch_size)
        if page.entries:
            yield page.entries
        if not page.has_more:
            return
        before_id = page.next_before_id


def audited_entity_types() -> list[str]:
    """The table names the audit trail can mention, for the record type filter."""
    names = {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if getattr(mapper.class_, "__audited__", False)
    }
    return sorted(names)
