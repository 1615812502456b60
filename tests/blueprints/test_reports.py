"""The report pages as a reader meets them: the catalogue shows the reports of records they
may read, a report page has its filters, chart, table and definition, a filter change
returns only the report body, bad filters are named without breaking the page, the CSV is
formula-safe, and nobody reads a report about records they may not read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from tests.factories import make_opportunity, make_user


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Amy Rep")


def _won(owner, name, days_ago=3):
    deal = make_opportunity(owner, name=name, stage="CLOSED_WON", amount="500")
    deal.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return deal


def test_the_catalogue_lists_the_reports_by_family(login, rep):
    page = login(rep).get("/reports/").get_data(as_text=True)
    assert 'id="reports-sales"' in page
    assert 'id="report-link-win-rate"' in page and 'id="report-link-sales-funnel"' in page


def test_a_report_page_has_filters_chart_table_and_definition(login, rep):
    _won(rep, "Big deal")
    response = login(rep).get("/reports/win-rate?period=last_12_months")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="report-filters"' in page and 'id="report-table"' in page
    assert 'id="report-chart-win-rate"' in page and "<title" in page  # accessible SVG
    assert "Amy Rep" in page and "100.0 %" in page
    assert 'id="report-definition"' in page


def test_a_filter_change_swaps_only_the_report_body(login, rep):
    _won(rep, "Big deal")
    response = login(rep).get(
        "/reports/win-rate?period=this_year&group=size", headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="report-body"')
    assert "<html" not in body and "Under 10,000" in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_bad_filters_are_named_and_the_report_still_shows(login, rep):
    page = (
        login(rep)
        .get("/reports/win-rate?period=custom&start=2026-05-01&end=2026-01-01&team=x")
        .get_data(as_text=True)
    )
    assert 'id="report-errors"' in page
    assert "The end date must not be before the start date." in page
    assert "Choose a team from the list." in page
    assert 'id="report-body"' in page


def test_edited_dates_make_a_custom_period(login, rep):
    page = (
        login(rep)
        .get(
            "/reports/win-rate?period=this_year&dates_for=this_year&start=2020-02-01&end=2020-02-29"
        )
        .get_data(as_text=True)
    )
    assert 'value="custom" selected' in page and 'value="2020-02-01"' in page


def test_the_csv_is_formula_safe(login, rep):
    _won(rep, "Big deal")
    _won(make_user(Role.SALES, name='=HYPERLINK("http://evil")'), "Other deal")
    client = login(make_user(Role.ADMIN))
    response = client.get("/reports/win-rate.csv?period=last_12_months&group=rep")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff") == "Sales rep,Won,Lost,Win rate"
    assert sorted(lines[1:]) == ['"\'=HYPERLINK(""http://evil"")",1,0,100.0', "Amy Rep,1,0,100.0"]
    funnel = client.get("/reports/sales-funnel.csv").get_data(as_text=True)
    assert funnel.splitlines()[0].lstrip("\ufeff").startswith("Stage,Deals that reached it,")


def test_reports_about_records_one_may_not_read_are_not_found(login):
    marketer = make_user(Role.MARKETING)
    permissions.set_grant(Role.MARKETING, "opportunity", "read", permissions.Scope.NONE)
    db.session.commit()
    client = login(marketer)
    assert client.get("/reports/win-rate").status_code == 404
    assert client.get("/reports/win-rate.csv").status_code == 404
    assert 'id="report-link-win-rate"' not in client.get("/reports/").get_data(as_text=True)
    assert client.get("/reports/no-such-report").status_code == 404


def test_signed_out_readers_are_sent_to_sign_in(client):
    response = client.get("/reports/win-rate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_report_is_kept_a_few_minutes_and_says_when_it_was_computed(login, rep):
    _won(rep, "First")
    client = login(rep)
    assert "100.0 %" in client.get("/reports/win-rate?group=rep").get_data(as_text=True)
    deal = make_opportunity(rep, stage="CLOSED_LOST", amount="10")
    deal.closed_at = utcnow() - timedelta(days=1)
    db.session.commit()
    kept = client.get("/reports/win-rate?group=rep").get_data(as_text=True)
    assert "100.0 %" in kept and 'id="report-refresh"' in kept and "Computed" in kept
    fresh = client.get("/reports/win-rate?group=rep&fresh=1").get_data(as_text=True)
    assert "50.0 %" in fresh
