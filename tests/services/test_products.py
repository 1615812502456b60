"""The product catalogue and price books: field rules with their messages, who may keep the
catalogue, search and keyset lists, prices per book and the list-price fallback."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.sales import PriceBook, PriceBookEntry, Product
from app.permissions import PermissionDenied
from app.services import price_books, products
from app.services.validation import RecordInvalid
from tests.factories import make_price_book, make_product, make_user


def _errors(call, *args, **fields) -> dict:
    with pytest.raises(RecordInvalid) as refused:
        call(*args, **fields)
    return refused.value.errors


def test_a_manager_adds_a_product_with_exact_prices_and_it_is_audited():
    manager = make_user(Role.MANAGER)
    product = products.create_product(
        manager,
        sku=" CRM-PRO-1Y ",
        name="Rapport 專業版 年授權",
        unit="seat",
        list_price="12000.5",
        tax_rate="5",
        description="One seat for a year.",
    )
    db.session.commit()
    assert (product.sku, product.list_price, product.tax_rate) == (
        "CRM-PRO-1Y",
        D("12000.50"),
        D("5.00"),
    )
    assert product.is_active
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "products"))
    assert entry.entity_id == str(product.id)


def test_every_bad_field_is_reported_at_once_with_a_clear_message():
    manager = make_user(Role.MANAGER)
    errors = _errors(
        products.create_product,
        manager,
        sku="has space",
        name="",
        unit="x" * 21,
        list_price="-1",
        tax_rate="100.5",
    )
    assert errors == {
        "sku": "Use only letters, digits, dashes, underscores and dots in the SKU (no spaces).",
        "name": "Enter the product's name.",
        "unit": "Use at most 20 characters.",
        "list_price": "Enter zero or more.",
        "tax_rate": "Enter a percentage from 0 to 100.",
    }
    assert _errors(products.create_product, manager, name="X")["sku"] == "Enter the product's SKU."
    assert _errors(products.create_product, manager, sku="A" * 65, name="X", list_price=1)[
        "sku"
    ] == ("Use at most 64 characters.")
    more = _errors(
        products.create_product, manager, sku="OK", name="X", list_price="9.999", tax_rate="5.125"
    )
    assert more == {"list_price": "Use at most 2 decimals.", "tax_rate": "Use at most 2 decimals."}
    assert _errors(products.create_product, manager, sku="OK", name="X", list_price="abc") == {
        "list_price": "Enter an amount, like 1200 or 99.50."
    }
    assert _errors(products.create_product, manager, sku="OK", name="X") == {
        "list_price": "Enter the list price (0 for a free item)."
    }
    assert _errors(products.create_product, manager, sku="OK", name="X", list_price="1e30") == {
        "list_price": "Enter at most 999999999999.99."
    }
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_skus_are_unique_whatever_their_case():
    manager = make_user(Role.MANAGER)
    first = make_product(manager, sku="HW-Router-01")
    errors = _errors(products.create_product, manager, sku="hw-router-01", name="Y", list_price=1)
    assert errors == {"sku": "Another product has the SKU hw-router-01."}
    # Saving a product with its own SKU (even recased) is no clash.
    products.update_product(first, manager, sku="HW-ROUTER-01")
    assert first.sku == "HW-ROUTER-01"


def test_an_update_changes_only_the_given_fields_and_deactivating_keeps_the_product():
    manager = make_user(Role.MANAGER)
    product = make_product(manager, name="Router", list_price=D("3500"))
    products.update_product(product, manager, list_price="3200.00")
    assert (product.name, product.list_price) == ("Router", D("3200.00"))
    products.deactivate_product(product, manager)
    db.session.commit()
    assert db.session.get(Product, product.id).is_active is False


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING, Role.SUPPORT])
def test_reps_read_the_catalogue_but_may_not_change_it(role):
    user = make_user(role)
    product = make_product()
    book = make_price_book()
    rows, _ = products.product_page(user, products.ProductFilters())
    assert rows == [product]
    assert price_books.price_books(user) == [book]
    with pytest.raises(PermissionDenied):
        products.create_product(user, sku="X", name="X", list_price=1)
    with pytest.raises(PermissionDenied):
        products.update_product(product, user, name="Mine")
    with pytest.raises(PermissionDenied):
        products.delete_product(product, user)
    with pytest.raises(PermissionDenied):
        price_books.create_price_book(user, name="Mine", currency="TWD")
    with pytest.raises(PermissionDenied):
        price_books.set_price(book, product, "1.00", user)


def test_deleting_a_product_removes_its_prices_and_a_reference_check_can_refuse_it():
    manager = make_user(Role.MANAGER)
    product = make_product(manager)
    book = make_price_book(manager)
    price_books.set_price(book, product, "30.00", manager)
    db.session.commit()

    check = lambda p: "It is on quote Q-2026-0001." if p.id == product.id else None  # noqa: E731
    products.register_reference_check(check)
    try:
        assert _errors(products.delete_product, product, manager) == {
            "product": "It is on quote Q-2026-0001."
        }
    finally:
        products._REFERENCE_CHECKS.remove(check)
    products.delete_product(product, manager)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(PriceBookEntry.id))) == 0
    assert db.session.get(PriceBook, book.id) is not None


def test_search_matches_sku_name_and_description_in_any_case_and_lists_filter_activity():
    manager = make_user(Role.MANAGER)
    router = make_product(manager, sku="HW-RTR-100", name="Office router 路由器")
    make_product(manager, sku="SW-CRM", name="CRM licence", description="Includes a ROUTER plugin")
    old = make_product(manager, sku="HW-RTR-050", name="Old router", is_active=False)
    make_product(manager, sku="SVC-TRAIN", name="Training day 教育訓練")

    def find(q, active="active"):
        filters = products.ProductFilters(q=q, active=active)
        return sorted(p.sku for p in products.product_page(manager, filters)[0])

    assert find("router") == ["HW-RTR-100", "SW-CRM"]
    assert find("hw-rtr", "all") == ["HW-RTR-050", "HW-RTR-100"]
    assert find("rtr", "inactive") == ["HW-RTR-050"]
    assert find("路由") == ["HW-RTR-100"]
    assert find("教育 day") == ["SVC-TRAIN"]
    assert find("100%") == [] and find("_") == []
    assert router.is_active and not old.is_active


def test_the_keyset_list_pages_through_every_product_once():
    manager = make_user(Role.MANAGER)
    for n in range(7):
        make_product(manager, sku=f"P-{n}", name=f"Same name {n % 2}")
    for sort, direction in (("name", "asc"), ("sku", "desc"), ("updated_at", "asc")):
        filters = products.ProductFilters(sort=sort, direction=direction)
        seen, cursor = [], None
        while True:
            rows, cursor = products.product_page(manager, filters, cursor, limit=3)
            seen += [row.sku for row in rows]
            if cursor is None:
                break
        assert sorted(seen) == [f"P-{n}" for n in range(7)]
        assert len(seen) == 7
    filters = products.ProductFilters.from_args({"active": "bogus", "sort": "drop table"})
    assert (filters.active, filters.sort) == ("active", "name")


def test_price_books_need_a_unique_name_and_a_three_letter_currency():
    manager = make_user(Role.MANAGER)
    book = price_books.create_price_book(manager, name="Export", currency="usd")
    assert book.currency == "USD"
    assert _errors(price_books.create_price_book, manager, name="export", currency="US") == {
        "name": "Another price book is called export.",
        "currency": "Enter a three-letter currency code, like TWD or USD.",
    }
    assert _errors(price_books.create_price_book, manager, name="", currency="TWD") == {
        "name": "Enter the price book's name."
    }
    price_books.update_price_book(book, manager, is_active=False, description="Old")
    assert (book.is_active, book.description) == (False, "Old")


def test_set_price_adds_then_changes_the_entry_and_remove_price_takes_it_out(app):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, list_price=D("1000.00"))
    export = make_price_book(manager, name="Export", currency="ZZZ")
    first = price_books.set_price(export, product, "31.50", manager)
    again = price_books.set_price(export, product, D("29.99"), manager)
    assert first.id == again.id and again.unit_price == D("29.99")
    assert price_books.price_for(product, export) == D("29.99")
    assert _errors(price_books.set_price, export, product, "-3", manager) == {
        "unit_price": "Enter zero or more."
    }
    assert price_books.remove_price(export, product, manager) is True
    assert price_books.remove_price(export, product, manager) is False
    # No entry, and the book is in another currency than the list price: no price at all.
    assert price_books.price_for(product, export) is None


def test_price_for_falls_back_to_the_list_price_in_the_default_currency(app):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, list_price=D("1000.00"))
    home = app.config["DEFAULT_CURRENCY"]
    retail = make_price_book(manager, name="Retail", currency=home)
    distributor = make_price_book(manager, name="Distributor", currency=home)
    foreign = make_price_book(manager, name="Foreign", currency="ZZZ")
    price_books.set_price(distributor, product, "850.00", manager)
    assert price_books.price_for(product) == D("1000.00")
    assert price_books.price_for(product, retail) == D("1000.00")
    assert price_books.price_for(product, distributor) == D("850.00")
    assert price_books.price_for(product, foreign) is None
    prices = {
        p.book.name: (p.entry is not None, p.price)
        for p in price_books.product_prices(manager, product)
    }
    assert prices == {
        "Distributor": (True, D("850.00")),
        "Foreign": (False, None),
        "Retail": (False, D("1000.00")),
    }
    assert [e.product_id for e in price_books.book_entries(distributor)] == [product.id]
    assert [row.id for row in price_books.unpriced_products(distributor)] == []
    assert [row.id for row in price_books.unpriced_products(retail)] == [product.id]


def test_deleting_a_price_book_deletes_its_prices_not_the_products():
    manager = make_user(Role.MANAGER)
    product = make_product(manager)
    book = make_price_book(manager)
    price_books.set_price(book, product, "1.00", manager)
    price_books.delete_price_book(book, manager)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(PriceBookEntry.id))) == 0
    assert db.session.get(Product, product.id) is not None
