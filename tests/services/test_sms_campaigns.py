"""SMS campaigns: the text is checked when saved, the audience is judged once (one row
per number; no number, an unreadable one, no SMS consent or an opt-out are skipped with the
reason), sent in batches by the real RQ worker through the same outbox as email, each
number texted once, and the figures add up. Through Twilio, a refused number fails its row
and a STOP reported by the carrier opts the number out."""

from collections import namedtuple

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignType,
    SegmentKind,
    SendState,
)
from app.models.sms import SmsMessage, SmsStatus
from app.services import campaign_sending, campaigns
from app.services.sms import campaigns as sms_campaigns
from app.services.sms import preferences
from app.services.sms.providers import DevelopmentProvider
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_user
from tests.marketing_factories import make_campaign, make_segment
from tests.sms_fakes import running_fake_twilio, twilio_error


@pytest.fixture
def fake_twilio(app, monkeypatch):
    yield from running_fake_twilio(app, monkeypatch)


Person = namedtuple("Person", "id number")


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING, name="Mia Marketer")


def texted(owner, first_name: str, *, consent: bool = True, **numbers) -> Person:
    """A contact with the given mobile/phone, consenting to SMS unless told otherwise."""
    contact = make_contact(owner, first_name=first_name, **numbers)
    from app.services.sms import phones

    number = phones.number_of(contact)
    if consent and number:
        preferences.opt_in(number, source="manual", detail="signed up at the counter")
        db.session.commit()
    return Person(contact.id, number)


def sms_campaign(owner, members, body='Hi {{ contact.first_name | default("there") }}, 20% off'):
    segment = make_segment(owner, kind=SegmentKind.STATIC, members=[m.id for m in members])
    return make_campaign(owner, segment=segment, type=CampaignType.SMS, sms_body=body)


def start(campaign, actor) -> int:
    queued = campaign_sending.prepare(db.session.get(Campaign, campaign.id), actor)
    db.session.commit()
    return queued


def rows(campaign_id: int) -> dict[str, tuple[str, str]]:
    """Each recipient row's address: (status, skip reason)."""
    db.session.expire_all()
    return {
        row.email: (row.status.value, row.skip_reason)
        for row in db.session.scalars(
            sa.select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id)
        )
    }


def test_the_text_is_checked_when_the_campaign_is_saved(marketer):
    with pytest.raises(RecordInvalid) as refused:
        campaigns.create_campaign(marketer, name="Too long", type="SMS", sms_body="x" * 641)
    assert "640" in refused.value.errors["sms_body"]
    with pytest.raises(RecordInvalid) as refused:
        campaigns.create_campaign(
            marketer, name="Link", type="SMS", sms_body="Bye: {{ unsubscribe_url }}"
        )
    assert "email only" in refused.value.errors["sms_body"]
    with pytest.raises(RecordInvalid) as refused:
        campaigns.create_campaign(marketer, name="Typo", type="SMS", sms_body="Hi {{ frist }}")
    assert "Unknown merge field" in refused.value.errors["sms_body"]
    campaign = campaigns.create_campaign(
        marketer, name="Fine", type="SMS", sms_body="Hi {{ contact.first_name }}"
    )
    assert campaign.type is CampaignType.SMS and campaign.channels == ["SMS"]


def test_an_sms_campaign_needs_a_segment_and_a_text(marketer):
    campaign = make_campaign(marketer, type=CampaignType.SMS)
    problems = campaign_sending.send_problems(campaign)
    assert "Choose the segment to send to." in problems
    assert "Write the text message to send." in problems
    with pytest.raises(RecordInvalid):
        campaign_sending.prepare(campaign, marketer)


