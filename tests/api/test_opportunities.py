"""Opportunities over the API: the same rules as the board, through the same services."""

from app.models.identity import Role
from tests.api.conftest import assert_error
from tests.factories import make_customer, make_opportunity, make_user


def test_a_rep_creates_reads_changes_moves_and_deletes_a_deal(client, token_for):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    headers = token_for(rep)
    created = client.post(
        "/api/v1/opportunities",
        json={"name": "Acme renewal", "customer_id": customer.id, "amount": "1200.50",
              "expected_close_date": "2026-12-31"},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["amount"], body["stage"], body["probability"]) == ("1200.50", "PROSPECTING", 10)
    url = f"/api/v1/opportunities/{body['id']}"
    assert client.get(url, headers=headers).get_json()["name"] == "Acme renewal"

    changed = client.patch(
        url, json={"next_step": "Demo", "version": body["version"]}, headers=headers
    )
    assert changed.status_code == 200, changed.get_json()
    version = changed.get_json()["version"]
    stale = client.patch(
        url, json={"next_step": "Old", "version": body["version"]}, headers=headers
    )
    assert "changed" in assert_error(stale, 409, "conflict")["error"]["message"]

    lost = client.post(
        f"{url}/stage", json={"stage": "CLOSED_LOST", "version": version}, headers=headers
    )
    assert set(assert_error(lost, 422, "unprocessable_entity")["error"]["fields"]) == {
        "loss_reason"
    }
    moved = client.post(
        f"{url}/stage", json={"stage": "PROPOSAL", "version": version}, headers=headers
    )
    assert moved.status_code == 200 and moved.get_json()["probability"] == 50
    again = client.post(
        f"{url}/stage", json={"stage": "NEGOTIATION", "version": version}, headers=headers
    )
    assert_error(again, 409, "conflict")

    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_the_list_shows_only_visible_deals_and_filters(client, token_for):
    rep = make_user(Role.SALES)
    make_opportunity(rep, name="Small", amount="10")
    make_opportunity(rep, name="Big", amount="5000", stage="PROPOSAL")
    theirs = make_opportunity(make_user(Role.SALES), name="Theirs")
    headers = token_for(rep)

    def names(query):
        page = client.get(f"/api/v1/opportunities{query}", headers=headers).get_json()
        return sorted(row["name"] for row in page["data"])

    assert names("") == ["Big", "Small"]
    assert names("?amount_min=100") == ["Big"]
    assert names("?stage=PROPOSAL") == ["Big"]
    assert client.get(f"/api/v1/opportunities/{theirs.id}", headers=headers).status_code == 404


def test_support_may_read_but_not_change_a_teams_deal(client, token_for):
    from tests.factories import make_team

    team = make_team()
    deal = make_opportunity(make_user(Role.SALES, team=team))
    headers = token_for(make_user(Role.SUPPORT, team=team))
    url = f"/api/v1/opportunities/{deal.id}"
    assert client.get(url, headers=headers).status_code == 200
    response = client.post(
        f"{url}/stage", json={"stage": "PROPOSAL", "version": deal.version}, headers=headers
    )
    assert response.status_code == 403
