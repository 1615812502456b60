"""Sales figures for the dashboard and the performance pages: won against target, the open
pipeline by stage, completed activities, top deals, win rate, deal size and sales cycle.

Each figure is one aggregate query summed by the database. Money is summed per currency:
a figure is in one currency (a target's, else the default one) and deals in other
currencies are reported as excluded, never converted or added. Periods are days in the
installation's default time zone (app.services.targets.day_bounds)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app import permissions
from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.customers import Customer
from app.models.identity import Team, User
from app.models.orders import TargetPeriod
from app.models.sales import Opportunity, OpportunityStage
from app.services import targets
from app.services.opportunities import STAGE_LABELS

CENT = Decimal("0.01")
OPEN_STAGES = [stage for stage in OpportunityStage if not stage.is_closed]
WON, LOST = OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST


@dataclasses.dataclass(frozen=True)
class Scope:
    """Whose figures: one user's, one team's (its members' records), or everything
    `actor` may see."""

    user: User | None = None
    team: Team | None = None
    actor: User | None = None

    @classmethod
    def for_user(cls, user: User) -> Scope:
        return cls(user=user)

    @classmethod
    def for_team(cls, team: Team) -> Scope:
        return cls(team=team)

    @classmethod
    def visible_to(cls, actor: User) -> Scope:
        return cls(actor=actor)

    @property
    def owner(self) -> User | Team | None:
        return self.user or self.team

    def where(self, entity: str, owner_column):
        """The WHERE clause keeping the rows of `entity` this scope covers."""
        if self.user is not None:
            return owner_column == self.user.id
        if self.team is not None:
            return owner_column.in_(sa.select(User.id).where(User.team_id == self.team.id))
        return permissions.visible(self.actor, entity, owner_column)


@dataclasses.dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class Won:
    """Deals won in a period, in `currency`; `excluded` are those in other currencies."""

    currency: str
    count: int
    amount: Decimal
    excluded: list[CurrencyTotal]


def default_currency() -> str:
    return current_app.config["DEFAULT_CURRENCY"]


def _cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _money_sum(column):
    return sa.type_coerce(sa.func.sum(column), sa.Numeric(18, 2))


def _closed_in(stage, start: date, end: date) -> list:
    first, after = targets.day_bounds(start, end)
    return [
        Opportunity.stage == stage,
        Opportunity.closed_at >= first,
        Opportunity.closed_at < after,
    ]


def won_in_period(scope: Scope, start: date, end: date, currency: str | None = None) -> Won:
    """Deals in CLOSED_WON whose closed_at falls in the days [start, end): the count and
    sum of those in `currency` (the default one unless given), the others per currency."""
    currency = currency or default_currency()
    rows = db.session.execute(
        sa.select(Opportunity.currency, sa.func.count(), _money_sum(Opportunity.amount))
        .where(*_closed_in(WON, start, end), scope.where("opportunity", Opportunity.owner_id))
        .group_by(Opportunity.currency)
        .order_by(Opportunity.currency)
    ).all()
    totals = [CurrencyTotal(code, count, _cents(amount)) for code, count, amount in rows]
    mine = next((t for t in totals if t.currency == currency), None)
    return Won(
        currency,
        mine.count if mine else 0,
        mine.amount if mine else Decimal("0.00"),
        [t for t in totals if t.currency != currency],
    )


@dataclasses.dataclass(frozen=True)
class StageTotal:
    stage: OpportunityStage
    label: str
    count: int
    amount: Decimal
    weighted: Decimal


@dataclasses.dataclass(frozen=True)
class PipelineSummary:
    """Open deals per stage in `currency`; `excluded` are the open deals in others."""

    currency: str
    stages: list[StageTotal]
    excluded: list[CurrencyTotal]

    @property
    def count(self) -> int:
        return sum(stage.count for stage in self.stages)

    @property
    def amount(self) -> Decimal:
        return sum((stage.amount for stage in self.stages), Decimal("0.00"))

    @property
    def weighted(self) -> Decimal:
        return sum((stage.weighted for stage in self.stages), Decimal("0.00"))


def pipeline_by_stage(actor, scope: Scope, currency: str | None = None) -> PipelineSummary:
    """Open deals (no closed_at) of `scope` that `actor` may see: count, amount and
    weighted amount (amount x probability / 100) per stage, in one grouped query."""
    currency = currency or default_currency()
    # A decimal divisor: SQLite would divide an integer-stored amount as integers.
    weighted = _money_sum(
        Opportunity.amount * Opportunity.probability / sa.literal(Decimal(100), sa.Numeric(5, 2))
    )
    rows = db.session.execute(
        sa.select(
            Opportunity.stage,
            Opportunity.currency,
            sa.func.count(),
            _money_sum(Opportunity.amount),
            weighted,
        )
        .where(
            Opportunity.closed_at.is_(None),
            permissions.visible(actor, "opportunity", Opportunity.owner_id),
            scope.where("opportunity", Opportunity.owner_id),
        )
        .group_by(Opportunity.stage, Opportunity.currency)
    ).all()
    found = {
        (stage, code): (count, amount, expected) for stage, code, count, amount, expected in rows
    }
    stages = []
    for stage in OPEN_STAGES:
        count, amount, expected = found.get((stage, currency), (0, 0, 0))
        stages.append(
            StageTotal(stage, str(STAGE_LABELS[stage]), count, _cents(amount), _cents(expected))
        )
    others: dict[str, list] = {}
    for (_, code), (count, amount, _) in sorted(found.items(), key=lambda item: item[0][1]):
        if code != currency:
            total = others.setdefault(code, [0, Decimal("0.00")])
            total[0] += count
            total[1] += _cents(amount)
    excluded = [CurrencyTotal(code, count, amount) for code, (count, amount) in others.items()]
    return PipelineSummary(currency, stages, excluded)


def activity_counts(scope: Scope, start: date, end: date) -> dict[ActivityKind, int]:
    """Activities completed (status DONE, completed_at) in the days [start, end), per kind;
    every kind is present (0 when none)."""
    first, after = targets.day_bounds(start, end)
    rows = db.session.execute(
        sa.select(Activity.kind, sa.func.count())
        .where(
            Activity.status == ActivityStatus.DONE,
            Activity.completed_at >= first,
            Activity.completed_at < after,
            scope.where("activity", Activity.owner_id),
        )
        .group_by(Activity.kind)
    ).all()
    counts = dict(rows)
    return {kind: counts.get(kind, 0) for kind in ActivityKind}


def top_deals(actor, limit: int = 10, scope: Scope | None = None) -> list[sa.Row]:
    """The largest open deals `actor` may see (of `scope` when given), with their
    customer's and owner's names."""
    query = (
        sa.select(
            Opportunity.id,
            Opportunity.name,
            Opportunity.stage,
            Opportunity.amount,
            Opportunity.currency,
            Opportunity.probability,
            Opportunity.expected_close_date,
            Customer.name.label("customer_name"),
            User.name.label("owner_name"),
        )
        .join(Customer, Customer.id == Opportunity.customer_id)
        .outerjoin(User, User.id == Opportunity.owner_id)
        .where(
            Opportunity.closed_at.is_(None),
            permissions.visible(actor, "opportunity", Opportunity.owner_id),
        )
        .order_by(Opportunity.amount.desc(), Opportunity.id)
        .limit(limit)
    )
    if scope is not None:
        query = query.where(scope.where("opportunity", Opportunity.owner_id))
    return list(db.session.execute(query))


@dataclasses.dataclass(frozen=True)
class WinRate:
    won: int
    lost: int

    @property
    def rate(self) -> Decimal | None:
        """Won out of won + lost, as a percentage with one decimal (None when neither)."""
        closed = self.won + self.lost
        if not closed:
            return None
        return (Decimal(100 * self.won) / closed).quantize(Decimal("0.1"))


def win_rate(scope: Scope, start: date, end: date) -> WinRate:
    """Deals won and lost (closed_at in the days [start, end)), in any currency."""
    first, after = targets.day_bounds(start, end)
    counts = dict(
        db.session.execute(
            sa.select(Opportunity.stage, sa.func.count())
            .where(
                Opportunity.stage.in_([WON, LOST]),
                Opportunity.closed_at >= first,
                Opportunity.closed_at < after,
                scope.where("opportunity", Opportunity.owner_id),
            )
            .group_by(Opportunity.stage)
        ).all()
    )
    return WinRate(counts.get(WON, 0), counts.get(LOST, 0))


def average_deal_size(
    scope: Scope, start: date, end: date, currency: str | None = None
) -> Decimal | None:
    """The mean amount of the deals won in the days [start, end) in `currency` (exact:
    the sum divided by the count, to the cent); None when none was won."""
    currency = currency or default_currency()
    count, total = db.session.execute(
        sa.select(sa.func.count(), _money_sum(Opportunity.amount)).where(
            *_closed_in(WON, start, end),
            Opportunity.currency == currency,
            scope.where("opportunity", Opportunity.owner_id),
        )
    ).one()
    return (_cents(total) / count).quantize(CENT) if count else None


def _days_between(earlier, later):
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.extract("epoch", later - earlier) / 86400
    return sa.func.julianday(later) - sa.func.julianday(earlier)


def average_cycle_days(scope: Scope, start: date, end: date) -> Decimal | None:
    """The mean number of days from created_at to closed_at of the deals won in the days
    [start, end), to one decimal; None when none was won."""
    days = db.session.scalar(
        sa.select(sa.func.avg(_days_between(Opportunity.created_at, Opportunity.closed_at))).where(
            *_closed_in(WON, start, end), scope.where("opportunity", Opportunity.owner_id)
        )
    )
    return None if days is None else Decimal(str(days)).quantize(Decimal("0.1"))


@dataclasses.dataclass(frozen=True)
class MonthWon:
    period: targets.Period
    count: int
    amount: Decimal
    target: Decimal | None

    @property
    def attainment(self) -> Decimal | None:
        return attainment(self.amount, self.target)


def attainment(won: Decimal, target: Decimal | None) -> Decimal | None:
    """Won as a percentage of target, one decimal (None without a target)."""
    if not target:
        return None
    return (won * 100 / target).quantize(Decimal("0.1"))


def monthly_won(
    scope: Scope, months: int = 12, currency: str | None = None, day: date | None = None
) -> list[MonthWon]:
    """Won per month in `currency` for the `months` months up to the one containing `day`
    (today), oldest first, with each month's target when the scope is a user or a team.
    One query: each deal is put in its month by comparing closed_at with the month bounds,
    which works on every database and in any default time zone."""
    currency = currency or default_currency()
    periods = targets.last_months(day or targets.today(), months)
    bounds = [targets.day_bounds(p.start, p.end)[0] for p in periods]
    after = targets.day_bounds(periods[-1].start, periods[-1].end)[1]
    bucket = sa.case(
        *[(Opportunity.closed_at < bound, n - 1) for n, bound in enumerate(bounds[1:], 1)],
        else_=len(periods) - 1,
    ).label("bucket")
    rows = db.session.execute(
        sa.select(bucket, sa.func.count(), _money_sum(Opportunity.amount))
        .where(
            Opportunity.stage == WON,
            Opportunity.currency == currency,
            Opportunity.closed_at >= bounds[0],
            Opportunity.closed_at < after,
            scope.where("opportunity", Opportunity.owner_id),
        )
        .group_by(bucket)
    ).all()
    found = {int(n): (count, _cents(amount)) for n, count, amount in rows}
    goals = {}
    if scope.owner is not None:
        goals = targets.monthly_targets(scope.owner, periods[0].start, periods[-1].end)
    result = []
    for n, period in enumerate(periods):
        count, amount = found.get(n, (0, Decimal("0.00")))
        goal = goals.get(period.start)
        target = goal.amount if goal is not None and goal.currency == currency else None
        result.append(MonthWon(period, count, amount, target))
    return result


@dataclasses.dataclass(frozen=True)
class TargetFigure:
    """What the scope should win in a period, and in which currency."""

    amount: Decimal | None
    currency: str


def scope_target(scope: Scope, kind: TargetPeriod, day: date) -> TargetFigure:
    """A user's or team's target for the period containing `day`; for everything an
    actor sees, the sum of the teams' targets in the default currency."""
    if scope.owner is not None:
        target = targets.target_for_period(scope.owner, kind, day)
        if target is not None:
            return TargetFigure(target.amount, target.currency)
        return TargetFigure(None, default_currency())
    currency = default_currency()
    return TargetFigure(targets.team_targets_total(kind, day, currency), currency)
