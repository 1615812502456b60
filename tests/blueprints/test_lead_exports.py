"""Exporting the lead list from its page: the Export CSV button posts the filters shown,
the job writes only the leads the user may read, and a user who may not read leads is
refused."""

import csv
import io
import re

from app import permissions
from app.extensions import db
from app.models.identity import Role
from app.models.sales import LeadStatus
from tests.conftest import csrf_token
from tests.factories import make_lead, make_user


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_lead_list_offers_an_export_of_its_filters(client, login):
    login(make_user(Role.SALES))
    html = client.get("/leads?status=QUALIFIED").get_data(as_text=True)
    assert 'hx-post="/imports/export/lead"' in html
    assert 'hx-include="#lead-filters"' in html and 'id="lead-filters"' in html
    assert 'name="status" value="QUALIFIED"' in html  # the no-JavaScript copy


def test_a_rep_exports_their_own_filtered_leads(client, login, worker):
    rep = make_user(Role.SALES, email="rep@example.com")
    login(rep)
    make_lead(rep, first_name="Mei", last_name="Chen", status=LeadStatus.QUALIFIED)
    make_lead(rep, last_name="Not yet", status=LeadStatus.NEW)
    make_lead(make_user(Role.SALES), last_name="Someone Else's", status=LeadStatus.QUALIFIED)

    data = {"csrf_token": csrf_token(client, "/"), "status": "QUALIFIED"}
    response = client.post("/imports/export/lead", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    job_id = re.search(r'id="job-([^"]+)"', response.get_data(as_text=True)).group(1)
    worker()
    result = client.get(f"/jobs/{job_id}/result")
    assert "leads-" in result.headers["Content-Disposition"]
    header, *rows = _csv(result)
    assert header[:3] == ["ID", "First name", "Last name"]
    assert [row[1:3] for row in rows] == [["Mei", "Chen"]]
    assert rows[0][header.index("Owner email")] == "rep@example.com"


def test_exporting_leads_needs_the_read_right(client, login):
    login(make_user(Role.SUPPORT))
    permissions.set_grant(Role.SUPPORT, "lead", "read", permissions.Scope.NONE)
    db.session.commit()
    data = {"csrf_token": csrf_token(client, "/")}
    assert client.post("/imports/export/lead", data=data).status_code == 403
    assert client.post("/imports/export/quote", data=data).status_code == 404


def test_the_deal_list_offers_an_export_of_its_filters(client, login):
    login(make_user(Role.SALES))
    html = client.get("/opportunities").get_data(as_text=True)
    assert 'hx-post="/imports/export/opportunity"' in html
    assert 'hx-include="#opportunity-filters"' in html
