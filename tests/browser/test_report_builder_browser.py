"""A sales rep, in a real browser, builds a report of their opportunities grouped by stage
with the sum of their amounts: the builder follows the record type, the preview follows
every choice (and a filter row), and the saved report reads back with its chart."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.analytics import SavedReport
from app.models.identity import Role
from tests.factories import PASSWORD, make_opportunity, make_user

pytestmark = pytest.mark.browser


def _choose(page, selector: str, value: str, url_part: str) -> None:
    """Pick an option that re-renders part of the form, and let the new part arrive."""
    with page.expect_response(lambda response: url_part in response.url):
        page.select_option(selector, value)
    page.wait_for_function("() => !document.querySelector('.htmx-swapping, .htmx-settling')")
    page.wait_for_timeout(50)  # htmx settles swapped content after 20 ms


def test_a_rep_builds_a_report_of_deals_by_stage_and_saves_it(page):
    rep = make_user(Role.SALES, email="amy.builder@example.com", name="Amy")
    make_opportunity(rep, name="Small", amount="400", currency="USD", stage="PROSPECTING")
    make_opportunity(rep, name="Mid", amount="1000", currency="USD", stage="PROPOSAL")
    make_opportunity(rep, name="Big", amount="2500", currency="USD", stage="PROPOSAL")
    page.goto("/login")
    page.fill("#email", "amy.builder@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto("/reports/custom")
    page.click("#new-custom-report")
    page.wait_for_selector("#custom-builder")
    _choose(page, "#entity", "opportunities", "/reports/custom/builder")
    page.wait_for_selector("#column-amount")
    page.locator("#custom-preview #report-table", has_text="Big").wait_for()  # a listing

    page.select_option("#group_by", "stage")
    page.locator("#custom-preview #report-table", has_text="Proposal").wait_for()
    page.select_option("#aggregate_fn", "sum")
    page.locator("#custom-preview-problems", has_text="Choose a field for the sum.").wait_for()
    page.select_option("#aggregate_field", "amount")
    table = page.locator("#custom-preview #report-table", has_text="$3,500.00")
    table.wait_for()
    assert "Prospecting" in table.inner_text() and "$400.00" in table.inner_text()
    assert page.locator("#custom-preview svg.report-chart").count() == 1

    # A filter row: only deals over 500; the preview drops the prospecting one.
    _choose(page, "#f0-field", "amount", "/reports/custom/builder/filter")
    _choose(page, "#f0-op", "gt", "/reports/custom/builder/filter")
    page.fill("#f0-value", "500")
    page.locator(
        "#custom-preview #report-definition", has_text="Amount is more than 500"
    ).wait_for()
    assert "Prospecting" not in page.inner_text("#custom-preview #report-table")

    page.fill("#name", "Deals by stage")
    page.click("#save-report")
    page.wait_for_selector("#custom-report-about")
    assert "The report Deals by stage is saved." in page.inner_text("body")
    assert "$3,500.00" in page.inner_text("#report-table")
    report = db.session.scalar(sa.select(SavedReport))
    assert report.name == "Deals by stage" and report.entity == "opportunities"
    assert report.definition["group_by"] == "stage"
    assert report.definition["aggregate"] == {"fn": "sum", "field": "amount"}
    assert report.definition["filters"] == [{"field": "amount", "op": "gt", "value": "500"}]
