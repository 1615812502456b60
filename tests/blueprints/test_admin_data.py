"""The Data & privacy page: administrators only; erasing a person needs their name or email
typed and a CSRF token; the per-person export is a POST that downloads JSON."""

from __future__ import annotations

import json

import pytest

from app import queues
from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from tests.conftest import csrf_token, post_form
from tests.factories import NON_ADMIN_ROLES, make_contact, make_user


@pytest.fixture
def admin():
    return make_user(Role.ADMIN)


@pytest.fixture
def person(admin):
    return make_contact(
        admin,
        first_name="Odalys",
        last_name="Brightwater",
        email="odalys@example.org",
        phone="+1 555 010 2233",
    )


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_the_page_and_its_actions_are_for_administrators_only(client, login, person, role):
    login(make_user(role))
    assert client.get("/admin/data").status_code == 403
    assert client.get(f"/admin/data/erase/contact/{person.id}").status_code == 403
    response = post_form(
        client, f"/admin/data/erase/contact/{person.id}", {"confirmation": "odalys@example.org"}
    )
    assert response.status_code == 403
    assert post_form(client, "/admin/data/export").status_code == 403
    db.session.expire_all()
    assert db.session.get(Contact, person.id).email == "odalys@example.org"


def test_an_administrator_finds_a_person_by_address(client, login, admin, person):
    login(admin)
    html = client.get("/admin/data?q=ODALYS@example.org").get_data(as_text=True)
    assert "Odalys Brightwater" in html
    assert f"/admin/data/erase/contact/{person.id}" in html
    assert 'href="/admin/data"' in html  # the nav entry


def test_erasure_asks_for_the_name_or_address(client, login, admin, person):
    login(admin)
    page = client.get(f"/admin/data/erase/contact/{person.id}").get_data(as_text=True)
    assert "Erase Odalys Brightwater?" in page and 'id="erasure-preview"' in page
    response = post_form(
        client, f"/admin/data/erase/contact/{person.id}", {"confirmation": "Odalys"}
    )
    assert response.status_code == 200
    assert "exactly as shown" in response.get_data(as_text=True)
    empty = post_form(client, f"/admin/data/erase/contact/{person.id}", {"confirmation": ""})
    assert "Type the name or email address shown above." in empty.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contact, person.id).email == "odalys@example.org"


def test_erasure_without_a_csrf_token_is_refused(client, login, admin, person):
    login(admin)
    response = client.post(
        f"/admin/data/erase/contact/{person.id}", data={"confirmation": "odalys@example.org"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, person.id).email == "odalys@example.org"


def test_a_confirmed_erasure_runs_with_progress_and_anonymises(
    client, login, worker, admin, person
):
    login(admin)
    response = post_form(
        client, f"/admin/data/erase/contact/{person.id}", {"confirmation": "Odalys Brightwater"}
    )
    assert response.status_code == 200
    assert f"Erasure of contact #{person.id}" in response.get_data(as_text=True)
    (job,) = queues.queue("default").get_jobs()
    # Redis keeps the job for days: it must not name the person it erases.
    assert "odalys" not in f"{job.args} {job.kwargs} {job.meta}".lower()
    worker()
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert f"Erased person #{person.id}" in page and "Odalys" not in page
    data_page = client.get("/admin/data").get_data(as_text=True)
    assert f"Erased person #{person.id}" in data_page


def test_an_erased_lead_still_opens(client, login, worker, admin):
    from tests.privacy_factories import make_subject

    subject = make_subject(admin)
    login(admin)
    post_form(client, f"/admin/data/erase/lead/{subject.lead_id}", {"confirmation": subject.email})
    worker()
    page = client.get(f"/leads/{subject.lead_id}")
    assert page.status_code == 200
    assert subject.last_name not in page.get_data(as_text=True)
    again = client.get(f"/admin/data/erase/lead/{subject.lead_id}").get_data(as_text=True)
    assert "already been erased" in again


def test_the_contact_page_offers_export_and_erasure_to_administrators(client, login, admin, person):
    login(admin)
    html = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert 'id="export-personal-data"' in html and 'id="erase-person"' in html


def test_a_sales_rep_without_the_right_sees_neither(client, login, person):
    rep = make_user(Role.SALES)
    mine = make_contact(rep, last_name="Mine")
    login(rep)
    html = client.get(f"/contacts/{mine.id}").get_data(as_text=True)
    assert 'id="export-personal-data"' not in html and 'id="erase-person"' not in html
    token = csrf_token(client, "/")
    assert (
        client.post(f"/privacy/contact/{mine.id}/export", data={"csrf_token": token}).status_code
        == 403
    )


def test_the_personal_data_export_downloads_json(client, login, admin, person):
    login(admin)
    response = post_form(client, f"/privacy/contact/{person.id}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.get_data())
    assert document["records"]["contacts"][0]["email"] == "odalys@example.org"
    assert client.post(f"/privacy/contact/{person.id}/export").status_code == 400
