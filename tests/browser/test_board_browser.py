"""A rep, in a real browser, drags a deal across the board: each drop is saved with the
card's version and both columns' totals follow; a drop on "Closed lost" asks why first."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Opportunity, OpportunityStage
from tests.browser_fixtures import drag
from tests.factories import PASSWORD, make_opportunity, make_user

pytestmark = pytest.mark.browser


def _stage(deal_id: int) -> OpportunityStage:
    db.session.expire_all()
    return db.session.scalar(sa.select(Opportunity.stage).where(Opportunity.id == deal_id))


def test_a_rep_drags_a_deal_across_two_stages(page):
    rep = make_user(Role.SALES, email="rita.board@example.com", name="Rita")
    deal = make_opportunity(rep, name="Acme renewal", amount="1000")
    page.goto("/login")
    page.fill("#email", "rita.board@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    page.goto("/pipeline")
    page.wait_for_function("document.querySelector('.board-cards[data-sortable]') !== null")

    drag(page, f"#deal-{deal.id} .board-card-customer", "#stage-qualification .board-cards")
    page.locator("#stage-header-qualification .board-count", has_text="1").wait_for()
    page.locator("#stage-header-prospecting .board-count", has_text="0").wait_for()
    assert _stage(deal.id) is OpportunityStage.QUALIFICATION
    assert "200.00" in page.inner_text("#stage-header-qualification")

    drag(page, f"#deal-{deal.id} .board-card-customer", "#stage-proposal .board-cards")
    page.locator("#stage-header-proposal .board-count", has_text="1").wait_for()
    assert _stage(deal.id) is OpportunityStage.PROPOSAL
    assert page.locator(f"#stage-proposal #deal-{deal.id}").count() == 1

    drag(page, f"#deal-{deal.id} .board-card-customer", "#stage-closed_lost .board-cards")
    page.wait_for_selector("#stage-dialog >> text=Why was the deal lost?")
    assert _stage(deal.id) is OpportunityStage.PROPOSAL
    page.fill("#loss_reason", "Chose a competitor")
    page.click("#confirm-lost")
    page.locator("#stage-header-closed_lost .board-count", has_text="1").wait_for()
    page.wait_for_selector("#stage-dialog", state="detached")
    assert _stage(deal.id) is OpportunityStage.CLOSED_LOST
