"""Users over the API: the same rules as the admin pages, through app.services.accounts."""

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.identity import Role, TokenScope, User
from app.models.records import AuditAction, AuditEntry
from app.permissions import Scope
from tests.api.conftest import assert_error
from tests.factories import make_team, make_user

NEW_USER = {
    "email": "Nina@Example.com",
    "name": "Nina New",
    "role": "support",
    "password": "a long enough password",
}


def test_an_administrator_creates_a_user_and_the_audit_trail_says_it_came_from_the_api(
    client, token_for
):
    admin = make_user(Role.ADMIN)
    team = make_team("Support")
    response = client.post(
        "/api/v1/users", json={**NEW_USER, "team_id": team.id}, headers=token_for(admin)
    )

    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["email"] == "nina@example.com"
    assert (created["role"], created["team_id"], created["is_active"]) == ("support", team.id, True)
    assert "password" not in created and "password_hash" not in created
    user = db.session.get(User, created["id"])
    assert user.check_password("a long enough password")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "users", AuditEntry.entity_id == str(user.id)
        )
    ).one()
    assert (entry.action, entry.source, entry.actor_id) == (AuditAction.CREATE, "api", admin.id)


def test_a_sales_rep_cannot_create_users(client, token_for):
    rep = make_user(Role.SALES)
    response = client.post("/api/v1/users", json=NEW_USER, headers=token_for(rep))
    assert_error(response, 403, "forbidden")
    assert db.session.scalar(sa.select(User).where(User.email == "nina@example.com")) is None


def test_a_manager_who_may_manage_users_still_cannot_create_an_administrator(client, token_for):
    for action in ("create", "edit"):
        permissions.set_grant(Role.MANAGER, "user", action, Scope.ALL)
    db.session.commit()
    headers = token_for(make_user(Role.MANAGER))

    response = client.post("/api/v1/users", json={**NEW_USER, "role": "admin"}, headers=headers)
    assert "above your own" in assert_error(response, 403, "forbidden")["error"]["message"]
    assert client.post("/api/v1/users", json=NEW_USER, headers=headers).status_code == 201


def test_service_rule_violations_name_the_field(client, token_for):
    admin = make_user(Role.ADMIN)
    make_user(email="taken@example.com")
    headers = token_for(admin)

    taken = client.post(
        "/api/v1/users", json={**NEW_USER, "email": "taken@example.com"}, headers=headers
    )
    assert "email" in assert_error(taken, 422, "unprocessable_entity")["error"]["fields"]
    short = client.post("/api/v1/users", json={**NEW_USER, "password": "short"}, headers=headers)
    assert "password" in assert_error(short, 422, "unprocessable_entity")["error"]["fields"]
    no_team = client.post("/api/v1/users", json={**NEW_USER, "team_id": 9999}, headers=headers)
    assert "team_id" in assert_error(no_team, 422, "unprocessable_entity")["error"]["fields"]


def test_fields_outside_the_allowlist_are_refused(client, token_for):
    admin = make_user(Role.ADMIN)
    rep = make_user()
    for field, value in [("password_hash", "x"), ("session_version", 9), ("id", 1)]:
        response = client.patch(
            f"/api/v1/users/{rep.id}", json={field: value}, headers=token_for(admin)
        )
        body = assert_error(response, 422, "unprocessable_entity")
        assert field in body["error"]["fields"]


