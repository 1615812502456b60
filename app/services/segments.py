"""Segments: audiences of contacts or leads, dynamic (conditions compiled to one SQL query
by app.services.segment_rules) or static (hand-picked members).

Who sees what: counts, `audience_query` and copies to a static list use the whole audience,
whoever asks (a campaign reaches everyone the segment describes, and a marketer sizing an
audience needs the true number); the member list shown to a person (`member_page`) keeps
only the contacts or leads that person may read (permissions.visible).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm.attributes import set_committed_value

from app import database, permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.marketing import Segment, SegmentEntity, SegmentKind, SegmentMember
from app.models.sales import Lead
from app.services import history, segment_rules
from app.services.record_checks import check_text
from app.services.record_lists import KeysetSort, keyset_page
from app.services.validation import RecordInvalid

history.register_record_type("segments", Segment, "segment")

NAME_LENGTH = 120
DESCRIPTION_LENGTH = 2000
MAX_MEMBER_IDS = 1000
_FIELDS = {"name", "description", "entity", "kind", "definition"}


def model_for(entity: SegmentEntity):
    """Contact or Lead: what a segment of `entity` is made of."""
    return Contact if entity is SegmentEntity.CONTACT else Lead


def permission_entity(entity: SegmentEntity) -> str:
    return "contact" if entity is SegmentEntity.CONTACT else "lead"


def member_clause(segment: Segment):
    """A WHERE clause over Contact or Lead (by the segment's entity) selecting its members."""
    model = model_for(segment.entity)
    if segment.kind is SegmentKind.STATIC:
        return model.id.in_(
            sa.select(SegmentMember.entity_id).where(SegmentMember.segment_id == segment.id)
        )
    return segment_rules.where_clause(segment.entity, segment.definition or {})


def audience_query(segment: Segment) -> sa.Select:
    """Every member as (contact_id, lead_id, email): email lower-cased and trimmed, '' when
    the member has none. One query; a send materialises it with INSERT ... SELECT."""
    if segment.entity is SegmentEntity.CONTACT:
        columns = (
            Contact.id.label("contact_id"),
            sa.cast(sa.null(), sa.Integer).label("lead_id"),
            Contact.email_key.label("email"),
        )
    else:
        columns = (
            sa.cast(sa.null(), sa.Integer).label("contact_id"),
            Lead.id.label("lead_id"),
            Lead.email_key.label("email"),
        )
    return sa.select(*columns).where(member_clause(segment))


def _enum(enum_cls, value, field: str, errors: dict, message: str):
    try:
        return value if isinstance(value, enum_cls) else enum_cls(value)
    except ValueError:
        errors[field] = message
        return None


def _apply(segment: Segment, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once. Entity and kind are set on creation only: members and conditions
    are about one kind of record."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown segment fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    given = lambda name: not partial or name in fields  # noqa: E731
    if given("name"):
        message = gettext("Enter a name for the segment.")
        values["name"] = check_text(fields, "name", NAME_LENGTH, errors, message)
    if given("description"):
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    if segment.id is None:
        entity = _enum(
            SegmentEntity,
            fields.get("entity") or SegmentEntity.CONTACT,
            "entity",
            errors,
            gettext("Choose contacts or leads."),
        )
        kind = _enum(
            SegmentKind,
            fields.get("kind") or SegmentKind.DYNAMIC,
            "kind",
            errors,
            gettext("Choose a dynamic segment or a static list."),
        )
        values |= {"entity": entity, "kind": kind}
    else:
        entity, kind = segment.entity, segment.kind
        for name, current in (("entity", entity), ("kind", kind)):
            if name in fields and fields[name] not in (current, current.value):
                errors[name] = gettext("This cannot change once the segment exists.")
    if given("definition") and entity is not None:
        if kind is SegmentKind.STATIC:
            values["definition"] = {}
        else:
            try:
                values["definition"] = segment_rules.validate(entity, fields.get("definition"))
            except RecordInvalid as invalid:
                errors |= invalid.errors
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        if getattr(segment, name) != value:
            setattr(segment, name, value)


def create_segment(actor, **fields) -> Segment:
    """A new segment (dynamic unless `kind` says STATIC) owned by `actor`."""
    permissions.require(actor, "create", "segment")
    segment = Segment(owner_id=actor.id, definition={})
    _apply(segment, fields, partial=False)
    db.session.add(segment)
    db.session.flush()
    return segment


def update_segment(segment: Segment, actor, **fields) -> Segment:
    """Change the given fields (name, description, definition)."""
    permissions.require(actor, "edit", "segment", segment)
    _apply(segment, fields, partial=True)
    db.session.flush()
    return segment


def delete_segment(segment: Segment, actor) -> None:
    """Delete a segment (a static list's members go with it; campaigns keep their sends)."""
    permissions.require(actor, "delete", "segment", segment)
    db.session.execute(sa.delete(SegmentMember).where(SegmentMember.segment_id == segment.id))
    db.session.delete(segment)
    db.session.flush()


def count_definition(entity, definition: dict) -> int:
    """How many contacts or leads `definition` selects: one SELECT COUNT(*), over the whole
    audience. RecordInvalid when the definition is not valid."""
    entity = segment_rules.as_entity(entity)
    model = model_for(entity)
    return _count(model, segment_rules.where_clause(entity, definition))


def _count(model, clause) -> int:
    database.room_for_hashes(db.session)
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(clause))


def count(segment: Segment) -> int:
    """The segment's size now, also kept as its last count (with when it was taken). The
    cache is written past the audit trail and updated_at: counting changes nothing."""
    total = _count(model_for(segment.entity), member_clause(segment))
    now = utcnow()
    table = Segment.__table__
    db.session.execute(
        sa.update(table)
        .where(table.c.id == segment.id)
        .values(last_count=total, counted_at=now, updated_at=table.c.updated_at)
    )
    set_committed_value(segment, "last_count", total)
    set_committed_value(segment, "counted_at", now)
    return total


MEMBER_SORTS = {
    SegmentEntity.CONTACT: KeysetSort(Contact.last_name, lambda row: row.last_name),
    SegmentEntity.LEAD: KeysetSort(Lead.last_name, lambda row: row.last_name),
}


def members_query(segment: Segment, viewer) -> sa.Select:
    """The members `viewer` may read, by last name then id."""
    model = model_for(segment.entity)
    visible = permissions.visible(viewer, permission_entity(segment.entity), model.owner_id)
    query = sa.select(model).where(member_clause(segment), visible)
    return MEMBER_SORTS[segment.entity].order(query, model.id, "asc")


def member_page(segment: Segment, viewer, cursor: str | None = None, limit: int = 50):
    """One page of the members `viewer` may read: (rows, cursor of the next page or None)."""
    model = model_for(segment.entity)
    return keyset_page(
        members_query(segment, viewer), MEMBER_SORTS[segment.entity], model.id, "asc", cursor, limit
    )


def _static(segment: Segment, actor) -> None:
    permissions.require(actor, "edit", "segment", segment)
    if segment.kind is not SegmentKind.STATIC:
        raise RecordInvalid({"members": gettext("Only a static list has members to change.")})


def _ids(ids) -> list[int]:
    try:
        wanted = list(dict.fromkeys(int(i) for i in ids))
    except (TypeError, ValueError):
        raise RecordInvalid({"ids": gettext("Give the ids as whole numbers.")}) from None
    if len(wanted) > MAX_MEMBER_IDS:
        raise RecordInvalid(
            {"ids": gettext("Add or remove at most %(max)d at a time.", max=MAX_MEMBER_IDS)}
        )
    return wanted


def _insert_members(rows: sa.Select) -> int:
    """INSERT ... SELECT of (segment_id, entity_id, added_by_id) rows; how many went in
    (counted through RETURNING: psycopg reports no rowcount for this statement)."""
    table = SegmentMember.__table__
    insert = sa.insert(table).from_select(["segment_id", "entity_id", "added_by_id"], rows)
    return len(db.session.execute(insert.returning(table.c.entity_id)).all())


def add_members(segment: Segment, actor, ids) -> int:
    """Put the contacts or leads `ids` on a static list; ids already on it, unknown ones
    and ones `actor` may not read are skipped. Returns how many were added."""
    _static(segment, actor)
    wanted = _ids(ids)
    if not wanted:
        return 0
    model = model_for(segment.entity)
    already = (
        sa.select(SegmentMember.entity_id)
        .where(SegmentMember.segment_id == segment.id, SegmentMember.entity_id == model.id)
        .exists()
    )
    rows = sa.select(
        sa.literal(segment.id, sa.Integer), model.id, sa.literal(actor.id, sa.Integer)
    ).where(
        model.id.in_(wanted),
        permissions.visible(actor, permission_entity(segment.entity), model.owner_id),
        sa.not_(already),
    )
    return _insert_members(rows)


def remove_members(segment: Segment, actor, ids) -> int:
    """Take `ids` off a static list; returns how many were on it."""
    _static(segment, actor)
    wanted = _ids(ids)
    if not wanted:
        return 0
    result = db.session.execute(
        sa.delete(SegmentMember).where(
            SegmentMember.segment_id == segment.id, SegmentMember.entity_id.in_(wanted)
        )
    )
    return result.rowcount


def copy_to_static(segment: Segment, actor, name: str | None = None) -> Segment:
    """A static list holding the segment's members as of now (one INSERT ... SELECT), so
    an audience can be frozen before a send or edited by hand."""
    permissions.require(actor, "read", "segment", segment)
    copy = create_segment(
        actor,
        name=name or gettext("%(name)s (copy)", name=segment.name)[:NAME_LENGTH],
        description=segment.description,
        entity=segment.entity,
        kind=SegmentKind.STATIC,
        definition={},
    )
    model = model_for(segment.entity)
    rows = sa.select(
        sa.literal(copy.id, sa.Integer), model.id, sa.literal(actor.id, sa.Integer)
    ).where(member_clause(segment))
    copy.last_count = _insert_members(rows)
    copy.counted_at = utcnow()
    db.session.flush()
    return copy


SEGMENT_SORT = KeysetSort(Segment.name, lambda row: row.name)


def segment_page(actor, cursor: str | None = None, limit: int = 50):
    """One page of the segments `actor` may read: (rows, next cursor or None)."""
    query = sa.select(Segment).where(permissions.visible(actor, "segment", Segment.owner_id))
    query = SEGMENT_SORT.order(query, Segment.id, "asc")
    return keyset_page(query, SEGMENT_SORT, Segment.id, "asc", cursor, limit)
