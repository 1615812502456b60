"""Tags shared by every record type: one vocabulary, attached through `taggings` rows keyed
by (table name, id), so the audit trail shows tag changes on the record's own history.

A record type registers itself with `register_taggable`, naming its model and the
permission entity whose "edit" right allows tagging it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext

from app import audit, permissions
from app.extensions import db
from app.models.identity import User
from app.models.records import Tag, Tagging

MAX_NAME_LENGTH = 60
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class TagError(ValueError):
    """A tag name or change that breaks a rule; the message is shown to the user."""


@dataclasses.dataclass(frozen=True)
class Taggable:
    model: type
    permission_entity: str


TAGGABLES: dict[str, Taggable] = {}


def register_taggable(entity_type: str, model: type, permission_entity: str) -> None:
    """Allow tagging rows of `model` (its table name is `entity_type`)."""
    TAGGABLES[entity_type] = Taggable(model, permission_entity)


register_taggable("users", User, "user")


def normalise(name: str) -> str:
    """A tag name as stored: full-width forms folded, spaces collapsed, at most 60 chars."""
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not name:
        raise TagError(gettext("Enter a tag name."))
    if len(name) > MAX_NAME_LENGTH:
        raise TagError(gettext("Use at most %(max)d characters for a tag.", max=MAX_NAME_LENGTH))
    return name


def split_names(text: str) -> list[str]:
    """The names in "vip, 大客戶，north" (commas, full-width ones too, separate names)."""
    parts = unicodedata.normalize("NFKC", text or "").split(",")
    return [part for part in parts if part.strip()]


def find(names: list[str]) -> dict[str, Tag]:
    """Existing tags for `names`, keyed by casefolded name (names are case-insensitive)."""
    if not names:
        return {}
    lowered = {name.lower() for name in names}
    query = sa.select(Tag).where(
        sa.or_(sa.func.lower(Tag.name).in_(lowered), Tag.name.in_(set(names)))
    )
    wanted = {name.casefold() for name in names}
    return {t.name.casefold(): t for t in db.session.scalars(query) if t.name.casefold() in wanted}


def by_name(name: str) -> Tag | None:
    """The tag called `name` (in any case), or None; TagError for an invalid name."""
    name = normalise(name)
    return find([name]).get(name.casefold())


def _get_or_create(actor, name: str) -> Tag:
    tag = find([name]).get(name.casefold())
    if tag is not None:
        return tag
    permissions.require(actor, "create", "tag")
    # No savepoint to survive a concurrent insert of the same name: on SQLite a savepoint
    # opened first in a transaction commits on release. The unique name makes such a race
    # fail the request rather than duplicate the tag.
    tag = Tag(name=name)
    db.session.add(tag)
    db.session.flush()
    return tag


def record_for(actor, entity_type: str, entity_id: int, action: str = "edit"):
    """The record a tag change is about, after checking `actor` may `action` it.
    LookupError when the type is not taggable or the record does not exist."""
    taggable = TAGGABLES.get(entity_type)
    record = db.session.get(taggable.model, entity_id) if taggable else None
    if record is None:
        raise LookupError(f"{entity_type} {entity_id}")
    permissions.require(actor, action, taggable.permission_entity, record)
    return record


def add_tags(actor, entity_type: str, entity_id: int, names: list[str]) -> list[Tag]:
    """Tag a record with `names`, creating tags that do not exist yet (which needs the
    "create" right on tags). Returns the tags newly put on the record."""
    record_for(actor, entity_type, entity_id)
    unique = {}
    for raw in names:
        name = normalise(raw)
        unique.setdefault(name.casefold(), name)
    found = find(list(unique.values()))
    if any(key not in found for key in unique):
        # Checked before any change, so a refused new tag leaves the record as it was.
        permissions.require(actor, "create", "tag")
    have = {
        tagging.tag_id
        for tagging in db.session.scalars(
            sa.select(Tagging).where(
                Tagging.entity_type == entity_type, Tagging.entity_id == entity_id
            )
        )
    }
    added = []
    for name in unique.values():
        tag = _get_or_create(actor, name)
        if tag.id not in have:
            db.session.add(Tagging(tag=tag, entity_type=entity_type, entity_id=entity_id))
            have.add(tag.id)
            added.append(tag)
    db.session.flush()
    return added


def tag_new_records(actor, entity_type: str, tagged: list[tuple[object, list[str]]]) -> None:
    """Tag records just written by a bulk insert (app.services.record_inserts) in a few
    statements: missing tags are created (which needs the "create" right on tags), the
    taggings inserted and audited. The caller has checked `actor` may edit the records."""
    wanted: dict[str, str] = {}
    for _record, names in tagged:
        for raw in names:
            name = normalise(raw)
            wanted.setdefault(name.casefold(), name)
    if not wanted:
        return
    found = find(list(wanted.values()))
    for key, name in wanted.items():
        if key not in found:
            found[key] = _get_or_create(actor, name)
    rows, changes = [], []
    for record, names in tagged:
        tag_ids = set()
        for raw in names:
            tag = found[normalise(raw).casefold()]
            if tag.id not in tag_ids:
                tag_ids.add(tag.id)
                rows.append({"tag_id": tag.id, "entity_type": entity_type, "entity_id": record.id})
                changes.append((entity_type, record, tag.name))
    db.session.execute(sa.insert(Tagging), rows)
    audit.record_tagged(db.session, changes)


def remove_tag(actor, entity_type: str, entity_id: int, tag_id: int) -> bool:
    """Take a tag off a record; False when it was not on it."""
    record_for(actor, entity_type, entity_id)
    tagging = db.session.scalar(
        sa.select(Tagging).where(
            Tagging.entity_type == entity_type,
            Tagging.entity_id == entity_id,
            Tagging.tag_id == tag_id,
        )
    )
    if tagging is None:
        return False
    db.session.delete(tagging)
    db.session.flush()
    return True


def tags_for(entity_type: str, ids) -> dict[int, list[Tag]]:
    """The tags of each record in `ids`, sorted by name, in one query for a whole page."""
    ids = list(ids)
    result: dict[int, list[Tag]] = defaultdict(list)
    if ids:
        rows = db.session.execute(
            sa.select(Tagging.entity_id, Tag)
            .join(Tag, Tag.id == Tagging.tag_id)
            .where(Tagging.entity_type == entity_type, Tagging.entity_id.in_(ids))
            .order_by(sa.func.lower(Tag.name), Tag.id)
        )
        for entity_id, tag in rows:
            result[entity_id].append(tag)
    return {entity_id: result.get(entity_id, []) for entity_id in ids}


def filter_clause(entity_type: str, id_column, tag_names: list[str], match: str = "any"):
    """A WHERE clause keeping rows (whose id is `id_column`) tagged with any or all of
    `tag_names`; unknown names match nothing. Empty `tag_names` filters nothing."""
    if match not in ("any", "all"):
        raise ValueError("match must be 'any' or 'all'")
    names = [normalise(name) for name in tag_names if name and name.strip()]
    if not names:
        return sa.true()
    found = find(names)
    ids = list(dict.fromkeys(found[n.casefold()].id for n in names if n.casefold() in found))
    if match == "all" and len(ids) < len({n.casefold() for n in names}):
        return sa.false()
    if not ids:
        return sa.false()

    def tagged(tag_ids):
        return (
            sa.select(Tagging.id)
            .where(
                Tagging.entity_type == entity_type,
                Tagging.entity_id == id_column,
                Tagging.tag_id.in_(tag_ids),
            )
            .exists()
        )

    if match == "any":
        return tagged(ids)
    return sa.and_(*(tagged([tag_id]) for tag_id in ids))


def suggest(prefix: str, limit: int = 10) -> list[Tag]:
    """Tags whose name starts with `prefix` (any case), for autocomplete."""
    prefix = " ".join(unicodedata.normalize("NFKC", prefix or "").split())[:MAX_NAME_LENGTH]
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (
        sa.select(Tag)
        .where(sa.func.lower(Tag.name).like(f"{escaped}%", escape="\\"))
        .order_by(sa.func.lower(Tag.name))
        .limit(max(1, min(limit, 50)))
    )
    return list(db.session.scalars(query))


def usage(search: str = "", limit: int = 500) -> list[tuple[Tag, int]]:
    """Tags (optionally those containing `search`) with how many records carry each."""
    count = sa.func.count(Tagging.id)
    query = sa.select(Tag, count).outerjoin(Tagging, Tagging.tag_id == Tag.id).group_by(Tag.id)
    search = " ".join((search or "").split())
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(sa.func.lower(Tag.name).like(f"%{escaped}%", escape="\\"))
    rows = db.session.execute(query.order_by(sa.func.lower(Tag.name)).limit(limit))
    return [(tag, n) for tag, n in rows]


def update_tag(actor, tag: Tag, name: str, color: str | None = None) -> Tag:
    """Rename a tag (or change its colour); a name another tag has is refused: merge."""
    permissions.require(actor, "edit", "tag")
    name = normalise(name)
    other = find([name]).get(name.casefold())
    if other is not None and other.id != tag.id:
        raise TagError(
            gettext("A tag named “%(name)s” exists already; merge into it instead.", name=name)
        )
    if color is not None:
        if not _COLOR.match(color):
            raise TagError(gettext("Choose a colour such as #2563eb."))
        tag.color = color.lower()
    tag.name = name
    db.session.flush()
    return tag


def merge_tags(actor, source: Tag, target: Tag) -> Tag:
    """Move every record tagged `source` to `target`, then delete `source`."""
    permissions.require(actor, "edit", "tag")
    permissions.require(actor, "delete", "tag")
    if source.id == target.id:
        raise TagError(gettext("Choose a different tag to merge into."))
    already = set(
        db.session.execute(
            sa.select(Tagging.entity_type, Tagging.entity_id).where(Tagging.tag_id == target.id)
        ).tuples()
    )
    moving = db.session.scalars(sa.select(Tagging).where(Tagging.tag_id == source.id)).all()
    for tagging in moving:
        # Delete-and-add rather than repoint, so each record's history shows the swap.
        if (tagging.entity_type, tagging.entity_id) not in already:
            db.session.add(
                Tagging(tag=target, entity_type=tagging.entity_type, entity_id=tagging.entity_id)
            )
        db.session.delete(tagging)
    db.session.flush()
    db.session.delete(source)
    db.session.flush()
    return target


def delete_tag(actor, tag: Tag) -> None:
    """Delete a tag and take it off every record (each removal is audited)."""
    permissions.require(actor, "delete", "tag")
    taggings = db.session.scalars(sa.select(Tagging).where(Tagging.tag_id == tag.id)).all()
    for tagging in taggings:
        db.session.delete(tagging)
    db.session.flush()
    db.session.delete(tag)
    db.session.flush()
