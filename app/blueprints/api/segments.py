"""Segments over the API: list, show, create, change, delete; count one (or a definition
not saved yet); list a segment's members; add and remove a static list's members.

A definition is `{"match": "all"|"any", "groups": [{"match", "conditions": [{"field",
"op", "value"}]}]}` (fields and operators: app.services.segment_fields); a bad one answers
422 with one message per condition, keyed `definition.groups.<i>.conditions.<j>`. Counts
cover the whole audience; member lists only the people the caller may read.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.marketing import Segment, SegmentEntity, SegmentKind
from app.services import segments
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_segments", __name__, tag="Segments", description="Audiences of contacts or leads."
)
bp.register_error_handler(RecordInvalid, record_invalid_response)

_DEFINITION = {
    "description": 'Conditions, e.g. {"match": "all", "groups": [{"match": "any", '
    '"conditions": [{"field": "tag", "op": "has", "value": "VIP"}]}]}; {} matches everyone.'
}


class SegmentWriteSchema(ma.Schema):
    name = ma.fields.String(required=True)
    description = ma.fields.String()
    entity = ma.fields.Enum(
        SegmentEntity, by_value=True, metadata={"description": "CONTACT (default) or LEAD."}
    )
    kind = ma.fields.Enum(
        SegmentKind, by_value=True, metadata={"description": "DYNAMIC (default) or STATIC."}
    )
    definition = ma.fields.Dict(metadata=_DEFINITION)


class SegmentUpdateSchema(ma.Schema):
    """PATCH: only the fields sent change; entity and kind are fixed once created."""

    name = ma.fields.String()
    description = ma.fields.String()
    definition = ma.fields.Dict(metadata=_DEFINITION)


class SegmentSchema(SegmentWriteSchema):
    id = ma.fields.Integer()
    last_count = ma.fields.Integer(allow_none=True)
    counted_at = ma.fields.DateTime(allow_none=True)
    owner_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class SegmentListArgs(ListArgs):
    entity = ma.fields.Enum(SegmentEntity, by_value=True)
    kind = ma.fields.Enum(SegmentKind, by_value=True)


class CountSchema(ma.Schema):
    count = ma.fields.Integer(required=True)
    counted_at = ma.fields.DateTime(allow_none=True)


class DefinitionCountSchema(ma.Schema):
    entity = ma.fields.Enum(SegmentEntity, by_value=True, load_default=SegmentEntity.CONTACT)
    definition = ma.fields.Dict(load_default=dict, metadata=_DEFINITION)


class MemberSchema(ma.Schema):
    id = ma.fields.Integer()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    email = ma.fields.String()


class MemberIdsSchema(ma.Schema):
    ids = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        validate=ma.validate.Length(min=1, max=segments.MAX_MEMBER_IDS),
        metadata={"description": "Contact or lead ids (by the segment's entity)."},
    )


class MembersChangedSchema(ma.Schema):
    changed = ma.fields.Integer(
        metadata={"description": "How many were added (or removed); others were skipped."}
    )


@bp.get("/segments")
@paginated(bp, SegmentListArgs, SegmentSchema)
def index(args):
    """Segments the caller may see, in id order."""
    query = sa.select(Segment).where(
        permissions.visible(acting_user(), "segment", Segment.owner_id)
    )
    for name in ("entity", "kind"):
        if args.get(name) is not None:
            query = query.where(getattr(Segment, name) == args[name])
    return paginate(query, Segment.id, args)


@bp.get("/segments/<int:segment_id>")
@bp.response(200, SegmentSchema)
def show(segment_id: int):
    """One segment."""
    return readable_record(Segment, segment_id, "segment")


@bp.post("/segments")
@bp.arguments(SegmentWriteSchema)
@bp.response(201, SegmentSchema)
def create(data):
    """Create a segment owned by the caller (a static list starts empty)."""
    segment = segments.create_segment(acting_user(), **data)
    db.session.commit()
    return segment


@bp.patch("/segments/<int:segment_id>")
@bp.arguments(SegmentUpdateSchema)
@bp.response(200, SegmentSchema)
def update(changes, segment_id: int):
    """Change a segment's name, description or conditions."""
    segment = readable_record(Segment, segment_id, "segment")
    segments.update_segment(segment, acting_user(), **changes)
    db.session.commit()
    return segment


@bp.delete("/segments/<int:segment_id>")
@bp.response(204)
def delete(segment_id: int):
    """Delete a segment (a static list's memberships go with it)."""
    segment = readable_record(Segment, segment_id, "segment")
    segments.delete_segment(segment, acting_user())
    db.session.commit()


@bp.get("/segments/<int:segment_id>/count")
@bp.response(200, CountSchema)
def count(segment_id: int):
    """How many contacts or leads the segment holds now (kept as its last count)."""
    segment = readable_record(Segment, segment_id, "segment")
    total = segments.count(segment)
    db.session.commit()
    return {"count": total, "counted_at": segment.counted_at}


@bp.post("/segments/count")
@bp.arguments(DefinitionCountSchema)
@bp.response(200, CountSchema)
def count_definition(data):
    """Count a definition without saving it (what the builder's live count shows)."""
    permissions.require(acting_user(), "read", "segment")
    total = segments.count_definition(data["entity"], data["definition"])
    return {"count": total, "counted_at": None}


@bp.get("/segments/<int:segment_id>/members")
@paginated(bp, ListArgs, MemberSchema)
def members(args, segment_id: int):
    """The members the caller may read, in id order."""
    segment = readable_record(Segment, segment_id, "segment")
    model = segments.model_for(segment.entity)
    query = segments.members_query(segment, acting_user()).order_by(None)
    return paginate(query, model.id, args)


@bp.post("/segments/<int:segment_id>/members")
@bp.arguments(MemberIdsSchema)
@bp.response(200, MembersChangedSchema)
def add_members(data, segment_id: int):
    """Add people to a static list (ids already on it, unknown or not readable: skipped)."""
    segment = readable_record(Segment, segment_id, "segment")
    added = segments.add_members(segment, acting_user(), data["ids"])
    db.session.commit()
    return {"changed": added}


@bp.delete("/segments/<int:segment_id>/members/<int:member_id>")
@bp.response(204)
def remove_member(segment_id: int, member_id: int):
    """Take one person off a static list."""
    segment = readable_record(Segment, segment_id, "segment")
    segments.remove_members(segment, acting_user(), [member_id])
    db.session.commit()
