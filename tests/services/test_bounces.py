"""Bounces: a Postfix delivery status notification is read (RFC 3464) and marks the
address and the campaign recipient row; arriving at the support mailbox it creates no
ticket; the webhook's body and signature are checked."""

import hashlib
import hmac
import json
import time
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import CampaignRecipient, EventKind, MarketingEvent
from app.models.service import Ticket
from app.services import bounces, email_preferences
from app.services.ticket_mail import ingest
from tests.factories import make_contact, make_user
from tests.marketing_factories import make_campaign

ORIGINAL_ID = "<171234.5678.abcdef@rapport.local>"

# What Postfix sends back when the remote server refuses a recipient (one permanent
# failure, one delayed recipient that must be ignored), the original's headers attached.
POSTFIX_DSN = f"""\
Return-Path: <>
Received: by mx.rapport.local (Postfix) id 4F2D81C0A2; Tue, 12 Mar 2024 10:15:02 +0000 (UTC)
Date: Tue, 12 Mar 2024 10:15:02 +0000 (UTC)
From: MAILER-DAEMON@mx.rapport.local (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: support@rapport.local
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4F2D81C0A2.1710238502/mx.rapport.local"
Content-Transfer-Encoding: 8bit
Message-Id: <20240312101502.4F2D81C0A2@mx.rapport.local>

This is a MIME-encapsulated message.

--4F2D81C0A2.1710238502/mx.rapport.local
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mx.rapport.local.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<Gone.User@customer.example>: host mx.customer.example[203.0.113.5] said:
    550 5.1.1 <gone.user@customer.example>: Recipient address rejected: User
    unknown in virtual mailbox table (in reply to RCPT TO command)

--4F2D81C0A2.1710238502/mx.rapport.local
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.rapport.local
X-Postfix-Queue-ID: 4F2D81C0A2
X-Postfix-Sender: rfc822; marketing@rapport.local
Arrival-Date: Tue, 12 Mar 2024 10:14:58 +0000 (UTC)

Final-Recipient: rfc822; Gone.User@customer.example
Original-Recipient: rfc822;Gone.User@customer.example
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.customer.example
Diagnostic-Code: smtp; 550 5.1.1 <gone.user@customer.example>: Recipient address
    rejected: User unknown in virtual mailbox table

Final-Recipient: rfc822; slow@customer.example
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx2.customer.example[203.0.113.6]:25:
    Connection timed out

--4F2D81C0A2.1710238502/mx.rapport.local
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

Return-Path: <marketing@rapport.local>
Received: by mx.rapport.local (Postfix, from userid 1000) id 4F2D81C0A2
From: Rapport <marketing@rapport.local>
To: gone.user@customer.example
Subject: Our spring newsletter
Message-ID: {ORIGINAL_ID}
Date: Tue, 12 Mar 2024 10:14:58 +0000

--4F2D81C0A2.1710238502/mx.rapport.local--
""".replace("\n", "\r\n").encode()


def _dsn():
    return message_from_bytes(POSTFIX_DSN, policy=policy.default)


def _sent_recipient(email="gone.user@customer.example", message_id=ORIGINAL_ID):
    rep = make_user(Role.MARKETING)
    contact = make_contact(rep, email=email)
    campaign = make_campaign(rep)
    recipient = CampaignRecipient(
        campaign_id=campaign.id,
        contact_id=contact.id,
        email=email,
        message_id=message_id,
        sent_at=utcnow(),
    )
    db.session.add(recipient)
    db.session.commit()
    return recipient


def test_a_postfix_dsn_yields_its_permanent_failure_only():
    (bounce,) = bounces.parse_dsn(_dsn())
    assert bounce.email == "gone.user@customer.example"
    assert (bounce.status, bounce.action, bounce.hard) == ("5.1.1", "failed", True)
    assert "User unknown in virtual mailbox table" in bounce.diagnostic
    assert bounce.original_message_id == ORIGINAL_ID


