"""Demo opportunities for `flask rapport seed`: deals at the seeded customers over the last
three years, each with the stage history that brought it where it is (older deals mostly
closed, won or lost with a reason; recent ones spread over the open stages).

Like the customers, bulk rows go in with SQLAlchemy Core executemany in chunks and are not
audited one by one (see app.services.demo_customers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.customers import Customer
from app.models.sales import Opportunity, OpportunityStage, StageChange
from app.services.demo_customers import _insert, _next_id, _sync_sequences
from app.services.opportunities import default_pipeline, stage_probability
from app.services.search import normalise

if TYPE_CHECKING:
    from app.services.demo import SeedContext

YEARS = 3
OPEN_STAGES = [
    OpportunityStage.PROSPECTING,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
]
PRODUCTS = ["ERP rollout", "CRM licences", "Support renewal", "Cloud migration", "Training",
            "年度維護合約", "系統整合", "資安稽核", "Data platform", "POS terminals"]  # fmt: skip
LOSS_REASONS = [
    "Price",
    "Went with a competitor",
    "No budget",
    "Timing",
    "預算不足",
    "選擇競爭對手",
]
COMPETITORS = ["", "", "SAP", "Oracle", "Salesforce", "鼎新", "Odoo"]
NEXT_STEPS = ["", "Send proposal", "Demo for IT", "安排簡報", "Negotiate terms", "Call CFO"]


def _path(rng, age_days: int) -> list[OpportunityStage]:
    """The stages a deal went through: older deals got further, and most closed."""
    if age_days > 120 and rng.random() < 0.85:
        steps = rng.randint(1, 4)
        final = OpportunityStage.CLOSED_WON if rng.random() < 0.4 else OpportunityStage.CLOSED_LOST
        return [*OPEN_STAGES[:steps], final]
    return OPEN_STAGES[: rng.randint(1, 4)]


def _rows(ctx: SeedContext, first_id: int, customers: list, pipeline, now: datetime):
    """(opportunity rows, stage change rows), generated together, one deal at a time."""
    rng = ctx.rng
    currency = current_app.config["DEFAULT_CURRENCY"]
    for n in range(ctx.size["opportunities"]):
        customer_id, owner_id, customer_name = rng.choice(customers)
        created = now - timedelta(seconds=rng.randrange(YEARS * 365 * 86_400))
        path = _path(rng, (now - created).days)
        moments = [created]
        for _ in path[1:]:
            moments.append(min(now, moments[-1] + timedelta(days=rng.randint(2, 40))))
        stage = path[-1]
        name = f"{customer_name[:60]} – {rng.choice(PRODUCTS)}"
        amount = Decimal(rng.randrange(5, 5_000) * 100) + Decimal(rng.choice([0, 50])) / 100
        close = created.date() + timedelta(days=rng.randint(30, 240))
        deal_id = first_id + n
        changes = [
            {
                "opportunity_id": deal_id,
                "from_stage": path[i - 1] if i else None,
                "to_stage": step,
                "changed_at": moments[i],
                "stay_seconds": int((moments[i] - moments[i - 1]).total_seconds()) if i else None,
                "changed_by_id": owner_id,
            }
            for i, step in enumerate(path)
        ]
        deal = {
            "id": deal_id,
            "name": name,
            "customer_id": customer_id,
            "pipeline_id": pipeline.id,
            "stage": stage,
            "amount": amount,
            "currency": currency,
            "probability": stage_probability(pipeline, stage),
            "probability_is_manual": False,
            "expected_close_date": moments[-1].date() if stage.is_closed else close,
            "closed_at": moments[-1] if stage.is_closed else None,
            "stage_changed_at": moments[-1],
            "furthest_stage": max(path, key=lambda step: step.depth)
            if any(step.depth for step in path)
            else None,
            "loss_reason": rng.choice(LOSS_REASONS)
            if stage is OpportunityStage.CLOSED_LOST
            else "",
            "competitors": rng.choice(COMPETITORS),
            "next_step": "" if stage.is_closed else rng.choice(NEXT_STEPS),
            "description": "",
            "owner_id": owner_id,
            "created_by_id": owner_id,
            "updated_by_id": owner_id,
            "created_at": created,
            "updated_at": moments[-1],
            "custom": {},
            "version": len(path),
            "search_text": normalise(name, customer_name),
        }
        yield deal, changes


def seed_opportunities(ctx: SeedContext) -> dict:
    """Deals with their stage histories at the customers seeded before."""
    pipeline = default_pipeline()
    customers = list(
        db.session.execute(
            sa.select(Customer.id, Customer.owner_id, Customer.name).order_by(Customer.id)
        ).tuples()
    )
    if not customers or not ctx.size.get("opportunities"):
        return {"opportunities": 0, "stage_changes": 0}
    now = datetime.now(UTC).replace(microsecond=0)
    deals, changes = [], []
    deal_count = change_count = 0
    for deal, history in _rows(ctx, _next_id(Opportunity), customers, pipeline, now):
        deals.append(deal)
        changes += history
        if len(deals) >= 5_000:
            deal_count += _insert(Opportunity.__table__, deals)
            change_count += _insert(StageChange.__table__, changes)
            deals, changes = [], []
    deal_count += _insert(Opportunity.__table__, deals)
    change_count += _insert(StageChange.__table__, changes)
    _sync_sequences(Opportunity)
    return {"opportunities": deal_count, "stage_changes": change_count}
