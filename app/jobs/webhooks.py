"""Webhook jobs: send the deliveries a commit wrote, send given deliveries (a redelivery),
and the sweep, every minute, that queues retries (and anything Redis missed) once due.

Each delivery is claimed and the claim committed before the request goes out, then the
outcome is committed: a job that runs twice, or two workers on one delivery, send it once.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm.exc import StaleDataError

from app import queues
from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.services import webhook_delivery

SWEEP_CHUNK = 50
# More than one attempt can take (connect 5 s + read 10 s, twice for a second address).
SAFETY_SECONDS = 60


def _send_each(delivery_ids: list[int]) -> int:
    # Stop taking new deliveries well before RQ's timeout would kill the job mid-request;
    # those left are still due, and the sweep queues them again within a minute.
    deadline = time.monotonic() + current_app.config["JOB_TIMEOUT"] - SAFETY_SECONDS
    sent = 0
    for done, delivery_id in enumerate(delivery_ids, start=1):
        if time.monotonic() > deadline:
            break
        delivery = webhook_delivery.claim(delivery_id)
        db.session.commit()
        if delivery is not None:
            attempt = webhook_delivery.send(delivery)
            try:
                webhook_delivery.record(delivery, attempt)
                db.session.commit()
            except StaleDataError:  # its subscription was deleted meanwhile
                db.session.rollback()
            sent += 1
        report_progress(done, len(delivery_ids))
    finish(message=f"{sent} sent")
    return sent


@background_job
def send_webhook_events(event_ids: list[str], *, actor=None) -> int:
    """Send the waiting deliveries of these events (queued after the commit that wrote
    them); returns how many attempts were made."""
    ids = db.session.scalars(
        sa.select(WebhookDelivery.id)
        .where(
            WebhookDelivery.event_id.in_(event_ids),
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .order_by(WebhookDelivery.id)
    )
    return _send_each(list(ids))


@background_job
def send_webhook_deliveries(delivery_ids: list[int], *, actor=None) -> int:
    """Send these deliveries if they are (still) due; returns how many attempts were made."""
    return _send_each(list(delivery_ids))


@background_job
def retry_webhook_deliveries(*, actor=None) -> int:
    """Queue the deliveries whose (next) attempt is due, in jobs of SWEEP_CHUNK; returns
    how many were queued."""
    ids = webhook_delivery.due()
    for start in range(0, len(ids), SWEEP_CHUNK):
        queues.enqueue(
            send_webhook_deliveries,
            ids[start : start + SWEEP_CHUNK],
            actor=None,
            title=gettext("Webhook deliveries"),
        )
    finish(message=f"{len(ids)} queued")
    return len(ids)
