"""Sales targets: the one monthly or quarterly quota of a rep or a team, and the calendar
periods they cover. Periods are reckoned in the installation's default time zone."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions, timezones
from app.extensions import db
from app.models.identity import Team, User
from app.models.orders import SalesTarget, TargetPeriod
from app.services.validation import RecordInvalid

PERIOD_LABELS = {TargetPeriod.MONTH: _l("Month"), TargetPeriod.QUARTER: _l("Quarter")}
MAX_AMOUNT = Decimal("999999999999.99")


@dataclasses.dataclass(frozen=True)
class Period:
    """A calendar month or quarter: `start` is its first day, `end` the first day after."""

    kind: TargetPeriod
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.kind is TargetPeriod.QUARTER:
            return f"{self.start.year} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    def moments(self) -> tuple[datetime, datetime]:
        """The period as UTC moments [from, to) in the default time zone."""
        return day_bounds(self.start, self.end)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_of(day: date) -> Period:
    """The calendar month containing `day`."""
    start = day.replace(day=1)
    return Period(TargetPeriod.MONTH, start, _add_months(start, 1))


def quarter_of(day: date) -> Period:
    """The calendar quarter containing `day`."""
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Period(TargetPeriod.QUARTER, start, _add_months(start, 3))


def period_of(kind: TargetPeriod, day: date) -> Period:
    """The month or quarter containing `day`."""
    return quarter_of(day) if kind is TargetPeriod.QUARTER else month_of(day)


def last_months(day: date, count: int = 12) -> list[Period]:
    """The `count` months up to and including the one containing `day`, oldest first."""
    current = month_of(day).start
    return [month_of(_add_months(current, n - count + 1)) for n in range(count)]


def is_period_start(kind: TargetPeriod, day: date) -> bool:
    return period_of(kind, day).start == day


def today() -> date:
    """Today in the default time zone (the one periods are reckoned in)."""
    return datetime.now(timezones.user_zone(None)).date()


def day_bounds(first: date, after: date) -> tuple[datetime, datetime]:
    """Local days [first, after) in the default time zone as UTC moments."""
    zone = timezones.user_zone(None)
    return (
        timezones.from_wall_clock(datetime.combine(first, time.min), zone),
        timezones.from_wall_clock(datetime.combine(after, time.min), zone),
    )


def parse_period(raw) -> TargetPeriod | None:
    if isinstance(raw, TargetPeriod):
        return raw
    try:
        return TargetPeriod(str(raw or "").strip().upper())
    except ValueError:
        return None


def _check(user_id, team_id, period, period_start, amount, currency) -> tuple[dict, dict]:
    errors, values = {}, {}
    if bool(user_id) == bool(team_id):
        errors["user_id"] = gettext("Choose either a user or a team.")
    elif user_id:
        user = db.session.get(User, user_id)
        if user is None or not user.is_active:
            errors["user_id"] = gettext("Choose an active user.")
    elif db.session.get(Team, team_id) is None:
        errors["team_id"] = gettext("Choose an existing team.")
    kind = parse_period(period)
    if kind is None:
        errors["period"] = gettext("Choose a month or a quarter.")
    values["period"] = kind
    if not isinstance(period_start, date):
        errors["period_start"] = gettext("Enter the first day of the period.")
    elif kind is TargetPeriod.QUARTER and not is_period_start(kind, period_start):
        errors["period_start"] = gettext(
            "A quarter starts on 1 January, 1 April, 1 July or 1 October."
        )
    elif kind is TargetPeriod.MONTH and period_start.day != 1:
        errors["period_start"] = gettext("A month target starts on the first day of the month.")
    try:
        number = Decimal(str(amount).replace(",", "").strip()) if amount not in (None, "") else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0 or number > MAX_AMOUNT:
        errors["amount"] = gettext("Enter an amount greater than zero.")
    elif number != number.quantize(Decimal("0.01")):
        errors["amount"] = gettext("Use at most two decimals.")
    else:
        values["amount"] = number.quantize(Decimal("0.01"))
    code = str(currency or current_app.config["DEFAULT_CURRENCY"]).strip()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        errors["currency"] = gettext("Enter a three-letter currency code, like USD.")
    values["currency"] = code.upper()
    return errors, values


def set_target(
    actor, *, user_id=None, team_id=None, period, period_start, amount, currency=None
) -> SalesTarget:
    """Create or update the one target of a user or a team for the period starting on
    `period_start`; RecordInvalid (every field's message) for bad input."""
    permissions.require(actor, "create", "sales_target")
    errors, values = _check(user_id, team_id, period, period_start, amount, currency)
    if errors:
        raise RecordInvalid(errors)
    target = db.session.scalar(
        sa.select(SalesTarget).where(
            SalesTarget.user_id == user_id if user_id else SalesTarget.team_id == team_id,
            SalesTarget.period == values["period"],
            SalesTarget.period_start == period_start,
        )
    )
    if target is None:
        target = SalesTarget(
            user_id=user_id or None,
            team_id=team_id or None,
            period=values["period"],
            period_start=period_start,
        )
        db.session.add(target)
    else:
        permissions.require(actor, "edit", "sales_target", target)
    target.amount = values["amount"]
    target.currency = values["currency"]
    db.session.flush()
    return target


def delete_target(target: SalesTarget, actor) -> None:
    """Remove a target."""
    permissions.require(actor, "delete", "sales_target", target)
    db.session.delete(target)
    db.session.flush()


def targets_for(
    actor, *, year: int | None = None, period=None, user_id=None, team_id=None
) -> list[SalesTarget]:
    """The targets `actor` may read, newest period first, narrowed to a year (of the
    period start), a period kind and one user or team when given."""
    query = sa.select(SalesTarget).where(
        permissions.visible(actor, "sales_target", SalesTarget.user_id)
    )
    if year:
        query = query.where(
            SalesTarget.period_start >= date(year, 1, 1),
            SalesTarget.period_start < date(year + 1, 1, 1),
        )
    kind = parse_period(period)
    if kind is not None:
        query = query.where(SalesTarget.period == kind)
    if user_id:
        query = query.where(SalesTarget.user_id == user_id)
    if team_id:
        query = query.where(SalesTarget.team_id == team_id)
    order = (SalesTarget.period_start.desc(), SalesTarget.period, SalesTarget.id)
    return list(db.session.scalars(query.order_by(*order)))


def _owner_clause(owner):
    if isinstance(owner, Team):
        return SalesTarget.team_id == owner.id
    return SalesTarget.user_id == owner.id


def target_for_period(owner: User | Team, kind: TargetPeriod, day: date) -> SalesTarget | None:
    """The target of a user or a team for the month or quarter containing `day`."""
    return db.session.scalar(
        sa.select(SalesTarget).where(
            _owner_clause(owner),
            SalesTarget.period == kind,
            SalesTarget.period_start == period_of(kind, day).start,
        )
    )


def monthly_targets(owner: User | Team, first: date, after: date) -> dict[date, SalesTarget]:
    """The monthly targets of a user or a team whose months start in [first, after)."""
    rows = db.session.scalars(
        sa.select(SalesTarget).where(
            _owner_clause(owner),
            SalesTarget.period == TargetPeriod.MONTH,
            SalesTarget.period_start >= first,
            SalesTarget.period_start < after,
        )
    )
    return {row.period_start: row for row in rows}


def team_targets_total(kind: TargetPeriod, day: date, currency: str) -> Decimal | None:
    """The sum of every team's target in `currency` for the period containing `day`
    (everybody's target), None when no team has one."""
    total = db.session.scalar(
        sa.select(sa.func.sum(SalesTarget.amount)).where(
            SalesTarget.team_id.is_not(None),
            SalesTarget.period == kind,
            SalesTarget.period_start == period_of(kind, day).start,
            SalesTarget.currency == currency,
        )
    )
    return None if total is None else Decimal(str(total)).quantize(Decimal("0.01"))
