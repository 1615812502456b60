"""A person's data export: everything held about them in one JSON document, no secrets, no
colleague's internal notes, audited, and only for those with the right."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app import permissions
from app.audit import set_actor
from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.service import Ticket
from app.services import person_export, tickets
from tests.factories import make_contact, make_team, make_user
from tests.privacy_factories import make_subject


@pytest.fixture
def admin():
    user = make_user(Role.ADMIN)
    set_actor(db.session, user, source="web")
    return user


def test_the_export_holds_the_person_everywhere(admin):
    subject = make_subject(admin)
    ticket = db.session.get(Ticket, subject.ticket_id)
    tickets.add_comment(ticket, admin, "Internal: check the warranty", internal=True)
    db.session.commit()

    document = json.loads(person_export.build(admin, "contact", subject.contact_id).content)

    records = document["records"]
    expected = {
        "contacts",
        "leads",
        "customers",
        "activities",
        "tickets",
        "ticket_comments",
        "portal_users",
        "consent_records",
        "email_preferences",
        "campaign_recipients",
        "marketing_events",
        "web_form_submissions",
        "web_visitors",
        "survey_responses",
        "sequence_enrollments",
        "opportunities",
        "quotes",
        "orders",
        "audit_entries",
    }
    assert expected <= set(records)
    assert records["contacts"][0]["email"] == subject.email
    assert {row["id"] for row in records["leads"]} == {subject.lead_id}
    bodies = [row["body"] for row in records["ticket_comments"]]
    assert subject.comment_text in bodies
    assert "Internal: check the warranty" not in bodies
    assert "password_hash" not in records["portal_users"][0]
    assert any(entry["entity_type"] == "contacts" for entry in records["audit_entries"])
    assert document["subject"] == {
        "kind": "contact",
        "id": subject.contact_id,
        "name": f"{subject.first_name} {subject.last_name}",
        "contact_ids": [subject.contact_id],
        "lead_ids": [subject.lead_id],
    }


def test_the_sms_messages_are_in_it_when_the_sms_module_is(admin):
    pytest.importorskip("app.models.sms")
    subject = make_subject(admin)
    records = json.loads(person_export.build(admin, "lead", subject.lead_id).content)["records"]
    assert len(records["sms_messages"]) == 2  # one sent to them, one they sent


def test_the_export_is_audited_on_the_record(admin):
    subject = make_subject(admin)
    export = person_export.build(admin, "contact", subject.contact_id)
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == (
        "contacts",
        str(subject.contact_id),
        admin.id,
    )
    assert entry.changes["personal_data_exported"][1] == export.counts


def test_only_people_with_the_right_may_export(admin):
    team = make_team()
    manager = make_user(Role.MANAGER, team=team)
    rep = make_user(Role.SALES, team=team)
    theirs = make_contact(rep, last_name="Teammate's contact")
    with pytest.raises(permissions.PermissionDenied):
        person_export.build(manager, "contact", theirs.id)
    permissions.set_grant(Role.MANAGER, "personal_data", "read", permissions.Scope.ALL)
    permissions.set_grant(Role.SALES, "personal_data", "read", permissions.Scope.ALL)
    assert person_export.build(manager, "contact", theirs.id).counts["contacts"] == 1
    outsider = make_user(Role.SALES)
    with pytest.raises(permissions.PermissionDenied):
        person_export.build(outsider, "contact", theirs.id)


def test_an_unknown_record_is_not_found(admin):
    with pytest.raises(LookupError):
        person_export.build(admin, "contact", 999)
    with pytest.raises(LookupError):
        person_export.build(admin, "customer", 1)
