"""The dashboard's PDF and CSV buttons: the PDF is made by a worker for the reader who
asked (CSRF-protected, downloadable by them only), the CSV comes at once."""

from __future__ import annotations

import re

from app import queues
from app.extensions import db
from app.models.identity import Role
from app.services import dashboards
from tests.conftest import csrf_token, htmx_post
from tests.factories import make_team, make_user
from tests.services.test_dashboards import closed


def _manager():
    team = make_team("North")
    mia = make_user(Role.MANAGER, team, name="Mia")
    closed(make_user(Role.SALES, team, name="Amy"), "CLOSED_WON", "2000")
    dashboards.save_layout(mia, ["won-vs-target", "win-rate"])
    db.session.commit()
    return mia


def test_the_home_page_offers_pdf_and_csv(login):
    page = login(_manager()).get("/").get_data(as_text=True)
    assert 'id="dashboard-pdf-button"' in page and 'id="dashboard-csv"' in page


def test_the_pdf_is_made_by_a_worker_for_its_reader_only(login, client, worker):
    mia = _manager()
    login(mia)
    response = htmx_post(client, "/home/pdf", {"period": "last_12_months"})
    assert response.status_code == 200 and "progress" in response.get_data(as_text=True)
    job_id = re.search(r"/jobs/([0-9a-f-]+)", response.get_data(as_text=True)).group(1)
    worker()
    job = queues.fetch(job_id)
    assert job.is_finished and job.meta["download_name"].startswith("dashboard-last_12_months")
    download = client.get(f"/jobs/{job_id}/result")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(make_user(Role.MANAGER))
    assert client.get(f"/jobs/{job_id}/result").status_code == 403


def test_the_pdf_needs_the_csrf_token(login):
    client = login(_manager())
    assert client.post("/home/pdf", data={"period": "this_month"}).status_code == 400


def test_the_csv_downloads_at_once(login):
    response = login(_manager()).get("/home.csv?period=this_month")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff") == "Dashboard of Mia,This month"
    assert "Won vs target" in lines


def test_signed_out_visitors_get_neither(client):
    assert client.get("/home.csv").status_code == 302
    assert client.post("/home/pdf").status_code in (302, 400)
