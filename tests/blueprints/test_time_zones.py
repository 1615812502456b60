"""A user picks their time zone on the profile page (an administrator on the user form);
the pages then show, and the forms read, times in that zone."""

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity
from app.models.identity import Role, User
from app.models.records import AuditAction, AuditEntry
from tests.conftest import csrf_token, htmx_post
from tests.factories import make_activity, make_user


def _save_profile(client, **fields):
    data = {"name": "Tina Tan", "locale": "en", "csrf_token": csrf_token(client, "/profile")}
    return client.post("/profile", data=data | fields)


def test_a_user_chooses_their_time_zone_and_the_change_is_audited(login):
    tina = make_user(Role.SALES, name="Tina Tan")
    client = login(tina)
    page = client.get("/profile").get_data(as_text=True)
    assert '<select id="time_zone" name="time_zone">' in page
    assert '<optgroup label="Common time zones"><option selected value="UTC">' in page
    assert '<option value="Asia/Taipei">Asia/Taipei</option>' in page

    response = _save_profile(client, time_zone="Asia/Taipei")

    assert response.status_code == 302 and response.location == "/profile"
    db.session.expire_all()
    assert db.session.get(User, tina.id).time_zone == "Asia/Taipei"
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "users", AuditEntry.action == AuditAction.UPDATE
        )
    ).one()
    assert entry.changes["time_zone"] == ["UTC", "Asia/Taipei"]
    assert '<option selected value="Asia/Taipei">' in client.get("/profile").get_data(as_text=True)


def test_an_unknown_time_zone_is_refused_with_a_message_and_nothing_changes(login):
    tina = make_user(Role.SALES, name="Tina Tan", time_zone="Asia/Taipei")
    client = login(tina)

    response = _save_profile(client, name="Tina Renamed", time_zone="Mars/Olympus")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="time_zone-errors"[^>]*>“Mars/Olympus” is not a time zone', html)
    db.session.expire_all()
    unchanged = db.session.get(User, tina.id)
    assert (unchanged.name, unchanged.time_zone) == ("Tina Tan", "Asia/Taipei")
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == AuditAction.UPDATE)
        )
        == 0
    )


def test_a_taipei_user_types_local_times_and_sees_them_back_when_editing(login):
    taipei = make_user(Role.SALES, time_zone="Asia/Taipei")
    client = login(taipei)
    form = client.get("/activities/new?kind=TASK", headers={"HX-Request": "true"})
    assert "Times are in your time zone, Asia/Taipei." in form.get_data(as_text=True)

    response = htmx_post(
        client,
        "/activities",
        {"kind": "TASK", "subject": "Board pack", "due_at": "2026-03-01T09:00"},
    )

    assert "“Board pack” is saved." in response.get_data(as_text=True)
    task = db.session.scalar(sa.select(Activity))
    assert task.due_at == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    edit = client.get(f"/activities/{task.id}/edit").get_data(as_text=True)
    assert 'name="due_at" type="datetime-local" value="2026-03-01T09:00"' in edit

    htmx_post(
        client,
        f"/activities/{task.id}",
        {"kind": "TASK", "subject": "Board pack", "due_at": "2026-03-01T09:00"},
    )
    db.session.expire_all()
    assert db.session.get(Activity, task.id).due_at == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def test_my_tasks_shows_times_in_the_readers_zone(login):
    taipei = make_user(Role.SALES, time_zone="Asia/Taipei")
    make_activity(taipei, subject="Board pack", due_at=datetime(2030, 3, 1, 1, 0, tzinfo=UTC))
    html = login(taipei).get("/tasks").get_data(as_text=True)
    assert "Days and times are in your time zone, Asia/Taipei." in html
    assert "3/1/30, 9:00\u202fAM" in html  # 01:00 UTC


def test_an_administrator_sets_a_users_time_zone_and_unknown_ones_are_refused(login):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    sam = make_user(Role.SALES, name="Sam Seller", email="sam@example.com")
    client = login(admin)
    assert 'name="time_zone"' in client.get(f"/admin/users/{sam.id}/edit").get_data(as_text=True)
    fields = {
        "name": sam.name,
        "email": sam.email,
        "role": "sales",
        "team_id": "",
        "locale": "en",
        "is_active": "y",
        "csrf_token": csrf_token(client, "/"),
    }

    refused = client.post(
        f"/admin/users/{sam.id}/edit", data=fields | {"time_zone": "Mars/Olympus"}
    )
    assert re.search(
        r'id="time_zone-errors"[^>]*>“Mars/Olympus” is not a time zone',
        refused.get_data(as_text=True),
    )
    saved = client.post(f"/admin/users/{sam.id}/edit", data=fields | {"time_zone": "Europe/Berlin"})

    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, sam.id).time_zone == "Europe/Berlin"
