"""The lead pages as a sales rep meets them: the list with active search, filters, sort and
bulk actions, the form, the lead's page, conversion, and who may do what."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity
from app.models.customers import Contact, Customer
from app.models.identity import Role
from app.models.sales import Lead, LeadStatus
from app.services import tags
from tests.conftest import htmx_post, post_form
from tests.factories import (
    make_activity,
    make_contact,
    make_customer,
    make_lead,
    make_team,
    make_user,
)

HTMX = {"HX-Request": "true"}


def test_a_rep_sees_only_their_own_leads_and_the_nav_link(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    make_lead(rep, last_name="Mine", company="Mine Ltd")
    make_lead(other, last_name="Theirs", company="Theirs Ltd")
    html = login(rep).get("/leads").get_data(as_text=True)
    assert "Mine Ltd" in html and "Theirs Ltd" not in html
    assert 'id="nav-leads"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html


def test_support_sees_no_leads_at_all(login):
    support = make_user(Role.SUPPORT)
    lead = make_lead(make_user(Role.SALES), last_name="Lin")
    client = login(support)
    assert 'id="nav-leads"' not in client.get("/").get_data(as_text=True)
    assert client.get("/leads").status_code == 403
    assert client.get(f"/leads/{lead.id}").status_code == 403


def test_active_search_returns_only_the_rows_fragment(login):
    rep = make_user(Role.SALES)
    make_lead(rep, last_name="王", company="台灣積體電路")
    make_lead(rep, last_name="Lee", company="鴻海精密工業")
    response = login(rep).get("/leads?q=積體", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith('<div id="lead-results">')
    assert "台灣積體電路" in html and "鴻海精密工業" not in html


@pytest.mark.parametrize(
    "query", ["sort=password_hash", "direction=sideways", "status=NOPE", "source=x", "cursor=%%%"]
)
def test_parameters_outside_the_allowlists_are_ignored(login, query):
    rep = make_user(Role.SALES)
    make_lead(rep, last_name="Lin")
    response = login(rep).get(f"/leads?{query}")
    assert response.status_code == 200 and "Lin" in response.get_data(as_text=True)


def test_filters_sort_and_pages(login):
    rep = make_user(Role.SALES)
    for n in range(53):
        make_lead(rep, last_name=f"Lead {n:02d}", source=["EVENT", "REFERRAL"][n % 2])
    client = login(rep)
    first = client.get("/leads?sort=name").get_data(as_text=True)
    assert first.count('name="ids"') == 50 and 'rel="next"' in first
    assert first.index("Lead 00") < first.index("Lead 01")
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(next_url.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('name="ids"') == 3 and "Lead 52" in second
    events = client.get("/leads?source=EVENT").get_data(as_text=True)
    assert events.count('name="ids"') == 27


def test_a_rep_creates_a_lead_and_sees_each_bad_field_explained(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    form = client.get("/leads/new").get_data(as_text=True)
    assert 'value="CONVERTED"' not in form
    bad = post_form(
        client, "/leads/new", {"last_name": "", "employees": "many", "country": "Taiwan"}
    ).get_data(as_text=True)
    assert "Enter the lead&#39;s last name." in bad
    assert "Enter a whole number of 0 or more." in bad
    assert "Use a two-letter country code, like TW." in bad
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0

    response = post_form(
        client,
        "/leads/new",
        {"first_name": "小明", "last_name": "王", "company": "台積電", "annual_revenue": "1000.5",
         "country": "tw", "source": "EVENT", "status": "NEW", "owner_id": rep.id},
    )  # fmt: skip
    assert response.status_code == 302
    lead = db.session.scalar(sa.select(Lead))
    assert (lead.full_name, lead.country, lead.owner_id) == ("王小明", "TW", rep.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "台積電" in page and 'id="convert-lead"' in page and "history-leads-" in page


def test_someone_elses_lead_cannot_be_opened_edited_converted_or_deleted(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    lead = make_lead(other, last_name="Theirs")
    client = login(rep)
    for path in ("", "/edit", "/convert", "/delete"):
        assert client.get(f"/leads/{lead.id}{path}").status_code == 403
    assert post_form(client, f"/leads/{lead.id}/delete").status_code == 403
    assert client.get("/leads/999999").status_code == 404


def test_editing_and_deleting_a_lead(login):
    rep = make_user(Role.SALES)
    lead = make_lead(rep, last_name="Lin", company="Acme")
    client = login(rep)
    assert 'value="Acme"' in client.get(f"/leads/{lead.id}/edit").get_data(as_text=True)
    response = post_form(
        client,
        f"/leads/{lead.id}/edit",
        {"last_name": "Lin", "company": "Acme Ltd", "status": "QUALIFIED", "source": "MANUAL"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (lead.company, lead.status) == ("Acme Ltd", LeadStatus.QUALIFIED)
    assert post_form(client, f"/leads/{lead.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0


def test_bulk_assign_tag_and_delete(login):
    team = make_team()
    manager = make_user(Role.MANAGER, team=team)
    rep = make_user(Role.SALES, team=team)
    outsider_lead = make_lead(make_user(Role.SALES), last_name="Outside")
    first, second = make_lead(manager, last_name="One"), make_lead(manager, last_name="Two")
    client = login(manager)
    ids = [first.id, second.id, outsider_lead.id]
    response = htmx_post(
        client, "/leads/bulk", {"ids": ids, "action": "assign", "owner_id": rep.id}
    )
    assert response.status_code == 302 and response.headers["HX-Redirect"]
    db.session.expire_all()
    assert (first.owner_id, second.owner_id) == (rep.id, rep.id)
    assert outsider_lead.owner_id != rep.id
    htmx_post(client, "/leads/bulk", {"ids": [first.id], "action": "tag", "tag": "fair"})
    assert [t.name for t in tags.tags_for("leads", [first.id])[first.id]] == ["fair"]
    htmx_post(client, "/leads/bulk", {"ids": [first.id, second.id], "action": "delete"})
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 1


def test_converting_a_lead_from_its_page_lands_on_the_new_customer(login):
    rep = make_user(Role.SALES)
    lead = make_lead(
        rep, first_name="Ann", last_name="Lee", company="Acme", email="ann@acme.example"
    )
    call = make_activity(rep, "CALL", subject="Intro call")
    call.lead_id = lead.id
    db.session.commit()
    client = login(rep)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Intro call" in page
    form = client.get(f"/leads/{lead.id}/convert").get_data(as_text=True)
    assert 'id="convert-form"' in form
    response = post_form(
        client, f"/leads/{lead.id}/convert", {"customer_choice": "new", "contact_choice": "new"}
    )
    assert response.status_code == 302
    customer = db.session.scalar(sa.select(Customer))
    assert response.headers["Location"].endswith(f"/customers/{customer.id}")
    contact = db.session.scalar(sa.select(Contact))
    assert (customer.name, contact.full_name, contact.customer_id) == (
        "Acme",
        "Ann Lee",
        customer.id,
    )
    assert db.session.get(Activity, call.id).customer_id == customer.id
    history = client.get(f"/history/leads/{lead.id}", headers=HTMX).get_data(as_text=True)
    assert "CONVERTED" in history
    assert "Intro call" in client.get(f"/customers/{customer.id}/timeline").get_data(as_text=True)
    shown = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="lead-conversion"' in shown and 'id="convert-lead"' not in shown
    again = client.get(f"/leads/{lead.id}/convert", follow_redirects=True)
    assert "This lead is already converted." in again.get_data(as_text=True)


def test_converting_onto_an_existing_customer_and_a_refused_choice(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    mine = make_customer(rep, name="Mine")
    theirs = make_customer(other, name="Theirs")
    lead = make_lead(rep, last_name="Lee")
    client = login(rep)
    refused = post_form(
        client,
        f"/leads/{lead.id}/convert",
        {"customer_choice": "existing", "customer_id": theirs.id, "contact_choice": "new"},
    )
    assert refused.status_code == 200
    assert "Choose a customer you may edit." in refused.get_data(as_text=True)
    none_chosen = post_form(
        client,
        f"/leads/{lead.id}/convert",
        {"customer_choice": "existing", "contact_choice": "new"},
    )
    assert "Choose a customer you may edit." in none_chosen.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 2
    done = post_form(
        client,
        f"/leads/{lead.id}/convert",
        {"customer_choice": "existing", "customer_id": mine.id, "contact_choice": "new"},
    )
    assert done.headers["Location"].endswith(f"/customers/{mine.id}")
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).customer_id == mine.id


def test_a_rep_logs_a_call_on_their_lead_but_not_on_someone_elses(login):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    lead = make_lead(rep, last_name="Lee")
    theirs = make_lead(other, last_name="Theirs")
    client = login(rep)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f'hx-get="/activities/new?lead_id={lead.id}&amp;kind=CALL"' in page
    form = client.get(f"/activities/new?lead_id={lead.id}&kind=CALL", headers=HTMX)
    assert f'name="lead_id" type="hidden" value="{lead.id}"' in form.get_data(as_text=True)
    saved = htmx_post(
        client, "/activities", {"kind": "CALL", "subject": "Intro", "lead_id": lead.id}
    )
    assert "timelineChanged" in saved.headers["HX-Trigger"]
    panel = client.get(f"/leads/{lead.id}/activities", headers=HTMX).get_data(as_text=True)
    assert "Intro" in panel
    refused = htmx_post(
        client, "/activities", {"kind": "CALL", "subject": "Sneaky", "lead_id": theirs.id}
    )
    assert "Choose a lead you can see." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 1
    assert client.get(f"/leads/{theirs.id}/activities").status_code == 403


def test_a_rep_saves_a_view_of_the_lead_list(login):
    client = login(make_user(Role.SALES))
    response = post_form(
        client,
        "/saved-views/leads",
        {"name": "New from the web", "query": "status=NEW&source=WEB_FORM"},
    )
    assert response.location.endswith("/leads?status=NEW&source=WEB_FORM")
    html = client.get("/leads").get_data(as_text=True)
    assert "New from the web" in html and "/leads?status=NEW&amp;source=WEB_FORM" in html


def test_a_lead_page_shows_the_records_it_may_duplicate(login):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="Acme")
    make_contact(rep, customer, first_name="Mei", last_name="Chen", email="mei@acme.example")
    lead = make_lead(rep, first_name="Mei", last_name="Chen", email="MEI@acme.example")
    client = login(rep)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="lead-duplicates"' in html and "Mei Chen" in html and "/contacts/" in html


def test_managers_find_the_assignment_rules_and_the_import_from_the_list(login):
    html = login(make_user(Role.MANAGER)).get("/leads").get_data(as_text=True)
    assert 'id="assignment-rules"' in html and "/imports/?entity=lead" in html


def test_reps_do_not_see_the_assignment_rules_link(login):
    html = login(make_user(Role.SALES)).get("/leads").get_data(as_text=True)
    assert 'id="assignment-rules"' not in html
