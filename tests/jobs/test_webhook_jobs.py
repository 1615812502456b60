"""Webhook jobs through a real RQ worker and a real HTTP server on loopback: a committed
change reaches the receiver signed; failures come back through the every-minute sweep
until the last attempt; "send again" works; nothing is lost while Redis is down; a job
run twice sends once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq.cron import CronScheduler

from app import queues
from app.extensions import db
from app.jobs.cron import register_periodic_jobs
from app.jobs.webhooks import retry_webhook_deliveries, send_webhook_events
from app.models.identity import Role
from app.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.services import customers, webhook_signatures, webhooks
from tests.factories import make_user
from tests.webhook_receiver import Receiver


@pytest.fixture
def receiver(app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    with Receiver() as server:
        yield server


@pytest.fixture
def admin():
    return make_user(Role.ADMIN)


def _subscribe(admin, url, events=("customer.created",)):
    subscription, secret = webhooks.create(admin, name="ERP", url=url, events=list(events))
    db.session.commit()
    return subscription, secret


def _only_delivery() -> WebhookDelivery:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebhookDelivery)).one()


def _sweep(worker) -> int:
    job = queues.enqueue(retry_webhook_deliveries, actor=None, title="Sweep")
    worker()
    job.refresh()
    assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job
    return job.return_value()


def _time_passes_until_due(delivery: WebhookDelivery) -> None:
    """Move the clock past the next attempt (by moving the attempt into the past)."""
    delivery.next_attempt_at = delivery.next_attempt_at - timedelta(days=1)
    delivery.last_attempt_at = delivery.last_attempt_at - timedelta(days=1)
    db.session.commit()


def test_a_committed_customer_reaches_the_receiver_signed(admin, receiver, worker):
    _subscription, secret = _subscribe(admin, receiver.url)
    customers.create_customer(admin, name="Acme Trading")
    db.session.commit()
    worker()

    [request] = receiver.requests
    headers = request["headers"]
    assert headers["X-Rapport-Event"] == "customer.created"
    assert webhook_signatures.verify(
        secret, headers["X-Rapport-Timestamp"], request["body"], headers["X-Rapport-Signature"]
    )
    delivery = _only_delivery()
    assert delivery.status is DeliveryStatus.SUCCEEDED and delivery.response_code == 200
    assert headers["X-Rapport-Delivery"] == str(delivery.id)


def test_a_failing_endpoint_is_retried_by_the_sweep_then_failed(admin, receiver, worker):
    receiver.codes.extend([500] * 6)
    _subscribe(admin, receiver.url)
    customers.create_customer(admin, name="Acme Trading")
    db.session.commit()
    worker()

    gaps = []
    for attempt in range(1, 7):
        delivery = _only_delivery()
        assert delivery.attempts == attempt and delivery.response_code == 500
        if delivery.status is DeliveryStatus.FAILED:
            break
        assert delivery.status is DeliveryStatus.RETRYING
        gaps.append(delivery.next_attempt_at - delivery.last_attempt_at)
        assert _sweep(worker) == 0  # not due yet: nothing queued
        _time_passes_until_due(delivery)
        assert _sweep(worker) == 1

    assert [gap.total_seconds() for gap in gaps] == [60, 300, 1800, 7200, 43200]
    assert delivery.status is DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert len(receiver.requests) == 6
    assert _sweep(worker) == 0


def test_a_failed_delivery_can_be_sent_again(admin, receiver, worker):
    receiver.codes.append(503)
    _subscribe(admin, receiver.url)
    customers.create_customer(admin, name="Acme Trading")
    db.session.commit()
    worker()
    delivery = _only_delivery()
    assert delivery.status is DeliveryStatus.RETRYING and delivery.response_code == 503

    webhooks.redeliver(delivery, admin)
    db.session.commit()
    worker()

    delivery = _only_delivery()
    assert delivery.status is DeliveryStatus.SUCCEEDED and delivery.response_code == 200
    assert delivery.attempts == 2
    first, second = receiver.requests
    assert first["body"] == second["body"]  # the same event, the same payload
    assert second["headers"]["X-Rapport-Delivery"] == str(delivery.id)


def test_deliveries_written_while_redis_is_down_go_out_with_the_next_sweep(
    admin, receiver, worker, monkeypatch
):
    _subscribe(admin, receiver.url)

    def redis_down(*args, **kwargs):
        raise ConnectionError("Redis is not answering")

    with monkeypatch.context() as outage:
        outage.setattr(queues, "enqueue", redis_down)
        customers.create_customer(admin, name="Acme Trading")
        db.session.commit()  # the change commits all the same
    worker()
    assert receiver.requests == []
    assert _only_delivery().status is DeliveryStatus.PENDING

    assert _sweep(worker) == 1
    assert len(receiver.requests) == 1
    assert _only_delivery().status is DeliveryStatus.SUCCEEDED


def test_a_job_run_twice_sends_once(admin, receiver, worker):
    _subscribe(admin, receiver.url)
    customers.create_customer(admin, name="Acme Trading")
    db.session.commit()
    event_id = _only_delivery().event_id
    queues.enqueue(send_webhook_events, [event_id], actor=None, title="again")
    worker()  # the job queued by the commit, and the copy
    assert len(receiver.requests) == 1
    assert _only_delivery().attempts == 1


def test_a_subscription_deleted_while_its_delivery_is_in_flight_ends_the_job_cleanly(
    admin, receiver, worker
):
    subscription, _secret = _subscribe(admin, receiver.url)
    customers.create_customer(admin, name="First")
    customers.create_customer(admin, name="Second")
    db.session.commit()
    engine = db.engine

    def delete_subscription():
        with engine.begin() as connection:
            connection.execute(sa.delete(WebhookDelivery))
            connection.execute(sa.delete(WebhookSubscription))

    receiver.on_request = delete_subscription
    job = queues.queue("default").jobs[0]
    worker()
    job.refresh()
    assert job.is_finished
    assert len(receiver.requests) == 1  # the second delivery went with the subscription
    assert db.session.scalars(sa.select(WebhookDelivery)).all() == []


def test_a_test_event_reaches_the_receiver(admin, receiver, worker):
    subscription, _secret = _subscribe(admin, receiver.url)
    webhooks.send_test(subscription, admin)
    db.session.commit()
    worker()
    [request] = receiver.requests
    assert request["headers"]["X-Rapport-Event"] == "ping"
    assert _only_delivery().status is DeliveryStatus.SUCCEEDED


def test_the_retry_sweep_runs_every_minute():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    crons = {job.func_name: job.cron for job in scheduler.get_jobs()}
    assert crons["app.jobs.webhooks.retry_webhook_deliveries"] == "* * * * *"
