"""Sales targets: one quota per owner and period, checked input, who may set and read
them, and the calendar periods they cover."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import SalesTarget, TargetPeriod
from app.permissions import PermissionDenied
from app.services import targets
from app.services.validation import RecordInvalid
from tests.factories import make_team, make_user

M, Q = TargetPeriod.MONTH, TargetPeriod.QUARTER


def _set(actor, **fields):
    fields.setdefault("period", "MONTH")
    fields.setdefault("period_start", date(2026, 3, 1))
    fields.setdefault("amount", "1000")
    target = targets.set_target(actor, **fields)
    db.session.commit()
    return target


def test_months_and_quarters_containing_a_day():
    assert targets.month_of(date(2026, 12, 31)) == targets.Period(
        M, date(2026, 12, 1), date(2027, 1, 1)
    )
    assert targets.quarter_of(date(2026, 5, 20)) == targets.Period(
        Q, date(2026, 4, 1), date(2026, 7, 1)
    )
    assert targets.quarter_of(date(2026, 11, 1)).end == date(2027, 1, 1)
    assert targets.quarter_of(date(2026, 2, 1)).label == "2026 Q1"
    months = targets.last_months(date(2026, 3, 15), 12)
    assert [m.start for m in (months[0], months[-1])] == [date(2025, 4, 1), date(2026, 3, 1)]
    assert len(months) == 12 and months[8].start == date(2025, 12, 1)
    assert targets.is_period_start(Q, date(2026, 7, 1))
    assert not targets.is_period_start(Q, date(2026, 8, 1))


def test_period_bounds_are_days_in_the_default_time_zone(app):
    assert targets.day_bounds(date(2026, 3, 1), date(2026, 4, 1)) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 4, 1, tzinfo=UTC),
    )
    app.config["DEFAULT_TIME_ZONE"] = "Asia/Taipei"
    try:
        first, _ = targets.day_bounds(date(2026, 3, 1), date(2026, 4, 1))
        assert first == datetime(2026, 2, 28, 16, tzinfo=UTC)
    finally:
        app.config["DEFAULT_TIME_ZONE"] = "UTC"


def test_a_manager_sets_then_updates_the_one_target_of_a_rep():
    manager, rep = make_user(Role.MANAGER), make_user(Role.SALES)
    first = _set(manager, user_id=rep.id, amount="1000.5")
    assert (first.amount, first.currency, first.period) == (Decimal("1000.50"), "USD", M)
    again = _set(manager, user_id=rep.id, amount="2000", currency="eur")
    assert again.id == first.id and (again.amount, again.currency) == (Decimal("2000.00"), "EUR")
    quarter = _set(manager, user_id=rep.id, period="QUARTER", period_start=date(2026, 1, 1))
    assert quarter.id != first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesTarget)) == 2
    assert targets.target_for_period(rep, M, date(2026, 3, 31)).id == first.id
    assert targets.target_for_period(rep, Q, date(2026, 2, 10)).id == quarter.id
    assert targets.target_for_period(rep, M, date(2026, 4, 1)) is None


def test_team_targets_and_their_total():
    manager = make_user(Role.MANAGER)
    north, south = make_team("North"), make_team("South")
    _set(manager, team_id=north.id, amount="100")
    _set(manager, team_id=south.id, amount="250.25")
    _set(manager, team_id=south.id, amount="999", period_start=date(2026, 4, 1))
    assert targets.target_for_period(north, M, date(2026, 3, 5)).amount == Decimal("100.00")
    assert targets.team_targets_total(M, date(2026, 3, 5), "USD") == Decimal("350.25")
    assert targets.team_targets_total(M, date(2026, 3, 5), "EUR") is None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"period_start": date(2026, 3, 2)}, "period_start", "first day of the month"),
        (
            {"period": "QUARTER", "period_start": date(2026, 2, 1)},
            "period_start",
            "1 January, 1 April",
        ),
        ({"period": "YEAR"}, "period", "month or a quarter"),
        ({"period_start": None}, "period_start", "first day of the period"),
        ({"amount": "0"}, "amount", "greater than zero"),
        ({"amount": "-5"}, "amount", "greater than zero"),
        ({"amount": "abc"}, "amount", "greater than zero"),
        ({"amount": "10.005"}, "amount", "two decimals"),
        ({"currency": "US"}, "currency", "three-letter"),
        ({"currency": "U$D"}, "currency", "three-letter"),
    ],
)
def test_bad_input_is_refused_with_a_message_per_field(fields, field, message):
    manager, rep = make_user(Role.MANAGER), make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        _set(manager, user_id=rep.id, **fields)
    assert message in refused.value.errors[field]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesTarget)) == 0


def test_the_owner_must_be_one_active_user_or_one_team():
    manager, team = make_user(Role.MANAGER), make_team()
    gone = make_user(Role.SALES, is_active=False)
    for fields, field in (
        ({}, "user_id"),
        ({"user_id": make_user().id, "team_id": team.id}, "user_id"),
        ({"user_id": gone.id}, "user_id"),
        ({"user_id": 99999}, "user_id"),
        ({"team_id": 99999}, "team_id"),
    ):
        with pytest.raises(RecordInvalid) as refused:
            targets.set_target(manager, period="MONTH", period_start=date(2026, 3, 1),
                               amount="5", **fields)  # fmt: skip
        assert field in refused.value.errors


def test_reps_read_only_their_own_targets_and_set_none():
    manager = make_user(Role.MANAGER)
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    mine = _set(manager, user_id=rep.id)
    _set(manager, user_id=other.id)
    _set(manager, team_id=make_team().id)
    assert [t.id for t in targets.targets_for(rep)] == [mine.id]
    assert len(targets.targets_for(manager)) == 3
    assert len(targets.targets_for(manager, year=2025)) == 0
    assert len(targets.targets_for(manager, period="QUARTER")) == 0
    assert [t.id for t in targets.targets_for(manager, user_id=rep.id)] == [mine.id]
    with pytest.raises(PermissionDenied):
        targets.set_target(rep, user_id=rep.id, period="MONTH",
                           period_start=date(2026, 5, 1), amount="1")  # fmt: skip
    with pytest.raises(PermissionDenied):
        targets.delete_target(mine, rep)
    targets.delete_target(mine, manager)
    db.session.commit()
    assert targets.targets_for(rep) == []
