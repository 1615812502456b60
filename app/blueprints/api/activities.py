"""Activities over the API: list (filtered), show, log, change, delete.

Every rule lives in app.services.activities: links to customers and contacts the caller
can see, the owner they may assign, what each kind needs (RecordInvalid -> 422). Marking
an item done goes through the service's `complete`, the same as the My tasks page.
"""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.services import activities
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_activities",
    __name__,
    tag="Activities",
    description="Calls, emails, meetings, notes and tasks.",
)
bp.register_error_handler(RecordInvalid, record_invalid_response)


def _moment(**kwargs) -> ma.fields.AwareDateTime:
    # A time sent without an offset is taken as UTC, the API's time zone.
    return ma.fields.AwareDateTime(default_timezone=UTC, allow_none=True, **kwargs)


class ActivityWriteSchema(ma.Schema):
    """The fields a caller may set (the service's EDITABLE_FIELDS); status moves only
    through `complete`, never by writing it."""

    kind = ma.fields.Enum(ActivityKind, by_value=True, required=True)
    subject = ma.fields.String(required=True)
    description = ma.fields.String()
    customer_id = ma.fields.Integer(allow_none=True)
    contact_id = ma.fields.Integer(allow_none=True)
    occurred_at = _moment(metadata={"description": "When it happened, or a meeting starts."})
    due_at = _moment(metadata={"description": "When a task is due."})
    ends_at = _moment(metadata={"description": "When a meeting ends."})
    remind_at = _moment(metadata={"description": "When to email the owner a reminder."})
    owner_id = ma.fields.Integer(allow_none=True)


class ActivityUpdateSchema(ActivityWriteSchema):
    """PATCH: only the fields sent change."""

    kind = ma.fields.Enum(ActivityKind, by_value=True)
    subject = ma.fields.String()
    done = ma.fields.Boolean(
        metadata={"description": "true marks an open task or meeting done."}, load_only=True
    )


class ActivitySchema(ActivityWriteSchema):
    """An activity as the API shows it."""

    id = ma.fields.Integer()
    status = ma.fields.Enum(ActivityStatus, by_value=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    updated_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ActivityListArgs(ListArgs):
    kind = ma.fields.Enum(ActivityKind, by_value=True)
    status = ma.fields.Enum(ActivityStatus, by_value=True)
    customer_id = ma.fields.Integer()
    contact_id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    due_before = _moment(metadata={"description": "Due before this time."})
    due_after = _moment(metadata={"description": "Due at or after this time."})


@bp.get("/activities")
@paginated(bp, ActivityListArgs, ActivitySchema)
def index(args):
    """Activities the caller may see, filtered, in id order."""
    names = ("kind", "status", "customer_id", "contact_id", "owner_id", "due_before", "due_after")
    filters = activities.ActivityFilters(**{name: args.get(name) for name in names})
    query = activities.activities_query(acting_user(), filters).order_by(None)
    return paginate(query, Activity.id, args)


@bp.get("/activities/<int:activity_id>")
@bp.response(200, ActivitySchema)
def show(activity_id: int):
    """One activity."""
    return readable_record(Activity, activity_id, "activity")


@bp.post("/activities")
@bp.arguments(ActivityWriteSchema)
@bp.response(201, ActivitySchema)
def create(data):
    """Log a call, email or note, or plan a task or meeting."""
    activity = activities.log_activity(acting_user(), **data)
    db.session.commit()
    return activity


@bp.patch("/activities/<int:activity_id>")
@bp.arguments(ActivityUpdateSchema)
@bp.response(200, ActivitySchema)
def update(changes, activity_id: int):
    """Change an activity; only the fields sent change. `done: true` completes it."""
    activity = readable_record(Activity, activity_id, "activity")
    done = changes.pop("done", False)
    activities.update_activity(activity, acting_user(), **changes)
    if done:
        activities.complete(activity, acting_user())
    db.session.commit()
    return activity


@bp.delete("/activities/<int:activity_id>")
@bp.response(204)
def delete(activity_id: int):
    """Delete an activity."""
    activity = readable_record(Activity, activity_id, "activity")
    activities.delete_activity(activity, acting_user())
    db.session.commit()
