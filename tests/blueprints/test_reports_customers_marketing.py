"""The customer and marketing report pages as readers meet them: each page shows its
figures, chart, table and definition, a grouping change swaps only the report body, and
each CSV downloads the same table (money columns say their currency)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import EventKind, MarketingEvent
from app.models.service import SurveyKind, SurveyResponse
from app.services import sales_costs, targets
from tests.factories import make_customer, make_lead, make_order, make_user
from tests.marketing_factories import make_campaign, make_web_form

KEYS = ["cac", "ltv", "churn-rate", "satisfaction-trend", "campaign-roi", "lead-conversion",
        "channel-effectiveness", "content-performance"]  # fmt: skip
HEADERS = {
    "cac": "Month,Campaign costs (USD),Sales costs (USD),Total cost (USD),New customers,"
    "Cost per new customer (USD)",
    "ltv": "First order in,Customers,Value after 3 months (USD),Value after 6 months (USD),"
    "Value after 12 months (USD),Value after 24 months (USD)",
    "churn-rate": "Month,Active at the start,New,Returned,Lost,Churn rate",
    "satisfaction-trend": "Month,CSAT answers,Average score (1-5),Satisfied (4-5),NPS answers,NPS",
    "campaign-roi": "Campaign,Start date,Actual cost (USD),Leads,Opportunities,Won deals,"
    "Won revenue (USD),ROI,Cost per lead (USD)",
    "lead-conversion": "Lead source,Leads,Converted,Conversion rate,Average days to convert",
    "channel-effectiveness": "Channel,Leads,Opportunities,Won deals,Won revenue (USD),"
    "Campaign cost (USD),Cost per lead (USD)",
    "content-performance": "Form,Variant,Views,Submissions,Conversion rate,A/B test,"
    "Submissions in the period",
}


@pytest.fixture
def data():
    """A little of everything these reports count, in the last twelve months."""
    admin = make_user(Role.ADMIN, name="Ada Admin")
    today = targets.today()
    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    make_order(rep, customer, [{"name": "Plan", "quantity": "1", "unit_price": "250"}],
               order_date=today - timedelta(days=40))  # fmt: skip
    make_order(rep, customer, [{"name": "Plan", "quantity": "1", "unit_price": "250"}],
               order_date=today - timedelta(days=400))  # fmt: skip
    make_order(rep, make_customer(rep), [{"name": "Plan", "quantity": "2", "unit_price": "90"}],
               order_date=today - timedelta(days=20))  # a new customer  # fmt: skip
    sales_costs.set_cost(admin, month=today.replace(day=1), amount="1000")
    campaign = make_campaign(admin, name="Autumn push", actual_cost=Decimal("500"),
                             start_date=today - timedelta(days=30), end_date=today)  # fmt: skip
    lead = make_lead(rep, source="WEB_FORM")
    lead.campaign_id, lead.utm_source = campaign.id, "linkedin"
    db.session.add(SurveyResponse(kind=SurveyKind.CSAT, sent_at=utcnow(), answered_at=utcnow(),
                                  score=5))  # fmt: skip
    make_web_form(admin, name="Guide", variants=[
        {"name": "A", "weight": 50, "views": 10, "submissions": 1},
    ])  # fmt: skip
    db.session.add(MarketingEvent(kind=EventKind.DOWNLOAD, url="/files/guide.pdf",
                                  occurred_at=utcnow() - timedelta(hours=1)))  # fmt: skip
    db.session.commit()
    return {"admin": admin}


@pytest.mark.parametrize("key", KEYS)
def test_each_report_page_has_figures_chart_table_and_definition(login, data, key):
    response = login(data["admin"]).get(f"/reports/{key}?period=last_12_months")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="report-filters"' in page and 'id="report-table"' in page
    assert f'id="report-chart-{key}"' in page
    assert 'id="report-definition"' in page and 'class="report-figure"' in page


@pytest.mark.parametrize("key", KEYS)
def test_each_csv_has_the_report_table(login, data, key):
    response = login(data["admin"]).get(f"/reports/{key}.csv?period=last_12_months")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff") == HEADERS[key]
    assert len(lines) > 1


def test_the_figures_read_as_the_reader_expects(login, data):
    client = login(data["admin"])
    cac = client.get("/reports/cac?period=this_month").get_data(as_text=True)
    assert "Customer acquisition cost" in cac and "Cost per new customer" in cac
    roi = client.get("/reports/campaign-roi").get_data(as_text=True)
    assert "Autumn push" in roi and "$500.00" in roi and "-100.0 %" in roi
    channels = client.get("/reports/channel-effectiveness").get_data(as_text=True)
    assert "Web form · linkedin" in channels


def test_a_grouping_change_swaps_only_the_report_body(login, data):
    response = login(data["admin"]).get(
        "/reports/content-performance?period=last_12_months&group=downloads",
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="report-body"')
    assert "/files/guide.pdf" in body and "<html" not in body


def test_readers_see_only_the_reports_of_what_they_may_read(login, data):
    rep = login(make_user(Role.SALES))
    catalogue = rep.get("/reports/").get_data(as_text=True)
    assert 'id="report-link-ltv"' in catalogue and 'id="report-link-campaign-roi"' in catalogue
    assert 'id="report-link-cac"' not in catalogue
    assert rep.get("/reports/cac").status_code == 404
    assert rep.get("/reports/cac.csv").status_code == 404
