"""The sales forecast report as its readers meet it: the stored forecast with its chart,
backtest errors, drivers and next-quarter figures; a clear message before the first fit,
for a short series and for a reader who may read no series; a manager sees their team's
series only; the refresh button and its POST are for managers and administrators, and a
second click while a refresh runs does not queue another."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import queues
from app.extensions import db
from app.models.identity import Role
from app.services import forecasts, targets
from tests.conftest import csrf_token, htmx_post
from tests.factories import (
    make_customer,
    make_opportunity,
    make_order,
    make_product,
    make_team,
    make_user,
)


@pytest.fixture
def shop():
    east, west = make_team("East"), make_team("West")
    admin = make_user(Role.ADMIN)
    amy = make_user(Role.SALES, team=east, name="Amy")
    ben = make_user(Role.SALES, team=west, name="Ben")
    router = make_product(admin, name="Router", line="Hardware", list_price="100")
    customer = make_customer(amy)
    this_month = targets.today().replace(day=1)
    wobble = [13, -8, 21, -17, 5, 9, -12, 3, -20, 16]
    for i in range(1, 31):  # the 30 months before this one, Amy's
        month = forecasts.add_months(this_month, -i)
        amount = 1000 + 20 * (30 - i) + (400 if month.month == 12 else 0) + wobble[i % 10] * 5
        make_order(amy, customer, [{"product_id": router.id, "quantity": "1",
                                    "unit_price": str(amount)}],
                   order_date=month.replace(day=10).isoformat())  # fmt: skip
    last_month = forecasts.add_months(this_month, -1)
    make_order(ben, make_customer(ben), [{"product_id": router.id, "quantity": "1"}],
               order_date=last_month.isoformat())  # fmt: skip
    closing = forecasts.next_quarter(targets.today()).start + timedelta(days=3)
    make_opportunity(amy, amount="10000", probability=40, expected_close_date=closing.isoformat())
    return {"east": east, "west": west, "admin": admin, "amy": amy, "ben": ben}


def refresh():
    forecasts.refresh_all()
    db.session.commit()


def test_the_forecast_page_shows_the_fit_its_errors_drivers_and_next_quarter(login, shop):
    refresh()
    page = login(shop["admin"]).get("/reports/sales-forecast").get_data(as_text=True)
    assert 'id="report-chart-sales-forecast"' in page and "<polygon" in page  # the 80 % band
    for label in ("Model chosen", "Backtest MAPE", "Backtest MASE", "Seasonal naive MASE",
                  "Share inside the 80 % band", "Next quarter forecast", "Weighted pipeline",
                  "Next quarter combined"):  # fmt: skip
        assert label in page
    assert "$4,000.00" in page  # the weighted pipeline: 10,000 x 40 %
    assert "Trend: bookings move by about +$" in page and "Seasonality (strength" in page
    assert "1 open deal expected to close in" in page
    # The series choices: the company, each team, each product line, by month and by week.
    for choice in ("Whole company · by month", "Whole company · by week", "East · by month",
                   "West · by week", "Hardware · by month"):  # fmt: skip
        assert choice in page
    assert 'id="report-table"' in page and "Low (80 % band)" in page


def test_before_the_first_fit_the_page_says_so(login, shop):
    page = login(shop["admin"]).get("/reports/sales-forecast").get_data(as_text=True)
    assert "No forecast has been fitted for this series yet." in page
    assert 'id="report-empty"' in page


def test_a_short_series_shows_the_pipeline_alone_with_the_reason(login, shop):
    refresh()
    west = forecasts.team_key(shop["west"].id)
    page = (
        login(shop["admin"])
        .get(f"/reports/sales-forecast?group=month:{west}")
        .get_data(as_text=True)
    )
    assert "Only 1 month of bookings: a forecast needs at least 13." in page
    assert "Weighted pipeline" in page and "Next quarter combined" in page
    assert "Model chosen" not in page


def test_a_filter_change_swaps_the_body_to_the_weekly_forecast(login, shop):
    refresh()
    response = login(shop["admin"]).get(
        "/reports/sales-forecast?group=week:company", headers={"HX-Request": "true"}
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="report-body"')
    assert "Week of" in body and "a week" in body


def test_a_manager_reads_their_teams_forecast_only(login, shop):
    refresh()
    manager = make_user(Role.MANAGER, team=shop["east"])
    client = login(manager)
    west = forecasts.team_key(shop["west"].id)
    for asked in ("month:company", f"month:{west}", "month:line:Hardware"):
        page = client.get(f"/reports/sales-forecast?group={asked}").get_data(as_text=True)
        assert "This is the forecast of a series you may read" in page
        assert "Model chosen" in page  # East has Amy's 30 months
    csv = client.get(f"/reports/sales-forecast.csv?group=month:{west}").get_data(as_text=True)
    header = csv.splitlines()[0].lstrip("\ufeff")
    assert header == ("Month,Bookings (USD),Forecast (USD),Low (80 % band) (USD),"
                      "High (80 % band) (USD),Low (95 % band) (USD),"
                      "High (95 % band) (USD)")  # fmt: skip


def test_a_rep_is_told_forecasts_are_not_theirs_to_read(login, shop):
    refresh()
    page = login(shop["amy"]).get("/reports/sales-forecast").get_data(as_text=True)
    assert "you may read none of them" in page
    assert "Model chosen" not in page and "$" not in page.split('id="report-body"')[1]


def _sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def _job_id(html: str) -> str:
    return re.search(r'id="job-([^"]+)"', html).group(1)


def test_the_refresh_button_and_post_are_for_managers(login, client, shop):
    manager = make_user(Role.MANAGER, team=shop["east"])
    login(shop["amy"])
    assert 'id="forecast-refresh-button"' not in client.get("/reports/forecasts/refresh").text
    assert htmx_post(client, "/reports/forecasts/refresh", {}).status_code == 403
    assert queues.queue("reports").count == 0

    _sign_out(client)
    login(manager)
    assert 'id="forecast-refresh-button"' in client.get("/reports/forecasts/refresh").text
    first = htmx_post(client, "/reports/forecasts/refresh", {})
    assert first.status_code == 200 and 'class="job-progress"' in first.text
    again = htmx_post(client, "/reports/forecasts/refresh", {})
    assert _job_id(again.text) == _job_id(first.text)  # the same job, not a second one
    assert queues.queue("reports").count == 1

    _sign_out(client)
    login(shop["admin"])
    busy = htmx_post(client, "/reports/forecasts/refresh", {})
    assert "A refresh is already running" in busy.text
    assert queues.queue("reports").count == 1


def test_the_refresh_needs_a_csrf_token(login, client, shop):
    login(shop["admin"])
    response = client.post("/reports/forecasts/refresh", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert queues.queue("reports").count == 0
    assert db.session.scalar(sa.text("SELECT count(*) FROM forecast_runs")) == 0


def test_included_in_a_page_the_refresh_fragment_loads_itself(app, shop):
    from flask import render_template

    with app.test_request_context():
        loader = render_template("reports/_forecast_refresh.html")
    assert 'hx-get="/reports/forecasts/refresh"' in loader and 'hx-trigger="load"' in loader
    assert "forecast-refresh-button" not in loader
