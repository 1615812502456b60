"""The steps of a drip sequence: their settings by kind, checked when saved; adding, changing,
removing and moving them (branch targets and the people at each step follow the step); the
checks on the whole flow that must pass before a sequence runs; and each email step's own
campaign, through which its messages are sent, tracked and counted.

A step's `settings` by kind: WAIT {days, hours}; SEND_EMAIL {template_id}; CREATE_TASK
{subject, due_days}; ADD_TAG {tag}; BRANCH {on: opened|clicked, within_days, yes, no}, where
`yes` and `no` are positions after the branch (the number of steps meaning "the end")."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import audit, permissions
from app.extensions import db
from app.models.marketing import (
    Campaign,
    CampaignStatus,
    CampaignType,
    EmailTemplate,
    EnrollmentStatus,
    Sequence,
    SequenceEnrollment,
    SequenceStatus,
    SequenceStep,
    StepKind,
)
from app.services import tags
from app.services.validation import RecordInvalid

MAX_STEPS = 30
MAX_WAIT_DAYS = 365
MAX_DUE_DAYS = 365
MAX_WITHIN_DAYS = 60
SUBJECT_LENGTH = 200
STEP_LABELS = {
    StepKind.WAIT: _l("Wait"),
    StepKind.SEND_EMAIL: _l("Send an email"),
    StepKind.CREATE_TASK: _l("Create a task"),
    StepKind.ADD_TAG: _l("Add a tag"),
    StepKind.BRANCH: _l("Branch on opened or clicked"),
}
_steps_table = SequenceStep.__table__
_enrollments = SequenceEnrollment.__table__
BRANCH_ON = {"opened": _l("opened the email"), "clicked": _l("clicked a link")}


def defaults(kind: StepKind) -> dict:
    """The settings a new step of `kind` starts with."""
    return {
        StepKind.WAIT: {"days": 1, "hours": 0},
        StepKind.SEND_EMAIL: {"template_id": None},
        StepKind.CREATE_TASK: {"subject": "", "due_days": 1},
        StepKind.ADD_TAG: {"tag": ""},
        StepKind.BRANCH: {"on": "opened", "within_days": 3, "yes": None, "no": None},
    }[kind]


def steps_of(sequence: Sequence) -> list[SequenceStep]:
    """The sequence's steps by position."""
    return list(
        db.session.scalars(
            sa.select(SequenceStep)
            .where(SequenceStep.sequence_id == sequence.id)
            .order_by(SequenceStep.position)
        )
    )


def wait_delta(settings: dict) -> timedelta:
    return timedelta(days=int(settings.get("days") or 0), hours=int(settings.get("hours") or 0))


def _whole(settings: dict, name: str, low: int, high: int, errors: dict, message: str) -> int:
    raw = settings.get(name)
    try:
        value = int(str(raw).strip()) if raw not in (None, "") else 0
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        errors[name] = message
        return low
    return value


def _target(settings: dict, name: str, errors: dict):
    raw = settings.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        errors[name] = gettext("Choose a step to go to.")
        return None


def check_settings(kind: StepKind, settings: dict, actor) -> dict:
    """The step's settings as stored, or RecordInvalid naming each bad setting. Branch
    targets are checked against the flow by `problems`, since steps move."""
    errors: dict[str, str] = {}
    if kind is StepKind.WAIT:
        clean = {
            "days": _whole(settings, "days", 0, MAX_WAIT_DAYS, errors, gettext(
                "Enter whole days from 0 to %(max)d.", max=MAX_WAIT_DAYS)),
            "hours": _whole(settings, "hours", 0, 23, errors, gettext(
                "Enter whole hours from 0 to 23.")),
        }  # fmt: skip
    elif kind is StepKind.SEND_EMAIL:
        template = None
        with contextlib.suppress(TypeError, ValueError):
            template = db.session.get(EmailTemplate, int(settings.get("template_id")))
        if template is None or not permissions.can(actor, "read", "email_template", template):
            errors["template_id"] = gettext("Choose the email template to send.")
        clean = {"template_id": template.id if template and not errors else None}
    elif kind is StepKind.CREATE_TASK:
        subject = " ".join(str(settings.get("subject") or "").split())
        if not subject:
            errors["subject"] = gettext("Enter the task's subject.")
        elif len(subject) > SUBJECT_LENGTH:
            errors["subject"] = gettext("Use at most %(max)d characters.", max=SUBJECT_LENGTH)
        clean = {
            "subject": subject,
            "due_days": _whole(settings, "due_days", 0, MAX_DUE_DAYS, errors, gettext(
                "Enter whole days from 0 to %(max)d.", max=MAX_DUE_DAYS)),
        }  # fmt: skip
    elif kind is StepKind.ADD_TAG:
        try:
            name = tags.normalise(str(settings.get("tag") or ""))
        except tags.TagError as error:
            name, errors["tag"] = "", str(error)
        if not name and "tag" not in errors:
            errors["tag"] = gettext("Enter the tag to add.")
        elif name and tags.by_name(name) is None and not permissions.can(actor, "create", "tag"):
            errors["tag"] = gettext("This tag does not exist and you may not create tags.")
        clean = {"tag": name}
    else:
        on = settings.get("on")
        if on not in BRANCH_ON:
            errors["on"] = gettext("Choose opened or clicked.")
        clean = {
            "on": on if on in BRANCH_ON else "opened",
            "within_days": _whole(settings, "within_days", 1, MAX_WITHIN_DAYS, errors, gettext(
                "Enter whole days from 1 to %(max)d.", max=MAX_WITHIN_DAYS)),
            "yes": _target(settings, "yes", errors),
            "no": _target(settings, "no", errors),
        }  # fmt: skip
    if errors:
        raise RecordInvalid(errors)
    return clean


