"""The forecasts' app side against a small hand-made data set whose answers were worked out
by hand: the bookings series of the company, each team and each product line by month and
by week (cancelled orders, other currencies and the current month left out, net of
discounts), the weighted pipeline of next quarter, the combined figure, storage (one run
per series and grain, replaced on refresh, gone with its series), the pipeline-only answer
for a short series, and who may read which series."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.analytics import ForecastGrain, ForecastRun
from app.models.identity import Role
from app.models.orders import OrderStatus
from app.services import forecasts, opportunity_parts, reports
from app.services import orders as order_service
from tests.factories import (
    make_customer,
    make_opportunity,
    make_order,
    make_product,
    make_team,
    make_user,
)

TODAY = date(2026, 6, 15)  # a Monday; history ends with May, and with the week of 8 June
MONTH, WEEK = ForecastGrain.MONTH, ForecastGrain.WEEK
D = Decimal


def line(product, quantity, price=None):
    return {"product_id": product.id, "quantity": quantity, "unit_price": price or "100"}


@pytest.fixture
def shop():
    east, west = make_team("East"), make_team("West")
    amy = make_user(Role.SALES, team=east, name="Amy")
    ben = make_user(Role.SALES, team=west, name="Ben")
    admin = make_user(Role.ADMIN)
    router = make_product(admin, name="Router", line="Hardware", list_price="100")
    support = make_product(admin, name="Support", line="Services", list_price="50")
    misc = make_product(admin, name="Misc", line="", list_price="30")
    customer = make_customer(amy)
    theirs = make_customer(ben)
    make_order(amy, customer, [line(router, "2")], order_date="2026-01-10")  # Sat: wk 5 Jan
    make_order(amy, customer, [line(support, "1", "50")], order_date="2026-01-20",
               discount_percent="10")  # fmt: skip   # 50 - 5 = 45, week of 19 Jan
    make_order(ben, theirs, [line(router, "1"), line(support, "2", "50")],
               order_date="2026-03-05")  # fmt: skip   # 100 + 100, week of 2 Mar
    cancelled = make_order(ben, theirs, [line(router, "5")], order_date="2026-03-06")
    order_service.set_status(cancelled, ben, OrderStatus.CANCELLED)
    make_order(amy, customer, [line(router, "3")], order_date="2026-02-01", currency="EUR")
    make_order(ben, theirs, [line(misc, "1", "30")], order_date="2026-05-10")  # no line
    make_order(amy, customer, [line(router, "1")], order_date="2026-06-02")  # this month
    db.session.commit()
    return {"east": east, "west": west, "amy": amy, "ben": ben, "admin": admin,
            "router": router, "support": support, "customer": customer}  # fmt: skip


def amounts(periods):
    return [(start.isoformat(), str(value)) for start, value in periods]


def test_monthly_bookings_per_company_team_and_line(shop):
    series = forecasts.bookings(TODAY, MONTH)
    east, west = forecasts.team_key(shop["east"].id), forecasts.team_key(shop["west"].id)
    assert set(series) == {"company", east, west, "line:Hardware", "line:Services"}
    months = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]
    assert amounts(series["company"]) == list(
        zip(months, ["245.00", "0.00", "200.00", "0.00", "30.00"], strict=True)
    )
    assert amounts(series[east]) == list(
        zip(months, ["245.00", "0.00", "0.00", "0.00", "0.00"], strict=True)
    )
    # A series starts with its own first bookings.
    assert amounts(series[west]) == [
        ("2026-03-01", "200.00"), ("2026-04-01", "0.00"), ("2026-05-01", "30.00"),
    ]  # fmt: skip
    assert amounts(series["line:Hardware"]) == list(
        zip(months, ["200.00", "0.00", "100.00", "0.00", "0.00"], strict=True)
    )
    assert amounts(series["line:Services"]) == list(
        zip(months, ["45.00", "0.00", "100.00", "0.00", "0.00"], strict=True)
    )


def test_weekly_bookings_start_on_monday_and_stop_before_this_week(shop):
    company = forecasts.bookings(TODAY, WEEK)["company"]
    assert company[0] == (date(2026, 1, 5), D("200.00"))
    assert company[-1][0] == date(2026, 6, 8)
    assert len(company) == 23  # 5 January to 8 June
    booked = [(start.isoformat(), str(value)) for start, value in company if value]
    assert booked == [
        ("2026-01-05", "200.00"), ("2026-01-19", "45.00"),
        ("2026-03-02", "200.00"), ("2026-05-04", "30.00"),
        ("2026-06-01", "100.00"),  # this month's order: its week is over
    ]  # fmt: skip


def test_a_team_series_follows_the_orders_owner_now(shop):
    shop["ben"].team_id = shop["east"].id
    db.session.commit()
    series = forecasts.bookings(TODAY, MONTH)
    east = forecasts.team_key(shop["east"].id)
    assert [str(v) for _, v in series[east]] == ["245.00", "0.00", "200.00", "0.00", "30.00"]
    assert series[forecasts.team_key(shop["west"].id)] == []


@pytest.fixture
def deals(shop):
    amy, ben = shop["amy"], shop["ben"]

    def deal(owner, amount, probability, close, product=None, quantity="10", **fields):
        opportunity = make_opportunity(owner, amount=amount, probability=probability,
                                       expected_close_date=close, **fields)  # fmt: skip
        if product is not None:
            opportunity_parts.add_product(opportunity, owner, product.id, quantity)
        db.session.commit()
        return opportunity

    deal(amy, "10000", 40, "2026-07-15", shop["router"])  # 4,000; Hardware 1,000 x 40 %
    deal(ben, "5000", 25, "2026-09-30", shop["support"], "20")  # 1,250; Services 1,000 x 25 %
    deal(ben, "8000", 50, "2026-10-01")  # the quarter after
    deal(amy, "7000", 50, "2026-06-30")  # this quarter
    deal(amy, "9000", 50, "2026-08-01", currency="EUR")
    won = deal(amy, "6000", 50, "2026-08-01", stage="CLOSED_WON")
    assert won.closed_at is not None
    return shop


def test_the_weighted_pipeline_of_next_quarter(deals):
    quarter = forecasts.next_quarter(TODAY)
    assert (quarter.start, quarter.end) == (date(2026, 7, 1), date(2026, 10, 1))
    found = forecasts.weighted_pipeline(quarter)
    assert found["company"] == (D("5250.00"), 2)
    assert found[forecasts.team_key(deals["east"].id)] == (D("4000.00"), 1)
    assert found[forecasts.team_key(deals["west"].id)] == (D("1250.00"), 1)
    assert found["line:Hardware"] == (D("400.00"), 1)
    assert found["line:Services"] == (D("250.00"), 1)


def test_combined_figure_and_quarter_shares_by_hand():
    assert forecasts.combine(D("1000.00"), D("400.00"), 0.25) == (D("0.80"), D("880.00"))
    assert forecasts.combine(D("1000.00"), D("400.00"), 1.0) == (D("0.50"), D("700.00"))
    assert forecasts.combine(None, D("400.00"), None) == (D("0.00"), D("400.00"))
    quarter = forecasts.next_quarter(TODAY)
    assert forecasts.share_in(date(2026, 6, 29), WEEK, quarter) == D(5) / D(7)
    assert forecasts.share_in(date(2026, 7, 6), WEEK, quarter) == 1
    assert forecasts.share_in(date(2026, 6, 1), MONTH, quarter) == 0
    assert forecasts.share_in(date(2026, 9, 1), MONTH, quarter) == 1


def test_a_short_series_is_stored_with_its_message_and_the_pipeline_alone(deals):
    assert forecasts.refresh_all(TODAY) == 10  # 5 series x 2 grains
    db.session.commit()
    run = forecasts.stored("company", MONTH)
    assert run.status == "short" and run.model == "" and run.forecast == []
    assert run.message == "5 periods of history; a forecast needs at least 13."
    assert run.backtest == {"points": 5, "needed": 13, "seasonal": False}
    assert run.history[0] == {"period": "2026-01-01", "value": "245.00"}
    quarter = run.drivers["quarter"]
    assert quarter == {
        "start": "2026-07-01", "end": "2026-10-01", "forecast": None,
        "pipeline": "5250.00", "deals": 2, "weight": "0.00", "combined": "5250.00",
    }  # fmt: skip
    west = forecasts.stored(forecasts.team_key(deals["west"].id), WEEK)
    assert west.label == "West" and west.status == "short"
    assert west.drivers["quarter"]["combined"] == "1250.00"


def _monthly_history(owner, customer, product):
    """30 months, December 2023 to May 2026: a rising trend, busy Decembers, some noise."""
    wobble = [13, -8, 21, -17, 5, 9, -12, 3, -20, 16]
    for i in range(30):
        month = forecasts.add_months(date(2023, 12, 1), i)
        amount = 1000 + 20 * i + (400 if month.month == 12 else 0) + wobble[i % 10] * 5
        make_order(owner, customer, [line(product, "1", str(amount))],
                   order_date=month.replace(day=10).isoformat())  # fmt: skip


def test_a_long_series_is_fitted_stored_and_combined_with_the_pipeline(deals):
    _monthly_history(deals["amy"], deals["customer"], deals["router"])
    db.session.commit()
    forecasts.refresh_all(TODAY)
    db.session.commit()
    run = forecasts.stored("company", MONTH)
    assert run.status == "ok" and run.message == ""
    assert run.backtest["seasonal"] and run.backtest["points"] == 30
    assert run.model in run.backtest["models"]
    assert [row["period"] for row in run.forecast[:4]] == [
        "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01",
    ]  # fmt: skip
    assert len(run.forecast) == 12 and run.seconds > 0
    quarter = run.drivers["quarter"]
    in_quarter = sum(D(row["mean"]) for row in run.forecast[1:4])
    assert D(quarter["forecast"]) == in_quarter
    mase = run.backtest["models"][run.model]["mase"]
    weight = (1 / (1 + D(str(mase)))).quantize(D("0.01"))
    assert D(quarter["weight"]) == weight
    expected = (weight * in_quarter + (1 - weight) * D("5250.00")).quantize(D("0.01"))
    assert D(quarter["combined"]) == expected
    assert 9 < run.drivers["trend"] < 40  # planted +20 a month
    for row in run.forecast:
        assert D(row["lo95"]) <= D(row["lo80"]) <= D(row["mean"]) <= D(row["hi80"])


def test_refreshing_again_replaces_the_runs_and_drops_gone_series(shop):
    forecasts.refresh_all(TODAY)
    db.session.commit()
    first = {(r.series_key, r.grain): r.id for r in db.session.scalars(sa.select(ForecastRun))}
    assert len(first) == 10
    shop["west"].name = "West coast"
    shop["support"].line = ""  # Services has no product any more: no series
    db.session.commit()
    forecasts.refresh_all(TODAY)
    db.session.commit()
    runs = {(r.series_key, r.grain): r for r in db.session.scalars(sa.select(ForecastRun))}
    assert len(runs) == 8 and ("line:Services", MONTH) not in runs
    assert all(first[identity] == run.id for identity, run in runs.items())  # updated in place
    assert runs[(forecasts.team_key(shop["west"].id), MONTH)].label == "West coast"


def test_who_may_read_which_series(shop):
    manager = make_user(Role.MANAGER, team=shop["east"])
    east, west = forecasts.team_key(shop["east"].id), forecasts.team_key(shop["west"].id)
    assert all(forecasts.may_read(shop["admin"], key) for key in ("company", east, "line:X"))
    assert forecasts.may_read(manager, east)
    assert not any(forecasts.may_read(manager, key) for key in ("company", west, "line:X"))
    assert not any(forecasts.may_read(shop["amy"], key) for key in ("company", east))
    permissions.set_grant(Role.MANAGER, "order", "read", permissions.Scope.ALL)
    db.session.commit()
    assert forecasts.may_read(manager, "company") and forecasts.may_read(manager, west)
    assert forecasts.may_refresh(manager) and forecasts.may_refresh(shop["admin"])
    assert not forecasts.may_refresh(shop["amy"]) and not forecasts.may_refresh(None)


def test_the_forecast_always_reaches_the_end_of_next_quarter():
    day = date(2026, 1, 1)
    while day < date(2034, 1, 1):  # every weekday a quarter can start on
        end = forecasts.next_quarter(day).end
        for grain, fitted in forecasts.GRAINS.items():
            assert forecasts.shift(forecasts.period_of(day, grain), grain, fitted.horizon) >= end
        day += timedelta(days=1)


def test_the_report_reads_the_stored_run_and_survives_its_json_form(deals):
    _monthly_history(deals["amy"], deals["customer"], deals["router"])
    forecasts.refresh_all(TODAY)
    db.session.commit()
    report = reports.get("sales-forecast")

    def run(**args):
        filters, errors = report.parse_filters({"period": "last_36_months", **args}, TODAY)
        assert errors == {}
        return reports.run(report, filters, deals["admin"])

    # Stored results (scheduled emails, dashboard panels) are read back from JSON.
    for group in ("month:company", "week:company", f"month:team:{deals['west'].id}"):
        result = run(group=group)
        again = reports.Result.from_json(result.as_json())
        assert (again.rows, again.figures, again.notes) == (
            result.rows, result.figures, result.notes,
        ), group  # fmt: skip
    # The company by month: 30 months of history in the period, then 12 forecast.
    monthly = run()
    assert len(monthly.rows) == 30 + 12
    assert monthly.rows[29]["actual"] is not None and monthly.rows[29]["forecast"] is None
    assert monthly.rows[30]["actual"] is None and monthly.rows[30]["forecast"] is not None
    figures = {figure.label: figure.value for figure in monthly.figures}
    assert figures["Weighted pipeline"] == D("5250.00")
    stored = forecasts.stored("company", MONTH).drivers["quarter"]
    assert str(figures["Next quarter combined"]) == stored["combined"]
