"""The pipeline: moving deals between stages (recorded, refused when stale or lost without a
reason), time in each stage, the board's columns and totals, and who sees which deals."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Opportunity, OpportunityStage, StageChange
from app.permissions import PermissionDenied
from app.services import opportunities, pipeline
from app.services.validation import RecordInvalid, StaleRecord
from tests.factories import make_customer, make_opportunity, make_team, make_user

S = OpportunityStage


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita Rep")


def test_a_move_is_recorded_and_the_probability_follows(rep):
    deal = make_opportunity(rep, amount="1000")
    change = pipeline.move_stage(deal, rep, "PROPOSAL", deal.version)
    db.session.commit()
    assert (change.from_stage, change.to_stage, change.changed_by_id) == (
        S.PROSPECTING, S.PROPOSAL, rep.id
    )  # fmt: skip
    assert deal.stage is S.PROPOSAL and deal.probability == 50 and deal.closed_at is None
    assert deal.stage_changed_at == change.changed_at and deal.version == 3


def test_closing_sets_closed_at_and_reopening_clears_it(rep):
    deal = make_opportunity(rep)
    pipeline.move_stage(deal, rep, S.CLOSED_WON, deal.version)
    assert deal.closed_at is not None and deal.probability == 100
    pipeline.move_stage(deal, rep, S.NEGOTIATION, deal.version)
    assert deal.closed_at is None and deal.probability == 75


def test_a_manual_probability_stays(rep):
    deal = make_opportunity(rep, probability="33")
    pipeline.move_stage(deal, rep, S.PROPOSAL, deal.version)
    assert deal.probability == 33


def test_a_lost_deal_needs_a_reason(rep):
    deal = make_opportunity(rep)
    with pytest.raises(RecordInvalid) as refused:
        pipeline.move_stage(deal, rep, S.CLOSED_LOST, deal.version, loss_reason="  ")
    assert refused.value.errors == {"loss_reason": "Say why the deal was lost."}
    pipeline.move_stage(deal, rep, S.CLOSED_LOST, deal.version, loss_reason="Price")
    assert deal.loss_reason == "Price" and deal.probability == 0


def test_a_stale_version_is_refused_with_who_and_when(rep):
    deal = make_opportunity(rep)
    seen = deal.version
    manager = make_user(Role.ADMIN, name="Mia Manager")
    pipeline.move_stage(deal, manager, S.QUALIFICATION, seen)
    db.session.commit()
    with pytest.raises(StaleRecord) as refused:
        pipeline.move_stage(deal, rep, S.PROPOSAL, seen)
    assert "Mia Manager changed" in refused.value.message and deal.name in refused.value.message
    assert refused.value.current_version == deal.version
    assert deal.stage is S.QUALIFICATION


def test_a_concurrent_write_after_the_check_is_refused_too(rep):
    deal = make_opportunity(rep)
    seen = deal.version
    # Another session moves the deal between our read and our write.
    db.session.execute(
        sa.update(Opportunity).where(Opportunity.id == deal.id).values(version=seen + 1)
    )
    with pytest.raises(StaleRecord):
        pipeline.move_stage(deal, rep, S.PROPOSAL, seen)
    db.session.rollback()
    assert db.session.get(Opportunity, deal.id).stage is S.PROSPECTING


def test_an_update_checks_the_version_and_the_fields(rep):
    deal = make_opportunity(rep, amount="10")
    opportunities.update_opportunity(deal, rep, deal.version, amount="20.50", next_step="Call")
    assert deal.amount == Decimal("20.50") and deal.next_step == "Call"
    with pytest.raises(StaleRecord):
        opportunities.update_opportunity(deal, rep, deal.version - 1, amount="1")
    with pytest.raises(RecordInvalid) as refused:
        opportunities.update_opportunity(deal, rep, deal.version, name="", amount="x")
    assert set(refused.value.errors) == {"name", "amount"}


def test_support_cannot_edit_and_a_rep_cannot_touch_anothers_deal(rep):
    deal = make_opportunity(rep)
    for user in (make_user(Role.SUPPORT), make_user(Role.SALES)):
        with pytest.raises(PermissionDenied):
            pipeline.move_stage(deal, user, S.PROPOSAL, deal.version)
        with pytest.raises(PermissionDenied):
            opportunities.update_opportunity(deal, user, deal.version, name="Mine")


def test_time_in_stages_runs_from_one_change_to_the_next(rep):
    deal = make_opportunity(rep)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    first = db.session.scalar(sa.select(StageChange).filter_by(opportunity_id=deal.id))
    first.changed_at = start
    db.session.add(
        StageChange(
            opportunity_id=deal.id, from_stage=S.PROSPECTING, to_stage=S.PROPOSAL,
            changed_at=start + timedelta(days=3),
        )
    )  # fmt: skip
    db.session.flush()
    spans = pipeline.time_in_stages(deal, now=start + timedelta(days=10))
    assert [(s.stage, s.duration.days) for s in spans] == [(S.PROSPECTING, 3), (S.PROPOSAL, 7)]
    assert spans[-1].left_at is None


def test_the_board_sums_amounts_and_weighted_amounts(rep):
    customer = make_customer(rep)
    for amount, stage in (("1000", "PROPOSAL"), ("250.50", "PROPOSAL"), ("400", "NEGOTIATION")):
        make_opportunity(rep, customer, amount=amount, stage=stage)
    make_opportunity(rep, customer, amount="100", stage="PROPOSAL", probability="10")
    columns = {
        c.stage: c
        for c in pipeline.board(rep, opportunities.default_pipeline(), pipeline.BoardFilters())
    }
    proposal = columns[S.PROPOSAL]
    assert (proposal.count, proposal.amount, proposal.weighted) == (
        3, Decimal("1350.50"), Decimal("635.25")
    )  # fmt: skip
    assert (columns[S.NEGOTIATION].amount, columns[S.NEGOTIATION].weighted) == (
        Decimal("400.00"), Decimal("300.00")
    )  # fmt: skip
    assert columns[S.PROSPECTING].count == 0 and list(columns) == list(S)
    assert [card.opportunity.amount for card in proposal.cards] == [
        Decimal("1000.00"), Decimal("250.50"), Decimal("100.00")
    ]  # fmt: skip


def test_a_rep_sees_only_their_own_deals_on_the_board(rep):
    make_opportunity(rep, name="Mine", amount="10")
    make_opportunity(make_user(Role.SALES), name="Theirs", amount="99")
    column = pipeline.board(rep, opportunities.default_pipeline(), pipeline.BoardFilters())[0]
    assert [card.opportunity.name for card in column.cards] == ["Mine"]
    assert column.amount == Decimal("10.00")


def test_board_filters_narrow_cards_and_totals(rep):
    team = make_team()
    teammate = make_user(Role.SALES, team=team)
    admin = make_user(Role.ADMIN)
    make_opportunity(rep, name="Soon small", amount="10", expected_close_date=date(2026, 1, 5))
    make_opportunity(rep, name="Late big", amount="900", expected_close_date=date(2026, 6, 1))
    make_opportunity(teammate, name="Team deal", amount="50")
    board = opportunities.default_pipeline()

    def names(**args):
        filters = pipeline.BoardFilters.from_args(args)
        return sorted(c.opportunity.name for c in pipeline.board(admin, board, filters)[0].cards)

    assert names(close_from="2026-01-01", close_to="2026-02-01") == ["Soon small"]
    assert names(amount_min="100") == ["Late big"]
    assert names(amount_max="60", owner_id=str(rep.id)) == ["Soon small"]
    assert names(team_id=str(team.id)) == ["Team deal"]
    assert names(amount_min="not a number") == ["Late big", "Soon small", "Team deal"]


def test_stage_probabilities_are_kept_by_managers_and_followed_by_deals(rep):
    deal = make_opportunity(rep, stage="PROPOSAL")
    manual = make_opportunity(rep, stage="PROPOSAL", probability="5")
    board = opportunities.default_pipeline()
    with pytest.raises(PermissionDenied):
        pipeline.set_probabilities(rep, board, {"PROPOSAL": 60})
    manager = make_user(Role.MANAGER)
    with pytest.raises(RecordInvalid):
        pipeline.set_probabilities(manager, board, {"PROPOSAL": 160})
    pipeline.set_probabilities(manager, board, {"PROPOSAL": 60})
    db.session.commit()
    db.session.refresh(deal)
    db.session.refresh(manual)
    assert (deal.probability, manual.probability) == (60, 5)


def test_pipelines_are_created_and_renamed_with_unique_names():
    manager = make_user(Role.MANAGER)
    renewals = pipeline.create_pipeline(manager, "Renewals")
    assert [s.stage for s in renewals.stages] == list(S)
    with pytest.raises(RecordInvalid):
        pipeline.create_pipeline(manager, "renewals")
    pipeline.rename_pipeline(manager, renewals, "Upsell")
    assert [p.name for p in pipeline.pipelines()][-1] == "Upsell"


def test_deleting_a_deal_removes_its_history(rep):
    deal = make_opportunity(rep)
    opportunities.delete_opportunity(deal, rep)
    assert db.session.scalar(sa.select(sa.func.count(StageChange.id))) == 0


def test_closed_columns_show_recent_deals_unless_asked_for_more(rep):
    board = opportunities.default_pipeline()
    for name, days_ago in (("Won last week", 7), ("Won last spring", 200), ("Won long ago", 800)):
        deal = make_opportunity(rep, name=name, amount="100")
        pipeline.move_stage(deal, rep, "CLOSED_WON", deal.version)
        deal.closed_at = datetime.now(UTC) - timedelta(days=days_ago)
    make_opportunity(rep, name="Still open", amount="5")
    db.session.commit()

    def won(**args):
        columns = pipeline.board(rep, board, pipeline.BoardFilters.from_args(args))
        column = next(c for c in columns if c.stage is S.CLOSED_WON)
        return sorted(card.opportunity.name for card in column.cards), column.count

    assert won() == (["Won last week"], 1)  # 90 days by default
    assert won(closed_days="365") == (["Won last spring", "Won last week"], 2)
    assert won(closed_days="0")[1] == 3
    assert won(closed_days="12345") == (["Won last week"], 1)  # not a choice: the default
    open_column = pipeline.board(rep, board, pipeline.BoardFilters())[0]
    assert [card.opportunity.name for card in open_column.cards] == ["Still open"]


def test_a_deal_keeps_the_furthest_stage_it_reached_and_each_stay(rep):
    deal = make_opportunity(rep)
    assert deal.furthest_stage is S.PROSPECTING
    deal.stage_changed_at -= timedelta(days=2)
    db.session.commit()
    moved = pipeline.move_stage(deal, rep, S.PROPOSAL, deal.version)
    assert 2 * 86400 <= moved.stay_seconds < 2 * 86400 + 60
    back = pipeline.move_stage(deal, rep, S.QUALIFICATION, deal.version)
    assert deal.furthest_stage is S.PROPOSAL and back.stay_seconds < 60
    pipeline.move_stage(deal, rep, S.CLOSED_LOST, deal.version, loss_reason="Budget cut")
    db.session.commit()
    assert deal.furthest_stage is S.PROPOSAL  # lost after reaching the proposal
