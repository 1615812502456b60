"""Customer reports against small hand-made data sets whose answers were worked out by hand
(in the comments): acquisition cost (campaign costs spread by days, sales costs, new
customers), lifetime value (formula and cohorts), churn by month and the satisfaction
trend, with other currencies, cancelled orders, empty periods and the reader's scope."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.identity import Role
from app.models.orders import OrderStatus
from app.models.service import SurveyKind, SurveyResponse
from app.services import orders as order_service
from app.services import reports, sales_costs, survey_results, targets
from tests.factories import make_customer, make_order, make_team, make_user
from tests.marketing_factories import make_campaign

TODAY = date(2026, 6, 15)
Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The reports' "today" (open campaigns, months not over, complete cohorts)."""
    monkeypatch.setattr(targets, "today", lambda: TODAY)


def run(key, actor, args):
    report = reports.get(key)
    filters, errors = report.parse_filters(args, today=TODAY)
    assert errors == {}
    return reports.run(report, filters, actor)


def order(owner, customer, day: str, amount="100", currency="USD", cancelled=False):
    placed = make_order(
        owner, customer, [{"name": "Service", "quantity": "1", "unit_price": amount}],
        order_date=day, currency=currency,
    )  # fmt: skip
    if cancelled:
        order_service.set_status(placed, owner, OrderStatus.CANCELLED)
        db.session.commit()
    return placed


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- Customer acquisition cost -------------------------------------------------------------


@pytest.fixture
def acquisition():
    manager = make_user(Role.MANAGER, team=make_team())
    rep, other = make_user(Role.SALES, team=manager.team), make_user(Role.SALES, team=make_team())
    marketer = make_user(Role.MARKETING)

    def campaign(cost, start, end, currency="USD"):
        make_campaign(marketer, actual_cost=Decimal(cost), currency=currency,
                      start_date=start and d(start), end_date=end and d(end))  # fmt: skip

    campaign("310", "2026-01-01", "2026-01-31")  # January: 310
    campaign("600", "2026-01-17", "2026-02-15")  # 30 days: 15 in January, 15 in February
    campaign("1200", "2025-12-02", "2026-01-30")  # 60 days, 30 of them in January: 600
    campaign("500", "2026-02-01", "2026-02-28", currency="EUR")  # left out, in a note
    campaign("0", "2026-03-01", "2026-03-31")  # a campaign without cost adds nothing
    campaign("100", None, None)  # no start date: cannot be placed in time
    campaign("880", "2026-03-20", None)  # still running: 88 days to 15 June, 12 in March
    campaign("999", "2026-04-01", "2026-04-30")  # after the period
    for month, amount, currency in (("2026-01", "1000", "USD"), ("2026-02", "2000", "USD"),
                                    ("2026-02", "700", "EUR")):  # fmt: skip
        sales_costs.set_cost(manager, month=month, amount=amount, currency=currency)
    db.session.commit()
    a, b, c = (make_customer(rep) for _ in range(3))
    order(rep, a, "2026-01-10")  # new in January
    order(rep, b, "2026-01-20")  # new in January, once
    order(rep, b, "2026-02-05")
    order(rep, c, "2025-12-01")  # a customer since December: not new
    order(rep, c, "2026-02-01")
    order(rep, make_customer(rep), "2026-01-05", cancelled=True)  # a cancelled order only
    e = make_customer(other)
    order(other, e, "2026-01-05", cancelled=True)
    order(other, e, "2026-02-10")  # first real order in February: new then
    order(other, make_customer(other), "2026-03-03", currency="EUR")  # new in March
    order(other, make_customer(other), "2026-04-02")  # after the period
    return {"manager": manager, "rep": rep}


