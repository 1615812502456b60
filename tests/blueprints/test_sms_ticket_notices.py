"""Ticket reply notices by text message: offered on the reply form only when the ticket's
contact has a number that has not opted out; ticked with a public reply, one text with the
ticket's number and portal link is sent after commit, once, shown under the reply and on
the ticket's history; never for a note, a missing number or an opted-out one."""

import sqlalchemy as sa

from app.extensions import db
from app.jobs.sms import send_sms_message
from app.models.identity import Role, User
from app.models.records import AuditEntry
from app.models.service import TicketComment
from app.models.sms import SmsMessage, SmsStatus
from app.services.sms import preferences, ticket_notices
from app.services.sms.providers import DevelopmentProvider
from tests.conftest import htmx_post
from tests.factories import make_contact, make_ticket, make_user


def _ticket(mobile: str = "555 010 0101"):
    agent = make_user(Role.SUPPORT, name="Amy Agent")
    contact = make_contact(agent, first_name="Ann", mobile=mobile)
    return agent, make_ticket(agent, contact_id=contact.id, subject="Printer on fire")


def test_a_ticked_public_reply_texts_the_customer_once(login, worker):
    agent, ticket = _ticket()
    client = login(agent)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert 'name="notify_sms"' in page and "+155••••0101" in page

    response = htmx_post(
        client, f"/tickets/{ticket.id}/reply", {"body": "We are on it", "notify_sms": "y"}
    )
    assert response.status_code == 200
    assert 'id="sms-notice-' in response.get_data(as_text=True)  # queued, shown at once
    worker()

    [recorded] = DevelopmentProvider.recorded()
    assert recorded["to"] == "+15550100101"
    assert recorded["body"] == (
        f"Your ticket {ticket.number} has a new reply: "
        f"http://rapport.test/portal/tickets/{ticket.id}"
    )
    message = db.session.scalars(sa.select(SmsMessage)).one()
    comment = db.session.scalars(sa.select(TicketComment)).one()
    assert (message.status, message.ticket_id, message.ticket_comment_id) == (
        SmsStatus.SENT,
        ticket.id,
        comment.id,
    )
    history = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "tickets", AuditEntry.entity_id == str(ticket.id)
        )
    ).all()
    assert any("sms_notice" in (entry.changes or {}) for entry in history)

    # The job running again, or the same reply asked again, texts nobody twice.
    message_id, comment_id, agent_id, ticket_id = message.id, comment.id, agent.id, ticket.id
    send_sms_message(message_id)
    comment = db.session.get(TicketComment, comment_id)
    assert ticket_notices.queue_reply_notice(comment, db.session.get(User, agent_id)) is None
    worker()
    assert DevelopmentProvider.recorded_count() == 1
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f'id="sms-notice-{message_id}"' in page and "sent" in page


def test_no_text_without_the_tick_or_for_an_internal_note(login, worker):
    agent, ticket = _ticket()
    client = login(agent)
    htmx_post(client, f"/tickets/{ticket.id}/reply", {"body": "Plain reply"})
    htmx_post(
        client, f"/tickets/{ticket.id}/reply", {"body": "Note", "internal": "y", "notify_sms": "y"}
    )
    worker()
    assert DevelopmentProvider.recorded_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 0


def test_not_offered_without_a_number_or_after_an_opt_out(login, worker):
    agent, ticket = _ticket(mobile="")
    client = login(agent)
    assert 'name="notify_sms"' not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    htmx_post(client, f"/tickets/{ticket.id}/reply", {"body": "Hi", "notify_sms": "y"})

    _agent, stopped = _ticket(mobile="555 010 0102")
    preferences.opt_out("+15550100102", source="sms_keyword", keyword="STOP")
    db.session.commit()
    assert 'name="notify_sms"' not in client.get(f"/tickets/{stopped.id}").get_data(as_text=True)
    htmx_post(client, f"/tickets/{stopped.id}/reply", {"body": "Hi", "notify_sms": "y"})
    worker()
    assert DevelopmentProvider.recorded_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 0
