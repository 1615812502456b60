"""The customer pages as a user meets them: the list with active search, filters, sort and
bulk actions, the form, the 360-degree page, saved views, and who may do what."""

import contextlib

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.customers import CreditRatingChange, Customer, SavedView
from app.models.identity import Role
from app.services import custom_fields, saved_views, tags
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_contact, make_customer, make_team, make_user

HTMX = {"HX-Request": "true"}


@contextlib.contextmanager
def counted_queries():
    """Count the SQL statements run inside the block."""
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_a_rep_sees_only_their_own_customers(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    make_customer(rep, name="Mine Ltd")
    make_customer(other, name="Theirs Ltd")
    html = login(rep).get("/customers").get_data(as_text=True)
    assert "Mine Ltd" in html and "Theirs Ltd" not in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html


def test_active_search_returns_only_the_rows_fragment(login):
    rep = make_user(Role.SALES)
    make_customer(rep, name="台灣積體電路", company="TSMC")
    make_customer(rep, name="鴻海精密工業")
    response = login(rep).get("/customers?q=積體", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="customer-results">')
    assert "台灣積體電路" in html and "鴻海精密工業" not in html
    assert 'data-label="Name"' in html


def test_an_empty_list_invites_to_create_a_customer(login):
    html = login(make_user(Role.SALES)).get("/customers").get_data(as_text=True)
    assert "No customers match." in html and 'id="empty-new-customer"' in html


@pytest.mark.parametrize(
    "query",
    ["sort=password_hash", "sort=name;drop table users", "direction=sideways", "status=NOPE",
     "cursor=%%%", "owner_id=abc", "cf_x=1"],
)  # fmt: skip
def test_parameters_outside_the_allowlists_are_ignored(login, query):
    rep = make_user(Role.SALES)
    make_customer(rep, name="Acme")
    response = login(rep).get(f"/customers?{query}")
    assert response.status_code == 200 and "Acme" in response.get_data(as_text=True)


def test_sorting_by_a_column_and_paging_with_a_cursor(login):
    rep = make_user(Role.SALES)
    for n in range(55):
        make_customer(rep, name=f"Customer {n:02d}", industry=["Retail", "Banking"][n % 2])
    client = login(rep)
    first = client.get("/customers?sort=industry&direction=desc").get_data(as_text=True)
    assert first.count('name="ids"') == 50 and 'rel="next"' in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('name="ids"') == 5 and "First page" in second


def test_creating_a_customer_through_the_form(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = post_form(
        client,
        "/customers/new",
        {
            "name": "Acme",
            "status": "CUSTOMER",
            "website": "https://acme.example",
            "owner_id": rep.id,
            "address_billing-city": "Taipei",
            "address_billing-country": "TW",
        },
    )
    customer = db.session.scalar(sa.select(Customer))
    assert response.status_code == 302 and response.location.endswith(f"/customers/{customer.id}")
    assert customer.owner_id == rep.id and customer.addresses[0].city == "Taipei"


def test_an_invalid_form_comes_back_with_specific_messages(login):
    client = login(make_user(Role.SALES))
    response = post_form(
        client,
        "/customers/new",
        {"name": "", "website": "javascript:alert(1)", "email": "nope", "status": "CUSTOMER"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter the customer&#39;s name." in html
    assert "Enter a web address starting with http:// or https://." in html
    assert "Enter a valid email address" in html
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


def test_a_rep_may_not_open_or_edit_another_reps_customer(login):
    owner, rep = make_user(Role.SALES), make_user(Role.SALES)
    customer = make_customer(owner, name="Theirs")
    client = login(rep)
    assert client.get(f"/customers/{customer.id}").status_code == 403
    assert client.get(f"/customers/{customer.id}/edit").status_code == 403
    assert post_form(client, f"/customers/{customer.id}/edit", {"name": "x"}).status_code == 403
    assert db.session.get(Customer, customer.id).name == "Theirs"


def test_a_manager_edits_a_team_members_customer(login):
    team = make_team()
    rep, manager = make_user(Role.SALES, team=team), make_user(Role.MANAGER, team=team)
    customer = make_customer(rep, name="Acme")
    client = login(manager)
    response = post_form(
        client,
        f"/customers/{customer.id}/edit",
        {"name": "Acme Corp", "status": "PARTNER", "owner_id": rep.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Acme Corp"


def test_support_cannot_delete_customers(login):
    support = make_user(Role.SUPPORT)
    customer = make_customer(support, name="Acme")
    client = login(support)
    assert client.get(f"/customers/{customer.id}/delete").status_code == 403
    assert post_form(client, f"/customers/{customer.id}/delete").status_code == 403
    assert db.session.get(Customer, customer.id) is not None


def test_the_owner_deletes_after_confirming(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    client = login(rep)
    assert "Delete Acme?" in client.get(f"/customers/{customer.id}/delete").get_data(as_text=True)
    assert post_form(client, f"/customers/{customer.id}/delete").status_code == 302
    assert db.session.scalars(sa.select(Customer.id)).all() == []


def test_bulk_actions_change_what_the_user_may_and_report_the_rest(login):
    team = make_team()
    manager, rep = make_user(Role.MANAGER, team=team), make_user(Role.SALES, team=team)
    stranger = make_user(Role.SALES)
    ours = [make_customer(rep, name=f"Ours {n}") for n in range(2)]
    foreign = make_customer(stranger, name="Foreign")
    ids = [c.id for c in ours] + [foreign.id]
    client = login(manager)

    response = htmx_post(
        client, "/customers/bulk", {"ids": ids, "action": "assign", "owner_id": manager.id}
    )
    assert response.headers["HX-Redirect"] == "/customers"
    db.session.expire_all()
    assert [db.session.get(Customer, i).owner_id for i in ids] == [manager.id] * 2 + [stranger.id]
    assert "2 changed, 1 refused" in client.get("/customers").get_data(as_text=True)

    post_form(client, "/customers/bulk", {"ids": ids, "action": "tag", "tag": "vip"})
    tagged = tags.tags_for("customers", ids)
    assert [len(tagged[i]) for i in ids] == [1, 1, 0]

    post_form(client, "/customers/bulk", {"ids": ids, "action": "delete"})
    remaining = db.session.scalars(sa.select(Customer.name)).all()
    assert remaining == ["Foreign"]


def test_support_bulk_delete_deletes_nothing(login):
    support = make_user(Role.SUPPORT)
    customer = make_customer(support, name="Acme")
    client = login(support)
    post_form(client, "/customers/bulk", {"ids": [customer.id], "action": "delete"})
    assert db.session.get(Customer, customer.id) is not None


def test_the_360_page_shows_profile_contacts_and_credit_history(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme", email="hi@acme.example")
    make_contact(rep, customer, first_name="Mei", last_name="Lin", is_primary=True)
    client = login(rep)
    post_form(client, f"/customers/{customer.id}/credit-rating", {"rating": "AA", "note": "Good"})
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Mei Lin" in html and "Primary" in html and "hi@acme.example" in html
    assert 'id="customer-timeline-slot"' in html and f'id="history-customers-{customer.id}"' in html
    assert f"/contacts/new?customer_id={customer.id}" in html
    assert "AA" in html and "Good" in html
    assert db.session.scalar(sa.select(CreditRatingChange.rating)) == "AA"


def test_the_360_page_runs_the_same_number_of_queries_for_2_or_20_contacts(login):
    rep = make_user(Role.SALES)
    small, large = make_customer(rep, name="Small"), make_customer(rep, name="Large")
    for customer, n in ((small, 2), (large, 20)):
        for i in range(n):
            make_contact(rep, customer, last_name=f"Person {i}", is_primary=i == 0)
        tags.add_tags(rep, "customers", customer.id, ["vip", "north"])
    db.session.commit()
    small_url, large_url = f"/customers/{small.id}", f"/customers/{large.id}"
    client = login(rep)
    client.get(small_url)  # warm caches (translations)
    with counted_queries() as few:
        client.get(small_url)
    with counted_queries() as many:
        html = client.get(large_url).get_data(as_text=True)
    assert html.count('id="contact-') == 20
    assert len(few) == len(many) <= 12


def test_saved_views_are_saved_picked_and_deleted(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = post_form(
        client,
        "/saved-views/customers",
        {"name": "Hot leads", "query": "status=LEAD&rating=HOT&cursor=abc"},
    )
    assert response.location.endswith("/customers?status=LEAD&rating=HOT")
    view = db.session.scalar(sa.select(SavedView))
    assert (view.user_id, view.query) == (rep.id, "status=LEAD&rating=HOT")
    html = client.get("/customers").get_data(as_text=True)
    assert "Hot leads" in html and "/customers?status=LEAD&amp;rating=HOT" in html
    assert saved_views.delete_view(make_user(Role.SALES), view.id) is False
    db.session.rollback()
    post_form(client, f"/saved-views/customers/{view.id}/delete")
    assert db.session.scalars(sa.select(SavedView.id)).all() == []


def test_bulk_and_saved_views_need_the_csrf_token(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    client = login(rep)
    refused = client.post("/customers/bulk", data={"ids": [customer.id], "action": "delete"})
    assert refused.status_code == 400
    assert db.session.get(Customer, customer.id) is not None
    assert csrf_token(client, "/customers")


def test_the_customers_history_and_tags_use_the_shared_panels(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    client = login(rep)
    client.post(
        f"/tags/customers/{customer.id}",
        data={"name": "vip"},
        headers={**HTMX, "X-CSRFToken": csrf_token(client, "/")},
    )
    assert [t.name for t in tags.tags_for("customers", [customer.id])[customer.id]] == ["vip"]
    edit = post_form(
        client, f"/customers/{customer.id}/edit", {"name": "Acme Ltd", "owner_id": rep.id}
    )
    assert edit.status_code == 302, edit.get_data(as_text=True)
    history = client.get(f"/history/customers/{customer.id}", headers=HTMX)
    html = history.get_data(as_text=True)
    assert history.status_code == 200 and "Acme Ltd" in html and "vip" in html


def test_the_edit_form_shows_the_stored_values(login):
    rep = make_user(Role.SALES)
    customer = make_customer(
        rep,
        name="Acme",
        status="PARTNER",
        rating="WARM",
        addresses=[{"kind": "SHIPPING", "city": "Kaohsiung"}],
    )
    html = login(rep).get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert '<option selected value="PARTNER">' in html
    assert '<option selected value="WARM">' in html
    assert (
        'id="address_shipping-city" name="address_shipping-city" type="text" value="Kaohsiung"'
        in html
    )


def test_the_list_runs_the_same_number_of_queries_for_a_few_or_many_rows(login):
    rep = make_user(Role.SALES)
    for n in range(3):
        make_customer(rep, name=f"Few {n}", addresses=[{"city": "Taipei"}])
    client = login(rep)
    client.get("/customers")  # warm caches (translations)
    with counted_queries() as few:
        client.get("/customers?q=few")
    for n in range(30):
        customer = make_customer(rep, name=f"Many {n}", addresses=[{"city": "Tainan"}])
        tags.add_tags(rep, "customers", customer.id, [f"t{n % 4}"])
    db.session.commit()
    with counted_queries() as many:
        html = client.get("/customers?q=many").get_data(as_text=True)
    assert html.count('name="ids"') == 30
    assert len(few) == len(many)


def test_filtering_by_a_custom_field_from_the_filter_bar(login):
    admin = make_user(Role.ADMIN)
    custom_fields.define_field(admin, "customer", "Region", "choice", choices=["North", "South"])
    db.session.commit()
    rep = make_user(Role.SALES)
    make_customer(rep, name="North Co", custom={"region": "North"})
    make_customer(rep, name="South Co", custom={"region": "South"})
    client = login(rep)
    page = client.get("/customers").get_data(as_text=True)
    assert '<option value="region"' in page
    html = client.get("/customers?cf=region&cfv=South", headers=HTMX).get_data(as_text=True)
    assert "South Co" in html and "North Co" not in html
