"""Campaigns: the field rules with their messages, status changes, who may plan and change
campaigns, deleting only campaigns that never sent email, the list's filters, and the
attribution of leads (web form) and of the deals converted from them."""

from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignType,
    RecipientStatus,
    SendState,
)
from app.models.records import AuditEntry
from app.models.sales import Lead, Opportunity
from app.permissions import PermissionDenied
from app.services import campaign_lists, campaigns, lead_capture, lead_conversion
from app.services.validation import RecordInvalid
from tests.factories import make_lead, make_user
from tests.marketing_factories import make_campaign, make_segment, make_template


def _errors(call, *args, **fields) -> dict:
    with pytest.raises(RecordInvalid) as refused:
        call(*args, **fields)
    return refused.value.errors


def test_a_marketer_plans_a_campaign_with_exact_money_and_it_is_audited(app):
    marketer = make_user(Role.MARKETING)
    segment = make_segment(marketer)
    template = make_template(marketer)
    campaign = campaigns.create_campaign(
        marketer,
        name="  Spring   webinar ",
        type="webinar",
        start_date="2026-03-01",
        end_date=date(2026, 3, 31),
        budget="1200.5",
        actual_cost=250,
        channels=["email", "social:LinkedIn", "WEBINAR"],
        segment_id=str(segment.id),
        template_id=template.id,
        impressions="1500",
    )
    db.session.commit()
    assert campaign.name == "Spring webinar"
    assert (campaign.type, campaign.status) == (CampaignType.WEBINAR, CampaignStatus.PLANNING)
    assert (campaign.budget, campaign.actual_cost, campaign.expected_revenue) == (
        D("1200.50"),
        D("250.00"),
        D("0.00"),
    )
    assert campaign.currency == app.config["DEFAULT_CURRENCY"]
    assert campaign.channels == ["EMAIL", "SOCIAL:linkedin", "WEBINAR"]
    assert (campaign.segment_id, campaign.template_id) == (segment.id, template.id)
    assert (campaign.owner_id, campaign.created_by_id, campaign.impressions) == (
        marketer.id,
        marketer.id,
        1500,
    )
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "campaigns"))
    assert entry.entity_id == str(campaign.id)


def test_without_channels_a_campaign_uses_its_types_own_channel():
    marketer = make_user(Role.MARKETING)
    event = campaigns.create_campaign(marketer, name="Expo", type="EVENT")
    social = campaigns.create_campaign(marketer, name="Posts", type="SOCIAL")
    assert (event.channels, social.channels) == (["EVENT"], [])


def test_every_bad_field_is_reported_at_once_with_a_clear_message():
    marketer = make_user(Role.MARKETING)
    errors = _errors(
        campaigns.create_campaign,
        marketer,
        name=" ",
        type="RADIO",
        start_date="2026-05-02",
        end_date="2026-05-01",
        budget="-1",
        actual_cost="10.005",
        expected_revenue="lots",
        currency="US",
        channels=["EMAIL", "SOCIAL:myspace", "FAX"],
        impressions="-3",
        send_rate="0",
        segment_id=999,
        template_id="x",
    )
    assert errors == {
        "name": "Name the campaign.",
        "type": "Choose one of: email, social, event, webinar, content, sms.",
        "end_date": "The end date cannot be before the start date.",
        "budget": "Enter zero or more.",
        "actual_cost": "Use at most 2 decimals.",
        "expected_revenue": "Enter an amount, like 1200 or 99.50.",
        "currency": "Enter a three-letter currency code, like USD.",
        "channels": "Choose channels from the list: EMAIL, SMS, SOCIAL:linkedin, SOCIAL:facebook, "
        "SOCIAL:x, SOCIAL:instagram, SOCIAL:youtube, EVENT, WEBINAR, CONTENT, ADS, OTHER.",
        "impressions": "Enter a whole number, 0 or more.",
        "send_rate": "Enter messages per minute from 1 to 10000, or leave it empty for the "
        "installation's rate.",
        "segment_id": "Choose a segment you may use.",
        "template_id": "Choose an email template you may use.",
    }
    assert db.session.scalar(sa.select(sa.func.count(Campaign.id))) == 0
    bad_date = _errors(campaigns.create_campaign, marketer, name="X", start_date="31/12/2026")
    assert bad_date == {"start_date": "Enter a date like 2026-12-31."}


