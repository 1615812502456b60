"""`flask rapport seed` fills marketing: bilingual templates, three years of campaigns whose
results agree with their recipient rows, consent with its evidence for every address that
may be emailed, attributed leads and deals, and behaviour events."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    ConsentRecord,
    EmailPreference,
    EmailTemplate,
    EventKind,
    MarketingEvent,
    RecipientStatus,
    SendState,
)
from app.models.sales import Lead, Opportunity
from app.services import demo, merge_fields


@pytest.fixture
def seeded():
    summary = demo.seed(seed=5, scale="small", admin_password="a long admin password")
    db.session.commit()
    return summary


def _count(statement) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))


def test_campaigns_span_three_years_in_every_state(seeded):
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.start_date)).all()
    assert len(campaigns) == seeded["campaigns"] == 24
    today = datetime.now(UTC).date()
    assert (today - campaigns[0].start_date).days >= 3 * 365 - 1
    assert {c.status for c in campaigns} >= {CampaignStatus.COMPLETED, CampaignStatus.PLANNING}
    for campaign in campaigns:
        assert campaign.end_date >= campaign.start_date
        if campaign.status is CampaignStatus.PLANNING:
            assert campaign.start_date > today and campaign.actual_cost == 0
        if campaign.send_state is SendState.SENT:
            assert campaign.segment_id and campaign.template_id


def test_every_recipient_was_allowed_to_be_emailed_and_results_are_consistent(seeded):
    assert _count(sa.select(CampaignRecipient.id)) == seeded["campaign_recipients"] > 300
    unconsented = sa.select(CampaignRecipient.id).outerjoin(
        EmailPreference, EmailPreference.email == CampaignRecipient.email
    )
    assert _count(unconsented.where(EmailPreference.consent.is_not(True))) == 0
    rows = db.session.scalars(sa.select(CampaignRecipient)).all()
    assert all(r.status is RecipientStatus.SENT and r.message_id for r in rows)
    assert all(r.opened_at is not None for r in rows if r.clicked_at is not None)
    assert all(r.opened_at is None for r in rows if r.bounced_at is not None)
    opened = sum(r.opened_at is not None for r in rows)
    assert 0.1 < opened / len(rows) < 0.45
    # One open event per opened recipient, one click event per click.
    opens = sa.select(MarketingEvent.id).where(MarketingEvent.kind == EventKind.EMAIL_OPEN)
    assert _count(opens) == opened


def test_each_address_with_consent_has_its_evidence(seeded):
    consented = db.session.scalars(
        sa.select(EmailPreference.email).where(EmailPreference.consent.is_(True))
    ).all()
    assert len(consented) > 0
    evidence = set(
        db.session.scalars(
            sa.select(ConsentRecord.email).where(ConsentRecord.granted.is_(True))
        ).all()
    )
    assert set(consented) <= evidence
    unsubscribed = db.session.scalars(
        sa.select(EmailPreference).where(EmailPreference.unsubscribed_at.is_not(None))
    ).all()
    assert all(not pref.consent for pref in unsubscribed)


def test_templates_use_only_allowlisted_merge_fields(seeded):
    for template in db.session.scalars(sa.select(EmailTemplate)):
        for part in (
            template.subject,
            template.html_body,
            template.subject_zh,
            template.html_body_zh,
        ):
            assert merge_fields.problems(part) == [], (template.name, part)
        assert template.subject_zh and template.html_body_zh


def test_leads_deals_and_behaviour_are_attributed(seeded):
    attributed = sa.select(Lead.id).where(Lead.campaign_id.is_not(None))
    assert _count(attributed) == seeded["attributed_leads"] > 0
    assert _count(attributed.where(Lead.utm_campaign == "")) == 0
    deals = sa.select(Opportunity.id).where(Opportunity.campaign_id.is_not(None))
    assert _count(deals) == seeded["attributed_opportunities"] > 0
    visits = sa.select(MarketingEvent.id).where(MarketingEvent.kind == EventKind.VISIT)
    assert _count(visits) > 1_000
    assert seeded["marketing_events"] == _count(sa.select(MarketingEvent.id))
