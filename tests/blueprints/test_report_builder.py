"""The custom report pages as readers meet them: the list with its empty state, the builder
(its record type, filter rows and live preview through htmx), saving with CSRF, sharing
with a team (a teammate sees the report with their own records, another team does not see
it at all), editing and deleting by the owner only, and a formula-safe CSV."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.analytics import SavedReport
from app.models.identity import Role
from app.models.records import AuditEntry
from app.services import saved_reports
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_opportunity, make_team, make_user

LISTING = {"columns": ["name", "amount", "owner"], "sort": {"field": "name", "direction": "asc"}}


@pytest.fixture
def people():
    north, south = make_team("North"), make_team("South")
    amy = make_user(Role.SALES, team=north, name="Amy Rep")
    ben = make_user(Role.SALES, team=north, name="Ben Rep")
    mia = make_user(Role.MANAGER, team=north, name="Mia Manager")
    olga = make_user(Role.SALES, team=south, name="Olga Rep")
    make_opportunity(amy, name="Amy deal", amount="1000", currency="USD", stage="PROPOSAL")
    make_opportunity(ben, name="Ben deal", amount="4000", currency="USD", stage="PROPOSAL")
    make_opportunity(olga, name="Olga deal", amount="9000", currency="USD", stage="PROPOSAL")
    return {"amy": amy, "ben": ben, "mia": mia, "olga": olga}


def _saved(owner, shared=False, definition=LISTING, name="Deals"):
    report = saved_reports.create_report(
        owner, name=name, entity="opportunities", definition=definition, shared=shared
    )
    db.session.commit()
    return report


def _switch(client, login, user):
    """Sign the current user out and `user` in."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    return login(user)


def _builder_form(**overrides) -> dict:
    form = {
        "name": "Deals by stage",
        "description": "",
        "entity": "opportunities",
        "columns": ["name", "amount"],
        "f0-field": "",
        "group_by": "stage",
        "aggregate_fn": "sum",
        "aggregate_field": "amount",
        "sort_field": "",
        "sort_direction": "asc",
    }
    return form | overrides


def test_the_list_starts_empty_with_a_way_to_begin(login, people):
    response = login(people["amy"]).get("/reports/custom")
    page = response.get_data(as_text=True)
    assert response.status_code == 200  # not taken for a standard report named "custom"
    assert "<h1>Custom reports</h1>" in page and 'id="new-custom-report"' in page
    assert "There are no custom reports yet." in page


def test_the_builder_offers_the_readers_record_types_and_fields(login, client, people):
    page = login(people["amy"]).get("/reports/custom/new").get_data(as_text=True)
    assert 'id="custom-report-form"' in page and 'id="custom-builder"' in page
    assert '<option value="customers" selected>' in page  # the first record type offered
    assert 'value="tickets"' in page and 'value="campaigns"' in page
    assert 'id="column-name"' in page and 'id="f0-field"' in page
    assert 'id="custom-preview"' in page
    support = _switch(client, login, make_user(Role.SUPPORT))
    support = support.get("/reports/custom/new").get_data(as_text=True)
    assert 'value="tickets"' in support and 'value="leads"' not in support


def test_the_preview_runs_the_report_being_built_with_the_readers_rights(login, people):
    client = login(people["amy"])
    response = htmx_post(client, "/reports/custom/preview", _builder_form())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="custom-preview"')
    assert 'id="report-table"' in body and "Proposal" in body and "$1,000.00" in body
    assert "$4,000.00" not in body  # Ben's deal is not Amy's to read
    assert "Opportunities you may read" in body  # the definition in words
    listing = htmx_post(client, "/reports/custom/preview",
                        _builder_form(group_by="", aggregate_fn=""))  # fmt: skip
    assert "Amy deal" in listing.get_data(as_text=True)


def test_a_bad_definition_is_explained_in_the_preview(login, people):
    client = login(people["amy"])
    form = _builder_form(**{"group_by": "amount", "f0-field": "password_hash", "f0-op": "eq"})
    response = htmx_post(client, "/reports/custom/preview", form)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="custom-preview-problems"' in body
    assert "Records cannot be grouped by Amount." in body
    assert "Filter 1: There is no field “password_hash” for Opportunities." in body


