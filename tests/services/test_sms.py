"""Text messages: numbers normalised to E.164 (or refused with a reason), the Twilio adapter
against a real HTTP server on loopback (auth, form fields, Twilio's JSON, its errors,
retries only where nothing can have been sent), the development provider's record, a
queued message sent exactly once, delivery reports, and the webhook signature."""

import socket

import pytest

from app.extensions import db
from app.models.marketing import ConsentChannel, ConsentRecord
from app.models.sms import SmsMessage, SmsPreference, SmsStatus
from app.services.sms import messages, phones, preferences, providers, signatures
from app.services.sms.providers import DevelopmentProvider, SmsError, TwilioProvider
from tests.factories import make_contact, make_user
from tests.sms_fakes import ACCOUNT_SID, AUTH_TOKEN, SENDER, running_fake_twilio, twilio_error


@pytest.fixture
def fake_twilio(app, monkeypatch):
    yield from running_fake_twilio(app, monkeypatch)


# -- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("+1 (555) 010-0199", "+15550100199"),
        ("555.010.0199", "+15550100199"),
        ("1-555-010-0199", "+15550100199"),
        ("00886 912 345 678", "+886912345678"),
        ("+44 7911 123456", "+447911123456"),
        ("  +15550100199 ", "+15550100199"),
    ],
)
def test_numbers_are_normalised_to_e164(written, expected):
    assert phones.normalise(written) == expected


@pytest.mark.parametrize(
    ("written", "country", "expected"),
    [
        ("07911 123456", "+44", "+447911123456"),
        ("0912-345-678", "+886", "+886912345678"),
        ("886912345678", "+886", "+886912345678"),
    ],
)
def test_national_numbers_get_the_default_country_code(written, country, expected):
    assert phones.normalise(written, country) == expected


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "Enter a phone number"),
        ("call me", "is not a phone number"),
        ("555-0199", "ten digits"),
        ("+1 555", "too few or too many digits"),
        ("+1234567890123456", "too few or too many digits"),
        ("+1 555 010 0199 ext 12", "extension"),
        ("+0555 0100199", "too few or too many digits"),
    ],
)
def test_unreadable_numbers_are_refused_with_the_reason(written, reason):
    with pytest.raises(phones.PhoneInvalid) as refused:
        phones.normalise(written)
    assert reason in str(refused.value)


def test_a_person_is_texted_at_their_mobile_else_their_phone(db):
    owner = make_user()
    both = make_contact(owner, mobile="555 010 0101", phone="555 010 0102")
    phone_only = make_contact(owner, phone="(555) 010-0103")
    neither = make_contact(owner)
    assert phones.number_of(both) == "+15550100101"
    assert phones.number_of(phone_only) == "+15550100103"
    assert phones.number_of(neither) is None
    assert phones.masked("+15550100101") == "+155••••0101"


# -- the Twilio adapter --------------------------------------------------------------------


def _twilio(fake) -> TwilioProvider:
    return TwilioProvider(fake.url, ACCOUNT_SID, AUTH_TOKEN, timeout=5)


def test_twilio_posts_the_message_with_basic_auth_and_returns_its_sid(fake_twilio):
    sid = _twilio(fake_twilio).send(
        "+15550100199", "Hello Ann", SENDER, "http://rapport.test/sms/status"
    )
    assert sid.startswith("SM") and len(sid) == 34
    [request] = fake_twilio.requests
    assert request["status"] == 201  # the fake refuses (401) anything without the right auth
    assert request["form"] == {
        "To": "+15550100199",
        "From": SENDER,
        "Body": "Hello Ann",
        "StatusCallback": "http://rapport.test/sms/status",
    }


def test_a_messaging_service_sends_instead_of_a_number(fake_twilio):
    _twilio(fake_twilio).send("+15550100199", "Hi", "MG" + "1" * 32)
    form = fake_twilio.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in form


