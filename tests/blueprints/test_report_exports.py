"""A report's PDF button and "email me this report" form, and the reader's list of
scheduled reports: the PDF is queued with the page's filters for whoever may read the
report (and for nobody else), posts need their CSRF token, and a reader sees and deletes
only their own schedules."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from rq import Queue

from app import permissions, queues
from app.extensions import db
from app.models.analytics import ReportSchedule
from app.models.identity import Role
from app.services import report_schedules, reports
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_team, make_user

FILTERS = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31", "region": "tw"}


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, team=make_team("North"), name="Mia", email="mia@example.com")


@pytest.fixture
def marketer():
    """A marketer who may read no deals (so no sales report)."""
    user = make_user(Role.MARKETING)
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.commit()
    return user


def _queued() -> list:
    return Queue("reports", connection=queues.connection()).get_jobs()


def test_the_report_page_offers_the_pdf_and_the_email(login, manager):
    page = login(manager).get("/reports/sales-funnel").get_data(as_text=True)
    assert 'id="report-pdf-button"' in page and 'hx-post="/reports/sales-funnel/pdf"' in page
    assert 'hx-include="#report-filters"' in page
    assert 'hx-get="/reports/sales-funnel/schedule"' in page and 'href="/reports/schedules"' in page


def test_the_pdf_is_queued_with_the_pages_filters_and_answers_a_progress_bar(login, manager):
    client = login(manager)
    response = htmx_post(client, "/reports/sales-funnel/pdf",
                         FILTERS | {"dates_for": "custom"})  # fmt: skip
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    job_id = re.search(r'id="job-([^"]+)"', body).group(1)
    assert "PDF of Sales funnel" in body and 'hx-trigger="every 1s"' in body
    job = queues.fetch(job_id)
    assert job.origin == "reports" and job.meta["user_id"] == manager.id
    assert job.args == ("sales-funnel", FILTERS | {"dates_for": "custom"})
    assert job.kwargs == {"actor_id": manager.id}


def test_nobody_exports_a_report_about_records_they_may_not_read(login, marketer):
    client = login(marketer)
    assert htmx_post(client, "/reports/sales-funnel/pdf", {}).status_code == 404
    assert htmx_post(client, "/reports/no-such-report/pdf", {}).status_code == 404
    assert _queued() == []
    assert client.get("/reports/sales-funnel/schedule").status_code == 404
    response = htmx_post(client, "/reports/schedules", {"from_report": "1",
                                                        "schedule-report_key": "sales-funnel",
                                                        "schedule-frequency": "DAILY",
                                                        "schedule-hour": "7"})  # fmt: skip
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportSchedule)) == 0


def test_another_reader_cannot_see_or_download_the_pdf_job(app, login, manager, worker):
    client = login(manager)
    body = htmx_post(client, "/reports/sales-funnel/pdf", {}).get_data(as_text=True)
    job_id = re.search(r'id="job-([^"]+)"', body).group(1)
    worker()
    assert client.get(f"/jobs/{job_id}/result").status_code == 200

    other = app.test_client()
    colleague = make_user(Role.MANAGER, team=manager.team)
    token = csrf_token(other, "/login")
    other.post("/login", data={"email": colleague.email, "password": "correct horse battery",
                               "csrf_token": token})  # fmt: skip
    assert other.get(f"/jobs/{job_id}").status_code == 403
    assert other.get(f"/jobs/{job_id}/result").status_code == 403


def test_posts_without_their_csrf_token_are_refused(login, manager):
    client = login(manager)
    mine = report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    db.session.commit()
    for path in ("/reports/sales-funnel/pdf", "/reports/schedules",
                 f"/reports/schedules/{mine.id}/delete"):  # fmt: skip
        for headers in ({}, {"HX-Request": "true"}):
            data = {"schedule-report_key": "sales-funnel", "schedule-frequency": "DAILY",
                    "schedule-hour": "7"}  # fmt: skip
            assert client.post(path, data=data, headers=headers).status_code == 400, path
    assert _queued() == []
    assert [s.id for s in db.session.scalars(sa.select(ReportSchedule))] == [mine.id]


def test_email_me_this_report_schedules_it_with_the_pages_filters(login, manager):
    client = login(manager)
    form = client.get("/reports/sales-funnel/schedule").get_data(as_text=True)
    assert 'id="report-schedule-form"' in form and 'name="schedule-frequency"' in form

    response = htmx_post(client, "/reports/schedules", FILTERS | {
        "dates_for": "custom", "from_report": "1", "schedule-report_key": "sales-funnel",
        "schedule-frequency": "WEEKLY", "schedule-weekday": "0", "schedule-hour": "8",
    })  # fmt: skip

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="report-schedule-saved"' in body
    assert "Scheduled: Every Monday at 08:00" in body and "mia@example.com" in body
    [schedule] = report_schedules.schedules_of(manager)
    assert schedule.report_key == "sales-funnel" and schedule.hour == 8
    assert schedule.filters == {"period": "custom", "start": "2026-01-01", "end": "2026-03-31",
                                "region": "TW"}  # fmt: skip


def test_a_bad_schedule_is_named_in_the_form_and_nothing_is_saved(login, manager):
    client = login(manager)
    response = htmx_post(client, "/reports/schedules", {
        "from_report": "1", "schedule-report_key": "sales-funnel", "schedule-frequency": "DAILY",
        "schedule-hour": "25", "period": "custom", "start": "2026-05-01", "end": "2026-01-01",
    })  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="report-schedule-form"' in body
    assert 'id="schedule-hour-errors"' in body and "Choose an hour from 0 to 23." in body
    assert 'id="report-schedule-errors"' in body
    assert "The end date must not be before the start date." in body
    assert report_schedules.schedules_of(manager) == []


def test_the_list_shows_my_schedules_only_and_adds_one(login, manager):
    mine = report_schedules.create_schedule(
        manager,
        "sales-funnel",
        "WEEKLY",
        7,
        weekday=4,
        filter_args={"period": "last_month", "region": "TW"},
    )
    other = make_user(Role.MANAGER, team=manager.team)
    theirs = report_schedules.create_schedule(other, "win-rate", "DAILY", 9)
    db.session.commit()
    client = login(manager)

    page = client.get("/reports/schedules").get_data(as_text=True)
    assert f'id="report-schedule-{mine.id}"' in page
    assert f'id="report-schedule-{theirs.id}"' not in page and "Win rate" not in page.split(
        'id="report-schedule-form"')[0]  # fmt: skip
    assert "Every Friday at 07:00" in page and "Last month" in page and "Country: TW" in page

    response = post_form(client, "/reports/schedules", {
        "schedule-report_key": "win-rate", "schedule-frequency": "MONTHLY",
        "schedule-day_of_month": "28", "schedule-hour": "6", "period": "last_quarter",
    })  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == "/reports/schedules"
    added = [s for s in report_schedules.schedules_of(manager) if s.id != mine.id]
    assert [(s.report_key, s.day_of_month, s.filters) for s in added] == [
        ("win-rate", 28, {"period": "last_quarter", "group": "rep"})
    ]


def test_a_bad_schedule_on_the_list_page_is_shown_with_its_message(login, manager, marketer):
    client = login(marketer)
    response = post_form(client, "/reports/schedules", {
        "schedule-report_key": "sales-funnel", "schedule-frequency": "DAILY",
        "schedule-hour": "7",
    })  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Choose a report from the list." in body
    # The reports the reader may not read are not even offered.
    assert 'value="sales-funnel"' not in body


def test_a_reader_deletes_their_own_schedule_and_nobody_elses(login, manager):
    other = make_user(Role.MANAGER, team=manager.team)
    mine = report_schedules.create_schedule(manager, "sales-funnel", "DAILY", 7)
    theirs = report_schedules.create_schedule(other, "sales-funnel", "DAILY", 7)
    db.session.commit()
    client = login(manager)

    assert post_form(client, f"/reports/schedules/{theirs.id}/delete").status_code == 404
    assert post_form(client, "/reports/schedules/999/delete").status_code == 404
    response = post_form(client, f"/reports/schedules/{mine.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert [s.id for s in db.session.scalars(sa.select(ReportSchedule))] == [theirs.id]


def test_schedules_is_a_page_not_a_report_key(login, manager):
    assert reports.get("schedules") is None
    page = login(manager).get("/reports/schedules").get_data(as_text=True)
    assert 'id="report-schedules-empty"' in page and 'id="report-schedule-form"' in page


def test_signed_out_readers_are_sent_to_sign_in(client):
    for path in ("/reports/schedules", "/reports/sales-funnel/schedule"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
