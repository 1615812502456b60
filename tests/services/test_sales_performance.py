"""Sales figures on a small hand-made data set whose every answer is worked out by hand:
March 2026 (and Q1 2026) for reps Ann and Bob of team North, and Cid of another team.

Won in March, Ann: 1,000.00 (created 9 days before) + 500.50 (11 days) in USD, plus
300.00 EUR (3 days, excluded from sums); not counted: 700.00 closed on 1 April 00:00 and
400.00 closed on 28 February 23:59:59 (in Q1). Lost in March: one. Bob won 250.00 (5
days); Cid 9,999.00."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.activities import ActivityKind, ActivityStatus
from app.models.identity import Role
from app.models.orders import TargetPeriod
from app.services import sales_performance as perf
from app.services import targets
from tests.factories import make_activity, make_customer, make_opportunity, make_team, make_user

MARCH = (date(2026, 3, 1), date(2026, 4, 1))
Q1 = (date(2026, 1, 1), date(2026, 4, 1))


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def deal(owner, stage, amount, currency="USD", closed=None, created=None, **fields):
    opportunity = make_opportunity(owner, stage=stage, amount=amount, currency=currency, **fields)
    if closed is not None:
        opportunity.closed_at = closed
    if created is not None:
        opportunity.created_at = created
    db.session.commit()
    return opportunity


@pytest.fixture
def sales():
    north, south = make_team("North"), make_team("South")
    ann = make_user(Role.SALES, north, name="Ann")
    bob = make_user(Role.SALES, north, name="Bob")
    cid = make_user(Role.SALES, south, name="Cid")
    manager = make_user(Role.MANAGER, north, name="Meg")
    admin = make_user(Role.ADMIN, name="Ada")
    won = "CLOSED_WON"
    deal(ann, won, "1000", closed=at(2026, 3, 10, 12), created=at(2026, 3, 1, 12))
    deal(
        ann, won, "500.50", closed=at(2026, 3, 31, 23, 59, 59), created=at(2026, 3, 20, 23, 59, 59)
    )
    deal(ann, won, "300", "EUR", closed=at(2026, 3, 15), created=at(2026, 3, 12))
    deal(ann, won, "700", closed=at(2026, 4, 1), created=at(2026, 3, 1))
    deal(ann, won, "400", closed=at(2026, 2, 28, 23, 59, 59), created=at(2026, 2, 1))
    deal(ann, "CLOSED_LOST", "200", closed=at(2026, 3, 5))
    deal(bob, won, "250", closed=at(2026, 3, 2), created=at(2026, 2, 25))
    deal(cid, won, "9999", closed=at(2026, 3, 2), created=at(2026, 3, 1))
    deal(ann, "PROPOSAL", "1000", probability=50)
    deal(ann, "PROPOSAL", "300", probability=50)
    deal(ann, "QUALIFICATION", "1005", probability=15)
    deal(ann, "NEGOTIATION", "2000", probability=75)
    deal(ann, "PROSPECTING", "50", "EUR")
    deal(bob, "PROSPECTING", "100", probability=10)
    deal(cid, "NEGOTIATION", "5000", probability=75)
    return {"north": north, "ann": ann, "bob": bob, "cid": cid, "meg": manager, "ada": admin}


def test_won_in_a_month_sums_the_target_currency_and_lists_the_others(sales):
    won = perf.won_in_period(perf.Scope.for_user(sales["ann"]), *MARCH)
    assert (won.currency, won.count, won.amount) == ("USD", 2, Decimal("1500.50"))
    assert won.excluded == [perf.CurrencyTotal("EUR", 1, Decimal("300.00"))]
    in_euros = perf.won_in_period(perf.Scope.for_user(sales["ann"]), *MARCH, currency="EUR")
    assert (in_euros.amount, in_euros.excluded[0].amount) == (Decimal("300.00"), Decimal("1500.50"))


def test_won_in_a_quarter_a_team_and_what_each_actor_sees(sales):
    assert perf.won_in_period(perf.Scope.for_user(sales["ann"]), *Q1).amount == Decimal("1900.50")
    team = perf.won_in_period(perf.Scope.for_team(sales["north"]), *MARCH)
    assert (team.count, team.amount) == (3, Decimal("1750.50"))
    assert perf.won_in_period(perf.Scope.visible_to(sales["meg"]), *MARCH).amount == Decimal(
        "1750.50"
    )
    assert perf.won_in_period(perf.Scope.visible_to(sales["ada"]), *MARCH).amount == Decimal(
        "11749.50"
    )
    assert perf.won_in_period(perf.Scope.visible_to(sales["bob"]), *MARCH).amount == Decimal(
        "250.00"
    )


def test_attainment_is_won_over_target(sales):
    assert perf.attainment(Decimal("1500.50"), Decimal("2000.00")) == Decimal("75.0")
    assert perf.attainment(Decimal("1500.50"), None) is None


def test_pipeline_by_stage_counts_sums_and_weights_open_deals(sales):
    summary = perf.pipeline_by_stage(sales["ada"], perf.Scope.for_user(sales["ann"]))
    by_stage = {row.stage.value: (row.count, row.amount, row.weighted) for row in summary.stages}
    assert by_stage == {
        "PROSPECTING": (0, Decimal("0.00"), Decimal("0.00")),
        "QUALIFICATION": (1, Decimal("1005.00"), Decimal("150.75")),
        "PROPOSAL": (2, Decimal("1300.00"), Decimal("650.00")),
        "NEGOTIATION": (1, Decimal("2000.00"), Decimal("1500.00")),
    }
    assert (summary.count, summary.amount, summary.weighted) == (
        4,
        Decimal("4305.00"),
        Decimal("2300.75"),
    )
    assert summary.excluded == [perf.CurrencyTotal("EUR", 1, Decimal("50.00"))]
    # A rep looking at the whole team still sees only their own deals.
    mine = perf.pipeline_by_stage(sales["bob"], perf.Scope.for_team(sales["north"]))
    assert (mine.count, mine.amount) == (1, Decimal("100.00"))
    everyone = perf.pipeline_by_stage(sales["ada"], perf.Scope.visible_to(sales["ada"]))
    assert everyone.amount == Decimal("9405.00")


def test_activity_counts_are_completed_activities_in_the_period_per_kind(sales):
    ann, other = sales["ann"], sales["bob"]
    customers = {ann.id: make_customer(ann), other.id: make_customer(other)}

    def activity(owner, kind, completed, status=ActivityStatus.DONE):
        customer = customers[owner.id]
        item = make_activity(owner, kind, customer_id=customer.id, occurred_at=at(2026, 3, 1))
        item.status, item.completed_at = status, completed
        db.session.commit()

    activity(ann, "CALL", at(2026, 3, 3))
    activity(ann, "CALL", at(2026, 3, 31, 23))
    activity(ann, "TASK", at(2026, 3, 10))
    activity(ann, "EMAIL", at(2026, 4, 1))  # just after March
    activity(ann, "MEETING", None, ActivityStatus.OPEN)
    activity(ann, "NOTE", at(2026, 3, 9), ActivityStatus.CANCELLED)
    activity(other, "MEETING", at(2026, 3, 9))
    counts = perf.activity_counts(perf.Scope.for_user(ann), *MARCH)
    assert counts == {
        ActivityKind.CALL: 2,
        ActivityKind.EMAIL: 0,
        ActivityKind.MEETING: 0,
        ActivityKind.NOTE: 0,
        ActivityKind.TASK: 1,
    }
    assert (
        perf.activity_counts(perf.Scope.for_team(sales["north"]), *MARCH)[ActivityKind.MEETING] == 1
    )


def test_top_deals_are_the_largest_open_deals_the_viewer_may_see(sales):
    names = [(row.amount, row.owner_name) for row in perf.top_deals(sales["ada"], limit=3)]
    assert names == [
        (Decimal("5000.00"), "Cid"),
        (Decimal("2000.00"), "Ann"),
        (Decimal("1005.00"), "Ann"),
    ]
    bobs = perf.top_deals(sales["bob"])
    assert [(row.amount, row.stage.value) for row in bobs] == [(Decimal("100.00"), "PROSPECTING")]
    assert bobs[0].customer_name
    assert len(perf.top_deals(sales["meg"])) == 6
    assert len(perf.top_deals(sales["ada"], scope=perf.Scope.for_user(sales["ann"]))) == 5


def test_win_rate_deal_size_and_cycle(sales):
    ann = perf.Scope.for_user(sales["ann"])
    rate = perf.win_rate(ann, *MARCH)
    assert (rate.won, rate.lost, rate.rate) == (3, 1, Decimal("75.0"))
    assert perf.win_rate(ann, date(2025, 1, 1), date(2025, 2, 1)).rate is None
    assert perf.average_deal_size(ann, *MARCH) == Decimal("750.25")
    assert perf.average_deal_size(ann, date(2025, 1, 1), date(2025, 2, 1)) is None
    # (9 + 11 + 3) / 3 days
    assert perf.average_cycle_days(ann, *MARCH) == Decimal("7.7")
    assert perf.average_cycle_days(perf.Scope.for_user(sales["bob"]), *MARCH) == Decimal("5.0")
    assert perf.average_cycle_days(ann, date(2025, 1, 1), date(2025, 2, 1)) is None


def test_monthly_won_with_targets_for_the_last_twelve_months(sales):
    ann = sales["ann"]
    targets.set_target(sales["meg"], user_id=ann.id, period="MONTH",
                       period_start=date(2026, 3, 1), amount="2000")  # fmt: skip
    targets.set_target(sales["meg"], user_id=ann.id, period="MONTH",
                       period_start=date(2026, 2, 1), amount="400", currency="EUR")  # fmt: skip
    db.session.commit()
    months = perf.monthly_won(perf.Scope.for_user(ann), day=date(2026, 3, 15))
    assert len(months) == 12 and months[0].period.start == date(2025, 4, 1)
    assert [(m.count, m.amount, m.target) for m in months[-2:]] == [
        (1, Decimal("400.00"), None),
        (2, Decimal("1500.50"), Decimal("2000.00")),
    ]
    assert months[-1].attainment == Decimal("75.0")
    assert all(m.amount == 0 for m in months[:-2])
    team = perf.monthly_won(perf.Scope.for_team(sales["north"]), months=3, day=date(2026, 4, 2))
    assert [m.amount for m in team] == [Decimal("400.00"), Decimal("1750.50"), Decimal("700.00")]


def test_the_target_of_a_scope(sales):
    meg, ann = sales["meg"], sales["ann"]
    targets.set_target(meg, user_id=ann.id, period="QUARTER",
                       period_start=date(2026, 1, 1), amount="5000", currency="EUR")  # fmt: skip
    targets.set_target(meg, team_id=sales["north"].id, period="MONTH",
                       period_start=date(2026, 3, 1), amount="3000")  # fmt: skip
    db.session.commit()
    quarter = perf.scope_target(perf.Scope.for_user(ann), TargetPeriod.QUARTER, date(2026, 2, 1))
    assert quarter == perf.TargetFigure(Decimal("5000.00"), "EUR")
    month = perf.scope_target(perf.Scope.for_user(ann), TargetPeriod.MONTH, date(2026, 3, 9))
    assert month == perf.TargetFigure(None, "USD")
    everyone = perf.scope_target(perf.Scope.visible_to(sales["ada"]), TargetPeriod.MONTH,
                                 date(2026, 3, 9))  # fmt: skip
    assert everyone == perf.TargetFigure(Decimal("3000.00"), "USD")
