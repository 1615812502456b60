"""`flask rapport seed` fills the pipeline: deals at the seeded customers over three years,
each with the stage history that brought it to its stage, and a board that adds up."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role, User
from app.models.sales import Opportunity, OpportunityStage, StageChange
from app.services import demo, opportunities, pipeline, search


def test_the_small_seed_has_deals_with_stage_histories_over_three_years():
    summary = demo.seed(seed=7, scale="small", admin_password="a long admin password")
    db.session.commit()
    assert summary["opportunities"] == 120 and summary["stage_changes"] >= 120
    deals = db.session.scalars(sa.select(Opportunity)).all()
    assert {deal.stage for deal in deals} == set(OpportunityStage)
    oldest = min(deal.created_at for deal in deals)
    assert datetime.now(UTC) - timedelta(days=3 * 365 + 1) < oldest
    assert oldest < datetime.now(UTC) - timedelta(days=2 * 365)
    for deal in deals:
        changes = db.session.scalars(
            sa.select(StageChange).filter_by(opportunity_id=deal.id).order_by(StageChange.id)
        ).all()
        assert changes[0].from_stage is None and changes[-1].to_stage is deal.stage
        assert (deal.closed_at is not None) == deal.stage.is_closed
        assert bool(deal.loss_reason) == (deal.stage is OpportunityStage.CLOSED_LOST)
        assert deal.version == len(changes)
    assert all(
        deal.search_text == search.normalise(deal.name) or deal.search_text for deal in deals
    )
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    every_deal = pipeline.BoardFilters(closed_days=0)
    columns = pipeline.board(admin, opportunities.default_pipeline(), every_deal)
    assert sum(column.count for column in columns) == 120
    # A seeded deal moves like any other: the stored version is the one to send.
    deal = next(d for d in deals if not d.stage.is_closed)
    target = (
        OpportunityStage.PROPOSAL
        if deal.stage is OpportunityStage.NEGOTIATION
        else OpportunityStage.NEGOTIATION
    )
    assert pipeline.move_stage(deal, admin, target, deal.version).to_stage is target