def test_a_campaign_texts_opted_in_mobiles_once_in_batches_and_the_figures_add_up(
    app, marketer, worker, monkeypatch
):
    monkeypatch.setitem(app.config, "RAPPORT_CAMPAIGN_BATCH", 2)
    customer = make_customer(marketer, name="Acme")
    ann = texted(marketer, "Ann", mobile="+1 555 010 0101", customer_id=customer.id)
    bob = texted(marketer, "Bob", phone="(555) 010-0102")  # no mobile: the phone is used
    cy = texted(marketer, "Cy", mobile="555.010.0103")
    dee = texted(marketer, "Dee", mobile="555 010 0104")
    eve = texted(marketer, "Eve", mobile="555 010 0105", consent=False)
    fay = texted(marketer, "Fay", mobile="555 010 0106")
    preferences.opt_out(fay.number, source="sms_keyword", keyword="STOP")
    db.session.commit()
    nobody = texted(marketer, "Nobody")
    garbled = texted(marketer, "Garbled", mobile="12-34")
    twin = texted(marketer, "Twin", mobile="+15550100101")  # Ann's number again
    campaign = sms_campaign(marketer, [ann, bob, cy, dee, eve, fay, nobody, garbled, twin])

    assert campaign_sending.preview(campaign) == {"members": 9, "addresses": 6, "sendable": 4}
    assert start(campaign, marketer) == 4
    found = rows(campaign.id)
    assert found[eve.number] == ("SKIPPED", "no_consent")
    assert found[fay.number] == ("SKIPPED", "opted_out")
    assert found[f"#contact-{nobody.id}"] == ("SKIPPED", "no_phone")
    assert found[f"#contact-{garbled.id}"] == ("SKIPPED", "invalid_phone")

    worker()

    recorded = DevelopmentProvider.recorded(0, 50)
    assert sorted(entry["to"] for entry in recorded) == sorted(
        [ann.number, bob.number, cy.number, dee.number]
    )
    by_number = {entry["to"]: entry["body"] for entry in recorded}
    assert by_number[ann.number] == "Hi Ann, 20% off Reply STOP to opt out."
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.send_state is SendState.SENT and campaign.duplicates_skipped == 1
    for person in (ann, bob, cy, dee):
        assert rows(campaign.id)[person.number] == ("SENT", "")
    logged = db.session.scalars(sa.select(SmsMessage).where(SmsMessage.campaign_id == campaign.id))
    assert sorted((m.to_number, m.status) for m in logged) == sorted(
        (p.number, SmsStatus.SENT) for p in (ann, bob, cy, dee)
    )

    figures = sms_campaigns.figures(campaign)
    assert (figures.recipients, figures.sent, figures.skipped, figures.failed) == (8, 4, 4, 0)
    assert (
        figures.waiting
        + figures.sent
        + figures.failed
        + figures.skipped
        + figures.unknown
        + figures.cancelled
        == figures.recipients
    )
    assert campaign_sending.progress(campaign)["skipped"] == {
        "invalid_phone": 1,
        "no_consent": 1,
        "no_phone": 1,
        "opted_out": 1,
    }

    worker()  # nothing left: running the jobs again texts nobody twice
    assert DevelopmentProvider.recorded_count() == 4


