"""The quote list: only the quotes a user may see, searched and filtered, the latest
versions unless asked for all, newest first in keyset pages; a deal's and a customer's
quotes."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.orders import QuoteStatus
from app.services import quote_lists, quotes
from app.services.quote_lists import QuoteFilters
from tests.factories import make_customer, make_opportunity, make_quote, make_user

LINE = {"name": "Widget", "quantity": "2", "unit_price": "10.00"}


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def _numbers(rows):
    return [quote.reference for quote in rows]


def test_a_rep_sees_only_their_own_quotes_a_manager_the_teams(rep):
    mine = make_quote(rep, title="Mine")
    other = make_quote(make_user(Role.SALES), title="Theirs")
    rows, cursor = quote_lists.quote_page(rep, QuoteFilters())
    assert [q.id for q in rows] == [mine.id] and cursor is None
    admin = make_user(Role.ADMIN)
    rows, _ = quote_lists.quote_page(admin, QuoteFilters())
    assert {q.id for q in rows} == {mine.id, other.id}


def test_search_finds_number_title_and_customer(rep):
    acme = make_customer(rep, name="Acme Trading")
    first = make_quote(rep, acme, title="Router upgrade")
    second = make_quote(rep, title="Annual support")
    for text, expected in (
        ("router", [first.id]),
        ("acme", [first.id]),
        ("ACME router", [first.id]),
        (second.number, [second.id]),
        ("support", [second.id]),
        ("nothing-like-it", []),
        ("100%_", []),
    ):
        rows, _ = quote_lists.quote_page(rep, QuoteFilters(q=text))
        assert [q.id for q in rows] == expected, text


def test_only_the_latest_versions_unless_all_are_asked_for(rep):
    quote = make_quote(rep, lines=[LINE])
    quotes.mark_sent(quote, rep)
    revision = quotes.revise(quote, rep)
    db.session.commit()
    rows, _ = quote_lists.quote_page(rep, QuoteFilters())
    assert [q.id for q in rows] == [revision.id]
    rows, _ = quote_lists.quote_page(rep, QuoteFilters(all_versions=True))
    assert [q.id for q in rows] == [revision.id, quote.id]
    rows, _ = quote_lists.quote_page(rep, QuoteFilters(status=QuoteStatus.SUPERSEDED))
    assert [q.id for q in rows] == [quote.id]


def test_filters_by_status_owner_customer_and_deal(rep):
    manager = make_user(Role.MANAGER)
    customer = make_customer(rep)
    deal = make_opportunity(rep, customer)
    for_deal = make_quote(rep, customer, opportunity_id=deal.id)
    sent = make_quote(rep, customer, lines=[LINE])
    quotes.mark_sent(sent, rep)
    db.session.commit()
    elsewhere = make_quote(rep)
    admin = make_user(Role.ADMIN)

    def ids(**filters):
        return {q.id for q in quote_lists.quote_page(admin, QuoteFilters(**filters))[0]}

    assert ids(status=QuoteStatus.SENT) == {sent.id}
    assert ids(customer_id=customer.id) == {for_deal.id, sent.id}
    assert ids(opportunity_id=deal.id) == {for_deal.id}
    assert ids(owner_id=rep.id) == {for_deal.id, sent.id, elsewhere.id}
    assert ids(owner_id=manager.id) == set()


def test_filters_read_from_the_query_string_and_back():
    filters = QuoteFilters.from_args(
        {"q": "  acme   router ", "status": "SENT", "owner_id": "3", "customer_id": "x",
         "opportunity_id": "7", "versions": "all"}
    )  # fmt: skip
    assert filters == QuoteFilters(
        q="acme router", status=QuoteStatus.SENT, owner_id=3, opportunity_id=7, all_versions=True
    )
    assert filters.as_args() == {
        "q": "acme router",
        "status": "SENT",
        "owner_id": 3,
        "opportunity_id": 7,
        "versions": "all",
    }
    assert QuoteFilters.from_args({"status": "NOPE"}).status is None


def test_pages_continue_newest_first_without_repeats(rep):
    made = [make_quote(rep, title=f"Quote {n}") for n in range(7)]
    seen, cursor = [], None
    while True:
        rows, cursor = quote_lists.quote_page(rep, QuoteFilters(), cursor, limit=3)
        seen += [q.id for q in rows]
        if cursor is None:
            break
    assert seen == [q.id for q in reversed(made)]


def test_a_deals_and_a_customers_quotes(rep):
    customer = make_customer(rep)
    deal = make_opportunity(rep, customer)
    first = make_quote(rep, customer, opportunity_id=deal.id, lines=[LINE])
    quotes.mark_sent(first, rep)
    second = quotes.revise(first, rep)
    db.session.commit()
    other = make_quote(rep, customer)
    someone = make_user(Role.SALES)
    quotes.create_quote(make_user(Role.ADMIN), customer_id=customer.id, title="Not Rita's",
                        owner_id=someone.id)  # fmt: skip
    db.session.commit()
    assert [q.id for q in quote_lists.quotes_for_opportunity(rep, deal.id)] == [second.id]
    assert [q.id for q in quote_lists.quotes_for_customer(rep, customer.id, 10)] == [
        other.id, second.id,
    ]  # fmt: skip
    assert len(quote_lists.quotes_for_customer(rep, customer.id, 1)) == 1
