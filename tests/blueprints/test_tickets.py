"""The ticket pages as an agent meets them: logging a call with its channel, the ticket
page with its conversation, replies and notes through htmx, status and assignment buttons,
editing, merging duplicates, and who may see and do what."""

import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.service import Ticket, TicketAttachment, TicketChannel, TicketStatus
from app.services import tickets
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_contact, make_customer, make_team, make_ticket, make_user


def _agent(team=None, **fields):
    return make_user(Role.SUPPORT, team=team or make_team(), **fields)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_an_agent_logs_a_phone_call_for_a_contact(login):
    agent = _agent(name="Amy")
    customer = make_customer(agent, name="Acme")
    contact = make_contact(agent, customer=customer, first_name="Carl", last_name="Client")
    client = login(agent)
    page = client.get(f"/tickets/new?contact_id={contact.id}").get_data(as_text=True)
    assert 'id="ticket-form"' in page and "Carl" in page
    assert re.search(rf'<option selected value="{customer.id}">Acme', page)
    for channel in ("PHONE", "CHAT", "SOCIAL", "EMAIL", "WEB"):
        assert f'value="{channel}"' in page
    response = post_form(
        client,
        "/tickets/new",
        {"subject": "Printer jams", "customer_id": customer.id, "contact_id": contact.id,
         "priority": "HIGH", "channel": "CHAT", "description": "Page 2",
         "attachments": (io.BytesIO(b"paper jam"), "jam.log")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")
    assert (ticket.channel, ticket.contact_id, ticket.team_id) == (
        TicketChannel.CHAT, contact.id, agent.team_id,
    )  # fmt: skip
    assert _count(TicketAttachment) == 1


def test_a_bad_ticket_is_shown_again_with_every_message_and_nothing_saved(login):
    client = login(_agent())
    response = post_form(
        client,
        "/tickets/new",
        {"subject": "", "priority": "SOMETIMES", "channel": "PHONE"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="ticket-form"' in html
    assert "Say what the ticket is about." in html and "Choose one of" in html
    assert _count(Ticket) == 0


def test_a_refused_attachment_refuses_the_whole_ticket(login):
    client = login(_agent())
    response = post_form(
        client,
        "/tickets/new",
        {"subject": "Screenshot", "priority": "LOW", "channel": "WEB",
         "attachments": (io.BytesIO(b"<html>"), "shot.png")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 200
    assert "not really a .png" in response.get_data(as_text=True)
    assert _count(Ticket) == 0 and _count(TicketAttachment) == 0


def test_the_ticket_page_shows_the_header_the_conversation_and_the_forms(login):
    agent = _agent(name="Amy")
    customer = make_customer(agent, name="Acme")
    ticket = make_ticket(agent, subject="Printer jams", customer_id=customer.id,
                         priority="URGENT", description="It jams")  # fmt: skip
    tickets.add_comment(ticket, agent, "We are on it")
    tickets.add_comment(ticket, agent, "Check the toner", internal=True)
    db.session.commit()
    html = login(agent).get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert ticket.number in html and "Printer jams" in html and "Acme" in html
    assert 'data-status="OPEN"' in html and 'data-priority="URGENT"' in html
    assert html.index("It jams") < html.index("We are on it") < html.index("Check the toner")
    assert 'class="ticket-comment ticket-comment-internal"' in html
    assert 'class="ticket-comment ticket-comment-public"' in html
    assert 'id="ticket-reply-form"' in html and 'name="internal"' in html
    assert 'id="status-resolved"' in html and 'id="assign-to-me"' in html
    assert 'id="ticket-merge-form"' in html and 'id="history-tickets-' in html


def test_a_reply_and_a_note_through_htmx_rerender_the_conversation(login):
    agent = _agent(name="Amy")
    ticket = make_ticket(agent)
    client = login(agent)
    response = htmx_post(client, f"/tickets/{ticket.id}/reply", {"body": "Please restart it"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="ticket-conversation">')
    assert "Please restart it" in html and "Public reply" in html
    assert "ticketChanged" in response.headers["HX-Trigger"]
    assert '<section id="ticket-attachments" hx-swap-oob="true">' in html
    note = htmx_post(client, f"/tickets/{ticket.id}/reply", {"body": "Hmm", "internal": "y"})
    assert "Internal note" in note.get_data(as_text=True)
    comments = tickets.comments_of(ticket)
    assert [(c.body, c.is_internal) for c in comments] == [
        ("Please restart it", False), ("Hmm", True),
    ]  # fmt: skip
    empty = htmx_post(client, f"/tickets/{ticket.id}/reply", {"body": "  "})
    assert empty.status_code == 200 and "Write a message." in empty.get_data(as_text=True)
    assert len(tickets.comments_of(ticket)) == 2


def test_status_buttons_move_the_ticket_and_refuse_what_is_not_allowed(login):
    agent = _agent()
    ticket = make_ticket(agent)
    client = login(agent)
    response = post_form(client, f"/tickets/{ticket.id}/status", {"status": "RESOLVED"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status is TicketStatus.RESOLVED and ticket.resolved_at is not None
    post_form(client, f"/tickets/{ticket.id}/status", {"status": "CLOSED"})
    refused = post_form(
        client, f"/tickets/{ticket.id}/status", {"status": "PENDING"}, follow_redirects=True
    )
    assert "A closed ticket can only be reopened." in refused.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.status is TicketStatus.CLOSED


def test_assign_to_me_and_to_a_colleague(login):
    team = make_team()
    agent, colleague = _agent(team), _agent(team, name="Cole")
    ticket = make_ticket(colleague)
    client = login(agent)
    post_form(client, f"/tickets/{ticket.id}/assign", {"me": "1"})
    db.session.refresh(ticket)
    assert ticket.owner_id == agent.id
    post_form(client, f"/tickets/{ticket.id}/assign", {"owner_id": colleague.id})
    db.session.refresh(ticket)
    assert ticket.owner_id == colleague.id
    post_form(client, f"/tickets/{ticket.id}/assign", {"owner_id": ""})
    db.session.refresh(ticket)
    assert ticket.owner_id is None


def test_the_edit_form_changes_the_ticket(login):
    agent = _agent()
    ticket = make_ticket(agent, subject="Old")
    client = login(agent)
    assert 'value="Old"' in client.get(f"/tickets/{ticket.id}/edit").get_data(as_text=True)
    response = post_form(
        client, f"/tickets/{ticket.id}/edit",
        {"subject": "New", "priority": "LOW", "channel": "EMAIL", "description": "x"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert (ticket.subject, ticket.channel.value) == ("New", "EMAIL")


def test_duplicates_are_merged_by_number(login):
    agent = _agent()
    target, duplicate = make_ticket(agent), make_ticket(agent)
    client = login(agent)
    missing = post_form(client, f"/tickets/{target.id}/merge", {"numbers": "T-999999"})
    assert "No such ticket: T-999999." in missing.get_data(as_text=True)
    itself = post_form(client, f"/tickets/{target.id}/merge", {"numbers": target.number})
    assert "cannot be merged into itself" in itself.get_data(as_text=True)
    response = post_form(client, f"/tickets/{target.id}/merge", {"numbers": duplicate.number})
    assert response.status_code == 302
    db.session.refresh(duplicate)
    assert duplicate.merged_into_id == target.id and duplicate.status is TicketStatus.CLOSED
    page = client.get(f"/tickets/{duplicate.id}").get_data(as_text=True)
    assert 'id="ticket-merged"' in page and 'id="status-open"' not in page


def test_another_teams_ticket_is_not_found_and_a_reader_cannot_change_one(login):
    team = make_team()
    ticket = make_ticket(_agent(team))
    outsider = _agent()
    client = login(outsider)
    for path in ("", "/edit", "/merge"):
        assert client.get(f"/tickets/{ticket.id}{path}").status_code == 404
    assert (
        post_form(client, f"/tickets/{ticket.id}/status", {"status": "CLOSED"}).status_code == 404
    )
    assert client.get("/tickets/999999").status_code == 404


def test_a_sales_rep_reads_the_teams_tickets_but_cannot_change_them(login):
    team = make_team()
    ticket = make_ticket(_agent(team))
    rep = make_user(Role.SALES, team=team)
    client = login(rep)
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert ticket.number in html and 'id="ticket-reply-form"' not in html
    response = htmx_post(client, f"/tickets/{ticket.id}/reply", {"body": "Hi"})
    assert response.status_code == 403
    assert tickets.comments_of(ticket) == []


def test_changes_need_the_csrf_token(login):
    agent = _agent()
    ticket = make_ticket(agent)
    client = login(agent)
    csrf_token(client, "/")  # a session with a token exists; the posts carry none
    for path, data in (("reply", {"body": "x"}), ("status", {"status": "CLOSED"}),
                       ("assign", {"me": "1"}), ("merge", {"numbers": "T-1"})):  # fmt: skip
        assert client.post(f"/tickets/{ticket.id}/{path}", data=data).status_code == 400
    assert tickets.comments_of(ticket) == [] and ticket.status is TicketStatus.OPEN


def test_a_file_sent_with_a_reply_is_listed_on_it_and_in_the_attachments(login):
    agent = _agent()
    ticket = make_ticket(agent)
    client = login(agent)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    response = client.post(
        f"/tickets/{ticket.id}/reply",
        data={"body": "Log attached", "attachments": (io.BytesIO(b"boom"), "app.log")},
        headers=headers,
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    (attachment,) = db.session.scalars(sa.select(TicketAttachment)).all()
    link = f"/tickets/{ticket.id}/attachments/{attachment.id}"
    assert html.count(link) == 2 and attachment.comment_id == tickets.comments_of(ticket)[0].id


def test_the_contact_picker_follows_the_chosen_customer_and_history_is_shown(login):
    agent = _agent()
    acme = make_customer(agent, name="Acme")
    make_contact(agent, customer=acme, first_name="Carl", last_name="Acme")
    make_contact(agent, customer=make_customer(agent), first_name="Olga", last_name="Other")
    ticket = make_ticket(agent, subject="Logged")
    client = login(agent)
    html = client.get(f"/tickets/customer-fields?customer_id={acme.id}").get_data(as_text=True)
    assert 'id="ticket-contact-field"' in html and "Carl" in html and "Olga" not in html
    history = client.get(f"/history/tickets/{ticket.id}")
    assert history.status_code == 200 and "Logged" in history.get_data(as_text=True)