def test_builder_buttons_add_and_remove_filter_rows_and_change_the_record_type(login, people):
    client = login(people["amy"])
    form = _builder_form(**{"f0-field": "stage", "f0-op": "eq", "f0-value": "PROPOSAL"})
    added = htmx_post(client, "/reports/custom/builder", form | {"builder_action": "add-filter"})
    body = added.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="custom-builder"')
    assert 'id="f1-field"' in body and '<option value="PROPOSAL" selected>' in body
    removed = htmx_post(client, "/reports/custom/builder",
                        form | {"builder_action": "remove-filter-0"})  # fmt: skip
    assert 'id="f0-field"' not in removed.get_data(as_text=True)
    tickets = htmx_post(client, "/reports/custom/builder",
                        form | {"entity": "tickets", "builder_action": "entity"})  # fmt: skip
    body = tickets.get_data(as_text=True)
    assert 'id="column-priority"' in body and 'id="column-amount"' not in body


def test_a_filter_row_follows_its_field(login, people):
    client = login(people["amy"])
    row = client.get(
        "/reports/custom/builder/filter?prefix=f0&entity=opportunities&f0-field=stage&f0-op=gt"
    ).get_data(as_text=True)
    assert 'id="filter-f0"' in row and '<option value="eq" selected>' in row
    assert '<option value="CLOSED_WON">Closed won</option>' in row
    date_row = client.get(
        "/reports/custom/builder/filter?prefix=f3&entity=opportunities&f3-field=closed_at"
    ).get_data(as_text=True)
    assert 'type="date"' in date_row and 'id="remove-filter-f3"' in date_row
    assert client.get("/reports/custom/builder/filter?prefix=x1").status_code == 400


def test_saving_needs_the_csrf_token_then_stores_the_report(login, people):
    client = login(people["amy"])
    refused = client.post("/reports/custom/new", data=_builder_form())
    assert refused.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedReport)) == 0
    response = post_form(client, "/reports/custom/new", _builder_form(shared="y"))
    assert response.status_code == 302
    report = db.session.scalar(sa.select(SavedReport))
    assert response.headers["Location"].endswith(f"/reports/custom/{report.id}")
    assert (report.name, report.entity, report.owner_id) == (
        "Deals by stage", "opportunities", people["amy"].id
    )  # fmt: skip
    assert report.team_id == people["amy"].team_id
    assert report.definition["group_by"] == "stage"
    assert report.definition["aggregate"] == {"fn": "sum", "field": "amount"}
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "saved_reports")
    )
    assert entry.actor_id == people["amy"].id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The report Deals by stage is saved." in page and 'id="report-chart-custom-' in page


