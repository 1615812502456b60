"""An administrator creates, renames and deletes teams and sees who is in them."""

import re

import pytest

from app import permissions
from app.extensions import db
from app.models import AuditAction, AuditEntry, Team
from app.services import accounts
from tests.conftest import csrf_token, post_form
from tests.factories import NON_ADMIN_ROLES, make_team, make_user


def team_named(name: str) -> Team | None:
    db.session.commit()  # see what the requests committed
    return Team.query.filter_by(name=name).one_or_none()


ENDPOINTS = [
    ("GET", "/admin/teams"),
    ("GET", "/admin/teams/{team}"),
    ("POST", "/admin/teams"),
    ("POST", "/admin/teams/{team}"),
    ("POST", "/admin/teams/{team}/delete"),
]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_only_administrators_reach_the_team_pages(client, login, role, method, path):
    team = make_team("North")
    login(make_user(role=role))
    url = path.format(team=team.id)
    if method == "GET":
        response = client.get(url)
    else:
        response = post_form(client, url, {"name": "Renamed", "description": "x"})
    assert response.status_code == 403
    assert team_named("North") is not None and team_named("Renamed") is None

    htmx = client.open(
        url, method=method, headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    )
    assert htmx.status_code == 403 and htmx.headers["HX-Retarget"] == "#messages"
    assert 'id="error-403"' in htmx.get_data(as_text=True)


def test_team_list_shows_member_counts(client, admin):
    north, south = make_team("North"), make_team("South")
    make_team("Empty")
    for _ in range(3):
        make_user(team=north)
    make_user(team=south)

    html = client.get("/admin/teams").get_data(as_text=True)
    counts = dict(
        re.findall(r'<tr id="team-\d+">.*?>(\w+)</a>.*?class="member-count">(\d+)<', html, re.S)
    )
    assert counts == {"Empty": "0", "North": "3", "South": "1"}


def test_empty_team_list_says_what_to_do(client, admin):
    assert "No teams yet." in client.get("/admin/teams").get_data(as_text=True)


def test_admin_creates_a_team(client, admin):
    response = post_form(
        client, "/admin/teams", {"name": " Key Accounts ", "description": "Top 20"}
    )
    team = team_named("Key Accounts")
    assert response.status_code == 302 and response.location == f"/admin/teams/{team.id}"
    assert team.description == "Top 20"
    page = client.get(response.location).get_data(as_text=True)
    assert "The team Key Accounts is created." in page and "Nobody is in this team yet." in page

    entry = AuditEntry.query.filter_by(entity_type="teams", entity_id=str(team.id)).one()
    assert entry.action is AuditAction.CREATE and entry.actor_id == admin.id
    assert entry.changes["name"] == [None, "Key Accounts"]


@pytest.mark.parametrize(
    "name, message",
    [("North", "A team with this name already exists."), ("", "Enter the team's name.")],
)
def test_team_name_must_be_given_and_unique(client, admin, name, message):
    make_team("North")
    db.session.commit()
    response = post_form(client, "/admin/teams", {"name": name})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'id="name-errors"[^>]*>{re.escape(message)}', html)
    assert Team.query.count() == 1


def test_admin_renames_a_team_and_sees_its_members(client, admin):
    north = make_team("North")
    make_user(name="Nina North", team=north)
    make_user(name="Sam Elsewhere")

    page = client.get(f"/admin/teams/{north.id}").get_data(as_text=True)
    assert "Nina North" in page and "Sam Elsewhere" not in page

    response = post_form(
        client, f"/admin/teams/{north.id}", {"name": "North East", "description": "Also east"}
    )
    assert response.status_code == 302
    team = team_named("North East")
    assert team.id == north.id and team.description == "Also east"
    entry = AuditEntry.query.filter_by(entity_type="teams", action=AuditAction.UPDATE).one()
    assert entry.changes["name"] == ["North", "North East"]


def test_renaming_to_another_teams_name_is_refused(client, admin):
    north, _ = make_team("North"), make_team("South")
    db.session.commit()
    response = post_form(client, f"/admin/teams/{north.id}", {"name": "South"})
    assert response.status_code == 200
    assert "A team with this name already exists." in response.get_data(as_text=True)
    assert team_named("North") is not None


def test_team_with_members_is_not_deleted(client, admin):
    north = make_team("North")
    make_user(team=north)
    make_user(team=north)

    response = post_form(client, f"/admin/teams/{north.id}/delete")
    assert response.status_code == 302 and response.location == f"/admin/teams/{north.id}"
    page = client.get(response.location).get_data(as_text=True)
    assert "This team still has 2 members. Move them to another team first." in page
    assert team_named("North") is not None
    assert not AuditEntry.query.filter_by(action=AuditAction.DELETE).count()


def test_empty_team_is_deleted_after_confirmation(client, admin):
    old_id = make_team("Old").id
    db.session.commit()
    page = client.get(f"/admin/teams/{old_id}").get_data(as_text=True)
    assert "hx-confirm=" in page

    response = post_form(client, f"/admin/teams/{old_id}/delete", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/teams"
    assert team_named("Old") is None
    assert "The team Old is deleted." in client.get("/admin/teams").get_data(as_text=True)
    entry = AuditEntry.query.filter_by(entity_type="teams", action=AuditAction.DELETE).one()
    assert entry.entity_id == str(old_id) and entry.actor_id == admin.id


def test_unknown_team_is_not_found(client, admin):
    assert client.get("/admin/teams/999").status_code == 404
    assert post_form(client, "/admin/teams/999/delete").status_code == 404


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
def test_team_services_refuse_other_roles(role):
    team = make_team("North")
    actor = make_user(role=role)
    with pytest.raises(permissions.PermissionDenied):
        accounts.create_team(actor=actor, name="South")
    with pytest.raises(permissions.PermissionDenied):
        accounts.update_team(team, actor=actor, name="Renamed")
    with pytest.raises(permissions.PermissionDenied):
        accounts.delete_team(team, actor=actor)