def test_without_required_consent_every_number_not_opted_out_is_texted(app, marketer, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_MARKETING_REQUIRE_CONSENT", False)
    ann = texted(marketer, "Ann", mobile="555 010 0101", consent=False)
    bob = texted(marketer, "Bob", mobile="555 010 0102", consent=False)
    preferences.opt_out(bob.number, source="manual")
    db.session.commit()
    campaign = sms_campaign(marketer, [ann, bob])
    assert start(campaign, marketer) == 1
    assert rows(campaign.id)[bob.number] == ("SKIPPED", "opted_out")


def test_a_number_that_opts_out_during_the_send_is_skipped(marketer, worker):
    ann = texted(marketer, "Ann", mobile="555 010 0101")
    bob = texted(marketer, "Bob", mobile="555 010 0102")
    campaign = sms_campaign(marketer, [ann, bob])
    start(campaign, marketer)
    preferences.opt_out(bob.number, source="sms_keyword", keyword="STOP")
    db.session.commit()
    worker()
    assert rows(campaign.id)[bob.number] == ("SKIPPED", "opted_out")
    assert [entry["to"] for entry in DevelopmentProvider.recorded()] == [ann.number]


def test_through_twilio_a_refused_number_fails_and_a_carrier_stop_opts_out(
    marketer, worker, fake_twilio
):
    ann = texted(marketer, "Ann", mobile="555 010 0101")
    bad = texted(marketer, "Bad", mobile="555 010 0166")
    gone = texted(marketer, "Gone", mobile="555 010 0177")
    fake_twilio.answer(bad.number, twilio_error(21211, "The 'To' number is not a valid number."))
    fake_twilio.answer(
        gone.number, twilio_error(21610, "Attempt to send to unsubscribed recipient")
    )
    campaign = sms_campaign(
        marketer, [ann, bad, gone], body="News for {{ company.name }}: STOP to end"
    )
    start(campaign, marketer)
    worker()

    assert [form["To"] for form in fake_twilio.sent()] == [ann.number]
    assert fake_twilio.sent()[0]["Body"] == "News for : STOP to end"
    assert fake_twilio.sent()[0]["StatusCallback"] == "http://rapport.test/sms/status"
    found = rows(campaign.id)
    assert found[ann.number] == ("SENT", "")
    assert found[bad.number][0] == "FAILED"
    failed = db.session.scalar(sa.select(SmsMessage).where(SmsMessage.to_number == bad.number))
    assert failed.status is SmsStatus.FAILED and failed.error_code == "21211"
    assert "not a valid number" in failed.error
    assert preferences.is_opted_out(gone.number)
    figures = sms_campaigns.figures(db.session.get(Campaign, campaign.id))
    assert (figures.sent, figures.failed) == (1, 2)


def test_a_provider_that_is_down_leaves_the_rows_queued_for_later(
    marketer, worker, fake_twilio, monkeypatch
):
    from app.services.sms import providers

    monkeypatch.setattr(providers, "sleep", lambda seconds: None)
    ann = texted(marketer, "Ann", mobile="555 010 0101")
    fake_twilio.answer(ann.number, *[twilio_error(20500, "Internal error", 500)] * 3)
    campaign = sms_campaign(marketer, [ann])
    start(campaign, marketer)
    worker()
    assert rows(campaign.id)[ann.number][0] == "QUEUED"
    assert db.session.get(Campaign, campaign.id).send_state is SendState.SENDING
    assert fake_twilio.sent() == []


def test_delivery_reports_count_in_the_campaigns_figures(marketer, worker):
    from app.services.sms import messages

    people = [texted(marketer, name, mobile=f"555 010 010{n}") for n, name in enumerate("ABC")]
    campaign = sms_campaign(marketer, people)
    start(campaign, marketer)
    worker()
    sent = {
        m.to_number: m.provider_id
        for m in db.session.scalars(
            sa.select(SmsMessage).where(SmsMessage.campaign_id == campaign.id)
        )
    }
    messages.apply_status(sent[people[0].number], "delivered")
    messages.apply_status(sent[people[1].number], "undelivered", "30003", "Unreachable handset")
    db.session.commit()
    figures = sms_campaigns.figures(db.session.get(Campaign, campaign.id))
    assert (figures.sent, figures.delivered, figures.failed) == (2, 1, 1)
    assert rows(campaign.id)[people[1].number][0] == "FAILED"


def test_a_test_text_goes_to_the_number_given_and_is_not_counted(marketer):
    ann = texted(marketer, "Ann", mobile="555 010 0101")
    campaign = sms_campaign(marketer, [ann], body="Hi {{ contact.first_name }}")
    assert campaign_sending.test_send(campaign, marketer, "555 010 0199") == "+15550100199"
    assert DevelopmentProvider.recorded()[0]["body"] == "Hi Mia Reply STOP to opt out."
    assert sms_campaigns.figures(campaign).sent == 0
    with pytest.raises(RecordInvalid) as refused:
        campaign_sending.test_send(campaign, marketer, "nope")
    assert "not a phone number" in refused.value.errors["send"]