def problems(steps: list[SequenceStep]) -> list[str]:
    """Why the flow cannot run as it is (empty when it can): no steps, too many, a branch
    that points back or nowhere or follows no email, an email step without a template."""
    found = []
    if not steps:
        found.append(gettext("Add at least one step."))
    if len(steps) > MAX_STEPS:
        found.append(gettext("A sequence has at most %(max)d steps.", max=MAX_STEPS))
    if [step.position for step in steps] != list(range(len(steps))):
        found.append(gettext("The steps are out of order: move one to renumber them."))
    seen_email = False
    for step in steps:
        number = step.position + 1
        if step.kind is StepKind.SEND_EMAIL:
            seen_email = True
            if not (step.settings or {}).get("template_id"):
                found.append(gettext("Step %(n)d needs an email template.", n=number))
        if step.kind is not StepKind.BRANCH:
            continue
        if not seen_email:
            found.append(gettext("Step %(n)d branches on an email, but no email comes before it.",
                                 n=number))  # fmt: skip
        for name in ("yes", "no"):
            target = (step.settings or {}).get(name)
            if not isinstance(target, int) or not step.position < target <= len(steps):
                found.append(gettext("Step %(n)d must go on to a later step (or the end).",
                                     n=number))  # fmt: skip
                break
    return found


def _require_editable(sequence: Sequence, actor) -> None:
    permissions.require(actor, "edit", "sequence", sequence)
    if sequence.status is SequenceStatus.ARCHIVED:
        raise RecordInvalid({"steps": gettext("An archived sequence cannot be changed.")})


def _check_running(sequence: Sequence) -> None:
    """A running (or paused) sequence must stay runnable after every change."""
    if sequence.status in (SequenceStatus.ACTIVE, SequenceStatus.PAUSED):
        found = problems(steps_of(sequence))
        if found:
            raise RecordInvalid({"steps": " ".join(found)})


def campaign_name(sequence: Sequence, position: int) -> str:
    return f"{sequence.name} · {gettext('step %(n)d', n=position + 1)}"[:200]


def sync_campaigns(sequence: Sequence, actor) -> None:
    """Give every email step its own campaign (created on first save) with the step's
    template, the sequence's topic and owner, and a name saying which step it is."""
    for step in steps_of(sequence):
        if step.kind is not StepKind.SEND_EMAIL:
            continue
        campaign = db.session.get(Campaign, step.campaign_id) if step.campaign_id else None
        if campaign is None:
            campaign = Campaign(
                type=CampaignType.EMAIL,
                status=CampaignStatus.ACTIVE,
                channels=["EMAIL"],
                currency=current_app.config["DEFAULT_CURRENCY"],
                sequence_id=sequence.id,
                owner_id=sequence.owner_id,
                created_by_id=getattr(actor, "id", None),
                custom={},
                name=campaign_name(sequence, step.position),
            )
            db.session.add(campaign)
            db.session.flush()
            step.campaign_id = campaign.id
        values = {
            "name": campaign_name(sequence, step.position),
            "topic": sequence.topic,
            "template_id": (step.settings or {}).get("template_id"),
        }
        for name, value in values.items():
            if getattr(campaign, name) != value:
                setattr(campaign, name, value)
    db.session.flush()


