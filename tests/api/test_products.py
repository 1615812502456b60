"""The catalogue over the API: products, price books and prices, with exact decimal strings,
the same rules and messages as the pages, and reps who may read but not write."""

from decimal import Decimal as D

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Product
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_price_book, make_product, make_user


def test_a_manager_adds_changes_searches_and_deletes_a_product(client, token_for):
    headers = token_for(make_user(Role.MANAGER))
    created = client.post(
        "/api/v1/products",
        json={
            "sku": "SW-CRM-ENT",
            "name": "Rapport 企業版 年授權",
            "unit": "seat",
            "list_price": "24000.5",
            "tax_rate": 5,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["list_price"], body["tax_rate"], body["is_active"]) == ("24000.50", "5.00", True)

    url = f"/api/v1/products/{body['id']}"
    changed = client.patch(url, json={"list_price": 23000, "is_active": False}, headers=headers)
    assert changed.get_json()["list_price"] == "23000.00"
    assert changed.get_json()["name"] == "Rapport 企業版 年授權"
    found, _ = _walk(client, "/api/v1/products?q=企業&active=false", headers)
    assert [p["id"] for p in found] == [body["id"]]
    none, _ = _walk(client, "/api/v1/products?q=企業&active=true", headers)
    assert none == []

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_bad_fields_answer_422_with_the_services_messages(client, token_for):
    manager = make_user(Role.MANAGER)
    make_product(manager, sku="TAKEN")
    headers = token_for(manager)
    response = client.post(
        "/api/v1/products",
        json={"sku": "taken", "name": "X", "list_price": "1.005", "tax_rate": "120"},
        headers=headers,
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert fields == {
        "sku": ["Another product has the SKU taken."],
        "list_price": ["Use at most 2 decimals."],
        "tax_rate": ["Enter a percentage from 0 to 100."],
    }
    not_a_number = client.post(
        "/api/v1/products", json={"sku": "A", "name": "X", "list_price": "lots"}, headers=headers
    )
    assert not_a_number.status_code == 422


def test_reps_read_the_catalogue_but_may_not_write_it(client, token_for):
    product = make_product(name="Kept")
    book = make_price_book()
    headers = token_for(make_user(Role.SALES))
    found, _ = _walk(client, "/api/v1/products", headers)
    assert [p["name"] for p in found] == ["Kept"]
    assert client.get(f"/api/v1/price-books/{book.id}", headers=headers).status_code == 200
    refused = client.patch(f"/api/v1/products/{product.id}", json={"name": "x"}, headers=headers)
    assert_error(refused, 403, "forbidden")
    assert_error(
        client.post("/api/v1/price-books", json={"name": "M", "currency": "TWD"}, headers=headers),
        403,
        "forbidden",
    )
    assert_error(
        client.put(
            f"/api/v1/price-books/{book.id}/prices/{product.id}",
            json={"unit_price": "1"},
            headers=headers,
        ),
        403,
        "forbidden",
    )
    assert db.session.get(Product, product.id).name == "Kept"


def test_price_books_and_a_products_price_in_them(app, client, token_for):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, list_price=D("1000.00"))
    home = app.config["DEFAULT_CURRENCY"]
    headers = token_for(manager)
    created = client.post(
        "/api/v1/price-books", json={"name": "Retail", "currency": home.lower()}, headers=headers
    )
    assert created.status_code == 201 and created.get_json()["currency"] == home
    retail = created.get_json()["id"]
    export = client.post(
        "/api/v1/price-books", json={"name": "Export", "currency": "ZZZ"}, headers=headers
    ).get_json()["id"]
    bad = client.post("/api/v1/price-books", json={"name": "X", "currency": "1"}, headers=headers)
    assert assert_error(bad, 422, "unprocessable_entity")["error"]["fields"] == {
        "currency": ["Enter a three-letter currency code, like TWD or USD."]
    }
    books, _ = _walk(client, "/api/v1/price-books", headers)
    assert [b["name"] for b in books] == ["Retail", "Export"]

    def price(book_id):
        url = f"/api/v1/price-books/{book_id}/prices/{product.id}"
        return client.get(url, headers=headers).get_json()

    assert (price(retail)["unit_price"], price(retail)["source"]) == ("1000.00", "list_price")
    assert (price(export)["unit_price"], price(export)["source"]) == (None, None)
    url = f"/api/v1/price-books/{export}/prices/{product.id}"
    put = client.put(url, json={"unit_price": "31.5"}, headers=headers)
    assert put.status_code == 200
    assert put.get_json() == {
        "price_book_id": export,
        "product_id": product.id,
        "currency": "ZZZ",
        "unit_price": "31.50",
        "source": "entry",
    }
    negative = client.put(url, json={"unit_price": "-1"}, headers=headers)
    assert assert_error(negative, 422, "unprocessable_entity")["error"]["fields"] == {
        "unit_price": ["Enter zero or more."]
    }
    assert client.delete(url, headers=headers).status_code == 204
    assert price(export)["unit_price"] is None
    missing = client.get(f"/api/v1/price-books/{export}/prices/999999", headers=headers)
    assert_error(missing, 404, "not_found")
