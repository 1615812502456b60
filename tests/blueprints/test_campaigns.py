"""The campaign pages: who sees and changes them, the list's filters and empty state, the
form with the service's messages, the campaign page's figures and the send panel slot,
and deletion behind a confirmation page."""

from decimal import Decimal as D

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from tests.conftest import post_form
from tests.factories import make_lead, make_opportunity, make_user
from tests.marketing_factories import make_campaign, make_segment, make_template

HTMX = {"HX-Request": "true"}


def test_support_agents_may_not_see_campaigns(login):
    make_campaign(None, name="Hidden")
    client = login(make_user(Role.SUPPORT))
    assert client.get("/marketing/campaigns").status_code == 403
    assert 'id="nav-campaigns"' not in client.get("/").get_data(as_text=True)


def test_sales_reps_read_campaigns_but_may_not_change_them(login):
    campaign = make_campaign(make_user(Role.MARKETING), name="Spring push")
    client = login(make_user(Role.SALES))
    html = client.get("/marketing/campaigns").get_data(as_text=True)
    assert "Spring push" in html and 'id="new-campaign"' not in html
    page = client.get(f"/marketing/campaigns/{campaign.id}")
    assert page.status_code == 200
    assert 'id="edit-campaign"' not in page.get_data(as_text=True)
    for path in ("/new", f"/{campaign.id}/edit", f"/{campaign.id}/delete"):
        assert client.get(f"/marketing/campaigns{path}").status_code == 403
    refused = post_form(client, f"/marketing/campaigns/{campaign.id}/edit", {"name": "x"})
    assert refused.status_code == 403
    assert db.session.get(Campaign, campaign.id).name == "Spring push"
    assert client.get("/marketing/campaigns/99999").status_code == 404