def _shift(sequence_id: int, start: int, offset: int) -> None:
    """Renumber the steps at `start` and after by `offset`, with the people at them and the
    branch targets that point to them. The steps pass through negative positions, so the
    (sequence, position) unique constraint holds at every row (PostgreSQL checks it row by
    row); renumbering is not audited itself, the step added or removed is."""
    db.session.flush()
    steps = _steps_table
    mine = steps.c.sequence_id == sequence_id
    db.session.execute(
        sa.update(steps)
        .where(mine, steps.c.position >= start)
        .values(position=-steps.c.position - 1)
    )
    db.session.execute(
        sa.update(steps).where(mine, steps.c.position < 0).values(
            position=-steps.c.position - 1 + offset)
    )  # fmt: skip
    db.session.expire_all()
    _retarget(sequence_id, lambda target: target + offset if target >= start else target)
    db.session.execute(
        sa.update(_enrollments)
        .where(
            _enrollments.c.sequence_id == sequence_id,
            _enrollments.c.status == EnrollmentStatus.ACTIVE.value,
            _enrollments.c.position >= start,
        )
        .values(position=_enrollments.c.position + offset)
    )


def _retarget(sequence_id: int, change) -> None:
    for step in db.session.scalars(
        sa.select(SequenceStep).where(
            SequenceStep.sequence_id == sequence_id, SequenceStep.kind == StepKind.BRANCH
        )
    ):
        settings = dict(step.settings or {})
        for name in ("yes", "no"):
            if isinstance(settings.get(name), int):
                settings[name] = change(settings[name])
        if settings != step.settings:
            step.settings = settings


def add_step(sequence: Sequence, actor, kind, position: int | None = None, settings=None):
    """Insert a step of `kind` at `position` (at the end when None); the later steps move
    down one. Settings default per kind; an email step gets its campaign."""
    _require_editable(sequence, actor)
    try:
        kind = StepKind(kind) if not isinstance(kind, StepKind) else kind
    except ValueError:
        raise RecordInvalid({"kind": gettext("Choose the kind of step.")}) from None
    count = len(steps_of(sequence))
    if count >= MAX_STEPS:
        raise RecordInvalid(
            {"kind": gettext("A sequence has at most %(max)d steps.", max=MAX_STEPS)}
        )
    position = count if position is None else max(0, min(int(position), count))
    clean = defaults(kind) if settings is None else check_settings(kind, settings, actor)
    if kind is StepKind.BRANCH:
        clean["yes"] = clean["yes"] if clean["yes"] is not None else position + 1
        clean["no"] = clean["no"] if clean["no"] is not None else position + 1
    if position < count:
        _shift(sequence.id, position, 1)
    step = SequenceStep(sequence_id=sequence.id, position=position, kind=kind, settings=clean)
    db.session.add(step)
    db.session.flush()
    sync_campaigns(sequence, actor)
    _check_running(sequence)
    return step


def update_step(step: SequenceStep, actor, settings: dict) -> SequenceStep:
    """Change a step's settings (its kind stays); RecordInvalid names each bad setting."""
    sequence = db.session.get(Sequence, step.sequence_id)
    _require_editable(sequence, actor)
    step.settings = check_settings(step.kind, settings, actor)
    db.session.flush()
    sync_campaigns(sequence, actor)
    _check_running(sequence)
    return step


def remove_step(step: SequenceStep, actor) -> None:
    """Delete a step. People at it go on to the step after it; branches that pointed to it
    point to that step too. The email step's campaign stays when it sent anything."""
    sequence = db.session.get(Sequence, step.sequence_id)
    _require_editable(sequence, actor)
    position, campaign_id = step.position, step.campaign_id
    db.session.delete(step)
    db.session.flush()
    _shift(sequence.id, position + 1, -1)
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        from app.services import campaigns

        if campaign is not None and not campaigns.has_sent_email(campaign):
            db.session.delete(campaign)
    db.session.flush()
    sync_campaigns(sequence, actor)
    _check_running(sequence)


def move_step(step: SequenceStep, actor, offset: int) -> None:
    """Swap a step with the one above (-1) or below (+1); the people at either step and
    the branch targets follow their step."""
    sequence = db.session.get(Sequence, step.sequence_id)
    _require_editable(sequence, actor)
    count = len(steps_of(sequence))
    other_position = step.position + (1 if offset > 0 else -1)
    if not 0 <= other_position < count:
        return
    a, b = step.position, other_position
    db.session.flush()
    steps = _steps_table
    mine = steps.c.sequence_id == sequence.id
    for old, new in ((a, -1), (b, a), (-1, b)):
        db.session.execute(
            sa.update(steps).where(mine, steps.c.position == old).values(position=new)
        )
    db.session.expire_all()
    audit.record_changed(db.session, step, {"position": (a, b)})
    _retarget(sequence.id, lambda target: b if target == a else a if target == b else target)
    db.session.execute(
        sa.update(_enrollments)
        .where(
            _enrollments.c.sequence_id == sequence.id,
            _enrollments.c.status == EnrollmentStatus.ACTIVE.value,
            _enrollments.c.position.in_([a, b]),
        )
        .values(position=sa.case((_enrollments.c.position == a, b), else_=a))
    )
    db.session.flush()
    sync_campaigns(sequence, actor)
    _check_running(sequence)
