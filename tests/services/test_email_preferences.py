"""Consent, unsubscribe, bounces, topics and language of an address: every consent change
leaves its evidence, and the send rule answers the same in Python and in SQL."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import (
    CampaignRecipient,
    ConsentRecord,
    EmailPreference,
    EventKind,
    MarketingEvent,
    MarketingTopic,
)
from app.services import email_preferences as prefs
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_campaign


def _records(email: str) -> list[ConsentRecord]:
    return list(
        db.session.scalars(
            sa.select(ConsentRecord).where(ConsentRecord.email == email).order_by(ConsentRecord.id)
        )
    )


def _recipient(campaign, email, **fields) -> CampaignRecipient:
    recipient = CampaignRecipient(campaign_id=campaign.id, email=email, **fields)
    db.session.add(recipient)
    db.session.commit()
    return recipient


def test_granting_consent_writes_evidence_linked_to_the_contact_found_by_address():
    rep = make_user(Role.SALES)
    contact = make_contact(rep, first_name="Mei", email="Mei@Example.com")
    prefs.grant_consent(
        " MEI@example.com ", source="manual", actor=rep, ip="10.0.0.1", detail="trade fair form"
    )
    db.session.commit()
    (record,) = _records("mei@example.com")
    assert (record.granted, record.source, record.detail, record.ip, record.actor_id) == (
        True,
        "manual",
        "trade fair form",
        "10.0.0.1",
        rep.id,
    )
    assert record.contact_id == contact.id and record.at is not None
    pref = prefs.preference("mei@example.com")
    assert pref.consent and pref.consent_source == "manual" and pref.consent_at is not None


def test_unsubscribe_withdraws_consent_marks_the_recipient_and_logs_an_event():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, email="ann@example.com")
    campaign = make_campaign(rep)
    recipient = _recipient(campaign, "ann@example.com", lead_id=lead.id)
    prefs.grant_consent("ann@example.com", source="form")
    prefs.unsubscribe("ann@example.com", source="unsubscribe_link", ip="::1", recipient=recipient)
    db.session.commit()
    granted, withdrawn = _records("ann@example.com")
    assert granted.granted and not withdrawn.granted
    assert withdrawn.source == "unsubscribe_link" and withdrawn.lead_id == lead.id
    pref = prefs.preference("ann@example.com")
    assert not pref.consent and pref.unsubscribed_at is not None
    assert recipient.unsubscribed_at is not None
    event = db.session.scalar(sa.select(MarketingEvent))
    assert (event.kind, event.lead_id, event.campaign_id) == (
        EventKind.UNSUBSCRIBE,
        lead.id,
        campaign.id,
    )


def test_consent_given_again_lifts_the_unsubscribe():
    prefs.unsubscribe("bo@example.com", source="unsubscribe_link")
    prefs.grant_consent("bo@example.com", source="preferences")
    db.session.commit()
    pref = prefs.preference("bo@example.com")
    assert pref.consent and pref.unsubscribed_at is None
    assert [r.granted for r in _records("bo@example.com")] == [False, True]


def test_a_hard_bounce_stops_mail_and_three_soft_bounces_count_as_hard():
    prefs.record_bounce("hard@example.com", "550 5.1.1 no such user", source="dsn")
    for _ in range(2):
        prefs.record_bounce("soft@example.com", "452 mailbox full", hard=False, source="dsn")
    db.session.commit()
    assert prefs.preference("hard@example.com").bounced_at is not None
    soft = prefs.preference("soft@example.com")
    assert soft.bounced_at is None and soft.bounce_count == 2
    prefs.record_bounce("soft@example.com", "452 mailbox full", hard=False, source="dsn")
    assert soft.bounced_at is not None and soft.bounce_reason == "452 mailbox full"


def test_topics_and_language_are_kept():
    prefs.set_topics("t@example.com", {MarketingTopic.OFFERS, MarketingTopic.EVENTS}, source="x")
    prefs.set_locale("t@example.com", "zh_Hant")
    prefs.set_locale("u@example.com", "klingon")
    db.session.commit()
    assert prefs.preference("t@example.com").topics_opted_out == ["EVENTS", "OFFERS"]
    assert prefs.preference("t@example.com").locale == "zh_Hant"
    assert prefs.preference("u@example.com").locale == ""


def test_masked_hides_the_local_part():
    assert prefs.masked("Mei.Chen@Example.com") == "m***@example.com"


# -- the send rule, in Python and in SQL --------------------------------------------------

NOW = utcnow()
CASES = [
    # (email, preference fields or None, topic, expected with consent required, without)
    ("none@x.test", None, MarketingTopic.NEWSLETTER, "no_consent", ""),
    ("ok@x.test", {"consent": True}, MarketingTopic.NEWSLETTER, "", ""),
    ("noconsent@x.test", {"consent": False}, MarketingTopic.OFFERS, "no_consent", ""),
    (
        "bounced@x.test",
        {"consent": True, "bounced_at": NOW, "unsubscribed_at": NOW},
        MarketingTopic.OFFERS,
        "bounced",
        "bounced",
    ),
    (
        "unsub@x.test",
        {"consent": False, "unsubscribed_at": NOW, "topics_opted_out": ["OFFERS"]},
        MarketingTopic.OFFERS,
        "unsubscribed",
        "unsubscribed",
    ),
    (
        "topic@x.test",
        {"consent": True, "topics_opted_out": ["OFFERS"]},
        MarketingTopic.OFFERS,
        "topic",
        "topic",
    ),
    (
        "othertopic@x.test",
        {"consent": True, "topics_opted_out": ["EVENTS", "PRODUCT"]},
        MarketingTopic.OFFERS,
        "",
        "",
    ),
    (
        "topicnoconsent@x.test",
        {"consent": False, "topics_opted_out": ["OFFERS"]},
        MarketingTopic.OFFERS,
        "no_consent",
        "topic",
    ),
    ("soft@x.test", {"consent": True, "bounce_count": 2}, MarketingTopic.EVENTS, "", ""),
]


@pytest.mark.parametrize("required", [True, False], ids=["consent-required", "opt-out"])
def test_skip_reason_and_its_sql_agree(app, monkeypatch, required):
    monkeypatch.setitem(app.config, "RAPPORT_MARKETING_REQUIRE_CONSENT", required)
    rep = make_user(Role.MARKETING)
    campaign = make_campaign(rep)
    for email, fields, _topic, _a, _b in CASES:
        if fields is not None:
            db.session.add(EmailPreference(email=email, **{"topics_opted_out": [], **fields}))
        _recipient(campaign, email, sent_at=NOW - timedelta(days=1))
    db.session.commit()
    for email, _fields, topic, with_consent, without in CASES:
        expected = with_consent if required else without
        assert prefs.skip_reason(prefs.preference(email), topic) == expected, email
        sql = db.session.scalar(
            sa.select(prefs.skip_reason_sql(CampaignRecipient.email, topic)).where(
                CampaignRecipient.email == email
            )
        )
        assert sql == expected, email


def test_skip_reason_sql_filters_a_whole_audience_in_one_query():
    rep = make_user(Role.MARKETING)
    campaign = make_campaign(rep)
    for email, fields, *_ in CASES:
        if fields is not None:
            db.session.add(EmailPreference(email=email, **{"topics_opted_out": [], **fields}))
        _recipient(campaign, email)
    db.session.commit()
    reason = prefs.skip_reason_sql(CampaignRecipient.email, MarketingTopic.OFFERS)
    sendable = db.session.scalars(
        sa.select(CampaignRecipient.email).where(reason == "").order_by(CampaignRecipient.email)
    ).all()
    assert sendable == ["ok@x.test", "othertopic@x.test", "soft@x.test"]


def test_unsubscribing_twice_leaves_one_record():
    assert prefs.unsubscribe("twice@example.com", source="unsubscribe_link") is not None
    assert prefs.unsubscribe("twice@example.com", source="list_unsubscribe") is None
    db.session.commit()
    assert len(_records("twice@example.com")) == 1
