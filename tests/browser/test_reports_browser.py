"""A manager, in a real browser, exports the sales funnel as PDF (a progress bar, then the
file, made by a background worker) and opens it; then asks for the report by email every
week with the period they chose on the page."""

import io

import pytest
from pypdf import PdfReader

from app.models.identity import Role
from app.models.sales import OpportunityStage
from app.services import report_schedules
from tests.factories import PASSWORD, make_opportunity, make_team, make_user

pytestmark = pytest.mark.browser


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")


@pytest.fixture
def manager():
    team = make_team("North")
    rep = make_user(Role.SALES, team=team, name="Amy Rep")
    for amount in ("1200", "800", "500"):
        make_opportunity(rep, amount=amount, stage=OpportunityStage.PROSPECTING.value)
    return make_user(Role.MANAGER, team=team, email="mia.reports@example.com", name="Mia")


def test_a_manager_exports_the_sales_funnel_as_pdf(page, manager, background_worker):
    _sign_in(page, "mia.reports@example.com")
    page.goto("/reports/sales-funnel")
    assert "$2,500.00" in page.inner_text("#report-table")

    page.click("#report-pdf-button")
    page.wait_for_selector("#report-export-work progress")
    assert "PDF of Sales funnel" in page.inner_text("#report-export-work")
    link = page.wait_for_selector("#job-result-link")
    assert "Done" in page.inner_text("#report-export-work")

    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    assert ".pdf" in pdf.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(pdf.body()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Sales funnel" in text and "Prepared for Mia" in text
    assert "Prospecting 3 $2,500.00" in text
    assert "Deals created\n3" in text


def test_a_manager_asks_for_the_report_by_email_with_the_chosen_period(page, manager):
    _sign_in(page, "mia.reports@example.com")
    page.goto("/reports/sales-funnel")
    page.select_option("#period", "last_month")
    page.wait_for_url("**period=last_month**")

    page.click("#report-schedule-toggle")
    page.wait_for_selector("#schedule-frequency")
    page.select_option("#schedule-frequency", "WEEKLY")
    page.select_option("#schedule-weekday", "4")
    page.select_option("#schedule-hour", "8")
    page.click("#report-schedule-submit")
    saved = page.wait_for_selector("#report-schedule-saved")
    assert "Every Friday at 08:00" in saved.inner_text()

    [schedule] = report_schedules.schedules_of(manager)
    assert (schedule.report_key, schedule.weekday, schedule.hour) == ("sales-funnel", 4, 8)
    assert schedule.filters == {"period": "last_month"}

    page.click("#report-schedule-saved a")
    page.wait_for_selector(f"#report-schedule-{schedule.id}")
    assert "Every Friday at 08:00" in page.inner_text(f"#report-schedule-{schedule.id}")