def test_an_invalid_report_is_not_saved_and_the_form_says_why(login, people):
    client = login(people["amy"])
    response = post_form(client, "/reports/custom/new", _builder_form(name="", group_by="amount"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a name for the report." in page and "Records cannot be grouped by Amount." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedReport)) == 0


def test_a_shared_report_shows_each_teammate_their_own_records(login, client, people):
    report = _saved(people["amy"], shared=True)
    ben = login(people["ben"])
    assert f'id="custom-report-{report.id}"' in ben.get("/reports/custom").get_data(as_text=True)
    page = ben.get(f"/reports/custom/{report.id}").get_data(as_text=True)
    assert "Ben deal" in page and "Amy deal" not in page
    assert "Shared with North" in page and 'id="edit-report"' not in page
    assert ben.get(f"/reports/custom/{report.id}/edit").status_code == 403
    assert post_form(ben, f"/reports/custom/{report.id}/delete").status_code == 403
    csv = ben.get(f"/reports/custom/{report.id}.csv").get_data(as_text=True)
    assert "Ben deal" in csv and "Amy deal" not in csv


def test_another_team_never_sees_a_shared_report(login, people):
    report = _saved(people["amy"], shared=True)
    olga = login(people["olga"])
    assert "Deals" not in olga.get("/reports/custom").get_data(as_text=True)
    for path in ("", ".csv", "/edit"):
        assert olga.get(f"/reports/custom/{report.id}{path}").status_code == 404
    assert post_form(olga, f"/reports/custom/{report.id}/delete").status_code == 404


def test_a_private_report_stays_with_its_owner_and_their_manager(login, client, people):
    report = _saved(people["amy"])
    assert login(people["ben"]).get(f"/reports/custom/{report.id}").status_code == 404
    mia = _switch(client, login, people["mia"])
    page = mia.get(f"/reports/custom/{report.id}").get_data(as_text=True)
    # The manager reads the team's reports, run with the manager's own (team) rights.
    assert "Amy deal" in page and "Ben deal" in page and "Olga deal" not in page
    assert 'id="edit-report"' in page


def test_the_owner_edits_and_deletes_a_report(login, people):
    report = _saved(people["amy"])
    client = login(people["amy"])
    form = client.get(f"/reports/custom/{report.id}/edit").get_data(as_text=True)
    assert 'value="Deals"' in form and 'id="column-owner" checked' in form
    renamed = _builder_form(name="Renamed", group_by="owner", aggregate_fn="")
    updated = post_form(client, f"/reports/custom/{report.id}/edit", renamed)
    assert updated.status_code == 302
    db.session.refresh(report)
    assert report.name == "Renamed" and report.definition["group_by"] == "owner"
    confirm = client.get(f"/reports/custom/{report.id}/delete").get_data(as_text=True)
    assert 'id="confirm-delete"' in confirm
    assert client.post(f"/reports/custom/{report.id}/delete").status_code == 400  # no CSRF
    deleted = post_form(client, f"/reports/custom/{report.id}/delete")
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/reports/custom")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedReport)) == 0


def test_the_csv_is_formula_safe(login, people):
    amy = people["amy"]
    make_opportunity(amy, name='=HYPERLINK("http://evil")', amount="5", currency="USD")
    report = _saved(amy)
    response = login(amy).get(f"/reports/custom/{report.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff") == "Name,Amount (USD),Owner"
    assert sorted(lines[1:]) == [
        '"\'=HYPERLINK(""http://evil"")",5.00,Amy Rep',
        "Amy deal,1000.00,Amy Rep",
    ]


def test_a_report_the_reader_may_no_longer_run_says_so(login, people):
    report = _saved(people["amy"], shared=True, definition={"columns": ["name", "customer"]})
    permissions.set_grant(Role.SALES, "customer", "read", permissions.Scope.NONE)
    db.session.commit()
    page = login(people["ben"]).get(f"/reports/custom/{report.id}").get_data(as_text=True)
    assert 'id="custom-report-problems"' in page
    assert "There is no field “customer” for Opportunities." in page


def test_without_the_right_to_reports_the_pages_are_closed(login, people):
    permissions.set_grant(Role.SALES, "report", "read", permissions.Scope.NONE)
    permissions.set_grant(Role.SALES, "report", "create", permissions.Scope.NONE)
    permissions.set_grant(Role.SALES, "report", "edit", permissions.Scope.NONE)
    db.session.commit()
    client = login(people["amy"])
    assert client.get("/reports/custom").status_code == 403
    assert client.get("/reports/custom/new").status_code == 403
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    preview = client.post("/reports/custom/preview", data=_builder_form(), headers=headers)
    assert preview.status_code == 403


def test_signed_out_readers_are_sent_to_sign_in(client):
    response = client.get("/reports/custom")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_shared_report_becomes_a_pdf_of_the_readers_own_records(login, client, people, worker):
    import io
    import re

    from pypdf import PdfReader

    from app import queues

    report = _saved(people["amy"], shared=True)
    login(people["ben"])
    response = htmx_post(client, f"/reports/custom/{report.id}/pdf", {})
    assert response.status_code == 200
    job_id = re.search(r"/jobs/([0-9a-f-]+)", response.get_data(as_text=True)).group(1)
    worker()
    job = queues.fetch(job_id)
    assert job.is_finished and job.meta["download_name"] == f"custom-report-{report.id}.pdf"
    data = client.get(f"/jobs/{job_id}/result").data
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Deals" in text and "Ben deal" in text and "Amy deal" not in text
    assert client.post(f"/reports/custom/{report.id}/pdf").status_code == 400  # no CSRF token
    _switch(client, login, people["olga"])
    assert htmx_post(client, f"/reports/custom/{report.id}/pdf", {}).status_code == 404
