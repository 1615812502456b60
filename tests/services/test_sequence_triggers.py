"""What enrols people and what lets them leave, through the marketing signals: a new lead,
a form submission, an unsubscribe, a bounce, a conversion."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import EnrollmentStatus, FormSubmission, SequenceEnrollment, WebForm
from app.services import (
    email_preferences,
    lead_capture,
    lead_conversion,
    leads,
    marketing_signals,
)
from tests.factories import make_lead, make_user
from tests.marketing_factories import make_sequence


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING)


def enrollments():
    db.session.expire_all()
    return db.session.scalars(sa.select(SequenceEnrollment).order_by(SequenceEnrollment.id)).all()


def steps():
    return [("WAIT", {"days": 1, "hours": 0})]


def test_a_new_lead_enters_the_active_lead_created_sequences(marketer):
    welcome = make_sequence(marketer, status="ACTIVE", trigger="LEAD_CREATED", steps=steps())
    make_sequence(marketer, status="PAUSED", trigger="LEAD_CREATED", steps=steps())
    make_sequence(marketer, status="ACTIVE", trigger="MANUAL", steps=steps())
    lead = leads.create_lead(marketer, last_name="Chen", email="Mei@Example.com")
    captured = lead_capture.capture_lead({"last_name": "Lin", "email": "lin@example.com"})
    db.session.commit()
    assert [(e.sequence_id, e.lead_id, e.email) for e in enrollments()] == [
        (welcome.id, lead.id, "mei@example.com"),
        (welcome.id, captured.id, "lin@example.com"),
    ]


def test_a_form_submission_enters_the_sequences_of_that_form(marketer):
    forms = []
    for slug in ("demo", "ebook"):
        form = WebForm(name=slug, slug=slug, owner_id=marketer.id, custom={}, fields=[])
        db.session.add(form)
        forms.append(form)
    db.session.flush()
    demo = make_sequence(marketer, status="ACTIVE", trigger="FORM_SUBMIT",
                         form_id=forms[0].id, steps=steps())  # fmt: skip
    make_sequence(marketer, status="ACTIVE", trigger="FORM_SUBMIT", form_id=forms[1].id,
                  steps=steps())  # fmt: skip
    lead = make_lead(marketer, email="a@example.com")
    submission = FormSubmission(form_id=forms[0].id, lead_id=lead.id, data={})
    db.session.add(submission)
    db.session.flush()
    marketing_signals.emit("form_submitted", submission=submission, lead=lead, contact=None)
    # The same person submitting again is not enrolled twice.
    marketing_signals.emit("form_submitted", submission=submission, lead=lead, contact=None)
    db.session.commit()
    assert [(e.sequence_id, e.lead_id) for e in enrollments()] == [(demo.id, lead.id)]


def test_unsubscribing_or_bouncing_leaves_every_sequence(marketer):
    first = make_sequence(marketer, status="ACTIVE", steps=steps())
    second = make_sequence(marketer, status="ACTIVE", steps=steps())
    from app.services import sequences

    mei = make_lead(marketer, email="mei@example.com")
    lin = make_lead(marketer, email="lin@example.com")
    other = make_lead(marketer, email="other@example.com")
    for sequence in (first, second):
        for person in (mei, lin, other):
            sequences.enrol(sequence, person)
    db.session.commit()
    email_preferences.unsubscribe("MEI@example.com", source="unsubscribe_link")
    email_preferences.record_bounce("lin@example.com", "550 no such user", source="smtp")
    db.session.commit()
    states = {(e.sequence_id, e.lead_id): (e.status, e.exit_reason) for e in enrollments()}
    for sequence in (first, second):
        assert states[(sequence.id, mei.id)] == (EnrollmentStatus.EXITED, "unsubscribed")
        assert states[(sequence.id, lin.id)] == (EnrollmentStatus.EXITED, "bounced")
        assert states[(sequence.id, other.id)] == (EnrollmentStatus.ACTIVE, "")


def test_converting_a_lead_takes_it_out(marketer):
    from app.services import sequences

    sequence = make_sequence(marketer, status="ACTIVE", steps=steps())
    lead = make_lead(marketer, company="Acme", email="a@example.com")
    sequences.enrol(sequence, lead)
    db.session.commit()
    lead_conversion.convert_lead(lead, marketer)
    db.session.commit()
    [enrollment] = enrollments()
    assert (enrollment.status, enrollment.exit_reason) == (EnrollmentStatus.EXITED, "converted")
    assert enrollment.finished_at is not None and enrollment.next_run_at is None
