"""An agent, in a real browser, answers a ticket: the reply and then an internal note
appear in the conversation in place (htmx), the note marked as internal."""

import pytest

from app.extensions import db
from app.models.identity import Role
from tests.factories import PASSWORD, make_customer, make_team, make_ticket, make_user

pytestmark = pytest.mark.browser


def test_an_agent_replies_and_adds_a_note_without_leaving_the_page(page):
    agent = make_user(Role.SUPPORT, team=make_team(), email="amy@example.com", name="Amy")
    customer = make_customer(agent, name="Acme")
    ticket = make_ticket(agent, subject="Printer jams", customer_id=customer.id,
                         description="It jams on page 2")  # fmt: skip
    db.session.commit()

    page.goto("/login")
    page.fill("#email", "amy@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto(f"/tickets/{ticket.id}")
    page.wait_for_selector(f"h1 >> text={ticket.number}")
    page.evaluate("window.notReloaded = true")
    page.fill("#body", "Please restart the printer.")
    page.click("#send-reply")
    page.wait_for_selector(".ticket-comment-public >> text=Please restart the printer.")
    page.fill("#body", "Toner is low, order more.")
    page.check("#internal")
    page.click("#send-reply")
    page.wait_for_selector(".ticket-comment-internal >> text=Toner is low")
    assert page.evaluate("window.notReloaded") is True
    assert page.input_value("#body") == ""
    page.screenshot(path="/tmp/rapport-ticket.png", full_page=True)
