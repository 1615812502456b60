"""The SMS provider's webhooks: STOP opts a number out (evidence, audit, the campaign it
answers counts it) and a later campaign skips it; START reverses it; HELP explains; other
messages are logged. Posts must be signed with the auth token (403 and nothing changed
otherwise), except with the development provider; no CSRF token is needed. Delivery
reports update the log."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    Campaign,
    CampaignRecipient,
    CampaignType,
    ConsentChannel,
    ConsentRecord,
    SegmentKind,
)
from app.models.records import AuditEntry
from app.models.sms import SmsDirection, SmsMessage, SmsPreference, SmsStatus
from app.services import campaign_sending
from app.services.sms import preferences, signatures
from tests.factories import make_contact, make_ticket, make_user
from tests.marketing_factories import make_campaign, make_segment
from tests.sms_fakes import AUTH_TOKEN, running_fake_twilio


@pytest.fixture
def fake_twilio(app, monkeypatch):
    yield from running_fake_twilio(app, monkeypatch)


NUMBER = "+15550100101"


def post_signed(client, path: str, form: dict, token: str = AUTH_TOKEN):
    """POST as Twilio does: form-encoded, signed for the public URL."""
    signature = signatures.signature(token, "http://rapport.test" + path, form.items())
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def inbound(body: str, sid: str = "SM1", number: str = NUMBER) -> dict:
    return {"From": number, "To": "+15550000000", "Body": body, "MessageSid": sid}


def test_stop_opts_the_number_out_with_evidence_and_audit(client, fake_twilio):
    owner = make_user(Role.SALES)
    contact = make_contact(owner, first_name="Ann", mobile="(555) 010-0101")
    preferences.opt_in(NUMBER, source="manual", detail="form at the counter")
    db.session.commit()

    response = post_signed(client, "/sms/inbound", inbound("  stop "))

    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert "<Response><Message>" in response.get_data(as_text=True)
    assert "no more text messages" in response.get_data(as_text=True)
    db.session.expire_all()
    pref = db.session.get(SmsPreference, NUMBER)
    assert pref.opted_out_at is not None and pref.opt_out_keyword == "STOP" and not pref.consent
    record = db.session.scalars(
        sa.select(ConsentRecord).order_by(ConsentRecord.id.desc()).limit(1)
    ).one()
    assert record.channel is ConsentChannel.SMS and record.granted is False
    assert (record.source, record.detail, record.contact_id) == ("sms_keyword", "STOP", contact.id)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.source == "sms").order_by(AuditEntry.id)
    ).all()
    assert {(e.entity_type, e.entity_id) for e in entries} >= {
        ("sms_preferences", NUMBER),
        ("contacts", str(contact.id)),
    }
    assert all(e.actor_id is None for e in entries)
    logged = db.session.scalars(sa.select(SmsMessage)).one()
    assert logged.direction is SmsDirection.IN and logged.status is SmsStatus.RECEIVED
    assert logged.contact_id == contact.id and logged.provider_id == "SM1"


def test_a_later_campaign_skips_the_number_and_start_reverses_it(client, fake_twilio):
    marketer = make_user(Role.MARKETING)
    contact = make_contact(marketer, first_name="Ann", mobile="555 010 0101")
    preferences.opt_in(NUMBER, source="manual", detail="signed")
    db.session.commit()
    segment = make_segment(marketer, kind=SegmentKind.STATIC, members=[contact.id])

    post_signed(client, "/sms/inbound", inbound("UNSUBSCRIBE", "SM1"))
    first = make_campaign(marketer, segment=segment, type=CampaignType.SMS, sms_body="Hi")
    campaign_sending.prepare(db.session.get(Campaign, first.id), marketer)
    db.session.commit()
    row = db.session.scalars(
        sa.select(CampaignRecipient).where(CampaignRecipient.campaign_id == first.id)
    ).one()
    assert (row.status.value, row.skip_reason) == ("SKIPPED", "opted_out")

    response = post_signed(client, "/sms/inbound", inbound("Start", "SM2"))
    assert "again" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not preferences.is_opted_out(NUMBER)
    assert db.session.get(SmsPreference, NUMBER).consent
    second = make_campaign(marketer, segment=segment, type=CampaignType.SMS, sms_body="Hi")
    assert campaign_sending.prepare(db.session.get(Campaign, second.id), marketer) == 1


def test_stop_counts_as_an_opt_out_of_the_campaign_it_answers(client, fake_twilio, worker):
    marketer = make_user(Role.MARKETING)
    contact = make_contact(marketer, first_name="Ann", mobile="555 010 0101")
    preferences.opt_in(NUMBER, source="manual", detail="signed")
    db.session.commit()
    segment = make_segment(marketer, kind=SegmentKind.STATIC, members=[contact.id])
    campaign = make_campaign(marketer, segment=segment, type=CampaignType.SMS, sms_body="Hi")
    campaign_sending.prepare(db.session.get(Campaign, campaign.id), marketer)
    db.session.commit()
    worker()
    post_signed(client, "/sms/inbound", inbound("QUIT"))
    from app.services.sms import campaigns as sms_campaigns

    db.session.expire_all()
    assert sms_campaigns.figures(db.session.get(Campaign, campaign.id)).opted_out == 1


def test_a_bad_signature_is_refused_and_changes_nothing(client, fake_twilio):
    form = inbound("STOP")
    forged = post_signed(client, "/sms/inbound", form, token="somebody-elses-token")
    unsigned = client.post("/sms/inbound", data=form)
    tampered_signature = signatures.signature(
        AUTH_TOKEN, "http://rapport.test/sms/inbound", form.items()
    )
    tampered = client.post(
        "/sms/inbound",
        data=form | {"From": "+15550100999"},
        headers={"X-Twilio-Signature": tampered_signature},
    )
    assert (forged.status_code, unsigned.status_code, tampered.status_code) == (403, 403, 403)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 0
    assert db.session.get(SmsPreference, NUMBER) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 0


def test_with_the_development_provider_unsigned_posts_are_taken(client):
    response = client.post("/sms/inbound", data=inbound("END"))  # no signature, no CSRF token
    assert response.status_code == 200
    assert preferences.is_opted_out(NUMBER)


def test_help_explains_and_ordinary_messages_are_logged_against_the_open_ticket(
    client, fake_twilio
):
    agent = make_user(Role.SUPPORT)
    contact = make_contact(agent, first_name="Ann", mobile="555-010-0101")
    ticket = make_ticket(agent, contact_id=contact.id)
    help_text = post_signed(client, "/sms/inbound", inbound("help", "SM1")).get_data(as_text=True)
    assert "reply STOP" in help_text
    answer = post_signed(client, "/sms/inbound", inbound("Is my order shipped?", "SM2"))
    assert answer.get_data(as_text=True).endswith("<Response></Response>")
    logged = db.session.scalars(sa.select(SmsMessage).where(SmsMessage.provider_id == "SM2")).one()
    assert (logged.contact_id, logged.ticket_id) == (contact.id, ticket.id)
    assert logged.body == "Is my order shipped?"
    assert not preferences.is_opted_out(NUMBER)


def test_a_retried_webhook_is_taken_once(client, fake_twilio):
    post_signed(client, "/sms/inbound", inbound("STOP", "SM7"))
    again = post_signed(client, "/sms/inbound", inbound("STOP", "SM7"))
    assert again.status_code == 200 and "no more text messages" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 1


def test_a_status_callback_marks_the_message_delivered(client, fake_twilio):
    from app.services.sms import messages

    message = messages.queue(NUMBER, "Hi")
    db.session.commit()
    messages.deliver(message.id)
    sid = db.session.get(SmsMessage, message.id).provider_id
    form = {"MessageSid": sid, "MessageStatus": "delivered", "To": NUMBER}
    assert client.post("/sms/status", data=form).status_code == 403
    assert post_signed(client, "/sms/status", form).status_code == 204
    db.session.expire_all()
    assert db.session.get(SmsMessage, message.id).status is SmsStatus.DELIVERED
