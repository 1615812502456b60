"""The order list: only visible orders, searched by number or customer, filtered by status,
owner, customer and date range, keyset-paged in a stable order."""

from datetime import date, timedelta

from app.extensions import db
from app.models.identity import Role
from app.models.orders import OrderStatus
from app.services import order_lists, orders
from tests.factories import make_customer, make_order, make_user

LINE = {"name": "Widget", "quantity": "1", "unit_price": "100.00"}


def _numbers(rows):
    return [row.number for row in rows]


def _page(actor, cursor=None, limit=50, **args):
    filters = order_lists.OrderFilters.from_args(args)
    return order_lists.order_page(actor, filters, cursor, limit)


def test_a_rep_sees_own_orders_an_admin_all():
    rep = make_user(Role.SALES)
    other = make_user(Role.SALES)
    manager = make_user(Role.ADMIN)
    mine = make_order(rep)
    theirs = make_order(other)
    assert _numbers(_page(rep)[0]) == [mine.number]
    assert set(_numbers(_page(manager)[0])) == {mine.number, theirs.number}


def test_search_status_owner_customer_and_dates_filter():
    rep = make_user(Role.ADMIN)
    colleague = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme Trading")
    globex = make_customer(rep, name="Globex")
    today = date.today()
    old = make_order(rep, acme, lines=[LINE], order_date=today - timedelta(days=40))
    new = make_order(rep, globex, lines=[LINE], order_date=today)
    other = make_order(rep, globex, order_date=today, owner_id=colleague.id)
    orders.set_status(new, rep, OrderStatus.CONFIRMED)
    db.session.commit()
    assert _numbers(_page(rep, q="acme")[0]) == [old.number]
    assert _numbers(_page(rep, q=new.number)[0]) == [new.number]
    assert _numbers(_page(rep, status="CONFIRMED")[0]) == [new.number]
    assert _numbers(_page(rep, status="NONSENSE")[0]) != []  # unknown status: ignored
    assert _numbers(_page(rep, owner_id=str(colleague.id))[0]) == [other.number]
    assert set(_numbers(_page(rep, customer_id=str(globex.id))[0])) == {new.number, other.number}
    since = (today - timedelta(days=7)).isoformat()
    assert set(_numbers(_page(rep, date_from=since)[0])) == {new.number, other.number}
    until = (today - timedelta(days=30)).isoformat()
    assert _numbers(_page(rep, date_to=until)[0]) == [old.number]
    assert _page(rep, date_from="not a date")[0]  # a bad date is ignored


def test_pages_follow_each_other_without_repeats():
    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    made = [make_order(rep, customer, order_date=date(2026, 1, 1 + n % 3)) for n in range(7)]
    for sort in ("order_date", "number", "total"):
        seen, cursor = [], None
        while True:
            rows, cursor = _page(rep, cursor, limit=3, sort=sort)
            seen += _numbers(rows)
            if cursor is None:
                break
        assert sorted(seen) == sorted(order.number for order in made), sort
    rows = _page(rep)[0]
    assert [row.order_date for row in rows] == sorted(
        (row.order_date for row in rows), reverse=True
    )


def test_the_filters_round_trip_through_the_query_string():
    args = {"q": "acme", "status": "PENDING", "owner_id": "3", "customer_id": "4",
            "date_from": "2026-01-01", "date_to": "2026-02-01", "sort": "number"}  # fmt: skip
    filters = order_lists.OrderFilters.from_args(args)
    assert {key: str(value) for key, value in filters.as_args().items()} == args
    assert order_lists.OrderFilters.from_args({}).as_args() == {}
