"""Orders over the API: entered, priced line by line, moved through their statuses, with
the same rules as the order pages, through the same services."""

from datetime import date

import pytest

from app.extensions import db
from app.models.identity import Role, TokenScope
from app.models.orders import Order
from tests.api.conftest import assert_error
from tests.factories import make_customer, make_order, make_team, make_user

LINE = {"name": "Support plan", "quantity": "2", "unit_price": "150.00", "tax_rate": "5"}


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def test_a_rep_enters_an_order_prices_it_and_steps_it_through_its_statuses(client, token_for, rep):
    customer = make_customer(rep, name="Acme")
    headers = token_for(rep)
    created = client.post(
        "/api/v1/orders",
        json={"customer_id": customer.id, "order_date": "2026-03-02", "notes": "Rush"},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["number"], body["status"], body["order_date"]) == (
        "SO-2026-0001", "PENDING", "2026-03-02"
    )  # fmt: skip
    url = f"/api/v1/orders/{body['id']}"

    added = client.post(f"{url}/lines", json=LINE, headers=headers)
    assert added.status_code == 201, added.get_json()
    added = client.post(
        f"{url}/lines",
        json={"name": "Cable", "quantity": 3, "unit_price": 9.99, "discount_percent": "10"},
        headers=headers,
    )
    order = added.get_json()
    assert [line["net"] for line in order["lines"]] == ["300.00", "26.97"]
    assert [line["amount"] for line in order["lines"]] == ["315.00", "26.97"]
    totals = ("subtotal", "discount_amount", "net_amount", "tax_total", "total")
    assert [order[name] for name in totals] == ["326.97", "0.00", "326.97", "15.00", "341.97"]

    cable = order["lines"][1]["id"]
    changed = client.patch(f"{url}/lines/{cable}", json={"quantity": "1"}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["total"] == "323.99"
    removed = client.delete(f"{url}/lines/{cable}", headers=headers)
    assert removed.status_code == 200 and removed.get_json()["total"] == "315.00"
    discounted = client.patch(url, json={"discount_percent": "10"}, headers=headers)
    assert discounted.status_code == 200 and discounted.get_json()["total"] == "283.50"

    confirmed = client.post(f"{url}/status", json={"status": "CONFIRMED"}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "CONFIRMED"
    locked = client.post(f"{url}/lines", json=LINE, headers=headers)
    assert body["number"] in assert_error(locked, 409, "order_locked")["error"]["message"]
    back = client.post(f"{url}/status", json={"status": "PENDING"}, headers=headers)
    assert set(assert_error(back, 422, "unprocessable_entity")["error"]["fields"]) == {"status"}
    amounts = client.patch(url, json={"discount_percent": "0"}, headers=headers)
    assert_error(amounts, 422, "unprocessable_entity")
    notes = client.patch(url, json={"notes": "Ship in May"}, headers=headers)
    assert notes.status_code == 200 and notes.get_json()["notes"] == "Ship in May"
    assert_error(client.delete(url, headers=headers), 409, "order_locked")

    cancelled = client.post(f"{url}/status", json={"status": "CANCELLED"}, headers=headers)
    assert cancelled.get_json()["status"] == "CANCELLED"
    assert_error(client.patch(url, json={"notes": "x"}, headers=headers), 409, "order_locked")


def test_bad_input_answers_422_naming_the_fields(client, token_for, rep):
    headers = token_for(rep)
    missing = client.post(
        "/api/v1/orders", json={"currency": "dollars", "discount_percent": "101"}, headers=headers
    )
    fields = assert_error(missing, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"customer_id", "currency", "discount_percent"}
    order = make_order(rep)
    url = f"/api/v1/orders/{order.id}"
    bad_status = client.post(f"{url}/status", json={"status": "SHIPPED"}, headers=headers)
    assert "status" in assert_error(bad_status, 422, "unprocessable_entity")["error"]["fields"]
    no_lines = client.post(f"{url}/status", json={"status": "CONFIRMED"}, headers=headers)
    assert (
        "line"
        in assert_error(no_lines, 422, "unprocessable_entity")["error"]["fields"]["status"][0]
    )
    bad_line = client.post(f"{url}/lines", json={"quantity": "-1"}, headers=headers)
    fields = assert_error(bad_line, 422, "unprocessable_entity")["error"]["fields"]
    assert {"name", "quantity", "unit_price"} <= set(fields)
    assert_error(client.patch(f"{url}/lines/999999", json={}, headers=headers), 404, "not_found")


def test_other_reps_orders_are_not_found_and_team_readers_may_not_change_them(
    client, token_for, rep
):
    team = make_team()
    mine = make_order(rep, lines=[LINE])
    theirs = make_order(make_user(Role.SALES, team=team), lines=[LINE])
    headers = token_for(rep)
    listed = client.get("/api/v1/orders", headers=headers).get_json()["data"]
    assert [row["id"] for row in listed] == [mine.id]
    url = f"/api/v1/orders/{theirs.id}"
    assert_error(client.get(url, headers=headers), 404, "not_found")
    assert_error(client.post(f"{url}/status", json={"status": "CONFIRMED"}, headers=headers),
                 404, "not_found")  # fmt: skip

    support = token_for(make_user(Role.SUPPORT, team=team))
    assert client.get(url, headers=support).status_code == 200
    refused = client.post(f"{url}/status", json={"status": "CONFIRMED"}, headers=support)
    assert_error(refused, 403, "forbidden")
    assert_error(client.delete(url, headers=support), 403, "forbidden")


def test_a_read_only_token_reads_but_never_writes(client, token_for, rep):
    order = make_order(rep, lines=[LINE])
    headers = token_for(rep, TokenScope.READ)
    url = f"/api/v1/orders/{order.id}"
    assert client.get(url, headers=headers).status_code == 200
    for response in (
        client.post("/api/v1/orders", json={"customer_id": order.customer_id}, headers=headers),
        client.post(f"{url}/status", json={"status": "CONFIRMED"}, headers=headers),
        client.patch(f"{url}/lines/{order.lines[0].id}", json={"quantity": 9}, headers=headers),
        client.delete(url, headers=headers),
    ):
        assert_error(response, 403, "forbidden")
    db.session.expire_all()
    assert db.session.get(Order, order.id).status.value == "PENDING"


def test_the_list_is_newest_first_filtered_by_status_customer_and_date_and_paged(
    client, token_for, rep
):
    acme = make_customer(rep, name="Acme")
    march = make_order(rep, customer=acme, order_date="2026-03-02")
    april = make_order(rep, customer=acme, order_date="2026-04-15", lines=[LINE])
    may = make_order(rep, order_date="2026-05-20")
    headers = token_for(rep)
    client.post(f"/api/v1/orders/{april.id}/status", json={"status": "CONFIRMED"},
                headers=headers)  # fmt: skip

    def ids(query):
        response = client.get(f"/api/v1/orders?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [row["id"] for row in response.get_json()["data"]]

    assert ids("") == [may.id, april.id, march.id]
    assert ids(f"customer_id={acme.id}") == [april.id, march.id]
    assert ids("status=CONFIRMED") == [april.id]
    assert ids("date_from=2026-04-01&date_to=2026-04-30") == [april.id]
    assert ids("date_from=2026-04-01") == [may.id, april.id]
    assert_error(client.get("/api/v1/orders?date_from=April", headers=headers), 422,
                 "unprocessable_entity")  # fmt: skip

    page = client.get("/api/v1/orders?limit=2", headers=headers).get_json()
    assert [row["id"] for row in page["data"]] == [may.id, april.id]
    last = client.get(page["next"], headers=headers).get_json()
    assert [row["id"] for row in last["data"]] == [march.id] and last["next"] is None
    assert date.fromisoformat(last["data"][0]["order_date"]) == date(2026, 3, 2)
