"""The help desk end to end, in a real browser: a customer opens a ticket on the portal
with an attachment (after the help bot); an agent finds it in the unassigned queue, takes
it and replies; the customer reads the reply on the portal; the agent resolves it, and the
rating link emailed to the customer records a CSAT score."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.service import SurveyKind, SurveyResponse, Ticket, TicketAttachment
from tests.factories import PASSWORD, make_contact, make_customer, make_team, make_user
from tests.portal_setup import PORTAL_PASSWORD, make_portal_user

pytestmark = pytest.mark.browser
SURVEY_LINK = r"https?://\S+/portal/survey/\S+"


def test_portal_ticket_to_csat(page, browser, live_server, background_worker, smtp):
    agent = make_user(Role.SUPPORT, team=make_team("Support"), email="amy.desk@example.com",
                      name="Amy")  # fmt: skip
    customer = make_customer(agent, name="Globex")
    contact = make_contact(agent, customer=customer, first_name="Carla", last_name="Diaz",
                           email="carla@globex.example")  # fmt: skip
    make_portal_user(contact)

    # The customer asks the help bot, still needs help, opens a ticket with a file.
    page.goto("/portal/login")
    page.fill("#email", "carla@globex.example")
    page.fill("#password", PORTAL_PASSWORD)
    page.click("#portal-sign-in")
    page.goto("/portal/help")
    page.fill("#help-question", "The invoice PDF for March is missing")
    page.click("#ask-question")
    page.click("#help-need-more")
    page.wait_for_selector("#portal-ticket-new")
    assert "invoice PDF" in page.input_value("#description")
    page.set_input_files(
        "#files", {"name": "screenshot.txt", "mimeType": "text/plain", "buffer": b"Error 42"}
    )
    page.click("#open-ticket")
    page.wait_for_selector("#ticket-conversation")
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.contact_id == contact.id))
    assert (
        db.session.scalar(
            sa.select(TicketAttachment.filename).where(TicketAttachment.ticket_id == ticket.id)
        )
        == "screenshot.txt"
    )

    # The agent, in a browser of her own, takes it from the unassigned queue and replies.
    staff = browser.new_context(base_url=live_server, locale="en-US").new_page()
    staff.set_default_timeout(10_000)
    staff.goto("/login")
    staff.fill("#email", "amy.desk@example.com")
    staff.fill("#password", PASSWORD)
    staff.click("#sign-in")
    staff.wait_for_selector("#home")
    staff.goto("/tickets?view=unassigned")
    staff.click(f"#ticket-{ticket.id} a >> text={ticket.number}")
    staff.wait_for_selector(f"h1 >> text={ticket.number}")
    staff.click("#assign-to-me button")
    staff.wait_for_selector("#ticket-assignee >> text=Amy")
    staff.fill("#body", "Here is the March invoice again, attached to your account.")
    staff.click("#send-reply")
    staff.wait_for_selector(".ticket-comment-public >> text=March invoice again")

    # The customer sees the reply on the portal.
    page.reload()
    page.wait_for_selector("#ticket-conversation >> text=March invoice again")

    # Resolved: the CSAT email's "5" link records the score without a login.
    staff.click("#status-resolved")
    staff.wait_for_selector("#ticket-header >> text=Resolved")
    links = []
    for _ in range(50):  # the survey email leaves after the commit, from a worker
        texts = [message.get_body(("plain",)).get_content() for message in smtp]
        links = [link for text in texts for link in re.findall(SURVEY_LINK, text)]
        if links:
            break
        page.wait_for_timeout(200)
    assert len(links) == 5
    page.context.clear_cookies()
    page.goto(urlsplit(links[-1]).path)
    page.wait_for_selector("text=Thank you")
    db.session.expire_all()
    response = db.session.scalar(
        sa.select(SurveyResponse).where(
            SurveyResponse.ticket_id == ticket.id, SurveyResponse.kind == SurveyKind.CSAT
        )
    )
    assert response.score == 5 and response.agent_id == agent.id
    staff.context.close()
