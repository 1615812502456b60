"""A rep logs calls and notes from a customer's timeline panel; the timeline fragment pages
and hides what the reader may not see; the activity list filters; the calendar feed URL."""

import json
import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import render_template_string

from app.extensions import db
from app.models.activities import Activity, ActivityKind
from app.models.identity import Role, User
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_activity, make_customer, make_user


def _hx(client):
    return {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}


def test_the_panel_macro_lazy_loads_the_timeline_and_offers_the_logging_bar(app, login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    login(rep)
    with app.test_request_context():
        from flask_login import login_user

        login_user(rep)
        html = render_template_string(
            '{% from "_macros/timeline.html" import customer_timeline_panel %}'
            "{{ customer_timeline_panel(customer) }}",
            customer=acme,
        )
    assert f'hx-get="/customers/{acme.id}/timeline"' in html
    assert 'hx-trigger="load, timelineChanged from:body"' in html
    assert f'hx-get="/activities/new?customer_id={acme.id}&amp;kind=CALL"' in html
    for label in ("Log a call", "Add note", "Add task", "Schedule meeting"):
        assert label in html


def test_rep_logs_a_call_and_the_timeline_is_told_to_reload(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    client = login(rep)
    form = client.get(
        f"/activities/new?customer_id={acme.id}&kind=CALL", headers={"HX-Request": "true"}
    )
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Log a call" in html
    assert f'name="customer_id" type="hidden" value="{acme.id}"' in html
    response = htmx_post(
        client,
        "/activities",
        {"kind": "CALL", "subject": "Intro call", "customer_id": acme.id, "description": "Keen"},
    )
    assert response.status_code == 200
    assert "“Intro call” is saved." in response.get_data(as_text=True)
    assert json.loads(response.headers["HX-Trigger"]) == {
        "timelineChanged": True,
        "tasksChanged": True,
    }
    call = db.session.scalar(sa.select(Activity))
    assert call.kind is ActivityKind.CALL and call.customer_id == acme.id
    timeline = client.get(f"/customers/{acme.id}/timeline", headers={"HX-Request": "true"})
    assert "Intro call" in timeline.get_data(as_text=True)


def test_an_invalid_activity_re_renders_the_form_with_its_errors(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = htmx_post(
        client,
        "/activities",
        {
            "kind": "MEETING",
            "subject": "",
            "occurred_at": "2030-01-01T10:00",
            "ends_at": "2030-01-01T09:00",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Trigger" not in response.headers
    assert "Enter a subject." in html and "The meeting must end after it starts." in html
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 0


def test_a_rep_cannot_log_on_a_customer_they_cannot_see(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    theirs = make_customer(other, name="Theirs")
    client = login(rep)
    response = htmx_post(
        client, "/activities", {"kind": "NOTE", "subject": "x", "customer_id": theirs.id}
    )
    assert "Choose a customer you can see." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 0
    assert (
        client.get(f"/customers/{theirs.id}/timeline", headers={"HX-Request": "true"}).status_code
        == 403
    )
    assert client.get("/customers/99999/timeline").status_code == 404


def test_the_timeline_hides_activities_the_reader_may_not_read(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    make_activity(rep, kind="CALL", subject="The rep's call", customer_id=acme.id)
    make_activity(make_user(Role.ADMIN), kind="NOTE", subject="Secret note", customer_id=acme.id)
    html = login(rep).get(f"/customers/{acme.id}/timeline").get_data(as_text=True)
    assert "The rep&#39;s call" in html and "Secret note" not in html


def test_the_timeline_pages_with_a_load_more_button(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    for n in range(25):
        make_activity(
            rep,
            kind="NOTE",
            subject=f"Note {n:02d}",
            customer_id=acme.id,
            occurred_at=start + timedelta(minutes=n),
        )
    client = login(rep)
    first = client.get(f"/customers/{acme.id}/timeline").get_data(as_text=True)
    assert "Note 24" in first and "Note 05" in first and "Note 04" not in first
    more = re.search(r'hx-get="([^"]+before=[^"]+)"', first).group(1).replace("&amp;", "&")
    rest = client.get(more).get_data(as_text=True)
    assert "Note 04" in rest and "Note 00" in rest and "Note 05" not in rest
    assert "Load more" not in rest and "<ol" not in rest


def test_rep_edits_their_activity_but_not_someone_elses(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    mine = make_activity(rep, kind="NOTE", subject="Draft")
    theirs = make_activity(other, kind="NOTE", subject="Theirs")
    client = login(rep)
    assert "Draft" in client.get(f"/activities/{mine.id}/edit").get_data(as_text=True)
    response = htmx_post(client, f"/activities/{mine.id}", {"kind": "NOTE", "subject": "Final"})
    assert "“Final” is saved." in response.get_data(as_text=True)
    assert client.get(f"/activities/{theirs.id}/edit").status_code == 404
    assert (
        htmx_post(
            client, f"/activities/{theirs.id}", {"kind": "NOTE", "subject": "Mine"}
        ).status_code
        == 404
    )
    assert htmx_post(client, f"/activities/{theirs.id}/delete", {}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Activity, theirs.id).subject == "Theirs"
    assert htmx_post(client, f"/activities/{mine.id}/delete", {}).status_code == 200
    assert db.session.scalar(sa.select(Activity.id).where(Activity.id == mine.id)) is None


def test_the_activity_list_filters_by_kind_and_status(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    make_activity(rep, kind="CALL", subject="A logged call")
    make_activity(rep, subject="An open task")
    make_activity(other, kind="CALL", subject="Someone else's call")
    client = login(rep)
    page = client.get("/activities").get_data(as_text=True)
    assert "A logged call" in page and "An open task" in page and "Someone else" not in page
    calls = client.get("/activities?kind=CALL", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert calls.lstrip().startswith('<tbody id="activity-rows">')
    assert "A logged call" in calls and "An open task" not in calls
    open_items = client.get("/activities?status=OPEN").get_data(as_text=True)
    assert "An open task" in open_items and "A logged call" not in open_items


def test_activity_pages_need_a_login(client):
    assert client.get("/tasks").status_code == 302
    assert client.get("/activities/new").status_code == 302
    assert client.get("/customers/1/timeline", headers={"HX-Request": "true"}).status_code == 401


def test_creating_needs_the_csrf_token(login):
    client = login(make_user(Role.SALES))
    response = client.post("/activities", data={"kind": "NOTE", "subject": "x"})
    assert response.status_code == 400


def test_the_calendar_feed_serves_ics_for_the_right_token_only(login, client):
    rep = make_user(Role.SALES)
    make_activity(rep, subject="Send quote")
    profile = login(rep).get("/profile").get_data(as_text=True)
    url = re.search(r'id="calendar-feed-url" value="([^"]+)"', profile).group(1)
    assert url.startswith(f"http://rapport.test/calendar/{rep.id}/") and url.endswith(".ics")
    path = url.removeprefix("http://rapport.test")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    feed = client.get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert "SUMMARY:Send quote" in feed.get_data(as_text=True)
    assert client.get(f"/calendar/{rep.id}/{'0' * 64}.ics").status_code == 404
    assert client.get(path.replace(f"/{rep.id}/", f"/{rep.id + 1}/")).status_code == 404


def test_regenerating_the_feed_revokes_the_old_url(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    old = re.search(r'/calendar/[^"]+\.ics', client.get("/profile").get_data(as_text=True)).group(0)
    response = post_form(client, "/profile/calendar-feed")
    assert response.status_code == 302
    new = re.search(r'/calendar/[^"]+\.ics', client.get("/profile").get_data(as_text=True)).group(0)
    assert new != old
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200


def test_a_deactivated_users_feed_is_gone(client):
    rep = make_user(Role.SALES)
    from app.services import calendar_feed

    path = f"/calendar/{rep.id}/{calendar_feed.token_for(rep)}.ics"
    assert client.get(path).status_code == 200
    db.session.get(User, rep.id).is_active = False
    db.session.commit()
    assert client.get(path).status_code == 404
