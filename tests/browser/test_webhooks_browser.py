"""An administrator, in a real browser under the Content-Security-Policy, subscribes a
receiver to events, copies the secret shown once, sends a test event and sees it delivered
in the log."""

import pytest

from app.models.identity import Role
from app.services import webhook_signatures
from tests.factories import PASSWORD, make_user
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.browser


def test_admin_subscribes_a_receiver_and_sees_the_test_event_delivered(
    strict_page, app, worker, monkeypatch
):
    page = strict_page
    monkeypatch.setitem(app.config, "RAPPORT_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    make_user(Role.ADMIN, email="admin@example.com")
    page.goto("/login")
    page.fill("#email", "admin@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    with Receiver() as receiver:
        page.goto("/admin/webhooks")
        page.click("#new-webhook")
        page.fill("#name", "Loopback")
        page.fill("#url", "http://10.0.0.1/hook")
        page.check("input[value='customer.created']")
        page.click("text=Create subscription")
        page.wait_for_selector("text=a private network address")

        page.fill("#url", receiver.url)
        page.click("text=Create subscription")
        page.wait_for_selector("text=it will not be shown again")
        secret = page.input_value("#webhook-secret-value")
        assert secret.startswith("whsec_")

        page.click("#send-test-event")
        page.wait_for_selector("text=A test event (ping) is on its way")
        worker()
        page.click("#refresh-deliveries")
        page.wait_for_selector("#deliveries-table .badge-success")
        assert page.inner_text("#deliveries-table .response-code") == "200"

    [request] = receiver.requests
    headers = request["headers"]
    assert headers["X-Rapport-Event"] == "ping"
    assert webhook_signatures.verify(
        secret, headers["X-Rapport-Timestamp"], request["body"], headers["X-Rapport-Signature"]
    )
    page.screenshot(path="/tmp/rapport-webhooks.png", full_page=True)
