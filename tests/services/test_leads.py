"""Leads as the services see them: validation, owners, the permission-filtered searchable
list, and conversion into a customer, a contact and an opportunity in one transaction."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models.activities import Activity
from app.models.customers import Contact, Customer
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.sales import Lead, LeadSource, LeadStatus
from app.permissions import PermissionDenied
from app.services import custom_fields, lead_conversion, leads, tags
from app.services.leads import LeadFilters
from app.services.validation import RecordInvalid
from tests.factories import (
    make_activity,
    make_contact,
    make_customer,
    make_lead,
    make_team,
    make_user,
)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def _names(rows):
    return [lead.last_name for lead in rows]


def test_a_rep_creates_a_lead_they_own_with_every_field():
    rep = make_user(Role.SALES)
    lead = leads.create_lead(
        rep,
        first_name=" 小明 ",
        last_name="王",
        company="台灣積體電路",
        title="採購經理",
        email="ming@tsmc.example",
        phone="03-5636688",
        mobile="0912 345 678",
        website="tsmc.example",
        industry="Semiconductors",
        employees="73000",
        annual_revenue="1250000.5",
        country="tw",
        region="新竹",
        city="新竹市",
        source="referral",
        source_detail="Trade fair 2026",
        status="CONTACTED",
        description="Wants a demo.",
    )
    assert lead.owner_id == rep.id and lead.created_by_id == rep.id
    assert (lead.first_name, lead.full_name) == ("小明", "王小明")
    assert lead.employees == 73000 and lead.annual_revenue == Decimal("1250000.50")
    assert lead.country == "TW" and lead.website == "https://tsmc.example"
    assert lead.source is LeadSource.REFERRAL and lead.status is LeadStatus.CONTACTED
    assert lead.search_text == ("小明 王 台灣積體電路 ming@tsmc.example 03-5636688 0912 345 678")


def test_bad_input_is_refused_with_every_message_at_once():
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        leads.create_lead(
            rep,
            last_name=" ",
            email="nope",
            website="javascript:alert(1)",
            employees="-3",
            annual_revenue="12.345",
            country="Taiwan",
            source="carrier pigeon",
            status="CONVERTED",
        )
    errors = refused.value.errors
    assert set(errors) == {
        "last_name", "email", "website", "employees", "annual_revenue", "country", "source",
        "status",
    }  # fmt: skip
    assert errors["last_name"] == "Enter the lead's last name."
    assert errors["employees"] == "Enter a whole number of 0 or more."
    assert errors["annual_revenue"] == "Use at most two decimal places."
    assert errors["country"] == "Use a two-letter country code, like TW."
    assert errors["status"] == "A lead becomes converted by converting it."
    assert _count(Lead) == 0


@pytest.mark.parametrize(
    "fields, key",
    [({"employees": "12.5"}, "employees"), ({"employees": True}, "employees"),
     ({"annual_revenue": -1}, "annual_revenue"), ({"annual_revenue": 1.5}, "annual_revenue"),
     ({"annual_revenue": "NaN"}, "annual_revenue"), ({"country": "T1"}, "country"),
     ({"first_name": "x" * 101}, "first_name"), ({"team_id": 999}, "team_id")],
)  # fmt: skip
def test_numbers_countries_and_teams_are_checked(fields, key):
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        leads.create_lead(rep, last_name="Lin", **fields)
    assert list(refused.value.errors) == [key]


def test_owner_and_team_rules():
    team, other_team = make_team(), make_team()
    rep, colleague = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    manager = make_user(Role.MANAGER, team=team)
    with pytest.raises(RecordInvalid) as refused:
        leads.create_lead(rep, last_name="Lin", owner_id=colleague.id)
    assert "owner_id" in refused.value.errors
    with pytest.raises(RecordInvalid):
        leads.create_lead(rep, last_name="Lin", team_id=other_team.id)
    lead = leads.create_lead(manager, last_name="Lin", owner_id=colleague.id, team_id=team.id)
    assert (lead.owner_id, lead.team_id) == (colleague.id, team.id)


def test_a_rep_sees_and_edits_only_their_own_leads_and_support_sees_none():
    team = make_team()
    rep, other = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    manager, support = make_user(Role.MANAGER, team=team), make_user(Role.SUPPORT, team=team)
    make_lead(rep, last_name="Mine")
    theirs = make_lead(other, last_name="Theirs")

    def visible(user):
        return sorted(_names(db.session.scalars(leads.leads_query(user, LeadFilters()))))

    assert visible(rep) == ["Mine"]
    assert visible(manager) == ["Mine", "Theirs"]
    assert visible(support) == []
    with pytest.raises(PermissionDenied):
        leads.update_lead(theirs, rep, last_name="Stolen")
    with pytest.raises(PermissionDenied):
        leads.delete_lead(theirs, rep)
    with pytest.raises(PermissionDenied):
        leads.create_lead(support, last_name="Nope")


def test_update_changes_only_the_given_fields_and_keeps_search_in_step():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, last_name="Lin", company="Acme", phone="02-1234", status="CONTACTED")
    leads.update_lead(lead, rep, company="Acme Ltd", email="lin@acme.example")
    assert lead.phone == "02-1234" and lead.status is LeadStatus.CONTACTED
    assert lead.search_text == "lin acme ltd lin@acme.example 02-1234"
    with pytest.raises(RecordInvalid) as refused:
        leads.update_lead(lead, rep, status="CONVERTED")
    assert refused.value.errors == {"status": "A lead becomes converted by converting it."}


def test_custom_fields_are_validated_and_stored():
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "lead", "Budget", "number")
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        leads.create_lead(rep, last_name="Lin", custom={"budget": "lots"})
    assert list(refused.value.errors) == ["custom.budget"]
    assert leads.create_lead(rep, last_name="Lin", custom={"budget": "5000"}).custom == {
        "budget": "5000"
    }


def test_search_finds_a_chinese_name_by_any_part_of_it():
    rep = make_user(Role.SALES)
    make_lead(rep, last_name="王", company="台灣積體電路")
    make_lead(rep, last_name="Müller", company="鴻海精密工業")

    def found(q):
        return _names(leads.lead_page(rep, LeadFilters(q=q))[0])

    assert found("積體") == ["王"]
    assert found("積體電路") == ["王"]
    assert found("muller") == ["Müller"]


def test_filters_sort_and_keyset_pages():
    rep = make_user(Role.SALES)
    for n in range(7):
        make_lead(rep, last_name=f"Lead {n}", source=["WEB_FORM", "EVENT"][n % 2])
    make_lead(rep, last_name="Qualified", status="QUALIFIED")
    filters = LeadFilters.from_args(MultiDict({"sort": "name; drop", "status": "NOPE"}))
    assert (filters.sort, filters.direction, filters.status) == ("created_at", "desc", None)
    web = LeadFilters.from_args(MultiDict({"source": "WEB_FORM", "sort": "name"}))
    first, cursor = leads.lead_page(rep, web, limit=3)
    second, last = leads.lead_page(rep, web, cursor, limit=3)
    assert _names(first) + _names(second) == ["Lead 0", "Lead 2", "Lead 4", "Lead 6"]
    assert last is None
    qualified = LeadFilters.from_args(MultiDict({"status": "QUALIFIED"}))
    assert _names(leads.lead_page(rep, qualified)[0]) == ["Qualified"]
    assert qualified.as_args() == {"status": "QUALIFIED"}


def test_tag_filter():
    rep = make_user(Role.SALES)
    hot = make_lead(rep, last_name="Hot")
    make_lead(rep, last_name="Cold")
    tags.add_tags(rep, "leads", hot.id, ["trade-fair"])
    assert _names(leads.lead_page(rep, LeadFilters(tag="trade-fair"))[0]) == ["Hot"]


def test_deleting_a_lead_removes_its_tags_and_own_activities():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, last_name="Lin")
    tags.add_tags(rep, "leads", lead.id, ["vip"])
    activity = make_activity(rep, "CALL", subject="First call")
    activity.lead_id = lead.id
    db.session.commit()
    leads.delete_lead(lead, rep)
    db.session.commit()
    assert _count(Lead) == 0 and _count(Activity) == 0
    assert tags.tags_for("leads", [lead.id])[lead.id] == []


def _lead_with_a_call(rep, **fields):
    lead = make_lead(rep, **fields)
    call = make_activity(rep, "CALL", subject="Intro call")
    call.lead_id = lead.id
    db.session.commit()
    return lead, call


def test_converting_creates_a_customer_and_a_contact_and_moves_the_activities():
    rep = make_user(Role.SALES)
    lead, call = _lead_with_a_call(
        rep, first_name="小明", last_name="王", company="台灣積體電路", email="ming@tsmc.example",
        phone="03-1234", title="Buyer", industry="Semis", city="新竹市", country="TW",
    )  # fmt: skip
    done = lead_conversion.convert_lead(lead, rep)
    db.session.commit()
    customer, contact = done.customer, done.contact
    assert (customer.name, customer.industry, customer.owner_id) == (
        "台灣積體電路",
        "Semis",
        rep.id,
    )
    assert [(a.city, a.country) for a in customer.addresses] == [("新竹市", "TW")]
    assert (contact.full_name, contact.email, contact.title) == (
        "王小明",
        "ming@tsmc.example",
        "Buyer",
    )
    assert contact.customer_id == customer.id and contact.is_primary
    assert lead.status is LeadStatus.CONVERTED and lead.converted_at is not None
    assert (lead.customer_id, lead.contact_id) == (customer.id, contact.id)
    call = db.session.get(Activity, call.id)
    assert (call.customer_id, call.contact_id, call.lead_id) == (customer.id, contact.id, lead.id)
    changed = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "leads", AuditEntry.entity_id == str(lead.id)
        )
    ).all()
    assert any("status" in (entry.changes or {}) for entry in changed)


def test_a_lead_without_company_becomes_a_customer_named_after_the_person():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, first_name="Ann", last_name="Lee", email="ann@example.com")
    customer = lead_conversion.convert_lead(lead, rep).customer
    assert (customer.name, customer.email) == ("Ann Lee", "ann@example.com")


def test_converting_links_an_existing_customer_and_contact():
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    loose = make_contact(rep, last_name="Loose")
    lead = make_lead(rep, last_name="Lin", company="Acme")
    done = lead_conversion.convert_lead(lead, rep, customer_id=customer.id, contact_id=loose.id)
    db.session.commit()
    assert done.customer.id == customer.id and done.contact.id == loose.id
    assert loose.customer_id == customer.id
    assert _count(Customer) == 1 and _count(Contact) == 1

    other = make_lead(rep, last_name="Chen")
    done = lead_conversion.convert_lead(other, rep, customer_id=customer.id)
    assert done.contact.customer_id == customer.id and not done.contact.is_primary


def test_converting_refuses_records_the_rep_may_not_edit_and_leaves_nothing_behind():
    rep, stranger = make_user(Role.SALES), make_user(Role.SALES)
    theirs = make_customer(stranger, name="Theirs")
    elsewhere = make_contact(stranger, last_name="Elsewhere")
    mine = make_customer(rep, name="Mine")
    at_other = make_contact(rep, make_customer(rep, name="Other"), last_name="At other")
    lead = make_lead(rep, last_name="Lin", company="Acme")
    with pytest.raises(RecordInvalid) as refused:
        lead_conversion.convert_lead(lead, rep, customer_id=theirs.id)
    assert refused.value.errors == {"customer_id": "Choose a customer you may edit."}
    with pytest.raises(RecordInvalid) as refused:
        lead_conversion.convert_lead(lead, rep, contact_id=elsewhere.id)
    assert refused.value.errors == {"contact_id": "Choose a contact you may edit."}
    with pytest.raises(RecordInvalid) as refused:
        lead_conversion.convert_lead(lead, rep, customer_id=mine.id, contact_id=at_other.id)
    assert "another customer" in refused.value.errors["contact_id"]
    db.session.commit()
    assert _count(Customer) == 3 and _count(Contact) == 2
    assert db.session.scalar(sa.select(Customer).where(Customer.name == "Acme")) is None
    assert lead.status is LeadStatus.NEW and lead.customer_id is None


def test_a_failing_step_late_in_the_conversion_undoes_the_customer_it_made():
    rep = make_user(Role.SALES)
    lead, call = _lead_with_a_call(rep, last_name="Lin", company="Acme")
    with pytest.raises(RecordInvalid) as refused:
        lead_conversion.convert_lead(
            lead, rep, create_opportunity=True, opportunity_name="Deal", amount="-5"
        )
    assert list(refused.value.errors) == ["opportunity.amount"]
    db.session.commit()
    assert _count(Customer) == 0 and _count(Contact) == 0
    assert db.session.get(Activity, call.id).customer_id is None
    assert db.session.get(Lead, lead.id).status is LeadStatus.NEW


def test_converting_creates_an_opportunity_when_asked():
    from app.models.sales import Opportunity

    rep = make_user(Role.SALES)
    lead = make_lead(rep, last_name="Lin", company="Acme")
    done = lead_conversion.convert_lead(
        lead, rep, create_opportunity=True, opportunity_name="Acme roll-out", amount="12500.50"
    )
    db.session.commit()
    opportunity = db.session.get(Opportunity, done.opportunity.id)
    assert (opportunity.name, opportunity.amount) == ("Acme roll-out", Decimal("12500.50"))
    assert lead.opportunity_id == opportunity.id
    assert (opportunity.customer_id, opportunity.contact_id, opportunity.lead_id) == (
        done.customer.id, done.contact.id, lead.id,
    )  # fmt: skip


def test_a_converted_lead_refuses_a_second_conversion_and_keeps_its_status():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, last_name="Lin")
    lead_conversion.convert_lead(lead, rep)
    db.session.commit()
    with pytest.raises(RecordInvalid) as refused:
        lead_conversion.convert_lead(lead, rep)
    assert refused.value.errors == {"status": "This lead is already converted."}
    with pytest.raises(RecordInvalid):
        leads.update_lead(lead, rep, status="QUALIFIED")
    assert _count(Customer) == 1


def test_only_someone_who_may_edit_the_lead_converts_it():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    lead = make_lead(other, last_name="Lin")
    with pytest.raises(PermissionDenied):
        lead_conversion.convert_lead(lead, rep)


def test_deleting_a_converted_lead_keeps_the_activities_on_the_customer():
    rep = make_user(Role.SALES)
    lead, call = _lead_with_a_call(rep, last_name="Lin", company="Acme")
    lead_conversion.convert_lead(lead, rep)
    leads.delete_lead(lead, rep)
    db.session.commit()
    kept = db.session.get(Activity, call.id)
    assert kept is not None and kept.lead_id is None and kept.customer_id is not None


def test_create_with_assign_asks_the_assignment_rules(monkeypatch):
    lead_assignment = pytest.importorskip("app.services.lead_assignment")
    rep, chosen = make_user(Role.SALES), make_user(Role.SALES)

    def assign(lead):
        lead.owner_id = chosen.id

    monkeypatch.setattr(lead_assignment, "assign", assign)
    assert leads.create_lead(rep, assign=True, last_name="Lin").owner_id == chosen.id
    assert leads.create_lead(rep, assign=True, last_name="Lee", owner_id=rep.id).owner_id == rep.id
    assert leads.create_lead(rep, last_name="Wu").owner_id == rep.id
