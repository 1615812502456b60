"""An administrator subscribes an address to events, copies its secret once, sends a test
event, reads the delivery log page by page and sends a delivery again; all of it audited,
none of it open to other roles or to a post without its CSRF token."""

import re

import pytest
import sqlalchemy as sa

from app import audit
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.records import AuditAction, AuditEntry
from app.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.services import webhook_events, webhooks
from tests.conftest import csrf_token, post_form
from tests.factories import NON_ADMIN_ROLES, make_user
from tests.webhook_receiver import fake_dns

FORM = {
    "name": "ERP sync",
    "url": "https://hooks.example.com/rapport",
    "events": ["customer.created", "opportunity.stage_changed"],
    "active": "y",
}


@pytest.fixture(autouse=True)
def public_dns(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})


def _subscription(admin_user=None, **fields) -> WebhookSubscription:
    owner = admin_user or make_user(Role.ADMIN)
    values = {"name": "ERP", "url": FORM["url"], "events": ["customer.created"]} | fields
    subscription, _secret = webhooks.create(owner, **values)
    db.session.commit()
    return subscription


def _audit(action=None) -> list[AuditEntry]:
    db.session.expire_all()
    query = sa.select(AuditEntry).where(AuditEntry.entity_type == "webhook_subscriptions")
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalars(query.order_by(AuditEntry.id)).all()


ENDPOINTS = [
    ("GET", "/admin/webhooks"),
    ("GET", "/admin/webhooks/new"),
    ("POST", "/admin/webhooks/new"),
    ("GET", "/admin/webhooks/{id}"),
    ("POST", "/admin/webhooks/{id}"),
    ("POST", "/admin/webhooks/{id}/rotate"),
    ("POST", "/admin/webhooks/{id}/test"),
    ("POST", "/admin/webhooks/{id}/delete"),
    ("GET", "/admin/webhooks/{id}/deliveries"),
]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_only_administrators_reach_the_webhook_pages(client, login, role, method, path):
    subscription = _subscription()
    login(make_user(role=role))
    url = path.format(id=subscription.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, {**FORM, "confirm": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(WebhookSubscription, subscription.id).name == "ERP"
    assert db.session.scalars(sa.select(WebhookDelivery)).all() == []


def test_the_list_invites_a_first_subscription(client, admin):
    html = client.get("/admin/webhooks").get_data(as_text=True)
    assert "No webhooks yet." in html and 'href="/admin/webhooks/new"' in html
    assert 'href="/admin/webhooks"' in html  # the Webhooks entry of the admin menu


def test_an_admin_subscribes_and_sees_the_secret_once(client, admin):
    page = client.get("/admin/webhooks/new").get_data(as_text=True)
    assert 'value="opportunity.stage_changed"' in page and 'value="form.submitted"' in page

    response = post_form(client, "/admin/webhooks/new", FORM)
    assert response.status_code == 200
    subscription = db.session.scalars(sa.select(WebhookSubscription)).one()
    assert subscription.events == sorted(FORM["events"]) and subscription.active
    assert subscription.created_by_id == admin.id
    html = response.get_data(as_text=True)
    assert f'value="{subscription.secret}"' in html and "will not be shown again" in html

    later = client.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert subscription.secret not in later
    [created] = _audit(AuditAction.CREATE)
    assert created.actor_id == admin.id and created.changes["secret"] == [None, audit.SECRET]


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "a cloud metadata address"),
        ({"url": "http://10.0.0.1/hook"}, "a private network address"),
        ({"url": "ftp://hooks.example.com/"}, "Use an http:// or https:// address."),
        ({"events": []}, "Choose at least one event."),
        ({"name": ""}, "Give the subscription a name."),
    ],
)
def test_the_form_says_what_is_wrong(client, admin, changes, field_message):
    response = post_form(client, "/admin/webhooks/new", FORM | changes)
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(WebhookSubscription)).all() == []


def test_an_admin_edits_and_pauses_a_subscription(client, admin):
    subscription = _subscription(admin)
    data = FORM | {"name": "ERP (paused)", "events": ["lead.converted"]}
    data.pop("active")
    response = post_form(client, f"/admin/webhooks/{subscription.id}", data)
    assert response.status_code == 302
    db.session.expire_all()
    assert (subscription.name, subscription.events, subscription.active) == (
        "ERP (paused)",
        ["lead.converted"],
        False,
    )
    [changed] = _audit(AuditAction.UPDATE)
    assert changed.changes["active"] == [True, False]


