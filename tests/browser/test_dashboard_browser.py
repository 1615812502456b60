"""A manager, in a real browser, opens the home dashboard: its panels load by themselves;
choosing another period reloads every panel for it, without reloading the page."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.identity import Role
from app.services import targets
from app.services.reports.filters import add_months
from tests.factories import PASSWORD, make_opportunity, make_team, make_user

pytestmark = pytest.mark.browser


def _won(owner, amount: str, months_ago: int):
    """A deal won at noon on the first day of the month `months_ago` months back."""
    first = add_months(targets.today().replace(day=1), -months_ago)
    deal = make_opportunity(owner, stage="CLOSED_WON", amount=amount)
    deal.closed_at = targets.day_bounds(first, first)[0] + timedelta(hours=12)
    db.session.commit()


def test_a_manager_changes_the_period_and_the_panels_follow(page):
    team = make_team("North")
    make_user(Role.MANAGER, team, email="mia.home@example.com", name="Mia")
    rep = make_user(Role.SALES, team, name="Rob")
    _won(rep, "1500", 0)
    _won(rep, "2500", 2)

    page.goto("/login")
    page.fill("#email", "mia.home@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    won = page.locator('#panel-body-won-vs-target[data-period="this_month"]')
    won.wait_for()
    assert "$1,500.00" in won.inner_text()
    page.locator('#panel-body-win-rate[data-period="this_month"]').wait_for()
    page.evaluate("window.stillTheSamePage = true")

    page.select_option("#home-period-choice", "last_12_months")

    won = page.locator('#panel-body-won-vs-target[data-period="last_12_months"]')
    won.wait_for()
    assert "$4,000.00" in won.inner_text()  # both deals now
    rates = page.locator('#panel-body-win-rate[data-period="last_12_months"]')
    rates.wait_for()
    assert "Rob" in rates.inner_html()  # his two wins, drawn in the chart
    page.locator('#panel-body-sales-funnel[data-period="last_12_months"]').wait_for()
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place
    assert page.url.endswith("/?period=last_12_months")
