"""An SMS campaign in a real browser: choosing the SMS type shows the text field (a data-
action, no inline script), the campaign is sent to a static list while the progress bar
runs, the opted-in mobile gets the text (the development provider records it) and the
campaign page shows the SMS figures."""

import pytest

from app.models.identity import Role
from app.services.sms import preferences
from app.services.sms.providers import DevelopmentProvider
from tests.factories import PASSWORD, make_contact, make_user
from tests.marketing_factories import make_segment

pytestmark = pytest.mark.browser


def test_an_sms_campaign_is_written_and_sent(page, live_server, background_worker, db):
    marketer = make_user(Role.MARKETING, email="mia.sms@example.com", name="Mia")
    ann = make_contact(marketer, first_name="Ann", mobile="555 010 0101")
    bob = make_contact(marketer, first_name="Bob", mobile="555 010 0102")  # no SMS consent
    preferences.opt_in("+15550100101", source="manual", detail="signed at the counter")
    db.session.commit()
    make_segment(marketer, name="Counter sign-ups", kind="STATIC", members=[ann.id, bob.id])
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login")
    page.fill("#email", "mia.sms@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto("/marketing/campaigns/new")
    assert not page.is_visible("#sms_body")
    page.fill("#name", "Weekend text")
    page.select_option("#type", "SMS")
    page.wait_for_selector("#sms_body", state="visible")
    page.fill("#sms_body", "Hi {{ contact.first_name }}, doors open at 9!")
    page.select_option("#segment_id", label="Counter sign-ups")
    page.click("#save-campaign")

    page.wait_for_selector("#send-now-button")
    assert page.inner_text("#send-preview-sendable") == "1"
    page.click("#send-now-button")
    page.locator("#send-state", has_text="Sent").wait_for(timeout=20_000)
    assert page.inner_text("#send-count-sent") == "1"
    assert page.inner_text("#send-skipped-no_consent") == "1"
    [recorded] = DevelopmentProvider.recorded()
    assert recorded["to"] == "+15550100101"
    assert recorded["body"] == "Hi Ann, doors open at 9! Reply STOP to opt out."
    page.reload()
    assert page.inner_text("#sms-metric-sent") == "1"
