"""Finding and merging duplicate customers and contacts through the pages: the list of
groups, the side-by-side comparison, the merge itself and who may do it."""

import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity
from app.models.customers import Contact, Customer
from app.models.identity import Role
from app.services import tags
from tests.conftest import post_form
from tests.factories import make_activity, make_contact, make_customer, make_user

HTMX = {"HX-Request": "true"}


def test_the_duplicates_page_lists_groups_with_a_merge_button(login):
    rep = make_user(Role.SALES)
    one = make_customer(rep, name="Acme", email="hi@acme.example")
    two = make_customer(rep, name="Acme Taiwan", email="HI@acme.example")
    make_customer(rep, name="Unique Ltd")
    client = login(rep)
    assert 'id="find-duplicates"' in client.get("/customers").get_data(as_text=True)

    html = client.get("/customers/duplicates").get_data(as_text=True)

    assert "Acme Taiwan" in html and "Unique Ltd" not in html and "Same email" in html
    assert f"/customers/merge?ids={one.id},{two.id}" in html.replace("%2C", ",")
    fragment = client.get("/customers/duplicates", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="duplicate-groups">')


def test_no_duplicates_shows_an_empty_state(login):
    html = login(make_user(Role.SALES)).get("/customers/duplicates").get_data(as_text=True)
    assert 'id="no-duplicates"' in html


def test_the_merge_page_compares_the_records_field_by_field(login):
    rep = make_user(Role.SALES)
    one = make_customer(rep, name="Acme", phone="02-12345678")
    two = make_customer(rep, name="ACME", phone="02-12345678", email="hi@acme.example")
    html = login(rep).get(f"/customers/merge?ids={one.id},{two.id}").get_data(as_text=True)
    assert 'id="merge-field-name"' in html and 'id="merge-field-email"' in html
    assert 'id="merge-field-phone"' not in html  # the same on both: nothing to choose
    # The first record's value is checked, or the first non-empty one.
    assert f'name="choice-email" value="{two.id}" checked' in html
    assert f'name="choice-name" value="{one.id}" checked' in html


def test_merging_keeps_the_chosen_values_and_says_what_moved(login):
    rep = make_user(Role.SALES)
    one = make_customer(rep, name="Acme")
    two = make_customer(rep, name="ACME Corp", email="hi@acme.example")
    make_contact(rep, two, last_name="Wang")
    make_activity(rep, "NOTE", subject="Met at the fair", customer_id=two.id)
    one_id, two_id = one.id, two.id
    client = login(rep)

    response = post_form(
        client,
        "/customers/merge",
        {
            "ids": f"{one.id},{two.id}",
            "survivor": one.id,
            "choice-name": two.id,
            "choice-email": two.id,
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{one.id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 record merged into ACME Corp; moved: 1 activity, 1 contact." in html
    db.session.expire_all()
    assert db.session.get(Customer, two_id) is None
    survivor = db.session.get(Customer, one_id)
    assert (survivor.name, survivor.email) == ("ACME Corp", "hi@acme.example")
    assert db.session.scalar(sa.select(Contact.customer_id)) == one_id


def test_merge_with_searches_for_the_other_customer(login):
    rep = make_user(Role.SALES)
    one = make_customer(rep, name="Acme")
    two = make_customer(rep, name="Acme Holdings")
    client = login(rep)
    assert 'id="merge-customer"' in client.get(f"/customers/{one.id}").get_data(as_text=True)
    html = client.get(f"/customers/merge?ids={one.id}&q=holdings").get_data(as_text=True)
    assert f'id="merge-partner-{two.id}"' in html and f'id="merge-partner-{one.id}"' not in html


def test_a_rep_may_not_merge_a_colleagues_customer(login):
    rep, colleague = make_user(Role.SALES), make_user(Role.SALES)
    mine = make_customer(rep, name="Acme")
    theirs = make_customer(colleague, name="Acme")
    client = login(rep)
    assert client.get(f"/customers/merge?ids={mine.id},{theirs.id}").status_code == 403
    response = post_form(
        client, "/customers/merge", {"ids": f"{mine.id},{theirs.id}", "survivor": mine.id}
    )
    assert response.status_code == 403
    assert db.session.get(Customer, theirs.id) is not None


def test_a_manager_who_may_edit_but_not_delete_is_refused(login):
    support = make_user(Role.SUPPORT)  # edits own customers, deletes none
    one = make_customer(support, name="Acme")
    two = make_customer(support, name="Acme")
    response = post_form(
        login(support), "/customers/merge", {"ids": f"{one.id},{two.id}", "survivor": one.id}
    )
    assert response.status_code == 403
    assert db.session.get(Customer, two.id) is not None


def test_merging_without_the_csrf_token_is_refused(login):
    rep = make_user(Role.SALES)
    one, two = make_customer(rep, name="Acme"), make_customer(rep, name="Acme")
    response = login(rep).post(
        "/customers/merge", data={"ids": f"{one.id},{two.id}", "survivor": one.id}
    )
    assert response.status_code == 400
    assert db.session.get(Customer, two.id) is not None


def test_the_contact_duplicates_page_finds_a_phone_matching_a_mobile(login):
    rep = make_user(Role.SALES)
    desk = make_contact(rep, first_name="Mei", last_name="Lin", phone="+886 2 1234-5678")
    cell = make_contact(rep, first_name="May", last_name="Lim", mobile="02-12345678")
    make_contact(rep, first_name="Unique", last_name="Person")
    client = login(rep)
    assert 'id="find-duplicates"' in client.get("/contacts").get_data(as_text=True)

    html = client.get("/contacts/duplicates").get_data(as_text=True)

    assert "Duplicate contacts" in html and "Same phone" in html
    assert f'id="duplicate-contact-{desk.id}"' in html and "May Lim" in html
    assert "Unique Person" not in html
    assert f"/contacts/merge?ids={desk.id},{cell.id}" in html.replace("%2C", ",")
    fragment = client.get("/contacts/duplicates", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="duplicate-groups">')


def test_merging_contacts_keeps_the_chosen_values_and_moves_activities_and_tags(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    keep = make_contact(rep, customer, first_name="Mei", last_name="Lin")
    gone = make_contact(
        rep, customer, first_name="MEI", last_name="LIN", email="mei@example.com", is_primary=True
    )
    make_activity(rep, "CALL", subject="Call Mei", contact_id=gone.id)
    tags.add_tags(rep, "contacts", gone.id, ["decision maker"])
    db.session.commit()
    keep_id, gone_id = keep.id, gone.id
    client = login(rep)
    page = client.get(f"/contacts/merge?ids={keep_id},{gone_id}").get_data(as_text=True)
    assert f'name="choice-email" value="{gone_id}" checked' in page
    assert f'name="choice-first_name" value="{keep_id}" checked' in page
    assert 'id="merge-field-phone"' not in page  # the same on both: nothing to choose

    response = post_form(
        client,
        "/contacts/merge",
        {"ids": f"{keep_id},{gone_id}", "survivor": keep_id, "choice-email": gone_id},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contacts/{keep_id}")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 record merged into Mei Lin; moved: 1 activity, 1 tag." in html
    db.session.expire_all()
    assert db.session.get(Contact, gone_id) is None
    survivor = db.session.get(Contact, keep_id)
    assert (survivor.first_name, survivor.email, survivor.is_primary) == (
        "Mei",
        "mei@example.com",
        True,
    )
    primaries = sa.select(sa.func.count()).where(
        Contact.customer_id == customer.id, Contact.is_primary
    )
    assert db.session.scalar(primaries) == 1
    assert db.session.scalar(sa.select(Activity.contact_id)) == keep_id
    assert [t.name for t in tags.tags_for("contacts", [keep_id])[keep_id]] == ["decision maker"]


def test_merge_with_searches_for_the_other_contact(login):
    rep = make_user(Role.SALES)
    one = make_contact(rep, first_name="Mei", last_name="Lin")
    two = make_contact(rep, first_name="Mei", last_name="Lindqvist")
    client = login(rep)
    assert 'id="merge-contact"' in client.get(f"/contacts/{one.id}").get_data(as_text=True)
    html = client.get(f"/contacts/merge?ids={one.id}&q=lindqvist").get_data(as_text=True)
    assert f'id="merge-partner-{two.id}"' in html and f'id="merge-partner-{one.id}"' not in html


def test_a_rep_may_not_merge_a_colleagues_contact(login):
    rep, colleague = make_user(Role.SALES), make_user(Role.SALES)
    mine = make_contact(rep, first_name="Mei", last_name="Lin")
    theirs = make_contact(colleague, first_name="Mei", last_name="Lin", email="mei@example.com")
    make_activity(colleague, "NOTE", subject="Met Mei", contact_id=theirs.id)
    mine_id, theirs_id = mine.id, theirs.id
    client = login(rep)
    assert client.get(f"/contacts/merge?ids={mine_id},{theirs_id}").status_code == 403

    response = post_form(
        client,
        "/contacts/merge",
        {"ids": f"{mine_id},{theirs_id}", "survivor": mine_id, "choice-email": theirs_id},
    )

    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Contact, theirs_id) is not None
    assert db.session.get(Contact, mine_id).email == ""
    assert db.session.scalar(sa.select(Activity.contact_id)) == theirs_id


def test_merging_contacts_without_the_csrf_token_is_refused(login):
    rep = make_user(Role.SALES)
    one = make_contact(rep, first_name="Mei", last_name="Lin")
    two = make_contact(rep, first_name="Mei", last_name="Lin")
    response = login(rep).post(
        "/contacts/merge", data={"ids": f"{one.id},{two.id}", "survivor": one.id}
    )
    assert response.status_code == 400
    assert db.session.get(Contact, two.id) is not None