def test_an_empty_list_says_to_create_a_campaign_and_filters_swap_the_rows(login):
    marketer = make_user(Role.MARKETING)
    client = login(marketer)
    empty = client.get("/marketing/campaigns").get_data(as_text=True)
    assert "There are no campaigns yet." in empty and 'id="new-campaign"' in empty
    make_campaign(marketer, name="Expo Taipei", type="EVENT", status=CampaignStatus.ACTIVE)
    make_campaign(marketer, name="May newsletter")
    fragment = client.get("/marketing/campaigns?type=EVENT", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="campaign-results">')
    assert "Expo Taipei" in fragment and "May newsletter" not in fragment
    by_name = client.get("/marketing/campaigns?q=news", headers=HTMX).get_data(as_text=True)
    assert "May newsletter" in by_name and "Expo Taipei" not in by_name
    none = client.get("/marketing/campaigns?status=PAUSED", headers=HTMX).get_data(as_text=True)
    assert "No campaigns match." in none


def test_a_marketer_creates_a_campaign_and_sees_the_services_messages(login, app):
    marketer = make_user(Role.MARKETING)
    segment = make_segment(marketer, name="Taipei customers")
    template = make_template(marketer, name="Spring mail")
    client = login(marketer)
    form = client.get("/marketing/campaigns/new").get_data(as_text=True)
    assert "Taipei customers" in form and "Spring mail" in form
    assert f'value="{app.config["DEFAULT_CURRENCY"]}"' in form
    assert 'value="SOCIAL:linkedin"' in form

    bad = post_form(
        client,
        "/marketing/campaigns/new",
        {"name": "", "type": "EMAIL", "status": "PLANNING", "topic": "NEWSLETTER",
         "start_date": "2026-05-02", "end_date": "2026-05-01", "budget": "1.234",
         "currency": "USD"},
    )  # fmt: skip
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Name the campaign." in html and "Use at most 2 decimals." in html
    assert "The end date cannot be before the start date." in html

    good = post_form(
        client,
        "/marketing/campaigns/new",
        {"name": "春季 webinar", "type": "WEBINAR", "status": "ACTIVE", "topic": "EVENTS",
         "start_date": "2026-05-01", "end_date": "2026-05-31", "budget": "5000",
         "actual_cost": "250", "currency": "usd", "channels": ["WEBINAR", "SOCIAL:linkedin"],
         "segment_id": str(segment.id), "template_id": str(template.id), "impressions": "",
         "send_rate": ""},
    )  # fmt: skip
    campaign = db.session.scalar(sa.select(Campaign))
    assert good.status_code == 302 and good.location.endswith(f"/campaigns/{campaign.id}")
    assert (campaign.name, campaign.currency, campaign.budget) == ("春季 webinar", "USD", D("5000"))
    assert campaign.channels == ["SOCIAL:linkedin", "WEBINAR"]
    assert (campaign.segment_id, campaign.template_id, campaign.send_rate) == (
        segment.id,
        template.id,
        None,
    )
    page = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    assert "春季 webinar" in page and "Taipei customers" in page and "LinkedIn" in page
    assert f'<a href="/marketing/segments/{segment.id}">Taipei customers</a>' in page


def test_the_edit_form_shows_the_values_and_refuses_reopening_a_completed_campaign(login):
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(
        marketer, name="Done", status=CampaignStatus.COMPLETED, budget=D("100.00")
    )
    client = login(marketer)
    form = client.get(f"/marketing/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="Done"' in form and 'value="100.00"' in form
    assert '<input checked id="channels-0" name="channels" type="checkbox" value="EMAIL">' in form
    refused = post_form(
        client,
        f"/marketing/campaigns/{campaign.id}/edit",
        {"name": "Done", "type": "EMAIL", "status": "PLANNING", "topic": "NEWSLETTER",
         "currency": "USD", "channels": ["EMAIL"]},
    )  # fmt: skip
    assert "A completed campaign can only be made active again" in refused.get_data(as_text=True)
    assert db.session.get(Campaign, campaign.id).status is CampaignStatus.COMPLETED


def test_the_campaign_page_shows_its_figures_chart_and_attributed_records(login, app):
    admin = make_user(Role.ADMIN)
    campaign = make_campaign(admin, name="Paid", currency="USD", actual_cost=D("250.00"))
    for n, status in enumerate((RecipientStatus.SENT, RecipientStatus.SENT)):
        db.session.add(
            CampaignRecipient(campaign_id=campaign.id, email=f"p{n}@example.com", status=status)
        )
    lead = make_lead(admin, last_name="Attributed")
    deal = make_opportunity(admin, currency="USD", amount="1000.00", stage="CLOSED_WON")
    lead.campaign_id = deal.campaign_id = campaign.id
    db.session.commit()
    free = make_campaign(admin, name="Free", type="EVENT", currency="USD")
    client = login(admin)

    html = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    assert '<dd id="metric-sent">2</dd>' in html
    assert "300 %" in html  # ROI (1000 - 250) / 250
    assert 'id="campaign-funnel"' in html and "<svg" in html
    assert f'id="campaign-lead-{lead.id}"' in html and f'id="campaign-deal-{deal.id}"' in html
    assert "How these figures are counted" in html
    has_panel = "marketing.send_panel" in app.view_functions
    assert ('id="campaign-send"' in html) == has_panel

    free_page = client.get(f"/marketing/campaigns/{free.id}").get_data(as_text=True)
    assert 'id="metric-roi"><abbr title="No actual cost was entered' in free_page
    assert 'id="campaign-send"' not in free_page  # no EMAIL channel
    listing = client.get("/marketing/campaigns").get_data(as_text=True)
    assert "300 %" in listing


def test_deleting_asks_first_and_refuses_a_campaign_that_sent_email(login):
    marketer = make_user(Role.MARKETING)
    draft = make_campaign(marketer, name="Draft")
    sent = make_campaign(marketer, name="Sent")
    db.session.add(
        CampaignRecipient(campaign_id=sent.id, email="a@example.com", status=RecipientStatus.SENT)
    )
    db.session.commit()
    client = login(marketer)
    confirm = client.get(f"/marketing/campaigns/{draft.id}/delete").get_data(as_text=True)
    assert 'id="confirm-delete"' in confirm
    done = post_form(client, f"/marketing/campaigns/{draft.id}/delete")
    assert done.status_code == 302 and done.location.endswith("/marketing/campaigns")
    remaining = db.session.scalars(sa.select(Campaign.name)).all()
    assert remaining == ["Sent"]

    warning = client.get(f"/marketing/campaigns/{sent.id}/delete").get_data(as_text=True)
    assert "mark it completed instead" in warning and 'id="confirm-delete"' not in warning
    refused = post_form(client, f"/marketing/campaigns/{sent.id}/delete", follow_redirects=True)
    assert "mark it completed instead" in refused.get_data(as_text=True)
    assert db.session.scalars(sa.select(Campaign.name)).all() == ["Sent"]