def test_twilio_refusing_a_number_is_a_clear_error_not_retried(fake_twilio):
    fake_twilio.answer(
        "+15550100666",
        twilio_error(21211, "The 'To' number +15550100666 is not a valid phone number."),
    )
    with pytest.raises(SmsError) as refused:
        _twilio(fake_twilio).send("+15550100666", "Hi", SENDER)
    error = refused.value
    assert error.code == "21211" and error.status == 400
    assert "not a valid phone number" in error.message
    assert not error.retryable and not error.ambiguous
    assert "21211" in str(error) and "HTTP 400" in str(error)
    assert len(fake_twilio.requests) == 1


def test_wrong_credentials_are_a_configuration_error(fake_twilio):
    provider = TwilioProvider(fake_twilio.url, ACCOUNT_SID, "not-the-token")
    with pytest.raises(SmsError) as refused:
        provider.send("+15550100199", "Hi", SENDER)
    assert refused.value.configuration and refused.value.code == "20003"


def test_a_5xx_answer_is_retried_then_succeeds(fake_twilio, monkeypatch):
    naps = []
    monkeypatch.setattr(providers, "sleep", naps.append)
    fake_twilio.answer(
        "+15550100199", twilio_error(20500, "Internal error", 500), twilio_error(20500, "Busy", 503)
    )
    sid = _twilio(fake_twilio).send("+15550100199", "Hi", SENDER)
    assert sid.startswith("SM")
    assert [r["status"] for r in fake_twilio.requests] == [500, 503, 201]
    assert naps == [0.5, 1.0]


def test_a_5xx_answer_every_time_is_given_up_as_retryable(fake_twilio, monkeypatch):
    monkeypatch.setattr(providers, "sleep", lambda seconds: None)
    fake_twilio.answer("+15550100199", *[twilio_error(20500, "Internal error", 500)] * 5)
    with pytest.raises(SmsError) as refused:
        _twilio(fake_twilio).send("+15550100199", "Hi", SENDER)
    assert refused.value.retryable and refused.value.status == 500
    assert len(fake_twilio.requests) == providers.RETRIES + 1


def test_no_server_at_all_is_retryable_and_nothing_was_sent(monkeypatch):
    monkeypatch.setattr(providers, "sleep", lambda seconds: None)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    provider = TwilioProvider(f"http://127.0.0.1:{port}", ACCOUNT_SID, AUTH_TOKEN, timeout=2)
    with pytest.raises(SmsError) as refused:
        provider.send("+15550100199", "Hi", SENDER)
    assert refused.value.retryable and not refused.value.ambiguous


def test_twilio_needs_its_credentials():
    with pytest.raises(SmsError) as refused:
        TwilioProvider("https://api.twilio.com", "", "")
    assert "RAPPORT_SMS_ACCOUNT_SID" in str(refused.value)


# -- the development provider and the message log ------------------------------------------


def test_the_development_provider_records_instead_of_sending(app):
    assert isinstance(providers.provider(), DevelopmentProvider)  # the default
    first = DevelopmentProvider().send("+15550100101", "One", "")
    DevelopmentProvider().send("+15550100102", "Two", "")
    recorded = DevelopmentProvider.recorded()
    assert [entry["body"] for entry in recorded] == ["Two", "One"]
    assert recorded[1]["id"] == first and recorded[1]["to"] == "+15550100101"
    assert DevelopmentProvider.recorded_count() == 2


def test_a_queued_message_is_sent_once_however_often_it_is_delivered(db):
    message = messages.queue("+15550100101", "Your ticket has a reply")
    db.session.commit()
    assert messages.deliver(message.id) is True
    assert messages.deliver(message.id) is False
    assert DevelopmentProvider.recorded_count() == 1
    sent = db.session.get(SmsMessage, message.id)
    assert sent.status is SmsStatus.SENT and sent.provider_id.startswith("DEV")
    assert sent.sent_at is not None


