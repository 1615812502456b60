"""What the sequence pages read: the list with each sequence's people in, completed and
left; how many people are at each step now and what each email step's campaign achieved;
the enrollments table (filtered by status, keyset pages); a person's sequences; and the
people who may be enrolled by hand."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import (
    Campaign,
    EnrollmentStatus,
    SegmentEntity,
    Sequence,
    SequenceEnrollment,
    SequenceStep,
)
from app.models.sales import Lead
from app.services import campaign_metrics, search, segments, sequence_steps
from app.services.record_lists import KeysetSort, enum_member, keyset_page

SEQUENCE_SORT = KeysetSort(Sequence.name, lambda s: s.name)
ENROLLMENT_SORT = KeysetSort(SequenceEnrollment.id, lambda e: e.id)
_enrollments = SequenceEnrollment.__table__
_not_baseline = SequenceEnrollment.exit_reason != "baseline"


def sequence_page(actor, cursor: str | None = None, limit: int = 50):
    """One page of the sequences `actor` may read, by name: (rows, next cursor or None)."""
    query = sa.select(Sequence).where(permissions.visible(actor, "sequence", Sequence.owner_id))
    query = SEQUENCE_SORT.order(query, Sequence.id, "asc")
    return keyset_page(query, SEQUENCE_SORT, Sequence.id, "asc", cursor, limit)


def enrollment_counts(sequence_ids) -> dict[int, dict[str, int]]:
    """People in, completed and left per sequence (baselines not counted): one GROUP BY."""
    counts = {sid: {status.value: 0 for status in EnrollmentStatus} for sid in sequence_ids}
    if not counts:
        return counts
    query = (
        sa.select(_enrollments.c.sequence_id, _enrollments.c.status, sa.func.count())
        .where(_enrollments.c.sequence_id.in_(counts), _enrollments.c.exit_reason != "baseline")
        .group_by(_enrollments.c.sequence_id, _enrollments.c.status)
    )
    for sequence_id, status, number in db.session.execute(query):
        counts[sequence_id][EnrollmentStatus(status).value] = number
    return counts


@dataclasses.dataclass
class StepView:
    """A step as the flow shows it: the step, the people at it now, its campaign's figures."""

    step: SequenceStep
    people: int = 0
    campaign: Campaign | None = None
    figures: campaign_metrics.CampaignMetrics | None = None


def flow(sequence: Sequence) -> list[StepView]:
    """The steps with how many people are at each now (one GROUP BY) and, for email steps,
    the step campaign's sent, opened and clicked counts."""
    steps = [StepView(step) for step in sequence_steps.steps_of(sequence)]
    at = dict(
        db.session.execute(
            sa.select(_enrollments.c.position, sa.func.count())
            .where(
                _enrollments.c.sequence_id == sequence.id,
                _enrollments.c.status == EnrollmentStatus.ACTIVE.value,
            )
            .group_by(_enrollments.c.position)
        ).all()
    )
    ids = [view.step.campaign_id for view in steps if view.step.campaign_id]
    campaigns = {
        c.id: c for c in db.session.scalars(sa.select(Campaign).where(Campaign.id.in_(ids)))
    }
    figures = campaign_metrics.metrics_for(list(campaigns.values())) if campaigns else {}
    for view in steps:
        view.people = at.get(view.step.position, 0)
        view.campaign = campaigns.get(view.step.campaign_id)
        view.figures = figures.get(view.step.campaign_id)
    return steps


@dataclasses.dataclass
class EnrollmentFilters:
    status: EnrollmentStatus | None = None

    @classmethod
    def from_args(cls, args) -> EnrollmentFilters:
        return cls(status=enum_member(EnrollmentStatus, args.get("status")))

    def as_args(self) -> dict:
        return {"status": self.status.value} if self.status else {}


def enrollment_page(sequence: Sequence, filters: EnrollmentFilters, cursor=None, limit=50):
    """One page of the sequence's enrollments, newest first (baselines left out)."""
    query = sa.select(SequenceEnrollment).where(
        SequenceEnrollment.sequence_id == sequence.id, _not_baseline
    )
    if filters.status is not None:
        query = query.where(SequenceEnrollment.status == filters.status)
    query = ENROLLMENT_SORT.order(query, SequenceEnrollment.id, "desc")
    return keyset_page(query, ENROLLMENT_SORT, SequenceEnrollment.id, "desc", cursor, limit)


def people(actor, enrollments) -> dict[tuple[str, int], Contact | Lead]:
    """The contacts and leads of `enrollments` that `actor` may read, by (entity, id)."""
    found = {}
    for model, entity, attr in ((Contact, "contact", "contact_id"), (Lead, "lead", "lead_id")):
        ids = {getattr(e, attr) for e in enrollments if getattr(e, attr)}
        if not ids:
            continue
        visible = permissions.visible(actor, entity, model.owner_id)
        for person in db.session.scalars(sa.select(model).where(model.id.in_(ids), visible)):
            found[(entity, person.id)] = person
    return found


def person_enrollments(entity: str, person_id: int) -> list[tuple[SequenceEnrollment, Sequence]]:
    """The sequences a contact or lead is or was in, newest first, with each enrollment."""
    column = SequenceEnrollment.contact_id if entity == "contact" else SequenceEnrollment.lead_id
    query = (
        sa.select(SequenceEnrollment, Sequence)
        .join(Sequence, Sequence.id == SequenceEnrollment.sequence_id)
        .where(column == person_id, _not_baseline)
        .order_by(SequenceEnrollment.id.desc())
        .limit(50)
    )
    return [(row[0], row[1]) for row in db.session.execute(query)]


def candidates(sequence: Sequence, actor, query_text: str, limit: int = 20) -> list:
    """Contacts or leads (by the sequence's entity) `actor` may read, matching the search,
    who are not in the sequence (a baseline member is)."""
    model = segments.model_for(sequence.entity)
    match = search.matches(model, query_text, db.session.get_bind().dialect.name)
    if match is None:
        return []
    column = (
        SequenceEnrollment.contact_id
        if sequence.entity is SegmentEntity.CONTACT
        else SequenceEnrollment.lead_id
    )
    taken = sa.select(column).where(
        SequenceEnrollment.sequence_id == sequence.id, _not_baseline, column.is_not(None)
    )
    visible = permissions.visible(
        actor, segments.permission_entity(sequence.entity), model.owner_id
    )
    query = sa.select(model).where(match, visible, model.id.not_in(taken))
    return list(db.session.scalars(query.order_by(model.last_name, model.id).limit(limit)))
