"""Finding duplicate customers and contacts, and merging them into one survivor with
everything that pointed at the others."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind
from app.models.base import utcnow
from app.models.customers import Contact, CreditRatingChange, Customer
from app.models.identity import Role
from app.models.records import AuditEntry, Tagging
from app.permissions import PermissionDenied
from app.services import custom_fields, customers, duplicates, merge, tags
from tests.factories import make_activity, make_contact, make_customer, make_user


def _group_names(groups):
    return [sorted(record.name for record in group.records) for group in groups]


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_duplicates_are_found_by_email_phone_and_name():
    rep = make_user(Role.SALES)
    make_customer(rep, name="Acme Trading", email="Sales@Acme.example")
    make_customer(rep, name="ACME Taiwan", email="sales@acme.example")
    make_customer(rep, name="Formosa Tea", phone="+886 2 1234-5678")
    make_customer(rep, name="Formosa Tea House", phone="02-12345678")
    make_customer(rep, name="Ｂｌｕｅ Ｍｏｏｎ")
    make_customer(rep, name="blue moon", company="Blue Moon Ltd")
    make_customer(rep, name="Nobody Alike", phone="02-87654321")

    groups = duplicates.find_customer_duplicates(rep)

    found = {tuple(sorted(r.name for r in group.records)): group.reasons for group in groups}
    assert found == {
        ("ACME Taiwan", "Acme Trading"): {"email"},
        ("Formosa Tea", "Formosa Tea House"): {"phone"},
        ("blue moon", "Ｂｌｕｅ Ｍｏｏｎ"): {"name"},
    }


def test_duplicates_only_include_customers_the_user_may_edit():
    rep, other_rep = make_user(Role.SALES), make_user(Role.SALES)
    make_customer(rep, name="Acme")
    make_customer(other_rep, name="acme")
    assert duplicates.find_customer_duplicates(rep) == []
    admin = make_user(Role.ADMIN)
    assert _group_names(duplicates.find_customer_duplicates(admin)) == [["Acme", "acme"]]


def test_contact_duplicates_match_a_phone_against_a_mobile_and_names():
    rep = make_user(Role.SALES)
    one = make_contact(rep, first_name="Mei", last_name="Lin", phone="+886 912-345-678")
    two = make_contact(rep, first_name="Daniel", last_name="Wu", mobile="0912345678")
    three = make_contact(rep, first_name="MEI", last_name="LIN", email="mei@example.com")
    groups = duplicates.find_contact_duplicates(rep)
    assert [sorted(group.ids) for group in groups] == [sorted([one.id, two.id, three.id])]
    assert groups[0].reasons == {"phone", "name"}


def _crowded_pair(rep):
    """Two records of one company, each with contacts, activities, tags and credit history."""
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "customer", "Employees", "number")
    keep = make_customer(
        rep,
        name="Acme",
        phone="02-1111-2222",
        custom={"employees": "10"},
        addresses=[{"kind": "BILLING", "line1": "Old Road 1", "city": "Taipei"}],
    )
    gone = make_customer(
        rep,
        name="ACME Co.",
        email="hello@acme.example",
        custom={"employees": "250"},
        addresses=[{"kind": "BILLING", "line1": "New Road 9", "city": "Tainan"}],
    )
    make_contact(rep, keep, last_name="Chen", is_primary=True)
    make_contact(rep, gone, last_name="Wang", is_primary=True)
    make_contact(rep, gone, last_name="Lee")
    make_activity(rep, "CALL", subject="First call", customer_id=gone.id)
    tags.add_tags(rep, "customers", keep.id, ["vip"])
    tags.add_tags(rep, "customers", gone.id, ["vip", "export"])
    customers.set_credit_rating(gone, rep, "AA")
    db.session.commit()
    return keep, gone


def test_merging_moves_every_related_record_and_leaves_no_orphan():
    rep = make_user(Role.SALES)
    keep, gone = _crowded_pair(rep)
    gone_id = gone.id

    result = merge.merge_customers(keep, [gone], rep, {})
    db.session.commit()

    assert db.session.get(Customer, gone_id) is None
    assert result.merged == 1 and result.moved["contacts"] == 2
    names = db.session.scalars(
        sa.select(Contact.last_name).where(Contact.customer_id == keep.id).order_by(Contact.id)
    ).all()
    assert names == ["Chen", "Wang", "Lee"]
    primaries = db.session.scalars(
        sa.select(Contact.last_name).where(Contact.customer_id == keep.id, Contact.is_primary)
    ).all()
    assert primaries == ["Chen"]
    assert [a.subject for a in db.session.scalars(sa.select(Activity))] == ["First call"]
    assert _count(Activity, Activity.customer_id == keep.id) == 1
    assert sorted(t.name for t in tags.tags_for("customers", [keep.id])[keep.id]) == [
        "export",
        "vip",
    ]
    assert _count(Tagging, Tagging.entity_id == gone_id, Tagging.entity_type == "customers") == 0
    assert _count(CreditRatingChange, CreditRatingChange.customer_id == keep.id) == 1
    assert _count(CreditRatingChange, CreditRatingChange.customer_id == gone_id) == 0
    note = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "customers", AuditEntry.entity_id == str(keep.id)
        )
    ).all()[-1]
    assert note.changes == {"merged_from": [None, f"ACME Co. (#{gone_id})"]}


def test_the_chosen_values_win():
    rep = make_user(Role.SALES)
    keep, gone = _crowded_pair(rep)
    choices = {
        "name": keep.id,
        "email": gone.id,
        "phone": keep.id,
        "custom.employees": gone.id,
        "addresses": gone.id,
        "credit_rating": gone.id,
    }
    merge.merge_customers(keep, [gone], rep, choices)
    db.session.commit()
    db.session.expire_all()
    survivor = db.session.get(Customer, keep.id)
    assert (survivor.name, survivor.email, survivor.phone) == (
        "Acme",
        "hello@acme.example",
        "02-1111-2222",
    )
    assert survivor.custom == {"employees": "250"}
    assert [a.line1 for a in survivor.addresses] == ["New Road 9"]
    assert survivor.credit_rating == "AA"
    assert "hello@acme.example" in survivor.search_text


def test_the_survivors_primary_contact_is_kept_else_one_of_the_others():
    rep = make_user(Role.SALES)
    keep = make_customer(rep, name="Acme")
    gone = make_customer(rep, name="Acme bis")
    make_contact(rep, keep, last_name="Chen")
    make_contact(rep, gone, last_name="Wang", is_primary=True)
    merge.merge_customers(keep, [gone], rep, {})
    db.session.commit()
    primaries = db.session.scalars(
        sa.select(Contact.last_name).where(Contact.customer_id == keep.id, Contact.is_primary)
    ).all()
    assert primaries == ["Wang"]


def test_a_rep_who_may_not_delete_the_other_customer_is_refused_and_nothing_changes():
    rep, colleague = make_user(Role.SALES), make_user(Role.SALES)
    keep = make_customer(rep, name="Acme")
    theirs = make_customer(colleague, name="Acme", email="acme@example.com")
    make_activity(colleague, "NOTE", subject="Their note", customer_id=theirs.id)
    with pytest.raises(PermissionDenied):
        merge.merge_customers(keep, [theirs], rep, {"email": theirs.id})
    db.session.rollback()
    assert db.session.get(Customer, theirs.id) is not None
    assert db.session.get(Customer, keep.id).email == ""
    assert _count(Activity, Activity.customer_id == theirs.id) == 1


def test_any_row_with_a_foreign_key_to_the_merged_customer_moves():
    rep = make_user(Role.SALES)
    keep = make_customer(rep, name="Acme")
    gone = make_customer(rep, name="Acme 2")
    # Written straight to the table, as a later module's row would be.
    activity = Activity(
        kind=ActivityKind.NOTE, subject="Raw", occurred_at=utcnow(), customer_id=gone.id
    )
    db.session.add(activity)
    db.session.commit()
    result = merge.merge_customers(keep, [gone], rep, {})
    db.session.commit()
    assert db.session.get(Activity, activity.id).customer_id == keep.id
    assert result.moved == {"activities": 1}


def test_merging_contacts_moves_activities_and_tags_and_keeps_one_primary():
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    keep = make_contact(rep, customer, first_name="Mei", last_name="Lin")
    gone = make_contact(
        rep, customer, first_name="MEI", last_name="LIN", email="mei@example.com", is_primary=True
    )
    make_activity(rep, "CALL", subject="Call Mei", contact_id=gone.id)
    tags.add_tags(rep, "contacts", gone.id, ["decision maker"])
    db.session.commit()
    gone_id = gone.id

    merge.merge_contacts(keep, [gone], rep, {"email": gone.id})
    db.session.commit()

    assert db.session.get(Contact, gone_id) is None
    survivor = db.session.get(Contact, keep.id)
    assert survivor.is_primary and survivor.email == "mei@example.com"
    assert _count(Contact, Contact.customer_id == customer.id, Contact.is_primary) == 1
    assert _count(Activity, Activity.contact_id == keep.id) == 1
    assert [t.name for t in tags.tags_for("contacts", [keep.id])[keep.id]] == ["decision maker"]
