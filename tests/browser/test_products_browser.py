"""A manager, in a real browser, adds a price to a price book, changes it in place and
removes it, without a page reload."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import PriceBookEntry
from tests.factories import PASSWORD, make_price_book, make_product, make_user

pytestmark = pytest.mark.browser


def test_a_manager_keeps_a_price_book_in_place(page):
    manager = make_user(Role.MANAGER, email="mona@example.com")
    product = make_product(manager, sku="SW-1", name="授權 Licence")
    book = make_price_book(manager, name="Export", currency="USD")
    page.goto("/login")
    page.fill("#email", "mona@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto(f"/price-books/{book.id}")
    page.evaluate("window.notReloaded = true")
    page.select_option("#product_id", str(product.id))
    page.fill("#unit_price", "31.5")
    page.click("#save-price")
    row = f"#price-{book.id}-{product.id}"
    page.wait_for_selector(f"{row} >> text=31.50")

    page.click(f"{row} >> text=Change")
    page.fill(f"{row} input[name=unit_price]", "29.99")
    page.click(f"{row} >> text=Save")
    page.wait_for_selector(f"{row} >> text=29.99")
    db.session.expire_all()
    assert db.session.scalar(sa.select(PriceBookEntry.unit_price)) == D("29.99")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{row} >> text=Remove")
    page.wait_for_selector("text=No prices in this book yet.")
    assert page.evaluate("window.notReloaded") is True
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(PriceBookEntry.id))) == 0
