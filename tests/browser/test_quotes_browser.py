"""A rep, in a real browser, makes a quote for a customer, adds a typed line and a product
line (each added in place by htmx), gives the quote a 10 % discount, and sees the totals
quote_math computes, to the cent."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import Quote
from app.services import quote_math
from tests.factories import PASSWORD, make_customer, make_product, make_user

pytestmark = pytest.mark.browser


def _dollars(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def test_a_rep_builds_a_quote_and_the_totals_match_quote_math(page):
    rep = make_user(Role.SALES, email="rita.quotes@example.com", name="Rita")
    customer = make_customer(rep, name="Acme Trading")
    product = make_product(name="Router", unit="box", list_price="1234.50", tax_rate="5")
    page.goto("/login")
    page.fill("#email", "rita.quotes@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto(f"/quotes/new?customer_id={customer.id}")
    page.fill("#title", "Network refresh")
    page.click("#save-quote")
    page.wait_for_selector("#quote-line-form")
    assert "Acme Trading" in page.inner_text("#quote-profile")

    page.select_option("#product_id", "")
    page.fill("#name", "Installation")
    page.fill("#quantity", "3")
    page.fill("#unit_price", "19.99")
    page.fill("#discount_percent", "12.5")
    page.fill("#tax_rate", "5")
    page.click("#add-line")
    page.locator("#quote-lines-table", has_text="Installation").wait_for()

    page.select_option("#product_id", str(product.id))
    page.fill("#quantity", "2")
    page.click("#add-line")
    page.locator("#quote-lines-table", has_text="Router").wait_for()
    assert page.locator("#quote-lines-table tbody tr").count() == 2

    page.click("#edit-quote")
    page.fill("#discount_percent", "10")
    page.click("#save-quote")
    page.wait_for_selector("#quote-discount")

    totals = quote_math.quote_totals(
        [
            quote_math.Line(Decimal("3"), Decimal("19.99"), Decimal("12.5"), Decimal("5")),
            quote_math.Line(Decimal("2"), Decimal("1234.50"), Decimal("0"), Decimal("5")),
        ],
        Decimal("10"),
    )
    assert page.inner_text("#quote-subtotal") == _dollars(totals.subtotal)
    assert page.inner_text("#quote-discount") == "−" + _dollars(totals.discount)
    assert page.inner_text("#quote-net") == _dollars(totals.net_total)
    assert page.inner_text("#quote-tax") == _dollars(totals.tax_total)
    assert page.inner_text("#quote-total") == _dollars(totals.total)
    amounts = page.locator("#quote-lines-table .line-amount").all_inner_texts()
    assert amounts == [_dollars(line.total) for line in totals.lines]
    assert "rounded half-up to the cent" in page.inner_text("#quote-lines")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Quote.total)) == totals.total
