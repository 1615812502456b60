"""The website tracking endpoints, no sign-in: the snippet, the page-view beacon (valid
beacons recorded, anything else refused without a write and never with a 500, CORS for
tracked sites, a rate limit), identification through a tracked email link's rp_t token,
and the campaigns' short links."""

import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    CampaignLink,
    CampaignRecipient,
    EventKind,
    MarketingEvent,
    WebVisitor,
)
from app.services import campaign_links, tracking_tokens, web_visitors
from tests.factories import make_contact, make_user
from tests.marketing_factories import make_campaign

VID = "k3J9x-Q2_wP7mN4rT8vY"
PAGE = "https://www.example.com/pricing?utm_source=linkedin&utm_medium=social"


@pytest.fixture
def tracked_sites(app):
    app.config["RAPPORT_TRACKED_SITES"] = "www.example.com,shop.example.com"
    yield
    app.config["RAPPORT_TRACKED_SITES"] = ""


def _beacon(client, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/t/e", data=data, content_type="text/plain", headers=headers)


def _events() -> list[MarketingEvent]:
    db.session.expire_all()
    return db.session.scalars(sa.select(MarketingEvent).order_by(MarketingEvent.id)).all()


def test_the_snippet_is_served_as_cacheable_javascript(client):
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    script = response.get_data(as_text=True)
    assert "sendBeacon" in script and "crypto.getRandomValues" in script
    assert "rapport_vid" in script and "rp_t" in script
    assert not re.search(r"\beval\b|new Function|document\.write", script)
    assert len(script) < 4000


def test_a_page_view_is_recorded_with_its_utm_tags(client, tracked_sites):
    campaign = make_campaign(make_user(Role.MARKETING))
    body = {
        "vid": VID,
        "url": PAGE + f"&utm_campaign=c{campaign.id}",
        "referrer": "https://www.linkedin.com/",
        "title": "Pricing",
        "site": "main",
        "utm_source": "linkedin",
    }
    response = _beacon(client, body, Origin="https://www.example.com")
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert "Origin" in response.headers["Vary"]
    [event] = _events()
    assert (event.kind, event.visitor_id, event.url) == (EventKind.VISIT, VID, body["url"])
    assert event.campaign_id == campaign.id
    assert event.detail == {
        "referrer": "https://www.linkedin.com/",
        "title": "Pricing",
        "site": "main",
        "utm_source": "linkedin",
        "utm_medium": "social",
        "utm_campaign": f"c{campaign.id}",
    }
    visitor = db.session.get(WebVisitor, VID)
    assert visitor.first_touch["utm_source"] == "linkedin" and visitor.contact_id is None


def test_a_known_visitors_page_views_are_theirs(client):
    contact = make_contact(make_user(Role.MARKETING))
    web_visitors.identify(VID, contact_id=contact.id)
    db.session.commit()
    assert _beacon(client, {"vid": VID, "url": PAGE}).status_code == 204
    assert _events()[0].contact_id == contact.id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("not json", 400),
        (b"\xff\xfe\x00garbage", 400),
        ("[1, 2]", 400),
        ("[" * 3000 + "]" * 3000, 413),
        ("[" * 2000 + "]" * 2000, 400),
        ({"url": PAGE}, 400),
        ({"vid": "short", "url": PAGE}, 400),
        ({"vid": ["x"], "url": PAGE}, 400),
        ({"vid": VID}, 400),
        ({"vid": VID, "url": 42}, 400),
        ({"vid": VID, "url": "javascript:alert(1)"}, 403),
        ({"vid": VID, "url": "https://evil.example.net/"}, 403),
        ({"vid": VID, "url": "https://www.example.com.evil.net/"}, 403),
        ({"vid": VID, "url": PAGE, "title": "x" * 5000}, 413),
        ({"vid": VID, "url": PAGE, "k": "download", "href": "javascript:x"}, 400),
    ],
)
def test_bad_beacons_are_refused_without_a_write(client, tracked_sites, body, status):
    response = _beacon(client, body, Origin="https://evil.example.net")
    assert response.status_code == status
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _events() == [] and db.session.get(WebVisitor, VID) is None


