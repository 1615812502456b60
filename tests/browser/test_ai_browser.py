"""The AI features in a real browser: a lead's page shows its score with the factors behind
it; a deal's page suggests the next best action with its evidence and one click makes the
task, which appears on My tasks; the customer 360 view shows churn risk and recommended
products."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import EventKind, MarketingEvent
from app.services.predictions import lead_scoring
from tests.factories import PASSWORD, make_customer, make_lead, make_opportunity, make_user

pytestmark = pytest.mark.browser


def _sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")


def test_a_lead_shows_its_score_and_the_factors_behind_it(page, tmp_path):
    rep = make_user(Role.SALES, email="lena.score@example.com", name="Lena")
    lead = make_lead(rep, first_name="Mei", last_name="陳", industry="Software", employees=250)
    for days in (1, 2, 4):
        db.session.add(
            MarketingEvent(
                kind=EventKind.VISIT, lead_id=lead.id, occurred_at=utcnow() - timedelta(days=days)
            )
        )
    db.session.add(MarketingEvent(kind=EventKind.DOWNLOAD, lead_id=lead.id, occurred_at=utcnow()))
    db.session.commit()
    lead_scoring.score_all()
    db.session.commit()

    _sign_in(page, "lena.score@example.com")
    page.goto(f"/leads/{lead.id}")
    card = page.locator("#lead-score")
    card.wait_for()
    # Industry 15 + 50+ employees 10 + three visits 10 + a download 10.
    assert page.inner_text("#lead-score-value") == "45"
    assert "Grade C" in card.inner_text()
    up = page.inner_text("#lead-score-up")
    assert "Industry: Software" in up and "Website visits in 90 days: 3" in up
    page.screenshot(path=str(tmp_path / "lead-score.png"), full_page=True)

    page.goto("/leads?sort=score&direction=desc")
    assert "45" in page.inner_text(f"#lead-{lead.id} .lead-score")


def test_accepting_the_next_best_action_creates_the_task(page):
    rep = make_user(Role.SALES, email="nico.next@example.com", name="Nico")
    customer = make_customer(rep, name="Formosa Foods")
    deal = make_opportunity(rep, customer=customer, name="Formosa rollout", stage="PROPOSAL")

    _sign_in(page, "nico.next@example.com")
    page.goto(f"/opportunities/{deal.id}")
    suggestion = page.locator("#next-action-suggestion")
    suggestion.wait_for()
    subject = suggestion.inner_text().strip()
    assert page.locator("#next-action-evidence").inner_text().strip()
    page.click("#accept-next-action")
    page.locator("#next-action-created").wait_for()

    page.goto("/tasks")
    assert subject in page.inner_text("main")


def test_the_360_view_shows_churn_risk_and_recommended_products(page, tmp_path):
    from datetime import date

    from tests.factories import make_order, make_product

    rep = make_user(Role.SALES, email="cora.churn@example.com", name="Cora")
    coffee, filters, mugs = (make_product(name=name) for name in ("Coffee", "Filters", "Mugs"))

    def bought(name, days_ago, *products):
        customer = make_customer(rep, name=name)
        lines = [{"product_id": product.id, "quantity": "1"} for product in products]
        when = (date.today() - timedelta(days=days_ago)).isoformat()
        make_order(rep, customer, lines, order_date=when)
        return customer

    for n in range(3):
        bought(f"Regular {n}", 20, coffee, filters)
    bought("Mug lover", 30, mugs)
    quiet = bought("Quiet Café 安靜", 300, coffee)

    _sign_in(page, "cora.churn@example.com")
    page.goto(f"/customers/{quiet.id}")
    page.locator("#churn-risk-value").wait_for()
    assert page.inner_text("#churn-level").strip()
    assert page.locator("#churn-factors-up li").count() >= 1
    assert page.locator("#churn-actions li").count() >= 1
    recommended = page.locator(f"#recommendations-{quiet.id}")
    recommended.wait_for()
    assert "Filters" in recommended.inner_text()
    assert "Coffee" not in recommended.inner_text()  # already bought
    page.screenshot(path=str(tmp_path / "customer-360.png"), full_page=True)