def test_a_user_changes_their_own_name_but_not_their_role(client, token_for):
    team = make_team()
    rep = make_user(Role.SALES, name="Rita")
    headers = token_for(rep)

    response = client.patch(f"/api/v1/users/{rep.id}", json={"name": "Rita Rep"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["name"] == "Rita Rep"
    for change in ({"role": "admin"}, {"is_active": False}, {"team_id": team.id}):
        response = client.patch(f"/api/v1/users/{rep.id}", json=change, headers=headers)
        assert_error(response, 403, "forbidden")
    db.session.expire_all()
    assert db.session.get(User, rep.id).role is Role.SALES


def test_a_sales_rep_cannot_change_a_colleague(client, token_for):
    rep = make_user(Role.SALES)
    colleague = make_user(Role.SALES, name="Colleague")
    response = client.patch(
        f"/api/v1/users/{colleague.id}", json={"name": "Renamed"}, headers=token_for(rep)
    )
    assert_error(response, 403, "forbidden")


def test_an_administrator_moves_a_user_to_a_team_and_deactivates_them(client, token_for):
    admin = make_user(Role.ADMIN)
    rep = make_user()
    team = make_team()
    response = client.patch(
        f"/api/v1/users/{rep.id}",
        json={"team_id": team.id, "is_active": False},
        headers=token_for(admin),
    )
    assert response.status_code == 200
    assert (response.get_json()["team_id"], response.get_json()["is_active"]) == (team.id, False)


def test_an_administrator_cannot_demote_themselves(client, token_for):
    admin = make_user(Role.ADMIN)
    response = client.patch(
        f"/api/v1/users/{admin.id}", json={"role": "sales"}, headers=token_for(admin)
    )
    assert "role" in assert_error(response, 422, "unprocessable_entity")["error"]["fields"]


def test_users_are_listed_and_filtered(client, token_for):
    sales_team = make_team("Sales")
    viewer = make_user(Role.SALES, team=sales_team, name="Viewer", email="viewer@example.com")
    make_user(Role.SUPPORT, name="Sam Support", email="sam@example.com")
    make_user(Role.SALES, team=sales_team, name="Olga Old", is_active=False)
    headers = token_for(viewer, TokenScope.READ)

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/users?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [user["name"] for user in response.get_json()["data"]]

    assert names("") == ["Viewer", "Sam Support", "Olga Old"]
    assert names("role=support") == ["Sam Support"]
    assert names(f"team_id={sales_team.id}&is_active=true") == ["Viewer"]
    assert names("is_active=false") == ["Olga Old"]
    assert names("q=SAM@") == ["Sam Support"]
    assert names("q=%25") == []  # a literal %, not a wildcard


def test_one_user_is_shown_and_a_missing_one_is_a_json_404(client, token_for):
    rep = make_user(name="Rita Rep")
    headers = token_for(rep, TokenScope.READ)
    assert client.get(f"/api/v1/users/{rep.id}", headers=headers).get_json()["name"] == "Rita Rep"
    assert_error(client.get("/api/v1/users/99999", headers=headers), 404, "not_found")


def test_users_a_role_may_not_read_are_neither_listed_nor_shown(client, token_for):
    permissions.set_grant(Role.SUPPORT, "user", "read", Scope.OWN)
    db.session.commit()
    agent = make_user(Role.SUPPORT, name="Agent")
    other = make_user(Role.SALES, name="Other")
    headers = token_for(agent, TokenScope.READ)

    listed = client.get("/api/v1/users", headers=headers).get_json()["data"]
    assert [user["name"] for user in listed] == ["Agent"]
    assert_error(client.get(f"/api/v1/users/{other.id}", headers=headers), 404, "not_found")


def test_the_time_zone_is_shown_set_and_checked(client, token_for):
    rep = make_user(Role.SALES, time_zone="Asia/Taipei")
    headers = token_for(rep)
    assert client.get("/api/v1/me", headers=headers).get_json()["user"]["time_zone"] == (
        "Asia/Taipei"
    )
    changed = client.patch(
        f"/api/v1/users/{rep.id}", json={"time_zone": "Europe/London"}, headers=headers
    )
    assert changed.status_code == 200 and changed.get_json()["time_zone"] == "Europe/London"
    body = assert_error(
        client.patch(
            f"/api/v1/users/{rep.id}", json={"time_zone": "Mars/Olympus"}, headers=headers
        ),
        422,
        "unprocessable_entity",
    )
    assert "Mars/Olympus" in body["error"]["fields"]["time_zone"][0]
    db.session.expire_all()
    assert db.session.get(User, rep.id).time_zone == "Europe/London"
