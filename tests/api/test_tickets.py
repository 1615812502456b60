"""Tickets over the API: the same rules as the ticket pages, through the same services."""

from app.models.identity import Role
from tests.api.conftest import assert_error
from tests.factories import make_contact, make_customer, make_team, make_ticket, make_user


def test_an_agent_logs_changes_moves_assigns_and_answers_a_ticket(client, token_for):
    team = make_team()
    agent = make_user(Role.SUPPORT, team=team)
    customer = make_customer(agent, name="Acme")
    contact = make_contact(agent, customer=customer)
    headers = token_for(agent)
    created = client.post(
        "/api/v1/tickets",
        json={"subject": "Printer jams", "contact_id": contact.id, "priority": "HIGH",
              "channel": "SOCIAL"},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["number"] == "T-000001" and body["customer_id"] == customer.id
    assert (body["status"], body["channel"], body["team_id"]) == ("OPEN", "SOCIAL", team.id)
    url = f"/api/v1/tickets/{body['id']}"
    assert client.get(url, headers=headers).get_json()["subject"] == "Printer jams"

    changed = client.patch(url, json={"priority": "URGENT"}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["priority"] == "URGENT"
    assigned = client.post(f"{url}/assign", json={"owner_id": agent.id}, headers=headers)
    assert assigned.get_json()["owner_id"] == agent.id
    moved = client.post(f"{url}/status", json={"status": "PENDING"}, headers=headers)
    assert moved.status_code == 200 and moved.get_json()["status"] == "PENDING"

    reply = client.post(f"{url}/comments", json={"body": "On it"}, headers=headers)
    note = client.post(
        f"{url}/comments", json={"body": "Toner?", "is_internal": True}, headers=headers
    )
    assert reply.status_code == 201 and note.get_json()["is_internal"] is True
    page = client.get(f"{url}/comments?limit=1", headers=headers).get_json()
    assert [c["body"] for c in page["data"]] == ["On it"] and page["next"]
    rest = client.get(page["next"], headers=headers).get_json()
    assert [(c["body"], c["is_internal"]) for c in rest["data"]] == [("Toner?", True)]


def test_bad_input_answers_422_with_the_fields(client, token_for):
    headers = token_for(make_user(Role.SUPPORT))
    bad = client.post("/api/v1/tickets", json={"subject": " ", "contact_id": 999}, headers=headers)
    assert set(assert_error(bad, 422, "unprocessable_entity")["error"]["fields"]) == {
        "subject", "contact_id",
    }  # fmt: skip
    ticket = make_ticket(make_user(Role.SUPPORT))
    headers = token_for(make_user(Role.ADMIN))
    empty = client.post(f"/api/v1/tickets/{ticket.id}/comments", json={"body": ""}, headers=headers)
    assert_error(empty, 422, "unprocessable_entity")
    closed = client.post(
        f"/api/v1/tickets/{ticket.id}/status", json={"status": "CLOSED"}, headers=headers
    )
    assert closed.status_code == 200
    again = client.post(
        f"/api/v1/tickets/{ticket.id}/status", json={"status": "PENDING"}, headers=headers
    )
    assert (
        "reopened"
        in assert_error(again, 422, "unprocessable_entity")["error"]["fields"]["status"][0]
    )


def test_the_list_shows_only_readable_tickets_and_filters(client, token_for):
    team = make_team()
    agent = make_user(Role.SUPPORT, team=team)
    acme = make_customer(agent, name="Acme")
    make_ticket(agent, subject="Printer jams", customer_id=acme.id, priority="HIGH")
    make_ticket(agent, subject="Screen flickers", priority="LOW", owner_id=agent.id)
    theirs = make_ticket(make_user(Role.SUPPORT, team=make_team()), subject="Theirs")
    headers = token_for(agent)

    def subjects(query=""):
        response = client.get(f"/api/v1/tickets{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return sorted(row["subject"] for row in response.get_json()["data"])

    assert subjects() == ["Printer jams", "Screen flickers"]
    assert subjects("?priority=HIGH") == ["Printer jams"]
    assert subjects(f"?customer_id={acme.id}") == ["Printer jams"]
    assert subjects(f"?assignee_id={agent.id}") == ["Screen flickers"]
    assert subjects("?assignee_id=0") == ["Printer jams"]
    assert subjects(f"?team_id={team.id}&status=OPEN") == ["Printer jams", "Screen flickers"]
    assert subjects("?q=flick") == ["Screen flickers"]
    assert client.get(f"/api/v1/tickets/{theirs.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/tickets/{theirs.id}/comments", headers=headers).status_code == 404
    assert_error(client.get("/api/v1/tickets?sort=x", headers=headers), 422, "unprocessable_entity")


def test_a_sales_rep_reads_the_teams_tickets_but_may_not_answer_them(client, token_for):
    team = make_team()
    ticket = make_ticket(make_user(Role.SUPPORT, team=team))
    headers = token_for(make_user(Role.SALES, team=team))
    url = f"/api/v1/tickets/{ticket.id}"
    assert client.get(url, headers=headers).status_code == 200
    response = client.post(f"{url}/comments", json={"body": "Hi"}, headers=headers)
    assert_error(response, 403, "forbidden")