def test_the_original_message_id_is_also_read_from_an_attached_message():
    raw = POSTFIX_DSN.replace(b"Content-Type: text/rfc822-headers", b"Content-Type: message/rfc822")
    (bounce,) = bounces.parse_dsn(message_from_bytes(raw, policy=policy.default))
    assert bounce.original_message_id == ORIGINAL_ID


def test_a_plain_email_is_no_dsn():
    message = message_from_bytes(
        b"From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n", policy=policy.default
    )
    assert bounces.parse_dsn(message) == []


def test_ingesting_a_dsn_marks_the_address_and_the_recipient_found_by_message_id():
    recipient = _sent_recipient()
    assert bounces.ingest_dsn(_dsn()) == 1
    db.session.commit()
    pref = email_preferences.preference("gone.user@customer.example")
    assert pref.bounced_at is not None and pref.bounce_count == 1
    assert "5.1.1" in pref.bounce_reason
    db.session.refresh(recipient)
    assert recipient.bounced_at is not None
    event = db.session.scalar(
        sa.select(MarketingEvent).where(MarketingEvent.kind == EventKind.BOUNCE)
    )
    assert (event.contact_id, event.campaign_id) == (recipient.contact_id, recipient.campaign_id)
    assert email_preferences.preference("slow@customer.example") is None


def test_without_the_message_id_the_latest_send_to_the_address_is_marked():
    recipient = _sent_recipient(message_id="<other@rapport.local>")
    bounces.ingest_dsn(_dsn())
    db.session.commit()
    db.session.refresh(recipient)
    assert recipient.bounced_at is not None


def test_a_dsn_at_the_support_mailbox_marks_the_bounce_and_opens_no_ticket():
    _sent_recipient()
    result = ingest(POSTFIX_DSN)
    db.session.commit()
    assert result.action == "ignored"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    assert email_preferences.preference("gone.user@customer.example").bounced_at is not None


# -- the webhook -------------------------------------------------------------------------


def _sign(secret: str, timestamp: str, body: bytes) -> str:
    return (
        "sha256="
        + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )


def test_webhook_signatures_are_checked_with_the_timestamp():
    body = b'{"email": "a@b.test"}'
    now = str(int(time.time()))
    assert bounces.webhook_signature_ok("s3cret", body, _sign("s3cret", now, body), now)
    assert not bounces.webhook_signature_ok("s3cret", body, _sign("other", now, body), now)
    assert not bounces.webhook_signature_ok("s3cret", body + b" ", _sign("s3cret", now, body), now)
    stale = str(int(time.time()) - 400)
    assert not bounces.webhook_signature_ok("s3cret", body, _sign("s3cret", stale, body), stale)
    assert not bounces.webhook_signature_ok("s3cret", body, _sign("s3cret", "x", body), "x")


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"reason": "x"}', b'{"email": "a@b.test", "type": "maybe"}', b"[1]"],
)
def test_a_bad_webhook_body_is_refused(body):
    with pytest.raises(bounces.WebhookInvalid):
        bounces.parse_webhook(body)


def test_webhook_items_become_hard_and_soft_bounces():
    body = json.dumps(
        [
            {"email": " A@B.test ", "reason": "550 no user", "type": "hard", "message_id": "<m@x>"},
            {"email": "c@d.test", "reason": "mailbox full", "type": "soft"},
        ]
    ).encode()
    hard, soft = bounces.parse_webhook(body)
    assert (hard.email, hard.hard, hard.original_message_id) == ("a@b.test", True, "<m@x>")
    assert (soft.email, soft.hard) == ("c@d.test", False)
    assert bounces.apply_webhook([hard, soft]) == 2
    assert email_preferences.preference("a@b.test").bounced_at is not None
    assert email_preferences.preference("c@d.test").bounced_at is None


def test_a_dsn_for_an_address_we_never_mailed_marks_nothing():
    assert bounces.ingest_dsn(_dsn()) == 0
    assert email_preferences.preference("gone.user@customer.example") is None
