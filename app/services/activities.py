"""Activities: calls, emails, meetings, notes and tasks, logged against customers, contacts
and leads.

Calls, emails and notes record something that happened (at `occurred_at`, done when
logged); tasks are to-dos due at `due_at`; meetings run from `occurred_at` to `ends_at` and
are "due" at their start, so one query on (owner, status, due_at) serves My tasks,
reminders and the calendar feed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, tzinfo

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions, timezones
from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.models.sales import Lead
from app.services import history, tags
from app.services.validation import RecordInvalid

SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
# Kinds that are planned rather than logged after the fact: they stay open until done.
PLANNED_KINDS = (ActivityKind.TASK, ActivityKind.MEETING)
EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "subject",
        "description",
        "customer_id",
        "contact_id",
        "lead_id",
        "occurred_at",
        "due_at",
        "ends_at",
        "remind_at",
        "owner_id",
    }
)

tags.register_taggable("activities", Activity, "activity")
history.register_record_type("activities", Activity, "activity")


def _check_links(actor, activity: Activity, errors: dict[str, str]) -> None:
    """The customer and contact exist, `actor` may read them and they belong together."""
    customer = None
    if activity.customer_id is not None:
        customer = db.session.get(Customer, activity.customer_id)
        if customer is None or not permissions.can(actor, "read", "customer", customer):
            errors["customer_id"] = gettext("Choose a customer you can see.")
    if activity.contact_id is not None:
        contact = db.session.get(Contact, activity.contact_id)
        if contact is None or not permissions.can(actor, "read", "contact", contact):
            errors["contact_id"] = gettext("Choose a contact you can see.")
        elif activity.customer_id is None:
            # Logged on a contact: it also belongs on the contact's company timeline.
            activity.customer_id = contact.customer_id
        elif contact.customer_id != activity.customer_id:
            errors["contact_id"] = gettext("This contact does not work at that customer.")
    if activity.lead_id is not None:
        lead = db.session.get(Lead, activity.lead_id)
        if lead is None or not permissions.can(actor, "read", "lead", lead):
            errors["lead_id"] = gettext("Choose a lead you can see.")


def _check_owner(actor, activity: Activity, errors: dict[str, str]) -> None:
    """Only someone who could edit the new owner's activities may hand one to them."""
    if activity.owner_id is None:
        activity.owner_id = actor.id
        return
    owner = db.session.get(User, activity.owner_id)
    if owner is None or not owner.is_active:
        errors["owner_id"] = gettext("Choose an active user as owner.")
    elif owner.id != actor.id and not permissions.can(
        actor, "edit", "activity", Activity(owner_id=owner.id)
    ):
        errors["owner_id"] = gettext("You cannot give activities to this user.")


def _check(actor, activity: Activity) -> None:
    """Normalise and validate the whole activity; RecordInvalid lists every problem."""
    errors: dict[str, str] = {}
    activity.subject = " ".join((activity.subject or "").split())
    activity.description = (activity.description or "").strip()
    if not activity.subject:
        errors["subject"] = gettext("Enter a subject.")
    elif len(activity.subject) > SUBJECT_MAX:
        errors["subject"] = gettext("Use at most %(max)d characters.", max=SUBJECT_MAX)
    if len(activity.description) > DESCRIPTION_MAX:
        errors["description"] = gettext("Use at most %(max)d characters.", max=DESCRIPTION_MAX)
    if not isinstance(activity.kind, ActivityKind):
        errors["kind"] = gettext("Choose a call, email, meeting, note or task.")
    elif activity.kind is ActivityKind.MEETING:
        if activity.occurred_at is None:
            errors["occurred_at"] = gettext("Enter when the meeting starts.")
        else:
            activity.due_at = activity.occurred_at
            if activity.ends_at is not None and activity.ends_at <= activity.occurred_at:
                errors["ends_at"] = gettext("The meeting must end after it starts.")
    elif activity.kind is ActivityKind.TASK:
        activity.ends_at = None
        if activity.occurred_at is None:
            activity.occurred_at = utcnow()
    else:
        activity.ends_at = activity.due_at = None
        if activity.occurred_at is None:
            activity.occurred_at = utcnow()
    if activity.remind_at is not None:
        if activity.due_at is None:
            errors["remind_at"] = gettext("Set a due date to get a reminder.")
        elif activity.remind_at > activity.due_at:
            errors["remind_at"] = gettext("The reminder must come before the due date.")
    _check_links(actor, activity, errors)
    _check_owner(actor, activity, errors)
    if errors:
        raise RecordInvalid(errors)


