"""`flask rapport seed` fills the lead side: bilingual leads over three years from every
source, searchable as the lead service keeps them, and two working assignment rules."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Contact
from app.models.records import AuditEntry
from app.models.sales import AssignmentRule, Lead, LeadSource, LeadStatus
from app.services import demo, lead_assignment, search


def _seed(seed: int = 5) -> dict:
    summary = demo.seed(seed=seed, scale="small", admin_password="a long admin password")
    db.session.commit()
    return summary


def test_the_small_seed_has_bilingual_leads_in_every_status_over_three_years():
    summary = _seed()

    assert summary["leads"] == 150 and summary["assignment_rules"] == 2
    leads = db.session.scalars(sa.select(Lead)).all()
    assert len(leads) == 150
    assert {lead.status for lead in leads} == set(LeadStatus)
    assert len({lead.source for lead in leads}) >= 6
    assert any("\u4e00" <= lead.last_name[0] <= "\u9fff" for lead in leads)
    assert any(lead.last_name.isascii() for lead in leads)
    assert "TW" in {lead.country for lead in leads}
    oldest = min(lead.created_at for lead in leads)
    assert datetime.now(UTC) - timedelta(days=3 * 365 + 1) < oldest
    assert oldest < datetime.now(UTC) - timedelta(days=2 * 365)
    for lead in leads:
        assert lead.search_text == search.normalise(
            lead.first_name, lead.last_name, lead.company, lead.email, lead.phone, lead.mobile
        )


def test_converted_leads_point_at_a_customer_and_its_contact():
    _seed()
    converted = db.session.scalars(sa.select(Lead).where(Lead.status == LeadStatus.CONVERTED)).all()
    assert converted
    for lead in converted:
        contact = db.session.get(Contact, lead.contact_id)
        assert contact.customer_id == lead.customer_id
        assert lead.created_at <= lead.converted_at
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Lead)
        .where(Lead.status != LeadStatus.CONVERTED, Lead.customer_id.is_not(None))
    )
    assert others == 0


def test_the_demo_rules_assign_web_leads_from_taiwan_round_robin():
    _seed()
    rules = lead_assignment.rules_in_order()
    assert [(r.source, r.country) for r in rules] == [
        (LeadSource.WEB_FORM, "TW"),
        (LeadSource.EVENT, ""),
    ]
    owners = []
    for _ in range(2):
        lead = Lead(last_name="Test", source=LeadSource.WEB_FORM, country="TW")
        lead_assignment.assign(lead)
        owners.append(lead.owner_id)
        assert lead.team_id == rules[0].team_id
    assert owners[0] != owners[1]
    event = Lead(last_name="Test", source=LeadSource.EVENT)
    lead_assignment.assign(event)
    assert event.owner_id == rules[1].user_id


def test_the_same_seed_gives_the_same_leads_and_bulk_rows_are_not_audited():
    _seed(seed=9)
    first = db.session.execute(
        sa.select(Lead.last_name, Lead.status, Lead.email).order_by(Lead.id)
    ).all()
    audited = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type.in_(["leads", "lead_assignment_rules"]))
    )
    assert audited == 0
    assert db.session.scalar(sa.select(sa.func.count(AssignmentRule.id))) == 2
    for table in reversed(db.metadata.sorted_tables):  # every seeder's rows, not just ours
        db.session.execute(table.delete())
    db.session.commit()

    _seed(seed=9)
    again = db.session.execute(
        sa.select(Lead.last_name, Lead.status, Lead.email).order_by(Lead.id)
    ).all()
    assert again == first
