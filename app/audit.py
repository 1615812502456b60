"""The audit trail: one SQLAlchemy session hook records every change to audited models.

Models opt in with `__audited__ = True`; `__audit_secret__` names fields whose values are
never written (only that they changed), `__audit_ignore__` fields not worth a row. Who acted
is read from `session.info["actor"]`, set once per request, job or CLI command.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
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


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value):
    if type(value) in _JSON_SCALARS:
        return value
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
    # New rows get their identity key only after after_flush, so read the primary key.
    mapper = inspect(obj).mapper
    values = mapper.primary_key_from_instance(obj)
    if len(values) == 1:
        return str(values[0])
    return str(getattr(obj, "id", None) or ":".join(str(v) for v in values))


def _is_surrogate_key(mapper, key: str) -> bool:
    """A single-column primary key is the entry's entity_id already; not worth a change."""
    columns = mapper.primary_key
    return len(columns) == 1 and mapper.get_property_by_column(columns[0]).key == key


@functools.cache
def _audited_keys(mapper) -> tuple[str, ...]:
    """The columns of a model whose changes are written: not the timestamps, the surrogate
    key or the model's `__audit_ignore__`."""
    ignore = getattr(mapper.class_, "__audit_ignore__", frozenset()) | {"updated_at", "created_at"}
    return tuple(
        attr.key
        for attr in mapper.column_attrs
        if attr.key not in ignore and not _is_surrogate_key(mapper, attr.key)
    )


def _blank(value) -> bool:
    """No value worth showing: a new record's empty fields are not changes."""
    return value is None or (isinstance(value, str | dict | list) and not value)


def _before_after(state, key: str, action: AuditAction, stored: dict):
    """(before, after) of one column, or None when an update left it alone."""
    history = state.attrs[key].history
    if action is AuditAction.DELETE:
        return (history.unchanged or history.deleted or [None])[0], None
    if not history.has_changes():
        return None
    after = history.added[0] if history.added else None
    # No deleted value means the attribute was expired when set: _load_before read it.
    before = history.deleted[0] if history.deleted else stored.get(key)
    return before, after


def _column_changes(obj, action: AuditAction, stored: dict) -> dict:
    secret = getattr(type(obj), "__audit_secret__", frozenset())
    state = inspect(obj)
    if action is AuditAction.CREATE:
        return _new_values(state, secret)
    changes = {}
    for key in _audited_keys(state.mapper):
        values = _before_after(state, key, action, stored)
        if values is None or (_blank(values[0]) and _blank(values[1])):
            continue
        before, after = values
        if key in secret:
            masked = [SECRET if before else None, SECRET if after else None]
            if any(masked):
                changes[key] = masked
        elif key == "custom":
            changes.update(_custom_changes(before or {}, after or {}))
        elif _plain(before) != _plain(after):
            changes[key] = [_plain(before), _plain(after)]
    return changes


