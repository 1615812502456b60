"""What starts and ends a sequence for someone, heard from app.services.marketing_signals
inside the transaction that made it happen: a new lead enters the active LEAD_CREATED
sequences, a form submission the active FORM_SUBMIT sequences of that form; an address that
unsubscribes or bounces leaves every sequence it is in, and so does a converted lead.
Listeners only write rows; the runner does the steps. Imported by create_app."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models.marketing import (
    SegmentEntity,
    Sequence,
    SequenceEnrollment,
    SequenceStatus,
    SequenceTrigger,
)
from app.services import email_preferences, marketing_signals, sequences

_enrollments = SequenceEnrollment.__table__


def _active(trigger: SequenceTrigger, *conditions) -> list[Sequence]:
    return list(
        db.session.scalars(
            sa.select(Sequence)
            .where(Sequence.status == SequenceStatus.ACTIVE, Sequence.trigger == trigger)
            .where(*conditions)
            .order_by(Sequence.id)
        )
    )


def on_lead_created(lead) -> None:
    for sequence in _active(SequenceTrigger.LEAD_CREATED):
        sequences.enrol(sequence, lead)


def on_form_submitted(submission, lead, contact) -> None:
    form_id = getattr(submission, "form_id", None)
    if form_id is None:
        return
    for sequence in _active(SequenceTrigger.FORM_SUBMIT, Sequence.form_id == form_id):
        person = lead if sequence.entity is SegmentEntity.LEAD else contact
        if person is not None and person.id is not None:
            sequences.enrol(sequence, person)


def on_unsubscribed(email) -> None:
    address = email_preferences.normalise(email)
    if address:
        sequences.exit_where(_enrollments.c.email == address, "unsubscribed")


def on_bounced(email) -> None:
    address = email_preferences.normalise(email)
    if address:
        sequences.exit_where(_enrollments.c.email == address, "bounced")


def on_lead_converted(lead) -> None:
    sequences.exit_where(_enrollments.c.lead_id == lead.id, "converted")


marketing_signals.subscribe("lead_created", on_lead_created)
marketing_signals.subscribe("form_submitted", on_form_submitted)
marketing_signals.subscribe("unsubscribed", on_unsubscribed)
marketing_signals.subscribe("bounced", on_bounced)
marketing_signals.subscribe("lead_converted", on_lead_converted)