def test_acquisition_cost_per_month_and_for_the_period(acquisition):
    result = run("cac", acquisition["manager"], Q1)
    assert [
        (r["month"], r["campaign_cost"], r["sales_cost"], r["cost"], r["customers"], r["cac"])
        for r in result.rows
    ] == [
        # 310 + 300 + 600 campaigns, 1000 sales; 2210 / 2 new customers
        (d("2026-01-01"), Decimal("1210.00"), Decimal("1000.00"), Decimal("2210.00"), 2,
         Decimal("1105.00")),
        # 300 + 2000 (the EUR cost left out); 2300 / 1
        (d("2026-02-01"), Decimal("300.00"), Decimal("2000.00"), Decimal("2300.00"), 1,
         Decimal("2300.00")),
        # 880 x 12 / 88 = 120, no sales cost entered
        (d("2026-03-01"), Decimal("120.00"), Decimal("0.00"), Decimal("120.00"), 1,
         Decimal("120.00")),
    ]  # fmt: skip
    # 4630 for 4 new customers (every owner's: the costs are the company's).
    assert result.totals["cost"] == Decimal("4630.00")
    assert result.totals["customers"] == 4
    assert [(f.label, f.value) for f in result.figures] == [
        ("Acquisition cost", Decimal("1157.50")),
        ("Total cost", Decimal("4630.00")),
        ("New customers", 4),
    ]
    assert result.notes == [
        "1 campaign in EUR is left out (other currencies are never converted).",
        "1 monthly sales cost in EUR is left out (other currencies are never converted).",
        "1 campaign with a cost has no start date and is left out.",
        "No sales cost entered for Mar 2026: only campaign costs count there. Managers enter "
        "them on the Sales costs page.",
    ]


def test_part_of_a_month_counts_its_share_of_the_days(acquisition):
    result = run("cac", acquisition["manager"],
                 {"period": "custom", "start": "2026-01-17", "end": "2026-02-15"})  # fmt: skip
    # January 17-31: 310 x 15/31 = 150, 600 x 15/30 = 300, 1200 x 14/60 = 280;
    # sales 1000 x 15/31 = 483.87. February 1-15: 300; sales 2000 x 15/28 = 1071.43.
    assert [(r["campaign_cost"], r["sales_cost"], r["customers"]) for r in result.rows] == [
        (Decimal("730.00"), Decimal("483.87"), 1),
        (Decimal("300.00"), Decimal("1071.43"), 1),
    ]
    assert result.totals["cac"] == Decimal("1292.65")  # 2585.30 / 2


def test_acquisition_cost_of_an_empty_period(acquisition):
    result = run("cac", acquisition["manager"],
                 {"period": "custom", "start": "2024-01-01", "end": "2024-02-29"})  # fmt: skip
    assert [(r["cost"], r["customers"], r["cac"]) for r in result.rows] == [
        (Decimal("0.00"), 0, None),
        (Decimal("0.00"), 0, None),
    ]
    assert result.figures[0].value is None
    assert "No sales cost entered for Jan 2024, Feb 2024" in result.notes[-1]


def test_only_readers_of_sales_costs_see_acquisition_cost(acquisition):
    assert reports.get("cac") not in reports.readable(acquisition["rep"])
    filters, _ = reports.get("cac").parse_filters(Q1, today=TODAY)
    with pytest.raises(permissions.PermissionDenied):
        reports.run(reports.get("cac"), filters, acquisition["rep"])


# -- Lifetime value ------------------------------------------------------------------------

YEAR_2025 = {"period": "custom", "start": "2025-01-01", "end": "2025-12-31"}


