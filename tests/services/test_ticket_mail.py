"""The email channel: mail in becomes tickets and replies, a colleague's public reply goes
out by email after the commit, and machines (auto-replies, bounces, loops) get nothing."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from app.models.service import Ticket, TicketChannel, TicketComment, TicketStatus
from app.services import tickets
from app.services.after_commit import call_after_commit, pending
from app.services.ticket_mail import MailUnreadable, ingest
from app.services.ticket_mail_reading import html_to_text
from tests.factories import make_contact, make_customer, make_ticket, make_user


def email(
    sender="Jane Roe <jane@customer.example>",
    to="support@rapport.local",
    subject="Printer on fire",
    text="It is on fire.\nPlease help.",
    html=None,
    **headers,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", None) or make_msgid(domain="customer.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    if text is not None:
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
    elif html:
        message.set_content(html, subtype="html")
    return message.as_bytes()


def ingest_and_commit(raw: bytes):
    result = ingest(raw)
    db.session.commit()
    return result


@pytest.fixture
def agent():
    return make_user(Role.SUPPORT, name="Amy Agent")


def test_mail_from_an_unknown_sender_opens_a_ticket_a_contact_and_one_acknowledgement(smtp, worker):
    raw = email(message_id="<first@customer.example>")
    result = ingest_and_commit(raw)

    assert result.action == "created"
    ticket = db.session.get(Ticket, result.ticket_id)
    contact = db.session.get(Contact, ticket.contact_id)
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Jane", "Roe", "jane@customer.example",
    )  # fmt: skip
    assert contact.customer_id is None and ticket.customer_id is None
    assert ticket.channel is TicketChannel.EMAIL and ticket.subject == "Printer on fire"
    assert ticket.description == "It is on fire.\nPlease help."
    assert ticket.email_message_id == "<first@customer.example>"

    worker()
    assert len(smtp) == 1
    ack = smtp[0]
    assert ack["To"] == "jane@customer.example"
    assert ack["Subject"] == f"[{ticket.number}] We received your request"
    assert ack["Reply-To"] == f"Rapport Support <support+{ticket.number}@rapport.local>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Rapport-Ticket"] == ticket.number
    assert ack["In-Reply-To"] == "<first@customer.example>"
    assert ticket.number in ack.get_body(("plain",)).get_content()

    worker()  # nothing more queued; a job run twice sends once
    from app.jobs.ticket_mail import send_ticket_acknowledgement

    send_ticket_acknowledgement(ticket.id)
    assert len(smtp) == 1


def test_a_known_sender_is_matched_case_insensitively(agent):
    customer = make_customer(agent, name="Acme")
    contact = make_contact(agent, customer=customer, email="Jane@Customer.example")
    ticket = db.session.get(Ticket, ingest_and_commit(email()).ticket_id)
    assert ticket.contact_id == contact.id and ticket.customer_id == customer.id
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 1


def _emailed_ticket(agent, status=TicketStatus.RESOLVED):
    result = ingest_and_commit(email(message_id="<opening@customer.example>"))
    ticket = db.session.get(Ticket, result.ticket_id)
    tickets.set_status(ticket, agent, status)
    db.session.commit()
    return ticket


@pytest.mark.parametrize(
    "how",
    ["plus address", "subject", "in-reply-to", "references to our reply"],
)
def test_a_reply_threads_onto_its_ticket_and_reopens_it(agent, how):
    ticket = _emailed_ticket(agent)
    ours = tickets.add_comment(ticket, agent, "Did you try water?")
    ours.email_message_id = "<reply-1@rapport.local>"
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    headers = {
        "plus address": {"to": f"support+{ticket.number.lower()}@rapport.local"},
        "subject": {"subject": f"Re: [{ticket.number}] Printer on fire"},
        "in-reply-to": {"In_Reply_To": "<opening@customer.example>", "subject": "Re: hi"},
        "references to our reply": {
            "References": "<other@x.example> <reply-1@rapport.local>", "subject": "Re: hi",
        },
    }[how]  # fmt: skip
    result = ingest_and_commit(email(text="Water made it worse.", **headers))

    assert (result.action, result.ticket_id) == ("threaded", ticket.id)
    db.session.refresh(ticket)
    assert ticket.status is TicketStatus.OPEN
    comment = tickets.comments_of(ticket)[-1]
    assert comment.body == "Water made it worse." and comment.is_from_customer
    assert comment.channel is TicketChannel.EMAIL
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 1


def test_the_quoted_conversation_is_cut_from_a_reply(agent):
    ticket = _emailed_ticket(agent, TicketStatus.OPEN)
    text = (
        "Thanks, fixed.\n\n> ##- Please type your reply above this line -##\n> Did you try water?"
    )
    ingest_and_commit(email(subject=f"Re: [{ticket.number}] x", text=text))
    assert tickets.comments_of(ticket)[-1].body == "Thanks, fixed."


def test_a_stranger_cannot_write_into_someone_elses_ticket(agent):
    ticket = _emailed_ticket(agent, TicketStatus.OPEN)
    result = ingest_and_commit(
        email(sender="mallory@evil.example", subject=f"Re: [{ticket.number}] pay here")
    )
    assert result.action == "created" and result.ticket_id != ticket.id
    assert result.reason == f"sender is not on {ticket.number}"
    assert len(tickets.comments_of(ticket)) == 0


AUTOMATIC = {
    "auto-submitted": {"Auto_Submitted": "auto-replied"},
    "vacation responder": {"X_Autoreply": "yes"},
    "autorespond": {"X_Autorespond": "on"},
    "bulk": {"Precedence": "bulk"},
    "list": {"Precedence": "list"},
    "mailer-daemon": {"sender": "Mail Delivery System <MAILER-DAEMON@mx.customer.example>"},
    "postmaster": {"sender": "postmaster@customer.example"},
    "empty return path": {"Return_Path": "<>"},
    "our own mail": {"sender": "support@rapport.local", "X_Rapport_Ticket": "T-000001"},
}


@pytest.mark.parametrize("kind", list(AUTOMATIC))
def test_automatic_mail_opens_nothing_and_gets_no_answer(kind, agent, smtp, worker):
    ticket = _emailed_ticket(agent, TicketStatus.OPEN)
    worker()
    smtp.clear()
    headers = dict(AUTOMATIC[kind])
    result = ingest_and_commit(email(subject=f"Out of office: [{ticket.number}]", **headers))
    worker()

    assert result.action == "ignored" and result.reason
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 1
    assert tickets.comments_of(ticket) == []
    assert smtp == []


def test_auto_submitted_no_is_a_person(smtp, worker):
    assert ingest_and_commit(email(Auto_Submitted="no")).action == "created"


def test_a_sender_flooding_the_desk_is_taken_for_a_loop(app, monkeypatch, smtp, worker):
    monkeypatch.setitem(app.config, "RAPPORT_MAIL_LOOP_LIMIT", 3)
    actions = [ingest_and_commit(email(subject=f"Hi {n}")).action for n in range(5)]
    assert actions == ["created"] * 3 + ["ignored"] * 2
    worker()
    assert len(smtp) == 3


def test_the_same_message_delivered_twice_is_taken_once(agent):
    raw = email(message_id="<twice@customer.example>")
    first = ingest_and_commit(raw)
    again = ingest_and_commit(raw)
    assert (again.action, again.ticket_id) == ("duplicate", first.ticket_id)
    reply = email(message_id="<reply-twice@x>", subject="Re: [T-000001] x")
    assert ingest_and_commit(reply).action == "threaded"
    assert ingest_and_commit(reply).action == "duplicate"
    assert db.session.scalar(sa.select(sa.func.count(TicketComment.id))) == 1


def test_html_only_mail_is_stored_as_plain_text():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        "<body><p>Hello &amp; <b>welcome</b></p><ul><li>one</li><li>two</li></ul>"
        "<img src=x onerror=alert(2)></body></html>"
    )
    ticket = db.session.get(Ticket, ingest_and_commit(email(text=None, html=html)).ticket_id)
    assert ticket.description == "Hello & welcome\n\n- one\n\n- two"
    assert "<" not in ticket.description and "alert" not in ticket.description


def test_plain_text_is_preferred_to_html():
    raw = email(text="Plain words", html="<p>Rich words</p>")
    assert db.session.get(Ticket, ingest(raw).ticket_id).description == "Plain words"


def test_html_to_text_drops_markup_safely():
    assert html_to_text("<div>a<br>b</div><!-- c --><p>&lt;script&gt;</p>") == "a\nb\n\n<script>"


def test_input_that_is_not_an_email_is_refused():
    for raw in (b"", b"   \n", b"no headers at all", b"Subject: x\n\nno sender"):
        with pytest.raises(MailUnreadable):
            ingest(raw)


def test_an_agents_public_reply_is_emailed_after_the_commit(agent, smtp, worker):
    ticket = db.session.get(Ticket, ingest_and_commit(email(message_id="<o@c.example>")).ticket_id)
    worker()
    smtp.clear()

    comment = tickets.add_comment(ticket, agent, "Unplug it, then plug it back in.")
    worker()
    assert smtp == []  # not before the commit
    db.session.commit()
    worker()

    assert len(smtp) == 1
    sent = smtp[0]
    assert sent["Subject"] == f"[{ticket.number}] Printer on fire"
    assert sent["From"] == "Rapport Support <support@rapport.local>"
    assert sent["Reply-To"] == f"Rapport Support <support+{ticket.number}@rapport.local>"
    assert sent["In-Reply-To"] == "<o@c.example>" and "<o@c.example>" in sent["References"]
    assert sent["X-Rapport-Ticket"] == ticket.number and sent["Auto-Submitted"] is None
    assert "Unplug it" in sent.get_body(("plain",)).get_content()
    db.session.refresh(comment)
    assert comment.email_message_id == sent["Message-ID"]

    # The customer's answer to it threads by In-Reply-To alone.
    answer = email(subject="Re: thanks", In_Reply_To=sent["Message-ID"], text="Works now")
    assert ingest_and_commit(answer).ticket_id == ticket.id


def test_nothing_is_sent_when_the_reply_rolls_back(agent, smtp, worker):
    contact = make_contact(agent, email="jane@customer.example")
    ticket = make_ticket(agent, contact_id=contact.id)
    tickets.add_comment(ticket, agent, "Never mind")
    assert pending() == 1
    db.session.rollback()
    assert pending() == 0
    db.session.commit()
    worker()
    assert smtp == []


def test_internal_notes_and_contacts_without_email_get_nothing(agent, smtp, worker):
    contact = make_contact(agent, email="jane@customer.example")
    ticket = make_ticket(agent, contact_id=contact.id)
    tickets.add_comment(ticket, agent, "Customer is grumpy", internal=True)
    no_email = make_ticket(agent, contact_id=make_contact(agent).id)
    tickets.add_comment(no_email, agent, "Called them instead")
    db.session.commit()
    worker()
    assert smtp == []


def test_after_commit_calls_run_once_on_commit_and_never_after_a_rollback():
    calls = []
    call_after_commit(lambda: calls.append("kept"))
    db.session.commit()
    db.session.commit()
    call_after_commit(lambda: calls.append("dropped"))
    db.session.rollback()
    db.session.commit()
    call_after_commit(lambda: calls.append("closed"))
    db.session.close()
    db.session.commit()
    assert calls == ["kept"]


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _with_attachments(raw: bytes, *files) -> bytes:
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    for filename, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def test_attachments_are_kept_on_the_ticket_and_on_the_reply(agent):
    from app.services import ticket_attachments

    raw = _with_attachments(
        email(), ("screen.png", PNG, "image", "png"), ("../../etc/evil.exe", b"MZ", "application",
                                                        "octet-stream"),
    )  # fmt: skip
    ticket = db.session.get(Ticket, ingest_and_commit(raw).ticket_id)
    files = ticket_attachments.attachments_of(ticket)
    assert [(f.filename, f.content_type, f.size, f.comment_id) for f in files] == [
        ("screen.png", "image/png", len(PNG), None)
    ]  # the executable is refused, the rest is kept

    reply = _with_attachments(
        email(subject=f"Re: [{ticket.number}]", text="Log attached"),
        ("trace.log", b"line 1\n", "text", "plain"),
    )
    ingest_and_commit(reply)
    comment = tickets.comments_of(ticket)[-1]
    assert comment.body == "Log attached"
    names = [(f.filename, f.comment_id) for f in ticket_attachments.attachments_of(ticket)]
    assert names == [("screen.png", None), ("trace.log", comment.id)]


def test_new_email_tickets_go_to_the_support_team(app, monkeypatch):
    from tests.factories import make_team

    team = make_team("Helpdesk")
    monkeypatch.setitem(app.config, "RAPPORT_SUPPORT_TEAM", "Helpdesk")
    assert db.session.get(Ticket, ingest_and_commit(email()).ticket_id).team_id == team.id
