"""The quote pages as a rep meets them: the filtered, paged list; a new quote (errors shown,
nothing saved); lines added, edited and removed in place with the totals following; a sent
version read-only; revising into v2 with v1 untouched; the customer's decision recorded;
who may see what; CSRF on every change."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import Order, Quote, QuoteLine, QuoteStatus
from app.services import quotes
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import (
    make_contact,
    make_customer,
    make_opportunity,
    make_product,
    make_quote,
    make_user,
)

LINE = {"name": "Widget", "quantity": "3", "unit_price": "19.99", "discount_percent": "10",
        "tax_rate": "5"}  # fmt: skip


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _sent(rep, **fields):
    quote = make_quote(rep, lines=[LINE], **fields)
    quotes.mark_sent(quote, rep)
    db.session.commit()
    return quote


def test_the_list_shows_my_quotes_with_filters_and_an_empty_state(login, rep):
    acme = make_customer(rep, name="Acme")
    draft = make_quote(rep, acme, title="Router upgrade", lines=[LINE])
    sent = _sent(rep, title="Support plan")
    make_quote(make_user(Role.SALES), title="Someone else's")
    client = login(rep)
    html = client.get("/quotes").get_data(as_text=True)
    assert f'id="quote-{draft.id}"' in html and f'id="quote-{sent.id}"' in html
    assert "Someone else" not in html and "Acme" in html and "$56.67" in html  # 53.97 + 2.70 tax
    assert 'id="quote-filters"' in html and 'id="nav-quotes"' in html
    response = client.get("/quotes?status=SENT", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="quote-results">')
    assert f'id="quote-{sent.id}"' in fragment and f'id="quote-{draft.id}"' not in fragment
    assert "HX-Request" in response.headers["Vary"]
    found = client.get("/quotes?q=acme+router").get_data(as_text=True)
    assert f'id="quote-{draft.id}"' in found and f'id="quote-{sent.id}"' not in found
    theirs = client.get(f"/quotes?customer_id={acme.id}").get_data(as_text=True)
    assert "Quotes for Acme" in theirs and f'href="/quotes/new?customer_id={acme.id}"' in theirs
    assert f'id="quote-{draft.id}"' in theirs and f'id="quote-{sent.id}"' not in theirs
    empty = client.get("/quotes?q=nothing-like-this").get_data(as_text=True)
    assert "No quotes match." in empty


def test_the_list_pages_by_cursor(login, rep, app):
    made = [make_quote(rep) for _ in range(3)]
    client = login(rep)
    from app.services import quote_lists

    rows, cursor = quote_lists.quote_page(rep, quote_lists.QuoteFilters(), None, limit=2)
    html = client.get(f"/quotes?cursor={cursor}").get_data(as_text=True)
    assert f'id="quote-{made[0].id}"' in html and f'id="quote-{made[2].id}"' not in html
    first = client.get("/quotes").get_data(as_text=True)
    assert all(f'id="quote-{q.id}"' in first for q in made) and 'rel="next"' not in first


def test_a_rep_gets_404_for_another_reps_quote(login, rep):
    other = make_quote(make_user(Role.SALES), lines=[LINE])
    client = login(rep)
    assert client.get(f"/quotes/{other.id}").status_code == 404
    assert client.get(f"/quotes/{other.id}/edit").status_code == 404
    assert htmx_post(client, f"/quotes/{other.id}/lines", {"name": "x"}).status_code == 404
    assert post_form(client, f"/quotes/{other.id}/revise").status_code == 404
    assert post_form(client, f"/quotes/{other.id}/delete").status_code == 404
    assert _count(QuoteLine) == 1 and _count(Quote) == 1


def test_support_may_not_create_a_quote(login):
    client = login(make_user(Role.SUPPORT))
    assert client.get("/quotes/new").status_code == 403


def test_new_quote_with_errors_is_shown_again_and_nothing_is_saved(login, rep):
    make_customer(rep, name="Acme")
    client = login(rep)
    response = post_form(
        client, "/quotes/new",
        {"title": "", "customer_id": "", "valid_until": "2001-01-01", "discount_percent": "120",
         "currency": "US", "owner_id": rep.id},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose a customer you may edit." in html
    assert "Choose a date from today on." in html
    assert "Enter a percentage from 0 to 100" in html
    assert "Enter a three-letter currency code" in html
    assert "Give the quote a title." in html
    assert _count(Quote) == 0


def test_new_quote_for_a_customer_then_its_page(login, rep):
    acme = make_customer(rep, name="Acme")
    contact = make_contact(rep, acme, first_name="Mei", last_name="Chen")
    client = login(rep)
    page = client.get(f"/quotes/new?customer_id={acme.id}").get_data(as_text=True)
    assert f'<option selected value="{acme.id}">Acme</option>' in page
    assert f'value="{contact.id}">Mei Chen</option>' in page
    response = post_form(
        client, "/quotes/new",
        {"title": "Router upgrade", "customer_id": acme.id, "contact_id": contact.id,
         "valid_until": "", "discount_percent": "0", "terms": "Net 30", "owner_id": rep.id},
    )  # fmt: skip
    assert response.status_code == 302
    quote = db.session.scalar(sa.select(Quote))
    assert response.headers["Location"] == f"/quotes/{quote.id}"
    assert (quote.customer_id, quote.contact_id, quote.terms) == (acme.id, contact.id, "Net 30")
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert quote.number in html and "Mei Chen" in html and "Net 30" in html
    assert 'id="quote-line-form"' in html and "No lines yet." in html
    assert "rounded half-up to the cent on each line" in html
    assert 'id="revise-quote"' in html and 'id="delete-quote"' in html


def test_the_customer_picker_loads_that_customers_contacts_and_deals(login, rep):
    acme = make_customer(rep, name="Acme")
    contact = make_contact(rep, acme, first_name="Mei", last_name="Chen")
    deal = make_opportunity(rep, acme, name="Acme renewal")
    make_contact(rep, make_customer(rep), first_name="Not", last_name="Acme")
    client = login(rep)
    html = client.get(
        f"/quotes/customer-fields?customer_id={acme.id}", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert html.lstrip().startswith('<div class="grid" id="quote-customer-fields">')
    assert "Mei Chen" in html and "Acme renewal" in html and "Not Acme" not in html
    assert f'value="{contact.id}"' in html and f'value="{deal.id}"' in html


def test_new_quote_from_a_deal_takes_its_customer_and_products(login, rep):
    product = make_product(name="Router", list_price="100.00", tax_rate="5")
    deal = make_opportunity(rep, name="Acme renewal")
    from app.services import opportunity_parts

    opportunity_parts.add_product(deal, rep, product.id, "2", "")
    db.session.commit()
    client = login(rep)
    page = client.get(f"/opportunities/{deal.id}").get_data(as_text=True)
    assert f'href="/quotes/new?opportunity_id={deal.id}"' in page and "No quotes" in page
    form = client.get(f"/quotes/new?opportunity_id={deal.id}").get_data(as_text=True)
    assert f'<option selected value="{deal.id}">Acme renewal</option>' in form
    response = post_form(
        client, "/quotes/new",
        {"customer_id": deal.customer_id, "opportunity_id": deal.id, "owner_id": rep.id,
         "discount_percent": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    quote = db.session.scalar(sa.select(Quote))
    assert quote.title == "Acme renewal" and [line.name for line in quote.lines] == ["Router"]
    page = client.get(f"/opportunities/{deal.id}").get_data(as_text=True)
    assert f'id="opportunity-quote-{quote.id}"' in page and "$210.00" in page


def test_lines_are_added_edited_and_removed_in_place(login, rep):
    product = make_product(name="Router", unit="box", list_price="100.00", tax_rate="5")
    quote = make_quote(rep)
    client = login(rep)
    url = f"/quotes/{quote.id}/lines"
    response = htmx_post(client, url, {"product_id": product.id, "quantity": "2"})
    html = response.get_data(as_text=True)
    assert (
        response.status_code == 200 and response.headers["HX-Trigger"] == '{"quoteChanged": true}'
    )
    assert html.lstrip().startswith('<section id="quote-lines"')
    assert "Router" in html and "The line is added." in html
    assert re.search(r'id="quote-total"><strong>\$210\.00<', html)
    html = htmx_post(
        client, url, {"product_id": "", "name": "Install", "quantity": "1.5",
                      "unit_price": "200", "tax_rate": "5"},
    ).get_data(as_text=True)  # fmt: skip
    assert re.search(r'id="quote-subtotal">\$500\.00<', html)
    assert re.search(r'id="quote-total"><strong>\$525\.00<', html)
    db.session.expire_all()
    router, install = db.session.get(Quote, quote.id).lines
    edit = client.get(f"{url}/{router.id}/edit", headers={"HX-Request": "true"})
    edit_html = edit.get_data(as_text=True)
    assert 'name="edit-quantity"' in edit_html and 'value="2"' in edit_html
    html = htmx_post(
        client, f"{url}/{router.id}/edit",
        {"edit-name": "Router XL", "edit-quantity": "3", "edit-unit_price": "100",
         "edit-discount_percent": "10", "edit-tax_rate": "5", "edit-unit": "box",
         "edit-description": ""},
    ).get_data(as_text=True)  # fmt: skip
    assert "Router XL" in html and re.search(r'id="quote-subtotal">\$570\.00<', html)
    html = htmx_post(client, f"{url}/{install.id}/delete", {}).get_data(as_text=True)
    assert f'id="quote-line-{install.id}"' not in html
    assert re.search(r'id="quote-total"><strong>\$283\.50<', html)
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).total == Decimal("283.50")


def test_a_bad_line_is_shown_with_its_errors_and_nothing_changes(login, rep):
    quote = make_quote(rep, lines=[LINE])
    client = login(rep)
    html = htmx_post(
        client, f"/quotes/{quote.id}/lines", {"name": "", "quantity": "0", "unit_price": "1.234"}
    ).get_data(as_text=True)
    assert "Name the line or choose a product." in html
    assert "Enter a quantity of more than 0" in html and "at most 2 decimals" in html
    line = quote.lines[0]
    html = htmx_post(
        client, f"/quotes/{quote.id}/lines/{line.id}/edit",
        {"edit-name": "Widget", "edit-quantity": "-1", "edit-unit_price": "19.99"},
    ).get_data(as_text=True)  # fmt: skip
    assert 'class="quote-line-editing"' in html and "Enter a quantity of more than 0" in html
    assert _count(QuoteLine) == 1
    assert db.session.get(QuoteLine, line.id).quantity == Decimal("3")


def test_a_sent_quote_is_read_only(login, rep):
    quote = _sent(rep)
    client = login(rep)
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert 'id="quote-line-form"' not in html and 'id="edit-quote"' not in html
    assert "can no longer change; revise it to make a new version" in html
    assert 'id="revise-quote"' in html and 'id="delete-quote"' not in html
    response = htmx_post(
        client, f"/quotes/{quote.id}/lines", {"name": "Extra", "quantity": "1", "unit_price": "5"}
    )
    assert response.status_code == 200
    assert "can no longer change" in response.get_data(as_text=True)
    page = post_form(
        client, f"/quotes/{quote.id}/lines", {"name": "Extra", "quantity": "1", "unit_price": "5"}
    )
    assert page.status_code == 302
    assert "can no longer change" in client.get(page.headers["Location"]).get_data(as_text=True)
    line = quote.lines[0]
    htmx_post(client, f"/quotes/{quote.id}/lines/{line.id}/delete", {})
    assert client.get(f"/quotes/{quote.id}/edit").status_code == 302
    assert _count(QuoteLine) == 1


def test_revising_makes_v2_and_keeps_v1_unchanged(login, rep):
    quote = _sent(rep)
    before = (quote.total, [(line.name, line.quantity) for line in quote.lines])
    client = login(rep)
    response = post_form(client, f"/quotes/{quote.id}/revise")
    revision = db.session.scalar(sa.select(Quote).where(Quote.version == 2))
    assert response.headers["Location"] == f"/quotes/{revision.id}"
    html = client.get(f"/quotes/{revision.id}").get_data(as_text=True)
    assert f"{quote.number} v2" in html and 'id="quote-line-form"' in html
    assert f'href="/quotes/{quote.id}"' in html
    htmx_post(
        client,
        f"/quotes/{revision.id}/lines",
        {"name": "Extra", "quantity": "1", "unit_price": "5"},
    )
    db.session.expire_all()
    old = db.session.get(Quote, quote.id)
    assert old.status is QuoteStatus.SUPERSEDED
    assert (old.total, [(line.name, line.quantity) for line in old.lines]) == before
    old_html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "replaced by a newer version" in old_html and 'id="revise-quote"' not in old_html
    assert 'id="latest-version"' in old_html
    assert post_form(client, f"/quotes/{quote.id}/revise").status_code == 302
    assert _count(Quote) == 2


def test_recording_an_acceptance_makes_the_order(login, rep):
    quote = _sent(rep)
    client = login(rep)
    assert 'id="decision-form"' in client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    response = post_form(
        client, f"/quotes/{quote.id}/decision", {"decision": "accept", "name": "Mei Chen"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    accepted = db.session.get(Quote, quote.id)
    assert accepted.status is QuoteStatus.ACCEPTED and accepted.decided_by == "Mei Chen"
    order = db.session.scalar(sa.select(Order).where(Order.quote_id == quote.id))
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert order.number in html and f"/orders/{order.id}" in html
    assert 'id="decision-form"' not in html and 'id="revise-quote"' not in html


def test_recording_a_decline_with_its_reason(login, rep):
    quote = _sent(rep)
    client = login(rep)
    post_form(client, f"/quotes/{quote.id}/decision",
              {"decision": "decline", "name": "Mei Chen", "reason": "Too expensive"})  # fmt: skip
    db.session.expire_all()
    declined = db.session.get(Quote, quote.id)
    assert (declined.status, declined.decline_reason) == (QuoteStatus.DECLINED, "Too expensive")
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "Too expensive" in html and 'id="revise-quote"' in html
    again = post_form(client, f"/quotes/{quote.id}/decision", {"decision": "accept"})
    assert "was already declined" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _count(Order) == 0


def test_editing_the_header_of_a_draft(login, rep):
    quote = make_quote(rep, lines=[LINE])
    client = login(rep)
    form = client.get(f"/quotes/{quote.id}/edit").get_data(as_text=True)
    assert f'value="{quote.title}"' in form
    response = post_form(
        client, f"/quotes/{quote.id}/edit",
        {"title": "New title", "customer_id": quote.customer_id, "discount_percent": "10",
         "valid_until": quote.valid_until.isoformat(), "currency": "USD", "owner_id": rep.id},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Quote, quote.id)
    assert edited.title == "New title" and edited.discount_amount == Decimal("5.40")


def test_deleting_an_unsent_first_draft_only(login, rep):
    draft = make_quote(rep)
    sent = _sent(rep)
    client = login(rep)
    assert "Delete" in client.get(f"/quotes/{draft.id}/delete").get_data(as_text=True)
    assert post_form(client, f"/quotes/{draft.id}/delete").headers["Location"] == "/quotes"
    response = post_form(client, f"/quotes/{sent.id}/delete")
    assert response.headers["Location"] == f"/quotes/{sent.id}"
    assert [q.id for q in db.session.scalars(sa.select(Quote))] == [sent.id]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_changes_without_a_csrf_token_are_refused(login, rep, htmx):
    quote = make_quote(rep, lines=[LINE])
    line = quote.lines[0]
    client = login(rep)
    headers = {"HX-Request": "true"} if htmx else {}
    for path in (
        "/quotes/new", f"/quotes/{quote.id}/edit", f"/quotes/{quote.id}/lines",
        f"/quotes/{quote.id}/lines/{line.id}/edit", f"/quotes/{quote.id}/lines/{line.id}/delete",
        f"/quotes/{quote.id}/revise", f"/quotes/{quote.id}/decision",
        f"/quotes/{quote.id}/delete",
    ):  # fmt: skip
        response = client.post(path, data={"name": "x", "title": "x"}, headers=headers)
        assert response.status_code == 400, path
    assert _count(Quote) == 1 and _count(QuoteLine) == 1
    assert csrf_token(client, f"/quotes/{quote.id}")


def test_the_header_saves_when_the_customer_has_since_moved_to_another_rep(login, rep):
    customer = make_customer(rep, name="Acme")
    quote = make_quote(rep, customer)
    customer.owner_id = make_user(Role.SALES).id
    db.session.commit()
    client = login(rep)
    form = client.get(f"/quotes/{quote.id}/edit").get_data(as_text=True)
    assert f'<option selected value="{customer.id}">Acme</option>' in form
    response = post_form(
        client, f"/quotes/{quote.id}/edit",
        {"title": "Renamed", "customer_id": customer.id, "discount_percent": "0",
         "currency": "USD", "owner_id": rep.id},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).title == "Renamed"


def test_a_line_of_another_quote_cannot_be_edited_or_removed_through_this_one(login, rep):
    quote = make_quote(rep, lines=[LINE])
    other = make_quote(rep, lines=[LINE])
    client = login(rep)
    foreign = other.lines[0].id
    html = htmx_post(client, f"/quotes/{quote.id}/lines/{foreign}/delete", {}).get_data(
        as_text=True
    )
    assert "That line is not on this quote." in html
    html = htmx_post(
        client, f"/quotes/{quote.id}/lines/{foreign}/edit",
        {"edit-name": "Hijack", "edit-quantity": "1", "edit-unit_price": "1"},
    ).get_data(as_text=True)  # fmt: skip
    assert "That line is not on this quote." in html
    assert client.get(f"/quotes/{quote.id}/lines/{foreign}/edit").status_code == 404
    assert _count(QuoteLine) == 2
    assert db.session.get(QuoteLine, foreign).name == "Widget"