@pytest.fixture
def history():
    team = make_team()
    amy = make_user(Role.SALES, team=team, name="Amy Rep")
    manager = make_user(Role.MANAGER, team=team)
    ben = make_user(Role.SALES, team=make_team(), name="Ben Rep")
    p, q, r, s, t, u, v, w = (make_customer(amy) for _ in range(8))
    order(amy, p, "2024-03-10", "100")
    order(amy, p, "2025-02-01", "300")  # ordered in both years: kept
    order(amy, q, "2024-06-01", "200")  # ordered in 2024 only: lost in 2025
    order(amy, r, "2024-11-20", "50")
    order(amy, r, "2025-11-20", "100")  # kept
    order(amy, s, "2025-01-15", "400")  # first order: 2025 Q1
    order(amy, s, "2025-04-10", "200")  # within 3 months (10 April is before 15 April)
    order(amy, s, "2025-08-01", "600")  # 6 months after (1 August is before 15 August)
    order(amy, t, "2025-02-10", "1000")  # first order: 2025 Q1
    order(amy, t, "2026-05-01", "500")  # 14 months after: in the 24-month value
    order(amy, u, "2025-05-05", "900", cancelled=True)  # a cancelled order only
    order(amy, v, "2025-06-01", "800", currency="EUR")  # left out, in a note
    order(amy, w, "2025-11-05", "300")  # first order: 2025 Q4
    x = make_customer(ben)
    order(ben, x, "2025-03-03", "5000")  # Ben's: outside Amy's team
    return {"amy": amy, "manager": manager, "ben": ben, "admin": make_user(Role.ADMIN)}


def test_lifetime_value_by_formula(history):
    result = run("ltv", history["manager"], YEAR_2025)
    figures = {f.label: f.value for f in result.figures}
    # 2025: P 300, R 100, S 1200, T 1000, W 300 = 2900 from 5 customers: 580 each.
    assert figures["Revenue per customer per year"] == Decimal("580.00")
    assert figures["Gross margin"] == Decimal("60.0")
    # Of P, Q and R (2024's customers) Q did not order in 2025: 1 / 3.
    assert figures["Annual churn rate"] == Decimal("33.3")
    # 580 x 60 % / (1/3) = 1044
    assert figures["Lifetime value"] == Decimal("1044.00")
    assert figures["Observed value after 12 months"] == Decimal("1100.00")
    assert "1 order in EUR is left out (other currencies are never converted)." in result.notes


def test_cohort_values_after_3_6_12_and_24_months(history):
    result = run("ltv", history["manager"], YEAR_2025)
    assert [(r["cohort"], r["customers"], r["m3"], r["m6"], r["m12"], r["m24"])
            for r in result.rows] == [
        # S: 600 within 3 and 6 months, 1200 within 12; T: 1000, and 1500 within 24 months
        # (not over until April 2027 for the quarter).
        ("2025 Q1", 2, Decimal("800.00"), Decimal("800.00"), Decimal("1100.00"), None),
        # W: 300 within 3 months; 6 months after December are not over on 15 June 2026.
        ("2025 Q4", 1, Decimal("300.00"), None, None, None),
    ]  # fmt: skip
    assert any(note.startswith("— :") for note in result.notes)


def test_lifetime_value_counts_the_customers_one_may_read(history):
    ben = run("ltv", history["ben"], YEAR_2025)
    assert [(r["cohort"], r["customers"], r["m3"]) for r in ben.rows] == [
        ("2025 Q1", 1, Decimal("5000.00"))
    ]
    # Nobody of Ben's ordered in 2024: no churn to divide by.
    assert {f.label: f.value for f in ben.figures}["Lifetime value"] is None
    everyone = run("ltv", history["admin"], YEAR_2025)
    assert everyone.rows[0]["customers"] == 3
    assert {f.label: f.value for f in everyone.figures}["Revenue per customer per year"] == (
        Decimal("1316.67")  # (2900 + 5000) / 6
    )
    amy_only = run("ltv", history["admin"], {**YEAR_2025, "owner": str(history["amy"].id)})
    assert amy_only.rows[0]["customers"] == 2


def test_no_churn_means_no_formula_value(history):
    result = run("ltv", history["ben"], YEAR_2025)
    assert {f.label: f.value for f in result.figures}["Annual churn rate"] is None
    empty = run("ltv", history["amy"], {"period": "custom", "start": "2020-01-01",
                                         "end": "2020-12-31"})  # fmt: skip
    assert empty.rows == []
    assert {f.label: f.value for f in empty.figures}["Lifetime value"] is None


