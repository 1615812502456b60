"""Importing through the pages: upload, mapping, HTMX preview, run, progress, report; and
exporting a filtered list. Only the importer sees an import and its report."""

import csv
import io
import re

import pytest
import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.customers import Customer, CustomerStatus
from app.models.identity import Role
from app.models.records import DataImport
from app.services import custom_fields, tags
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_customer, make_user

FILE = (
    "客戶名稱,電子郵件,產業\n"
    "Acme Trading,sales@acme.example,Retail\n"
    "Broken Mail Ltd,not-an-email,Retail\n"
    "Acme Again,SALES@acme.example,Retail\n"
)


@pytest.fixture
def rep(login):
    user = make_user(Role.SALES, email="rep@example.com")
    login(user)
    return user


def _sign_in(client, user):
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return client


def _upload(client, text: str, filename="customers.csv", entity_type="customer"):
    return client.post(
        "/imports/",
        data={
            "csrf_token": csrf_token(client, "/imports/"),
            "entity_type": entity_type,
            "file": (io.BytesIO(text.encode("utf-8-sig")), filename),
        },
        content_type="multipart/form-data",
    )


def _mapping_form(client, import_id: int, **changes) -> dict:
    html = client.get(f"/imports/{import_id}").get_data(as_text=True)
    form = {"csrf_token": csrf_token(client, f"/imports/{import_id}"), "duplicates": "skip"}
    for name, value in re.findall(
        r'<select id="(col_\d+)".*?<option selected value="([^"]*)"', html, re.S
    ):
        form[name] = value
    return form | changes


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_a_rep_maps_previews_runs_and_downloads_the_report(app, client, rep, worker):
    response = _upload(client, FILE)
    assert response.status_code == 302
    import_id = int(response.headers["Location"].rstrip("/").split("/")[-1])

    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "Acme Trading" not in page and "客戶名稱" in page
    form = _mapping_form(client, import_id)
    assert (form["col_0"], form["col_1"], form["col_2"]) == ("name", "email", "industry")

    preview = client.post(
        f"/imports/{import_id}/preview", data=form, headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'id="import-preview"' in preview
    assert "Enter a valid email address" in preview and "Same email as row 1" in preview
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0

    assert client.post(f"/imports/{import_id}/run", data=form).status_code == 302
    status = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert f'id="import-status-{import_id}"' in status and 'hx-trigger="every 1s"' in status
    worker()

    status = client.get(f"/imports/{import_id}/status").get_data(as_text=True)
    assert "hx-trigger" not in status
    assert re.search(r'id="import-created">1<', status)
    assert re.search(r'id="import-rejected">1<', status)
    assert re.search(r'id="import-skipped">1<', status)
    report = client.get(f"/imports/{import_id}/report")
    assert "attachment" in report.headers["Content-Disposition"]
    header, *rows = _csv(report)
    assert header == ["Row", "Result", "Messages", "客戶名稱", "電子郵件", "產業"]
    assert [(row[0], row[1]) for row in rows] == [("2", "rejected"), ("3", "skipped")]

    outsider = _sign_in(app.test_client(), make_user(Role.ADMIN))
    for path in ("", "/status", "/report"):
        assert outsider.get(f"/imports/{import_id}{path}").status_code == 404
    form["csrf_token"] = csrf_token(outsider, "/")
    assert outsider.post(f"/imports/{import_id}/preview", data=form).status_code == 404


def test_a_started_import_cannot_be_remapped_or_run_again(client, rep, worker):
    import_id = int(_upload(client, FILE).headers["Location"].split("/")[-1])
    form = _mapping_form(client, import_id)
    client.post(f"/imports/{import_id}/run", data=form)
    worker()
    again = client.post(f"/imports/{import_id}/run", data=form)
    assert again.status_code == 200 and "mapping is fixed" in again.get_data(as_text=True)
    worker()
    assert db.session.get(DataImport, import_id).created == 1


def test_uploads_other_than_csv_text_are_refused_on_the_form(client, rep):
    response = _upload(client, "Name\nAcme\n", filename="customers.xlsx")
    assert response.status_code == 200 and "Upload a .csv file." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(DataImport.id))) == 0


def test_upload_without_csrf_token_is_refused(client, rep):
    response = client.post(
        "/imports/",
        data={"entity_type": "customer", "file": (io.BytesIO(b"Name\nAcme\n"), "c.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_importing_needs_the_create_right_on_the_record_type(client, login):
    login(make_user(Role.SUPPORT))
    assert _upload(client, "Name\nAcme\n").status_code == 302
    permissions.set_grant(Role.SUPPORT, "customer", "create", permissions.Scope.NONE)
    db.session.commit()
    assert _upload(client, "Name\nAcme\n").status_code == 403


def _export(client, entity_type: str, **filters) -> str:
    data = {"csrf_token": csrf_token(client, "/")} | filters
    response = client.post(
        f"/imports/export/{entity_type}", data=data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    return re.search(r'id="job-([^"]+)"', response.get_data(as_text=True)).group(1)


def test_export_is_excel_safe_and_holds_only_the_reps_own_filtered_customers(
    app, client, rep, worker
):
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "customer", "Region code", "text")
    evil = make_customer(
        rep,
        name='=HYPERLINK("http://evil.example","click")',
        company="+1 Corp",
        industry="-2 Industries",
        email="",
        description="@SUM(A1)",
        status=CustomerStatus.CUSTOMER,
        custom={"region_code": "=cmd|' /C calc'!A0"},
    )
    tags.add_tags(rep, "customers", evil.id, ["vip"])
    make_customer(rep, name="台灣茶行", status=CustomerStatus.CUSTOMER)
    make_customer(rep, name="Prospect Only", status=CustomerStatus.PROSPECT)
    make_customer(make_user(Role.SALES), name="Someone Else's", status=CustomerStatus.CUSTOMER)
    db.session.commit()

    job_id = _export(client, "customer", status="CUSTOMER")
    worker()
    header, *rows = _csv(client.get(f"/jobs/{job_id}/result"))

    assert header[:3] == ["ID", "Name", "Company"] and header[-1] == "Region code"
    names = {row[1] for row in rows}
    assert names == {'\'=HYPERLINK("http://evil.example","click")', "台灣茶行"}
    evil_row = next(row for row in rows if row[1].startswith("'="))
    assert "'+1 Corp" in evil_row and "'-2 Industries" in evil_row and "'@SUM(A1)" in evil_row
    assert evil_row[header.index("Tags")] == "vip"
    assert evil_row[-1] == "'=cmd|' /C calc'!A0"
    assert evil_row[header.index("Owner email")] == "rep@example.com"


def test_contacts_export_and_the_list_button_fragment(app, client, rep, worker):
    from tests.factories import make_contact

    acme = make_customer(rep, name="Acme")
    make_contact(rep, acme, first_name="Mei", last_name="Chen", email="mei@acme.example")
    job_id = _export(client, "contact")
    worker()
    header, *rows = _csv(client.get(f"/jobs/{job_id}/result"))
    assert header[1:4] == ["First name", "Last name", "Customer"]
    assert rows[0][1:5] == ["Mei", "Chen", "Acme", "mei@acme.example"]

    with app.test_request_context("/customers?status=CUSTOMER&tag=vip"):
        from flask import render_template_string, request

        html = render_template_string(
            '{% from "imports/_export_button.html" import export_button %}'
            '{{ export_button("customer", request.args) }}',
            request=request,
        )
    assert 'name="status" value="CUSTOMER"' in html and 'name="tag" value="vip"' in html
    assert 'hx-post="/imports/export/customer"' in html