def log_activity(
    actor,
    *,
    kind,
    subject,
    customer_id=None,
    contact_id=None,
    lead_id=None,
    occurred_at=None,
    due_at=None,
    ends_at=None,
    remind_at=None,
    description="",
    owner_id=None,
) -> Activity:
    """Log a call, email or note, or plan a task or meeting; raises RecordInvalid."""
    permissions.require(actor, "create", "activity")
    try:
        kind = ActivityKind(kind) if not isinstance(kind, ActivityKind) else kind
    except ValueError:
        kind = None
    activity = Activity(
        kind=kind,
        subject=subject,
        description=description,
        customer_id=customer_id,
        contact_id=contact_id,
        lead_id=lead_id,
        occurred_at=occurred_at,
        due_at=due_at,
        ends_at=ends_at,
        remind_at=remind_at,
        owner_id=owner_id,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    _check(actor, activity)
    if activity.kind in PLANNED_KINDS:
        activity.status = ActivityStatus.OPEN
    else:
        activity.status = ActivityStatus.DONE
        activity.completed_at = activity.occurred_at
    db.session.add(activity)
    db.session.flush()
    return activity


def update_activity(activity: Activity, actor, **fields) -> Activity:
    """Change allowlisted fields of an activity `actor` may edit; raises RecordInvalid."""
    permissions.require(actor, "edit", "activity", activity)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "kind" in fields and not isinstance(fields["kind"], ActivityKind):
        fields["kind"] = ActivityKind(fields["kind"])
    with db.session.no_autoflush:
        reminder = activity.remind_at
        for name, value in fields.items():
            setattr(activity, name, value)
        try:
            _check(actor, activity)
        except RecordInvalid:
            db.session.expire(activity)
            raise
    if activity.remind_at != reminder:
        activity.reminded_at = None  # a new reminder time deserves a new reminder
    activity.updated_by_id = actor.id
    db.session.flush()
    return activity


def complete(activity: Activity, actor) -> Activity:
    """Mark a task or meeting done (completing a done one changes nothing)."""
    permissions.require(actor, "edit", "activity", activity)
    if activity.status is not ActivityStatus.DONE:
        activity.status = ActivityStatus.DONE
        activity.completed_at = utcnow()
        activity.updated_by_id = actor.id
        db.session.flush()
    return activity


def snooze(activity: Activity, actor, until: datetime) -> Activity:
    """Move an open item's due time to `until`; its reminder (and a meeting) moves with it."""
    permissions.require(actor, "edit", "activity", activity)
    if activity.status is not ActivityStatus.OPEN:
        raise RecordInvalid({"due_at": gettext("Only open items can be snoozed.")})
    if until <= utcnow():
        raise RecordInvalid({"due_at": gettext("Snooze to a time in the future.")})
    shift = until - activity.due_at if activity.due_at else None
    activity.due_at = until
    if shift is not None and activity.remind_at is not None:
        activity.remind_at += shift
        activity.reminded_at = None
    if activity.kind is ActivityKind.MEETING and shift is not None:
        activity.occurred_at += shift
        if activity.ends_at is not None:
            activity.ends_at += shift
    activity.updated_by_id = actor.id
    db.session.flush()
    return activity


def delete_activity(activity: Activity, actor) -> None:
    """Delete an activity `actor` may delete."""
    permissions.require(actor, "delete", "activity", activity)
    db.session.delete(activity)
    db.session.flush()


@dataclasses.dataclass
class ActivityFilters:
    """What an activity list is narrowed to; every field optional."""

    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    customer_id: int | None = None
    contact_id: int | None = None
    owner_id: int | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None

    @classmethod
    def from_args(cls, args) -> ActivityFilters:
        """Filters from a query string; unknown or malformed values are ignored."""

        def pick(enum_cls, value):
            return enum_cls.__members__.get(value or "")

        def number(value):
            return int(value) if value and str(value).isdigit() else None

        return cls(
            kind=pick(ActivityKind, args.get("kind")),
            status=pick(ActivityStatus, args.get("status")),
            customer_id=number(args.get("customer_id")),
            contact_id=number(args.get("contact_id")),
            owner_id=number(args.get("owner_id")),
        )


def activities_query(actor, filters: ActivityFilters):
    """The activities `actor` may read matching `filters`, newest first (no paging)."""
    query = sa.select(Activity).where(permissions.visible(actor, "activity", Activity.owner_id))
    conditions = {
        "kind": Activity.kind,
        "status": Activity.status,
        "customer_id": Activity.customer_id,
        "contact_id": Activity.contact_id,
        "owner_id": Activity.owner_id,
    }
    for name, column in conditions.items():
        value = getattr(filters, name)
        if value is not None:
            query = query.where(column == value)
    if filters.due_before is not None:
        query = query.where(Activity.due_at < filters.due_before)
    if filters.due_after is not None:
        query = query.where(Activity.due_at >= filters.due_after)
    return query.order_by(Activity.occurred_at.desc(), Activity.id.desc())


def activity_page(actor, filters: ActivityFilters, cursor: tuple | None = None, limit: int = 50):
    """One page of `activities_query`, keyset on (occurred_at, id); returns (rows, next)."""
    query = activities_query(actor, filters)
    if cursor is not None:
        at, last_id = cursor
        query = query.where(
            sa.or_(
                Activity.occurred_at < at,
                sa.and_(Activity.occurred_at == at, Activity.id < last_id),
            )
        )
    rows = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].occurred_at, rows[-1].id) if more else None)


def get_for(actor, activity_id: int, action: str = "read") -> Activity | None:
    """The activity, or None when it does not exist or `actor` may not `action` it.

    Views answer 404 either way, so nobody learns that someone else's task exists."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or not permissions.can(actor, action, "activity", activity):
        return None
    return activity


def snooze_target(
    activity: Activity, days: int, now: datetime | None = None, zone: tzinfo = UTC
) -> datetime:
    """Where "snooze N days" moves an item: N days past its due time, or past now when it
    is already overdue (so a snoozed item never lands in the past). Days are calendar days
    in `zone` (the user's), so the item keeps its wall-clock time across a DST change."""
    now = now or utcnow()
    base = max(activity.due_at or now, now)
    return timezones.add_days(base, days, zone)
