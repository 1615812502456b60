"""A customer's contact, in a real browser, opens the portal link of a sent quote, accepts
it and sees the order number; the rep then finds the order on the customer's page."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.services import quotes
from tests.factories import PASSWORD, make_customer, make_quote, make_user

pytestmark = pytest.mark.browser


def test_the_contact_accepts_a_quote_and_the_rep_sees_the_order(page):
    rep = make_user(Role.SALES, email="rita.portal@example.com", name="Rita")
    acme = make_customer(rep, name="Acme Portal")
    line = {"name": "Consulting day", "quantity": "2", "unit_price": "500.00", "tax_rate": "0"}
    quote = make_quote(rep, acme, lines=[line], title="Consulting")
    quotes.mark_sent(quote, rep)
    db.session.commit()

    page.goto(f"/portal/quotes/{quotes.portal_token(quote)}")
    page.wait_for_selector("#portal-quote >> text=Consulting day")
    assert "1,000.00" in page.inner_text("#quote-total")
    page.fill("#accept-name", "Carla Contact")
    page.check("#agree")
    page.click("#accept-quote")
    number = page.locator("#order-number").inner_text()
    assert number.startswith("SO-")

    page.goto("/login")
    page.fill("#email", "rita.portal@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    page.goto(f"/customers/{acme.id}")
    page.wait_for_selector(f"#customer-orders >> text={number}")
    page.click(f"#customer-orders >> text={number}")
    page.wait_for_selector("#order-status >> text=Confirmed")
