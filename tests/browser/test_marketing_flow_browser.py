"""The marketing story in a real browser: a marketer builds a segment with two conditions
and sees its count, writes a template with merge fields and previews it, sends a campaign
to the segment through the test SMTP server while the progress bar runs, a recipient's
click on a tracked link is counted, and after unsubscribing through the link that person
is left out of the next send."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Campaign, CampaignRecipient, RecipientStatus
from tests.factories import PASSWORD, make_contact, make_user
from tests.marketing_factories import make_preference

pytestmark = pytest.mark.browser


def _choose(page, selector: str, value: str) -> None:
    """Pick an option that re-renders the builder row, then wait for the new row."""
    with page.expect_response(lambda response: "/builder/condition" in response.url):
        page.select_option(selector, value)
    page.wait_for_function(
        "sel => document.querySelector(sel) && !document.querySelector('.htmx-swapping')",
        arg=selector,
    )
    page.wait_for_timeout(50)


def _local(url: str, live_server: str) -> str:
    """Emailed links carry BASE_URL; the browser opens them on the live server."""
    return re.sub(r"^https?://[^/]+", live_server, url)


def _html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _send(page, campaign_name: str) -> None:
    page.goto("/marketing/campaigns/new")
    page.fill("#name", campaign_name)
    page.select_option("#segment_id", label="Taiwan readers")
    page.select_option("#template_id", label="Spring offer")
    page.click("#save-campaign")
    page.wait_for_selector("#send-now-button")
    page.click("#send-now-button")  # the confirmation dialog is accepted


def test_segment_template_send_click_and_unsubscribe(page, live_server, smtp, background_worker):
    marketer = make_user(Role.MARKETING, email="mia.flow@example.com", name="Mia")
    for first, last, email in (
        ("Mei", "Chen", "mei@corp.com.tw"),
        ("Wei", "Lin", "wei@corp.com.tw"),
        ("Ann", "Lee", "ann@corp.com"),
        ("Bob", "Wu", "bob@corp.com.tw"),
    ):
        make_contact(marketer, first_name=first, last_name=last, email=email)
        make_preference(email)
    page.on("dialog", lambda dialog: dialog.accept())
    # The offer is a page of the company's site: here the public lead form of the server.
    offer = f"{live_server}/forms/lead"
    page.goto("/login")
    page.fill("#email", "mia.flow@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    # A segment with two conditions, counted live: .tw addresses whose first name has an e.
    page.goto("/marketing/segments/new")
    page.locator("#segment-count", has_text="4 contacts match").wait_for()
    _choose(page, "#g0c0-field", "email")
    _choose(page, "#g0c0-op", "contains")
    page.fill("#g0c0-value", ".tw")
    page.locator("#segment-count", has_text="3 contacts match").wait_for()
    page.click("#add-condition-0")
    page.wait_for_selector("#g0c1-field")
    _choose(page, "#g0c1-field", "first_name")
    _choose(page, "#g0c1-op", "contains")
    page.fill("#g0c1-value", "e")
    page.locator("#segment-count", has_text="2 contacts match").wait_for()
    page.fill("#name", "Taiwan readers")
    page.click("#save-segment")
    page.wait_for_selector("#segment-definition")

    # A template with merge fields, previewed with a real contact.
    page.goto("/marketing/templates/new")
    page.fill("#name", "Spring offer")
    page.fill("#subject", 'Hello {{ contact.first_name | default("there") }}')
    page.fill(
        "#html_body",
        f'<p>Dear {{{{ contact.first_name }}}} at {{{{ company.name | default("your company") }}}},'
        f'</p><p><a href="{offer}">See the offer</a></p>',
    )
    page.click("#save-template")
    page.wait_for_selector("#template-preview-panel")
    page.fill("#preview-q", "Mei")
    page.wait_for_selector("#preview-person option:has-text('Mei')", state="attached")
    mei = page.locator("#preview-person option", has_text="Mei").get_attribute("value")
    page.select_option("#preview-person", mei)
    page.locator("#preview-subject", has_text="Hello Mei").wait_for()
    assert "Dear Mei at your company" in page.inner_text("#preview-text")

    # The campaign goes out through the SMTP server with a progress bar.
    _send(page, "Spring offer to Taiwan")
    page.wait_for_selector("#send-progress")
    page.locator("#send-state", has_text="Sent").wait_for(timeout=20_000)
    assert page.inner_text("#send-count-sent") == "2"
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp) == [
        "mei@corp.com.tw",
        "wei@corp.com.tw",
    ]
    mei_message = next(m for m in smtp if "mei@" in str(m["To"]))
    assert mei_message["Subject"] == "Hello Mei"
    assert mei_message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Mei clicks the tracked link: she lands on the offer and the click is counted.
    tracked = re.search(r'href="([^"]*/m/c/[^"]+)"', _html_part(mei_message)).group(1)
    page.goto(_local(tracked.replace("&amp;", "&"), live_server))
    assert page.url.startswith(offer)
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name.like("Spring offer%")))
    page.goto(f"/marketing/campaigns/{campaign.id}")
    assert page.inner_text("#metric-clicked").startswith("1")

    # She unsubscribes through the link (a confirmation first), and the next send skips her.
    unsubscribe = mei_message["List-Unsubscribe"].strip("<>")
    page.goto(_local(unsubscribe, live_server))
    page.click("#mail-unsubscribe button[type=submit]")
    page.wait_for_selector("#mail-unsubscribed")
    smtp.clear()
    _send(page, "Spring offer, second wave")
    page.locator("#send-state", has_text="Sent").wait_for(timeout=20_000)
    assert [m["To"].addresses[0].addr_spec for m in smtp] == ["wei@corp.com.tw"]
    second = db.session.scalar(sa.select(Campaign).where(Campaign.name.like("%second wave")))
    skipped = db.session.scalar(
        sa.select(CampaignRecipient).where(
            CampaignRecipient.campaign_id == second.id,
            CampaignRecipient.email == "mei@corp.com.tw",
        )
    )
    assert skipped.status is RecipientStatus.SKIPPED and skipped.skip_reason == "unsubscribed"
