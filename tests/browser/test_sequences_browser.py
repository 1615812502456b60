"""A marketer, in a real browser, builds a sequence's steps by HTMX round trips (add,
set the template), activates it, enrols a lead by search and sees the lead's step."""

import pytest

from app.models.identity import Role
from tests.factories import PASSWORD, make_lead, make_user
from tests.marketing_factories import make_sequence, make_template

pytestmark = pytest.mark.browser


def test_a_marketer_builds_a_sequence_and_enrols_a_lead(page):
    marketer = make_user(Role.MARKETING, email="mia.sequences@example.com", name="Mia")
    template = make_template(marketer, name="Welcome mail")
    make_lead(marketer, first_name="Mei", last_name="Chen", email="mei@example.com")
    sequence = make_sequence(marketer, name="Welcome")
    page.goto("/login")
    page.fill("#email", "mia.sequences@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    page.goto(f"/marketing/sequences/{sequence.id}")

    page.select_option("#new-step-kind", "WAIT")
    page.click("#add-step-button")
    page.locator(".sequence-step", has_text="Wait 1 day.").wait_for()
    page.select_option("#new-step-kind", "SEND_EMAIL")
    page.click("#add-step-button")
    page.locator("#sequence-problems", has_text="Step 2 needs an email template.").wait_for()
    email_step = page.locator(".sequence-step", has_text="Choose the email to send.")
    email_step.locator("summary").click()
    email_step.locator("select").select_option(str(template.id))
    email_step.locator("button", has_text="Save step").click()
    page.locator(".sequence-step", has_text="Send “Welcome mail”.").wait_for()
    assert page.locator("#sequence-problems").count() == 0

    page.click("#edit-sequence")
    page.select_option("#status", "ACTIVE")
    page.click("#save-sequence")
    page.locator("#sequence-enrol").wait_for()
    page.fill("#candidate-search", "Chen")
    page.locator("#sequence-candidates", has_text="Mei Chen").wait_for()
    page.locator("#sequence-candidates button", has_text="Enrol").click()
    row = page.locator("#enrollment-table tr", has_text="Mei Chen")
    row.wait_for()
    assert "1. Wait" in row.inner_text()
    page.screenshot(path="/tmp/sequence_page.png", full_page=True)
