"""The contact pages: list and search, the form with its customer picker (only customers the
user may edit), primary contact switching, and who may do what."""

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Contact
from app.models.identity import Role
from tests.conftest import post_form
from tests.factories import make_contact, make_customer, make_user

HTMX = {"HX-Request": "true"}


def test_a_rep_lists_and_searches_their_contacts(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    make_contact(rep, acme, first_name="美玲", last_name="林")
    make_contact(rep, last_name="Chen")
    make_contact(make_user(Role.SALES), last_name="Hidden")
    client = login(rep)
    html = client.get("/contacts").get_data(as_text=True)
    assert "林美玲" in html and "Chen" in html and "Hidden" not in html
    assert "Acme" in html
    fragment = client.get("/contacts?q=美玲", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="contact-results">')
    assert "林美玲" in fragment and "Chen" not in fragment


def test_the_customer_picker_lists_only_customers_the_user_may_edit(login):
    rep = make_user(Role.SALES)
    make_customer(rep, name="Mine")
    make_customer(make_user(Role.SALES), name="Not mine")
    html = login(rep).get("/contacts/new").get_data(as_text=True)
    assert ">Mine</option>" in html and "Not mine" not in html


def test_add_a_contact_from_the_customer_page_and_make_them_primary(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    old = make_contact(rep, acme, last_name="Old", is_primary=True)
    client = login(rep)
    form = client.get(f"/contacts/new?customer_id={acme.id}").get_data(as_text=True)
    assert f'<option selected value="{acme.id}">Acme</option>' in form
    response = post_form(
        client,
        "/contacts/new",
        {
            "first_name": "Mei",
            "last_name": "Lin",
            "customer_id": acme.id,
            "is_primary": "y",
            "owner_id": rep.id,
        },
    )
    assert response.status_code == 302
    primaries = db.session.scalars(
        sa.select(Contact.last_name).where(Contact.is_primary.is_(True))
    ).all()
    assert primaries == ["Lin"]
    assert db.session.get(Contact, old.id).last_name == "Old"


def test_linking_to_a_customer_the_user_may_not_edit_is_refused_on_the_form(login):
    rep = make_user(Role.SALES)
    theirs = make_customer(make_user(Role.SALES), name="Theirs")
    client = login(rep)
    response = post_form(client, "/contacts/new", {"last_name": "Lin", "customer_id": theirs.id})
    assert response.status_code == 200
    assert "Choose a customer you may edit." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 0


def test_a_rep_may_not_open_edit_or_delete_another_reps_contact(login):
    contact = make_contact(make_user(Role.SALES), last_name="Theirs")
    client = login(make_user(Role.SALES))
    assert client.get(f"/contacts/{contact.id}").status_code == 403
    assert post_form(client, f"/contacts/{contact.id}/edit", {"last_name": "x"}).status_code == 403
    assert post_form(client, f"/contacts/{contact.id}/delete").status_code == 403
    assert db.session.get(Contact, contact.id).last_name == "Theirs"


def test_the_owner_edits_and_deletes_a_contact(login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, last_name="Lin")
    client = login(rep)
    assert "Lin" in client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    response = post_form(
        client, f"/contacts/{contact.id}/edit", {"last_name": "Lim", "owner_id": rep.id}
    )
    assert response.status_code == 302
    assert post_form(client, f"/contacts/{contact.id}/delete").status_code == 302
    assert db.session.scalars(sa.select(Contact.id)).all() == []


def test_bulk_tagging_contacts(login):
    rep = make_user(Role.SALES)
    mine = make_contact(rep, last_name="Mine")
    theirs = make_contact(make_user(Role.SALES), last_name="Theirs")
    client = login(rep)
    post_form(
        client, "/contacts/bulk", {"ids": [mine.id, theirs.id], "action": "tag", "tag": "vip"}
    )
    html = client.get("/contacts").get_data(as_text=True)
    assert "1 changed, 1 refused" in html and "vip" in html
