"""Marketing touchpoints of a customer's contacts appear on the customer's timeline, newest
first, for readers who may see those contacts."""

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Campaign, EventKind, MarketingEvent
from app.services import timeline
from tests.factories import make_contact, make_customer, make_user

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():
        yield


def _event(contact, kind, hours, **fields):
    event = MarketingEvent(
        kind=kind, contact_id=contact.id, occurred_at=T0 + timedelta(hours=hours), **fields
    )
    db.session.add(event)
    db.session.flush()
    return event


def test_contacts_opens_clicks_and_visits_show_on_the_customer_timeline():
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    mei = make_contact(rep, customer=acme, first_name="Mei", last_name="Chen")
    campaign = Campaign(name="Spring newsletter", currency="USD", owner_id=rep.id)
    db.session.add(campaign)
    db.session.flush()
    _event(mei, EventKind.EMAIL_OPEN, 1, campaign_id=campaign.id)
    _event(mei, EventKind.EMAIL_CLICK, 2, campaign_id=campaign.id)
    _event(mei, EventKind.VISIT, 3, url="/pricing", detail={"utm_source": "newsletter"})
    stranger = make_contact(rep, first_name="Other", last_name="Person")
    _event(stranger, EventKind.VISIT, 4, url="/")
    items, _ = timeline.customer_timeline(rep, acme.id)
    titles = [item.title for item in items if item.source == "marketing"]
    assert titles == [
        "Mei Chen visited /pricing",
        "Mei Chen clicked a link in “Spring newsletter”",
        "Mei Chen opened “Spring newsletter”",
    ]
    assert items[0].detail == "utm_source=newsletter"
    assert items[0].url.endswith(f"/contacts/{mei.id}")


def test_a_reader_who_may_not_see_the_contact_does_not_see_its_events():
    owner, other = make_user(Role.SALES), make_user(Role.SALES)
    acme = make_customer(owner, name="Acme")
    mei = make_contact(owner, customer=acme, first_name="Mei", last_name="Chen")
    _event(mei, EventKind.VISIT, 1, url="/")
    items, _ = timeline.customer_timeline(other, acme.id)
    assert [item for item in items if item.source == "marketing"] == []
