"""Bounces of marketing email: delivery status notifications (RFC 3464 DSNs, which arrive
at the support mailbox through the email channel) and a mail provider's bounce webhook.
Each marks the address in app.services.email_preferences, and the campaign recipient row
the bounce belongs to, found by the original Message-ID first, else by address."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import re
import time
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

import sqlalchemy as sa

from app.extensions import db
from app.models.marketing import CampaignRecipient
from app.services import email_preferences

log = logging.getLogger("rapport.bounces")
WEBHOOK_MAX_SKEW = 300  # seconds
WEBHOOK_MAX_ITEMS = 1000
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


@dataclasses.dataclass(frozen=True)
class Bounce:
    email: str
    status: str  # the enhanced status code, "5.1.1"
    action: str  # "failed" (the only action reported: delayed mail has not bounced)
    diagnostic: str
    original_message_id: str  # "<...>", or "" when the report does not carry it

    @property
    def hard(self) -> bool:
        """A permanent failure (5.x.x); a failed 4.x.x (given up after retries) is soft."""
        return self.status.startswith("5")


class WebhookInvalid(ValueError):
    """The webhook's body is not the documented JSON."""


def _field(block: Message, name: str) -> str:
    return " ".join(str(block.get(name, "") or "").split())


def _typed_value(value: str) -> str:
    """'rfc822; user@example.com' -> 'user@example.com'."""
    return value.partition(";")[2].strip() if ";" in value else value.strip()


def _status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some parsers leave the fields as text: blocks separated by blank lines.
    text = payload if isinstance(payload, str) else ""
    return [
        message_from_bytes(chunk.strip().encode("utf-8", "replace"), policy=policy.compat32)
        for chunk in re.split(r"\r?\n\s*\r?\n", text)
        if chunk.strip()
    ]


def _original_message_id(message: Message) -> str:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message):
                found = _MESSAGE_ID.search(str(inner.get("Message-ID", "")))
                return found.group(0) if found else ""
        if content_type == "text/rfc822-headers":
            payload = part.get_payload(decode=True) or b""
            headers = message_from_bytes(payload, policy=policy.compat32)
            found = _MESSAGE_ID.search(str(headers.get("Message-ID", "")))
            return found.group(0) if found else ""
    return ""


def parse_dsn(message: EmailMessage) -> list[Bounce]:
    """The failed recipients a delivery status notification reports (multipart/report;
    report-type=delivery-status); [] for any other message."""
    if message.get_content_type() != "multipart/report":
        return []
    if (message.get_param("report-type") or "").lower() != "delivery-status":
        return []
    original = _original_message_id(message)
    found = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            email = _typed_value(_field(block, "Final-Recipient")) or _typed_value(
                _field(block, "Original-Recipient")
            )
            action = _field(block, "Action").lower()
            if "@" not in email or action != "failed":
                continue
            diagnostic = _typed_value(_field(block, "Diagnostic-Code"))
            status = _STATUS.search(_field(block, "Status") or diagnostic)
            found.append(
                Bounce(
                    email=email_preferences.normalise(email),
                    status=status.group(0) if status else "5.0.0",
                    action=action,
                    diagnostic=diagnostic[:500],
                    original_message_id=original,
                )
            )
    return found


def _recipient(email: str, message_id: str = "") -> CampaignRecipient | None:
    if message_id:
        bare = message_id.strip("<>")
        recipient = db.session.scalar(
            sa.select(CampaignRecipient)
            .where(CampaignRecipient.message_id.in_([f"<{bare}>", bare]))
            .limit(1)
        )
        if recipient is not None:
            return recipient
    return db.session.scalar(
        sa.select(CampaignRecipient)
        .where(CampaignRecipient.email == email, CampaignRecipient.sent_at.is_not(None))
        .order_by(CampaignRecipient.sent_at.desc(), CampaignRecipient.id.desc())
        .limit(1)
    )


def apply(bounce: Bounce, *, source: str, require_recipient: bool = False) -> bool:
    """Mark the bounce; with `require_recipient`, only when it answers a campaign email
    we sent to that address (so a forged report cannot silence an arbitrary address)."""
    recipient = _recipient(bounce.email, bounce.original_message_id)
    if recipient is not None and recipient.email != bounce.email:
        recipient = None  # the report's message went to someone else: mark only the address
    if recipient is None and require_recipient:
        return False
    email_preferences.record_bounce(
        bounce.email,
        bounce.diagnostic or bounce.status,
        hard=bounce.hard,
        source=source,
        recipient=recipient,
    )
    return True


def ingest_dsn(message: EmailMessage) -> int:
    """Mark every address a delivery status notification reports as failed, when it
    answers a campaign email sent to it; how many were marked. Unreadable reports count 0."""
    try:
        found = parse_dsn(message)
    except (ValueError, TypeError, IndexError, LookupError, AttributeError):
        log.warning("unreadable delivery status notification ignored", exc_info=True)
        return 0
    return sum(apply(bounce, source="dsn", require_recipient=True) for bounce in found)


def ingest_raw(raw: bytes) -> int:
    """ingest_dsn() of a received email's bytes (the email channel's bounce path)."""
    return ingest_dsn(message_from_bytes(raw, policy=policy.default))


# -- the webhook -------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of "<timestamp>.<body>", so a captured request cannot
    be replayed later under a fresh timestamp."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_signature_ok(
    secret: str, body: bytes, signature: str, timestamp: str, now: float | None = None
) -> bool:
    try:
        sent = int(timestamp.strip())
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > WEBHOOK_MAX_SKEW:
        return False
    expected = webhook_signature(secret, timestamp.strip(), body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def parse_webhook(body: bytes) -> list[Bounce]:
    """The bounces of a webhook body: {"email", "reason", "type": "hard"|"soft",
    "message_id"?} or a list of them."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookInvalid("the body is not JSON") from error
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > WEBHOOK_MAX_ITEMS:
        raise WebhookInvalid(f"send between 1 and {WEBHOOK_MAX_ITEMS} bounces")
    found = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise WebhookInvalid(f"item {number} is not an object")
        email = email_preferences.normalise(
            item.get("email") if isinstance(item.get("email"), str) else ""
        )
        kind = item.get("type", "hard")
        reason, message_id = item.get("reason", ""), item.get("message_id") or ""
        if "@" not in email or len(email) > 254:
            raise WebhookInvalid(f"item {number}: email is missing or not an address")
        if kind not in ("hard", "soft"):
            raise WebhookInvalid(f'item {number}: type must be "hard" or "soft"')
        if not isinstance(reason, str) or not isinstance(message_id, str):
            raise WebhookInvalid(f"item {number}: reason and message_id must be strings")
        found.append(
            Bounce(
                email=email,
                status="5.0.0" if kind == "hard" else "4.0.0",
                action="failed",
                diagnostic=reason[:500],
                original_message_id=message_id[:255],
            )
        )
    return found


def apply_webhook(found: list[Bounce]) -> int:
    for bounce in found:
        apply(bounce, source="webhook")
    return len(found)
