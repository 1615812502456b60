"""Sales forecasts for the reports: the bookings series (the whole company, each team and
each product line, by month and by week), fitted by app.services.forecasting in a job and
stored as ForecastRun rows; the weighted open pipeline expected to close next quarter;
and the combined next-quarter figure. Pages read the stored runs and never fit.

Bookings are orders (all but cancelled ones) in the default currency, net of discounts
and before tax, on their order date; a team's are its members' orders (the order's owner
now), a product line's the order lines of its products. History runs from a series' first
bookings to the last complete month or week (weeks start on Monday); the current one is
forecast, not counted."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app import permissions
from app.extensions import db
from app.models.analytics import ForecastGrain, ForecastRun
from app.models.base import utcnow
from app.models.identity import Role, Team, User
from app.models.orders import Order, OrderLine, OrderStatus
from app.models.sales import Opportunity, OpportunityProduct, Product
from app.services import forecasting, targets
from app.services.orders import net_amount_column

CENT = Decimal("0.01")

COMPANY = "company"
GRAINS = {ForecastGrain.MONTH: forecasting.MONTHLY, ForecastGrain.WEEK: forecasting.WEEKLY}
# The most history fitted: ten years of months, four of weeks.
HISTORY = {ForecastGrain.MONTH: 120, ForecastGrain.WEEK: 208}


def team_key(team_id: int) -> str:
    return f"team:{team_id}"


def line_key(line: str) -> str:
    return f"line:{line}"


def currency() -> str:
    return current_app.config["DEFAULT_CURRENCY"]


def money(value) -> Decimal:
    """An exact amount to the cent (0 for none). (The reports' sql.money; this module is
    imported by the reports package, so it does not import it back.)"""
    return Decimal(str(value or 0)).quantize(CENT)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# -- Periods ------------------------------------------------------------------------------


def period_of(day: date, grain: ForecastGrain) -> date:
    """The first day of the month or (Monday) week holding `day`."""
    if grain is ForecastGrain.MONTH:
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def shift(start: date, grain: ForecastGrain, count: int = 1) -> date:
    if grain is ForecastGrain.MONTH:
        return add_months(start, count)
    return start + timedelta(weeks=count)


def next_quarter(today: date) -> targets.Period:
    return targets.quarter_of(add_months(targets.quarter_of(today).start, 3))


def share_in(start: date, grain: ForecastGrain, quarter: targets.Period) -> Decimal:
    """How much of the period starting `start` falls in `quarter` (by days)."""
    end = shift(start, grain)
    overlap = (min(end, quarter.end) - max(start, quarter.start)).days
    return Decimal(max(overlap, 0)) / Decimal((end - start).days)


# -- Series -------------------------------------------------------------------------------


def daily_bookings(first: date, until: date) -> dict[str, dict[date, Decimal]]:
    """Bookings per order date in [first, until) of the company, each team and each
    product line: three grouped queries."""
    where = [
        Order.status != OrderStatus.CANCELLED,
        Order.currency == currency(),
        Order.order_date >= first,
        Order.order_date < until,
    ]
    found: dict[str, dict[date, Decimal]] = defaultdict(dict)
    amount = sa.func.sum(net_amount_column())
    for day, total in db.session.execute(
        sa.select(Order.order_date, amount).where(*where).group_by(Order.order_date)
    ):
        found[COMPANY][day] = money(total)
    for team_id, day, total in db.session.execute(
        sa.select(User.team_id, Order.order_date, amount)
        .join(User, User.id == Order.owner_id)
        .where(*where, User.team_id.is_not(None))
        .group_by(User.team_id, Order.order_date)
    ):
        found[team_key(team_id)][day] = money(total)
    net = sa.func.sum(OrderLine.net - OrderLine.discount_share)
    for line, day, total in db.session.execute(
        sa.select(Product.line, Order.order_date, net)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*where, Product.line != "")
        .group_by(Product.line, Order.order_date)
    ):
        found[line_key(line)][day] = money(total)
    return found


def series_labels() -> dict[str, str]:
    """Every series there is, with its name: the company ("" is shown as "Whole
    company"), each team, each product line of the catalogue."""
    labels = {COMPANY: ""}
    for team_id, name in db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name)):
        labels[team_key(team_id)] = name
    lines = sa.select(Product.line).where(Product.line != "").distinct().order_by(Product.line)
    for line in db.session.scalars(lines):
        labels[line_key(line)] = line
    return labels


