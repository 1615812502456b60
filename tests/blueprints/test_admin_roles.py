"""An administrator sets, per role, which records each action reaches, and can undo it all."""

import re

import pytest

from app import permissions
from app.extensions import db
from app.models import AuditAction, AuditEntry, Role, RoleGrant
from app.permissions import Scope
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import NON_ADMIN_ROLES, make_user


def scope_now(user, entity, action):
    """What the permission layer answers now, after the requests' own transactions."""
    db.session.commit()
    permissions.forget_cached_grants()
    return permissions.scope_for(user, entity, action)


ENDPOINTS = [
    ("GET", "/admin/roles"),
    ("POST", "/admin/roles"),
    ("POST", "/admin/roles/sales/job/read"),
    ("POST", "/admin/roles/reset"),
]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_only_administrators_reach_the_roles_pages(client, login, role, method, path):
    permissions.set_grant(Role.SUPPORT, "job", "read", Scope.TEAM)
    db.session.commit()
    login(make_user(role=role))
    data = {"sales:job:read": "all", f"{role.value}:user:edit": "all"}
    response = client.get(path) if method == "GET" else post_form(client, path, data)
    assert response.status_code == 403

    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    htmx = client.open(path, method=method, data=data, headers=headers)
    assert htmx.status_code == 403 and htmx.headers["HX-Retarget"] == "#messages"
    assert db.session.query(RoleGrant).count() == 1
    assert scope_now(make_user(role=Role.SALES), "job", "read") is Scope.OWN


def test_matrix_shows_every_role_entity_and_action(client, admin):
    permissions.set_grant(Role.SALES, "job", "read", Scope.TEAM)
    db.session.commit()
    html = client.get("/admin/roles").get_data(as_text=True)

    selects = re.findall(r'<select name="(\w+):(\w+):(\w+)"', html)
    assert len(selects) == len(NON_ADMIN_ROLES) * len(permissions.ENTITIES) * 4
    assert {role for role, _, _ in selects} == {r.value for r in NON_ADMIN_ROLES}
    assert {entity for _, entity, _ in selects} == set(permissions.ENTITIES)

    cell = re.search(r'<td id="grant-sales-job-read".*?</td>', html, re.S).group(0)
    assert re.search(r'<option value="team"\s+selected', cell)
    assert "Changed" in cell and "Default: Own records" in cell
    manager_cell = re.search(r'<td id="grant-manager-audit-read".*?</td>', html, re.S).group(0)
    assert re.search(r'<option value="team"\s+selected', manager_cell)
    assert "Changed" not in manager_cell
    assert html.count("All rights, fixed") == len(permissions.ENTITIES) * 4


def test_changing_one_cell_takes_effect_and_is_audited(client, admin):
    seller = make_user(role=Role.SALES)
    assert permissions.scope_for(seller, "job", "read") is Scope.OWN

    response = htmx_post(client, "/admin/roles/sales/job/read", {"sales:job:read": "all"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<td id="grant-sales-job-read"')
    assert re.search(r'<option value="all"\s+selected', html)
    assert "Saved" in html and 'hx-swap-oob="innerHTML:#messages"' in html

    assert scope_now(seller, "job", "read") is Scope.ALL
    assert scope_now(make_user(role=Role.SUPPORT), "job", "read") is Scope.OWN
    entry = AuditEntry.query.filter_by(entity_type="role_grants").one()
    assert entry.action is AuditAction.CREATE and entry.actor_id == admin.id
    assert entry.changes["scope"] == [None, "all"]


def test_narrowing_a_default_takes_effect(client, admin):
    seller = make_user(role=Role.SALES)
    assert permissions.can(seller, "read", "team")
    htmx_post(client, "/admin/roles/sales/team/read", {"sales:team:read": "none"})
    assert scope_now(seller, "team", "read") is Scope.NONE
    db.session.commit()
    assert not permissions.can(seller, "read", "team")


def test_choosing_the_default_again_removes_the_override(client, admin):
    htmx_post(client, "/admin/roles/sales/job/read", {"sales:job:read": "all"})
    htmx_post(client, "/admin/roles/sales/job/read", {"sales:job:read": "own"})
    db.session.commit()
    assert db.session.query(RoleGrant).count() == 0
    actions = [e.action for e in AuditEntry.query.filter_by(entity_type="role_grants")]
    assert actions == [AuditAction.CREATE, AuditAction.DELETE]


def test_whole_matrix_saves_without_javascript(client, admin):
    html = client.get("/admin/roles").get_data(as_text=True)
    form = {
        name: value
        for name, value in re.findall(
            r'<select name="(\w+:\w+:\w+)".*?<option value="(\w+)"\s+selected', html, re.S
        )
    }
    assert len(form) == len(NON_ADMIN_ROLES) * len(permissions.ENTITIES) * 4
    form |= {"marketing:user:edit": "team", "support:audit:read": "all"}

    response = post_form(client, "/admin/roles", form)
    assert response.status_code == 302 and response.location == "/admin/roles"
    assert "Permissions saved: 2 changed." in client.get("/admin/roles").get_data(as_text=True)
    assert scope_now(make_user(role=Role.MARKETING), "user", "edit") is Scope.TEAM
    assert scope_now(make_user(role=Role.SUPPORT), "audit", "read") is Scope.ALL


@pytest.mark.parametrize(
    "path, data, status",
    [
        ("/admin/roles/sales/job/read", {"sales:job:read": "everything"}, 400),
        ("/admin/roles/sales/job/read", {}, 400),
        ("/admin/roles/admin/job/read", {"admin:job:read": "none"}, 404),
        ("/admin/roles/sales/nothing/read", {"sales:nothing:read": "all"}, 404),
        ("/admin/roles/sales/job/approve", {"sales:job:approve": "all"}, 404),
        ("/admin/roles", {"sales:job:read": "everything"}, 400),
    ],
)
def test_tampered_matrix_posts_are_refused(client, admin, path, data, status):
    assert post_form(client, path, data).status_code == status
    assert db.session.query(RoleGrant).count() == 0


def test_reset_returns_every_role_to_the_defaults(client, admin):
    for role, entity, action in [
        (Role.SALES, "job", "read"),
        (Role.SUPPORT, "user", "edit"),
        (Role.MANAGER, "audit", "read"),
    ]:
        permissions.set_grant(role, entity, action, Scope.ALL)
    db.session.commit()
    page = client.get("/admin/roles").get_data(as_text=True)
    assert "hx-confirm=" in page and "Reset to defaults" in page

    response = htmx_post(client, "/admin/roles/reset", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith('<div id="role-matrix">')
    assert "3 changes undone" in html and "Changed" not in html

    assert db.session.query(RoleGrant).count() == 0
    assert scope_now(make_user(role=Role.SALES), "job", "read") is Scope.OWN
    deletes = AuditEntry.query.filter_by(entity_type="role_grants", action=AuditAction.DELETE)
    assert deletes.count() == 3 and {e.actor_id for e in deletes} == {admin.id}


def test_reset_without_javascript_redirects_with_a_message(client, admin):
    response = post_form(client, "/admin/roles/reset")
    assert response.status_code == 302
    assert "0 changes undone" in client.get("/admin/roles").get_data(as_text=True)
