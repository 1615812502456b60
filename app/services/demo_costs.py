"""Demo monthly sales costs for the customer acquisition cost report: for each of the last
36 months, a salary base per sales rep plus commissions of about 8 % of the month's order
revenue, with some noise. Added last, so the rest of the demo data is what it was."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.analytics import SalesCost
from app.models.identity import Role
from app.models.orders import Order
from app.services.orders import net_amount_column, revenue_clause
from app.services.targets import last_months

SALARY_PER_REP = Decimal(4_000)
COMMISSION = Decimal("0.08")


def seed_sales_costs(ctx) -> dict:
    currency = current_app.config["DEFAULT_CURRENCY"]
    reps = sum(1 for user in ctx.staff if user.role is Role.SALES)
    months = last_months(datetime.now(UTC).date(), 36)
    rows = []
    for month in months:
        revenue = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(net_amount_column()), 0)).where(
                revenue_clause(), Order.order_date >= month.start, Order.order_date < month.end
            )
        )
        noise = Decimal(str(round(ctx.rng.uniform(0.9, 1.1), 3)))
        amount = (reps * SALARY_PER_REP + Decimal(revenue) * COMMISSION) * noise
        rows.append(
            {
                "month": month.start,
                "amount": amount.quantize(Decimal("1")),
                "currency": currency,
                "note": "Salaries and commissions (demo)",
            }
        )
    db.session.execute(sa.insert(SalesCost.__table__), rows)
    return {"sales_costs": len(rows)}
