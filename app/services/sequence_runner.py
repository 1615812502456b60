"""The scheduled advance of drip sequences: every due enrollment of an active sequence runs
its steps until a wait (or a branch that must look again later) or the end.

Each enrollment is claimed by bumping its version (UPDATE ... WHERE id AND version), so two
runners never advance the same enrollment twice, and committed on its own: its email rows
and its new position go together. An email step writes the person's row in the step
campaign's outbox (unique per campaign and address, so a repeated runner cannot send it
twice); the campaign sending engine (app.services.campaign_outbox) delivers it, queued
after the commit. Before acting,
the runner lets people leave who unsubscribed, bounced, converted or were deleted.

`scan_segment_joins` enrols the people who newly match the segment of each active
SEGMENT_JOIN sequence (one INSERT ... SELECT each). Both are safe to run any time, twice."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.customers import Contact
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    EnrollmentStatus,
    RecipientStatus,
    Segment,
    SendState,
    Sequence,
    SequenceEnrollment,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
    StepKind,
)
from app.models.records import Tag, Tagging
from app.models.sales import Lead, LeadStatus
from app.services import campaign_outbox, email_preferences, sequence_steps, sequences, tags

log = logging.getLogger(__name__)

BATCH = 100
RECHECK = timedelta(hours=4)  # how often a branch looks again for an open or click
RETRY_AFTER_ERROR = timedelta(hours=1)
# Suppression that ends the sequence for the person (a topic opt-out only skips the email).
LEAVING_REASONS = ("unsubscribed", "bounced", "no_consent")

_enrollments = SequenceEnrollment.__table__
_recipients = CampaignRecipient.__table__
_campaigns = Campaign.__table__


@dataclasses.dataclass
class Tally:
    """What one run did."""

    advanced: int = 0
    completed: int = 0
    exited: int = 0
    emails: int = 0
    tasks: int = 0
    skipped: int = 0  # claimed by another runner meanwhile
    failed: int = 0


@dataclasses.dataclass
class _Outcome:
    position: int
    next_run_at: datetime | None
    status: EnrollmentStatus
    exit_reason: str = ""


class _Run:
    """One advance over due enrollments, with each sequence's steps read once."""

    def __init__(self, now: datetime):
        self.now = now
        self.tally = Tally()
        self.steps: dict[int, list[SequenceStep]] = {}
        self.sequences: dict[int, Sequence] = {}
        self.campaigns: set[int] = set()

    def steps_of(self, sequence_id: int) -> list[SequenceStep]:
        if sequence_id not in self.steps:
            sequence = db.session.get(Sequence, sequence_id)
            self.sequences[sequence_id] = sequence
            self.steps[sequence_id] = sequence_steps.steps_of(sequence)
        return self.steps[sequence_id]


def advance_due(now: datetime | None = None, limit: int = 1000) -> Tally:
    """Advance up to `limit` due enrollments of active sequences, committing each; then
    queue the sending of the email rows written."""
    run = _Run(now or utcnow())
    seen: set[int] = set()
    while len(seen) < limit:
        due = db.session.execute(
            sa.select(_enrollments.c.id, _enrollments.c.version)
            .join(Sequence, Sequence.id == _enrollments.c.sequence_id)
            .where(
                _enrollments.c.status == EnrollmentStatus.ACTIVE.value,
                _enrollments.c.next_run_at <= run.now,
                Sequence.status == SequenceStatus.ACTIVE,
                _enrollments.c.id.not_in(seen) if seen else sa.true(),
            )
            .order_by(_enrollments.c.next_run_at, _enrollments.c.id)
            .limit(min(BATCH, limit - len(seen)))
        ).all()
        db.session.commit()
        if not due:
            break
        for enrollment_id, version in due:
            seen.add(enrollment_id)
            advance(enrollment_id, version, run)
    kick_sends(run.campaigns)
    return run.tally


def advance(enrollment_id: int, version: int, run: _Run) -> bool:
    """Claim one enrollment at `version` and run its due steps; False when another runner
    had it (or it is no longer active)."""
    claimed = db.session.execute(
        sa.update(_enrollments)
        .where(
            _enrollments.c.id == enrollment_id,
            _enrollments.c.version == version,
            _enrollments.c.status == EnrollmentStatus.ACTIVE.value,
        )
        .values(version=version + 1)
    ).rowcount
    if not claimed:
        db.session.rollback()
        run.tally.skipped += 1
        return False
    enrollment = db.session.get(SequenceEnrollment, enrollment_id, populate_existing=True)
    touched = set()
    try:
        outcome = _steps(enrollment, run, touched)
    except Exception:
        # One broken enrollment must not stop the others: it is looked at again later.
        log.exception("sequence enrollment %s failed", enrollment_id)
        db.session.rollback()
        db.session.execute(
            sa.update(_enrollments)
            .where(_enrollments.c.id == enrollment_id)
            .values(next_run_at=run.now + RETRY_AFTER_ERROR, version=_enrollments.c.version + 1)
        )
        db.session.commit()
        run.tally.failed += 1
        return True
    finished = outcome.status is not EnrollmentStatus.ACTIVE
    db.session.execute(
        sa.update(_enrollments)
        .where(_enrollments.c.id == enrollment_id)
        .values(
            position=outcome.position,
            next_run_at=outcome.next_run_at,
            status=outcome.status.value,
            exit_reason=outcome.exit_reason,
            finished_at=run.now if finished else None,
            email=enrollment.email,
        )
    )
    db.session.commit()
    run.campaigns |= touched
    run.tally.advanced += 1
    if outcome.status is EnrollmentStatus.COMPLETED:
        run.tally.completed += 1
    elif outcome.status is EnrollmentStatus.EXITED:
        run.tally.exited += 1
    return True


