"""Attribution of inbound leads: UTM tags stored, the campaign found from a `campaign` id,
from utm_campaign "c<id>" or from a link's utm_campaign, and social arrivals marked as
LeadSource.SOCIAL with the network, for new or web-form leads only."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Lead, LeadSource
from app.services import attribution, campaign_links, lead_capture
from tests.factories import make_lead, make_user
from tests.marketing_factories import make_campaign


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING)


def test_a_social_utm_source_makes_a_new_lead_social_with_its_network(marketer):
    campaign = make_campaign(marketer)
    lead = Lead(custom={})
    attribution.attribute(
        lead,
        {"utm_source": " LinkedIn ", "utm_medium": "cpc", "utm_campaign": f"c{campaign.id}"},
    )
    assert lead.source == LeadSource.SOCIAL and lead.source_detail == "linkedin"
    assert (lead.utm_source, lead.utm_medium) == ("LinkedIn", "cpc")
    assert lead.campaign_id == campaign.id


@pytest.mark.parametrize(
    ("fields", "network"),
    [
        ({"utm_source": "twitter"}, "x"),
        ({"utm_source": "wechat", "utm_medium": "qr"}, "wechat"),
        ({"utm_source": "mastodon", "utm_medium": "social"}, "mastodon"),
        ({"utm_source": "", "utm_medium": "Social-Paid"}, "other"),
        ({"utm_source": "newsletter", "utm_medium": "email"}, None),
        ({}, None),
    ],
)
def test_social_networks_are_recognised(fields, network):
    lead = Lead(custom={}, source=LeadSource.WEB_FORM)
    attribution.attribute(lead, fields)
    if network is None:
        assert lead.source == LeadSource.WEB_FORM
    else:
        assert (lead.source, lead.source_detail) == (LeadSource.SOCIAL, network)


def test_the_campaign_comes_from_utm_campaign_or_a_links_tag(marketer):
    campaign = make_campaign(marketer)
    other = make_campaign(marketer)
    campaign_links.create_link(
        other,
        marketer,
        channel="facebook",
        target_url="https://www.example.com/",
        utm_campaign="spring-2025",
    )
    db.session.commit()
    for value, expected in (
        (f"c{campaign.id}", campaign.id),
        (f"C{campaign.id}", campaign.id),
        ("spring-2025", other.id),
        (f"c{other.id + 500}", None),
        ("c", None),
        ("cabc", None),
        ("", None),
    ):
        assert attribution.campaign_for(value) == expected, value
    # An explicit `campaign` id wins over the tag.
    lead = Lead(custom={})
    attribution.attribute(lead, {"campaign": str(other.id), "utm_campaign": f"c{campaign.id}"})
    assert lead.campaign_id == other.id


def test_an_existing_lead_keeps_its_source_and_tags_unless_it_came_from_a_form(marketer):
    manual = make_lead(marketer, source="MANUAL")
    manual.utm_source = "fair"
    attribution.attribute(manual, {"utm_medium": "social", "utm_source": ""})
    assert manual.source == LeadSource.MANUAL
    assert (manual.utm_source, manual.utm_medium) == ("fair", "social")

    form_lead = make_lead(marketer, source="WEB_FORM", source_detail="/contact")
    attribution.attribute(form_lead, {"utm_source": "facebook"})
    assert (form_lead.source, form_lead.source_detail) == (LeadSource.SOCIAL, "facebook")


def test_the_web_to_lead_form_attributes_social_leads(marketer):
    campaign = make_campaign(marketer, type="SOCIAL")
    lead = lead_capture.capture_lead(
        {
            "last_name": "Chen",
            "email": "chen@example.com",
            "utm_source": "instagram",
            "utm_medium": "social",
            "utm_campaign": f"c{campaign.id}",
        },
        page="https://www.example.com/spring",
    )
    db.session.commit()
    assert (lead.source, lead.source_detail) == (LeadSource.SOCIAL, "instagram")
    assert lead.campaign_id == campaign.id
    plain = lead_capture.capture_lead({"last_name": "Lin", "phone": "0912"}, page="/contact")
    assert (plain.source, plain.source_detail) == (LeadSource.WEB_FORM, "/contact")
