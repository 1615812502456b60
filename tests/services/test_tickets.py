"""Tickets: numbering, who opens them, the status workflow, replies and notes, and the
events other service modules listen to."""

import pytest

from app.models.identity import Role
from app.models.service import TicketChannel, TicketPriority, TicketStatus
from app.permissions import PermissionDenied
from app.services import tickets
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_ticket, make_user


@pytest.fixture
def agent():
    return make_user(Role.SUPPORT, name="Amy")


@pytest.fixture
def events():
    seen = []

    def listener(event, ticket, **details):
        seen.append((event, ticket.number, details.get("previous")))

    tickets.subscribe(listener)
    yield seen
    tickets.unsubscribe(listener)


def test_tickets_are_numbered_in_one_sequence(agent):
    assert make_ticket(agent).number == "T-000001"
    assert make_ticket(agent).number == "T-000002"


def test_an_agent_logs_a_phone_ticket_for_a_contact(agent, events):
    customer = make_customer(agent, name="Acme")
    contact = make_contact(agent, customer=customer)
    ticket = make_ticket(
        agent, subject="Printer jams", contact_id=contact.id, priority="HIGH", channel="PHONE"
    )
    assert ticket.customer_id == customer.id
    assert (ticket.priority, ticket.channel, ticket.status) == (
        TicketPriority.HIGH, TicketChannel.PHONE, TicketStatus.OPEN,
    )  # fmt: skip
    assert events == [("created", ticket.number, None)]


def test_bad_input_is_refused_with_every_message(agent):
    with pytest.raises(RecordInvalid) as refused:
        tickets.create_ticket(agent, subject="", priority="SOMETIMES", contact_id="999")
    assert set(refused.value.errors) == {"subject", "priority", "contact_id"}


def test_the_first_public_reply_is_the_first_response_and_notes_are_not(agent, events):
    ticket = make_ticket(agent)
    tickets.add_comment(ticket, agent, "Looking into it", internal=True)
    assert ticket.first_responded_at is None
    tickets.add_comment(ticket, agent, "We are on it")
    assert ticket.first_responded_at is not None and ticket.first_responder_id == agent.id
    first = ticket.first_responded_at
    colleague = make_user(Role.SUPPORT)
    tickets.add_comment(ticket, colleague, "Fixed on our side")
    assert (ticket.first_responded_at, ticket.first_responder_id) == (first, agent.id)
    assert [event for event, *_ in events] == ["created", "noted", "replied", "replied"]
    public = [c.body for c in tickets.comments_of(ticket, include_internal=False)]
    assert public == ["We are on it", "Fixed on our side"]


def test_a_customer_reply_reopens_a_resolved_ticket_and_wakes_a_pending_one(agent, events):
    contact = make_contact(agent, customer=make_customer(agent))
    ticket = make_ticket(None, contact=contact, subject="Login fails")
    assert ticket.channel is TicketChannel.WEB
    tickets.set_status(ticket, agent, "PENDING")
    tickets.add_comment(ticket, None, "Here is the screenshot", by_contact=contact)
    assert ticket.status is TicketStatus.OPEN
    tickets.set_status(ticket, agent, "RESOLVED")
    assert ticket.resolved_at is not None
    tickets.add_comment(ticket, None, "Still broken", by_contact=contact)
    assert ticket.status is TicketStatus.OPEN and ticket.resolved_at is None
    assert ("status_changed", ticket.number, TicketStatus.RESOLVED) in events


def test_a_closed_ticket_only_reopens(agent):
    ticket = make_ticket(agent)
    tickets.set_status(ticket, agent, "CLOSED")
    with pytest.raises(RecordInvalid):
        tickets.set_status(ticket, agent, "PENDING")
    tickets.set_status(ticket, agent, "OPEN")
    assert ticket.closed_at is None


def test_assigning_needs_a_colleague_who_works_tickets(agent, events):
    ticket = make_ticket(agent)
    with pytest.raises(RecordInvalid):
        tickets.assign(ticket, agent, make_user(Role.MARKETING).id)
    colleague = make_user(Role.SUPPORT, team=None)
    tickets.assign(ticket, agent, colleague.id)
    assert ticket.owner_id == colleague.id
    assert events[-1] == ("assigned", ticket.number, None)
    with pytest.raises(PermissionDenied):  # no longer in the agent's (absent) team's queue
        tickets.assign(ticket, agent, agent.id)


def test_a_marketer_cannot_open_or_change_tickets(agent):
    ticket = make_ticket(agent)
    marketer = make_user(Role.MARKETING)
    with pytest.raises(PermissionDenied):
        tickets.create_ticket(marketer, subject="x")
    with pytest.raises(PermissionDenied):
        tickets.add_comment(ticket, marketer, "hi")


def test_agents_work_their_teams_queue_and_the_unrouted_one():
    import sqlalchemy as sa

    from app import permissions
    from app.extensions import db
    from app.models.service import Ticket
    from tests.factories import make_team

    north, south = make_team("North"), make_team("South")
    amy, bob = make_user(Role.SUPPORT, team=north), make_user(Role.SUPPORT, team=south)
    contact = make_contact(amy, customer=make_customer(amy))
    north_ticket = make_ticket(amy, subject="North")  # logged by Amy: North's queue
    unrouted = make_ticket(None, contact=contact, subject="Unrouted")  # portal, no team
    assert north_ticket.team_id == north.id and unrouted.team_id is None

    def seen(user):
        where = permissions.visible(user, "ticket", Ticket.owner_id, team_column=Ticket.team_id)
        return set(db.session.scalars(sa.select(Ticket.subject).where(where)))

    assert seen(amy) == {"North", "Unrouted"}
    assert seen(bob) == {"Unrouted"}
    assert permissions.can(amy, "edit", "ticket", north_ticket)
    assert not permissions.can(bob, "edit", "ticket", north_ticket)
    tickets.assign(unrouted, bob, bob.id)
    assert seen(amy) == {"North"} and seen(bob) == {"Unrouted"}
