"""Contacts over the API: the same rules as the pages, through app.services.contacts."""

from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_contact, make_customer, make_team, make_user


def test_a_rep_adds_a_primary_contact_changes_it_and_deletes_it(client, token_for):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="大同公司")
    first = make_contact(rep, customer, last_name="林", is_primary=True)
    headers = token_for(rep)

    created = client.post(
        "/api/v1/contacts",
        json={
            "customer_id": customer.id,
            "first_name": "志明",
            "last_name": "陳",
            "email": "chen@tatung.example.com",
            "mobile": "+886 912 345 678",
            "is_primary": True,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["is_primary"], body["owner_id"], body["customer_id"]) == (
        True,
        rep.id,
        customer.id,
    )
    db.session.expire_all()
    assert db.session.get(Contact, first.id).is_primary is False  # one primary per customer

    url = f"/api/v1/contacts/{body['id']}"
    changed = client.patch(url, json={"title": "採購經理"}, headers=headers)
    assert changed.get_json()["title"] == "採購經理" and changed.get_json()["last_name"] == "陳"
    found, _ = _walk(client, "/api/v1/contacts?q=志明", headers)
    assert [c["id"] for c in found] == [body["id"]]
    assert client.get(url, headers=headers).get_json()["email"] == "chen@tatung.example.com"

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_contacts_of_others_are_hidden_and_linking_needs_the_right_to_edit_the_customer(
    client, token_for
):
    team = make_team()
    rep = make_user(Role.SALES, team=team)
    other = make_user(Role.SALES, team=team)
    agent = make_user(Role.SUPPORT, team=team)
    their_customer = make_customer(other)
    their_contact = make_contact(other, their_customer)
    url = f"/api/v1/contacts/{their_contact.id}"

    rep_headers = token_for(rep)
    assert_error(client.get(url, headers=rep_headers), 404, "not_found")
    assert_error(client.delete(url, headers=rep_headers), 404, "not_found")
    linked = client.post(
        "/api/v1/contacts",
        json={"last_name": "Wu", "customer_id": their_customer.id},
        headers=rep_headers,
    )
    assert "customer_id" in assert_error(linked, 422, "unprocessable_entity")["error"]["fields"]

    agent_headers = token_for(agent)
    assert client.get(url, headers=agent_headers).status_code == 200
    assert_error(client.patch(url, json={"title": "x"}, headers=agent_headers), 403, "forbidden")


def test_bad_contact_fields_answer_422(client, token_for):
    headers = token_for(make_user(Role.SALES))
    response = client.post(
        "/api/v1/contacts", json={"last_name": "", "email": "nope"}, headers=headers
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"last_name", "email"}
    missing = client.post("/api/v1/contacts", json={"first_name": "Ann"}, headers=headers)
    assert "last_name" in assert_error(missing, 422, "unprocessable_entity")["error"]["fields"]


def test_the_list_walks_every_contact_once_and_filters_by_customer(client, token_for):
    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    for n in range(5):
        make_contact(rep, customer if n < 3 else None, last_name=f"Person {n}")
    make_contact(make_user(Role.SALES), last_name="Hidden")
    headers = token_for(rep)

    items, links = _walk(client, "/api/v1/contacts?limit=2", headers)
    ids = [item["id"] for item in items]
    assert len(ids) == 5 and ids == sorted(set(ids)) and len(links) == 2
    at_customer, _ = _walk(client, f"/api/v1/contacts?customer_id={customer.id}", headers)
    assert [c["last_name"] for c in at_customer] == ["Person 0", "Person 1", "Person 2"]
