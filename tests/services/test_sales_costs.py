"""Monthly sales costs: one amount per month and currency, checked input with a message per
field, managers (and administrators) only, and every change in the audit log."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.analytics import SalesCost
from app.models.identity import Role
from app.models.records import AuditEntry
from app.permissions import PermissionDenied
from app.services import sales_costs
from app.services.validation import RecordInvalid
from tests.factories import make_user


def _set(actor, **fields):
    fields.setdefault("month", "2026-03")
    fields.setdefault("amount", "12500")
    cost = sales_costs.set_cost(actor, **fields)
    db.session.commit()
    return cost


def test_a_manager_sets_a_month_then_replaces_it():
    manager = make_user(Role.MANAGER)
    cost = _set(manager, note="  Two reps,   one trip ")
    assert (cost.month, cost.amount, cost.currency) == (
        date(2026, 3, 1),
        Decimal("12500.00"),
        "USD",
    )
    assert cost.note == "Two reps, one trip"
    again = _set(manager, month=date(2026, 3, 17), amount="9,800.50")
    assert again.id == cost.id and again.amount == Decimal("9800.50")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesCost)) == 1


def test_each_currency_has_its_own_amount_for_a_month():
    manager = make_user(Role.MANAGER)
    _set(manager, currency="usd")
    _set(manager, currency="EUR", amount="300")
    assert [(c.currency, c.amount) for c in sales_costs.costs_of_year(manager, 2026)] == [
        ("EUR", Decimal("300.00")),
        ("USD", Decimal("12500.00")),
    ]


def test_a_zero_cost_is_a_cost_but_bad_input_is_refused_field_by_field():
    manager = make_user(Role.MANAGER)
    assert _set(manager, amount="0").amount == Decimal("0.00")
    with pytest.raises(RecordInvalid) as refused:
        sales_costs.set_cost(manager, month="March", amount="-5", currency="US", note="x" * 501)
    assert refused.value.errors == {
        "month": "Choose a month between 2000 and 2100.",
        "amount": "A cost cannot be negative.",
        "currency": "Enter a three-letter currency code, like USD.",
        "note": "Keep the note to 500 characters or fewer.",
    }
    for amount, message in (
        ("", "Enter the amount spent, like 12500.00."),
        ("abc", "Enter the amount spent, like 12500.00."),
        ("NaN", "Enter the amount spent, like 12500.00."),
        ("1.005", "Use at most two decimals."),
        ("1000000000000", "Enter an amount below one trillion."),
    ):
        with pytest.raises(RecordInvalid) as refused:
            sales_costs.set_cost(manager, month="2026-04", amount=amount)
        assert refused.value.errors == {"amount": message}
    for month in ("2026-13", "1999-12", "2026-02-32", "", None):
        assert sales_costs.parse_month(month) is None
    assert sales_costs.parse_month("2026-02-28") == date(2026, 2, 1)


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING, Role.SUPPORT])
def test_only_managers_and_administrators_keep_sales_costs(role):
    cost = _set(make_user(Role.ADMIN))
    other = make_user(role)
    with pytest.raises(PermissionDenied):
        sales_costs.set_cost(other, month="2026-04", amount="1")
    with pytest.raises(PermissionDenied):
        sales_costs.delete_cost(cost, other)
    with pytest.raises(PermissionDenied):
        sales_costs.costs_of_year(other, 2026)


def test_setting_and_deleting_a_cost_is_audited():
    manager = make_user(Role.MANAGER)
    from app import audit

    audit.set_actor(db.session, manager, source="test")
    cost = _set(manager)
    _set(manager, amount="13000")
    sales_costs.delete_cost(cost, manager)
    db.session.commit()
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "sales_costs").order_by(AuditEntry.id)
    ).all()
    assert [entry.action.value for entry in entries] == ["create", "update", "delete"]
    assert all(entry.actor_id == manager.id for entry in entries)
    assert entries[1].changes["amount"] == ["12500.00", "13000.00"]


def test_the_months_of_a_year_show_what_is_entered():
    manager = make_user(Role.MANAGER)
    _set(manager, month="2026-02")
    _set(manager, month="2025-12")
    months = sales_costs.months_of_year(manager, 2026)
    assert [month for month, _ in months][:3] == [date(2026, 1, 1), date(2026, 2, 1),
                                                  date(2026, 3, 1)]  # fmt: skip
    assert len(months) == 12
    assert [len(entries) for _, entries in months] == [0, 1] + [0] * 10