def test_a_refused_message_is_failed_with_the_providers_code(fake_twilio):
    fake_twilio.answer("+15550100666", twilio_error(21211, "The 'To' number is not valid."))
    message = messages.queue("+15550100666", "Hi")
    db.session.commit()
    assert messages.deliver(message.id) is False
    failed = db.session.get(SmsMessage, message.id)
    assert failed.status is SmsStatus.FAILED
    assert failed.error_code == "21211" and "not valid" in failed.error


def test_a_message_to_an_opted_out_number_is_not_sent(db):
    preferences.opt_out("+15550100101", source="manual")
    message = messages.queue("+15550100101", "Hi")
    db.session.commit()
    assert messages.deliver(message.id) is False
    assert db.session.get(SmsMessage, message.id).status is SmsStatus.FAILED
    assert DevelopmentProvider.recorded_count() == 0


def test_delivery_reports_move_a_message_on_and_a_final_state_stays(db):
    message = messages.queue("+15550100101", "Hi")
    db.session.commit()
    messages.deliver(message.id)
    sid = db.session.get(SmsMessage, message.id).provider_id
    messages.apply_status(sid, "sending")
    assert db.session.get(SmsMessage, message.id).status is SmsStatus.SENT
    messages.apply_status(sid, "delivered")
    messages.apply_status(sid, "sent")  # late and out of order
    delivered = db.session.get(SmsMessage, message.id)
    assert delivered.status is SmsStatus.DELIVERED and delivered.delivered_at is not None
    assert messages.apply_status("SMunknown", "delivered") is None


def test_a_report_that_the_number_unsubscribed_at_the_carrier_opts_it_out(db):
    message = messages.queue("+15550100101", "Hi")
    db.session.commit()
    messages.deliver(message.id)
    sid = db.session.get(SmsMessage, message.id).provider_id
    messages.apply_status(sid, "undelivered", "21610", "Attempt to send to unsubscribed recipient")
    db.session.commit()
    assert db.session.get(SmsMessage, message.id).status is SmsStatus.FAILED
    assert preferences.is_opted_out("+15550100101")
    record = db.session.query(ConsentRecord).one()
    assert record.channel is ConsentChannel.SMS and record.source == "provider"


def test_opting_out_twice_keeps_one_piece_of_evidence(db):
    assert preferences.opt_out("+15550100101", source="sms_keyword", keyword="STOP") is not None
    assert preferences.opt_out("+15550100101", source="sms_keyword", keyword="STOP") is None
    pref = db.session.get(SmsPreference, "+15550100101")
    assert pref.opt_out_keyword == "STOP" and not pref.consent
    assert db.session.query(ConsentRecord).count() == 1


# -- the webhook signature -----------------------------------------------------------------


def test_the_signature_is_twilios():
    # The worked example of Twilio's security documentation.
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signatures.signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert signatures.is_valid(
        "12345", ["http://other", url], params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    assert not signatures.is_valid("12345", [url], params[:-1], "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signatures.is_valid("", [url], params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


def test_twiml_replies_are_escaped():
    assert signatures.twiml("A & B <ok>") == (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Response><Message>A &amp; B &lt;ok&gt;</Message></Response>"
    )
    assert signatures.twiml("").endswith("<Response></Response>")


def test_suppression_is_the_same_looked_up_or_scanned(app, db, monkeypatch):
    preferences.opt_in("+15550100101", source="manual")
    preferences.opt_out("+15550100102", source="sms_keyword", keyword="STOP")
    db.session.commit()
    numbers = ["+15550100101", "+15550100102", "+15550100103"]
    expected = {"+15550100102": "opted_out", "+15550100103": "no_consent"}
    assert preferences.suppressed(numbers) == expected
    monkeypatch.setattr(preferences, "_WHOLE_TABLE_ABOVE", 1)  # a campaign-sized audience
    assert preferences.suppressed(numbers) == expected
    monkeypatch.setitem(app.config, "RAPPORT_MARKETING_REQUIRE_CONSENT", False)
    assert preferences.suppressed(numbers) == {"+15550100102": "opted_out"}
