"""The support mailbox is polled over IMAP (against a small IMAP server in a thread): new
mail becomes tickets and is marked \\Seen only once it is stored; the mail jobs send once."""

import re
import socketserver
import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.ticket_mail import poll_imap, send_ticket_reply, take_in_mailbox
from app.models.identity import Role
from app.models.service import Ticket
from app.services import tickets
from tests.factories import make_contact, make_ticket, make_user
from tests.services.test_ticket_mail import email


class Mailbox:
    def __init__(self, messages):
        self.messages = {uid: [raw, set()] for uid, raw in enumerate(messages, start=1)}
        self.logins = []


class _Imap(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 for imaplib: LOGIN, SELECT, UID SEARCH/FETCH/STORE."""

    def send(self, data: bytes) -> None:
        self.wfile.write(data)

    def handle(self):
        box = self.server.mailbox
        self.send(b"* OK fake IMAP ready\r\n")
        for line in self.rfile:
            tag, command, *rest = line.decode().rstrip("\r\n").split(" ", 2)
            args = rest[0] if rest else ""
            command = command.upper()
            if command == "CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1\r\n")
            elif command == "LOGIN":
                box.logins.append(args)
            elif command == "SELECT":
                self.send(f"* {len(box.messages)} EXISTS\r\n".encode())
            elif command == "UID":
                self._uid(box, args)
            elif command == "LOGOUT":
                self.send(b"* BYE\r\n" + tag.encode() + b" OK bye\r\n")
                return
            self.send(tag.encode() + b" OK done\r\n")

    def _uid(self, box, args):
        verb, _, rest = args.partition(" ")
        verb = verb.upper()
        if verb == "SEARCH":
            unseen = [str(u) for u, (_, flags) in box.messages.items() if "\\Seen" not in flags]
            self.send(("* SEARCH " + " ".join(unseen)).rstrip().encode() + b"\r\n")
        elif verb == "FETCH":
            uid = int(rest.split(" ")[0])
            raw = box.messages[uid][0]
            self.send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
            self.send(raw + b")\r\n")
        elif verb == "STORE":
            uid = int(rest.split(" ")[0])
            box.messages[uid][1].update(re.findall(r"\\\w+", rest))
            self.send(f"* {uid} FETCH (UID {uid})\r\n".encode())


@pytest.fixture
def imap_server(app, monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Imap)
    server.daemon_threads = True
    server.mailbox = Mailbox([])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name, value in {"HOST": "127.0.0.1", "PORT": server.server_address[1], "SSL": False,
                        "USER": "support", "PASSWORD": "secret"}.items():  # fmt: skip
        monkeypatch.setitem(app.config, f"RAPPORT_IMAP_{name}", value)
    yield server.mailbox
    server.shutdown()
    server.server_close()


def test_polling_takes_in_unseen_mail_and_marks_it_seen(imap_server, smtp, worker):
    imap_server.messages = Mailbox(
        [
            email(subject="First", message_id="<1@c.example>"),
            email(subject="Out of office", Auto_Submitted="auto-replied"),
            b"this is not an email",
            email(subject="Re: [T-000001] more", text="More details"),
        ]
    ).messages

    counts = poll_imap()

    assert counts == {"created": 1, "threaded": 1, "ignored": 1, "duplicate": 0, "failed": 1}
    assert imap_server.logins[0].startswith("support")
    flags = {uid: flags for uid, (_, flags) in imap_server.messages.items()}
    assert flags == {1: {"\\Seen"}, 2: {"\\Seen"}, 3: {"\\Seen", "\\Flagged"}, 4: {"\\Seen"}}
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.subject == "First"
    assert [c.body for c in tickets.comments_of(ticket)] == ["More details"]
    worker()
    assert [m["Subject"] for m in smtp] == ["[T-000001] We received your request"]

    assert poll_imap() == {"created": 0, "threaded": 0, "ignored": 0, "duplicate": 0,
                           "failed": 0}  # fmt: skip


def test_polling_is_off_without_a_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_IMAP_HOST", "")
    assert poll_imap() == {}


class _BrokenOnce:
    """An imaplib stand-in whose ingest fails: the message must stay unseen."""

    def __init__(self, raw):
        self.raw, self.stored = raw, []

    def uid(self, command, *args):
        if command == "SEARCH":
            return "OK", [b"7"]
        if command == "FETCH":
            return "OK", [(b"7 (UID 7 BODY[] {%d}" % len(self.raw), self.raw), b")"]
        self.stored.append(args)
        return "OK", [b""]


def test_a_message_that_fails_to_store_stays_unseen_for_the_next_poll(monkeypatch):
    from app.services import ticket_mail

    def fail(raw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ticket_mail, "ingest", fail)
    imap = _BrokenOnce(email())
    assert take_in_mailbox(imap)["failed"] == 1
    assert imap.stored == []
    monkeypatch.undo()
    assert take_in_mailbox(imap)["created"] == 1
    assert imap.stored == [(b"7", "+FLAGS", "(\\Seen)")]


def test_a_reply_job_run_twice_sends_once(smtp):
    agent = make_user(Role.SUPPORT)
    ticket = make_ticket(agent, contact_id=make_contact(agent, email="j@c.example").id)
    comment_id = tickets.add_comment(ticket, agent, "Fixed").id
    db.session.commit()
    send_ticket_reply(comment_id)
    send_ticket_reply(comment_id)
    assert len(smtp) == 1


def test_polls_do_not_overlap(imap_server):
    from app import queues

    imap_server.messages = Mailbox([email()]).messages
    queues.connection().set("rapport:imap-poll", 1)
    assert poll_imap() == {}
    queues.connection().delete("rapport:imap-poll")
    assert poll_imap()["created"] == 1


def test_the_poll_runs_as_a_queued_job_on_the_mail_queue(imap_server, smtp, worker):
    from app import queues

    imap_server.messages = Mailbox([email(subject="Queued")]).messages
    job = queues.enqueue(poll_imap, actor=None, title="Poll", queue_name="mail")
    worker()  # the poll, then the acknowledgement it queued
    job.refresh()
    assert job.is_finished and job.return_value()["created"] == 1
    assert [m["Subject"] for m in smtp] == ["[T-000001] We received your request"]
