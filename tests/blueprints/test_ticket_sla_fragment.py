"""The SLA fragment on the ticket page and the queue's due macro: due times with a
countdown the server writes ("in 2 h 10 min", "overdue by 15 min") and the script keeps
live, the paused state while PENDING, and breach badges."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template, render_template_string

from app.extensions import db
from app.models.identity import Role
from app.models.service import SlaBreach, SlaTarget
from app.services import tickets
from tests.factories import make_ticket, make_user


def _render(app, ticket) -> str:
    with app.test_request_context("/"):
        return render_template("service/_ticket_sla.html", ticket=ticket)


def test_due_times_with_countdowns(app):
    now = datetime.now(UTC)
    ticket = make_ticket()
    ticket.first_response_due_at = now - timedelta(minutes=15, seconds=10)
    ticket.resolution_due_at = now + timedelta(hours=2, minutes=10, seconds=30)
    db.session.commit()

    html = _render(app, ticket)
    assert "overdue by 15 min" in html and "in 2 h 10 min" in html
    assert html.count("data-due=") == 2 and "js/countdown.js" in html
    assert "Missed" not in html and "Paused" not in html


def test_paused_while_pending_and_breach_badges(app):
    agent = make_user(Role.SUPPORT)
    ticket = make_ticket(agent)
    ticket.first_response_due_at = datetime.now(UTC) - timedelta(hours=1)
    ticket.resolution_due_at = datetime.now(UTC) + timedelta(days=3)
    db.session.add(
        SlaBreach(ticket_id=ticket.id, target=SlaTarget.FIRST_RESPONSE,
                  due_at=ticket.first_response_due_at)
    )  # fmt: skip
    tickets.set_status(ticket, agent, "PENDING")
    db.session.commit()

    html = _render(app, ticket)
    assert "Paused" in html and "waits on the customer" in html
    assert "Missed" in html and "Breached" in html
    assert "data-due=" not in html  # no countdown while the clock is stopped


def test_a_ticket_without_a_policy_says_so(app):
    assert "no due times" in _render(app, make_ticket())


def test_the_queue_macro_shows_the_next_due_time(app):
    ticket = make_ticket()
    ticket.first_response_due_at = datetime.now(UTC) + timedelta(days=1, hours=3, minutes=1)
    db.session.commit()
    source = '{% from "_macros/sla.html" import sla_due %}{{ sla_due(ticket) }}'
    with app.test_request_context("/"):
        html = render_template_string(source, ticket=ticket)
    assert "in 1 d 3 h" in html and f'id="sla-due-{ticket.id}"' in html


def test_the_ticket_page_includes_it(app, client, login):
    if "service.ticket_show" not in app.view_functions:
        pytest.skip("the ticket page is not built yet")
    agent = make_user(Role.SUPPORT)
    ticket = make_ticket(agent, owner_id=agent.id)
    ticket.resolution_due_at = datetime.now(UTC) + timedelta(hours=5)
    db.session.commit()
    login(agent)
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'id="ticket-{ticket.id}-sla"' in html and "in 4 h 59 min" in html
