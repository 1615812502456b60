"""Drip sequences: create, change and delete them (name, trigger, topic, status), enrol
contacts or leads and let them leave. The steps are app.services.sequence_steps; the
scheduled advance is app.services.sequence_runner; the triggers that enrol people and the
exits on unsubscribe, bounce and conversion are app.services.sequence_triggers.

One enrollment per (sequence, person), ever: whoever went through a sequence (or left it)
is not enrolled again by a trigger or by hand, since each email of a sequence reaches a
person at most once. A SEGMENT_JOIN sequence enrols the people who start matching its
segment after it was activated: activation records everyone matching then as a "baseline"
enrollment (EXITED, reason `baseline`, never shown as a member) unless the user asks to
include the current members. A baseline person may still be enrolled by hand."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import audit, permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.marketing import (
    Campaign,
    EnrollmentStatus,
    MarketingTopic,
    Segment,
    SegmentEntity,
    Sequence,
    SequenceEnrollment,
    SequenceStatus,
    SequenceTrigger,
    StepKind,
    WebForm,
)
from app.models.sales import Lead
from app.services import email_preferences, history, segments, sequence_steps
from app.services.record_checks import check_enum, check_owner, check_text
from app.services.validation import RecordInvalid

history.register_record_type("sequences", Sequence, "sequence")

NAME_LENGTH = 120
DESCRIPTION_LENGTH = 2000
TRIGGER_LABELS = {
    SequenceTrigger.LEAD_CREATED: _l("A lead is created"),
    SequenceTrigger.FORM_SUBMIT: _l("A web form is submitted"),
    SequenceTrigger.SEGMENT_JOIN: _l("Someone joins a segment"),
    SequenceTrigger.MANUAL: _l("Enrolled by hand"),
}
STATUS_LABELS = {
    SequenceStatus.DRAFT: _l("Draft"),
    SequenceStatus.ACTIVE: _l("Active"),
    SequenceStatus.PAUSED: _l("Paused"),
    SequenceStatus.ARCHIVED: _l("Archived"),
}
STATUS_KINDS = {"DRAFT": "neutral", "ACTIVE": "success", "PAUSED": "warning", "ARCHIVED": "info"}
ENROLLMENT_LABELS = {
    EnrollmentStatus.ACTIVE: _l("In the sequence"),
    EnrollmentStatus.COMPLETED: _l("Completed"),
    EnrollmentStatus.EXITED: _l("Left"),
}
EXIT_LABELS = {
    "unsubscribed": _l("Unsubscribed"),
    "bounced": _l("Email bounced"),
    "no_consent": _l("No marketing consent"),
    "converted": _l("Converted"),
    "removed": _l("Removed by a colleague"),
    "deleted": _l("Record deleted"),
    "archived": _l("Sequence archived"),
    "baseline": _l("Was a member at activation"),
}
# Who can be in a sequence of each trigger: leads come from forms and lead creation.
_FIXED_ENTITY = {
    SequenceTrigger.LEAD_CREATED: SegmentEntity.LEAD,
    SequenceTrigger.FORM_SUBMIT: SegmentEntity.LEAD,
}
_FIELDS = {
    "name", "description", "trigger", "entity", "segment_id", "form_id", "topic", "status",
    "owner_id", "include_current",
}  # fmt: skip
_MOVES = {
    SequenceStatus.DRAFT: {SequenceStatus.ACTIVE, SequenceStatus.ARCHIVED},
    SequenceStatus.ACTIVE: {SequenceStatus.PAUSED, SequenceStatus.ARCHIVED},
    SequenceStatus.PAUSED: {SequenceStatus.ACTIVE, SequenceStatus.ARCHIVED},
    SequenceStatus.ARCHIVED: set(),
}
_enrollments = SequenceEnrollment.__table__


def person_column(entity: SegmentEntity):
    return _enrollments.c.contact_id if entity is SegmentEntity.CONTACT else _enrollments.c.lead_id


def entity_key(entity: SegmentEntity) -> str:
    """The permission entity (and URL word) of a sequence's people: contact or lead."""
    return segments.permission_entity(entity)


def _record(actor, model, entity: str, raw, errors: dict, key: str, message: str):
    if raw in (None, ""):
        return None
    try:
        record = db.session.get(model, int(raw))
    except (TypeError, ValueError):
        record = None
    if record is None or not permissions.can(actor, "read", entity, record):
        errors[key] = message
        return None
    return record