def test_an_update_checks_the_end_date_against_the_stored_start_date():
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer, start_date=date(2026, 6, 1))
    errors = _errors(campaigns.update_campaign, campaign, marketer, end_date="2026-05-31")
    assert errors == {"end_date": "The end date cannot be before the start date."}
    campaigns.update_campaign(campaign, marketer, end_date="2026-06-01", currency="eur")
    assert (campaign.end_date, campaign.currency) == (date(2026, 6, 1), "EUR")


def test_status_may_change_freely_except_a_completed_campaign_only_becomes_active():
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer)
    for status in ("ACTIVE", "PAUSED", "PLANNING", "COMPLETED"):
        campaigns.update_campaign(campaign, marketer, status=status)
        assert campaign.status is CampaignStatus(status)
    for refused in ("PLANNING", "PAUSED"):
        errors = _errors(campaigns.update_campaign, campaign, marketer, status=refused)
        assert errors == {
            "status": "A completed campaign can only be made active again, not planning or paused."
        }
    campaigns.update_campaign(campaign, marketer, status=CampaignStatus.ACTIVE)
    assert campaign.status is CampaignStatus.ACTIVE


def test_segments_and_templates_must_exist_and_be_readable_by_the_actor():
    marketer = make_user(Role.MARKETING)
    segment = make_segment(marketer)
    campaign = make_campaign(marketer)
    campaigns.update_campaign(campaign, marketer, segment_id=segment.id, template_id=None)
    assert (campaign.segment_id, campaign.template_id) == (segment.id, None)
    gone = segment.id + 100
    errors = _errors(campaigns.update_campaign, campaign, marketer, segment_id=gone)
    assert errors == {"segment_id": "Choose a segment you may use."}


def test_who_may_plan_change_and_delete_campaigns():
    marketer, other_marketer = make_user(Role.MARKETING), make_user(Role.MARKETING)
    campaign = make_campaign(marketer)
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(make_user(Role.SUPPORT), name="Nope")
    rep = make_user(Role.SALES)
    with pytest.raises(PermissionDenied):
        campaigns.create_campaign(rep, name="Nope")
    with pytest.raises(PermissionDenied):
        campaigns.update_campaign(campaign, rep, name="Nope")
    # Marketing edits every campaign but deletes only its own; managers delete any.
    campaigns.update_campaign(campaign, other_marketer, name="Shared")
    with pytest.raises(PermissionDenied):
        campaigns.delete_campaign(campaign, other_marketer)
    campaigns.delete_campaign(campaign, make_user(Role.MANAGER))
    assert db.session.get(Campaign, campaign.id) is None


def _recipient(campaign, email, status, **fields):
    db.session.add(CampaignRecipient(campaign_id=campaign.id, email=email, status=status, **fields))
    db.session.flush()


def test_a_campaign_that_sent_email_or_is_sending_is_not_deleted():
    marketer = make_user(Role.MARKETING)
    draft = make_campaign(marketer)
    _recipient(draft, "a@example.com", RecipientStatus.SKIPPED, skip_reason="no_consent")
    campaigns.delete_campaign(draft, marketer)  # nothing went out

    sent = make_campaign(marketer)
    _recipient(sent, "b@example.com", RecipientStatus.UNKNOWN)
    assert _errors(campaigns.delete_campaign, sent, marketer) == {
        "campaign": "This campaign has sent email, so its results are kept: mark it "
        "completed instead of deleting it."
    }
    sending = make_campaign(marketer, send_state=SendState.SENDING)
    assert (
        "cancel the send first" in _errors(campaigns.delete_campaign, sending, marketer)["campaign"]
    )
    assert db.session.get(Campaign, sent.id) is not None


def test_deleting_a_campaign_keeps_its_leads_unattributed():
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer)
    lead = make_lead(marketer)
    lead.campaign_id = campaign.id
    db.session.commit()
    campaigns.delete_campaign(campaign, marketer)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).campaign_id is None


