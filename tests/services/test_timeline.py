"""A customer's timeline: activities newest first, paged by cursor, only what the reader
may see, and merged with whatever other modules register."""

from datetime import UTC, datetime, timedelta

import pytest

from app.models.identity import Role
from app.services import timeline
from tests.factories import (
    make_activity,
    make_customer,
    make_order,
    make_quote,
    make_team,
    make_user,
)

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _request(app):
    """Items carry links, so the feed is built where URLs can be (a request or a job)."""
    with app.test_request_context():
        yield


def _titles(items):
    return [item.title for item in items]


def test_activities_come_newest_first_with_their_owner():
    rep = make_user(Role.SALES, name="Rita Rep")
    acme = make_customer(rep, name="Acme")
    for hour, subject in ((1, "First call"), (3, "Third note"), (2, "Second email")):
        kind = {"F": "CALL", "T": "NOTE", "S": "EMAIL"}[subject[0]]
        make_activity(
            rep,
            kind=kind,
            subject=subject,
            customer_id=acme.id,
            occurred_at=T0 + timedelta(hours=hour),
        )
    make_activity(rep, kind="NOTE", subject="Elsewhere", occurred_at=T0)
    items, cursor = timeline.customer_timeline(rep, acme.id)
    assert _titles(items) == ["Third note", "Second email", "First call"]
    assert cursor is None
    assert items[0].kind == "note" and items[0].actor_name == "Rita Rep"
    assert items[0].source == "activities" and items[0].url.endswith("/edit")


