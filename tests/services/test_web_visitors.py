"""Website visitors: identifying a browser attaches its earlier anonymous events (only
those) to the person; odd visitor ids are ignored; page views upsert the visitor with its
first touch; the rp_t identity token is added only for tracked sites and verified."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import CampaignRecipient, EventKind, MarketingEvent, WebVisitor
from app.services import web_visitors
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_campaign

VID = "a1b2c3d4e5f6a7b8c9d0"
OTHER = "zzzzzzzzzzzzzzzzzzzz"


@pytest.fixture
def rep():
    return make_user(Role.MARKETING)


def _event(visitor_id, **fields):
    event = MarketingEvent(kind=EventKind.VISIT, visitor_id=visitor_id, detail={}, **fields)
    db.session.add(event)
    db.session.flush()
    return event


def test_identify_attaches_only_the_visitors_earlier_anonymous_events(rep):
    lead = make_lead(rep, email="amy@example.com")
    contact = make_contact(rep, email="ben@example.com")
    mine = [_event(VID, url="https://www.example.com/a"), _event(VID)]
    already_known = _event(VID, contact_id=contact.id)
    someone_else = _event(OTHER)
    db.session.commit()

    web_visitors.identify(VID, lead_id=lead.id)
    db.session.commit()
    db.session.expire_all()

    assert [db.session.get(MarketingEvent, e.id).lead_id for e in mine] == [lead.id, lead.id]
    kept = db.session.get(MarketingEvent, already_known.id)
    assert (kept.contact_id, kept.lead_id) == (contact.id, None)
    assert db.session.get(MarketingEvent, someone_else.id).lead_id is None
    visitor = db.session.get(WebVisitor, VID)
    assert (visitor.lead_id, visitor.contact_id) == (lead.id, None)


def test_identify_again_updates_the_visitor_row(rep):
    lead = make_lead(rep)
    contact = make_contact(rep)
    web_visitors.identify(VID, lead_id=lead.id)
    web_visitors.identify(VID, contact_id=contact.id, lead_id=lead.id)
    db.session.commit()
    db.session.expire_all()
    visitor = db.session.get(WebVisitor, VID)
    assert (visitor.contact_id, visitor.lead_id) == (contact.id, lead.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebVisitor)) == 1


@pytest.mark.parametrize(
    "bad", ["", "short", "x" * 41, "has space in it 12345", "ümlaut-ümlaut-ümlaut", None, 12345]
)
def test_bad_visitor_ids_are_ignored(rep, bad):
    lead = make_lead(rep)
    web_visitors.identify(bad, lead_id=lead.id)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebVisitor)) == 0
    assert web_visitors.valid_visitor_id(bad) is None


def test_identify_without_a_person_does_nothing():
    _event(VID)
    web_visitors.identify(VID)
    db.session.commit()
    assert db.session.get(WebVisitor, VID) is None


def test_record_event_keeps_the_first_touch_and_credits_a_known_visitor(rep):
    lead = make_lead(rep)
    campaign = make_campaign(rep)
    earlier = utcnow() - timedelta(days=2)
    web_visitors.record_event(
        EventKind.VISIT,
        VID,
        url="https://www.example.com/landing?utm_source=linkedin",
        detail={"utm_source": "linkedin", "utm_campaign": f"c{campaign.id}", "referrer": ""},
        now=earlier,
    )
    web_visitors.identify(VID, lead_id=lead.id)
    web_visitors.record_event(
        EventKind.VISIT, VID, url="https://www.example.com/pricing", detail={"title": "Pricing"}
    )
    db.session.commit()

    visitor = db.session.get(WebVisitor, VID)
    assert visitor.first_touch == {
        "utm_source": "linkedin",
        "utm_campaign": f"c{campaign.id}",
        "url": "https://www.example.com/landing?utm_source=linkedin",
    }
    assert visitor.last_seen_at > visitor.first_seen_at
    events = db.session.scalars(sa.select(MarketingEvent).order_by(MarketingEvent.id)).all()
    assert [(e.lead_id, e.campaign_id) for e in events] == [(lead.id, campaign.id), (lead.id, None)]
    assert events[0].detail == {"utm_source": "linkedin", "utm_campaign": f"c{campaign.id}"}
    assert events[1].detail == {"title": "Pricing"}


def test_a_utm_campaign_naming_no_campaign_credits_none(rep):
    web_visitors.record_event(
        EventKind.VISIT, VID, url="https://x.example", detail={"utm_campaign": "c999999"}
    )
    db.session.commit()
    assert db.session.scalar(sa.select(MarketingEvent.campaign_id)) is None


@pytest.fixture
def recipient(rep):
    contact = make_contact(rep, email="mei@example.com")
    row = CampaignRecipient(
        campaign_id=make_campaign(rep).id, contact_id=contact.id, email="mei@example.com"
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_the_identity_token_is_added_only_for_tracked_sites(app, recipient):
    app.config["RAPPORT_TRACKED_SITES"] = "www.example.com, shop.example.com"
    try:
        url = web_visitors.with_identity("https://www.example.com/p?a=1%202", recipient.id)
        assert url.startswith("https://www.example.com/p?a=1%202&rp_t=")
        token = url.split("rp_t=", 1)[1]
        assert web_visitors.read_identity_token(token) == (recipient.contact_id, None)
        for elsewhere in (
            "https://evil.example.net/p",
            "https://www.example.com.evil.net/",
            "http://example.com/",
            "mailto:x@www.example.com",
        ):
            assert web_visitors.with_identity(elsewhere, recipient.id) == elsewhere
        # An rp_t already in the address is replaced, not repeated.
        again = web_visitors.with_identity("https://shop.example.com/?rp_t=forged", recipient.id)
        assert again.count("rp_t=") == 1 and "forged" not in again
    finally:
        app.config["RAPPORT_TRACKED_SITES"] = ""
    assert web_visitors.with_identity("https://www.example.com/", recipient.id) == (
        "https://www.example.com/"
    )


def test_identity_tokens_are_verified(rep):
    contact = make_contact(rep)
    token = web_visitors.identity_token(contact.id, None)
    assert web_visitors.read_identity_token(token) == (contact.id, None)
    for bad in (
        token[:-2] + "xx",
        "",
        None,
        42,
        "a" * 400,
        web_visitors.identity_token(None, None),
    ):
        assert web_visitors.read_identity_token(bad) is None

    assert web_visitors.identify_by_token(VID, token) == (contact.id, None)
    assert db.session.get(WebVisitor, VID).contact_id == contact.id
    gone = web_visitors.identity_token(contact.id + 1000, None)
    assert web_visitors.identify_by_token(OTHER, gone) is None
    assert web_visitors.identify_by_token("bad id", token) is None
