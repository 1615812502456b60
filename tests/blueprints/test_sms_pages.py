"""The SMS pages: Admin > SMS (the development outbox and the message log, administrators
only), the campaign form's text field (shown for SMS campaigns), an SMS campaign's send
panel (a test to a number) and figures, and a person's SMS consent in their marketing
panel."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Campaign, CampaignType, ConsentChannel, ConsentRecord
from app.models.records import AuditEntry
from app.models.sms import SmsDirection, SmsMessage, SmsStatus
from app.services.sms import messages, preferences
from app.services.sms.providers import DevelopmentProvider
from tests.conftest import htmx_post, post_form
from tests.factories import make_contact, make_user
from tests.marketing_factories import make_campaign, make_segment

HTMX = {"HX-Request": "true"}


def test_admin_sees_the_development_outbox_and_the_log(client, admin):
    DevelopmentProvider().send("+15550100101", "Recorded hello", "")
    db.session.add(
        SmsMessage(
            direction=SmsDirection.IN,
            to_number="+15550000000",
            from_number="+15550100101",
            body="Hi there",
            status=SmsStatus.RECEIVED,
        )
    )
    db.session.commit()
    page = client.get("/admin/sms").get_data(as_text=True)
    assert "SMS outbox (development)" in page
    assert "Recorded hello" in page and "Hi there" in page
    assert 'href="/admin/sms"' in page  # the admin menu entry
    sent_only = client.get("/admin/sms?direction=OUT", headers=HTMX).get_data(as_text=True)
    assert sent_only.lstrip().startswith('<div id="sms-log-results">')
    assert "Hi there" not in sent_only and "No text messages yet." in sent_only


def test_the_log_is_paged(client, admin):
    for n in range(messages.LOG_PAGE + 3):
        messages.queue(f"+1555010{n:04d}", f"Message {n}")
    db.session.commit()
    first = client.get("/admin/sms").get_data(as_text=True)
    assert "Message 52" in first and "Message 2<" not in first
    assert 'id="sms-log-older"' in first
    older_url = first.split('id="sms-log-older"')[0].rsplit('href="', 1)[1].split('"')[0]
    older = client.get(older_url.replace("&amp;", "&")).get_data(as_text=True)
    assert "Message 2<" in older and "Message 52" not in older


def test_only_administrators_see_the_sms_pages(client, login):
    login(make_user(Role.MARKETING))
    assert client.get("/admin/sms").status_code == 403


def test_the_campaign_form_shows_the_text_field_for_sms_campaigns(client, login):
    marketer = make_user(Role.MARKETING)
    login(marketer)
    form = client.get("/marketing/campaigns/new").get_data(as_text=True)
    assert 'data-shown-when="type=SMS" hidden' in form and 'value="SMS"' in form
    fields = {"name": "Flash sale", "type": "SMS", "status": "ACTIVE", "topic": "OFFERS",
              "currency": "USD", "channels": ["SMS"]}  # fmt: skip
    too_long = post_form(client, "/marketing/campaigns/new", fields | {"sms_body": "x" * 700})
    html = too_long.get_data(as_text=True)
    assert "Keep the text message under 640 characters." in html
    assert 'data-shown-when="type=SMS" hidden' not in html
    good = post_form(
        client, "/marketing/campaigns/new", fields | {"sms_body": "Hi {{ contact.first_name }}"}
    )
    campaign = db.session.scalar(sa.select(Campaign))
    assert good.status_code == 302
    assert (campaign.type, campaign.sms_body) == (CampaignType.SMS, "Hi {{ contact.first_name }}")
    edit = client.get(f"/marketing/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'data-shown-when="type=SMS" hidden' not in edit


def test_an_sms_campaigns_panel_sends_a_test_and_its_page_shows_the_figures(client, login, worker):
    marketer = make_user(Role.MARKETING)
    contact = make_contact(marketer, first_name="Ann", mobile="555 010 0101")
    preferences.opt_in("+15550100101", source="manual", detail="signed")
    db.session.commit()
    segment = make_segment(marketer, kind="STATIC", members=[contact.id])
    campaign = make_campaign(marketer, segment=segment, type=CampaignType.SMS, sms_body="Hi")
    login(marketer)
    panel = client.get(f"/marketing/campaigns/{campaign.id}/send", headers=HTMX)
    html = panel.get_data(as_text=True)
    assert "SMS send" in html and 'id="sms-test-form"' in html
    assert 'id="send-preview-sendable">1<' in html

    test = htmx_post(client, f"/marketing/campaigns/{campaign.id}/send/test", {"to": "5550100199"})
    assert "A test was sent to +15550100199." in test.get_data(as_text=True)
    refused = htmx_post(client, f"/marketing/campaigns/{campaign.id}/send/test", {"to": "abc"})
    assert "is not a phone number" in refused.get_data(as_text=True)

    htmx_post(client, f"/marketing/campaigns/{campaign.id}/send/start", {})
    worker()
    page = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="campaign-sms-figures"' in page and 'id="sms-metric-sent">1<' in page
    assert 'id="campaign-email-figures"' not in page


def test_a_colleague_records_sms_consent_with_a_note(client, login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, first_name="Ann", mobile="(555) 010-0101")
    login(rep)
    panel = client.get(f"/marketing/people/contact/{contact.id}/panel", headers=HTMX)
    assert f"/marketing/people/contact/{contact.id}/sms" in panel.get_data(as_text=True)
    html = client.get(f"/marketing/people/contact/{contact.id}/sms", headers=HTMX).get_data(
        as_text=True
    )
    assert "+15550100101" in html and "No SMS consent recorded" in html

    url = f"/marketing/people/contact/{contact.id}/sms/consent"
    missing = htmx_post(client, url, {"granted": "yes", "note": " "})
    assert "Say how the consent was given or withdrawn." in missing.get_data(as_text=True)
    given = htmx_post(client, url, {"granted": "yes", "note": "Ticked the box at the counter"})
    assert "Consent given" in given.get_data(as_text=True)
    record = db.session.scalars(sa.select(ConsentRecord)).one()
    assert (record.channel, record.granted, record.source, record.actor_id) == (
        ConsentChannel.SMS,
        True,
        "manual",
        rep.id,
    )
    audited = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "contacts", AuditEntry.entity_id == str(contact.id)
        )
    ).all()
    assert any("sms_consent" in (entry.changes or {}) for entry in audited)
    withdrawn = htmx_post(client, url, {"granted": "no", "note": "Asked on the phone"})
    assert "Opted out" in withdrawn.get_data(as_text=True)
    assert preferences.is_opted_out("+15550100101")


def test_a_person_without_a_readable_number_is_told_why(client, login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, first_name="Ann", mobile="12-34")
    login(rep)
    html = client.get(f"/marketing/people/contact/{contact.id}/sms", headers=HTMX).get_data(
        as_text=True
    )
    assert "too few or too many digits" in html or "ten digits" in html