def history_bounds(today: date) -> tuple[date, date]:
    """The order dates every grain's history lies in: [first, after)."""
    starts = {grain: period_of(today, grain) for grain in GRAINS}
    first = min(shift(start, grain, -HISTORY[grain]) for grain, start in starts.items())
    return first, max(starts.values())


def bookings(today: date, grain: ForecastGrain, days=None, labels=None) -> dict:
    """Each series' bookings a period, {key: [(period start, amount), ...]}, from its
    first bookings (within HISTORY) to the last complete period before `today`'s, with
    zeros where nothing was booked. `days` and `labels` (daily_bookings over
    history_bounds, series_labels) are read when not given."""
    days = days if days is not None else daily_bookings(*history_bounds(today))
    current = period_of(today, grain)
    first = shift(current, grain, -HISTORY[grain])
    series = {}
    for key in labels if labels is not None else series_labels():
        totals: dict[date, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for day, amount in days.get(key, {}).items():
            if first <= day < current:
                totals[period_of(day, grain)] += amount
        periods, start = [], min(totals, default=current)
        while start < current:
            periods.append((start, totals[start]))
            start = shift(start, grain)
        series[key] = periods
    return series


def weighted_pipeline(
    quarter: targets.Period, weights: str = "stage"
) -> dict[str, tuple[Decimal, int]]:
    """(amount x probability summed, deals) of the open deals in the default currency
    expected to close in `quarter`, for the company, each team (the owner's) and each
    product line (a deal's products of that line, at quantity x price). `weights`
    "predicted" weighs a deal by its predicted win probability (opportunities.win_score)
    instead of its stage or hand-set probability, where it has one."""
    probability = Opportunity.probability
    if weights == "predicted":
        probability = sa.func.coalesce(Opportunity.win_score, Opportunity.probability)
    where = [
        Opportunity.closed_at.is_(None),
        Opportunity.currency == currency(),
        Opportunity.expected_close_date >= quarter.start,
        Opportunity.expected_close_date < quarter.end,
    ]
    # A decimal divisor: SQLite would divide integer-stored amounts as integers.
    hundred = sa.literal(Decimal(100), sa.Numeric(5, 2))
    weighted = sa.func.sum(Opportunity.amount * probability / hundred)
    found = {}
    count, total = db.session.execute(sa.select(sa.func.count(), weighted).where(*where)).one()
    found[COMPANY] = (money(total), count)
    for team_id, count, total in db.session.execute(
        sa.select(User.team_id, sa.func.count(), weighted)
        .join(User, User.id == Opportunity.owner_id)
        .where(*where, User.team_id.is_not(None))
        .group_by(User.team_id)
    ):
        found[team_key(team_id)] = (money(total), count)
    value = OpportunityProduct.quantity * OpportunityProduct.unit_price
    for line, count, total in db.session.execute(
        sa.select(
            Product.line,
            sa.func.count(sa.distinct(Opportunity.id)),
            sa.func.sum(value * probability / hundred),
        )
        .select_from(OpportunityProduct)
        .join(Opportunity, Opportunity.id == OpportunityProduct.opportunity_id)
        .join(Product, Product.id == OpportunityProduct.product_id)
        .where(*where, Product.line != "")
        .group_by(Product.line)
    ):
        found[line_key(line)] = (money(total), count)
    return found


# -- Fitting and storing -----------------------------------------------------------------


def combine(forecast: Decimal | None, pipeline: Decimal, mase: float | None) -> tuple:
    """(weight, combined): the statistical forecast of next quarter and the weighted
    pipeline averaged, the forecast weighted 1 / (1 + its backtest MASE) (a model as good
    as seasonal naive counts as much as the pipeline, a better one more); the pipeline
    alone when there is no forecast."""
    if forecast is None or mase is None:
        return Decimal("0.00"), pipeline
    weight = (Decimal(1) / (1 + Decimal(str(mase)))).quantize(Decimal("0.01"))
    return weight, money(weight * forecast + (1 - weight) * pipeline)


def _cents(value: float) -> str:
    return str(money(Decimal(str(round(value, 2)))))


def fit(grain, periods, pipeline, quarter, today) -> dict:
    """The stored fields of one series' run: its history, the forecast from `today`'s
    period on, the backtest, the drivers and the next-quarter figures."""
    outcome = forecasting.fit_series([float(amount) for _, amount in periods], GRAINS[grain])
    ahead = [shift(period_of(today, grain), grain, i) for i in range(len(outcome.forecast))]
    forecast = [
        {"period": start.isoformat(), **{name: _cents(v) for name, v in values.items()}}
        for start, values in zip(ahead, outcome.forecast, strict=True)
    ]
    in_quarter = None
    if outcome.status == "ok":
        in_quarter = money(
            sum(Decimal(row["mean"]) * share_in(start, grain, quarter)
                for start, row in zip(ahead, forecast, strict=True))
        )  # fmt: skip
    scores = outcome.backtest.get("models", {})
    mase = scores.get(outcome.model, {}).get("mase")
    weight, combined = combine(in_quarter, pipeline[0], mase)
    return {
        "status": outcome.status,
        "message": outcome.message,
        "model": outcome.model,
        "history": [{"period": start.isoformat(), "value": str(v)} for start, v in periods],
        "forecast": forecast,
        "backtest": outcome.backtest
        | {"points": outcome.points, "needed": outcome.needed, "seasonal": outcome.seasonal},
        "drivers": outcome.drivers
        | {
            "quarter": {
                "start": quarter.start.isoformat(),
                "end": quarter.end.isoformat(),
                "forecast": None if in_quarter is None else str(in_quarter),
                "pipeline": str(pipeline[0]),
                "deals": pipeline[1],
                "weight": str(weight),
                "combined": str(combined),
            }
        },
        "seconds": outcome.seconds,
    }


def refresh_all(today: date | None = None, progress=None, weights: str | None = None) -> int:
    """Fit every series at every grain again and store the runs (replacing the earlier
    ones; runs of series that no longer exist are deleted). `progress(done, total,
    label)` is called before each series ("" for the company's). `weights` ("stage" or
    "predicted", by default the FORECAST_PIPELINE_WEIGHTS setting) weighs the pipeline.
    Returns the number of series fitted."""
    today = today or targets.today()
    code, quarter = currency(), next_quarter(today)
    weights = weights or current_app.config.get("FORECAST_PIPELINE_WEIGHTS", "stage")
    pipelines = weighted_pipeline(quarter, weights)
    labels = series_labels()
    stored = {
        (run.series_key, run.grain, run.currency): run
        for run in db.session.scalars(sa.select(ForecastRun))
    }
    days = daily_bookings(*history_bounds(today))
    work = [(grain, bookings(today, grain, days, labels)) for grain in GRAINS]
    total, done, kept = len(labels) * len(GRAINS), 0, set()
    for grain, series in work:
        for key, periods in series.items():
            if progress is not None:
                progress(done, total, labels[key])
            pipeline = pipelines.get(key, (Decimal("0.00"), 0))
            fields = fit(grain, periods, pipeline, quarter, today)
            run = stored.get((key, grain, code))
            if run is None:
                run = ForecastRun(series_key=key, grain=grain, currency=code)
                db.session.add(run)
            for name, value in fields.items():
                setattr(run, name, value)
            run.label, run.generated_at = labels[key], utcnow()
            kept.add((key, grain, code))
            done += 1
    for identity, run in stored.items():
        if identity not in kept:
            db.session.delete(run)
    db.session.flush()
    return done


# -- Reading ------------------------------------------------------------------------------


def may_read(actor, key: str) -> bool:
    """Forecasts are totals of many people's orders: the company's and the product
    lines' need the right to read every order, a team's the right to read that team's."""
    scope = permissions.scope_for(actor, "order", "read")
    if scope is permissions.Scope.ALL:
        return True
    return (
        scope is permissions.Scope.TEAM
        and actor.team_id is not None
        and key == team_key(actor.team_id)
    )


def may_refresh(actor) -> bool:
    """Managers and administrators may have every forecast fitted again now."""
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.role.rank >= Role.MANAGER.rank
    )


def stored_series() -> list[tuple[str, ForecastGrain, str]]:
    """(series key, grain, label) of the stored runs in the default currency: the
    company first, then teams, then product lines, each by name."""
    rows = db.session.execute(
        sa.select(ForecastRun.series_key, ForecastRun.grain, ForecastRun.label).where(
            ForecastRun.currency == currency()
        )
    ).all()
    kinds = {COMPANY: 0, "team": 1, "line": 2}
    return sorted(rows, key=lambda r: (kinds.get(r[0].split(":")[0], 3), r[2], r[1].value))


def stored(key: str, grain: ForecastGrain) -> ForecastRun | None:
    return db.session.scalar(
        sa.select(ForecastRun).where(
            ForecastRun.series_key == key,
            ForecastRun.grain == grain,
            ForecastRun.currency == currency(),
        )
    )
