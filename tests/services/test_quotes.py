"""Quotes: numbering, lines from products and price books, exact totals, the DRAFT -> SENT ->
ACCEPTED/DECLINED life, revisions that leave earlier versions untouched, and portal links."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.customers import Customer
from app.models.identity import Role
from app.models.orders import OrderStatus, QuoteStatus
from app.permissions import PermissionDenied
from app.services import opportunities, opportunity_parts, price_books, quotes
from app.services.validation import RecordInvalid
from tests.factories import (
    make_contact,
    make_customer,
    make_opportunity,
    make_price_book,
    make_product,
    make_quote,
    make_user,
)

HAND_COMPUTED_LINES = [
    {"name": "Widget", "quantity": "3", "unit_price": "19.99", "discount_percent": "10",
     "tax_rate": "5"},
    {"name": "Install", "quantity": "1.5", "unit_price": "200.00", "tax_rate": "5"},
    {"name": "Screws", "quantity": "7", "unit_price": "0.35", "discount_percent": "12.5"},
]  # fmt: skip


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def test_quotes_are_numbered_per_year_in_sequence(rep):
    first = make_quote(rep)
    second = make_quote(rep)
    year = date.today().year
    assert first.number == f"Q-{year}-0001"
    assert second.number == f"Q-{year}-0002"
    assert (first.version, first.status, first.reference) == (1, QuoteStatus.DRAFT, first.number)


def test_totals_match_the_hand_computed_figures(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES, discount_percent="7.5")
    # Nets 53.97 (53.973), 300.00, 2.14 (2.14375); discount 7.5 % of 356.11 = 26.71, shared
    # 4.05 + 22.50 + 0.16; tax 5 % of 49.92 = 2.50 (2.496) and of 277.50 = 13.88 (13.875).
    assert [line.net for line in quote.lines] == [Decimal(v) for v in ("53.97", "300.00", "2.14")]
    assert [line.discount_share for line in quote.lines] == [
        Decimal(v) for v in ("4.05", "22.50", "0.16")
    ]
    assert [line.tax for line in quote.lines] == [Decimal(v) for v in ("2.50", "13.88", "0.00")]
    assert quote.subtotal == Decimal("356.11")
    assert quote.discount_amount == Decimal("26.71")
    assert quote.tax_total == Decimal("16.38")
    assert quote.total == Decimal("345.78")
    db.session.expire_all()
    stored = db.session.get(type(quote), quote.id)
    assert stored.total == Decimal("345.78")
    assert sum(line.amount for line in stored.lines) == stored.total


def test_changing_the_discount_or_a_line_recomputes_the_totals(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES)
    assert quote.total == Decimal("356.11") + Decimal("2.70") + Decimal("15.00")
    quotes.update_quote(quote, rep, discount_percent="7.5")
    assert quote.total == Decimal("345.78")
    quotes.update_line(quote, rep, quote.lines[2].id, quantity="0.5")
    assert quote.lines[2].net == Decimal("0.15")
    quotes.remove_line(quote, rep, quote.lines[2].id)
    assert [line.name for line in quote.lines] == ["Widget", "Install"]
    assert quote.subtotal == Decimal("353.97")


def test_a_product_line_takes_name_unit_tax_and_the_price_book_price(rep):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, name="Router", unit="box", list_price="100.00", tax_rate="5")
    book = make_price_book(manager, name="Partners", currency="USD")
    price_books.set_price(book, product, "80.00", manager)
    quote = make_quote(rep, price_book_id=book.id)
    line = quotes.add_line(quote, rep, product_id=product.id, quantity="2")
    assert (line.name, line.unit, line.unit_price, line.tax_rate) == (
        "Router", "box", Decimal("80.00"), Decimal("5.00"),
    )  # fmt: skip
    typed = quotes.add_line(quote, rep, product_id=product.id, quantity="1", unit_price="75")
    assert typed.unit_price == Decimal("75")


def test_a_product_without_a_price_in_a_foreign_book_needs_one_typed(rep):
    manager = make_user(Role.MANAGER)
    product = make_product(manager, name="Router")
    book = make_price_book(manager, name="Euro list", currency="EUR")
    quote = make_quote(rep, price_book_id=book.id)
    assert quote.currency == "EUR"
    with pytest.raises(RecordInvalid) as refused:
        quotes.add_line(quote, rep, product_id=product.id, quantity="1")
    assert "no price in Euro list" in refused.value.errors["unit_price"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", "0"), ("quantity", "1.0001"), ("unit_price", "-1"), ("unit_price", "1.234"),
     ("discount_percent", "101"), ("tax_rate", "abc"), ("quantity", "1e12")],
)  # fmt: skip
def test_bad_line_input_is_refused_and_changes_nothing(rep, field, value):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES[:1])
    before = quote.total
    line = {"name": "X", "quantity": "1", "unit_price": "1"} | {field: value}
    with pytest.raises(RecordInvalid) as refused:
        quotes.add_line(quote, rep, **line)
    assert field in refused.value.errors
    assert len(quote.lines) == 1 and quote.total == before


def test_a_quote_for_a_deal_belongs_to_its_customer_and_starts_with_its_products(rep):
    deal = make_opportunity(rep, name="Fibre rollout", currency="USD")
    product = make_product(list_price="250.00", tax_rate="0")
    opportunity_parts.add_product(deal, rep, product.id, "4")
    quote = quotes.create_quote(rep, opportunity_id=deal.id)
    assert quote.customer_id == deal.customer_id
    assert quote.title == "Fibre rollout"
    assert [(line.quantity, line.unit_price) for line in quote.lines] == [
        (Decimal("4"), Decimal("250.00"))
    ]
    assert quote.total == Decimal("1000.00")
    assert quote.contact_id is None  # the deal has none
    contact = make_contact(rep, customer=db.session.get(Customer, deal.customer_id))
    opportunities.update_opportunity(deal, rep, deal.version, contact_id=contact.id)
    assert quotes.create_quote(rep, opportunity_id=deal.id).contact_id == contact.id
    other = make_customer(rep)
    with pytest.raises(RecordInvalid) as refused:
        quotes.create_quote(rep, customer_id=other.id, opportunity_id=deal.id)
    assert "opportunity_id" in refused.value.errors


def test_the_contact_must_belong_to_the_quoted_customer(rep):
    customer = make_customer(rep)
    stranger = make_contact(rep, customer=make_customer(rep))
    with pytest.raises(RecordInvalid) as refused:
        quotes.create_quote(rep, customer_id=customer.id, title="Q", contact_id=stranger.id)
    assert "contact_id" in refused.value.errors


def test_validity_defaults_to_thirty_days_and_is_never_in_the_past(rep):
    quote = make_quote(rep)
    assert quote.valid_until == date.today() + timedelta(days=30)
    with pytest.raises(RecordInvalid) as refused:
        quotes.update_quote(quote, rep, valid_until=date.today() - timedelta(days=1))
    assert "valid_until" in refused.value.errors


def test_a_sent_quote_is_frozen_and_revising_keeps_it_unchanged(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES, discount_percent="7.5", terms="Net 30")
    quotes.mark_sent(quote, rep)
    with pytest.raises(quotes.QuoteLocked):
        quotes.add_line(quote, rep, name="Extra", quantity="1", unit_price="10")
    with pytest.raises(quotes.QuoteLocked):
        quotes.update_quote(quote, rep, title="Changed")
    snapshot = [(line.name, line.quantity, line.net, line.tax) for line in quote.lines]

    revision = quotes.revise(quote, rep)
    quotes.update_line(revision, rep, revision.lines[0].id, quantity="30")
    quotes.update_quote(revision, rep, discount_percent="10", title="Bigger")
    db.session.commit()
    db.session.expire_all()

    old, new = quotes.versions(quote)
    assert (old.version, old.status, old.title, old.total) == (
        1, QuoteStatus.SUPERSEDED, quote.title, Decimal("345.78"),
    )  # fmt: skip
    assert [(line.name, line.quantity, line.net, line.tax) for line in old.lines] == snapshot
    assert (new.number, new.version, new.status, new.title) == (
        old.number, 2, QuoteStatus.DRAFT, "Bigger",
    )  # fmt: skip
    assert new.reference == f"{old.number} v2"
    assert new.terms == "Net 30"
    assert new.lines[0].quantity == Decimal("30")
    with pytest.raises(quotes.QuoteLocked):
        quotes.revise(old, rep)


def test_an_empty_quote_cannot_be_sent(rep):
    with pytest.raises(RecordInvalid) as refused:
        quotes.mark_sent(make_quote(rep), rep)
    assert "lines" in refused.value.errors


def test_accepting_makes_an_order_with_the_same_lines_and_cents(rep):
    contact_owner = rep
    customer = make_customer(contact_owner)
    contact = make_contact(contact_owner, customer=customer)
    quote = make_quote(
        rep, customer, lines=HAND_COMPUTED_LINES, discount_percent="7.5", contact_id=contact.id
    )
    with pytest.raises(quotes.QuoteLocked):
        quotes.accept(quote, "Mei Chen")  # not sent yet
    quotes.mark_sent(quote, rep)
    order = quotes.accept(quote, "Mei Chen")
    assert quote.status is QuoteStatus.ACCEPTED and quote.decided_by == "Mei Chen"
    assert order.status is OrderStatus.CONFIRMED
    assert (order.customer_id, order.contact_id, order.quote_id) == (
        customer.id, contact.id, quote.id,
    )  # fmt: skip
    assert order.number.startswith(f"SO-{date.today().year}-")
    assert (order.subtotal, order.discount_amount, order.tax_total, order.total) == (
        quote.subtotal, quote.discount_amount, quote.tax_total, quote.total,
    )  # fmt: skip
    assert [(line.name, line.net, line.tax) for line in order.lines] == [
        (line.name, line.net, line.tax) for line in quote.lines
    ]
    with pytest.raises(quotes.QuoteLocked):
        quotes.accept(quote, "Mei Chen")
    with pytest.raises(quotes.QuoteLocked):
        quotes.revise(quote, rep)


def test_declining_records_who_and_why_and_an_expired_quote_cannot_be_accepted(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES[:1])
    quotes.mark_sent(quote, rep)
    with pytest.raises(RecordInvalid):
        quotes.decline(quote, "   ")
    quotes.decline(quote, "Mei Chen", "Too expensive")
    assert (quote.status, quote.decline_reason) == (QuoteStatus.DECLINED, "Too expensive")

    late = make_quote(rep, lines=HAND_COMPUTED_LINES[:1])
    quotes.mark_sent(late, rep)
    late.valid_until = date.today() - timedelta(days=1)
    assert quotes.is_expired(late)
    with pytest.raises(quotes.QuoteLocked) as refused:
        quotes.accept(late, "Mei Chen")
    assert "expired" in refused.value.message


def test_others_cannot_change_a_reps_quote(rep):
    quote = make_quote(rep)
    other = make_user(Role.SALES)
    with pytest.raises(PermissionDenied):
        quotes.add_line(quote, other, name="X", quantity="1", unit_price="1")
    with pytest.raises(PermissionDenied):
        quotes.accept(quote, "Someone", actor=other)


def test_only_an_unsent_first_draft_can_be_deleted(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES[:1])
    quotes.mark_sent(quote, rep)
    with pytest.raises(quotes.QuoteLocked):
        quotes.delete_quote(quote, rep)
    draft = make_quote(rep)
    quotes.delete_quote(draft, rep)
    assert db.session.get(type(draft), draft.id) is None


def test_portal_tokens_name_one_quote_and_cannot_be_forged(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES[:1])
    token = quotes.portal_token(quote)
    assert quotes.quote_for_token(token) is quote
    assert quotes.quote_for_token(token[:-2] + "xx") is None
    assert quotes.quote_for_token("garbage") is None


def test_an_old_link_leads_to_the_newest_version_the_customer_was_sent(rep):
    quote = make_quote(rep, lines=HAND_COMPUTED_LINES[:1])
    quotes.mark_sent(quote, rep)
    revision = quotes.revise(quote, rep)
    assert quotes.latest_shown_version(quote) is quote  # v2 is still a draft
    quotes.mark_sent(revision, rep)
    assert quotes.latest_shown_version(quote) is revision
