"""An administrator exports the filtered audit log as CSV through a background job."""

import csv
import io
import re
import time

import pytest

from app import queues
from app.audit import set_actor
from app.extensions import db
from app.models.identity import Role
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_team, make_user


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, email="boss@example.com", name="Bea Boss")


def _sign_in(client, user):
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return client


def _ask_for_export(client, **filters):
    response = client.post(
        "/admin/audit/export",
        data=filters | {"csrf_token": csrf_token(client, "/admin/audit")},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return re.search(r'id="job-([^"]+)"', response.get_data(as_text=True)).group(1)


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_export_writes_the_filtered_log_safely_and_only_its_owner_downloads_it(
    app, client, login, admin, worker
):
    set_actor(db.session, admin, source="web")
    make_team('=HYPERLINK("http://evil.example","click")')
    make_team("Plain Team")
    db.session.commit()
    login(admin)

    job_id = _ask_for_export(client, entity_type="teams")
    worker()

    job = queues.fetch(job_id)
    assert job.is_finished and job.meta["progress"] == 100
    assert job.meta["download_name"].startswith("audit-log-")
    download = client.get(f"/jobs/{job_id}/result")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    header, *rows = _csv_rows(download)
    assert header[:2] == ["Entry", "When (UTC)"] and header[-1] == "Changes"
    assert [row[9] for row in rows] == [
        "Plain Team",
        '\'=HYPERLINK("http://evil.example","click")',
    ]
    assert {row[3] for row in rows} == {"boss@example.com"}
    assert {row[6] for row in rows} == {"create"}

    outsider = _sign_in(app.test_client(), make_user(Role.SALES))
    assert outsider.get(f"/jobs/{job_id}").status_code == 403
    assert outsider.get(f"/jobs/{job_id}/result").status_code == 403


def test_an_export_with_nothing_to_write_still_finishes(client, login, admin, worker):
    login(admin)
    job_id = _ask_for_export(client, entity_type="teams", q="nothing like this")
    worker()
    job = queues.fetch(job_id)
    assert job.is_finished and job.meta["progress"] == 100
    header, *rows = _csv_rows(client.get(f"/jobs/{job_id}/result"))
    assert header[0] == "Entry" and rows == []


def test_export_is_refused_if_the_user_lost_the_right_before_it_ran(client, login, admin, worker):
    login(admin)
    job_id = _ask_for_export(client)
    admin.role = Role.SALES
    db.session.commit()
    worker()

    job = queues.fetch(job_id)
    assert job.is_failed
    assert "PermissionDenied" in job.latest_result().exc_string
    assert client.get(f"/jobs/{job_id}/result").status_code == 404


def test_progress_polls_until_done_then_offers_the_download(
    client, login, admin, background_worker
):
    set_actor(db.session, admin, source="web")
    for n in range(3):
        make_team(f"Team {n}")
    db.session.commit()
    login(admin)
    job_id = _ask_for_export(client, entity_type="teams")

    for _ in range(100):
        html = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
        if "hx-trigger" not in html:
            break
        time.sleep(0.1)
    assert "hx-trigger" not in html
    assert "Done" in html and f"/jobs/{job_id}/result" in html
    rows = _csv_rows(client.get(f"/jobs/{job_id}/result"))
    assert len(rows) == 1 + 3
