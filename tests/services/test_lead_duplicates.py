"""The duplicate check a new lead gets: existing leads, contacts and customers with the same
email address, phone number, or name and company, found through indexes."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.services.lead_duplicates import find_duplicates
from tests.factories import make_contact, make_customer, make_lead, make_user


def _found(**given):
    return [(m.kind, m.id, m.reason) for m in find_duplicates(**given)]


def test_the_same_email_is_found_among_leads_contacts_and_customers_whatever_its_case():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, first_name="Mei", last_name="Lin", email="Mei.Lin@Example.com")
    customer = make_customer(rep, name="Lin Trading", email="mei.lin@example.com")
    contact = make_contact(
        rep, customer, first_name="Mei", last_name="Lin", email="MEI.LIN@example.com"
    )
    make_lead(rep, last_name="Other", email="jimmei.lin@example.com.tw")

    found = _found(email=" mei.lin@EXAMPLE.com ")
    assert found == [
        ("lead", lead.id, "email"),
        ("contact", contact.id, "email"),
        ("customer", customer.id, "email"),
    ]
    match = find_duplicates(email="mei.lin@example.com")[1]
    assert match.label == "Mei Lin (Lin Trading)"
    assert str(match.reason_label) == "Same email address"


def test_phone_numbers_match_by_their_digits_whatever_the_format():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, last_name="Wang", phone="+886 2 2345 6789")
    contact = make_contact(rep, last_name="Wu", mobile="0912-345-678")
    make_lead(rep, last_name="Near miss", phone="02 2345 6780")

    assert _found(phone="(02) 2345-6789") == [("lead", lead.id, "phone")]
    assert _found(phone="+886912345678") == [("contact", contact.id, "phone")]
    assert _found(phone="123") == []  # too few digits to tell numbers apart


def test_a_person_with_the_same_name_at_the_same_company_is_found():
    rep = make_user(Role.SALES)
    same = make_lead(rep, first_name="Ｊohn", last_name="SMITH", company="Acme Robotics")
    make_lead(rep, first_name="John", last_name="Smith", company="Other Corp")
    nameless_company = make_lead(rep, first_name="John", last_name="Smith")
    acme = make_customer(rep, name="Acme Robotics")
    contact = make_contact(rep, acme, first_name="john", last_name="smith")

    found = _found(first_name="John", last_name="Smith", company="acme robotics")
    assert ("lead", same.id, "name") in found
    assert ("lead", nameless_company.id, "name") in found
    assert ("contact", contact.id, "name") in found
    assert ("customer", acme.id, "company") in found
    assert len(found) == 4


def test_short_chinese_names_are_found_through_the_last_name_index():
    rep = make_user(Role.SALES)
    lead = make_lead(rep, first_name="明", last_name="王", company="台積電")
    contact = make_contact(rep, first_name="小明", last_name="王")

    assert _found(first_name="明", last_name="王", company="台積電") == [("lead", lead.id, "name")]
    assert _found(first_name="小明", last_name="王") == [("contact", contact.id, "name")]


def test_each_record_appears_once_under_its_strongest_reason_and_the_lead_itself_is_left_out():
    rep = make_user(Role.SALES)
    first = make_lead(
        rep, first_name="Ann", last_name="Lee", email="ann@lee.example", phone="0223456789"
    )
    second = make_lead(rep, first_name="Ann", last_name="Lee", phone="02 2345 6789")

    found = _found(
        email="ann@lee.example",
        phone="0223456789",
        first_name="Ann",
        last_name="Lee",
        exclude_lead_id=first.id,
    )
    assert found == [("lead", second.id, "phone")]
    assert len(find_duplicates(first_name="Ann", last_name="Lee", limit=1)) == 1


def test_with_an_actor_only_records_they_may_see_are_listed():
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    make_lead(other, last_name="Hidden", email="hidden@example.com")
    mine = make_lead(rep, last_name="Mine", email="hidden@example.com")

    assert [m.id for m in find_duplicates(email="hidden@example.com", actor=rep)] == [mine.id]
    assert len(find_duplicates(email="hidden@example.com")) == 2


def test_the_lookups_use_indexes_not_a_scan_with_like(monkeypatch):
    rep = make_user(Role.SALES)
    make_lead(rep, first_name="Ann", last_name="Lee", email="ann@lee.example")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        find_duplicates(
            email="ann@lee.example",
            phone="0223456789",
            first_name="Ann",
            last_name="Lee",
            company="Lee Co",
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    assert statements
    if engine.dialect.name == "sqlite":
        assert not any("LIKE" in s.upper() for s in statements)
