"""The churn rate by month: customers active at the start of each month, the new and
returned ones, the lost ones (see app.services.reports.customer_value for when a customer
is active and when it is lost). Counted in SQL from each customer's distinct order months
and the ones before and after them (window functions), whatever the number of orders."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.orders import Order
from app.services import targets
from app.services.reports import sql
from app.services.reports.customer_value import (
    customer_filters,
    month_number,
    month_of,
    orders_of,
)
from app.services.reports.results import Chart, Column, Figure, Result

KINDS = ("active", "new", "returned", "churned")


def _month_events(customers: list, filters, first: int, last: int) -> dict:
    """Counts by kind ("active" before `first`, "new", "returned", "churned") and month
    number, from each customer's distinct order months and the ones before and after."""
    number = month_number(Order.order_date)
    months = (
        orders_of(
            [*customers, Order.order_date < filters.end], Order.customer_id, number.label("m")
        )
        .distinct()
        .subquery()
    )
    window = {"partition_by": months.c.customer_id, "order_by": months.c.m}
    seq = sa.select(
        months.c.customer_id,
        months.c.m,
        sa.func.lag(months.c.m).over(**window).label("prev"),
        sa.func.lead(months.c.m).over(**window).label("next"),
    ).cte("order_months")  # read four times below: computed once
    churn_month = seq.c.m + 12
    kinds = {name: sa.literal_column(f"'{name}'") for name in KINDS}
    query = sa.union_all(
        sa.select(kinds["active"], sa.literal_column(str(first)), sa.func.count()).where(
            seq.c.m >= first - 12, seq.c.m < first
        ),
        sa.select(kinds["new"], seq.c.m, sa.func.count())
        .where(seq.c.prev.is_(None), seq.c.m.between(first, last))
        .group_by(seq.c.m),
        sa.select(kinds["returned"], seq.c.m, sa.func.count())
        .where(seq.c.m - seq.c.prev > 12, seq.c.m.between(first, last))
        .group_by(seq.c.m),
        sa.select(kinds["churned"], churn_month, sa.func.count())
        .where(
            sa.or_(seq.c.next.is_(None), seq.c.next - seq.c.m > 12),
            churn_month.between(first, last),
        )
        .group_by(churn_month),
    )
    return {(kind, int(month)): count for kind, month, count in db.session.execute(query)}


def churn_rate(filters, actor) -> Result:
    today = targets.today()
    first = filters.start.year * 12 + filters.start.month - 1
    last = min(filters.last_day.year * 12 + filters.last_day.month - 1,
               today.year * 12 + today.month - 1)  # fmt: skip
    rows, notes = [], []
    events = {}
    if first <= last:
        events = _month_events(customer_filters(filters, actor), filters, first, last)
    active = events.get(("active", first), 0)
    for number in range(first, last + 1):
        row = {
            "month": month_of(number),
            "active": active,
            "new": events.get(("new", number), 0),
            "returned": events.get(("returned", number), 0),
            "churned": events.get(("churned", number), 0),
        }
        row["rate"] = sql.percent(row["churned"], active)
        active += row["new"] + row["returned"] - row["churned"]
        rows.append(row)
    if rows and rows[-1]["month"] == today.replace(day=1):
        notes.append(
            gettext(
                "%(month)s is not over: customers counted as lost in it are kept if they order "
                "before it ends.",
                month=format_date(rows[-1]["month"], "MMM y"),
            )
        )
    churned = sum(row["churned"] for row in rows)
    return Result(
        columns=[
            Column("month", str(_l("Month")), "month"),
            Column("active", str(_l("Active at the start")), "count"),
            Column("new", str(_l("New")), "count"),
            Column("returned", str(_l("Returned")), "count"),
            Column("churned", str(_l("Lost")), "count"),
            Column("rate", str(_l("Churn rate")), "percent"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Customers lost")), churned),
            Figure(
                str(_l("Monthly churn rate")),
                sql.percent(churned, sum(row["active"] for row in rows)),
                "percent",
                hint=str(_l("lost ÷ active at the start of each month")),
            ),
            Figure(str(_l("Active at the end")), active if rows else None),
        ],
        chart=Chart("line", "month", ("rate",)),
        notes=notes,
    )
