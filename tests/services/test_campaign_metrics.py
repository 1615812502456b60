"""A campaign's figures, computed by hand: the email funnel from recipient rows in known
states, leads and deals attributed to it, won revenue in the campaign's currency only, ROI
and cost per lead; in three queries whatever the number of campaigns."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import CampaignRecipient, RecipientStatus
from app.models.sales import LeadStatus
from app.services import campaign_metrics
from tests.factories import make_lead, make_opportunity, make_user
from tests.marketing_factories import make_campaign

S = RecipientStatus


def _recipients(campaign, rows) -> None:
    """(status, opened, clicked, bounced, unsubscribed) for each row, inserted directly."""
    now = utcnow()
    for n, (status, opened, clicked, bounced, unsubscribed) in enumerate(rows):
        db.session.add(
            CampaignRecipient(
                campaign_id=campaign.id,
                email=f"person{n}@example.com",
                status=status,
                opened_at=now if opened else None,
                open_count=2 if opened else 0,
                clicked_at=now if clicked else None,
                click_count=3 if clicked else 0,
                bounced_at=now if bounced else None,
                unsubscribed_at=now if unsubscribed else None,
            )
        )
    db.session.commit()


TEN_ROWS = [
    (S.SENT, True, True, False, False),
    (S.SENT, True, True, False, True),
    (S.SENT, True, False, False, False),
    (S.SENT, True, False, False, False),
    (S.SENT, False, False, False, False),
    (S.SENT, False, False, True, False),
    (S.SENT, False, False, False, False),
    (S.SKIPPED, False, False, False, False),
    (S.FAILED, False, False, False, False),
    (S.UNKNOWN, False, False, False, False),
]


def _attribute(record, campaign) -> None:
    record.campaign_id = campaign.id
    db.session.commit()


@pytest.fixture
def counted():
    """A campaign with 10 recipient rows, 3 leads (1 converted) and 2 deals (one won)."""
    marketer, rep = make_user(Role.MARKETING), make_user(Role.SALES)
    campaign = make_campaign(marketer, currency="USD", actual_cost=D("250.00"))
    _recipients(campaign, TEN_ROWS)
    for n in range(3):
        lead = make_lead(rep, last_name=f"Lead {n}")
        if n == 0:
            lead.status = LeadStatus.CONVERTED
        _attribute(lead, campaign)
    make_lead(rep, last_name="Not from the campaign")
    won = make_opportunity(rep, currency="USD", amount="1000.00", stage="CLOSED_WON")
    open_deal = make_opportunity(rep, currency="USD", amount="400.00", stage="PROPOSAL")
    for deal in (won, open_deal):
        _attribute(deal, campaign)
    return campaign


def test_the_funnel_and_money_figures_match_a_hand_count(counted):
    m = campaign_metrics.metrics(counted)
    assert (m.recipients, m.sent, m.bounced, m.delivered) == (10, 7, 1, 6)
    assert (m.opened, m.clicked, m.unsubscribed) == (4, 2, 1)
    assert (m.skipped, m.failed, m.unknown) == (1, 1, 1)
    assert (m.open_rate, m.click_rate, m.click_to_open) == (D("0.6667"), D("0.3333"), D("0.5"))
    assert m.bounce_rate == D("0.1429")
    assert (m.leads, m.converted_leads, m.lead_conversion_rate) == (3, 1, D("0.3333"))
    assert (m.opportunities, m.won_opportunities) == (2, 1)
    assert (m.won_revenue, m.pipeline, m.cost) == (D("1000.00"), D("400.00"), D("250.00"))
    assert m.roi == 3  # (1000 - 250) / 250
    assert m.cost_per_lead == D("83.33")
    assert m.other_currencies == []


def test_a_campaign_that_cost_nothing_has_no_roi_and_no_rates_without_deliveries():
    campaign = make_campaign(make_user(Role.MARKETING), currency="USD")
    m = campaign_metrics.metrics(campaign)
    assert (m.roi, m.cost_per_lead, m.open_rate, m.click_to_open) == (None, None, None, None)
    assert (m.sent, m.delivered, m.won_revenue) == (0, 0, D("0.00"))


def test_won_deals_in_other_currencies_are_listed_apart_never_added(counted):
    rep = make_user(Role.SALES)
    for amount, stage in (("9000.00", "CLOSED_WON"), ("50.00", "CLOSED_LOST")):
        deal = make_opportunity(rep, currency="TWD", amount=amount, stage=stage)
        _attribute(deal, counted)
    m = campaign_metrics.metrics(counted)
    assert (m.won_revenue, m.roi, m.opportunities, m.won_opportunities) == (
        D("1000.00"),
        3,
        4,
        2,
    )
    assert m.other_currencies == [
        campaign_metrics.CurrencyTotals("TWD", 2, 1, D("9000.00"), D("0.00"))
    ]


def test_a_loss_gives_a_negative_roi():
    campaign = make_campaign(make_user(Role.MARKETING), currency="USD", actual_cost=D("400"))
    deal = make_opportunity(make_user(Role.SALES), currency="USD", amount="100", stage="CLOSED_WON")
    _attribute(deal, campaign)
    assert campaign_metrics.metrics(campaign).roi == D("-0.75")


def test_a_page_of_campaigns_costs_three_queries(counted):
    others = [make_campaign(None, currency="USD") for _ in range(5)]
    for campaign in (counted, *others):
        db.session.refresh(campaign)  # loaded, as a list page's rows are
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        figures = campaign_metrics.metrics_for([counted, *others])
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len(statements) == 3
    assert figures[counted.id].sent == 7 and figures[others[0].id].sent == 0


def test_attributed_leads_and_deals_are_the_latest_the_reader_may_see(counted):
    leads = campaign_metrics.attributed_leads(make_user(Role.ADMIN), counted)
    assert [lead.last_name for lead in leads] == ["Lead 2", "Lead 1", "Lead 0"]
    stranger = make_user(Role.SALES)
    assert campaign_metrics.attributed_leads(stranger, counted) == []
    assert campaign_metrics.attributed_deals(stranger, counted) == []
    assert len(campaign_metrics.attributed_deals(make_user(Role.ADMIN), counted)) == 2


def test_every_figure_has_a_definition():
    terms = [str(term) for term, _ in campaign_metrics.definitions()]
    for figure in ("Sent", "Delivered", "Bounced", "Opened", "Clicked", "Leads", "ROI"):
        assert figure in terms
