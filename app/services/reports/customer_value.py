"""What customers are worth and how many are lost: lifetime value (by formula, and observed
per cohort of first orders) and the monthly churn rate. Both read a customer's whole order
history (every order but a cancelled one), for the customers the reader may read: a
customer's value is its history, as its page shows it.

A customer is active at a day when it ordered in the 12 months before it; it churns in the
month its last order turns 12 months old without a new one (if it orders again later, it
returns). So, counting in calendar months, a customer active at the start of a month is
still active at the start of the next one unless its last order was 12 months earlier."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import AddressKind, Contact, Customer, CustomerAddress
from app.models.orders import Order, OrderStatus
from app.services import targets
from app.services.orders import net_amount_column
from app.services.reports import sql
from app.services.reports.filters import add_months
from app.services.reports.results import Chart, Column, Figure, Result

HORIZONS = (3, 6, 12, 24)  # months after a customer's first order, for cohort values
CANCELLED = OrderStatus.CANCELLED


def month_number(column):
    """year * 12 + month - 1 of a date column: consecutive months differ by one.
    (PostgreSQL's date_part is a float and several times cheaper than EXTRACT's numeric.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        months = sa.func.date_part("year", column) * 12 + sa.func.date_part("month", column)
        return sa.cast(months, sa.Integer) - 1
    year, month = sa.func.strftime("%Y", column), sa.func.strftime("%m", column)
    return sa.cast(year, sa.Integer) * 12 + sa.cast(month, sa.Integer) - 1


def _day_key(column):
    """month_number * 100 + day of the month: a day `d` is within `k` months of a day `f`
    (before the same day number `k` months later) exactly when key(d) < key(f) + 100 * k."""
    if db.session.get_bind().dialect.name == "postgresql":
        day = sa.func.date_part("day", column)
    else:
        day = sa.cast(sa.func.strftime("%d", column), sa.Integer)
    return month_number(column) * 100 + sa.cast(day, sa.Integer)


def _key_of(day: date) -> int:
    """_day_key of a date, in Python."""
    return (day.year * 12 + day.month - 1) * 100 + day.day


def month_of(number: int) -> date:
    """The first day of month number `number` (see month_number)."""
    return date(number // 12, number % 12 + 1, 1)


def _years_back(day: date, years: int) -> date:
    """The same day `years` earlier (28 February for a 29th)."""
    if day.month == 2 and day.day == 29:
        day = day.replace(day=28)
    return day.replace(year=day.year - years)


def customer_filters(filters, actor) -> list:
    """Clauses on Order keeping the orders of the customers the reader may read, of the
    chosen team, owner and billing country (none when that is every customer: no join to
    pay for)."""
    scope = permissions.scope_for(actor, "customer", "read")
    if scope is permissions.Scope.ALL and not (filters.team_id or filters.owner_id):
        clauses = []
    else:
        clauses = [filters.owned(actor, "customer", Customer.owner_id)]
    if filters.region:
        clauses.append(
            sa.select(CustomerAddress.id)
            .where(
                CustomerAddress.customer_id == Customer.id,
                CustomerAddress.kind == AddressKind.BILLING,
                CustomerAddress.country == filters.region,
            )
            .exists()
        )
    members = filters.segment_members()
    if members is not None:
        # The customers of the segment's contacts.
        contacts = sa.select(Contact.customer_id).where(Contact.id.in_(members))
        clauses.append(Customer.id.in_(contacts))
    if not clauses:
        return []
    return [Order.customer_id.in_(sa.select(Customer.id).where(*clauses))]


def orders_of(where: list, *columns):
    """A query of `columns` over the orders that count (all but cancelled ones) that
    `where` keeps."""
    return sa.select(*columns).where(Order.status != CANCELLED, *where)


def _other_currencies_note(customers: list, currency: str, before: date) -> list[str]:
    counts = Counter(
        dict(
            db.session.execute(
                orders_of(
                    [*customers, Order.currency != currency, Order.order_date < before],
                    Order.currency,
                    sa.func.count(),
                ).group_by(Order.currency)
            ).all()
        )
    )
    return [
        ngettext(
            "%(num)d order in %(currency)s is left out (other currencies are never converted).",
            "%(num)d orders in %(currency)s are left out (other currencies are never converted).",
            count,
            currency=code,
        )
        for code, count in sorted(counts.items())
    ]


# -- Lifetime value ------------------------------------------------------------------------


def _year_figures(where: list, end: date) -> tuple[int, int, int, Decimal]:
    """(customers active a year before `end`, how many of them ordered again in the year to
    `end`, customers who ordered in that year, their revenue)."""
    year_ago, two_years_ago = _years_back(end, 1), _years_back(end, 2)
    recent = Order.order_date >= year_ago
    per_customer = (
        orders_of(
            [*where, Order.order_date >= two_years_ago, Order.order_date < end],
            Order.customer_id,
            sa.func.max(sa.case((recent, 0), else_=1)).label("before"),
            sa.func.max(sa.case((recent, 1), else_=0)).label("recent"),
            sa.func.sum(sa.case((recent, net_amount_column()), else_=0)).label("revenue"),
        )
        .group_by(Order.customer_id)
        .subquery()
    )
    row = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(per_customer.c.before), 0),
            sa.func.coalesce(sa.func.sum(per_customer.c.before * per_customer.c.recent), 0),
            sa.func.coalesce(sa.func.sum(per_customer.c.recent), 0),
            sa.func.sum(per_customer.c.revenue),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2]), sql.money(row[3])


