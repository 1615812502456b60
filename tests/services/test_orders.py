"""Orders: entered directly or made from quotes, their status steps, and the revenue they
give customer grading; a customer with orders is kept, a product on quotes or orders too."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.customers import Customer
from app.models.identity import Role
from app.models.orders import OrderStatus
from app.permissions import PermissionDenied
from app.services import customers, grading, numbering, orders, products
from app.services.validation import RecordInvalid
from tests.factories import make_customer, make_order, make_product, make_quote, make_user

LINE = {"name": "Support plan", "quantity": "2", "unit_price": "150.00", "tax_rate": "5"}


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def test_a_direct_order_is_numbered_priced_and_stepped_through_its_statuses(rep):
    order = make_order(rep, lines=[LINE], order_date="2026-03-02")
    assert order.number == "SO-2026-0001"
    assert (order.status, order.subtotal, order.tax_total, order.total) == (
        OrderStatus.PENDING, Decimal("300.00"), Decimal("15.00"), Decimal("315.00"),
    )  # fmt: skip
    orders.set_status(order, rep, "CONFIRMED")
    with pytest.raises(orders.OrderLocked):
        orders.add_line(order, rep, **LINE)
    with pytest.raises(RecordInvalid):
        orders.set_status(order, rep, "PENDING")
    orders.set_status(order, rep, OrderStatus.FULFILLED)
    with pytest.raises(RecordInvalid):
        orders.set_status(order, rep, "CANCELLED")


def test_an_order_needs_a_line_to_be_confirmed_and_a_valid_date(rep):
    order = make_order(rep)
    with pytest.raises(RecordInvalid):
        orders.set_status(order, rep, "CONFIRMED")
    with pytest.raises(RecordInvalid) as refused:
        orders.create_order(rep, customer_id=order.customer_id, order_date="31/12/2026")
    assert "order_date" in refused.value.errors


def test_a_confirmed_orders_amounts_cannot_change_but_its_notes_can(rep):
    order = make_order(rep, lines=[LINE])
    orders.set_status(order, rep, "CONFIRMED")
    with pytest.raises(RecordInvalid):
        orders.update_order(order, rep, discount_percent="10")
    orders.update_order(order, rep, notes="Ship in May")
    assert order.notes == "Ship in May"


def test_revenue_counts_every_order_but_cancelled_ones_in_the_default_currency(rep):
    customer = make_customer(rep)
    make_order(rep, customer, lines=[LINE], discount_percent="10")  # 300 - 30 = 270 net
    cancelled = make_order(rep, customer, lines=[LINE])
    orders.set_status(cancelled, rep, "CANCELLED")
    make_order(rep, customer, lines=[LINE], currency="EUR")
    assert orders.revenue_by_customer() == {customer.id: Decimal("270.00")}
    assert grading.revenue_by_customer()[customer.id] == Decimal("270.00")


def test_an_accepted_quote_makes_exactly_one_order(rep):
    from app.services import quotes

    quote = make_quote(rep, lines=[LINE])
    quotes.mark_sent(quote, rep)
    order = quotes.accept(quote, "Mei Chen")
    assert order.quote_id == quote.id
    with pytest.raises(orders.OrderLocked):
        orders.delete_order(order, rep)


def test_a_customer_with_orders_cannot_be_deleted(rep):
    order = make_order(rep, lines=[LINE])
    customer = db.session.get(Customer, order.customer_id)
    with pytest.raises(RecordInvalid) as refused:
        customers.delete_customer(customer, rep)
    assert "1 orders" in refused.value.errors["customer"]


def test_a_product_on_a_quote_cannot_be_deleted(rep):
    manager = make_user(Role.MANAGER)
    product = make_product(manager)
    make_quote(rep, lines=[{"product_id": product.id, "quantity": "1"}])
    with pytest.raises(RecordInvalid) as refused:
        products.delete_product(product, manager)
    assert "on quotes" in refused.value.errors["product"]


def test_only_the_owner_or_their_manager_changes_an_order(rep):
    order = make_order(rep, lines=[LINE])
    with pytest.raises(PermissionDenied):
        orders.set_status(order, make_user(Role.SALES), "CONFIRMED")


def test_number_sequences_are_per_series_and_year():
    assert numbering.next_number("T", date(2025, 5, 1)) == "T-2025-0001"
    assert numbering.next_number("T", date(2025, 6, 1)) == "T-2025-0002"
    assert numbering.next_number("T", date(2026, 1, 1)) == "T-2026-0001"