def _check_status(sequence: Sequence, fields: dict, errors: dict):
    status = check_enum(SequenceStatus, fields, "status", errors) or sequence.status
    if status is not sequence.status and status not in _MOVES[sequence.status]:
        errors["status"] = (
            gettext("An archived sequence stays archived.")
            if sequence.status is SequenceStatus.ARCHIVED
            else gettext("Pause the sequence instead of making it a draft again.")
        )
        return sequence.status
    return status


def _apply(sequence: Sequence, actor, fields: dict, partial: bool) -> dict:
    """Check every given field, then store them all (returning the old values of those that
    changed), or raise RecordInvalid with every problem at once."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown sequence fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}

    def given(name: str) -> bool:
        return not partial or name in fields

    if given("name"):
        values["name"] = check_text(fields, "name", NAME_LENGTH, errors, gettext(
            "Name the sequence."))  # fmt: skip
    if given("description"):
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    if given("topic"):
        values["topic"] = check_enum(MarketingTopic, fields, "topic", errors) or sequence.topic
    if given("trigger"):
        values["trigger"] = check_enum(SequenceTrigger, fields, "trigger", errors) or (
            sequence.trigger or SequenceTrigger.MANUAL
        )
    trigger = values.get("trigger", sequence.trigger) or SequenceTrigger.MANUAL
    segment = form = None
    if trigger is SequenceTrigger.SEGMENT_JOIN:
        raw = fields.get("segment_id", sequence.segment_id)
        segment = _record(actor, Segment, "segment", raw, errors, "segment_id", gettext(
            "Choose a segment you may use."))  # fmt: skip
        if segment is None and "segment_id" not in errors:
            errors["segment_id"] = gettext("Choose the segment people join.")
    if trigger is SequenceTrigger.FORM_SUBMIT:
        raw = fields.get("form_id", sequence.form_id)
        form = _record(actor, WebForm, "web_form", raw, errors, "form_id", gettext(
            "Choose a web form you may use."))  # fmt: skip
        if form is None and "form_id" not in errors:
            errors["form_id"] = gettext("Choose the web form people submit.")
    values["segment_id"] = segment.id if segment else None
    values["form_id"] = form.id if form else None
    if segment is not None:
        entity = segment.entity
    elif trigger in _FIXED_ENTITY:
        entity = _FIXED_ENTITY[trigger]
    else:
        entity = check_enum(SegmentEntity, fields, "entity", errors) or (
            sequence.entity or SegmentEntity.LEAD
        )
    if sequence.id is not None and entity is not sequence.entity and _anyone_enrolled(sequence):
        errors["entity"] = gettext(
            "People are enrolled already: the sequence cannot switch between contacts and leads."
        )
    values["entity"] = entity
    if given("status"):
        values["status"] = _check_status(sequence, fields, errors)
    if values.get("status") is SequenceStatus.ACTIVE and sequence.status is not (
        SequenceStatus.ACTIVE
    ):
        found = sequence_steps.problems(sequence_steps.steps_of(sequence)) if sequence.id else [
            gettext("Add at least one step.")]  # fmt: skip
        if found:
            errors["status"] = " ".join(found)
    values["owner_id"] = check_owner(actor, "sequence", fields, errors, sequence.owner_id)
    if errors:
        raise RecordInvalid(errors)
    before = {}
    for name, value in values.items():
        if getattr(sequence, name) != value:
            before[name] = getattr(sequence, name)
            setattr(sequence, name, value)
    sequence.updated_by_id = actor.id
    return before


def _anyone_enrolled(sequence: Sequence) -> bool:
    query = sa.select(_enrollments.c.id).where(_enrollments.c.sequence_id == sequence.id)
    return db.session.execute(query.limit(1)).first() is not None


def create_sequence(actor, **fields) -> Sequence:
    """A new sequence (a draft, owned by `actor` unless another owner is given)."""
    permissions.require(actor, "create", "sequence")
    fields = {**fields, "status": SequenceStatus.DRAFT}
    fields.pop("include_current", None)
    sequence = Sequence(created_by_id=actor.id, custom={}, status=SequenceStatus.DRAFT)
    _apply(sequence, actor, fields, partial=False)
    db.session.add(sequence)
    db.session.flush()
    return sequence


def update_sequence(sequence: Sequence, actor, **fields) -> Sequence:
    """Change the given fields. Activating checks the steps; activating a SEGMENT_JOIN
    sequence (or changing its segment while active) records the baseline of current
    members unless `include_current`; archiving lets everyone in it leave."""
    permissions.require(actor, "edit", "sequence", sequence)
    include_current = bool(fields.pop("include_current", False))
    before = _apply(sequence, actor, fields, partial=True)
    db.session.flush()
    if sequence.status is SequenceStatus.ARCHIVED and "status" in before:
        exit_where(_enrollments.c.sequence_id == sequence.id, "archived")
    started = before.get("status") is SequenceStatus.DRAFT
    moved = {"segment_id", "trigger"} & set(before) and sequence.status in (
        SequenceStatus.ACTIVE, SequenceStatus.PAUSED)  # fmt: skip
    baseline = sequence.trigger is SequenceTrigger.SEGMENT_JOIN and (started or moved)
    if baseline and not include_current:
        enrol_audience(sequence, db.session.get(Segment, sequence.segment_id), baseline=True)
    if {"name", "topic"} & set(before):
        sequence_steps.sync_campaigns(sequence, actor)
    db.session.flush()
    return sequence


def delete_sequence(sequence: Sequence, actor) -> None:
    """Delete a sequence nobody was ever enrolled in (with its unsent step campaigns);
    once people went through it, it is archived instead, to keep its results."""
    permissions.require(actor, "delete", "sequence", sequence)
    real = sa.select(_enrollments.c.id).where(
        _enrollments.c.sequence_id == sequence.id, _enrollments.c.exit_reason != "baseline"
    )
    if db.session.execute(real.limit(1)).first() is not None:
        raise RecordInvalid(
            {"sequence": gettext("People went through this sequence: archive it instead.")}
        )
    from app.services import campaigns

    step_campaigns = sa.select(Campaign).where(Campaign.sequence_id == sequence.id)
    for campaign in db.session.scalars(step_campaigns):
        if not campaigns.has_sent_email(campaign):
            db.session.delete(campaign)
    db.session.delete(sequence)
    db.session.flush()


# ---------------------------------------------------------------- enrolling and leaving


def _lock(sequence_id: int) -> None:
    """Serialise enrolments into one sequence (PostgreSQL row lock; SQLite has one writer),
    so two triggers or scans never enrol the same person twice."""
    query = sa.select(Sequence.id).where(Sequence.id == sequence_id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    db.session.execute(query)


def arrive(steps: list, position: int, now):
    """Where someone reaching step `position` stands: (position, next_run_at, status). A
    wait starts at once (the person stays at it until it is over); the end completes."""
    while position < len(steps):
        step = steps[position]
        if step.kind is StepKind.WAIT:
            delta = sequence_steps.wait_delta(step.settings or {})
            if delta:
                return position, now + delta, EnrollmentStatus.ACTIVE
            position += 1
            continue
        return position, now, EnrollmentStatus.ACTIVE
    return position, None, EnrollmentStatus.COMPLETED


def _entity_of(person) -> SegmentEntity:
    return SegmentEntity.CONTACT if isinstance(person, Contact) else SegmentEntity.LEAD


def enrol(sequence: Sequence, person, *, now=None, actor=None) -> SequenceEnrollment | None:
    """Put a contact or lead in the sequence at its first step. Returns None when they are
    (or were) in it already; a person recorded only as a baseline member is taken in. With
    `actor` (enrolling by hand) refusals are RecordInvalid instead of silent."""
    if actor is not None:
        permissions.require(actor, "edit", "sequence", sequence)
    refusal = None
    if sequence.status not in (SequenceStatus.ACTIVE, SequenceStatus.PAUSED):
        refusal = gettext("Activate the sequence before enrolling people.")
    elif _entity_of(person) is not sequence.entity:
        refusal = gettext("This sequence is for %(who)s.", who=_entity_word(sequence.entity))
    elif isinstance(person, Lead) and person.status.value == "CONVERTED":
        refusal = gettext("A converted lead cannot be enrolled.")
    if refusal is None:
        _lock(sequence.id)
        existing = db.session.scalar(
            sa.select(SequenceEnrollment).where(
                SequenceEnrollment.sequence_id == sequence.id,
                person_column(sequence.entity) == person.id,
            )
        )
        if existing is not None and existing.exit_reason != "baseline":
            refusal = gettext("%(name)s is or was in this sequence already.", name=person.full_name)
    if refusal is not None:
        if actor is not None:
            raise RecordInvalid({"enrol": refusal})
        return None
    now = now or utcnow()
    position, next_run_at, status = arrive(sequence_steps.steps_of(sequence), 0, now)
    enrollment = existing or SequenceEnrollment(
        sequence_id=sequence.id,
        contact_id=person.id if sequence.entity is SegmentEntity.CONTACT else None,
        lead_id=person.id if sequence.entity is SegmentEntity.LEAD else None,
    )
    enrollment.email = email_preferences.normalise(person.email)
    enrollment.status, enrollment.position, enrollment.next_run_at = status, position, next_run_at
    enrollment.enrolled_at, enrollment.exit_reason = now, ""
    enrollment.finished_at = now if status is EnrollmentStatus.COMPLETED else None
    enrollment.version = (enrollment.version or 0) + 1
    db.session.add(enrollment)
    db.session.flush()
    if actor is not None:
        # Enrollments are not audited rows of their own: the person's history tells it.
        audit.record_changed(db.session, person, {"sequence": (None, sequence.name)})
    return enrollment


def _entity_word(entity: SegmentEntity) -> str:
    return gettext("contacts") if entity is SegmentEntity.CONTACT else gettext("leads")


def enrol_audience(sequence: Sequence, segment: Segment | None, *, now=None, baseline=False):
    """Enrol everyone in `segment` not in the sequence yet, with one INSERT ... SELECT; with
    `baseline`, record them as baseline members instead. Returns how many went in."""
    if segment is None or segment.entity is not sequence.entity:
        return 0
    now = now or utcnow()
    _lock(sequence.id)
    audience = segments.audience_query(segment).subquery()
    person = audience.c.contact_id if sequence.entity is SegmentEntity.CONTACT else (
        audience.c.lead_id)  # fmt: skip
    taken = sa.select(_enrollments.c.id).where(
        _enrollments.c.sequence_id == sequence.id,
        person_column(sequence.entity) == person,
    )
    if baseline:
        position, next_run_at, status = 0, None, EnrollmentStatus.EXITED
    else:
        position, next_run_at, status = arrive(sequence_steps.steps_of(sequence), 0, now)
    finished = now if status is not EnrollmentStatus.ACTIVE else None
    typed = sa.Integer()
    rows = sa.select(
        sa.literal(sequence.id, typed),
        sa.cast(audience.c.contact_id, sa.Integer),
        sa.cast(audience.c.lead_id, sa.Integer),
        sa.func.coalesce(audience.c.email, ""),
        sa.literal(status.value),
        sa.literal(position, typed),
        sa.literal(next_run_at, _enrollments.c.next_run_at.type),
        sa.literal(now, _enrollments.c.enrolled_at.type),
        sa.literal(finished, _enrollments.c.finished_at.type),
        sa.literal("baseline" if baseline else ""),
        sa.literal(1, typed),
    ).where(~taken.exists())
    columns = [
        "sequence_id", "contact_id", "lead_id", "email", "status", "position", "next_run_at",
        "enrolled_at", "finished_at", "exit_reason", "version",
    ]  # fmt: skip
    # Counted by RETURNING: psycopg reports no rowcount for an INSERT ... SELECT here.
    statement = sa.insert(_enrollments).from_select(columns, rows).returning(_enrollments.c.id)
    return len(db.session.execute(statement).all())


def exit_where(condition, reason: str, now=None) -> int:
    """Let every active enrollment matching `condition` leave, with `reason`."""
    now = now or utcnow()
    return db.session.execute(
        sa.update(_enrollments)
        .where(condition, _enrollments.c.status == EnrollmentStatus.ACTIVE.value)
        .values(
            status=EnrollmentStatus.EXITED.value,
            exit_reason=reason,
            finished_at=now,
            next_run_at=None,
            version=_enrollments.c.version + 1,
        )
    ).rowcount


def remove(enrollment: SequenceEnrollment, actor) -> bool:
    """A colleague takes someone out of a sequence (reason `removed`); False when they had
    left already."""
    sequence = db.session.get(Sequence, enrollment.sequence_id)
    permissions.require(actor, "edit", "sequence", sequence)
    left = exit_where(_enrollments.c.id == enrollment.id, "removed")
    db.session.expire(enrollment)
    person = person_of(enrollment)
    if left and person is not None:
        audit.record_changed(db.session, person, {"sequence": (sequence.name, None)})
    return bool(left)


def person_of(enrollment):
    """The contact or lead an enrollment is about (None when deleted)."""
    if enrollment.contact_id is not None:
        return db.session.get(Contact, enrollment.contact_id)
    if enrollment.lead_id is not None:
        return db.session.get(Lead, enrollment.lead_id)
    return None
