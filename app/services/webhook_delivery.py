"""Sending one webhook delivery: claim it, POST the signed JSON, record the outcome.

A delivery is claimed with a conditional UPDATE (waiting, due, not leased, subscription
active) that sets a lease and counts the attempt; the caller commits the claim before
sending, so two workers never send one delivery at once (an attempt is cut off long before
its lease ends: app.services.webhook_http). The target is checked again before each
attempt (app.services.webhook_targets). A 2xx answer succeeds; anything else is retried
after 1 min, 5 min, 30 min, 2 h and 12 h, then the delivery is FAILED.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.services import webhook_signatures, webhook_targets
from app.services.webhook_http import Attempt, post

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=5)
USER_AGENT = "Rapport-Webhooks/1"


def _waiting_and_due(now: datetime):
    active = sa.select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
    return (
        WebhookDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.RETRYING]),
        WebhookDelivery.next_attempt_at <= now,
        sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        WebhookDelivery.subscription_id.in_(active),
    )


def due(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of deliveries waiting to be sent whose time has come, oldest first."""
    now = now or utcnow()
    query = (
        sa.select(WebhookDelivery.id)
        .where(*_waiting_and_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim(delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Take the delivery for one attempt (leased for LEASE), or None when it is not due,
    already being sent, finished, or its subscription is paused. Commit before sending."""
    now = now or utcnow()
    claimed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, *_waiting_and_due(now))
        .values(
            claimed_until=now + LEASE,
            attempts=WebhookDelivery.attempts + 1,
            last_attempt_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    return db.session.get(WebhookDelivery, delivery_id, populate_existing=True)


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed): the payload as compact JSON."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers of one attempt, the signature among them."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Rapport-Event": delivery.event,
        "X-Rapport-Delivery": str(delivery.id),
        "X-Rapport-Timestamp": str(timestamp),
        "X-Rapport-Signature": webhook_signatures.sign(
            delivery.subscription.secret, timestamp, body
        ),
    }


def send(delivery: WebhookDelivery, now: datetime | None = None) -> Attempt:
    """One attempt at a claimed delivery: check the target again (DNS may have changed),
    sign, POST. Returns the outcome; record() writes it."""
    try:
        target = webhook_targets.check(delivery.subscription.url)
    except webhook_targets.TargetRefused as refusal:
        return Attempt(error=f"Refused: {refusal}"[:500])
    body = body_of(delivery)
    timestamp = int((now or utcnow()).timestamp())
    return post(target, body, headers_for(delivery, body, timestamp))


def next_attempt_after(attempts: int, now: datetime) -> datetime | None:
    """When a delivery that failed its `attempts`-th attempt is tried again (None: never)."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[max(attempts, 1) - 1]


def record(delivery: WebhookDelivery, attempt: Attempt, now: datetime | None = None) -> None:
    """Write an attempt's outcome and what happens next: done, retried later (counted from
    when the attempt started), or FAILED."""
    now = now or delivery.last_attempt_at or utcnow()
    delivery.claimed_until = None
    delivery.response_code = attempt.response_code
    delivery.error = attempt.error[:500]
    delivery.response_excerpt = attempt.excerpt
    delivery.duration_ms = attempt.duration_ms
    if attempt.succeeded:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, None
    else:
        retry_at = next_attempt_after(delivery.attempts, now)
        delivery.status = DeliveryStatus.RETRYING if retry_at else DeliveryStatus.FAILED
        delivery.next_attempt_at = retry_at
    db.session.flush()
