"""Outgoing email over SMTP, with one connection reused for a batch of messages."""

from __future__ import annotations

import smtplib
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app


def build_message(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="rapport.local")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


@contextmanager
def smtp_connection():
    """An SMTP connection built from the MAIL_* settings, closed when the block ends."""
    config = current_app.config
    factory = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    server = factory(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config["MAIL_USE_TLS"]:
            server.starttls()
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield server
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()


def send(message: EmailMessage) -> None:
    """Send one message on its own connection (batches use smtp_connection directly)."""
    with smtp_connection() as server:
        server.send_message(message)
