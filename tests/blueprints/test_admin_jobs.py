"""Administrators see how busy the queues are, and retry or delete jobs that failed."""

import re

import pytest

from app import queues
from app.extensions import db
from app.jobs.exports import export_audit_log
from app.models.identity import Role
from tests.conftest import csrf_token
from tests.factories import make_user


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, email="boss@example.com")


@pytest.fixture
def failed_export(worker):
    """An export whose requester was removed before it ran: it fails with ActorUnavailable."""
    requester = make_user(Role.ADMIN, email="leaver@example.com")
    job = queues.enqueue(
        export_audit_log, {}, actor=requester, title="Audit log export", queue_name="reports"
    )
    db.session.delete(requester)
    db.session.commit()
    worker()
    job.refresh()
    assert job.is_failed
    return job


def test_only_administrators_see_background_jobs(client, login, failed_export):
    login(make_user(Role.MANAGER))
    assert client.get("/admin/jobs").status_code == 403
    token = csrf_token(client, "/profile")
    response = client.post(f"/admin/jobs/{failed_export.id}/retry", data={"csrf_token": token})
    assert response.status_code == 403
    assert queues.fetch(failed_export.id).is_failed


def test_a_failed_job_shows_its_title_error_and_traceback(client, login, admin, failed_export):
    login(admin)
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert 'class="subnav"' in html
    assert f'id="job-{failed_export.id}"' in html
    assert "Audit log export" in html
    error = r"app\.jobs\.ActorUnavailable: user \d+ can no longer run jobs"
    assert re.search(f'<span class="field-error">{error}</span>', html)
    assert "<details><summary>Traceback</summary>" in html and "Traceback (most recent" in html
    assert '<tr id="queue-reports">' in html


def test_retry_puts_the_job_back_on_its_queue(client, login, admin, failed_export):
    login(admin)
    token = csrf_token(client, "/admin/jobs")
    response = client.post(f"/admin/jobs/{failed_export.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/admin/jobs"

    job = queues.fetch(failed_export.id)
    assert job.get_status() == "queued"
    assert job.id in queues.queue("reports").job_ids
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "The job is queued again." in page and f'id="job-{job.id}"' not in page


def test_delete_removes_the_failed_job(client, login, admin, failed_export):
    login(admin)
    token = csrf_token(client, "/admin/jobs")
    client.post(f"/admin/jobs/{failed_export.id}/delete", data={"csrf_token": token})
    assert queues.fetch(failed_export.id) is None
    assert "No failed jobs." in client.get("/admin/jobs").get_data(as_text=True)


def test_retry_and_delete_need_the_csrf_token(client, login, admin, failed_export):
    login(admin)
    assert client.post(f"/admin/jobs/{failed_export.id}/retry").status_code == 400
    assert client.post(f"/admin/jobs/{failed_export.id}/delete").status_code == 400
    assert queues.fetch(failed_export.id).is_failed


def test_only_failed_jobs_are_retried_or_deleted(client, login, admin):
    job = queues.enqueue(export_audit_log, {}, actor=admin, title="Waiting export")
    login(admin)
    token = csrf_token(client, "/admin/jobs")
    client.post(f"/admin/jobs/{job.id}/delete", data={"csrf_token": token})
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "That job is no longer among the failed ones." in page
    assert queues.fetch(job.id) is not None
    assert (
        client.post("/admin/jobs/no-such-job/retry", data={"csrf_token": token}).status_code == 404
    )
