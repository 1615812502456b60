"""Sequences as the marketer builds them: the trigger and its checks, the steps with their
settings, the flow checks before activation, each email step's own campaign, enrolling
(once per person), the baseline of a segment trigger, removal, deletion and rights."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    EnrollmentStatus,
    SegmentEntity,
    SequenceEnrollment,
    SequenceStatus,
    SequenceStep,
    SequenceTrigger,
    StepKind,
    WebForm,
)
from app.models.records import AuditEntry
from app.permissions import Forbidden
from app.services import sequence_lists, sequence_steps, sequences
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_segment, make_sequence, make_template

TW = {"match": "all", "groups": [{"match": "all", "conditions": [
    {"field": "email", "op": "contains", "value": ".tw"}]}]}  # fmt: skip


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING)


def positions(sequence):
    return [(s.position, s.kind.value) for s in sequence_steps.steps_of(sequence)]


def test_a_sequence_needs_a_name_and_its_triggers_source(marketer):
    with pytest.raises(RecordInvalid) as refused:
        sequences.create_sequence(marketer, name=" ", trigger="SEGMENT_JOIN")
    assert set(refused.value.errors) == {"name", "segment_id"}
    with pytest.raises(RecordInvalid) as refused:
        sequences.create_sequence(marketer, name="Welcome", trigger="FORM_SUBMIT")
    assert set(refused.value.errors) == {"form_id"}
    segment = make_segment(marketer, entity=SegmentEntity.CONTACT, definition=TW)
    sequence = sequences.create_sequence(
        marketer, name="Taiwan", trigger="SEGMENT_JOIN", segment_id=str(segment.id), entity="LEAD"
    )
    # The people of a segment sequence are the segment's: here contacts.
    assert sequence.entity is SegmentEntity.CONTACT and sequence.status is SequenceStatus.DRAFT
    form = WebForm(name="Demo", slug="demo", owner_id=marketer.id, custom={}, fields=[])
    db.session.add(form)
    db.session.flush()
    signup = sequences.create_sequence(marketer, name="Signup", trigger="FORM_SUBMIT",
                                       form_id=form.id, entity="CONTACT")  # fmt: skip
    assert signup.entity is SegmentEntity.LEAD and signup.form_id == form.id


def test_sales_reps_may_not_build_sequences():
    rep = make_user(Role.SALES)
    with pytest.raises(Forbidden):
        sequences.create_sequence(rep, name="Mine")


def test_activation_checks_the_flow(marketer):
    sequence = sequences.create_sequence(marketer, name="Nurture")
    with pytest.raises(RecordInvalid) as refused:
        sequences.update_sequence(sequence, marketer, status="ACTIVE")
    assert "Add at least one step." in refused.value.errors["status"]
    sequence_steps.add_step(sequence, marketer, "SEND_EMAIL")  # no template yet
    sequence_steps.add_step(sequence, marketer, "BRANCH", position=0)  # before any email
    with pytest.raises(RecordInvalid) as refused:
        sequences.update_sequence(sequence, marketer, status="ACTIVE")
    message = refused.value.errors["status"]
    assert "Step 2 needs an email template." in message
    assert "Step 1 branches on an email, but no email comes before it." in message


def test_step_settings_are_checked_by_kind(marketer):
    sequence = sequences.create_sequence(marketer, name="Nurture")
    wait = sequence_steps.add_step(sequence, marketer, "WAIT")
    assert wait.settings == {"days": 1, "hours": 0}
    with pytest.raises(RecordInvalid) as refused:
        sequence_steps.update_step(wait, marketer, {"days": "-1", "hours": "30"})
    assert set(refused.value.errors) == {"days", "hours"}
    email = sequence_steps.add_step(sequence, marketer, "SEND_EMAIL")
    with pytest.raises(RecordInvalid) as refused:
        sequence_steps.update_step(email, marketer, {"template_id": "999"})
    assert refused.value.errors == {"template_id": "Choose the email template to send."}
    task = sequence_steps.add_step(sequence, marketer, "CREATE_TASK")
    with pytest.raises(RecordInvalid) as refused:
        sequence_steps.update_step(task, marketer, {"subject": "", "due_days": "2"})
    assert set(refused.value.errors) == {"subject"}
    tag = sequence_steps.add_step(sequence, marketer, "ADD_TAG")
    with pytest.raises(RecordInvalid):
        sequence_steps.update_step(tag, marketer, {"tag": "  "})
    sequence_steps.update_step(tag, marketer, {"tag": " hot   lead "})
    assert tag.settings == {"tag": "hot lead"}
    with pytest.raises(RecordInvalid) as refused:
        sequence_steps.add_step(sequence, marketer, "DANCE")
    assert set(refused.value.errors) == {"kind"}


def test_at_most_thirty_steps(marketer):
    sequence = make_sequence(marketer, steps=[("WAIT", {"days": 1})] * 30)
    with pytest.raises(RecordInvalid):
        sequence_steps.add_step(sequence, marketer, "WAIT")


def test_each_email_step_sends_through_its_own_campaign(marketer):
    template = make_template(marketer)
    other = make_template(marketer)
    sequence = sequences.create_sequence(marketer, name="Welcome", topic="PRODUCT")
    sequence_steps.add_step(sequence, marketer, "WAIT")
    step = sequence_steps.add_step(sequence, marketer, "SEND_EMAIL")
    sequence_steps.update_step(step, marketer, {"template_id": str(template.id)})
    campaign = db.session.get(Campaign, step.campaign_id)
    assert campaign.sequence_id == sequence.id and campaign.template_id == template.id
    assert campaign.name == "Welcome · step 2" and campaign.topic.value == "PRODUCT"
    assert campaign.channels == ["EMAIL"] and campaign.type.value == "EMAIL"
    sequence_steps.update_step(step, marketer, {"template_id": other.id})
    sequence_steps.move_step(step, marketer, -1)
    sequences.update_sequence(sequence, marketer, name="Hello", topic="OFFERS")
    db.session.refresh(campaign)
    assert campaign.template_id == other.id and campaign.name == "Hello · step 1"
    assert campaign.topic.value == "OFFERS"
    # A removed step's campaign that never sent goes with it.
    sequence_steps.remove_step(step, marketer)
    assert db.session.get(Campaign, campaign.id) is None


def test_steps_move_with_their_branch_targets_and_their_people(marketer):
    template = make_template(marketer)
    sequence = make_sequence(marketer, status="ACTIVE", steps=[
        ("SEND_EMAIL", {"template_id": template.id}),
        ("BRANCH", {"on": "opened", "within_days": 3, "yes": 3, "no": 2}),
        ("ADD_TAG", {"tag": "cold"}),
        ("ADD_TAG", {"tag": "warm"}),
    ])  # fmt: skip
    lead = make_lead(marketer, email="a@example.com")
    enrollment = sequences.enrol(sequence, lead)
    enrollment.position = 3  # waiting to be tagged warm
    db.session.commit()
    sequence_steps.add_step(sequence, marketer, "WAIT", position=2)
    db.session.commit()
    branch = sequence_steps.steps_of(sequence)[1]
    assert branch.settings["yes"] == 4 and branch.settings["no"] == 3
    db.session.refresh(enrollment)
    assert enrollment.position == 4
    # A move that would make the branch point backwards is refused while active.
    last = sequence_steps.steps_of(sequence)[4]
    with pytest.raises(RecordInvalid):
        sequence_steps.move_step(last, marketer, -1)
        sequence_steps.move_step(last, marketer, -1)
        sequence_steps.move_step(last, marketer, -1)
    db.session.rollback()
    wait = sequence_steps.steps_of(sequence)[2]
    sequence_steps.remove_step(wait, marketer)
    assert positions(sequence) == [(0, "SEND_EMAIL"), (1, "BRANCH"), (2, "ADD_TAG"), (3, "ADD_TAG")]
    branch = sequence_steps.steps_of(sequence)[1]
    assert branch.settings["yes"] == 3 and branch.settings["no"] == 2
    db.session.refresh(enrollment)
    assert enrollment.position == 3


def test_one_enrollment_per_person_and_it_starts_with_the_first_wait(marketer):
    sequence = make_sequence(marketer, status="ACTIVE", steps=[
        ("WAIT", {"days": 2, "hours": 0}), ("ADD_TAG", {"tag": "nurtured"})])  # fmt: skip
    lead = make_lead(marketer, email="Mei@Example.com")
    now = utcnow()
    enrollment = sequences.enrol(sequence, lead, now=now)
    assert enrollment.position == 0 and enrollment.next_run_at == now + timedelta(days=2)
    assert enrollment.email == "mei@example.com" and enrollment.status is EnrollmentStatus.ACTIVE
    assert sequences.enrol(sequence, lead) is None
    with pytest.raises(RecordInvalid) as refused:
        sequences.enrol(sequence, lead, actor=marketer)
    assert "is or was in this sequence already" in refused.value.errors["enrol"]
    contact = make_contact(marketer)
    with pytest.raises(RecordInvalid) as refused:
        sequences.enrol(sequence, contact, actor=marketer)
    assert refused.value.errors["enrol"] == "This sequence is for leads."


def test_a_draft_sequence_takes_nobody(marketer):
    sequence = make_sequence(marketer, steps=[("ADD_TAG", {"tag": "x"})])
    lead = make_lead(marketer)
    assert sequences.enrol(sequence, lead) is None
    with pytest.raises(RecordInvalid):
        sequences.enrol(sequence, lead, actor=marketer)


def test_activating_a_segment_sequence_records_the_current_members_as_baseline(marketer):
    before = make_contact(marketer, email="before@example.com.tw")
    segment = make_segment(marketer, definition=TW)
    sequence = sequences.create_sequence(marketer, name="Taiwan", trigger="SEGMENT_JOIN",
                                         segment_id=segment.id)  # fmt: skip
    sequence_steps.add_step(sequence, marketer, "ADD_TAG", settings={"tag": "tw"})
    sequences.update_sequence(sequence, marketer, status="ACTIVE")
    db.session.commit()
    rows = db.session.scalars(sa.select(SequenceEnrollment)).all()
    assert [(r.contact_id, r.status, r.exit_reason) for r in rows] == [
        (before.id, EnrollmentStatus.EXITED, "baseline")
    ]
    assert sequence_lists.enrollment_counts([sequence.id])[sequence.id] == {
        "ACTIVE": 0, "COMPLETED": 0, "EXITED": 0}  # fmt: skip
    # A baseline member may still be enrolled by hand.
    enrollment = sequences.enrol(sequence, before, actor=marketer)
    assert enrollment.status is EnrollmentStatus.ACTIVE and enrollment.exit_reason == ""


def test_including_current_members_enrols_them_at_the_next_scan(marketer):
    make_contact(marketer, email="before@example.com.tw")
    segment = make_segment(marketer, definition=TW)
    sequence = make_sequence(marketer, trigger="SEGMENT_JOIN", entity="CONTACT",
                             segment_id=segment.id, steps=[("ADD_TAG", {"tag": "tw"})])  # fmt: skip
    sequences.update_sequence(sequence, marketer, status="ACTIVE", include_current=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SequenceEnrollment)) == 0
    assert sequences.enrol_audience(sequence, segment) == 1
    assert sequences.enrol_audience(sequence, segment) == 0


def test_removing_someone_is_audited_on_their_record(marketer):
    sequence = make_sequence(marketer, status="ACTIVE", steps=[("WAIT", {"days": 3})])
    lead = make_lead(marketer, last_name="Chen")
    enrollment = sequences.enrol(sequence, lead, actor=marketer)
    db.session.commit()
    assert sequences.remove(enrollment, marketer) is True
    db.session.commit()
    assert (enrollment.status, enrollment.exit_reason) == (EnrollmentStatus.EXITED, "removed")
    assert sequences.remove(enrollment, marketer) is False
    entries = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "leads", AuditEntry.entity_id == str(lead.id)
        )  # fmt: skip
    ).all()
    changes = [e.changes.get("sequence") for e in entries if "sequence" in e.changes]
    assert changes == [[None, sequence.name], [sequence.name, None]]


def test_archiving_lets_everyone_leave_and_deleting_keeps_results(marketer):
    sequence = make_sequence(marketer, status="ACTIVE", steps=[("WAIT", {"days": 3})])
    enrollment = sequences.enrol(sequence, make_lead(marketer))
    db.session.commit()
    with pytest.raises(RecordInvalid):
        sequences.delete_sequence(sequence, marketer)
    sequences.update_sequence(sequence, marketer, status="ARCHIVED")
    db.session.commit()
    db.session.refresh(enrollment)
    assert (enrollment.status, enrollment.exit_reason) == (EnrollmentStatus.EXITED, "archived")
    with pytest.raises(RecordInvalid):
        sequences.update_sequence(sequence, marketer, status="ACTIVE")
    draft = make_sequence(marketer, steps=[("SEND_EMAIL", {"template_id": None})])
    step_campaign = db.session.scalar(
        sa.select(SequenceStep.campaign_id).where(SequenceStep.sequence_id == draft.id)
    )
    assert step_campaign is not None
    sequences.delete_sequence(draft, marketer)
    db.session.commit()
    assert db.session.get(Campaign, step_campaign) is None


def test_the_trigger_of_a_lead_sequence_is_fixed_once_people_are_in(marketer):
    sequence = make_sequence(marketer, status="ACTIVE", steps=[("WAIT", {"days": 3})])
    sequences.enrol(sequence, make_lead(marketer))
    with pytest.raises(RecordInvalid) as refused:
        sequences.update_sequence(sequence, marketer, entity="CONTACT")
    assert set(refused.value.errors) == {"entity"}
    sequences.update_sequence(sequence, marketer, trigger="LEAD_CREATED")
    assert sequence.trigger is SequenceTrigger.LEAD_CREATED
    assert [s.kind for s in sequence_steps.steps_of(sequence)] == [StepKind.WAIT]
