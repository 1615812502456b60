"""Webhook subscriptions and events: internal targets refused in every notation (the
allow-list lets named ones through), signatures a receiver can check, and record changes
that become deliveries only once committed, with the record's changes as payload."""

import time

import pytest
import sqlalchemy as sa

from app import audit, queues
from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.sales import OpportunityStage
from app.models.webhooks import DeliveryStatus, WebhookDelivery
from app.services import (
    customers,
    form_submissions,
    pipeline,
    tickets,
    webhook_events,
    webhook_signatures,
    webhooks,
)
from app.services.form_submissions import Visit
from app.services.validation import RecordInvalid
from tests.factories import make_customer, make_opportunity, make_ticket, make_user
from tests.marketing_factories import make_web_form
from tests.webhook_receiver import fake_dns

PUBLIC = "93.184.216.34"


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": [PUBLIC]})


def _subscribe(admin, events, url="https://hooks.example.com/rapport", **kwargs):
    subscription, secret = webhooks.create(
        admin, name="ERP", url=url, events=events, active=kwargs.pop("active", True)
    )
    db.session.commit()
    return subscription


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def _queued_jobs() -> list[str]:
    queue = queues.queue("default")
    return [queue.fetch_job(job_id).func_name for job_id in queue.get_job_ids()]


# -- where webhooks may go ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.1/hook",
        "http://192.168.1.20/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost:8080/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one decimal number
        "http://0x7f000001/hook",  # ... in hex
        "http://127.1/hook",  # ... in short form
        "http://0177.0.0.1/hook",  # ... in octal
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
        "http://[::ffff:a00:1]/hook",  # 10.0.0.1, mapped, in hex
        "http://[64:ff9b::a9fe:a9fe]/hook",  # the metadata address through NAT64
        "http://[2002:a00:1::]/hook",  # 10.0.0.1 through 6to4
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # CGNAT
        "http://224.0.0.1/hook",  # multicast
        "http://240.0.0.1/hook",  # reserved
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_internal_addresses_are_refused_when_subscribing(admin, url):
    with pytest.raises(RecordInvalid) as refused:
        webhooks.create(admin, name="Sneaky", url=url, events=["customer.created"])
    assert "url" in refused.value.errors


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("https://user:secret@hooks.example.com/", "user name and password"),
        ("https:///nohost", "no host name"),
        ("https://hooks.example.com:99999/", "not a valid address"),
        ("https://no-such-host.invalid/", "cannot be found"),
    ],
)
def test_malformed_or_unusable_urls_say_what_is_wrong(admin, url, message):
    with pytest.raises(RecordInvalid) as refused:
        webhooks.create(admin, name="Bad", url=url, events=["customer.created"])
    assert message in refused.value.errors["url"]


def test_a_name_resolving_to_a_private_address_is_refused_and_the_message_says_why(
    admin, monkeypatch
):
    fake_dns(monkeypatch, {"erp.corp.example": [PUBLIC, "10.1.2.3"]})
    with pytest.raises(RecordInvalid) as refused:
        webhooks.create(admin, name="ERP", url="https://erp.corp.example/", events=["lead.created"])
    message = refused.value.errors["url"]
    assert "10.1.2.3" in message and "private" in message
    assert "RAPPORT_WEBHOOK_ALLOWED_HOSTS" in message


@pytest.mark.parametrize("allowed", ["erp.corp.example", "10.1.0.0/16", "intranet, 10.1.2.3"])
def test_the_allow_list_lets_a_named_internal_host_through(admin, app, monkeypatch, allowed):
    fake_dns(monkeypatch, {"erp.corp.example": ["10.1.2.3"]})
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", allowed)
    subscription, _secret = webhooks.create(
        admin, name="ERP", url="https://erp.corp.example/in", events=["lead.created"]
    )
    assert subscription.id


def test_the_allow_list_never_opens_the_metadata_service(admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "169.254.0.0/16")
    with pytest.raises(RecordInvalid) as refused:
        webhooks.create(admin, name="M", url="http://169.254.169.254/", events=["lead.created"])
    assert "metadata" in refused.value.errors["url"]


