"""Sending deliveries to a real HTTP server on loopback (allow-listed): the signed request,
success and failure, the retry schedule, no redirects, a capped response body, one sender
at a time, and the SSRF check repeated at send time (DNS rebinding)."""

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import urllib3

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.services import (
    webhook_delivery,
    webhook_events,
    webhook_http,
    webhook_signatures,
    webhook_targets,
)
from app.services import webhooks as subscriptions
from tests.factories import make_user
from tests.webhook_receiver import Receiver, fake_dns


@pytest.fixture
def receiver(app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    with Receiver() as server:
        yield server


@pytest.fixture
def admin():
    return make_user(Role.ADMIN)


def _pending_delivery(admin, url: str, event: str = "customer.created") -> WebhookDelivery:
    """A subscription to `url` and one waiting delivery of an `event` to it."""
    subscription, _secret = subscriptions.create(admin, name="Hook", url=url, events=[event])
    data = {"entity": "customer", "id": 42, "changes": {"name": [None, "Acme 股份"]}}
    webhook_events.queue(
        db.session(), [webhook_events.Event(event, data, utcnow())], subscription.id
    )
    db.session.commit()
    return db.session.scalars(sa.select(WebhookDelivery)).one()


def _attempt(delivery_id: int, now=None) -> WebhookDelivery:
    """One attempt as the job makes it: claim, commit, send, record."""
    delivery = webhook_delivery.claim(delivery_id, now)
    assert delivery is not None, "the delivery was not due"
    db.session.commit()
    webhook_delivery.record(delivery, webhook_delivery.send(delivery, now), now)
    db.session.commit()
    return delivery


def test_a_delivery_posts_signed_json_and_a_2xx_marks_it_succeeded(admin, receiver):
    delivery = _pending_delivery(admin, receiver.url)
    _attempt(delivery.id)

    [request] = receiver.requests
    headers = request["headers"]
    assert request["path"] == "/hooks/rapport"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Rapport-Webhooks/1"
    assert headers["X-Rapport-Event"] == "customer.created"
    assert headers["X-Rapport-Delivery"] == str(delivery.id)
    assert headers["Host"] == f"127.0.0.1:{receiver.port}"
    secret = delivery.subscription.secret
    assert webhook_signatures.verify(
        secret, headers["X-Rapport-Timestamp"], request["body"], headers["X-Rapport-Signature"]
    )
    body = json.loads(request["body"])
    assert body == delivery.payload and body["data"]["changes"]["name"][1] == "Acme 股份"

    db.session.expire_all()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert (delivery.response_code, delivery.attempts, delivery.error) == (200, 1, "")
    assert delivery.response_excerpt == '{"ok": true}'
    assert delivery.duration_ms is not None and delivery.next_attempt_at is None


def test_a_failing_endpoint_is_retried_ever_later_then_marked_failed(admin, receiver):
    receiver.codes.extend([500] * 6)
    delivery = _pending_delivery(admin, receiver.url)
    now = utcnow()
    gaps = []
    for attempt in range(1, 7):
        _attempt(delivery.id, now)
        db.session.expire_all()
        assert delivery.attempts == attempt and delivery.response_code == 500
        assert delivery.error == "HTTP 500"
        if delivery.next_attempt_at is None:
            break
        assert delivery.status is DeliveryStatus.RETRYING
        gaps.append(delivery.next_attempt_at - now)
        assert webhook_delivery.claim(delivery.id, now + gaps[-1] / 2) is None  # not yet due
        now = delivery.next_attempt_at

    assert gaps == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == 6
    assert len(receiver.requests) == 6
    assert webhook_delivery.due(now + timedelta(days=30)) == []


def test_a_redirect_is_not_followed_and_counts_as_a_failure(admin, receiver):
    receiver.codes.append(302)
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    delivery = _pending_delivery(admin, receiver.url)
    _attempt(delivery.id)
    db.session.expire_all()
    assert len(receiver.requests) == 1
    assert delivery.status is DeliveryStatus.RETRYING and delivery.response_code == 302
    assert "redirect" in delivery.error and "not followed" in delivery.error


def test_only_the_first_kilobyte_of_the_answer_is_kept(admin, receiver):
    receiver.body = b"x" * 5000
    delivery = _pending_delivery(admin, receiver.url)
    _attempt(delivery.id)
    db.session.expire_all()
    assert delivery.response_excerpt == "x" * 1024 + "…"


def test_an_unreachable_endpoint_is_logged_and_retried(admin, receiver):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = _pending_delivery(admin, f"http://127.0.0.1:{port}/hook")
    _attempt(delivery.id)
    db.session.expire_all()
    assert delivery.status is DeliveryStatus.RETRYING and delivery.response_code is None
    assert delivery.error.startswith("Could not connect")


def test_a_slow_endpoint_times_out(admin, receiver, monkeypatch):
    monkeypatch.setattr(webhook_http, "TIMEOUT", urllib3.Timeout(connect=1, read=0.2))
    original = receiver.server.RequestHandlerClass.do_POST

    def slow(handler):
        time.sleep(0.6)
        original(handler)

    monkeypatch.setattr(receiver.server.RequestHandlerClass, "do_POST", slow)
    delivery = _pending_delivery(admin, receiver.url)
    _attempt(delivery.id)
    db.session.expire_all()
    assert delivery.status is DeliveryStatus.RETRYING
    assert delivery.error.startswith("No answer within")


def test_a_delivery_is_claimed_by_one_sender_at_a_time(admin, receiver):
    delivery = _pending_delivery(admin, receiver.url)
    now = utcnow()
    assert webhook_delivery.claim(delivery.id, now) is not None
    db.session.commit()
    assert webhook_delivery.claim(delivery.id, now) is None  # a second worker gets nothing
    # A sender that died mid-request leaves its lease; once over, the sweep takes it up.
    later = now + webhook_delivery.LEASE + timedelta(seconds=1)
    assert webhook_delivery.due(later) == [delivery.id]
    assert webhook_delivery.claim(delivery.id, later).attempts == 2


def test_a_paused_subscription_sends_nothing(admin, receiver):
    delivery = _pending_delivery(admin, receiver.url)
    delivery.subscription.active = False
    db.session.commit()
    assert webhook_delivery.due() == []
    assert webhook_delivery.claim(delivery.id) is None


def test_dns_rebinding_after_subscribing_is_refused_at_send_time(admin, app, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "")  # loopback refused
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    fake_dns(monkeypatch, {"hooks.example.com": lambda: next(answers)})
    url = f"http://hooks.example.com:{receiver.port}/hooks/rapport"
    delivery = _pending_delivery(admin, url)  # checked: public then
    _attempt(delivery.id)  # resolves to loopback now
    db.session.expire_all()
    assert receiver.requests == []
    assert delivery.status is DeliveryStatus.RETRYING
    assert delivery.error.startswith("Refused:") and "127.0.0.1" in delivery.error


def test_the_request_goes_to_the_address_checked_with_the_original_host_name(
    admin, app, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "hooks.internal")
    lookups = []

    def resolve_once():
        lookups.append(1)
        return ["127.0.0.1"] if len(lookups) <= 2 else ["10.9.9.9"]

    fake_dns(monkeypatch, {"hooks.internal": resolve_once})
    delivery = _pending_delivery(admin, f"http://hooks.internal:{receiver.port}/in")
    _attempt(delivery.id)
    db.session.expire_all()
    assert delivery.status is DeliveryStatus.SUCCEEDED
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.internal:{receiver.port}"
    assert len(lookups) == 2  # one at subscribing, one at sending: none by the HTTP client


def test_https_targets_connect_to_the_checked_address_and_verify_the_host_name():
    target = webhook_targets.Target("https", "hooks.example.com", 443, "/in", ("93.184.216.34",))
    pool = webhook_http._pool(target, target.addresses[0])
    assert pool.host == "93.184.216.34"
    assert pool.assert_hostname == "hooks.example.com"
    assert pool.conn_kw["server_hostname"] == "hooks.example.com"
    assert pool.cert_reqs == "CERT_REQUIRED"
    assert target.host_header == "hooks.example.com"


def test_an_address_that_refuses_the_connection_gives_way_to_the_next(
    admin, app, receiver, monkeypatch
):
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "127.0.0.0/8")
    fake_dns(monkeypatch, {"hooks.internal": ["127.0.0.2", "127.0.0.1"]})  # nobody on .2
    delivery = _pending_delivery(admin, f"http://hooks.internal:{receiver.port}/in")
    _attempt(delivery.id)
    db.session.expire_all()
    assert delivery.status is DeliveryStatus.SUCCEEDED and len(receiver.requests) == 1


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(admin, receiver, monkeypatch):
    monkeypatch.setattr(webhook_http, "DEADLINE_SECONDS", 1.0)
    stop = threading.Event()

    def drip(handler):
        handler.rfile.read(int(handler.headers["Content-Length"]))
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 100:
            if stop.is_set():  # one byte every 0.1 s: no read ever times out
                return
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    monkeypatch.setattr(receiver.server.RequestHandlerClass, "do_POST", drip)
    delivery = _pending_delivery(admin, receiver.url)
    started = time.monotonic()
    _attempt(delivery.id)
    stop.set()
    assert time.monotonic() - started < 5
    db.session.expire_all()
    assert delivery.status is DeliveryStatus.RETRYING
    assert delivery.error == "No complete answer within 1 s."
