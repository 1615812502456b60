"""The whole funnel in a real browser: a rep converts a lead, drags its deal across two
stages, builds a quote with a discount, generates its PDF (the progress bar shows) and opens
it, emails the quote; the customer's contact accepts it on the portal link from that email,
and the order appears on the customer's page."""

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import Order, Quote, QuoteStatus
from app.models.sales import Opportunity, OpportunityStage
from tests.browser_fixtures import drag
from tests.factories import PASSWORD, make_lead, make_user

pytestmark = pytest.mark.browser


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")


def test_lead_to_order(page, background_worker, smtp):
    rep = make_user(Role.SALES, email="rita.funnel@example.com", name="Rita")
    lead = make_lead(
        rep, first_name="美玲", last_name="林", company="台灣精密工業",
        email="mei@precision.example",
    )  # fmt: skip
    _sign_in(page, "rita.funnel@example.com")

    # Convert the lead into a customer, a contact and a deal.
    page.goto(f"/leads/{lead.id}")
    page.click("#convert-lead")
    page.check("#create_opportunity")
    page.fill("#opportunity_name", "精密 rollout")
    page.click("#confirm-convert")
    page.wait_for_selector("h1 >> text=台灣精密工業")
    deal = db.session.scalar(sa.select(Opportunity).where(Opportunity.lead_id == lead.id))

    # Two stages on the board.
    page.goto("/pipeline")
    page.wait_for_function("document.querySelector('.board-cards[data-sortable]') !== null")
    drag(page, f"#deal-{deal.id} .board-card-customer", "#stage-qualification .board-cards")
    page.locator("#stage-header-qualification .board-count", has_text="1").wait_for()
    drag(page, f"#deal-{deal.id} .board-card-customer", "#stage-proposal .board-cards")
    page.locator("#stage-header-proposal .board-count", has_text="1").wait_for()
    db.session.expire_all()
    assert db.session.get(Opportunity, deal.id).stage is OpportunityStage.PROPOSAL

    # A quote for the deal, with a line and a 10 % discount.
    page.goto(f"/quotes/new?opportunity_id={deal.id}")
    page.click("#save-quote")
    page.wait_for_selector("#quote-line-form")
    page.fill("#name", "精密量測服務")
    page.fill("#quantity", "4")
    page.fill("#unit_price", "2500")
    page.fill("#tax_rate", "5")
    page.click("#add-line")
    page.locator("#quote-lines-table", has_text="精密量測服務").wait_for()
    page.click("#edit-quote")
    page.fill("#discount_percent", "10")
    page.click("#save-quote")
    page.wait_for_selector("#quote-discount")
    assert page.inner_text("#quote-total") == "$9,450.00"  # 10,000 - 1,000 + 5 % tax

    # The PDF, made by a worker while a progress bar shows, then opened.
    page.click("#quote-pdf-button")
    page.wait_for_selector("#quote-documents-work progress")
    link = page.wait_for_selector("#job-result-link")
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # Sent by email: the message carries the PDF and the portal link.
    page.click("#quote-send-button")
    page.wait_for_selector("#quote-send-form")
    page.click("#quote-send-submit")
    page.wait_for_selector("#quote-documents-work >> text=Done")
    assert len(smtp) == 1 and smtp[0]["To"] == "mei@precision.example"
    attachments = [part.get_filename() for part in smtp[0].iter_attachments()]
    assert any(name and name.endswith(".pdf") for name in attachments)
    body = smtp[0].get_body(("plain",)).get_content()
    portal_path = urlsplit(re.search(r"https?://\S+/portal/quotes/\S+", body).group(0)).path

    # The contact accepts on the portal; the order is there.
    page.context.clear_cookies()
    page.goto(portal_path)
    page.fill("#accept-name", "林美玲")
    page.check("#agree")
    page.click("#accept-quote")
    number = page.locator("#order-number").inner_text()
    db.session.expire_all()
    quote = db.session.scalar(sa.select(Quote).where(Quote.opportunity_id == deal.id))
    assert quote.status is QuoteStatus.ACCEPTED
    order = db.session.scalar(sa.select(Order).where(Order.quote_id == quote.id))
    assert order.number == number and str(order.total) == "9450.00"

    _sign_in(page, "rita.funnel@example.com")
    page.goto(f"/customers/{deal.customer_id}")
    page.wait_for_selector(f"#customer-orders >> text={number}")
    page.screenshot(path="/tmp/rapport-funnel-customer.png", full_page=True)
