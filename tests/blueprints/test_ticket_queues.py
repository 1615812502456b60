"""The ticket queue pages as an agent meets them: tabs with counts, the filtered table and
its fragments, bulk actions on a mix of tickets one may and may not change, CSRF, and the
"also viewing this ticket" notice."""

import json
import re

from flask import render_template

from app.extensions import db
from app.models.identity import Role
from app.models.service import Ticket, TicketStatus
from app.services import tickets
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import PASSWORD, make_customer, make_team, make_ticket, make_user


def _desk():
    alpha, beta = make_team("Alpha"), make_team("Beta")
    amy = make_user(Role.SUPPORT, team=alpha, name="Amy")
    bob = make_user(Role.SUPPORT, team=alpha, name="Bob")
    cat = make_user(Role.SUPPORT, team=beta, name="Cat")
    return amy, bob, cat


def test_the_queue_page_shows_tabs_counts_and_my_tickets(login):
    amy, bob, cat = _desk()
    customer = make_customer(amy, name="Acme")
    mine = make_ticket(amy, subject="Printer jams", owner_id=amy.id, customer_id=customer.id,
                       priority="URGENT")  # fmt: skip
    make_ticket(amy, subject="Unassigned one")
    make_ticket(cat, subject="Beta secret")
    html = login(amy).get("/tickets").get_data(as_text=True)
    assert 'id="queue-tabs"' in html and "every 30s, ticketsChanged from:body" in html
    assert re.search(r'id="queue-count-mine">1<', html)
    assert re.search(r'id="queue-count-unassigned">1<', html)
    assert re.search(r'id="queue-count-all">2<', html)
    assert f'id="ticket-{mine.id}"' in html and "Printer jams" in html and "Acme" in html
    assert f'href="/tickets/{mine.id}"' in html
    assert "Unassigned one" not in html and "Beta secret" not in html
    assert 'id="new-ticket"' in html and 'href="/tickets/new' in html
    assert 'id="ticket-filters"' in html and 'id="ticket-bulk-assign"' in html
    assert "badge-danger" in html  # the urgent priority