def test_a_subscription_needs_a_name_and_known_events(admin):
    with pytest.raises(RecordInvalid) as refused:
        webhooks.create(admin, name=" ", url="https://hooks.example.com/", events=[])
    assert set(refused.value.errors) == {"name", "events"}
    with pytest.raises(RecordInvalid) as refused:
        webhooks.create(admin, name="X", url="https://hooks.example.com/", events=["user.created"])
    assert set(refused.value.errors) == {"events"}


# -- signatures ---------------------------------------------------------------------------


def test_a_signature_verifies_and_a_tampered_body_or_old_timestamp_does_not():
    body = b'{"event":"ping"}'
    now = int(time.time())
    signature = webhook_signatures.sign("whsec_abc", now, body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert webhook_signatures.verify("whsec_abc", str(now), body, signature)
    assert not webhook_signatures.verify("whsec_abc", now, b'{"event":"pong"}', signature)
    assert not webhook_signatures.verify("whsec_other", now, body, signature)
    assert not webhook_signatures.verify("whsec_abc", now + 1, body, signature)
    old = now - 301
    assert not webhook_signatures.verify(
        "whsec_abc", old, body, webhook_signatures.sign("whsec_abc", old, body)
    )
    assert not webhook_signatures.verify("whsec_abc", "yesterday", body, signature)


# -- events -------------------------------------------------------------------------------


def test_creating_a_customer_queues_customer_created_with_its_values(admin):
    subscription = _subscribe(admin, ["customer.created", "customer.deleted"])
    audit.set_actor(db.session, admin, source="web")
    customer = customers.create_customer(admin, name="Acme Trading", industry="Shipping")
    db.session.commit()

    [delivery] = _deliveries()
    assert (delivery.subscription_id, delivery.event) == (subscription.id, "customer.created")
    assert delivery.status is DeliveryStatus.PENDING and delivery.attempts == 0
    payload = delivery.payload
    assert payload["id"] == delivery.event_id and payload["event"] == "customer.created"
    assert payload["occurred_at"].startswith(str(customer.created_at.date()))
    data = payload["data"]
    assert (data["entity"], data["id"], data["label"]) == ("customer", customer.id, "Acme Trading")
    assert data["changes"]["name"] == [None, "Acme Trading"]
    assert data["changes"]["industry"] == [None, "Shipping"]
    assert data["actor"] == {"id": admin.id, "source": "web"}
    assert _queued_jobs() == ["app.jobs.webhooks.send_webhook_events"]


def test_a_change_that_is_rolled_back_sends_nothing(admin):
    _subscribe(admin, ["customer.created"])
    customers.create_customer(admin, name="Never Was Ltd")
    db.session.flush()
    assert len(_deliveries()) == 1  # written in the transaction ...
    db.session.rollback()
    assert _deliveries() == []  # ... and gone with it
    db.session.commit()
    assert _queued_jobs() == []


def test_without_subscriptions_a_write_adds_no_rows_and_no_jobs(admin):
    make_customer(admin, name="Quiet Ltd")
    assert _deliveries() == []
    assert _queued_jobs() == []


def test_only_active_subscriptions_to_that_event_get_a_delivery(admin):
    wants = _subscribe(admin, ["customer.updated"])
    _subscribe(admin, ["customer.updated"], active=False)
    _subscribe(admin, ["lead.created"])
    customer = make_customer(admin, name="Acme")
    customers.update_customer(customer, admin, name="Acme Trading")
    db.session.commit()
    [delivery] = _deliveries()
    assert (delivery.subscription_id, delivery.event) == (wants.id, "customer.updated")
    assert delivery.payload["data"]["changes"] == {"name": ["Acme", "Acme Trading"]}


def test_one_job_is_queued_per_transaction_however_many_events(admin):
    _subscribe(admin, ["customer.created"])
    for n in range(3):
        customers.create_customer(admin, name=f"Batch {n}")
        db.session.flush()
    db.session.commit()
    assert len(_deliveries()) == 3
    assert _queued_jobs() == ["app.jobs.webhooks.send_webhook_events"]


def test_a_new_subscription_hears_the_very_next_change(admin):
    make_customer(admin, name="Before")  # fills the cache with "nobody listens"
    _subscribe(admin, ["customer.created"])
    make_customer(admin, name="After")
    assert [d.payload["data"]["label"] for d in _deliveries()] == ["After"]


def test_a_deleted_record_sends_its_last_values(admin):
    _subscribe(admin, ["customer.deleted"])
    customer = make_customer(admin, name="Gone Ltd")
    customers.delete_customer(customer, admin)
    db.session.commit()
    [delivery] = _deliveries()
    assert delivery.event == "customer.deleted"
    assert delivery.payload["data"]["changes"]["name"] == ["Gone Ltd", None]


def test_a_stage_move_sends_opportunity_stage_changed_besides_the_update(admin):
    _subscribe(admin, ["opportunity.stage_changed", "opportunity.updated"])
    deal = make_opportunity(admin)
    pipeline.move_stage(deal, admin, OpportunityStage.PROPOSAL.value, deal.version)
    db.session.commit()
    events = {d.event: d.payload["data"] for d in _deliveries()}
    assert set(events) == {"opportunity.updated", "opportunity.stage_changed"}
    moved = events["opportunity.stage_changed"]
    assert (moved["id"], moved["from"], moved["to"]) == (deal.id, "PROSPECTING", "PROPOSAL")


def test_resolving_a_ticket_sends_ticket_resolved(admin):
    _subscribe(admin, ["ticket.resolved"])
    agent = make_user(Role.SUPPORT)
    ticket = make_ticket(agent)
    tickets.set_status(ticket, agent, "IN_PROGRESS")
    db.session.commit()
    assert _deliveries() == []
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    [delivery] = _deliveries()
    assert delivery.event == "ticket.resolved" and delivery.payload["data"]["id"] == ticket.id


def test_a_web_form_submission_sends_form_submitted(admin):
    _subscribe(admin, ["form.submitted", "lead.created"])
    form = make_web_form(None)
    values = {"first_name": "Mei", "last_name": "Lin", "email": "mei@lin.example"}
    visit = Visit.from_values({"utm_source": "newsletter", "page_url": "https://x.test/f"}, "")
    submission = form_submissions.submit(form, values, visit)
    db.session.commit()
    events = {d.event: d.payload["data"] for d in _deliveries()}
    assert set(events) == {"form.submitted", "lead.created"}
    data = events["form.submitted"]
    assert (data["id"], data["form_id"], data["lead_id"]) == (
        submission.id,
        form.id,
        submission.lead_id,
    )
    assert data["values"]["email"] == "mei@lin.example"
    assert data["utm"] == {"source": "newsletter"}


def test_the_secret_never_reaches_the_audit_trail_or_a_payload(admin):
    subscription, secret = webhooks.create(
        admin, name="ERP", url="https://hooks.example.com/", events=["customer.created"]
    )
    db.session.commit()
    webhooks.rotate_secret(subscription, admin)
    db.session.commit()
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "webhook_subscriptions")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action.value for e in entries] == ["create", "update"]
    assert entries[0].changes["secret"] == [None, audit.SECRET]
    assert entries[1].changes == {"secret": [audit.SECRET, audit.SECRET]}
    assert secret not in str([e.changes for e in entries])
    assert secret != subscription.secret and subscription.secret.startswith("whsec_")


def test_secret_fields_are_left_out_of_record_event_data():
    entry = {
        "entity_type": "customers",
        "entity_id": "7",
        "label": "Acme",
        "action": audit.AuditAction.UPDATE,
        "changes": {"name": ["A", "B"], "portal_key": [audit.SECRET, audit.SECRET]},
        "actor_id": None,
        "source": "job",
    }
    [(name, data)] = webhook_events.record_events(entry)
    assert name == "customer.updated" and data["changes"] == {"name": ["A", "B"]}