def _leaving_reason(enrollment: SequenceEnrollment, person) -> str:
    if person is None:
        return "deleted"
    if isinstance(person, Lead) and person.status is LeadStatus.CONVERTED:
        return "converted"
    pref = email_preferences.preference(enrollment.email) if enrollment.email else None
    if pref is not None and pref.bounced_at is not None:
        return "bounced"
    if pref is not None and pref.unsubscribed_at is not None:
        return "unsubscribed"
    return ""


def _exit(position: int, reason: str) -> _Outcome:
    return _Outcome(position, None, EnrollmentStatus.EXITED, reason)


def _steps(enrollment: SequenceEnrollment, run: _Run, touched: set) -> _Outcome:
    steps = run.steps_of(enrollment.sequence_id)
    sequence = run.sequences[enrollment.sequence_id]
    person = sequences.person_of(enrollment)
    if person is not None:
        enrollment.email = email_preferences.normalise(person.email)
    position = enrollment.position
    reason = _leaving_reason(enrollment, person)
    if reason:
        return _exit(position, reason)
    for _attempt in range(len(steps) + 1):
        if position >= len(steps):
            return _Outcome(position, None, EnrollmentStatus.COMPLETED)
        step = steps[position]
        target = position + 1
        if step.kind is StepKind.BRANCH:
            target, later = _branch(step, steps, enrollment, run.now)
            if later is not None:
                return _Outcome(position, later, EnrollmentStatus.ACTIVE)
        elif step.kind is StepKind.SEND_EMAIL:
            reason = _send(step, sequence, enrollment, touched)
            run.tally.emails += 1
            if reason:
                return _exit(position, reason)
        elif step.kind is StepKind.CREATE_TASK:
            _task(step, sequence, person, run.now)
            run.tally.tasks += 1
        elif step.kind is StepKind.ADD_TAG:
            _tag(step, person)
        position, next_run_at, status = sequences.arrive(steps, target, run.now)
        if status is not EnrollmentStatus.ACTIVE or next_run_at > run.now:
            return _Outcome(position, next_run_at, status)
    raise RuntimeError("the steps of this sequence loop")  # problems() forbids it


def _send(step, sequence, enrollment, touched: set) -> str:
    """Write the person's row in the step campaign's outbox; returns the reason the person
    leaves the sequence ('' when they stay)."""
    campaign = db.session.get(Campaign, step.campaign_id) if step.campaign_id else None
    if campaign is None:
        log.warning("email step %s of sequence %s has no campaign", step.id, sequence.id)
        return ""
    email = enrollment.email
    if "@" not in email:
        email = f"#contact-{enrollment.contact_id}" if enrollment.contact_id else (
            f"#lead-{enrollment.lead_id}")  # fmt: skip
        reason = "no_email"
    else:
        reason = email_preferences.skip_reason(email_preferences.preference(email), sequence.topic)
    status = RecipientStatus.SKIPPED if reason else RecipientStatus.QUEUED
    if not reason and campaign.send_state is SendState.CANCELLED:
        status, reason = RecipientStatus.CANCELLED, ""
    inserted = _insert_recipient(
        {
            "campaign_id": campaign.id,
            "contact_id": enrollment.contact_id,
            "lead_id": enrollment.lead_id,
            "email": email,
            "status": status.value,
            "skip_reason": reason,
        }
    )
    if inserted and status is RecipientStatus.QUEUED:
        # Touching the row also locks it (PostgreSQL) against the engine finishing the
        # send in between; a SENT campaign that gets a new row is sending again.
        db.session.execute(
            sa.update(_campaigns)
            .where(
                _campaigns.c.id == campaign.id,
                _campaigns.c.send_state.in_(
                    [SendState.DRAFT.value, SendState.SENT.value, SendState.SENDING.value]
                ),
            )
            .values(
                send_state=SendState.SENDING.value,
                send_started_at=sa.func.coalesce(_campaigns.c.send_started_at, utcnow()),
                send_finished_at=None,
            )
        )
        touched.add(campaign.id)
    return reason if reason in LEAVING_REASONS else ""


def _insert_recipient(values: dict) -> bool:
    """INSERT the outbox row unless the campaign has one for the address already."""
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(_recipients).values(**values).on_conflict_do_nothing()
    return bool(db.session.execute(statement).rowcount)


