"""Customers over the API: the same rules as the pages, through app.services.customers."""

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.identity import Role, TokenScope
from app.services import custom_fields
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_contact, make_customer, make_team, make_user


def test_a_rep_creates_reads_changes_and_deletes_a_customer(client, token_for):
    rep = make_user(Role.SALES)
    headers = token_for(rep)

    created = client.post(
        "/api/v1/customers",
        json={
            "name": "台積電",
            "company": "台灣積體電路製造股份有限公司",
            "status": "CUSTOMER",
            "rating": "HOT",
            "email": "info@tsmc.example.com",
            "addresses": [{"kind": "BILLING", "city": "新竹市", "country": "tw"}],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["status"], body["rating"], body["owner_id"]) == ("CUSTOMER", "HOT", rep.id)
    assert body["addresses"][0]["country"] == "TW"
    assert "search_text" not in body
    url = f"/api/v1/customers/{body['id']}"
    assert client.get(url, headers=headers).get_json()["company"].startswith("台灣積體")

    changed = client.patch(url, json={"rating": "WARM", "phone": "+886 3 5636688"}, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["rating"], changed.get_json()["name"]) == ("WARM", "台積電")
    found = client.get("/api/v1/customers?q=5636688", headers=headers).get_json()["data"]
    assert [c["id"] for c in found] == [body["id"]]

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")
    assert db.session.get(Customer, body["id"]) is None


def test_someone_elses_customer_is_not_found_and_a_read_only_one_cannot_be_changed(
    client, token_for
):
    north = make_team("North")
    rep = make_user(Role.SALES, team=north)
    other_rep = make_user(Role.SALES, team=north)
    agent = make_user(Role.SUPPORT, team=north)
    theirs = make_customer(other_rep, name="Not yours")
    url = f"/api/v1/customers/{theirs.id}"

    rep_headers = token_for(rep)
    assert client.get("/api/v1/customers", headers=rep_headers).get_json()["data"] == []
    assert_error(client.get(url, headers=rep_headers), 404, "not_found")
    assert_error(client.patch(url, json={"name": "Mine"}, headers=rep_headers), 404, "not_found")
    assert_error(client.delete(url, headers=rep_headers), 404, "not_found")

    # A support agent reads the team's customers but may neither change nor delete them.
    agent_headers = token_for(agent)
    assert client.get(url, headers=agent_headers).get_json()["name"] == "Not yours"
    assert_error(client.patch(url, json={"name": "X"}, headers=agent_headers), 403, "forbidden")
    assert_error(client.delete(url, headers=agent_headers), 403, "forbidden")
    read_only = token_for(other_rep, TokenScope.READ)
    assert_error(client.delete(url, headers=read_only), 403, "forbidden")
    assert db.session.get(Customer, theirs.id).name == "Not yours"


def test_bad_fields_answer_422_naming_each_field(client, token_for):
    rep = make_user(Role.SALES, team=make_team())
    outsider = make_user(Role.SALES, team=make_team())
    headers = token_for(rep)

    response = client.post(
        "/api/v1/customers",
        json={"name": " ", "email": "not-an-email", "website": "javascript:alert(1)"},
        headers=headers,
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"name", "email", "website"}
    assert all(isinstance(messages, list) and messages for messages in fields.values())

    given_away = client.post(
        "/api/v1/customers", json={"name": "Acme", "owner_id": outsider.id}, headers=headers
    )
    assert "owner_id" in assert_error(given_away, 422, "unprocessable_entity")["error"]["fields"]
    forged = client.post(
        "/api/v1/customers",
        json={"name": "Acme", "created_by_id": outsider.id, "search_text": "x"},
        headers=headers,
    )
    assert set(assert_error(forged, 422, "unprocessable_entity")["error"]["fields"]) == {
        "created_by_id",
        "search_text",
    }
    bad_enum = client.post(
        "/api/v1/customers", json={"name": "A", "status": "VIP"}, headers=headers
    )
    assert "status" in assert_error(bad_enum, 422, "unprocessable_entity")["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_a_manager_assigns_a_customer_to_a_rep_of_the_team(client, token_for):
    team = make_team()
    manager = make_user(Role.MANAGER, team=team)
    rep = make_user(Role.SALES, team=team)
    created = client.post(
        "/api/v1/customers", json={"name": "Acme", "owner_id": rep.id}, headers=token_for(manager)
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["owner_id"] == rep.id


def test_the_list_walks_every_visible_customer_once_with_filters_kept(client, token_for):
    rep = make_user(Role.SALES)
    for n in range(7):
        make_customer(rep, name=f"客戶 {n}", status="CUSTOMER" if n % 2 else "LEAD")
    make_customer(make_user(Role.SALES), name="Hidden")
    headers = token_for(rep)

    items, links = _walk(client, "/api/v1/customers?limit=3", headers)
    ids = [item["id"] for item in items]
    assert len(ids) == 7 and ids == sorted(set(ids)) and len(links) == 2

    leads, _ = _walk(client, "/api/v1/customers?status=LEAD&limit=2", headers)
    assert [c["name"] for c in leads] == ["客戶 0", "客戶 2", "客戶 4", "客戶 6"]
    assert_error(
        client.get("/api/v1/customers?sort=name", headers=headers), 422, "unprocessable_entity"
    )


def test_deleting_a_customer_keeps_its_contacts_unlinked(client, token_for):
    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    contact = make_contact(rep, customer, is_primary=True)
    response = client.delete(f"/api/v1/customers/{customer.id}", headers=token_for(rep))
    assert response.status_code == 204
    db.session.expire_all()
    kept = db.session.get(Contact, contact.id)
    assert (kept.customer_id, kept.is_primary) == (None, False)


def test_the_list_filters_on_a_custom_field_and_refuses_an_unknown_one(client, token_for):
    admin = make_user(Role.ADMIN)
    field = custom_fields.define_field(admin, "customer", "Region", "text")
    db.session.commit()
    north = make_customer(admin, name="North Co", custom={field.key: "Northern Taiwan"})
    make_customer(admin, name="South Co", custom={field.key: "Kaohsiung"})
    headers = token_for(admin)

    found = client.get(
        f"/api/v1/customers?custom_field={field.key}&custom_value=northern", headers=headers
    ).get_json()["data"]
    assert [c["id"] for c in found] == [north.id]
    assert found[0]["custom"] == {field.key: "Northern Taiwan"}
    unknown = client.get("/api/v1/customers?custom_field=nope&custom_value=x", headers=headers)
    assert "custom_field" in assert_error(unknown, 422, "unprocessable_entity")["error"]["fields"]
    half = client.get(f"/api/v1/customers?custom_field={field.key}", headers=headers)
    assert "custom_field" in assert_error(half, 422, "unprocessable_entity")["error"]["fields"]