# -- Churn rate ----------------------------------------------------------------------------

H1 = {"period": "custom", "start": "2026-01-01", "end": "2026-06-30"}


@pytest.fixture
def customers():
    rep, rep2 = make_user(Role.SALES), make_user(Role.SALES)
    manager = make_user(Role.ADMIN)
    a = make_customer(rep, addresses=[{"kind": "BILLING", "country": "JP", "city": "Osaka"}])
    b, c, dd, e, f, g = (make_customer(rep) for _ in range(6))
    h = make_customer(rep2)
    order(rep, a, "2025-01-10")  # last order January 2025: lost in January 2026
    order(rep, b, "2025-02-05")
    order(rep, b, "2026-02-20")  # orders again in the month it would be lost: kept
    order(rep, c, "2024-12-01")  # lost in December 2025...
    order(rep, c, "2026-03-10")  # ... returns in March 2026
    order(rep, dd, "2026-04-02")  # new in April
    order(rep, e, "2026-05-01", cancelled=True)  # a cancelled order only
    order(rep, f, "2025-06-15", currency="EUR")  # lost in June 2026, which is not over
    order(rep, g, "2025-03-01")
    order(rep, g, "2025-03-20")  # one month with two orders: lost in March 2026
    order(rep2, h, "2025-12-15")  # lost in December 2026, after the period
    return {"rep": rep, "rep2": rep2, "admin": manager}


def test_churn_by_month(customers):
    result = run("churn-rate", customers["admin"], H1)
    assert [(r["month"].month, r["active"], r["new"], r["returned"], r["churned"], r["rate"])
            for r in result.rows] == [
        (1, 5, 0, 0, 1, Decimal("20.0")),  # A, B, F, G, H active; A lost
        (2, 4, 0, 0, 0, Decimal("0.0")),  # B ordered again in time
        (3, 4, 0, 1, 1, Decimal("25.0")),  # C returns, G lost
        (4, 4, 1, 0, 0, Decimal("0.0")),  # D new
        (5, 5, 0, 0, 0, Decimal("0.0")),  # E's order was cancelled
        (6, 5, 0, 0, 1, Decimal("20.0")),  # F lost (in EUR: money does not matter)
    ]  # fmt: skip
    assert [(f.label, f.value) for f in result.figures] == [
        ("Customers lost", 3),
        ("Monthly churn rate", Decimal("11.1")),  # 3 / (5 + 4 + 4 + 4 + 5 + 5)
        ("Active at the end", 4),
    ]
    assert result.notes == [
        "Jun 2026 is not over: customers counted as lost in it are kept if they order "
        "before it ends."
    ]


def test_churn_stops_at_the_current_month_and_follows_scope_and_region(customers):
    year = run("churn-rate", customers["admin"], {"period": "this_year"})
    assert [r["month"] for r in year.rows][-1] == date(2026, 6, 1)
    mine = run("churn-rate", customers["rep2"], H1)
    assert [(r["active"], r["churned"]) for r in mine.rows] == [(1, 0)] * 6
    japan = run("churn-rate", customers["admin"], {**H1, "region": "JP"})
    assert [(r["active"], r["churned"], r["rate"]) for r in japan.rows[:2]] == [
        (1, 1, Decimal("100.0")),
        (0, 0, None),
    ]
    future = run("churn-rate", customers["admin"], {"period": "custom", "start": "2027-01-01",
                                                    "end": "2027-03-31"})  # fmt: skip
    assert future.rows == [] and future.figures[2].value is None


# -- Satisfaction trend --------------------------------------------------------------------