def test_rotating_the_secret_needs_a_confirmation_and_shows_the_new_one(client, admin):
    subscription = _subscription(admin)
    old = subscription.secret
    post_form(client, f"/admin/webhooks/{subscription.id}/rotate", {})
    db.session.expire_all()
    assert subscription.secret == old

    response = post_form(client, f"/admin/webhooks/{subscription.id}/rotate", {"confirm": "1"})
    db.session.expire_all()
    assert subscription.secret != old
    assert f'value="{subscription.secret}"' in response.get_data(as_text=True)
    [rotated] = _audit(AuditAction.UPDATE)
    assert rotated.changes == {"secret": [audit.SECRET, audit.SECRET]}


def test_a_test_event_is_queued_and_audited(client, admin):
    subscription = _subscription(admin)
    response = post_form(client, f"/admin/webhooks/{subscription.id}/test", {})
    assert response.status_code == 302
    [delivery] = db.session.scalars(sa.select(WebhookDelivery)).all()
    assert (delivery.event, delivery.status) == (webhook_events.PING, DeliveryStatus.PENDING)
    [entry] = _audit(AuditAction.UPDATE)
    assert entry.changes["test_event"] == [None, delivery.event_id]
    assert entry.actor_id == admin.id


def test_a_paused_subscription_sends_no_test_event(client, admin):
    subscription = _subscription(admin, active=False)
    response = post_form(
        client, f"/admin/webhooks/{subscription.id}/test", {}, follow_redirects=True
    )
    assert "turn it on first" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(WebhookDelivery)).all() == []


def _failed_deliveries(subscription, count: int) -> list[int]:
    for n in range(count):
        event = webhook_events.Event("customer.created", {"n": n}, utcnow())
        webhook_events.queue(db.session(), [event], subscription.id)
    db.session.execute(
        sa.update(WebhookDelivery).values(
            status=DeliveryStatus.FAILED, attempts=6, response_code=500, error="HTTP 500"
        )
    )
    db.session.commit()
    return list(db.session.scalars(sa.select(WebhookDelivery.id).order_by(WebhookDelivery.id)))


def test_the_log_pages_back_in_time_with_status_code_and_error(client, admin):
    subscription = _subscription(admin)
    ids = _failed_deliveries(subscription, 30)
    html = client.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    shown = [int(i) for i in re.findall(r'<tr id="delivery-(\d+)">', html)]
    assert shown == ids[::-1][:25]
    assert "badge-danger" in html and "HTTP 500" in html and ">500</code>" in html
    older = re.search(r'href="([^"]+before=\d+)"', html).group(1).replace("&amp;", "&")

    fragment = client.get(older, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="webhook-deliveries">')
    assert [int(i) for i in re.findall(r'<tr id="delivery-(\d+)">', fragment)] == ids[:5][::-1]
    assert "Older deliveries" not in fragment


def test_redeliver_sends_a_delivery_again_and_is_audited(client, admin):
    subscription = _subscription(admin)
    [delivery_id] = _failed_deliveries(subscription, 1)
    url = f"/admin/webhooks/{subscription.id}/deliveries/{delivery_id}/redeliver"
    response = post_form(client, url, {})
    assert response.status_code == 302
    db.session.expire_all()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    assert delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at is not None
    [entry] = _audit(AuditAction.UPDATE)
    assert entry.changes["redelivered"] == [None, f"customer.created #{delivery_id}"]

    other = _subscription(admin, name="Other")
    wrong = f"/admin/webhooks/{other.id}/deliveries/{delivery_id}/redeliver"
    assert post_form(client, wrong, {}).status_code == 404


def test_deleting_removes_the_subscription_and_its_log(client, admin):
    subscription = _subscription(admin)
    _failed_deliveries(subscription, 2)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    response = client.post(f"/admin/webhooks/{subscription.id}/delete", headers=headers)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/webhooks"
    db.session.expire_all()
    assert db.session.scalars(sa.select(WebhookSubscription)).all() == []
    assert db.session.scalars(sa.select(WebhookDelivery)).all() == []
    assert len(_audit(AuditAction.DELETE)) == 1


@pytest.mark.parametrize(
    "path", ["/admin/webhooks/new", "/admin/webhooks/{id}/test", "/admin/webhooks/{id}/rotate"]
)
def test_posts_without_the_csrf_token_are_refused(client, admin, path):
    subscription = _subscription(admin)
    before = len(_audit())
    response = client.post(path.format(id=subscription.id), data=FORM | {"confirm": "1"})
    assert response.status_code == 400
    assert len(_audit()) == before