def test_pages_follow_the_cursor_without_gaps_or_repeats_even_at_the_same_instant():
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    made = [
        make_activity(
            rep, kind="NOTE", customer_id=acme.id, occurred_at=T0 + timedelta(hours=n // 3)
        )
        for n in range(7)
    ]
    seen, cursor = [], None
    while True:
        items, cursor = timeline.customer_timeline(rep, acme.id, before=cursor, limit=2)
        seen.extend(item.id for item in items)
        if cursor is None:
            break
        assert timeline.decode_cursor(timeline.encode_cursor(cursor)) == cursor
    assert sorted(seen) == sorted(a.id for a in made) and len(seen) == 7


def test_a_reader_sees_only_activities_they_may_read():
    team = make_team()
    rep, teammate = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    manager = make_user(Role.MANAGER, team=team)
    acme = make_customer(rep, name="Acme")
    make_activity(rep, kind="CALL", subject="Mine", customer_id=acme.id)
    make_activity(manager, kind="NOTE", subject="Manager's note", customer_id=acme.id)
    assert _titles(timeline.customer_timeline(rep, acme.id)[0]) == ["Mine"]
    assert _titles(timeline.customer_timeline(teammate, acme.id)[0]) == []
    assert sorted(_titles(timeline.customer_timeline(manager, acme.id)[0])) == [
        "Manager's note",
        "Mine",
    ]


def test_other_modules_register_sources_that_merge_into_the_feed(monkeypatch):
    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    make_activity(rep, kind="CALL", subject="Call", customer_id=acme.id, occurred_at=T0)
    make_activity(
        rep, kind="NOTE", subject="Note", customer_id=acme.id, occurred_at=T0 + timedelta(hours=2)
    )
    quotes = [
        timeline.TimelineItem(
            T0 + timedelta(hours=h), "quote", f"Quote {h}", "", None, "", "quotes", h
        )
        for h in (3, 1)
    ]

    def fetch_quotes(actor, customer_id, before, limit):
        return [q for q in quotes if before is None or q.key < before][:limit]

    monkeypatch.setitem(timeline._SOURCES, "quotes", fetch_quotes)
    first, cursor = timeline.customer_timeline(rep, acme.id, limit=3)
    assert _titles(first) == ["Quote 3", "Note", "Quote 1"]
    rest, cursor = timeline.customer_timeline(rep, acme.id, before=cursor, limit=3)
    assert _titles(rest) == ["Call"] and cursor is None


def test_malformed_cursors_mean_the_first_page():
    assert timeline.decode_cursor("nonsense") is None
    assert timeline.decode_cursor("2030-01-01T00:00:00~activities~x") is None
    assert timeline.decode_cursor("2030-01-01T00:00:00~activities~5") is None  # naive time
    assert timeline.decode_cursor(None) is None


def test_a_page_costs_one_query_per_source_however_many_items():
    from sqlalchemy import event

    from app.extensions import db

    rep = make_user(Role.SALES)
    acme = make_customer(rep, name="Acme")
    for n in range(30):
        make_activity(rep, kind="NOTE", customer_id=acme.id, occurred_at=T0 + timedelta(minutes=n))
    timeline.customer_timeline(rep, acme.id)  # the role's grants are read once per session
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        items, cursor = timeline.customer_timeline(rep, acme.id, limit=20)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(items) == 20 and cursor is not None
    assert len(statements) == len(timeline._SOURCES)  # one query a source, not a row


def _set_created(record, at):
    from app.extensions import db

    record.created_at = at
    db.session.commit()


def test_quotes_and_orders_appear_with_status_total_and_links():
    from app.services import quotes

    rep = make_user(Role.SALES, name="Rita Rep")
    acme = make_customer(rep, name="Acme")
    line = {"name": "Widget", "quantity": "1", "unit_price": "100.00", "tax_rate": "0"}
    quote = make_quote(rep, acme, lines=[line], title="Widgets")
    quotes.mark_sent(quote, rep)
    order = quotes.accept(quote, "Carla")
    _set_created(quote, T0)
    _set_created(order, T0 + timedelta(hours=1))
    make_activity(
        rep, kind="NOTE", subject="Note", customer_id=acme.id, occurred_at=T0 - timedelta(hours=1)
    )
    items, _ = timeline.customer_timeline(rep, acme.id)
    assert [item.kind for item in items] == ["order", "quote", "note"]
    order_item, quote_item = items[:2]
    assert order.number in order_item.title and "confirmed" in order_item.title
    assert "100.00" in order_item.detail and order_item.url.endswith(f"/orders/{order.id}")
    assert quote.number in quote_item.title and "accepted" in quote_item.title
    assert quote_item.actor_name == "Rita Rep" and str(quote.id) in quote_item.url
    assert {"quote", "order"} <= set(timeline.KIND_LABELS)


def test_quotes_and_orders_follow_the_readers_rights_and_page_by_cursor():
    rep = make_user(Role.SALES)
    other = make_user(Role.SALES)
    admin = make_user(Role.ADMIN)
    acme = make_customer(admin, name="Acme")
    mine = [make_order(admin, acme, owner_id=rep.id) for _ in range(3)]
    make_order(admin, acme, owner_id=other.id)
    make_quote(admin, acme, owner_id=other.id)
    for n, order in enumerate(mine):
        _set_created(order, T0 + timedelta(minutes=n))
    first, cursor = timeline.customer_timeline(rep, acme.id, limit=2)
    rest, end = timeline.customer_timeline(rep, acme.id, before=cursor, limit=2)
    assert [item.id for item in first + rest] == [o.id for o in reversed(mine)]
    assert end is None


def test_tickets_appear_with_their_status_only_for_those_who_may_read_them():
    from app.services import tickets
    from tests.factories import make_ticket

    support, other_team = make_team("Support"), make_team("Elsewhere")
    agent = make_user(Role.SUPPORT, team=support, name="Amy Agent")
    outsider = make_user(Role.SUPPORT, team=other_team)
    acme = make_customer(agent, name="Acme")
    ticket = make_ticket(agent, subject="Printer jams", customer_id=acme.id)
    tickets.set_status(ticket, agent, "RESOLVED")
    make_ticket(agent, subject="Elsewhere")
    items, _ = timeline.customer_timeline(agent, acme.id)
    (item,) = [item for item in items if item.source == "tickets"]
    assert item.kind == "ticket" and item.actor_name == "Amy Agent"
    assert ticket.number in item.title and "Printer jams" in item.title
    assert "resolved" in item.title and "resolved" in item.detail
    assert item.url.endswith(f"/tickets/{ticket.id}") and "ticket" in timeline.KIND_LABELS
    assert [
        i for i in timeline.customer_timeline(outsider, acme.id)[0] if i.source == "tickets"
    ] == []