def survey(kind, sent: datetime, score=None):
    db.session.add(
        SurveyResponse(kind=kind, sent_at=sent, score=score,
                       answered_at=sent if score is not None else None)
    )  # fmt: skip


def test_satisfaction_by_month_reads_as_the_survey_results_do():
    manager = make_user(Role.MANAGER)
    jan, feb = datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 2, 10, tzinfo=UTC)
    for score in (5, 4, 2, None):
        survey(SurveyKind.CSAT, jan, score)
    for score in (10, 9, 7, 3):
        survey(SurveyKind.NPS, jan, score)
    survey(SurveyKind.CSAT, feb, 3)
    survey(SurveyKind.CSAT, datetime(2026, 3, 1, tzinfo=UTC), 5)  # after the period
    db.session.commit()
    period = {"period": "custom", "start": "2026-01-01", "end": "2026-02-28"}
    result = run("satisfaction-trend", manager, period)
    assert [(r["csat_answers"], r["csat_average"], r["satisfied"], r["nps_answers"], r["nps"])
            for r in result.rows] == [
        # (5 + 4 + 2) / 3 = 3.67; 2 of 3 satisfied; NPS (2 promoters - 1 detractor) / 4
        (3, Decimal("3.67"), Decimal("66.7"), 4, Decimal("25.0")),
        (1, Decimal("3.00"), Decimal("0.0"), 0, None),
    ]  # fmt: skip
    # The period: (5 + 4 + 2 + 3) / 4 = 3.50, 2 of 4 satisfied, NPS 25.
    assert [f.value for f in result.figures] == [Decimal("3.50"), Decimal("50.0"),
                                                 Decimal("25.0")]  # fmt: skip
    first, after = reports.get("satisfaction-trend").parse_filters(period)[0].moments()
    summary = survey_results.csat_summary(first, after)
    assert (summary.average, summary.satisfied_share) == (Decimal("3.50"), Decimal("50.0"))
    assert survey_results.nps_summary(start=first, end=after).nps == Decimal("25.0")


def test_satisfaction_of_a_period_without_surveys():
    result = run("satisfaction-trend", make_user(Role.SUPPORT), Q1)
    assert [r["csat_answers"] for r in result.rows] == [0, 0, 0]
    assert all(r["csat_average"] is None and r["nps"] is None for r in result.rows)
    assert [f.value for f in result.figures] == [None, None, None]


def test_a_segment_of_contacts_keeps_their_customers(history):
    from app.models.customers import Contact, Customer
    from app.models.marketing import SegmentKind
    from tests.factories import make_contact
    from tests.marketing_factories import make_segment

    # A static list with a contact of S and one of T: the two customers of 2025 Q1.
    customers = db.session.scalars(sa.select(Customer).order_by(Customer.id)).all()
    s, t = customers[3], customers[4]
    members = [make_contact(history["amy"], s).id, make_contact(history["amy"], t).id]
    make_contact(history["amy"], customers[0])  # P's contact, not in the list
    segment = make_segment(history["amy"], kind=SegmentKind.STATIC, members=members)
    db.session.commit()
    result = run("ltv", history["manager"], {**YEAR_2025, "segment": str(segment.id)})
    assert [(r["cohort"], r["customers"]) for r in result.rows] == [("2025 Q1", 2)]
    # S 1200 + T 1000 in 2025 from 2 customers.
    figures = {f.label: f.value for f in result.figures}
    assert figures["Revenue per customer per year"] == Decimal("1100.00")
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 3


def test_a_segment_of_leads_is_refused_for_customer_reports(history):
    from app.models.marketing import SegmentEntity
    from tests.marketing_factories import make_segment

    leads = make_segment(history["amy"], entity=SegmentEntity.LEAD)
    db.session.commit()
    report = reports.get("ltv")
    filters, errors = report.parse_filters({**YEAR_2025, "segment": str(leads.id)})
    assert errors == {"segment": "Choose a segment of contacts."}
    assert filters.segment_id is None
