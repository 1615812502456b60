"""The order pages as a user meets them: the list, entering an order (also from a won deal
with its products), the detail page with htmx line editing while pending, status changes,
deletion, and who may do what."""

from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import Order, OrderStatus
from app.services import opportunity_parts, orders, quotes
from tests.conftest import htmx_post, post_form
from tests.factories import (
    make_customer,
    make_opportunity,
    make_order,
    make_product,
    make_quote,
    make_user,
)

LINE = {"name": "Widget", "quantity": "2", "unit_price": "50.00", "tax_rate": "10"}


def test_the_list_shows_visible_orders_with_filters_and_an_empty_state(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    order = make_order(rep, acme, lines=[LINE])
    hidden = make_order(make_user(Role.SALES))
    client = login(rep)
    html = client.get("/orders").get_data(as_text=True)
    assert order.number in html and hidden.number not in html and "Acme" in html
    assert "110.00" in html and 'id="order-filters"' in html
    fragment = client.get("/orders?status=FULFILLED", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="order-results">') and "No orders match." in text


def test_entering_an_order_for_a_customer(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    client = login(rep)
    html = client.get(f"/orders/new?customer_id={acme.id}").get_data(as_text=True)
    assert f'value="{acme.id}"' in html
    response = post_form(
        client, "/orders/new", {"customer_id": acme.id, "currency": "usd", "owner_id": rep.id}
    )
    order = db.session.scalar(sa.select(Order))
    assert response.status_code == 302 and response.location.endswith(f"/orders/{order.id}")
    assert order.customer_id == acme.id and order.currency == "USD"
    assert order.status is OrderStatus.PENDING


def test_a_bad_order_form_shows_the_messages_and_saves_nothing(login):
    rep = make_user(Role.SALES)
    client = login(rep)
    response = post_form(client, "/orders/new", {"currency": "dollars", "owner_id": rep.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose a customer you may edit." in html and "three-letter currency" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_an_order_from_a_deal_takes_its_customer_currency_and_products(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    deal = make_opportunity(rep, acme, name="Big deal", currency="EUR")
    product = make_product(name="Gadget", list_price=Decimal("250.00"), tax_rate=Decimal("0"))
    opportunity_parts.add_product(deal, rep, product.id, "4")
    db.session.commit()
    client = login(rep)
    html = client.get(f"/orders/new?opportunity_id={deal.id}").get_data(as_text=True)
    assert "Big deal" in html and "Gadget" in html and 'value="EUR"' in html
    response = post_form(
        client,
        f"/orders/new?opportunity_id={deal.id}",
        {"customer_id": acme.id, "opportunity_id": deal.id, "currency": "EUR", "owner_id": rep.id},
    )
    assert response.status_code == 302
    order = db.session.scalar(sa.select(Order))
    assert (order.customer_id, order.opportunity_id, order.currency) == (acme.id, deal.id, "EUR")
    assert [(line.name, line.quantity) for line in order.lines] == [("Gadget", Decimal("4"))]
    assert order.total == Decimal("1000.00")


def test_create_from_opportunity_makes_a_pending_order():
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    product = make_product(list_price=Decimal("10.00"))
    opportunity_parts.add_product(deal, rep, product.id, "3", "9.50")
    order = orders.create_from_opportunity(deal, rep)
    assert order.status is OrderStatus.PENDING and order.customer_id == deal.customer_id
    assert order.lines[0].unit_price == Decimal("9.50") and order.subtotal == Decimal("28.50")


def test_the_detail_page_shows_links_lines_and_status_buttons(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    order = make_order(rep, acme, lines=[LINE])
    html = login(rep).get(f"/orders/{order.id}").get_data(as_text=True)
    assert order.number in html and 'id="order-customer"' in html and "Widget" in html
    assert 'id="order-total"' in html and "110.00" in html
    assert 'id="order-status-confirmed"' in html and 'id="order-status-cancelled"' in html
    assert 'id="order-status-fulfilled"' not in html
    assert 'id="order-line-add"' in html and 'id="delete-order"' in html


def test_lines_are_added_edited_and_removed_over_htmx(login):
    rep = make_user(Role.SALES)
    order = make_order(rep)
    client = login(rep)
    response = htmx_post(client, f"/orders/{order.id}/lines", LINE)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="order-lines">') and "Widget" in html
    db.session.refresh(order)
    line = order.lines[0]
    assert order.total == Decimal("110.00")
    form = client.get(
        f"/orders/{order.id}/lines/{line.id}/edit", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert f'id="order-line-form-{line.id}"' in form
    html = htmx_post(
        client, f"/orders/{order.id}/lines/{line.id}/edit",
        {"name": "Widget XL", "quantity": "3", "unit_price": "50.00", "tax_rate": "10"},
    ).get_data(as_text=True)  # fmt: skip
    assert "Widget XL" in html and "165.00" in html
    bad = htmx_post(client, f"/orders/{order.id}/lines", {"name": "Broken", "quantity": "-1"})
    assert "more than 0" in bad.get_data(as_text=True)
    html = htmx_post(client, f"/orders/{order.id}/lines/{line.id}/delete", {}).get_data(
        as_text=True
    )
    assert "Widget XL" not in html and "No lines yet." in html
    db.session.refresh(order)
    assert order.lines == [] and order.total == Decimal("0.00")


def test_status_moves_along_and_locks_the_lines(login):
    rep = make_user(Role.SALES)
    order = make_order(rep, lines=[LINE])
    client = login(rep)
    response = post_form(client, f"/orders/{order.id}/status", {"status": "CONFIRMED"})
    assert response.status_code == 302
    db.session.refresh(order)
    assert order.status is OrderStatus.CONFIRMED
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="order-line-add"' not in html and 'id="order-status-fulfilled"' in html
    assert 'id="delete-order"' not in html
    refused = htmx_post(client, f"/orders/{order.id}/lines", LINE).get_data(as_text=True)
    assert "can no longer change" in refused
    post_form(client, f"/orders/{order.id}/status", {"status": "PENDING"})
    db.session.refresh(order)
    assert order.status is OrderStatus.CONFIRMED


def test_confirming_an_empty_order_is_refused_with_a_message(login):
    rep = make_user(Role.SALES)
    order = make_order(rep)
    client = login(rep)
    post_form(client, f"/orders/{order.id}/status", {"status": "CONFIRMED"})
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Add at least one line before confirming." in html


def test_editing_the_header(login):
    rep = make_user(Role.SALES)
    order = make_order(rep)
    client = login(rep)
    assert client.get(f"/orders/{order.id}/edit").status_code == 200
    response = post_form(
        client, f"/orders/{order.id}/edit",
        {"notes": "Deliver to the back door", "currency": order.currency,
         "order_date": "2026-03-01", "owner_id": rep.id},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.refresh(order)
    assert (
        order.notes == "Deliver to the back door" and order.order_date.isoformat() == "2026-03-01"
    )


def test_deleting_a_pending_order_but_not_one_from_a_quote(login):
    rep = make_user(Role.SALES)
    order = make_order(rep)
    client = login(rep)
    assert "Delete" in client.get(f"/orders/{order.id}/delete").get_data(as_text=True)
    response = post_form(client, f"/orders/{order.id}/delete")
    assert response.status_code == 302 and response.location.endswith("/orders")
    order_id = order.id
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.id).where(Order.id == order_id)) is None
    quote = make_quote(rep, lines=[LINE])
    quotes.mark_sent(quote, rep)
    accepted = quotes.accept(quote, "Carla")
    db.session.commit()
    post_form(client, f"/orders/{accepted.id}/delete")
    db.session.expire_all()
    assert db.session.scalar(sa.select(Order.id).where(Order.id == accepted.id)) is not None


def test_others_orders_are_not_found_and_viewers_cannot_change(login):
    rep = make_user(Role.SALES)
    order = make_order(make_user(Role.SALES))
    client = login(rep)
    assert client.get(f"/orders/{order.id}").status_code == 404
    assert (
        post_form(client, f"/orders/{order.id}/status", {"status": "CANCELLED"}).status_code == 404
    )
    db.session.refresh(order)
    assert order.status is OrderStatus.PENDING


def _move(client, deal, stage, htmx=True, **extra):
    from tests.conftest import csrf_token

    headers = {"X-CSRFToken": csrf_token(client, "/")} | ({"HX-Request": "true"} if htmx else {})
    data = {"opportunity_id": deal.id, "stage": stage, "version": deal.version, **extra}
    return client.post(f"/pipeline/{deal.pipeline_id}/move", data=data, headers=headers)


def test_winning_a_deal_on_the_board_offers_to_create_its_order(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, name="Big deal")
    client = login(rep)
    html = _move(client, deal, "CLOSED_WON", confirm="yes").get_data(as_text=True)
    assert '<div id="board-dialog" hx-swap-oob="true"><dialog open id="order-offer"' in html
    assert f'href="/orders/new?opportunity_id={deal.id}"' in html and 'id="offer-not-now"' in html
    db.session.refresh(deal)
    html = _move(client, deal, "PROPOSAL").get_data(as_text=True)
    assert 'id="order-offer"' not in html


def test_winning_without_javascript_offers_the_order_on_a_page(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep)
    client = login(rep)
    response = _move(client, deal, "CLOSED_WON", htmx=False, confirm="yes")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="offer-create-order"' in html
    assert f'href="/pipeline/{deal.pipeline_id}"' in html  # "Not now" goes back to the board


def test_the_customer_page_shows_quotes_orders_and_revenue(login):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    quote = make_quote(rep, acme, lines=[LINE], title="Widgets")
    order = make_order(rep, acme, lines=[LINE, LINE])
    cancelled = make_order(rep, acme, lines=[LINE])
    orders.set_status(cancelled, rep, OrderStatus.CANCELLED)
    make_order(rep, make_customer(rep), lines=[LINE])
    db.session.commit()
    assert orders.customer_revenue(acme.id) == Decimal("200.00")  # net, before tax
    client = login(rep)
    page = client.get(f"/customers/{acme.id}").get_data(as_text=True)
    assert f"/quotes/new?customer_id={acme.id}" in page
    assert f"/orders/new?customer_id={acme.id}" in page
    assert f'hx-get="/orders/customer/{acme.id}"' in page
    html = client.get(f"/orders/customer/{acme.id}").get_data(as_text=True)
    assert f'id="customer-quote-{quote.id}"' in html and quote.number in html
    assert f'id="customer-order-{order.id}"' in html and order.number in html
    assert (
        'id="customer-revenue">$200.00' in html
        or "200.00" in html.split('id="customer-revenue"')[1][:40]
    )
    stranger = make_customer(make_user(Role.SALES))
    assert client.get(f"/orders/customer/{stranger.id}").status_code == 404
