"""Contacts as the services see them: one primary contact per customer, linking needs edit
rights on both ends, and the searchable, keyset-paged list."""

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from app.permissions import PermissionDenied
from app.services import contacts
from app.services.contacts import ContactFilters
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_customer, make_team, make_user


def _primary_ids(customer):
    query = sa.select(Contact.id).where(
        Contact.customer_id == customer.id, Contact.is_primary.is_(True)
    )
    return list(db.session.scalars(query))


def test_a_contact_may_exist_without_a_customer():
    rep = make_user(Role.SALES)
    contact = contacts.create_contact(rep, first_name="Mei", last_name="Lin", is_primary=True)
    assert contact.customer_id is None and contact.is_primary is False
    assert contact.owner_id == rep.id and contact.search_text == "mei lin"


def test_last_name_is_required_and_email_checked():
    rep = make_user(Role.SALES)
    with pytest.raises(RecordInvalid) as refused:
        contacts.create_contact(rep, first_name="Mei", last_name="", email="mei@")
    assert set(refused.value.errors) == {"last_name", "email"}


def test_making_a_contact_primary_demotes_the_previous_one():
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    first = make_contact(rep, customer, is_primary=True)
    second = make_contact(rep, customer, is_primary=True)
    db.session.commit()
    assert _primary_ids(customer) == [second.id]
    contacts.update_contact(first, rep, is_primary=True)
    db.session.commit()
    assert _primary_ids(customer) == [first.id]


def test_moving_a_primary_contact_to_another_customer_demotes_the_one_there():
    rep = make_user(Role.SALES)
    acme, globex = make_customer(rep, name="Acme"), make_customer(rep, name="Globex")
    mover = make_contact(rep, acme, is_primary=True)
    staying = make_contact(rep, globex, is_primary=True)
    contacts.update_contact(mover, rep, customer_id=globex.id)
    db.session.commit()
    assert _primary_ids(globex) == [mover.id] and _primary_ids(acme) == []
    assert db.session.get(Contact, staying.id).is_primary is False


def test_linking_needs_edit_rights_on_the_customer_too():
    team = make_team()
    rep, colleague = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    theirs = make_customer(colleague, name="Theirs")
    with pytest.raises(RecordInvalid) as refused:
        contacts.create_contact(rep, last_name="Wang", customer_id=theirs.id)
    assert "customer_id" in refused.value.errors
    mine = make_contact(rep)
    with pytest.raises(RecordInvalid):
        contacts.update_contact(mine, rep, customer_id=theirs.id)
    with pytest.raises(RecordInvalid):
        contacts.update_contact(mine, rep, customer_id=999999)
    manager = make_user(Role.MANAGER, team=team)
    linked = contacts.create_contact(manager, last_name="Wang", customer_id=theirs.id)
    assert linked.customer_id == theirs.id


def test_a_rep_may_not_change_or_delete_another_reps_contact():
    owner, rep = make_user(Role.SALES), make_user(Role.SALES)
    contact = make_contact(owner)
    with pytest.raises(PermissionDenied):
        contacts.update_contact(contact, rep, last_name="X")
    with pytest.raises(PermissionDenied):
        contacts.delete_contact(contact, rep)
    contacts.delete_contact(contact, owner)
    assert db.session.get(Contact, contact.id) is None


def test_contacts_list_searches_filters_and_pages():
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    make_contact(rep, acme, first_name="美玲", last_name="林", email="mei@acme.example")
    for n in range(9):
        make_contact(rep, last_name=f"Chen {n % 3}")
    make_contact(make_user(Role.SALES), last_name="Not mine")

    def names(filters, limit=50):
        return [c.last_name for c in contacts.contact_page(rep, filters, limit=limit)[0]]

    assert names(ContactFilters(q="美玲")) == ["林"]
    assert names(ContactFilters(q="acme.ex")) == ["林"]
    assert names(ContactFilters(customer_id=acme.id)) == ["林"]
    filters = ContactFilters.from_args(MultiDict({"sort": "nope", "direction": "sideways"}))
    seen, cursor = [], None
    while True:
        rows, cursor = contacts.contact_page(rep, filters, cursor, limit=3)
        seen += [row.id for row in rows]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 10
