"""The staff side of short links and behaviour: the campaign page's links section (the
table with short URL, clicks and leads, adding and deleting links for those who may edit
the campaign, read-only for readers, hidden from those who may not see the campaign), and
the behaviour figures loaded into a contact's or lead's marketing panel."""

import re
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import CampaignLink, EventKind, MarketingEvent
from app.services import campaign_links
from tests.conftest import htmx_post
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_campaign

HTMX = {"HX-Request": "true"}


def _links() -> list[CampaignLink]:
    db.session.expire_all()
    return db.session.scalars(sa.select(CampaignLink).order_by(CampaignLink.id)).all()


def test_the_campaign_page_loads_the_links_section(login):
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer)
    client = login(marketer)
    html = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    assert f'hx-get="/marketing/campaigns/{campaign.id}/links"' in html


def test_a_marketer_adds_a_link_and_sees_its_short_url(login):
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer, type="SOCIAL")
    client = login(marketer)
    url = f"/marketing/campaigns/{campaign.id}/links"
    empty = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "No links yet" in empty and 'id="campaign-link-save"' in empty

    refused = htmx_post(client, url, {"channel": "linkedin", "target_url": "javascript:alert(1)"})
    assert refused.status_code == 200 and "http:// or https://" in refused.get_data(as_text=True)
    assert _links() == []

    response = htmx_post(
        client,
        url,
        {
            "channel": "linkedin",
            "label": "Launch post",
            "target_url": "https://www.example.com/launch",
            "is_download": "y",
        },
    )
    html = response.get_data(as_text=True)
    [link] = _links()
    assert (link.channel, link.utm_content, link.is_download) == ("linkedin", "launch-post", True)
    assert f"http://rapport.test/l/{link.code}" in html or f"/l/{link.code}" in html
    assert "LinkedIn" in html and "download" in html

    client.get(f"/l/{link.code}")
    html = client.get(url, headers=HTMX).get_data(as_text=True)
    assert re.search(r'data-label="Clicks">1<', html)

    deleted = htmx_post(client, f"{url}/{link.id}/delete", {})
    assert deleted.status_code == 200 and "No links yet" in deleted.get_data(as_text=True)
    assert _links() == []


def test_readers_see_links_but_cannot_change_them(login):
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer)
    link = campaign_links.create_link(
        campaign, marketer, channel="x", label="Thread", target_url="https://x.example/"
    )
    db.session.commit()
    client = login(make_user(Role.SALES))
    url = f"/marketing/campaigns/{campaign.id}/links"
    html = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "Thread" in html and "campaign-link-save" not in html and "delete-link" not in html
    assert (
        htmx_post(client, url, {"channel": "x", "target_url": "https://y.example/"}).status_code
        == 403
    )
    assert htmx_post(client, f"{url}/{link.id}/delete", {}).status_code == 403
    assert len(_links()) == 1


def test_support_cannot_see_campaign_links(login):
    campaign = make_campaign(make_user(Role.MARKETING))
    client = login(make_user(Role.SUPPORT))
    assert client.get(f"/marketing/campaigns/{campaign.id}/links", headers=HTMX).status_code == 404


def test_a_link_of_another_campaign_is_not_deleted(login):
    marketer = make_user(Role.MARKETING)
    mine, other = make_campaign(marketer), make_campaign(marketer)
    link = campaign_links.create_link(other, marketer, channel="x", target_url="https://x.example/")
    db.session.commit()
    client = login(marketer)
    htmx_post(client, f"/marketing/campaigns/{mine.id}/links/{link.id}/delete", {})
    assert len(_links()) == 1


# -- behaviour figures on a person's page -------------------------------------------------


def test_the_marketing_panel_loads_the_behaviour_figures(login):
    rep = make_user(Role.SALES)
    lead = make_lead(rep, email="amy@example.com")
    now = utcnow()
    for kind, days in ((EventKind.VISIT, 1), (EventKind.VISIT, 2), (EventKind.DOWNLOAD, 60)):
        db.session.add(
            MarketingEvent(kind=kind, lead_id=lead.id, occurred_at=now - timedelta(days=days))
        )
    db.session.commit()
    client = login(rep)
    panel = client.get(f"/marketing/people/lead/{lead.id}/panel", headers=HTMX)
    assert f"/marketing/people/lead/{lead.id}/behaviour" in panel.get_data(as_text=True)
    html = client.get(f"/marketing/people/lead/{lead.id}/behaviour", headers=HTMX).get_data(
        as_text=True
    )
    assert f'id="behaviour-lead-{lead.id}"' in html
    assert '<dd id="behaviour-visits">2</dd>' in html
    assert '<dd id="behaviour-downloads">1</dd>' in html
    assert '<dd id="behaviour-forms">0</dd>' in html


def test_behaviour_follows_the_persons_read_rights(login):
    owner, other = make_user(Role.SALES), make_user(Role.SALES)
    contact = make_contact(owner)
    client = login(other)
    assert client.get(f"/marketing/people/contact/{contact.id}/behaviour").status_code == 403
    assert client.get("/marketing/people/user/1/behaviour").status_code == 404