def test_any_host_is_tracked_when_no_site_is_configured(client):
    response = _beacon(
        client, {"vid": VID, "url": "http://anything.example/"}, Origin="http://anything.example"
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://anything.example"
    assert len(_events()) == 1


def test_a_preflight_gets_cors_headers_for_tracked_sites_only(client, tracked_sites):
    ok = client.options("/t/e", headers={"Origin": "https://shop.example.com"})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert ok.headers["Access-Control-Allow-Methods"] == "POST"
    other = client.options("/t/e", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_beacons_are_rate_limited_per_address(app, client):
    app.config["RAPPORT_TRACKING_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [_beacon(client, {"vid": VID, "url": PAGE}).status_code for _ in range(4)]
    finally:
        app.config["RAPPORT_TRACKING_RATE_LIMIT"] = "240 per minute"
    assert statuses == [204, 204, 204, 429]
    assert len(_events()) == 3


def test_a_download_click_is_recorded_as_a_download(client, tracked_sites):
    body = {"vid": VID, "url": PAGE, "k": "download", "href": "https://cdn.example.org/guide.pdf"}
    assert _beacon(client, body).status_code == 204
    [event] = _events()
    assert (event.kind, event.url) == (EventKind.DOWNLOAD, "https://cdn.example.org/guide.pdf")
    assert event.detail["page"] == PAGE


@pytest.fixture
def recipient():
    rep = make_user(Role.MARKETING)
    contact = make_contact(rep, email="mei@example.com")
    row = CampaignRecipient(
        campaign_id=make_campaign(rep).id, contact_id=contact.id, email="mei@example.com"
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_a_tracked_email_link_identifies_the_visitor_on_a_tracked_site(
    client, tracked_sites, recipient
):
    # Browsing anonymously first...
    assert _beacon(client, {"vid": VID, "url": "https://www.example.com/"}).status_code == 204
    # ...then clicking a campaign email's link to the site.
    target = "https://www.example.com/offer?x=1"
    response = client.get(f"/m/c/{tracking_tokens.click_token(recipient.id, target)}")
    assert response.status_code == 302
    landing = response.headers["Location"]
    assert landing.startswith(target + "&rp_t=")
    token = landing.split("rp_t=", 1)[1]

    assert _beacon(client, {"vid": VID, "url": target, "t": token}).status_code == 204
    events = _events()
    visits = [e for e in events if e.kind == EventKind.VISIT]
    assert [e.contact_id for e in visits] == [recipient.contact_id] * 2
    assert db.session.get(WebVisitor, VID).contact_id == recipient.contact_id


def test_tracked_email_links_to_other_sites_carry_no_token(client, tracked_sites, recipient):
    for target in ("https://partner.example.net/page", "https://www.example.com.evil.net/"):
        response = client.get(f"/m/c/{tracking_tokens.click_token(recipient.id, target)}")
        assert response.headers["Location"] == target


def test_a_forged_token_identifies_nobody(client, tracked_sites, recipient):
    forged = web_visitors.identity_token(recipient.contact_id, None)[:-3] + "abc"
    assert _beacon(client, {"vid": VID, "url": PAGE, "t": forged}).status_code == 204
    assert _events()[0].contact_id is None
    assert _beacon(client, {"vid": VID, "url": PAGE, "t": {"a": 1}}).status_code == 204


# -- short links -------------------------------------------------------------------------


@pytest.fixture
def campaign():
    return make_campaign(make_user(Role.MARKETING), type="SOCIAL")


def test_a_short_link_redirects_with_its_tags_and_counts(client, campaign):
    link = campaign_links.create_link(
        campaign,
        None,
        channel="linkedin",
        label="Launch",
        target_url="https://www.example.com/?a=1",
    )
    db.session.commit()
    response = client.get(f"/l/{link.code}?vid={VID}")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        "https://www.example.com/?a=1&utm_source=linkedin&utm_medium=social"
        f"&utm_campaign=c{campaign.id}&utm_content=launch"
    )
    assert response.headers["Cache-Control"] == "no-store"
    client.get(f"/l/{link.code}")
    db.session.expire_all()
    assert db.session.get(CampaignLink, link.id).clicks == 2
    events = _events()
    assert [(e.kind, e.campaign_id) for e in events] == [(EventKind.VISIT, campaign.id)] * 2
    assert events[0].visitor_id == VID and events[1].visitor_id == ""


def test_a_download_link_records_a_download(client, campaign):
    link = campaign_links.create_link(
        campaign,
        None,
        channel="other",
        target_url="https://cdn.example.com/guide.pdf",
        is_download=True,
    )
    db.session.commit()
    assert client.get(f"/l/{link.code}").status_code == 302
    assert [e.kind for e in _events()] == [EventKind.DOWNLOAD]


@pytest.mark.parametrize("code", ["nosuchcode", "a", "x" * 30, "bad%20code"])
def test_an_unknown_short_link_is_a_404_page(client, code):
    response = client.get(f"/l/{code}")
    assert response.status_code == 404
    assert "Link not found" in response.get_data(as_text=True)
    assert _events() == []


# -- the snippet in a real browser --------------------------------------------------------


@pytest.mark.browser
def test_the_snippet_sends_a_page_view_and_identifies_from_the_link(page, live_server):
    contact = make_contact(make_user(Role.MARKETING), email="lin@example.com")
    token = web_visitors.identity_token(contact.id, None)
    html = (
        "<!doctype html><html><head><title>Spring offer</title>"
        '<script async src="http://rapport.test/t.js" data-site="main"></script></head>'
        '<body><a id="guide" data-rapport-download href="http://www.example.com/guide.pdf">'
        "Guide</a></body></html>"
    )
    # A public site embedding Rapport: both are routed (Chromium's private network access
    # rules forbid a public page from calling the loopback live server directly).
    page.route(
        "http://www.example.com/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    page.route(
        "http://rapport.test/**",
        lambda route: route.fulfill(
            response=route.fetch(url=live_server + route.request.url.split("rapport.test", 1)[1])
        ),
    )
    with page.expect_response(lambda response: response.url.endswith("/t/e")):
        page.goto(f"http://www.example.com/offer?utm_source=linkedin&rp_t={token}&x=1")
    assert page.evaluate("location.search") == "?utm_source=linkedin&x=1"
    visitor_id = page.evaluate("localStorage.getItem('rapport_vid')")
    assert web_visitors.valid_visitor_id(visitor_id)

    def recorded(count):
        for _ in range(50):
            events = _events()
            if len(events) >= count:
                return events
            page.wait_for_timeout(100)
        raise AssertionError("the beacon was not recorded")

    [visit] = recorded(1)
    assert (visit.kind, visit.visitor_id, visit.contact_id) == (
        EventKind.VISIT,
        visitor_id,
        contact.id,
    )
    assert visit.url == "http://www.example.com/offer?utm_source=linkedin&x=1"
    assert visit.detail["utm_source"] == "linkedin" and visit.detail["title"] == "Spring offer"
    assert visit.detail["site"] == "main"

    # Stay on the page (no second page view racing the end of the test).
    page.evaluate("() => { document.getElementById('guide').onclick = (e) => e.preventDefault(); }")
    with page.expect_response(lambda response: response.url.endswith("/t/e")):
        page.click("#guide")
    download = recorded(2)[1]
    assert (download.kind, download.url) == (
        EventKind.DOWNLOAD,
        "http://www.example.com/guide.pdf",
    )
    assert download.contact_id == contact.id
