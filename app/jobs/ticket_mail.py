"""Jobs of the service desk's email channel: send a reply or an acknowledgement after the
transaction that wrote it committed, and poll the support mailbox over IMAP."""

from __future__ import annotations

import imaplib
import logging

from flask import current_app

from app import queues
from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.service import Ticket, TicketComment
from app.services import ticket_mail, ticket_mail_sending

log = logging.getLogger(__name__)
_POLL_LOCK = "rapport:imap-poll"


@background_job
def send_ticket_reply(comment_id: int, *, actor=None) -> None:
    """Email the public reply `comment_id` to its ticket's contact (once)."""
    comment = db.session.get(TicketComment, comment_id)
    sent = comment is not None and ticket_mail_sending.send_reply(comment)
    finish(message="sent" if sent else "nothing to send")


@background_job
def send_ticket_acknowledgement(ticket_id: int, *, actor=None) -> None:
    """Tell the contact who emailed ticket `ticket_id` that it arrived (once)."""
    ticket = db.session.get(Ticket, ticket_id)
    sent = ticket is not None and ticket_mail_sending.send_acknowledgement(ticket)
    finish(message="sent" if sent else "nothing to send")


def connect() -> imaplib.IMAP4:
    """A logged-in IMAP connection to RAPPORT_IMAP_FOLDER, from the RAPPORT_IMAP_* settings."""
    config = current_app.config
    factory = imaplib.IMAP4_SSL if config["RAPPORT_IMAP_SSL"] else imaplib.IMAP4
    imap = factory(config["RAPPORT_IMAP_HOST"], config["RAPPORT_IMAP_PORT"], timeout=30)
    imap.login(config["RAPPORT_IMAP_USER"], config["RAPPORT_IMAP_PASSWORD"])
    status, _ = imap.select(config["RAPPORT_IMAP_FOLDER"])
    if status != "OK":
        imap.logout()
        raise RuntimeError(f"IMAP folder {config['RAPPORT_IMAP_FOLDER']!r} cannot be opened")
    return imap


def _raw_message(response: list) -> bytes | None:
    for item in response or []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None


def take_in_mailbox(imap) -> dict[str, int]:
    """Ingest every unseen message of the selected folder, committing each one and only
    then marking it \\Seen; a message that fails stays unseen for the next poll, one that
    is not an email at all is marked \\Seen and \\Flagged for a person to look at."""
    status, data = imap.uid("SEARCH", None, "UNSEEN")
    if status != "OK":
        raise RuntimeError(f"IMAP search failed: {data!r}")
    uids = (data[0] or b"").split() if data else []
    counts = {"created": 0, "threaded": 0, "ignored": 0, "duplicate": 0, "failed": 0}
    for done, uid in enumerate(uids):
        status, response = imap.uid("FETCH", uid, "(BODY.PEEK[])")
        raw = _raw_message(response) if status == "OK" else None
        if raw is None:
            counts["failed"] += 1
            continue
        try:
            result = ticket_mail.ingest(raw)
            db.session.commit()
        except ticket_mail.MailUnreadable:
            db.session.rollback()
            log.warning("IMAP message %s is not an email; flagged", uid)
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen \\Flagged)")
            counts["failed"] += 1
            continue
        except Exception:
            db.session.rollback()
            log.exception("IMAP message %s could not be taken in; left unseen", uid)
            counts["failed"] += 1
            continue
        imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        counts[result.action] += 1
        report_progress(done + 1, len(uids))
    return counts


@background_job
def poll_imap(*, actor=None) -> dict[str, int]:
    """Take in the support mailbox's new mail (the cron job, every 2 minutes)."""
    if not current_app.config.get("RAPPORT_IMAP_HOST"):
        return {}
    redis = queues.connection()
    # One poller at a time: a slow poll must not overlap the next one.
    if not redis.set(_POLL_LOCK, 1, nx=True, ex=current_app.config["JOB_TIMEOUT"]):
        finish(message="another poll is running")
        return {}
    try:
        imap = connect()
        try:
            counts = take_in_mailbox(imap)
        finally:
            try:
                imap.close()
                imap.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
    finally:
        redis.delete(_POLL_LOCK)
    finish(message=", ".join(f"{name} {count}" for name, count in counts.items()))
    return counts
