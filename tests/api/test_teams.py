"""Teams over the API."""

from app.models.identity import Role, TokenScope
from tests.api.conftest import assert_error
from tests.factories import make_team, make_user


def test_anyone_with_a_token_lists_and_reads_teams(client, token_for):
    make_team("North")
    south = make_team("South")
    headers = token_for(make_user(Role.SUPPORT), TokenScope.READ)

    listed = client.get("/api/v1/teams", headers=headers).get_json()
    assert [team["name"] for team in listed["data"]] == ["North", "South"]
    assert listed["next"] is None
    assert (
        client.get("/api/v1/teams?q=sou", headers=headers).get_json()["data"][0]["id"] == south.id
    )
    assert client.get(f"/api/v1/teams/{south.id}", headers=headers).get_json()["name"] == "South"
    assert_error(client.get("/api/v1/teams/99999", headers=headers), 404, "not_found")


def test_only_administrators_create_teams_and_names_are_unique(client, token_for):
    admin_headers = token_for(make_user(Role.ADMIN))
    created = client.post(
        "/api/v1/teams",
        json={"name": "Key accounts", "description": "Top 20"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    assert created.get_json()["description"] == "Top 20"

    again = client.post("/api/v1/teams", json={"name": "Key accounts"}, headers=admin_headers)
    assert "name" in assert_error(again, 422, "unprocessable_entity")["error"]["fields"]
    rep = client.post("/api/v1/teams", json={"name": "Mine"}, headers=token_for(make_user()))
    assert_error(rep, 403, "forbidden")
