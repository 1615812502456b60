"""Administrators read the audit log; anyone who may read a record reads its history."""

import re

import pytest

from app import queues
from app.audit import set_actor
from app.extensions import db
from app.models.identity import Role
from app.permissions import Scope, set_grant
from tests.conftest import csrf_token
from tests.factories import make_team, make_user


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, email="boss@example.com", name="Bea Boss")


def _changes_by(user, *team_names):
    set_actor(db.session, user, source="web", ip="198.51.100.9")
    teams = [make_team(name) for name in team_names]
    db.session.commit()
    return teams


def test_only_administrators_see_the_audit_log(client, login):
    login(make_user(Role.MANAGER))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/record/teams/1").status_code == 403


def test_the_log_shows_who_changed_what(client, login, admin):
    (team,) = _changes_by(admin, "Northwind")
    team.name = "Northwind Traders"
    db.session.commit()
    login(admin)

    html = client.get("/admin/audit").get_data(as_text=True)
    assert 'class="subnav"' in html
    assert "boss@example.com" in html and "198.51.100.9" in html
    assert "<del>Northwind</del>" in html and "<ins>Northwind Traders</ins>" in html
    assert "Changed" in html and "Created" in html
    assert f"#{team.id}" in html


def test_filtering_returns_only_the_results_fragment_for_htmx(client, login, admin):
    _changes_by(admin, "Alpha", "Beta")
    login(admin)

    response = client.get("/admin/audit?entity_type=teams&q=alph", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="audit-results">')
    assert "Alpha" in html and "Beta" not in html
    # The export form carries the filters as they are now.
    assert 'name="q" value="alph"' in html and 'name="entity_type" value="teams"' in html


def test_bad_filter_values_are_ignored(client, login, admin):
    _changes_by(admin, "Alpha")
    login(admin)
    response = client.get("/admin/audit?action=explode&date_from=yesterday&actor=x")
    assert response.status_code == 200
    assert "Alpha" in response.get_data(as_text=True)


def test_older_entries_are_reached_by_keyset_links(client, login, admin):
    _changes_by(admin, *[f"Team {n:02d}" for n in range(55)])
    login(admin)

    first = client.get("/admin/audit?entity_type=teams").get_data(as_text=True)
    assert "Team 54" in first and "Team 04" not in first
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "before=" in older and "entity_type=teams" in older

    second = client.get(older).get_data(as_text=True)
    assert "Team 04" in second and "Team 00" in second and "Team 54" not in second
    assert 'rel="next"' not in second and "Newest entries" in second


def test_export_button_queues_a_job_and_answers_with_its_progress(client, login, admin):
    login(admin)
    response = client.post(
        "/admin/audit/export",
        data={"entity_type": "teams", "csrf_token": csrf_token(client, "/admin/audit")},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    job_id = re.search(r'id="job-([^"]+)"', html).group(1)
    assert 'hx-trigger="every 1s"' in html and f"/jobs/{job_id}" in html

    job = queues.fetch(job_id)
    assert job.meta["user_id"] == admin.id and job.meta["title"] == "Audit log export"
    assert job.args[0]["entity_type"] == "teams"


def test_export_without_javascript_shows_a_progress_page(client, login, admin):
    login(admin)
    response = client.post(
        "/admin/audit/export", data={"csrf_token": csrf_token(client, "/admin/audit")}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="subnav"' in html
    assert 'class="job-progress"' in html and "Back to the audit log" in html


def test_export_needs_the_csrf_token(client, login, admin):
    login(admin)
    assert client.post("/admin/audit/export", data={}).status_code == 400


def test_profile_lazy_loads_the_users_own_history(client, login):
    user = make_user(name="Rita Rep")
    login(user)
    html = client.get("/profile").get_data(as_text=True)
    assert f'hx-get="/history/users/{user.id}"' in html and 'hx-trigger="revealed"' in html

    fragment = client.get(f"/history/users/{user.id}", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "Created" in html and "Rita Rep" in html
    assert "password_hash" in html and "correct horse" not in html


def test_record_history_loads_more_on_demand(client, login, admin):
    (team,) = _changes_by(admin, "v0")
    for n in range(1, 25):
        team.name = f"v{n}"
        db.session.commit()
    login(make_user(Role.SALES))

    first = client.get(f"/history/teams/{team.id}").get_data(as_text=True)
    assert "<ins>v24</ins>" in first and "<ins>v4</ins>" not in first
    more = re.search(r'hx-get="([^"]+before=\d+)"', first).group(1)
    assert 'hx-target="closest li"' in first

    rest = client.get(more).get_data(as_text=True)
    assert "<ins>v4</ins>" in rest and "<ins>v0</ins>" in rest
    assert "Load more" not in rest


def test_record_history_follows_the_records_read_permission(client, login, admin):
    colleague = make_user(Role.SALES)
    set_grant(Role.SALES, "user", "read", Scope.OWN)
    db.session.commit()
    me = make_user(Role.SALES)
    login(me)

    assert client.get(f"/history/users/{me.id}").status_code == 200
    assert client.get(f"/history/users/{colleague.id}").status_code == 403
    assert client.get("/history/invoices/1").status_code == 404
    assert client.get("/history/users/99999").status_code == 404


def test_administrators_read_the_history_of_deleted_records(client, login, admin):
    (team,) = _changes_by(admin, "Short-lived")
    team_id = team.id
    db.session.delete(team)
    db.session.commit()
    login(admin)

    html = client.get(f"/admin/audit/record/teams/{team_id}").get_data(as_text=True)
    assert "Deleted" in html and "<del>Short-lived</del>" in html
    assert client.get(f"/history/teams/{team_id}").status_code == 404


def test_each_reader_sees_the_log_in_their_own_language(client, login, admin):
    _changes_by(admin, "Northwind")
    login(admin)
    assert ">Created</span>" in client.get("/admin/audit").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(make_user(Role.ADMIN, locale="zh_Hant"))
    html = client.get("/admin/audit").get_data(as_text=True)
    assert ">已建立</span>" in html and 'data-label="時間"' in html
    assert ">Created</span>" not in html
