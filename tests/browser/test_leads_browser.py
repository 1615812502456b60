"""A sales rep, in a real browser, finds a lead, logs a call on it and converts it into a
new customer with a contact; the call follows them to the customer's timeline."""

import pytest

from app.extensions import db
from app.models.identity import Role
from tests.factories import PASSWORD, make_lead, make_user

pytestmark = pytest.mark.browser


def test_rep_logs_a_call_on_a_lead_and_converts_it_from_its_page(page):
    rep = make_user(Role.SALES, email="rep@example.com")
    make_lead(
        rep, first_name="美玲", last_name="林", company="台灣積體電路", email="lin@tsmc.example"
    )
    make_lead(rep, last_name="Other", company="鴻海精密工業")
    db.session.commit()

    page.goto("/login")
    page.fill("#email", "rep@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.click("#nav-sales summary")
    page.click("#nav-leads")
    page.wait_for_selector("#lead-table >> text=鴻海精密工業")
    page.fill("#q", "積體")
    page.wait_for_function("!document.querySelector('#lead-results').innerText.includes('鴻海')")
    page.locator("#lead-table >> text=林美玲").click()
    page.wait_for_selector("h1 >> text=林美玲")

    page.locator("button[id^=lead-call-]").click()
    page.fill("#subject", "First call")
    page.click("#save-activity")
    page.wait_for_selector("[id^=lead-activities-] >> text=First call")

    page.click("#convert-lead")
    page.wait_for_selector("#convert-form")
    page.click("#confirm-convert")
    page.wait_for_selector("h1 >> text=台灣積體電路")
    assert "/customers/" in page.url
    assert page.locator("#customer-contacts").inner_text().count("林美玲") == 1
    page.wait_for_selector("[id^=timeline-] >> text=First call")
    page.screenshot(path="/tmp/rapport-lead-converted.png", full_page=True)
