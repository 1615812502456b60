"""Opens and clicks of campaign emails are counted on the recipient row, each once per
call, with a marketing event on the person's timeline."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import CampaignRecipient, EventKind, MarketingEvent
from app.services import mail_tracking
from tests.factories import make_contact, make_user
from tests.marketing_factories import make_campaign


def _recipient():
    rep = make_user(Role.MARKETING)
    contact = make_contact(rep, email="mei@example.com")
    campaign = make_campaign(rep)
    recipient = CampaignRecipient(
        campaign_id=campaign.id, contact_id=contact.id, email="mei@example.com"
    )
    db.session.add(recipient)
    db.session.commit()
    return recipient


def _events(kind):
    query = sa.select(MarketingEvent).where(MarketingEvent.kind == kind)
    return list(db.session.scalars(query.order_by(MarketingEvent.id)))


def test_each_open_is_counted_and_the_first_time_kept():
    recipient = _recipient()
    assert mail_tracking.record_open(recipient.id)
    db.session.commit()
    db.session.refresh(recipient)
    first = recipient.opened_at
    assert first is not None and recipient.open_count == 1
    assert mail_tracking.record_open(recipient.id)
    db.session.commit()
    db.session.refresh(recipient)
    assert recipient.open_count == 2 and recipient.opened_at == first
    events = _events(EventKind.EMAIL_OPEN)
    assert len(events) == 2
    assert {(e.contact_id, e.campaign_id) for e in events} == {
        (recipient.contact_id, recipient.campaign_id)
    }


def test_a_click_counts_as_an_open_when_the_pixel_was_blocked():
    recipient = _recipient()
    assert mail_tracking.record_click(recipient.id, "https://example.com/offer")
    db.session.commit()
    db.session.refresh(recipient)
    assert (recipient.click_count, recipient.open_count) == (1, 1)
    assert recipient.clicked_at is not None and recipient.opened_at is not None
    mail_tracking.record_click(recipient.id, "https://example.com/other")
    db.session.commit()
    db.session.refresh(recipient)
    assert (recipient.click_count, recipient.open_count) == (2, 1)
    assert [e.url for e in _events(EventKind.EMAIL_CLICK)] == [
        "https://example.com/offer",
        "https://example.com/other",
    ]


def test_an_unknown_recipient_is_ignored_quietly():
    assert not mail_tracking.record_open(987654)
    assert not mail_tracking.record_click(987654, "https://example.com/")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MarketingEvent)) == 0
