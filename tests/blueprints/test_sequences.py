"""The sequence pages: the list with its counts, the form, the flow edited by HTMX round
trips (add, save with the service's messages, move, remove), activation, enrolling by
search and removing, each person's step in the table and on their own page, and who may
do what."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    CampaignRecipient,
    EnrollmentStatus,
    Sequence,
    SequenceEnrollment,
    SequenceStatus,
    SequenceStep,
)
from app.services import sequences
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_lead, make_user
from tests.marketing_factories import make_sequence, make_template

HTMX = {"HX-Request": "true"}


def sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING)


def test_the_list_has_an_empty_state_then_each_sequence_with_its_counts(login, marketer):
    client = login(marketer)
    html = client.get("/marketing/sequences").get_data(as_text=True)
    assert "There are no sequences yet." in html and 'id="new-sequence"' in html
    sequence = make_sequence(marketer, name="Welcome", status="ACTIVE", trigger="LEAD_CREATED",
                             steps=[("WAIT", {"days": 1})])  # fmt: skip
    for _n in range(2):
        sequences.enrol(sequence, make_lead(marketer))
    db.session.commit()
    html = client.get("/marketing/sequences").get_data(as_text=True)
    row = html[html.index(f'id="sequence-{sequence.id}"') :]
    assert "Welcome" in row and "A lead is created" in row and "Active" in row
    assert '<td data-label="In it now" class="numeric">2</td>' in row


def test_support_may_not_see_sequences_and_sales_only_read(login, marketer):
    sequence = make_sequence(marketer, steps=[("WAIT", {"days": 1})])
    client = login(make_user(Role.SUPPORT))
    assert client.get("/marketing/sequences").status_code == 403
    sign_out(client)
    client = login(make_user(Role.SALES))
    html = client.get(f"/marketing/sequences/{sequence.id}").get_data(as_text=True)
    assert 'id="add-step"' not in html and 'id="edit-sequence"' not in html
    response = htmx_post(client, f"/marketing/sequences/{sequence.id}/steps", {"kind": "WAIT"})
    assert response.status_code == 403
    assert client.get("/marketing/sequences/new").status_code == 403


def test_a_marketer_creates_a_sequence_and_builds_its_steps(login, marketer):
    template = make_template(marketer, name="Hello mail")
    client = login(marketer)
    page = client.get("/marketing/sequences/new").get_data(as_text=True)
    assert 'name="trigger"' in page and 'name="segment_id"' in page
    refused = post_form(client, "/marketing/sequences/new", {"name": "", "trigger": "MANUAL"})
    assert refused.status_code == 200 and "Name the sequence." in refused.get_data(as_text=True)
    created = post_form(client, "/marketing/sequences/new",
                        {"name": "Nurture", "trigger": "MANUAL", "entity": "LEAD",
                         "topic": "NEWSLETTER"})  # fmt: skip
    assert created.status_code == 302
    sequence = db.session.scalar(sa.select(Sequence))
    url = f"/marketing/sequences/{sequence.id}"
    assert created.headers["Location"] == url
    html = client.get(url).get_data(as_text=True)
    assert "Add at least one step." in html and 'id="add-step"' in html

    fragment = htmx_post(client, f"{url}/steps", {"kind": "SEND_EMAIL", "position": "0"})
    html = fragment.get_data(as_text=True)
    assert html.startswith('<section id="sequence-steps">')
    assert "<strong>Send an email</strong>" in html
    assert "Step 1 needs an email template." in html
    step = db.session.scalar(sa.select(SequenceStep))
    saved = htmx_post(client, f"{url}/steps/{step.id}",
                      {f"step{step.id}-template_id": str(template.id)})  # fmt: skip
    html = saved.get_data(as_text=True)
    assert "Send “Hello mail”." in html and "needs an email template" not in html
    assert f'id="step-campaign-{step.id}"' in html and "Sent 0" in html

    wait = htmx_post(client, f"{url}/steps", {"kind": "WAIT", "position": "1"})
    wait_step = db.session.scalar(sa.select(SequenceStep).where(SequenceStep.position == 1))
    html = wait.get_data(as_text=True)
    assert html.index("<strong>Send an email</strong>") < html.index("<strong>Wait</strong>")
    prefix = f"step{wait_step.id}"
    bad = htmx_post(client, f"{url}/steps/{wait_step.id}",
                    {f"{prefix}-days": "-2", f"{prefix}-hours": "1"})  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Enter whole days from 0 to 365." in html
    assert f'id="step{wait_step.id}-days-errors"' in html

    moved = htmx_post(client, f"{url}/steps/{wait_step.id}/move", {"to": "up"})
    html = moved.get_data(as_text=True)
    assert html.index("<strong>Wait</strong>") < html.index("<strong>Send an email</strong>")
    removed = htmx_post(client, f"{url}/steps/{wait_step.id}/delete", {})
    assert "Wait" not in removed.get_data(as_text=True).split('id="add-step"')[0]

    activated = post_form(client, f"{url}/edit", {"name": "Nurture", "trigger": "MANUAL",
                          "entity": "LEAD", "topic": "NEWSLETTER", "status": "ACTIVE"})  # fmt: skip
    assert activated.status_code == 302
    db.session.expire_all()
    assert db.session.get(Sequence, sequence.id).status is SequenceStatus.ACTIVE


def test_activation_is_refused_with_the_reason(login, marketer):
    sequence = make_sequence(marketer, name="Empty")
    client = login(marketer)
    response = post_form(client, f"/marketing/sequences/{sequence.id}/edit",
                         {"name": "Empty", "trigger": "MANUAL", "entity": "LEAD",
                          "topic": "NEWSLETTER", "status": "ACTIVE"})  # fmt: skip
    assert response.status_code == 200 and "Add at least one step." in response.get_data(
        as_text=True
    )


def test_enrolling_by_search_shows_each_persons_step_and_removing_them(login, marketer):
    sequence = make_sequence(marketer, status="ACTIVE", steps=[
        ("WAIT", {"days": 2}), ("ADD_TAG", {"tag": "x"})])  # fmt: skip
    lead = make_lead(marketer, first_name="Mei", last_name="Chen", email="mei@example.com")
    client = login(marketer)
    url = f"/marketing/sequences/{sequence.id}"
    assert 'id="candidate-search"' in client.get(url).get_data(as_text=True)
    found = client.get(f"{url}/candidates?q=Chen", headers=HTMX).get_data(as_text=True)
    assert f'id="enrol-{lead.id}"' in found
    enrolled = htmx_post(client, f"{url}/enrollments", {"entity_id": str(lead.id)})
    html = enrolled.get_data(as_text=True)
    assert html.startswith('<div id="sequence-enrollments">') and "Mei Chen is enrolled." in html
    assert "Mei Chen" in html and "1. Wait" in html and "In the sequence" in html
    again = client.get(f"{url}/candidates?q=Chen", headers=HTMX).get_data(as_text=True)
    assert f'id="enrol-{lead.id}"' not in again
    refused = htmx_post(client, f"{url}/enrollments", {"entity_id": str(lead.id)})
    assert "is or was in this sequence already" in refused.get_data(as_text=True)

    enrollment = db.session.scalar(sa.select(SequenceEnrollment))
    removed = htmx_post(client, f"{url}/enrollments/{enrollment.id}/remove", {})
    html = removed.get_data(as_text=True)
    assert "Removed by a colleague" in html
    assert f'id="remove-enrollment-{enrollment.id}"' not in html
    db.session.expire_all()
    assert db.session.get(SequenceEnrollment, enrollment.id).status is EnrollmentStatus.EXITED
    left = client.get(f"{url}/enrollments?status=ACTIVE", headers=HTMX).get_data(as_text=True)
    assert "Nobody with this status." in left


def test_the_flow_shows_people_at_each_step_and_the_email_figures(login, marketer):
    template = make_template(marketer)
    sequence = make_sequence(marketer, status="ACTIVE", steps=[
        ("SEND_EMAIL", {"template_id": template.id}), ("WAIT", {"days": 2})])  # fmt: skip
    lead = make_lead(marketer, email="a@example.com")
    enrollment = sequences.enrol(sequence, lead)
    enrollment.position = 1
    step = db.session.scalar(sa.select(SequenceStep).where(SequenceStep.position == 0))
    db.session.add(CampaignRecipient(campaign_id=step.campaign_id, lead_id=lead.id,
                                     email="a@example.com", status="SENT"))  # fmt: skip
    db.session.commit()
    html = login(marketer).get(f"/marketing/sequences/{sequence.id}").get_data(as_text=True)
    flow = html[html.index('id="sequence-steps"') :]
    first = flow[flow.index(f'id="sequence-step-{step.id}"') :]
    assert "0 people here" in first.split("</header>")[0]
    assert "Sent 1 · opened 0" in first
    wait = db.session.scalar(sa.select(SequenceStep).where(SequenceStep.position == 1))
    second = flow[flow.index(f'id="sequence-step-{wait.id}"') :]
    assert "1 person here" in second.split("</header>")[0]


def test_a_persons_sequences_appear_on_their_page(login, marketer):
    sequence = make_sequence(marketer, name="Welcome", status="ACTIVE",
                             steps=[("WAIT", {"days": 2}), ("ADD_TAG", {"tag": "x"})])  # fmt: skip
    lead = make_lead(marketer, email="a@example.com")
    sequences.enrol(sequence, lead)
    db.session.commit()
    client = login(marketer)
    panel = client.get(f"/marketing/people/lead/{lead.id}/panel").get_data(as_text=True)
    assert f'hx-get="/marketing/people/lead/{lead.id}/sequences"' in panel
    html = client.get(f"/marketing/people/lead/{lead.id}/sequences").get_data(as_text=True)
    assert "Welcome" in html and "1. Wait" in html and "In the sequence" in html
    sign_out(client)
    other = login(make_user(Role.SALES))
    assert other.get(f"/marketing/people/lead/{lead.id}/sequences").status_code == 403


def test_deleting_a_sequence_nobody_went_through(login, marketer):
    sequence = make_sequence(marketer, name="Unused", steps=[("WAIT", {"days": 1})])
    client = login(marketer)
    page = client.get(f"/marketing/sequences/{sequence.id}/delete")
    assert "Delete Unused?" in page.get_data(as_text=True)
    response = post_form(client, f"/marketing/sequences/{sequence.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/marketing/sequences"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Sequence)) == 0