def test_views_filters_and_sorts_answer_the_rows_fragment(login):
    amy, bob, cat = _desk()
    make_ticket(amy, subject="Alpha low", priority="LOW")
    make_ticket(amy, subject="Alpha urgent", priority="URGENT")
    client = login(amy)
    response = client.get("/tickets?view=unassigned&sort=priority", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="ticket-results">')
    assert "HX-Request" in response.headers["Vary"]
    assert html.index("Alpha urgent") < html.index("Alpha low")
    assert 'id="queue-tabs"' not in html
    html = client.get("/tickets?view=all&q=urgent", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Alpha urgent" in html and "Alpha low" not in html
    empty = client.get("/tickets?view=breaching").get_data(as_text=True)
    assert "No ticket is close to missing its due time." in empty
    empty = client.get("/tickets?view=all&q=zebra").get_data(as_text=True)
    assert "No tickets match." in empty and 'value="zebra"' in empty


def test_the_queue_pages_by_keyset_with_htmx_links(login):
    amy, bob, cat = _desk()
    for n in range(55):
        make_ticket(amy, subject=f"Ticket {n:02d}")
    client = login(amy)
    html = client.get("/tickets?view=all&sort=oldest").get_data(as_text=True)
    assert "Ticket 49" in html and "Ticket 50" not in html
    next_url = re.search(r'id="ticket-next-page"', html) and re.search(
        r'href="([^"]+cursor=[^"]+)" rel="next" hx-get', html
    ).group(1)
    page2 = client.get(next_url.replace("&amp;", "&"), headers={"HX-Request": "true"})
    text = page2.get_data(as_text=True)
    assert "Ticket 50" in text and "Ticket 54" in text and "Ticket 49" not in text


def test_the_counts_fragment(login):
    amy, bob, cat = _desk()
    make_ticket(amy, owner_id=amy.id)
    html = login(amy).get("/tickets/counts?view=team").get_data(as_text=True)
    assert html.lstrip().startswith('<nav id="queue-tabs"')
    assert re.search(r'id="queue-count-mine">1<', html)
    assert 'id="queue-tab-team"' in html and 'aria-current="page"' in html


def test_colleagues_without_ticket_rights_are_refused(login):
    client = login(make_user(Role.MARKETING))
    assert client.get("/tickets").status_code == 403
    assert client.get("/tickets/counts").status_code == 403


def test_bulk_assign_skips_tickets_one_may_not_change(login):
    amy, bob, cat = _desk()
    ours = make_ticket(amy, subject="Ours")
    theirs = make_ticket(cat, subject="Theirs")
    client = login(amy)
    response = htmx_post(client, "/tickets/bulk", {
        "ids": [ours.id, theirs.id, 9999], "action": "assign", "assignee_id": bob.id,
        "state": "view=all",
    })  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"ticketsChanged": True}
    assert "1 changed, 2 skipped" in html
    assert html.lstrip().startswith('<div id="ticket-results">') and "Ours" in html
    db.session.expire_all()
    assert db.session.get(Ticket, ours.id).owner_id == bob.id
    assert db.session.get(Ticket, theirs.id).owner_id is None


def test_bulk_assign_to_me_resolve_and_close(login):
    amy, bob, cat = _desk()
    one, two = make_ticket(amy), make_ticket(amy)
    closed = make_ticket(amy)
    closed.status = TicketStatus.CLOSED
    db.session.commit()
    client = login(amy)
    html = htmx_post(client, "/tickets/bulk", {"ids": [one.id, two.id], "action": "assign_me"})
    assert "2 changed." in html.get_data(as_text=True)
    html = htmx_post(client, "/tickets/bulk", {"ids": [one.id, closed.id], "action": "resolve"})
    assert "1 changed, 1 skipped" in html.get_data(as_text=True)
    htmx_post(client, "/tickets/bulk", {"ids": [two.id], "action": "close"})
    db.session.expire_all()
    assert [db.session.get(Ticket, t.id).owner_id for t in (one, two)] == [amy.id, amy.id]
    assert db.session.get(Ticket, one.id).status is TicketStatus.RESOLVED
    assert db.session.get(Ticket, two.id).status is TicketStatus.CLOSED
    assert db.session.get(Ticket, closed.id).status is TicketStatus.CLOSED


def test_a_sales_rep_may_not_bulk_close_the_teams_tickets(login):
    amy, bob, cat = _desk()
    rep = make_user(Role.SALES, team=amy.team)
    ticket = make_ticket(amy, owner_id=amy.id)
    html = htmx_post(login(rep), "/tickets/bulk", {"ids": [ticket.id], "action": "close"})
    assert "0 changed, 1 skipped" in html.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is TicketStatus.OPEN


def test_bulk_refuses_a_bad_assignee_or_action_and_changes_nothing(login):
    amy, bob, cat = _desk()
    ticket = make_ticket(amy)
    marketer = make_user(Role.MARKETING)
    client = login(amy)
    html = htmx_post(client, "/tickets/bulk", {
        "ids": [ticket.id], "action": "assign", "assignee_id": marketer.id,
    }).get_data(as_text=True)  # fmt: skip
    assert "Choose an active colleague who works on tickets." in html
    html = htmx_post(client, "/tickets/bulk", {"ids": [ticket.id], "action": "explode"})
    assert "Choose what to do" in html.get_data(as_text=True)
    html = htmx_post(client, "/tickets/bulk", {"action": "close"}).get_data(as_text=True)
    assert "Tick the tickets to change first." in html
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).owner_id is None


def test_bulk_without_htmx_redirects_back_to_the_queue(login):
    amy, bob, cat = _desk()
    ticket = make_ticket(amy)
    client = login(amy)
    response = post_form(client, "/tickets/bulk", {
        "ids": [ticket.id], "action": "close", "state": "view=team&priority=LOW",
    })  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == "/tickets?view=team&priority=LOW"


def test_bulk_needs_the_csrf_token(login):
    amy, bob, cat = _desk()
    ticket = make_ticket(amy)
    client = login(amy)
    response = client.post("/tickets/bulk", data={"ids": [ticket.id], "action": "close"},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status is TicketStatus.OPEN


def _second_client(app, user):
    other = app.test_client()
    token = csrf_token(other, "/login")
    other.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    return other


def test_two_agents_on_one_ticket_see_each_other(app, login):
    amy, bob, cat = _desk()
    ticket = make_ticket(amy)
    amys = login(amy)
    bobs = _second_client(app, bob)
    url = f"/tickets/{ticket.id}/presence"
    assert "also viewing" not in amys.get(url, headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    html = bobs.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Amy is also viewing this ticket." in html
    html = amys.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Bob is also viewing this ticket." in html
    tickets.add_comment(ticket, bob, "Sent the driver")
    db.session.commit()
    html = amys.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Bob is also viewing this ticket and replied just now." in html
    assert _second_client(app, cat).get(url).status_code == 404
    assert amys.get("/tickets/999999/presence").status_code == 404


def test_the_ticket_page_include_is_a_self_loading_placeholder(app):
    amy = make_user(Role.SUPPORT)
    ticket = make_ticket(amy)
    with app.test_request_context():
        html = render_template("service/_ticket_presence.html", ticket=ticket)
    assert f'hx-get="/tickets/{ticket.id}/presence"' in html
    assert 'hx-trigger="load, every 15s"' in html and 'hx-swap="innerHTML"' in html