def _cohorts(where: list, filters) -> dict[int, dict]:
    """Per month of first order (a month number) in the period: customers and, for each
    horizon, the revenue of their orders within that many months of their first one.
    One pass over the orders: the first order comes from a window, not a join."""
    # The keys are computed once per order inside the windowed query (which the database
    # cannot fold into the ones around it); the rest is integer arithmetic on them.
    key = _day_key(Order.order_date)
    ordered = orders_of(
        where,
        Order.customer_id.label("customer_id"),
        net_amount_column().label("net"),
        key.label("key"),
        sa.func.min(key).over(partition_by=Order.customer_id).label("first"),
    ).subquery()
    timed = (
        sa.select(
            ordered.c.customer_id,
            (ordered.c.first // 100).label("cohort"),
            (ordered.c.key - ordered.c.first).label("elapsed"),
            ordered.c.net,
        )
        .where(ordered.c.first >= _key_of(filters.start), ordered.c.first < _key_of(filters.end))
        .subquery()
    )
    within = {k: timed.c.elapsed < 100 * k for k in HORIZONS}  # see _day_key
    per_customer = (
        sa.select(
            timed.c.cohort,
            *[
                sa.func.sum(sa.case((within[k], timed.c.net), else_=0)).label(f"m{k}")
                for k in HORIZONS
            ],
        )
        .group_by(timed.c.customer_id, timed.c.cohort)
        .subquery()
    )
    query = sa.select(
        per_customer.c.cohort,
        sa.func.count(),
        *[sa.func.sum(per_customer.c[f"m{k}"]) for k in HORIZONS],
    ).group_by(per_customer.c.cohort)
    return {
        int(number): {"customers": count, "values": [sql.money(v) for v in values]}
        for number, count, *values in db.session.execute(query)
    }


def lifetime_value(filters, actor) -> Result:
    currency, today = filters.currency, targets.today()
    customers = customer_filters(filters, actor)
    where = [*customers, Order.currency == currency]
    end = min(filters.end, today + timedelta(days=1))
    before, kept, active, revenue = _year_figures(where, end)
    per_customer = revenue / active if active else None
    churn = Decimal(before - kept) / before if before else None
    margin = Decimal(current_app.config["RAPPORT_GROSS_MARGIN_PERCENT"])
    value = None
    notes = []
    if per_customer is not None and churn:
        value = sql.money(per_customer * margin / 100 / churn)
    elif churn == 0:
        notes.append(gettext("No customer was lost in the year: the formula has no end."))
    quarters: dict[tuple[int, int], dict] = {}
    for number, cohort in sorted(_cohorts(where, filters).items()):
        quarter = quarters.setdefault(
            (number // 12, number % 12 // 3), {"customers": 0, "values": [Decimal(0)] * 4}
        )
        quarter["customers"] += cohort["customers"]
        quarter["values"] = [
            a + b for a, b in zip(quarter["values"], cohort["values"], strict=True)
        ]
    rows, complete = [], {"customers": 0, "value": Decimal(0)}
    for (year, index), quarter in quarters.items():
        after = add_months(date(year, index * 3 + 1, 1), 3)  # the day after the quarter
        row = {"cohort": f"{year} Q{index + 1}", "customers": quarter["customers"]}
        for months, total in zip(HORIZONS, quarter["values"], strict=True):
            done = add_months(after, months) <= today
            row[f"m{months}"] = sql.money(total / quarter["customers"]) if done else None
        if row["m12"] is not None:
            complete["customers"] += quarter["customers"]
            complete["value"] += quarter["values"][HORIZONS.index(12)]
        rows.append(row)
    if any(row[f"m{months}"] is None for row in rows for months in HORIZONS):
        notes.append(
            gettext("— : not all of the cohort's customers have been customers that long yet.")
        )
    notes += _other_currencies_note(customers, currency, max(end, filters.end))
    observed = (
        sql.money(complete["value"] / complete["customers"]) if complete["customers"] else None
    )
    return Result(
        columns=[
            Column("cohort", str(_l("First order in"))),
            Column("customers", str(_l("Customers")), "count"),
            *[
                Column(f"m{months}", str(_l("Value after %(num)d months", num=months)), "money")
                for months in HORIZONS
            ],
        ],
        rows=rows,
        figures=[
            Figure(
                str(_l("Revenue per customer per year")),
                sql.money(per_customer) if per_customer is not None else None,
                "money",
            ),
            Figure(str(_l("Gross margin")), sql.one_decimal(margin), "percent"),
            Figure(str(_l("Annual churn rate")), sql.percent(before - kept, before), "percent"),
            Figure(
                str(_l("Lifetime value")),
                value,
                "money",
                hint=str(_l("revenue per year × margin ÷ churn")),
            ),
            Figure(str(_l("Observed value after 12 months")), observed, "money"),
        ],  # fmt: skip
        chart=Chart("line", "cohort", tuple(f"m{months}" for months in HORIZONS)),
        notes=notes,
        currency=currency,
    )
