"""`flask rapport seed` fills quotes and orders: quotes for the seeded deals in every
status (some revised), orders over three years mostly from won deals, every figure as
quote_math computes it, and numbers that later quotes and orders continue."""

from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role, User
from app.models.orders import NumberSequence, Order, OrderStatus, Quote, QuoteStatus
from app.models.sales import Opportunity, OpportunityStage
from app.services import demo, orders, quote_math, quotes, search


@pytest.fixture
def seeded():
    summary = demo.seed(seed=11, scale="small", admin_password="a long admin password")
    db.session.commit()
    return summary


def _recomputed(document) -> quote_math.QuoteTotals:
    return quote_math.quote_totals(
        [
            quote_math.Line(line.quantity, line.unit_price, line.discount_percent, line.tax_rate)
            for line in document.lines
        ],
        document.discount_percent,
    )


def test_the_small_seed_has_quotes_in_every_status_and_orders(seeded):
    assert seeded["quotes"] == 60 and seeded["orders"] == 80
    assert seeded["quote_lines"] >= 60 and seeded["order_lines"] >= 80
    all_quotes = db.session.scalars(sa.select(Quote)).all()
    assert len(all_quotes) == 60
    statuses = Counter(quote.status for quote in all_quotes)
    assert set(statuses) == set(QuoteStatus)
    assert statuses[QuoteStatus.SUPERSEDED] == 6
    all_orders = db.session.scalars(sa.select(Order)).all()
    assert set(Counter(order.status for order in all_orders)) == set(OrderStatus)
    # Bilingual, like the rest of the demo.
    titles = [quote.title for quote in all_quotes] + [
        line.name for order in all_orders for line in order.lines
    ]
    assert any(not title.isascii() for title in titles)


def test_every_stored_figure_is_what_quote_math_computes(seeded):
    documents = [*db.session.scalars(sa.select(Quote)), *db.session.scalars(sa.select(Order))]
    for document in documents:
        assert document.lines
        totals = _recomputed(document)
        assert (document.subtotal, document.discount_amount, document.tax_total) == (
            totals.subtotal,
            totals.discount,
            totals.tax_total,
        )
        assert document.total == totals.total
        for line, figures in zip(document.lines, totals.lines, strict=True):
            assert (line.net, line.discount_share, line.tax) == (
                figures.net,
                figures.quote_discount,
                figures.tax,
            )


def test_revised_quotes_keep_their_number_and_supersede_the_first_version(seeded):
    superseded = db.session.scalars(
        sa.select(Quote).where(Quote.status == QuoteStatus.SUPERSEDED)
    ).all()
    for old in superseded:
        assert old.version == 1 and old.sent_at is not None
        latest = quotes.versions(old)
        assert [q.version for q in latest] == [1, 2]
        assert latest[1].status is not QuoteStatus.SUPERSEDED
        assert latest[1].created_at >= old.sent_at
    numbers = db.session.scalars(sa.select(Quote.number).where(Quote.version == 1)).all()
    assert len(numbers) == len(set(numbers)) == 54
    for quote in db.session.scalars(sa.select(Quote)):
        assert quote.number.startswith(f"Q-{quote.created_at.year}-") or quote.version == 2
        name = quote.title and search.normalise(quote.number, quote.title)
        assert quote.search_text.startswith(name)


def test_accepted_quotes_have_their_order_and_won_deals_are_ordered(seeded):
    accepted = db.session.scalars(
        sa.select(Quote).where(Quote.status == QuoteStatus.ACCEPTED)
    ).all()
    for quote in accepted:
        order = db.session.scalar(sa.select(Order).where(Order.quote_id == quote.id))
        assert order is not None and order.total == quote.total
        assert order.customer_id == quote.customer_id
        assert order.order_date == quote.decided_at.date()
        assert quote.decided_by and quote.sent_at < quote.decided_at
        assert [line.net for line in order.lines] == [line.net for line in quote.lines]
    for quote in db.session.scalars(sa.select(Quote).where(Quote.opportunity_id.isnot(None))):
        deal = db.session.get(Opportunity, quote.opportunity_id)
        assert deal.customer_id == quote.customer_id
        if quote.status is QuoteStatus.ACCEPTED:
            assert deal.stage is OpportunityStage.CLOSED_WON
        if quote.status is QuoteStatus.DECLINED:
            assert deal.stage is OpportunityStage.CLOSED_LOST and quote.decided_by
    all_orders = db.session.scalars(sa.select(Order)).all()
    from_deals = [order for order in all_orders if order.opportunity_id is not None]
    assert len(from_deals) > len(all_orders) / 2
    for order in from_deals:
        deal = db.session.get(Opportunity, order.opportunity_id)
        assert deal.stage is OpportunityStage.CLOSED_WON
        assert deal.closed_at.date() <= order.order_date <= date.today()


def test_orders_span_three_years_and_old_ones_are_fulfilled(seeded):
    all_orders = db.session.scalars(sa.select(Order)).all()
    dates = [order.order_date for order in all_orders]
    today = date.today()
    assert today - timedelta(days=3 * 365 + 1) <= min(dates) < today - timedelta(days=2 * 365)
    assert max(dates) <= today
    old = [o for o in all_orders if o.order_date < today - timedelta(days=60)]
    assert all(o.status in (OrderStatus.FULFILLED, OrderStatus.CANCELLED) for o in old)
    numbers = [order.number for order in all_orders]
    assert len(set(numbers)) == 80
    assert all(o.number.startswith(f"SO-{o.order_date.year}-") for o in all_orders)


def test_new_quotes_and_orders_continue_the_seeded_numbers(seeded):
    this_year = date.today().year
    last = db.session.scalar(
        sa.select(sa.func.max(Quote.number)).where(Quote.number.like(f"Q-{this_year}-%"))
    )
    seeded_last = db.session.get(NumberSequence, f"Q-{this_year}").last_value
    assert seeded_last == int(last.rsplit("-", 1)[1])
    admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    customer_id = db.session.scalar(sa.select(Quote.customer_id).limit(1))
    quote = quotes.create_quote(admin, title="After the seed", customer_id=customer_id)
    assert quote.number == f"Q-{this_year}-{seeded_last + 1:04d}"
    order = orders.create_order(admin, customer_id=customer_id, order_date=date.today())
    assert order.number not in set(db.session.scalars(sa.select(Order.number).where(
        Order.id != order.id
    )))  # fmt: skip
    db.session.commit()