def _new_values(state, secret) -> dict:
    """A new record's changes: each column with a value, from nothing to that value."""
    changes = {}
    for key in _audited_keys(state.mapper):
        value = state.dict.get(key)
        if _blank(value):
            continue
        if key in secret:
            changes[key] = [None, SECRET]
        elif key == "custom":
            changes.update(_custom_changes({}, value))
        else:
            changes[key] = [None, _plain(value)]
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
    stored = session.info.get(_BEFORE, {})
    groups = (
        (AuditAction.CREATE, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    )
    for action, objects in groups:
        for obj in objects:
            if isinstance(obj, Tagging):
                yield _tagging_entry(session, actor, obj, action)
                continue
            if not _is_audited(obj):
                continue
            changes = _column_changes(obj, action, stored.get(inspect(obj), {}))
            if action is AuditAction.UPDATE and not changes:
                continue
            yield _entry(actor, action, obj.__tablename__, _entity_id(obj), str(obj), changes)


def _is_audited(obj) -> bool:
    return getattr(type(obj), "__audited__", False)


def _tagged_record_label(session: Session, entity_type: str, entity_id: int) -> str:
    for mapper in Tagging.registry.mappers:
        if mapper.local_table.name == entity_type and getattr(mapper.class_, "__audited__", False):
            record = session.get(mapper.class_, entity_id)
            return str(record) if record is not None else ""
    return ""


def _tagging_entry(
    session: Session, actor: Actor, tagging: Tagging, action: AuditAction
) -> dict | None:
    if action is AuditAction.UPDATE:
        return None
    name = tagging.tag.name if tagging.tag else str(tagging.tag_id)
    label = _tagged_record_label(session, tagging.entity_type, tagging.entity_id)
    added = action is AuditAction.CREATE
    return _tag_entry(actor, tagging.entity_type, tagging.entity_id, label, name, added)


def _tag_entry(actor: Actor, entity_type: str, entity_id, label: str, name: str, added: bool):
    """A tag put on (or taken off) a record, shown on the record's own history."""
    change = [None, name] if added else [name, None]
    return _entry(actor, AuditAction.UPDATE, entity_type, str(entity_id), label, {"tags": change})


def _actor(session: Session) -> Actor:
    return session.info.get("actor") or Actor()


# Called as listener(session, entries) after entries are written, inside the same flush
# and transaction: modules that react to every change (outgoing webhooks) subscribe here.
entry_listeners: list = []


def _write(session: Session, rows: list[dict]) -> None:
    if rows:
        session.connection().execute(sa.insert(AuditEntry.__table__), rows)
        for listener in entry_listeners:
            listener(session, rows)


def record_inserted(session: Session, objects) -> None:
    """Entries for records written by a bulk INSERT, which the flush hook does not see:
    the same entries a flush of the same new objects would have written."""
    actor = _actor(session)
    rows = [
        _entry(
            actor,
            AuditAction.CREATE,
            obj.__tablename__,
            _entity_id(obj),
            str(obj),
            _column_changes(obj, AuditAction.CREATE, {}),
        )
        for obj in objects
    ]
    _write(session, rows)


def record_tagged(session: Session, taggings) -> None:
    """Entries for tags put on records by a bulk INSERT of (entity_type, record, tag name)."""
    actor = _actor(session)
    rows = [
        _tag_entry(actor, entity_type, record.id, str(record), name, True)
        for entity_type, record, name in taggings
    ]
    _write(session, rows)


def record_changed(session: Session, record, changes: dict) -> None:
    """An entry on `record`'s history for a change kept outside its own row (a contact's
    marketing consent, say), which the flush hook does not see."""
    entry = _entry(
        _actor(session),
        AuditAction.UPDATE,
        record.__tablename__,
        _entity_id(record),
        str(record),
        {key: [_plain(old), _plain(new)] for key, (old, new) in changes.items()},
    )
    _write(session, [entry])


_BEFORE = "audit_before"


def record_action(
    session: Session,
    user,
    entity_type: str,
    entity_id,
    label: str,
    changes: dict,
    action: AuditAction = AuditAction.UPDATE,
) -> None:
    """An entry for something done that is not a change of a row's fields (an export of a
    person's data, an erasure, a backup archive written or deleted), attributed to `user`
    (else the session's actor) even when the session acts for someone else; `changes` maps
    each key to [before, after]. Written as is: the change listeners (outgoing webhooks) do
    not see it."""
    actor = _actor(session)
    if user is not None and actor.id != user.id:
        actor = Actor(id=user.id, label=user.email, source=actor.source)
    entry = _entry(actor, action, entity_type, str(entity_id), label, changes)
    session.connection().execute(sa.insert(AuditEntry.__table__), [entry])


def _load_before(session: Session) -> dict:
    """Read, while the rows still hold them, the old values after_flush cannot see.

    Objects expire on commit; a value set on an expired attribute, or a JSON value changed
    in place, has no "before" in its history, so it is read from the row here. Deleted
    objects get all their columns loaded, for the entry's values and label.
    """
    stored = {}
    for obj in session.deleted:
        state = inspect(obj)
        columns = {attr.key for attr in state.mapper.column_attrs}
        if (_is_audited(obj) or isinstance(obj, Tagging)) and state.unloaded & columns:
            session.refresh(obj)
    for obj in session.dirty:
        state = inspect(obj)
        if not _is_audited(obj) or state.key is None:
            continue
        unknown = [
            attr
            for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.added and not state.attrs[attr.key].history.deleted
        ]
        if unknown:
            stored[state] = _stored_values(session, state, unknown)
    return stored


def _stored_values(session: Session, state, attrs) -> dict:
    mapper = state.mapper
    where = [
        column == value for column, value in zip(mapper.primary_key, state.key[1], strict=True)
    ]
    columns = [attr.columns[0].label(attr.key) for attr in attrs]
    row = session.execute(sa.select(*columns).where(*where)).mappings().first()
    return dict(row) if row else {}


@event.listens_for(Session, "before_flush")
def _remember_before_values(session: Session, flush_context, instances) -> None:
    session.info[_BEFORE] = _load_before(session)


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    rows = [row for row in _entries_for(session, _actor(session)) if row]
    session.info.pop(_BEFORE, None)
    _write(session, rows)
