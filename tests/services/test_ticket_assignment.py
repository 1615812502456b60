"""Round-robin assignment of new tickets by category."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.service import TicketCategory, TicketRoundRobin
from app.services import tickets
from tests.factories import make_contact, make_customer, make_team, make_ticket, make_user


@pytest.fixture
def team():
    return make_team("Helpdesk")


def category(team, round_robin=True, name="Hardware"):
    made = TicketCategory(name=name, team_id=team.id if team else None, round_robin=round_robin)
    db.session.add(made)
    db.session.commit()
    return made


def test_new_tickets_go_round_robin_to_the_teams_agents(team):
    amy = make_user(Role.SUPPORT, team=team, name="Amy")
    bob = make_user(Role.SUPPORT, team=team, name="Bob")
    make_user(Role.SALES, team=team, name="Sam")  # not a support agent
    make_user(Role.MANAGER, team=team, name="Meg")
    logger = make_user(Role.SUPPORT)  # in no team
    hardware = category(team)
    owners = [make_ticket(logger, category_id=hardware.id).owner_id for _ in range(5)]
    assert owners == [amy.id, bob.id, amy.id, bob.id, amy.id]
    assert db.session.get(TicketRoundRobin, team.id).last_user_id == amy.id


def test_inactive_agents_are_skipped(team):
    amy = make_user(Role.SUPPORT, team=team)
    make_user(Role.SUPPORT, team=team, is_active=False)
    cy = make_user(Role.SUPPORT, team=team)
    hardware = category(team)
    owners = [make_ticket(amy, category_id=hardware.id).owner_id for _ in range(3)]
    assert owners == [amy.id, cy.id, amy.id]


def test_a_ticket_with_an_assignee_keeps_it(team):
    amy = make_user(Role.SUPPORT, team=team)
    bob = make_user(Role.SUPPORT, team=team)
    hardware = category(team)
    ticket = make_ticket(amy, category_id=hardware.id, owner_id=bob.id)
    assert ticket.owner_id == bob.id
    assert db.session.get(TicketRoundRobin, team.id) is None
    # The rotation starts where it would have: the first agent.
    assert make_ticket(amy, category_id=hardware.id).owner_id == amy.id


def test_no_round_robin_no_team_or_no_agent_leaves_the_ticket_unassigned(team):
    amy = make_user(Role.SUPPORT, team=team)
    manual = category(team, round_robin=False, name="Billing")
    ticket = make_ticket(amy, category_id=manual.id)
    assert (ticket.owner_id, ticket.team_id) == (None, team.id)
    nobody = make_team("Empty")
    empty = category(nobody, name="Empty")
    ticket = make_ticket(amy, category_id=empty.id)
    assert (ticket.owner_id, ticket.team_id) == (None, nobody.id)
    assert make_ticket(amy).owner_id is None  # no category


def test_a_portal_ticket_lands_in_the_categorys_team_and_is_assigned(team):
    amy = make_user(Role.SUPPORT, team=team)
    hardware = category(team)
    contact = make_contact(amy, customer=make_customer(amy))
    seen = []

    def listener(event, ticket, **details):
        seen.append((event, ticket.owner_id, details.get("previous")))

    tickets.subscribe(listener)
    try:
        ticket = make_ticket(None, contact=contact, category_id=hardware.id)
    finally:
        tickets.unsubscribe(listener)
    assert (ticket.team_id, ticket.owner_id) == (team.id, amy.id)
    assert ("assigned", amy.id, None) in seen


def test_a_ticket_routed_to_another_team_is_not_dealt(team):
    amy = make_user(Role.SUPPORT, team=team)
    other = make_team("Other")
    hardware = category(team)
    ticket = make_ticket(amy, category_id=hardware.id, team_id=other.id)
    assert (ticket.team_id, ticket.owner_id) == (other.id, None)
