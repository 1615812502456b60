"""Satisfaction surveys: a CSAT email when a ticket is resolved (once, not on every
reopen), one-click signed links that count once, a comment once, NPS rounds sent in batches
to a filtered group of contacts, and the CSAT / NPS figures computed in SQL."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from app import queues
from app.extensions import db
from app.jobs import surveys as survey_jobs
from app.models.base import utcnow
from app.models.customers import CustomerStatus
from app.models.identity import Role
from app.models.service import SurveyKind, SurveyResponse, TicketCategory
from app.permissions import PermissionDenied
from app.services import survey_results, surveys, tags, tickets
from app.services.after_commit import pending
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_ticket, make_user

LINK = re.compile(r"http://rapport\.test/portal/survey/([A-Za-z0-9_\-.]+)")


@pytest.fixture
def agent():
    return make_user(Role.SUPPORT, name="Amy Agent")


@pytest.fixture
def customer(agent):
    return make_customer(agent, name="Acme")


def _resolved_ticket(agent, contact):
    ticket = make_ticket(agent, contact_id=contact.id if contact else None)
    tickets.assign(ticket, agent, agent.id)
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    return ticket


def _csats(ticket):
    return db.session.scalars(
        sa.select(SurveyResponse).where(SurveyResponse.ticket_id == ticket.id)
    ).all()


def _response(kind=SurveyKind.CSAT, **fields):
    response = SurveyResponse(kind=kind, **fields)
    db.session.add(response)
    db.session.flush()
    return response


def _links(message) -> list[str]:
    return LINK.findall(message.get_body(("plain",)).get_content())


def test_resolving_a_ticket_emails_one_csat_survey_with_five_links(agent, customer, smtp, worker):
    contact = make_contact(agent, customer, first_name="Jane", last_name="Roe",
                           email="jane@acme.example")  # fmt: skip
    ticket = _resolved_ticket(agent, contact)

    [csat] = _csats(ticket)
    assert (csat.kind, csat.contact_id, csat.agent_id) == (SurveyKind.CSAT, contact.id, agent.id)
    assert csat.answered_at is None
    worker()
    [message] = smtp
    assert message["To"] == "jane@acme.example"
    assert ticket.number in message["Subject"]
    assert message["Auto-Submitted"] == "auto-generated"
    tokens = _links(message)
    assert len(tokens) == 5
    assert [surveys.read_token(token)[1] for token in tokens] == [1, 2, 3, 4, 5]
    assert all(surveys.read_token(t)[0].id == csat.id for t in tokens)

    # Reopened and resolved again the same week: no second survey, no second email.
    tickets.set_status(ticket, agent, "OPEN")
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    worker()
    assert len(_csats(ticket)) == 1 and len(smtp) == 1

    # A week later it may ask again.
    csat.sent_at = utcnow() - timedelta(days=8)
    tickets.set_status(ticket, agent, "OPEN")
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    worker()
    assert len(_csats(ticket)) == 2 and len(smtp) == 2


def test_no_survey_without_a_contact_email_or_when_closed_without_resolving(agent, customer):
    no_email = make_contact(agent, customer, last_name="Silent", email="")
    assert _csats(_resolved_ticket(agent, no_email)) == []
    assert _csats(_resolved_ticket(agent, None)) == []
    assert pending() == 0

    contact = make_contact(agent, customer, email="c@acme.example")
    ticket = make_ticket(agent, contact_id=contact.id)
    tickets.set_status(ticket, agent, "CLOSED")
    db.session.commit()
    assert _csats(ticket) == []


def test_nothing_is_emailed_when_the_resolution_rolls_back(agent, customer, smtp, worker):
    contact = make_contact(agent, customer, email="c@acme.example")
    ticket = make_ticket(agent, contact_id=contact.id)
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.rollback()
    worker()
    assert smtp == [] and _csats(ticket) == []


def test_a_link_counts_once_and_later_clicks_change_nothing():
    response = _response()
    first = surveys.answer(surveys.answer_token(response, 4))
    db.session.commit()
    assert first.recorded and response.score == 4
    answered_at = response.answered_at

    again = surveys.answer(surveys.answer_token(response, 1))
    db.session.commit()
    assert not again.recorded
    db.session.refresh(response)
    assert (response.score, response.answered_at) == (4, answered_at)


def test_a_link_without_a_score_takes_the_chosen_one_in_range():
    response = _response(kind=SurveyKind.NPS, survey_name="Q4")
    token = surveys.answer_token(response, None)
    with pytest.raises(RecordInvalid):
        surveys.answer(token)
    with pytest.raises(RecordInvalid):
        surveys.answer(token, score=11)
    assert surveys.answer(token, score=0).recorded and response.score == 0


def test_forged_and_foreign_links_are_refused(app):
    response = _response()
    token = surveys.answer_token(response, 5)
    assert surveys.answer(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert surveys.answer("not-a-token") is None
    secret = app.config["SECRET_KEY"]
    foreign = URLSafeSerializer(secret, salt="quote-portal").dumps({"r": response.id, "s": 5})
    assert surveys.answer(foreign) is None
    signed = URLSafeSerializer(secret, salt="survey-answer")
    assert surveys.answer(signed.dumps({"r": response.id, "s": 9})) is None  # CSAT is 1-5
    assert surveys.answer(signed.dumps({"r": response.id, "s": True})) is None
    assert surveys.answer(signed.dumps({"r": response.id + 99, "s": 5})) is None
    assert response.answered_at is None


def test_a_comment_is_taken_once():
    response = _response()
    token = surveys.answer_token(response, 2)
    surveys.answer(token)
    with pytest.raises(RecordInvalid):
        surveys.answer(token, comment="x" * (surveys.COMMENT_LENGTH + 1))
    result = surveys.answer(token, comment="  Too slow.  ")
    assert result.commented and response.comment == "Too slow."
    with pytest.raises(RecordInvalid) as refused:
        surveys.answer(token, comment="Changed my mind")
    assert "already" in refused.value.errors["comment"]
    assert response.comment == "Too slow."


# -- NPS -------------------------------------------------------------------------------


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING, name="Mia Marketing")


def test_an_nps_round_is_emailed_in_batches_to_the_filtered_contacts(
    agent, marketer, smtp, worker, monkeypatch
):
    monkeypatch.setattr(survey_jobs, "BATCH_SIZE", 2)
    client_a = make_customer(agent, name="A Corp", status="CUSTOMER")
    client_a.abc_class = "A"
    prospect = make_customer(agent, name="Maybe Ltd", status="PROSPECT")
    asked = [make_contact(agent, client_a, email=f"a{n}@a.example") for n in range(5)]
    make_contact(agent, client_a, last_name="No Mail", email="")
    make_contact(agent, prospect, email="p@maybe.example")
    earlier = make_contact(agent, client_a, email="earlier@a.example")
    _response(SurveyKind.NPS, contact_id=earlier.id, survey_name="NPS 2026 Q4")
    db.session.commit()

    segment = surveys.Segment(customer_status=CustomerStatus.CUSTOMER, abc_class="A")
    nps_round = surveys.send_nps(marketer, "  NPS 2026   Q4 ", segment)
    db.session.commit()
    assert nps_round.survey_name == "NPS 2026 Q4"
    assert (nps_round.created, nps_round.skipped_no_email, nps_round.skipped_already_asked) == (
        5, 1, 1,
    )  # fmt: skip
    job = surveys.queue_nps_emails(nps_round, marketer)
    worker()

    assert sorted(message["To"] for message in smtp) == sorted(c.email for c in asked)
    assert len(_links(smtp[0])) == 11
    job = queues.fetch(job.id)
    assert job.is_finished and job.meta["progress"] == 100 and job.return_value() == 5

    # The same round again: everyone in it was asked already, nothing more goes out.
    again = surveys.send_nps(marketer, "NPS 2026 Q4", segment)
    assert (again.created, again.skipped_already_asked) == (0, 6)
    survey_jobs.send_nps_emails(
        nps_round.survey_name, nps_round.response_ids[0], nps_round.response_ids[-1]
    )  # a job run twice sends once
    assert len(smtp) == 5


def test_nps_segments_by_tags_of_the_contact_or_its_customer(agent, marketer):
    vip_customer = make_customer(agent, name="Big Co")
    tags.add_tags(agent, "customers", vip_customer.id, ["VIP"])
    by_customer = make_contact(agent, vip_customer, email="x@big.example")
    tagged = make_contact(agent, email="solo@example.com")
    tags.add_tags(agent, "contacts", tagged.id, ["vip"])
    make_contact(agent, email="other@example.com")
    db.session.commit()

    nps_round = surveys.send_nps(marketer, "VIP pulse", surveys.Segment(tags=("vip",)))
    contacts = db.session.scalars(
        sa.select(SurveyResponse.contact_id).where(SurveyResponse.survey_name == "VIP pulse")
    ).all()
    assert sorted(contacts) == sorted([by_customer.id, tagged.id])
    assert nps_round.created == 2
    nobody = surveys.send_nps(marketer, "Unknown", surveys.Segment(tags=("no-such-tag",)))
    assert nobody.created == 0


def test_only_those_allowed_send_nps_and_a_round_needs_a_name(agent, marketer):
    with pytest.raises(PermissionDenied):
        surveys.send_nps(agent, "Q4", surveys.Segment())
    with pytest.raises(RecordInvalid) as invalid:
        surveys.send_nps(marketer, "   ", surveys.Segment())
    assert "survey_name" in invalid.value.errors


# -- figures ---------------------------------------------------------------------------


def test_csat_figures_overall_per_agent_and_per_category(agent):
    other = make_user(Role.SUPPORT, name="Bob Agent")
    billing = TicketCategory(name="Billing")
    outage = TicketCategory(name="Outage")
    db.session.add_all([billing, outage])
    db.session.flush()
    t_billing = make_ticket(agent, category_id=billing.id)
    t_outage = make_ticket(agent, category_id=outage.id)
    t_none = make_ticket(agent)
    now = utcnow()
    answered = now - timedelta(hours=1)
    for agent_id, ticket, score in [
        (agent.id, t_billing, 5),
        (agent.id, t_billing, 4),
        (agent.id, t_outage, 2),
        (agent.id, t_outage, None),
        (other.id, t_billing, 3),
        (other.id, t_none, 5),
        (None, t_none, None),
    ]:
        _response(
            agent_id=agent_id, ticket_id=ticket.id, score=score, sent_at=now - timedelta(days=1),
            answered_at=answered if score is not None else None,
        )  # fmt: skip
    _response(
        agent_id=agent.id,
        ticket_id=t_outage.id,
        score=1,
        sent_at=now - timedelta(40),
        answered_at=now - timedelta(39),
    )  # fmt: skip  (before the period)
    _response(SurveyKind.NPS, score=0, answered_at=now, survey_name="not CSAT")
    db.session.commit()
    start, end = now - timedelta(days=30), now + timedelta(seconds=1)

    overall = survey_results.csat_summary(start, end)
    assert (overall.sent, overall.answered, overall.satisfied) == (7, 5, 3)
    assert overall.average == Decimal("3.80")  # (5+4+2+3+5) / 5
    assert overall.satisfied_share == Decimal("60.0")
    assert overall.response_rate == Decimal("71.4")

    by_agent = {row.label: row for row in survey_results.csat_summary(start, end, "agent")}
    assert list(by_agent) == ["Amy Agent", "Bob Agent", "No agent"]
    amy, bob, nobody = by_agent.values()
    assert (amy.sent, amy.answered, amy.average, amy.satisfied_share) == (
        4, 3, Decimal("3.67"), Decimal("66.7"),
    )  # fmt: skip
    assert (bob.sent, bob.answered, bob.average, bob.satisfied_share) == (
        2, 2, Decimal("4.00"), Decimal("50.0"),
    )  # fmt: skip
    assert (nobody.sent, nobody.answered, nobody.average, nobody.satisfied_share) == (
        1, 0, None, None,
    )  # fmt: skip

    by_category = {row.label: row for row in survey_results.csat_summary(start, end, "category")}
    assert list(by_category) == ["Billing", "Outage", "No category"]
    assert (by_category["Billing"].answered, by_category["Billing"].average) == (
        3, Decimal("4.00"),
    )  # fmt: skip
    assert (by_category["Outage"].sent, by_category["Outage"].average) == (2, Decimal("2.00"))
    assert (by_category["No category"].sent, by_category["No category"].average) == (
        2, Decimal("5.00"),
    )  # fmt: skip

    everything = survey_results.csat_summary(None, None)
    assert (everything.sent, everything.answered, everything.average) == (8, 6, Decimal("3.33"))


def test_nps_figures_per_round():
    now = utcnow()
    for name, scores, sent_at in [
        ("Q3", [10, 9, 8, 7, 6, 0, None, None], now - timedelta(days=90)),
        ("Q4", [9, 9, 5], now - timedelta(days=1)),
    ]:
        for score in scores:
            _response(
                SurveyKind.NPS, survey_name=name, score=score, sent_at=sent_at,
                answered_at=sent_at if score is not None else None,
            )  # fmt: skip
    _response(score=5, answered_at=now)  # a CSAT answer is no NPS
    db.session.commit()

    q3 = survey_results.nps_summary("Q3")
    assert (q3.sent, q3.answered, q3.promoters, q3.passives, q3.detractors) == (8, 6, 2, 2, 2)
    assert q3.nps == Decimal("0.0") and q3.response_rate == Decimal("75.0")
    q4 = survey_results.nps_summary("Q4")
    assert (q4.promoters, q4.passives, q4.detractors, q4.nps) == (2, 0, 1, Decimal("33.3"))
    assert survey_results.nps_summary("nothing").nps is None

    recent = survey_results.nps_summary(start=now - timedelta(days=30), end=now)
    assert (recent.sent, recent.nps) == (3, Decimal("33.3"))
    overall = survey_results.nps_summary()
    assert (overall.answered, overall.promoters, overall.detractors) == (9, 4, 3)
    assert overall.nps == Decimal("11.1")  # (4 - 3) / 9

    rounds = survey_results.nps_rounds()
    assert [(r.survey_name, r.sent, r.nps) for r in rounds] == [
        ("Q4", 3, Decimal("33.3")),
        ("Q3", 8, Decimal("0.0")),
    ]
