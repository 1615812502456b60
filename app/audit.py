"""The audit trail: one SQLAlchemy session hook records every change to audited models.

Models opt in with `__audited__ = True`; `__audit_secret__` names fields whose values are
never written (only that they changed), `__audit_ignore__` fields not worth a row. Who acted
is read from `session.info["actor"]`, set once per request, job or CLI command.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.records import AuditAction, AuditEntry, Tagging

SECRET = "••••••"


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit trail records it."""

    id: int | None = None
    label: str = "system"
    source: str = "system"
    ip: str | None = None


def set_actor(session, user=None, *, source: str, ip: str | None = None) -> None:
    """Make `user` (or the system, when None) the author of what `session` writes next."""
    actor = Actor(
        id=getattr(user, "id", None),
        label=getattr(user, "email", None) or "system",
        source=source,
        ip=ip,
    )
    session.info["actor"] = actor


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _entity_id(obj) -> str:
    identity = inspect(obj).identity or ()
    return ":".join(str(part) for part in identity) if identity else str(getattr(obj, "id", ""))


def _column_changes(obj, action: AuditAction) -> dict:
    cls = type(obj)
    secret = getattr(cls, "__audit_secret__", frozenset())
    ignore = getattr(cls, "__audit_ignore__", frozenset()) | {"updated_at", "created_at"}
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ignore:
            continue
        history = state.attrs[key].history
        if action is AuditAction.UPDATE and not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = (
            history.added[0]
            if history.added
            else history.unchanged[0]
            if history.unchanged
            else None
        )
        if action is AuditAction.CREATE:
            before = None
        elif action is AuditAction.DELETE:
            before, after = (history.unchanged or history.deleted or [None])[0], None
        if key in secret:
            changes[key] = [SECRET if before else None, SECRET if after else None]
            continue
        if key == "custom":
            changes.update(_custom_changes(before or {}, after or {}))
            continue
        before, after = _plain(before), _plain(after)
        if before != after:
            changes[key] = [before, after]
    return changes


def _custom_changes(before: dict, after: dict) -> dict:
    return {
        f"custom.{key}": [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _entry(actor: Actor, action: AuditAction, entity_type, entity_id, label, changes) -> dict:
    return {
        "at": utcnow(),
        "actor_id": actor.id,
        "actor_label": actor.label[:254],
        "source": actor.source,
        "ip": actor.ip,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "label": label[:255],
        "changes": changes,
    }


def _entries_for(session: Session, actor: Actor):
    groups = (
        (AuditAction.CREATE, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    )
    for action, objects in groups:
        for obj in objects:
            if isinstance(obj, Tagging):
                yield _tagging_entry(actor, obj, action)
                continue
            if not getattr(type(obj), "__audited__", False):
                continue
            changes = _column_changes(obj, action)
            if action is AuditAction.UPDATE and not changes:
                continue
            yield _entry(actor, action, obj.__tablename__, _entity_id(obj), str(obj), changes)


def _tagging_entry(actor: Actor, tagging: Tagging, action: AuditAction) -> dict | None:
    if action is AuditAction.UPDATE:
        return None
    name = tagging.tag.name if tagging.tag else str(tagging.tag_id)
    change = [None, name] if action is AuditAction.CREATE else [name, None]
    return _entry(
        actor, AuditAction.UPDATE, tagging.entity_type, str(tagging.entity_id), "", {"tags": change}
    )


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    actor = session.info.get("actor") or Actor()
    rows = [row for row in _entries_for(session, actor) if row]
    if rows:
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)
