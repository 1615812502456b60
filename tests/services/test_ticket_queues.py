"""Ticket queues: what each view holds for whom, filters, search, sorting, keyset pages and
the tab counts."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.service import TicketCategory, TicketStatus
from app.services import ticket_queues, tickets
from app.services.ticket_queues import TicketFilters
from tests.factories import make_customer, make_team, make_ticket, make_user


@pytest.fixture
def desk():
    """Two teams: Amy and Bob in Alpha, Cat in Beta; a manager of Alpha; an admin."""
    alpha, beta = make_team("Alpha"), make_team("Beta")
    return {
        "alpha": alpha,
        "beta": beta,
        "amy": make_user(Role.SUPPORT, team=alpha, name="Amy"),
        "bob": make_user(Role.SUPPORT, team=alpha, name="Bob"),
        "cat": make_user(Role.SUPPORT, team=beta, name="Cat"),
        "admin": make_user(Role.ADMIN, name="Ada"),
    }


def subjects(user, view="all", **filters):
    rows, _ = ticket_queues.queue_page(user, TicketFilters(view=view, **filters), limit=500)
    return [row.subject for row in rows]


def done(ticket, status=TicketStatus.RESOLVED):
    ticket.status = status
    db.session.commit()
    return ticket


def test_my_tickets_are_the_open_ones_assigned_to_me(desk):
    amy, bob = desk["amy"], desk["bob"]
    make_ticket(amy, subject="Mine", owner_id=amy.id)
    done(make_ticket(amy, subject="Mine, resolved", owner_id=amy.id))
    make_ticket(amy, subject="Bob's", owner_id=bob.id)
    make_ticket(amy, subject="Nobody's")
    assert subjects(amy, "mine") == ["Mine"]


def test_unassigned_shows_only_what_i_may_see(desk):
    amy, cat = desk["amy"], desk["cat"]
    make_ticket(amy, subject="Alpha queue")
    make_ticket(cat, subject="Beta queue")
    make_ticket(amy, subject="Taken", owner_id=amy.id)
    done(make_ticket(amy, subject="Closed", owner_id=None), TicketStatus.CLOSED)
    loose = make_ticket(desk["admin"], subject="No team")
    assert loose.team_id is None
    assert subjects(amy, "unassigned", sort="oldest") == ["Alpha queue", "No team"]
    assert subjects(cat, "unassigned", sort="oldest") == ["Beta queue", "No team"]


def test_team_view_is_my_teams_queue(desk):
    amy, bob, cat = desk["amy"], desk["bob"], desk["cat"]
    make_ticket(amy, subject="Alpha 1")
    make_ticket(bob, subject="Alpha 2", owner_id=bob.id)
    make_ticket(cat, subject="Beta 1")
    done(make_ticket(amy, subject="Alpha done"))
    assert subjects(amy, "team", sort="oldest") == ["Alpha 1", "Alpha 2"]
    assert subjects(cat, "team") == ["Beta 1"]
    assert subjects(desk["admin"], "team") == []  # no team, no team queue


def test_all_is_every_visible_ticket_in_any_status(desk):
    amy, cat = desk["amy"], desk["cat"]
    make_ticket(amy, subject="Open")
    done(make_ticket(amy, subject="Resolved"))
    make_ticket(cat, subject="Beta")
    assert sorted(subjects(amy)) == ["Open", "Resolved"]
    assert sorted(subjects(desk["admin"])) == ["Beta", "Open", "Resolved"]
    marketer = make_user(Role.MARKETING, team=desk["alpha"])
    assert subjects(marketer) == []


def _due(ticket, first=None, resolution=None, responded=False, status=None):
    now = utcnow()
    ticket.first_response_due_at = now + first if first is not None else None
    ticket.resolution_due_at = now + resolution if resolution is not None else None
    ticket.first_responded_at = now if responded else None
    if status is not None:
        ticket.status = status
    db.session.commit()
    return ticket


def test_breaching_soon_lists_running_tickets_due_within_hours_nearest_first(desk):
    amy = desk["amy"]
    h = timedelta(hours=1)
    _due(make_ticket(amy, subject="Late"), first=-2 * h, resolution=10 * h)
    _due(make_ticket(amy, subject="Resolution in 3h"), resolution=3 * h, first=-h, responded=True)
    _due(make_ticket(amy, subject="First response in 1h"), first=h, resolution=20 * h)
    _due(make_ticket(amy, subject="Far"), first=8 * h, resolution=30 * h)
    _due(make_ticket(amy, subject="No SLA"))
    _due(make_ticket(amy, subject="Pending"), resolution=h, status=TicketStatus.PENDING)
    _due(
        make_ticket(amy, subject="In progress, 2h"), resolution=2 * h,
        status=TicketStatus.IN_PROGRESS,
    )  # fmt: skip
    assert subjects(amy, "breaching") == [
        "Late", "First response in 1h", "In progress, 2h", "Resolution in 3h",
    ]  # fmt: skip
    _due(make_ticket(desk["cat"], subject="Beta late"), resolution=-h)
    assert "Beta late" not in subjects(amy, "breaching")


def test_the_breaching_filter_can_use_the_partial_index(desk):
    query = ticket_queues.queue_query(desk["admin"], TicketFilters(view="breaching"))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    assert "tickets.status IN ('OPEN', 'IN_PROGRESS')" in sql


def test_filters_narrow_the_queue(desk):
    amy, bob = desk["amy"], desk["bob"]
    customer = make_customer(amy, name="Acme")
    category = TicketCategory(name="Billing")
    db.session.add(category)
    db.session.commit()
    make_ticket(
        amy, subject="Invoice wrong", priority="HIGH", channel="EMAIL", category_id=category.id,
        customer_id=customer.id, owner_id=bob.id,
    )  # fmt: skip
    old = make_ticket(amy, subject="Old one", priority="LOW", channel="PHONE")
    old.created_at = utcnow() - timedelta(days=10)
    done(make_ticket(amy, subject="Resolved one", channel="CHAT"))
    db.session.commit()
    assert subjects(amy, priority=tickets.TicketPriority.HIGH) == ["Invoice wrong"]
    assert subjects(amy, channel=tickets.TicketChannel.PHONE) == ["Old one"]
    assert subjects(amy, category_id=category.id) == ["Invoice wrong"]
    assert subjects(amy, assignee_id=bob.id) == ["Invoice wrong"]
    assert subjects(amy, customer_id=customer.id) == ["Invoice wrong"]
    assert subjects(amy, status=TicketStatus.RESOLVED) == ["Resolved one"]
    today = utcnow().date()
    assert "Old one" not in subjects(amy, created_from=today - timedelta(days=1))
    assert subjects(amy, created_to=today - timedelta(days=5)) == ["Old one"]


def test_filters_read_from_the_query_string_ignore_bad_values():
    filters = TicketFilters.from_args(
        {"view": "nope", "status": "MAYBE", "priority": "HIGH", "category_id": "x1",
         "created_from": "2026-13-45", "sort": "DROP TABLE", "q": "  printer   jam "}
    )  # fmt: skip
    assert (filters.view, filters.status, filters.category_id) == ("mine", None, None)
    assert filters.priority is tickets.TicketPriority.HIGH
    assert (filters.created_from, filters.sort, filters.q) == (None, "newest", "printer jam")
    assert TicketFilters.from_args({"view": "breaching"}).sort == "due"
    assert filters.as_args() == {"view": "mine", "q": "printer jam", "priority": "HIGH"}


def test_search_finds_tickets_by_subject_number_and_customer(desk):
    amy = desk["amy"]
    customer = make_customer(amy, name="Globex")
    jam = make_ticket(amy, subject="Printer jams on page two")
    make_ticket(amy, subject="Cannot log in", customer_id=customer.id)
    make_ticket(desk["cat"], subject="Printer on fire")
    assert subjects(amy, q="printer") == ["Printer jams on page two"]
    assert subjects(amy, q="globex") == ["Cannot log in"]
    assert subjects(amy, q=jam.number) == ["Printer jams on page two"]
    assert subjects(amy, q="page jams") == ["Printer jams on page two"]
    assert subjects(amy, q="nothing like it") == []


def test_priority_sort_puts_urgent_first_and_pages_by_keyset(desk):
    amy = desk["amy"]
    for name, priority in (("m1", "MEDIUM"), ("u1", "URGENT"), ("l1", "LOW"), ("h1", "HIGH"),
                           ("u2", "URGENT"), ("m2", "MEDIUM")):  # fmt: skip
        make_ticket(amy, subject=name, priority=priority)
    filters = TicketFilters(view="all", sort="priority")
    seen, cursor = [], None
    while True:
        rows, cursor = ticket_queues.queue_page(amy, filters, cursor, limit=2)
        seen += [row.subject for row in rows]
        if cursor is None:
            break
    assert seen == ["u1", "u2", "h1", "m1", "m2", "l1"]


def test_newest_oldest_and_due_sorts_page_through_every_ticket(desk):
    amy = desk["amy"]
    h = timedelta(hours=1)
    made = []
    for n, due in enumerate((5, None, 1, 3, None, 2)):
        ticket = make_ticket(amy, subject=f"t{n}")
        ticket.created_at = utcnow() - timedelta(minutes=10 - n)
        _due(ticket, resolution=due * h if due is not None else None)
        made.append(ticket.subject)
    assert subjects(amy, sort="oldest") == made
    assert subjects(amy, sort="newest") == made[::-1]

    def paged(sort):
        seen, cursor = [], None
        while True:
            rows, cursor = ticket_queues.queue_page(amy, TicketFilters("all", sort=sort), cursor, 4)
            seen += [row.subject for row in rows]
            if cursor is None:
                return seen

    assert paged("due") == ["t2", "t5", "t3", "t0", "t1", "t4"]
    assert paged("newest") == made[::-1]


def test_view_counts_come_from_one_query(desk, monkeypatch):
    amy, bob, cat = desk["amy"], desk["bob"], desk["cat"]
    make_ticket(amy, subject="Mine", owner_id=amy.id)
    _due(make_ticket(amy, subject="Mine, late", owner_id=amy.id), resolution=-timedelta(hours=1))
    make_ticket(amy, subject="Unassigned alpha")
    make_ticket(bob, subject="Bob's", owner_id=bob.id)
    done(make_ticket(amy, subject="Done", owner_id=amy.id))
    make_ticket(cat, subject="Beta")
    counts = ticket_queues.view_counts(amy)
    assert counts == {"mine": 2, "unassigned": 1, "team": 4, "breaching": 1, "all": 5}
    for view, count in counts.items():
        assert len(subjects(amy, view)) == count
    assert ticket_queues.view_counts(desk["admin"])["all"] == 6
    assert ticket_queues.view_counts(desk["admin"])["team"] == 0

    statements = []
    from sqlalchemy import event

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        ticket_queues.view_counts(cat)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "tickets" in s]) == 1


def test_the_all_count_is_capped(desk, monkeypatch):
    monkeypatch.setattr(ticket_queues, "COUNT_CAP", 2)
    for _ in range(4):
        make_ticket(desk["amy"])
    counts = ticket_queues.view_counts(desk["amy"])
    assert counts["all"] == 3 and counts["unassigned"] == 4
    assert ticket_queues.count_label(counts["all"]) == "2+"
    assert ticket_queues.count_label(2) == "2"