def test_the_list_filters_by_type_status_and_name_and_pages_by_keyset():
    marketer = make_user(Role.MARKETING)
    webinar = make_campaign(marketer, name="Spring 網路研討會", type="WEBINAR")
    make_campaign(marketer, name="Newsletter May", status=CampaignStatus.ACTIVE)
    make_campaign(marketer, name="Newsletter June")
    rep = make_user(Role.SALES)

    def names(**filters):
        query = campaign_lists.campaigns_query(rep, campaign_lists.CampaignFilters(**filters))
        return [c.name for c in db.session.scalars(query)]

    assert names() == ["Newsletter June", "Newsletter May", "Spring 網路研討會"]
    assert names(type=CampaignType.WEBINAR) == [webinar.name]
    assert names(status=CampaignStatus.ACTIVE) == ["Newsletter May"]
    assert names(q="newsletter jun") == ["Newsletter June"]
    assert names(q="研討") == [webinar.name]
    assert names(q="100%") == []
    assert names(sort="name", direction="asc")[0] == "Newsletter June"
    assert not db.session.scalars(
        campaign_lists.campaigns_query(make_user(Role.SUPPORT), campaign_lists.CampaignFilters())
    ).all()

    rows, cursor = campaign_lists.campaign_page(rep, campaign_lists.CampaignFilters(), limit=2)
    assert [c.name for c in rows] == ["Newsletter June", "Newsletter May"]
    rest, end = campaign_lists.campaign_page(rep, campaign_lists.CampaignFilters(), cursor, limit=2)
    assert ([c.name for c in rest], end) == ([webinar.name], None)


def test_filters_read_from_a_query_string_ignore_unknown_values():
    filters = campaign_lists.CampaignFilters.from_args(
        {"q": "  a   b ", "type": "FAX", "status": "ACTIVE", "sort": "owner"}
    )
    assert (filters.q, filters.type, filters.status, filters.sort, filters.direction) == (
        "a b",
        None,
        CampaignStatus.ACTIVE,
        "created_at",
        "desc",
    )
    assert filters.as_args() == {"q": "a b", "status": "ACTIVE"}


def test_converting_a_campaign_lead_attributes_its_deal_to_the_campaign():
    rep = make_user(Role.SALES)
    campaign = make_campaign(make_user(Role.MARKETING))
    lead = make_lead(rep, last_name="Lin", company="Acme")
    lead.campaign_id = campaign.id
    plain = make_lead(rep, last_name="Wu", company="Beta")
    db.session.commit()
    done = lead_conversion.convert_lead(lead, rep, create_opportunity=True, amount="500")
    other = lead_conversion.convert_lead(plain, rep, create_opportunity=True, amount="1")
    db.session.commit()
    assert db.session.get(Opportunity, done.opportunity.id).campaign_id == campaign.id
    assert db.session.get(Opportunity, other.opportunity.id).campaign_id is None


def test_a_web_to_lead_post_with_utm_tags_and_a_campaign_id_is_attributed():
    campaign = make_campaign(make_user(Role.MARKETING), type="SOCIAL")
    lead = lead_capture.capture_lead(
        {
            "last_name": "Chen",
            "email": "chen@example.com",
            "utm_source": " linkedin ",
            "utm_medium": "social",
            "utm_campaign": "spring-" + "x" * 200,
            "campaign": str(campaign.id),
        }
    )
    db.session.commit()
    assert (lead.utm_source, lead.utm_medium) == ("linkedin", "social")
    assert len(lead.utm_campaign) == 100 and lead.utm_campaign.startswith("spring-")
    assert lead.campaign_id == campaign.id

    for unknown in (str(campaign.id + 1000), "abc", "99999999999999999999"):
        stray = lead_capture.capture_lead({"last_name": "Wu", "phone": "0912", "campaign": unknown})
        assert stray.campaign_id is None
    # Posts from before attribution existed still work.
    plain = lead_capture.capture_lead({"last_name": "Lin", "phone": "0912"})
    assert (plain.campaign_id, plain.utm_source) == (None, "")
