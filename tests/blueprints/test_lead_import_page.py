"""Leads are a choice on the import page: upload, mapped Chinese headers, run, and the
leads appear with the source IMPORT."""

import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Lead, LeadSource
from tests.conftest import csrf_token
from tests.factories import make_user


def test_a_rep_imports_leads_from_the_import_page(client, login, worker):
    login(make_user(Role.SALES))
    assert 'value="lead"' in client.get("/imports/?entity=lead").get_data(as_text=True)

    response = client.post(
        "/imports/",
        data={
            "csrf_token": csrf_token(client, "/imports/"),
            "entity_type": "lead",
            "file": (
                io.BytesIO("姓,名,公司,電子郵件\n陳,志明,台積電,chen@example.com\n".encode()),
                "l.csv",
            ),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    import_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "1 rows into leads." in page
    selected = re.findall(r'<select id="(col_\d+)".*?<option selected value="([^"]*)"', page, re.S)
    form = dict(selected)
    assert list(form.values()) == ["last_name", "first_name", "company", "email"]

    data = form | {"csrf_token": csrf_token(client, f"/imports/{import_id}"), "duplicates": "skip"}
    assert client.post(f"/imports/{import_id}/run", data=data).status_code == 302
    worker()

    lead = db.session.scalars(sa.select(Lead)).one()
    assert (lead.last_name, lead.first_name, lead.source) == ("陳", "志明", LeadSource.IMPORT)
    assert "Leads" in client.get("/imports/").get_data(as_text=True)