def _branch(step, steps, enrollment, now: datetime):
    """(position to go to, None), or (None, when to look again) while the email may still
    be opened or clicked."""
    settings = step.settings or {}
    email_step = next(
        (s for s in reversed(steps[: step.position]) if s.kind is StepKind.SEND_EMAIL), None
    )
    row = None
    if email_step is not None and email_step.campaign_id is not None:
        column = _recipients.c.contact_id if enrollment.contact_id else _recipients.c.lead_id
        row = db.session.execute(
            sa.select(
                _recipients.c.status,
                _recipients.c.sent_at,
                _recipients.c.opened_at,
                _recipients.c.clicked_at,
            )  # fmt: skip
            .where(
                _recipients.c.campaign_id == email_step.campaign_id,
                column == (enrollment.contact_id or enrollment.lead_id),
            )
            .limit(1)
        ).first()
    if row is None:
        return settings.get("no"), None
    status = RecipientStatus(row.status)
    done = row.clicked_at is not None or (settings.get("on") == "opened" and row.opened_at)
    if done:
        return settings.get("yes"), None
    if status in (RecipientStatus.QUEUED, RecipientStatus.CLAIMED, RecipientStatus.SENDING):
        return None, now + RECHECK  # not sent yet: the time to react starts at the send
    if status is not RecipientStatus.SENT or row.sent_at is None:
        return settings.get("no"), None
    deadline = row.sent_at + timedelta(days=int(settings.get("within_days") or 1))
    if now < deadline:
        return None, min(now + RECHECK, deadline)
    return settings.get("no"), None


def _task(step, sequence: Sequence, person, now: datetime) -> None:
    """A task for the person's owner (else the sequence's), on the person's timeline."""
    settings = step.settings or {}
    task = Activity(
        kind=ActivityKind.TASK,
        status=ActivityStatus.OPEN,
        subject=settings.get("subject") or sequence.name,
        description=gettext("Created by the sequence %(name)s.", name=sequence.name),
        occurred_at=now,
        due_at=now + timedelta(days=int(settings.get("due_days") or 0)),
        owner_id=person.owner_id or sequence.owner_id,
        custom={},
    )
    if isinstance(person, Contact):
        task.contact_id, task.customer_id = person.id, person.customer_id
    else:
        task.lead_id = person.id
    db.session.add(task)
    db.session.flush()


def _tag(step, person) -> None:
    """Put the step's tag on the person (created when nobody has it yet)."""
    name = tags.normalise((step.settings or {}).get("tag") or "")
    tag = tags.find([name]).get(name.casefold())
    if tag is None:
        tag = Tag(name=name)
        db.session.add(tag)
        db.session.flush()
    entity_type = person.__tablename__
    has = db.session.scalar(
        sa.select(Tagging.tag_id).where(
            Tagging.tag_id == tag.id,
            Tagging.entity_type == entity_type,
            Tagging.entity_id == person.id,
        )
    )
    if has is None:
        db.session.add(Tagging(tag=tag, entity_type=entity_type, entity_id=person.id))
        db.session.flush()


def kick_sends(campaign_ids: set[int]) -> int:
    """Queue a batch job for each step campaign that got new rows, and for any step
    campaign the engine marked SENT while a runner was adding rows (it has QUEUED rows
    again). Returns how many campaigns were queued."""
    stalled = db.session.scalars(
        sa.select(_campaigns.c.id).where(
            _campaigns.c.sequence_id.is_not(None),
            _campaigns.c.send_state.in_([SendState.SENT.value, SendState.DRAFT.value]),
            sa.select(_recipients.c.id)
            .where(
                _recipients.c.campaign_id == _campaigns.c.id,
                _recipients.c.status == RecipientStatus.QUEUED.value,
            )
            .exists(),
        )
    ).all()
    if stalled:
        db.session.execute(
            sa.update(_campaigns)
            .where(_campaigns.c.id.in_(stalled))
            .values(send_state=SendState.SENDING.value, send_finished_at=None)
        )
    wanted = sorted(set(campaign_ids) | set(stalled))
    for campaign_id in wanted:
        # One batch job each: it claims rows until none are left (the engine's own sweep
        # of sending campaigns covers a job lost between this commit and the queue).
        campaign_outbox.enqueue_after_commit(campaign_id, None, 1)
    db.session.commit()
    return len(wanted)


def scan_segment_joins(now: datetime | None = None) -> int:
    """Enrol the newcomers of every active SEGMENT_JOIN sequence's segment (committing
    each sequence's INSERT); returns how many were enrolled."""
    now = now or utcnow()
    enrolled = 0
    ids = db.session.scalars(
        sa.select(Sequence.id).where(
            Sequence.status == SequenceStatus.ACTIVE,
            Sequence.trigger == SequenceTrigger.SEGMENT_JOIN,
            Sequence.segment_id.is_not(None),
        )
    ).all()
    for sequence_id in ids:
        sequence = db.session.get(Sequence, sequence_id)
        segment = db.session.get(Segment, sequence.segment_id)
        try:
            enrolled += sequences.enrol_audience(sequence, segment, now=now)
            db.session.commit()
        except Exception:
            # A segment whose conditions no longer compile must not stop the others.
            log.exception("segment scan of sequence %s failed", sequence_id)
            db.session.rollback()
    return enrolled
