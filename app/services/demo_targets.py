"""Demo sales targets: a monthly quota for every sales rep and a quarterly one for every
sales team, over the last twelve months and the next three, sized from what each rep won
in the past year (so the dashboard's "won against target" has something to compare)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.identity import Role
from app.models.orders import SalesTarget, TargetPeriod
from app.models.sales import Opportunity, OpportunityStage
from app.services.targets import last_months, quarter_of

FLOOR = Decimal(20_000)  # a rep with no history still gets a quota


def seed_targets(ctx) -> dict:
    now = datetime.now(UTC)
    currency = current_app.config["DEFAULT_CURRENCY"]
    won_last_year = dict(
        db.session.execute(
            sa.select(Opportunity.owner_id, sa.func.sum(Opportunity.amount))
            .where(
                Opportunity.stage == OpportunityStage.CLOSED_WON,
                Opportunity.closed_at >= now - timedelta(days=365),
                Opportunity.currency == currency,
            )
            .group_by(Opportunity.owner_id)
        ).all()
    )
    reps = [user for user in ctx.staff if user.role is Role.SALES]
    months = last_months((now + timedelta(days=93)).date(), 15)
    rows, team_monthly, team_months = [], {}, {}
    for rep in sorted(reps, key=lambda user: user.id):
        base = max(FLOOR, Decimal(won_last_year.get(rep.id) or 0) / 12)
        for month in months:
            amount = (base * Decimal(ctx.rng.uniform(0.9, 1.3)) / 1000).quantize(1) * 1000
            rows.append(_row(rep.id, None, TargetPeriod.MONTH, month.start, amount, currency))
            if rep.team_id is not None:
                quarter = quarter_of(month.start).start
                key = (rep.team_id, quarter)
                team_monthly[key] = team_monthly.get(key, Decimal(0)) + amount
                team_months.setdefault(key, set()).add(month.start)
    for (team_id, quarter), amount in sorted(team_monthly.items()):
        if len(team_months[(team_id, quarter)]) == 3:  # whole quarters only
            rows.append(_row(None, team_id, TargetPeriod.QUARTER, quarter, amount, currency))
    if rows:
        db.session.execute(sa.insert(SalesTarget.__table__), rows)
    return {"sales_targets": len(rows)}


def _row(user_id, team_id, period, start, amount, currency) -> dict:
    return {
        "user_id": user_id,
        "team_id": team_id,
        "period": period.name,
        "period_start": start,
        "amount": amount,
        "currency": currency,
    }
