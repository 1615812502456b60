"""The product and price book pages: list and search, forms with the service's messages,
prices changed in place with HTMX, and reps who may read but not change the catalogue."""

from decimal import Decimal as D

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import PriceBook, PriceBookEntry, Product
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_price_book, make_product, make_user

HTMX = {"HX-Request": "true"}


def test_everyone_lists_and_searches_products_with_an_active_filter(login):
    make_product(sku="SW-CRM-PRO", name="Rapport 專業版")
    make_product(sku="HW-RTR", name="Router")
    make_product(sku="HW-OLD", name="Old router", is_active=False)
    client = login(make_user(Role.SALES))
    html = client.get("/products").get_data(as_text=True)
    assert "Rapport 專業版" in html and "Router" in html and "Old router" not in html
    assert 'id="nav-products"' in html and 'id="new-product"' not in html
    fragment = client.get("/products?q=專業", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="product-results">')
    assert "Rapport 專業版" in fragment and "Router" not in fragment
    inactive = client.get("/products?active=inactive&q=router", headers=HTMX)
    assert "Old router" in inactive.get_data(as_text=True)
    assert "HW-RTR<" not in inactive.get_data(as_text=True)


def test_the_list_pages_with_a_keyset_cursor(login):
    for n in range(55):
        make_product(sku=f"P-{n:02}", name=f"Product {n:02}")
    client = login(make_user(Role.SALES))
    first = client.get("/products").get_data(as_text=True)
    assert "Product 49" in first and "Product 50" not in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&")).get_data(as_text=True)
    assert "Product 50" in second and "Product 54" in second and "Product 49<" not in second


def test_a_manager_creates_a_product_and_sees_the_services_messages(login):
    client = login(make_user(Role.MANAGER))
    assert client.get("/products/new").status_code == 200
    bad = post_form(client, "/products/new", {"sku": "bad sku", "name": "", "list_price": "1.234"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Use only letters, digits, dashes, underscores and dots" in html
    assert "Enter the product&#39;s name." in html and "Use at most 2 decimals." in html
    good = post_form(
        client,
        "/products/new",
        {
            "sku": "SVC-TRAIN-D",
            "name": "教育訓練 (一天)",
            "unit": "day",
            "list_price": "18000",
            "tax_rate": "5",
            "is_active": "y",
        },
    )
    product = db.session.scalar(sa.select(Product))
    assert good.status_code == 302 and good.location.endswith(f"/products/{product.id}")
    assert (product.list_price, product.tax_rate, product.is_active) == (
        D("18000.00"),
        D("5.00"),
        True,
    )
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "教育訓練 (一天)" in page and 'id="edit-product"' in page


def test_a_manager_edits_deactivates_and_deletes_a_product(login):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, sku="HW-1", name="Switch")
    client = login(manager)
    form = client.get(f"/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="HW-1"' in form and 'value="1000.00"' in form
    saved = post_form(
        client,
        f"/products/{product.id}/edit",
        {"sku": "HW-1", "name": "Switch 24 port", "list_price": "990", "tax_rate": "5"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    changed = db.session.get(Product, product.id)
    assert (changed.name, changed.list_price, changed.is_active) == (
        "Switch 24 port",
        D("990.00"),
        False,  # the checkbox left unticked takes the product off sale
    )
    assert post_form(client, f"/products/{product.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Product.id))) == 0


def test_reps_may_not_open_the_forms_or_post_changes(login):
    product = make_product(name="Kept")
    book = make_price_book()
    client = login(make_user(Role.SALES))
    assert client.get(f"/products/{product.id}").status_code == 200
    assert client.get(f"/price-books/{book.id}").status_code == 200
    for path in ("/products/new", f"/products/{product.id}/edit", "/price-books/new"):
        assert client.get(path).status_code == 403
    assert post_form(client, f"/products/{product.id}/edit", {"name": "Mine"}).status_code == 403
    assert post_form(client, f"/products/{product.id}/delete").status_code == 403
    assert post_form(client, f"/price-books/{book.id}/delete").status_code == 403
    denied = htmx_post(
        client, f"/price-books/{book.id}/prices", {"product_id": product.id, "unit_price": "1"}
    )
    assert denied.status_code == 403
    page = client.get(f"/price-books/{book.id}").get_data(as_text=True)
    assert 'id="add-price"' not in page and 'id="edit-price-book"' not in page
    assert db.session.get(Product, product.id).name == "Kept"


def test_posts_without_a_csrf_token_are_refused(login):
    product = make_product(name="Kept")
    client = login(make_user(Role.MANAGER))
    response = client.post(f"/products/{product.id}/edit", data={"name": "Changed"})
    assert response.status_code == 400
    assert db.session.get(Product, product.id).name == "Kept"


def test_the_product_page_shows_its_price_in_every_book(app, login):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, list_price=D("1000.00"))
    home = make_price_book(manager, name="Retail", currency=app.config["DEFAULT_CURRENCY"])
    dealer = make_price_book(manager, name="Dealer", currency=app.config["DEFAULT_CURRENCY"])
    make_price_book(manager, name="Elsewhere", currency="ZZZ")
    from app.services import price_books

    price_books.set_price(dealer, product, "850.00", manager)
    db.session.commit()
    html = login(make_user(Role.SALES)).get(f"/products/{product.id}").get_data(as_text=True)
    assert f'id="product-price-{home.id}"' in html and "the list price" in html
    assert "850.00" in html and "No price" in html


def test_a_manager_adds_changes_and_removes_prices_in_place(login):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, sku="SW-1", name="Licence")
    book = make_price_book(manager, name="Export", currency="USD")
    client = login(manager)
    page = client.get(f"/price-books/{book.id}").get_data(as_text=True)
    assert f'<option value="{product.id}">SW-1 Licence</option>' in page

    refused = htmx_post(
        client, f"/price-books/{book.id}/prices", {"product_id": product.id, "unit_price": "-1"}
    )
    assert refused.status_code == 200 and "Enter zero or more." in refused.get_data(as_text=True)
    added = htmx_post(
        client, f"/price-books/{book.id}/prices", {"product_id": product.id, "unit_price": "31.5"}
    )
    fragment = added.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="price-book-entries">')
    assert f'id="price-{book.id}-{product.id}"' in fragment and "31.50" in fragment
    entry = db.session.scalar(sa.select(PriceBookEntry))
    assert entry.unit_price == D("31.50")

    row_url = f"/price-books/{book.id}/prices/{product.id}/edit"
    edit_row = client.get(row_url, headers=HTMX).get_data(as_text=True)
    assert 'name="unit_price" value="31.50"' in edit_row
    bad = htmx_post(client, row_url, {"unit_price": "abc"})
    assert "Enter an amount, like 1200 or 99.50." in bad.get_data(as_text=True)
    changed = htmx_post(client, row_url, {"unit_price": "29.99"})
    assert changed.get_data(as_text=True).lstrip().startswith(f'<tr id="price-{book.id}-')
    db.session.expire_all()
    assert db.session.get(PriceBookEntry, entry.id).unit_price == D("29.99")
    cancel = client.get(f"/price-books/{book.id}/prices/{product.id}", headers=HTMX)
    assert "29.99" in cancel.get_data(as_text=True)

    removed = htmx_post(client, f"/price-books/{book.id}/prices/{product.id}/delete", {})
    assert "No prices in this book yet." in removed.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PriceBookEntry.id))) == 0


def test_a_manager_creates_edits_and_deletes_a_price_book(login):
    client = login(make_user(Role.MANAGER))
    form = client.get("/price-books/new").get_data(as_text=True)
    assert 'name="currency"' in form
    bad = post_form(client, "/price-books/new", {"name": "Export", "currency": "dollars"})
    assert "Enter a three-letter currency code" in bad.get_data(as_text=True)
    created = post_form(client, "/price-books/new", {"name": "Export", "currency": "usd"})
    book = db.session.scalar(sa.select(PriceBook))
    assert created.status_code == 302 and book.currency == "USD"
    assert "Export" in client.get("/price-books").get_data(as_text=True)
    post_form(client, f"/price-books/{book.id}/edit", {"name": "Export USD", "currency": "USD"})
    db.session.expire_all()
    assert db.session.get(PriceBook, book.id).name == "Export USD"
    token = csrf_token(client, "/")
    assert (
        client.post(f"/price-books/{book.id}/delete", data={"csrf_token": token}).status_code == 302
    )
    assert db.session.scalar(sa.select(sa.func.count(PriceBook.id))) == 0
