"""Webhook subscriptions as administrators manage them: create, change, delete, rotate the
secret, send a test event, read the delivery log and send a delivery again.

The signing secret is shown once, when it is made (on creation and on rotation), like an
API token: the page that shows it is the answer to that POST, never a later GET, so a
borrowed session or a screen share cannot read an integration's key; an administrator who
lost it rotates it (audited, and the receiver visibly stops verifying until updated). It
is stored as is, because signing needs it, and the audit trail only records that it changed.
"""

from __future__ import annotations

import dataclasses
import secrets

import sqlalchemy as sa
from flask_babel import gettext

from app import audit, permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.services import webhook_events, webhook_targets
from app.services.after_commit import call_after_commit
from app.services.validation import RecordInvalid

SECRET_PREFIX = "whsec_"
PAGE_SIZE = 25


def new_secret() -> str:
    """A fresh signing secret: whsec_ and 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _checked(name: str, url: str, events) -> tuple[str, str, list[str]]:
    """The cleaned values, or RecordInvalid with a message for every bad field."""
    errors = {}
    name, url = (name or "").strip(), (url or "").strip()
    if not name:
        errors["name"] = gettext("Give the subscription a name.")
    elif len(name) > 120:
        errors["name"] = gettext("Use at most %(max)d characters.", max=120)
    if len(url) > 2000:
        errors["url"] = gettext("Use at most %(max)d characters.", max=2000)
    else:
        try:
            webhook_targets.check(url)
        except webhook_targets.TargetRefused as refusal:
            errors["url"] = str(refusal)
    events = sorted(set(events or ()))
    if not events:
        errors["events"] = gettext("Choose at least one event.")
    elif not set(events) <= webhook_events.EVENTS:
        errors["events"] = gettext("Choose events from the list.")
    if errors:
        raise RecordInvalid(errors)
    return name, url, events


def _subscriptions_changed() -> None:
    webhook_events.forget_subscriptions()
    # Again once committed: another request may have cached the old set meanwhile.
    call_after_commit(webhook_events.forget_subscriptions)


def create(actor, *, name: str, url: str, events, active: bool = True):
    """A new subscription and its secret (the only time the secret is returned)."""
    permissions.require_admin(actor)
    name, url, events = _checked(name, url, events)
    secret = new_secret()
    subscription = WebhookSubscription(
        name=name, url=url, events=events, active=active, secret=secret, created_by_id=actor.id
    )
    db.session.add(subscription)
    db.session.flush()
    _subscriptions_changed()
    return subscription, secret


def update(subscription: WebhookSubscription, actor, *, name: str, url: str, events, active: bool):
    """Change a subscription's name, URL, events or whether it is on."""
    permissions.require_admin(actor)
    name, url, events = _checked(name, url, events)
    subscription.name, subscription.url = name, url
    subscription.events, subscription.active = events, active
    db.session.flush()
    _subscriptions_changed()
    return subscription


def delete(subscription: WebhookSubscription, actor) -> None:
    """Delete a subscription and its delivery log."""
    permissions.require_admin(actor)
    db.session.execute(
        sa.delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    )
    db.session.delete(subscription)
    db.session.flush()
    _subscriptions_changed()


def rotate_secret(subscription: WebhookSubscription, actor) -> str:
    """Replace the signing secret at once; the new one is returned, this one time."""
    permissions.require_admin(actor)
    subscription.secret = new_secret()
    db.session.flush()
    return subscription.secret


def _require_active(subscription: WebhookSubscription) -> None:
    if not subscription.active:
        raise RecordInvalid(
            {"subscription": gettext("The subscription is turned off: turn it on first.")}
        )


def send_test(subscription: WebhookSubscription, actor) -> None:
    """Queue a `ping` event to this subscription alone (sent after the commit)."""
    permissions.require_admin(actor)
    _require_active(subscription)
    data = {"subscription": subscription.id, "message": "Hello from Rapport."}
    event = webhook_events.Event(webhook_events.PING, data, utcnow())
    webhook_events.queue(db.session(), [event], subscription_id=subscription.id)
    audit.record_changed(db.session, subscription, {"test_event": (None, event.id)})


def redeliver(delivery: WebhookDelivery, actor) -> None:
    """Send a delivery again now, as one more attempt (after the commit)."""
    permissions.require_admin(actor)
    _require_active(delivery.subscription)
    now = utcnow()
    if delivery.claimed_until is not None and delivery.claimed_until > now:
        raise RecordInvalid({"delivery": gettext("This delivery is being sent right now.")})
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
    db.session.flush()
    audit.record_changed(db.session, delivery.subscription, {"redelivered": (None, str(delivery))})
    delivery_id = delivery.id
    call_after_commit(lambda: _enqueue_delivery(delivery_id))


def _enqueue_delivery(delivery_id: int) -> None:
    from app import queues
    from app.jobs.webhooks import send_webhook_deliveries

    # If Redis is down the delivery waits, PENDING and due, for the retry sweep.
    queues.enqueue(
        send_webhook_deliveries, [delivery_id], actor=None, title=gettext("Webhook deliveries")
    )


def subscriptions() -> list[tuple[WebhookSubscription, int]]:
    """Every subscription by name, with how many of its deliveries are failing now."""
    failing = (
        sa.select(WebhookDelivery.subscription_id, sa.func.count().label("n"))
        .where(WebhookDelivery.status.in_([DeliveryStatus.RETRYING, DeliveryStatus.FAILED]))
        .group_by(WebhookDelivery.subscription_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(WebhookSubscription, sa.func.coalesce(failing.c.n, 0))
        .outerjoin(failing, failing.c.subscription_id == WebhookSubscription.id)
        .order_by(WebhookSubscription.name, WebhookSubscription.id)
    )
    return [(subscription, count) for subscription, count in rows]


@dataclasses.dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[WebhookDelivery]
    next_before_id: int | None


def deliveries(subscription: WebhookSubscription, before_id: int | None = None) -> DeliveryPage:
    """One page of a subscription's delivery log, newest first, older than `before_id`."""
    query = (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .order_by(WebhookDelivery.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    if before_id:
        query = query.where(WebhookDelivery.id < before_id)
    rows = list(db.session.scalars(query))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return DeliveryPage(rows, rows[-1].id if more else None)
