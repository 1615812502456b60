"""The marketing panel on a contact's and a lead's page: consent state, history and events
for those who may read the person; consent and topics changed only by those who may edit
them, with the evidence kept and the change on the record's history."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import ConsentRecord, EventKind, MarketingEvent
from app.models.records import AuditEntry
from app.services import email_preferences
from tests.conftest import htmx_post
from tests.factories import make_contact, make_lead, make_team, make_user

HTMX = {"HX-Request": "true"}


def test_the_panel_shows_consent_history_badges_and_events(login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, first_name="Mei", email="mei@example.com")
    email_preferences.grant_consent("mei@example.com", source="form", ip="10.1.1.1")
    email_preferences.record_bounce("mei@example.com", "550 5.1.1 user unknown", source="dsn")
    db.session.add(MarketingEvent(kind=EventKind.EMAIL_OPEN, contact_id=contact.id))
    db.session.commit()
    client = login(rep)
    response = client.get(f"/marketing/people/contact/{contact.id}/panel", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="marketing-contact-{contact.id}"' in html
    assert "Consent given" in html and "web form" in html and "10.1.1.1" in html
    assert "Bounced" in html and "550 5.1.1 user unknown" in html
    assert "Opened an email" in html and "Email bounced" in html
    assert 'id="marketing-consent-grant"' in html


def test_the_contact_and_lead_pages_load_the_panel(login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, email="c@example.com")
    lead = make_lead(rep, email="l@example.com")
    client = login(rep)
    contact_page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert f"/marketing/people/contact/{contact.id}/panel" in contact_page
    lead_page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f"/marketing/people/lead/{lead.id}/panel" in lead_page


def test_a_rep_records_consent_with_a_note_and_it_is_evidence_and_audited(login):
    rep = make_user(Role.SALES)
    lead = make_lead(rep, email="Ann@Example.com")
    client = login(rep)
    url = f"/marketing/people/lead/{lead.id}/consent"
    refused = htmx_post(client, url, {"granted": "yes", "note": "  "})
    assert refused.status_code == 200 and "Say how the consent" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 0
    response = htmx_post(client, url, {"granted": "yes", "note": "signed form at trade fair"})
    assert response.status_code == 200 and "Consent given" in response.get_data(as_text=True)
    record = db.session.scalar(sa.select(ConsentRecord))
    assert (record.email, record.lead_id, record.granted, record.source, record.actor_id) == (
        "ann@example.com",
        lead.id,
        True,
        "manual",
        rep.id,
    )
    assert record.detail == "signed form at trade fair"
    entry = db.session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "leads", AuditEntry.entity_id == str(lead.id))
        .order_by(AuditEntry.id.desc())
    )
    assert entry.changes == {"marketing_consent": [False, True]} and entry.actor_id == rep.id


def test_topics_are_edited_from_the_panel(login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, email="t@example.com")
    client = login(rep)
    response = htmx_post(
        client,
        f"/marketing/people/contact/{contact.id}/topics",
        {"topic": ["NEWSLETTER", "PRODUCT"]},
    )
    assert response.status_code == 200
    db.session.expire_all()
    assert email_preferences.preference("t@example.com").topics_opted_out == ["EVENTS", "OFFERS"]


def test_a_rep_cannot_change_consent_on_another_reps_contact(login):
    owner, other = make_user(Role.SALES), make_user(Role.SALES)
    contact = make_contact(owner, email="x@example.com")
    client = login(other)
    base = f"/marketing/people/contact/{contact.id}"
    assert client.get(f"{base}/panel", headers=HTMX).status_code == 403
    consent = htmx_post(client, f"{base}/consent", {"granted": "no", "note": "asked by phone"})
    assert consent.status_code == 403
    assert htmx_post(client, f"{base}/topics", {"topic": ["OFFERS"]}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 0
    assert email_preferences.preference("x@example.com") is None


def test_a_reader_without_edit_rights_sees_no_buttons(login):
    team = make_team("Taipei")
    owner = make_user(Role.SALES, team=team)
    contact = make_contact(owner, email="y@example.com")
    support = make_user(Role.SUPPORT, team=team)  # reads the team's contacts, edits own
    client = login(support)
    html = client.get(f"/marketing/people/contact/{contact.id}/panel", headers=HTMX).get_data(
        as_text=True
    )
    assert "No consent recorded" in html and "marketing-consent-grant" not in html
    refused = htmx_post(
        client, f"/marketing/people/contact/{contact.id}/consent", {"granted": "yes", "note": "x"}
    )
    assert refused.status_code == 403


def test_an_unknown_entity_is_a_404(login):
    client = login(make_user(Role.MANAGER))
    assert client.get("/marketing/people/user/1/panel").status_code == 404
