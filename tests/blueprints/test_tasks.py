"""My tasks: a rep sees their open tasks and meetings by due day, completes and snoozes
them in place, and cannot touch anyone else's."""

import json
from datetime import timedelta

from app.extensions import db
from app.models.activities import Activity, ActivityStatus
from app.models.base import utcnow
from app.models.identity import Role
from tests.conftest import htmx_post, post_form
from tests.factories import make_activity, make_customer, make_user


def test_my_tasks_groups_overdue_today_and_upcoming(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    make_activity(rep, subject="Chase invoice", due_at=utcnow() - timedelta(days=2))
    make_activity(rep, subject="Plan next year", due_at=utcnow() + timedelta(days=5))
    make_activity(rep, kind="MEETING", subject="Kick-off", occurred_at=utcnow() + timedelta(days=3))
    make_activity(other, subject="Someone else's job", due_at=utcnow())
    html = login(rep).get("/tasks").get_data(as_text=True)
    overdue = html[html.index('id="tasks-overdue"') : html.index('id="tasks-today"')]
    upcoming = html[html.index('id="tasks-upcoming"') :]
    assert "Chase invoice" in overdue and "Overdue" in overdue
    assert "Plan next year" in upcoming and "Kick-off" in upcoming
    assert "Someone else" not in html
    assert 'id="nav-tasks"' in html and "Days and times are in your time zone, UTC." in html


def test_an_empty_task_list_says_what_to_do(login):
    html = login(make_user(Role.SALES)).get("/tasks").get_data(as_text=True)
    assert "Nothing to do." in html and "Add a task or schedule a meeting" in html


def test_completing_removes_the_row_and_refreshes_the_timeline(login):
    rep = make_user(Role.SALES)
    task = make_activity(rep, subject="Send brochure")
    client = login(rep)
    response = htmx_post(client, f"/activities/{task.id}/complete", {})
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert "timelineChanged" in json.loads(response.headers["HX-Trigger"])
    db.session.expire_all()
    assert db.session.get(Activity, task.id).status is ActivityStatus.DONE
    assert "Send brochure" not in client.get("/tasks").get_data(as_text=True)


def test_snoozing_re_renders_the_row_with_the_new_due_time(login):
    rep = make_user(Role.SALES)
    due = utcnow() + timedelta(hours=1)
    task = make_activity(rep, subject="Call back", due_at=due)
    client = login(rep)
    response = htmx_post(client, f"/activities/{task.id}/snooze", {"days": "7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(
        f'<li class="task-row" id="task-{task.id}"'
    )
    db.session.expire_all()
    assert db.session.get(Activity, task.id).due_at == due + timedelta(days=7)
    htmx_post(client, f"/activities/{task.id}/snooze", {"days": "365"})
    db.session.expire_all()
    assert db.session.get(Activity, task.id).due_at == due + timedelta(days=7)


def test_without_htmx_complete_returns_to_my_tasks(login):
    rep = make_user(Role.SALES)
    task = make_activity(rep)
    response = post_form(login(rep), f"/activities/{task.id}/complete")
    assert response.status_code == 302 and response.location == "/tasks"


def test_a_rep_cannot_see_complete_or_snooze_another_reps_task(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    task = make_activity(other, subject="Not yours")
    client = login(rep)
    assert htmx_post(client, f"/activities/{task.id}/complete", {}).status_code == 404
    assert htmx_post(client, f"/activities/{task.id}/snooze", {"days": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Activity, task.id).status is ActivityStatus.OPEN


def test_a_marketer_may_see_a_teammates_task_but_not_complete_it(login):
    from tests.factories import make_team

    team = make_team()
    owner, marketer = make_user(Role.SALES, team=team), make_user(Role.MARKETING, team=team)
    task = make_activity(owner)
    response = htmx_post(login(marketer), f"/activities/{task.id}/complete", {})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Activity, task.id).status is ActivityStatus.OPEN


def test_rows_name_the_customer_the_task_is_for(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme 貿易")
    make_activity(rep, subject="Quote", customer_id=acme.id)
    html = login(rep).get("/tasks").get_data(as_text=True)
    assert f'<a href="/customers/{acme.id}">Acme 貿易</a>' in html


def test_editing_a_task_keeps_its_place_and_its_sent_reminder(login):
    rep = make_user(Role.SALES)
    due = utcnow().replace(microsecond=0, second=0) + timedelta(days=1)
    task = make_activity(rep, subject="Draft", due_at=due, remind_at=due - timedelta(hours=1))
    task.reminded_at = utcnow()
    db.session.commit()
    logged_at = task.occurred_at
    response = htmx_post(
        login(rep),
        f"/activities/{task.id}",
        {
            "kind": "TASK",
            "subject": "Final",
            "due_at": due.strftime("%Y-%m-%dT%H:%M"),
            "remind_at": (due - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert "“Final” is saved." in response.get_data(as_text=True)
    db.session.expire_all()
    task = db.session.get(Activity, task.id)
    assert task.subject == "Final" and task.occurred_at == logged_at
    assert task.reminded_at is not None
