"""Monthly sales costs: what selling cost in a month (salaries, commissions, travel, tools),
entered by managers, one amount per month and currency. With campaign costs they are what
customer acquisition cost divides (app.services.reports.customers). Every change is
audited (SalesCost.__audited__)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.analytics import SalesCost
from app.services.validation import RecordInvalid

MAX_AMOUNT = Decimal("999999999999.99")
NOTE_LENGTH = 500
FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def parse_month(raw) -> date | None:
    """The first day of the month `raw` names: a date, or text like 2026-03 (what a month
    input sends) or 2026-03-01; None when it names no month in the years offered."""
    if isinstance(raw, date):
        year, month = raw.year, raw.month
    else:
        match = _MONTH.match(str(raw or "").strip())
        if match is None:
            return None
        year, month = int(match.group(1)), int(match.group(2))
        if match.group(3) is not None and not 1 <= int(match.group(3)) <= 31:
            return None
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def _check(month, amount, currency, note) -> tuple[dict, dict]:
    errors, values = {}, {}
    values["month"] = parse_month(month)
    if values["month"] is None:
        errors["month"] = gettext(
            "Choose a month between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR
        )
    try:
        text = str(amount if amount is not None else "").replace(",", "").strip()
        number = Decimal(text) if text else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        errors["amount"] = gettext("Enter the amount spent, like 12500.00.")
    elif number < 0:
        errors["amount"] = gettext("A cost cannot be negative.")
    elif number > MAX_AMOUNT:
        errors["amount"] = gettext("Enter an amount below one trillion.")
    elif number != number.quantize(Decimal("0.01")):
        errors["amount"] = gettext("Use at most two decimals.")
    else:
        values["amount"] = number.quantize(Decimal("0.01"))
    code = str(currency or current_app.config["DEFAULT_CURRENCY"]).strip()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        errors["currency"] = gettext("Enter a three-letter currency code, like USD.")
    values["currency"] = code.upper()
    values["note"] = " ".join(str(note or "").split())
    if len(values["note"]) > NOTE_LENGTH:
        errors["note"] = gettext(
            "Keep the note to %(count)d characters or fewer.", count=NOTE_LENGTH
        )
    return errors, values


def cost_of(month: date, currency: str) -> SalesCost | None:
    """The cost entered for `month` in `currency`, if any."""
    return db.session.scalar(
        sa.select(SalesCost).where(SalesCost.month == month, SalesCost.currency == currency)
    )


def set_cost(actor, *, month, amount, currency=None, note="") -> SalesCost:
    """Create or replace the cost of `month` in `currency` (the installation's currency by
    default); RecordInvalid with every field's message for bad input."""
    permissions.require(actor, "create", "sales_cost")
    errors, values = _check(month, amount, currency, note)
    if errors:
        raise RecordInvalid(errors)
    cost = cost_of(values["month"], values["currency"])
    if cost is None:
        cost = SalesCost(month=values["month"], currency=values["currency"])
        db.session.add(cost)
    else:
        permissions.require(actor, "edit", "sales_cost", cost)
    cost.amount = values["amount"]
    cost.note = values["note"]
    db.session.flush()
    return cost


def delete_cost(cost: SalesCost, actor) -> None:
    """Remove a month's cost (the month then counts no sales cost in that currency)."""
    permissions.require(actor, "delete", "sales_cost", cost)
    db.session.delete(cost)
    db.session.flush()


def costs_of_year(actor, year: int) -> list[SalesCost]:
    """The costs entered for the months of `year`, by month then currency."""
    permissions.require(actor, "read", "sales_cost")
    query = (
        sa.select(SalesCost)
        .where(SalesCost.month >= date(year, 1, 1), SalesCost.month < date(year + 1, 1, 1))
        .order_by(SalesCost.month, SalesCost.currency)
    )
    return list(db.session.scalars(query))


def months_of_year(actor, year: int) -> list[tuple[date, list[SalesCost]]]:
    """Each month of `year` with the costs entered for it (none: not entered yet)."""
    costs = costs_of_year(actor, year)
    return [
        (month, [cost for cost in costs if cost.month == month])
        for month in (date(year, number, 1) for number in range(1, 13))
    ]
