"""The predictions as users meet them: the churn and recommendation panels of the 360 page
(with the rules notice while history is short), the customers-at-risk list and dashboard
panel showing only customers the reader may read, and recommended products on a draft
quote added in one click."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.identity import Role
from app.models.orders import Quote
from app.services import quotes
from app.services.predictions import churn, churn_lists, churn_planted, recommendations
from app.services.predictions.planted_history import day_start
from tests.conftest import csrf_token, htmx_post
from tests.factories import (
    make_customer,
    make_order,
    make_product,
    make_quote,
    make_team,
    make_user,
)


def _ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


@pytest.fixture
def team():
    return make_team()


@pytest.fixture
def rep(team):
    return make_user(Role.SALES, team, name="Rita")


def _customer(owner, name, *days_ago, products=()):
    customer = make_customer(owner, name=name)
    for days in days_ago:
        lines = [{"product_id": product.id, "quantity": "1"} for product in products]
        make_order(owner, customer, lines, order_date=_ago(days))
    return customer


def _scored():
    churn.score_all()
    db.session.commit()


def test_the_360_page_loads_both_panels_lazily(login, rep):
    customer = make_customer(rep, name="Acme")
    page = login(rep).get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'hx-get="/customers/{customer.id}/churn-risk" hx-trigger="load"' in page
    assert f'hx-get="/customers/{customer.id}/recommendations" hx-trigger="load"' in page


def test_churn_panel_shows_the_rules_notice_factors_and_actions(login, rep):
    lapsing = _customer(rep, "Lapsing", 300, 260, 220, 200)
    churn.train()  # four orders of one customer: far too little history
    db.session.commit()
    client = login(rep)

    html = client.get(f"/customers/{lapsing.id}/churn-risk").get_data(as_text=True)

    assert 'id="churn-notice"' in html and "Too little order history" in html
    assert "Computed now" in html  # not scored yet: computed for the page
    assert 'data-feature="days_since_last_order"' in html
    assert "Days since the last order: <strong>201</strong>" in html
    assert 'data-feature="order_trend"' in html and "0 against 4" in html
    assert 'data-action="call"' in html and "no order for 201 days" in html
    assert 'data-feature="urgent_tickets"' not in html  # not a factor of this customer

    _scored()
    html = client.get(f"/customers/{lapsing.id}/churn-risk").get_data(as_text=True)
    assert "Scored" in html and 'id="churn-risk-value">' in html
    assert "High" in html


def test_churn_panel_without_recent_orders_and_for_others_customers(login, rep):
    quiet = make_customer(rep, name="Quiet")
    theirs = make_customer(make_user(Role.SALES), name="Theirs")
    client = login(rep)

    html = client.get(f"/customers/{quiet.id}/churn-risk").get_data(as_text=True)
    assert 'id="churn-not-scored"' in html
    assert "No churn model has been trained yet" in html
    assert client.get(f"/customers/{theirs.id}/churn-risk").status_code == 403
    assert client.get(f"/customers/{theirs.id}/recommendations").status_code == 403
    assert client.get("/customers/999999/churn-risk").status_code == 404


def test_a_rep_sees_only_the_customers_at_risk_they_may_read(login, team, rep):
    colleague = make_user(Role.SALES, team, name="Cole")
    mine = _customer(rep, "Mine lapsing", 300, 250, 200)
    _customer(rep, "Mine steady", 100, 40, 10)
    theirs = _customer(colleague, "Theirs lapsing", 300, 250, 200)
    _scored()

    client = login(rep)
    html = client.get("/customers/at-risk").get_data(as_text=True)
    assert f'id="at-risk-{mine.id}"' in html
    assert f'id="at-risk-{theirs.id}"' not in html and "Theirs lapsing" not in html
    assert "Mine steady" not in html  # low risk: not in the default list
    every = client.get("/customers/at-risk?level=all").get_data(as_text=True)
    assert "Mine steady" in every and "Theirs lapsing" not in every

    manager = make_user(Role.MANAGER, team)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    html = login(manager).get("/customers/at-risk").get_data(as_text=True)
    assert f'id="at-risk-{mine.id}"' in html and f'id="at-risk-{theirs.id}"' in html


def test_the_at_risk_list_sorts_and_pages_by_keyset(login, rep):
    made = [_customer(rep, f"Lapsing {n}", 200 + 20 * n, 400) for n in range(5)]
    _scored()
    filters = churn_lists.AtRiskFilters(level="all")
    first, cursor = churn_lists.at_risk_page(rep, filters, None, limit=2)
    second, cursor2 = churn_lists.at_risk_page(rep, filters, cursor, limit=2)
    third, end = churn_lists.at_risk_page(rep, filters, cursor2, limit=2)
    seen = [c.id for c in first + second + third]
    assert sorted(seen) == sorted(c.id for c in made) and end is None
    risks = [c.churn_risk for c in first + second + third]
    assert risks == sorted(risks, reverse=True)

    client = login(rep)
    html = client.get("/customers/at-risk?level=all&sort=name&direction=asc",
                      headers={"HX-Request": "true"}).get_data(as_text=True)  # fmt: skip
    assert html.lstrip().startswith('<div id="at-risk-results">')
    positions = [html.index(f"Lapsing {n}<") for n in range(5)]
    assert positions == sorted(positions)
    assert client.get("/customers/at-risk?cursor=garbage").status_code == 200


def test_the_dashboard_panel_lists_readable_customers_at_risk(login, team, rep):
    mine = _customer(rep, "Mine lapsing", 300, 250, 200)
    _customer(make_user(Role.SALES, team), "Theirs lapsing", 300, 250, 200)
    _scored()

    html = login(rep).get("/home/panels/customers-at-risk").get_data(as_text=True)

    assert 'id="panel-body-customers-at-risk"' in html
    assert f'href="/customers/{mine.id}"' in html and "Theirs lapsing" not in html
    assert "Days since the last order" in html


def test_recommended_products_on_the_360_page_give_their_reason(login, rep):
    printer, toner, paper = (make_product(name=name) for name in ("Printer", "Toner", "Paper"))
    for n in range(22):
        _customer(rep, f"Buyer {n}", 30, products=(printer, toner) if n % 2 else (paper,))
    lonely = _customer(rep, "Printer only", 20, products=(printer,))
    recommendations.train()
    db.session.commit()

    html = login(rep).get(f"/customers/{lonely.id}/recommendations").get_data(as_text=True)

    assert f'id="recommended-{toner.id}" data-reason="similar"' in html
    assert "Bought by customers who bought Printer" in html
    assert f'id="recommended-{printer.id}"' not in html
    assert 'id="recommendations-notice"' not in html
    assert "Add a line" not in html  # not on a quote


def test_recommendations_fall_back_with_a_visible_notice(login, rep):
    printer = make_product(name="Printer")
    _customer(rep, "Only buyer", 20, products=(printer,))
    newcomer = make_customer(rep, name="Newcomer")
    recommendations.train()
    db.session.commit()

    html = login(rep).get(f"/customers/{newcomer.id}/recommendations").get_data(as_text=True)

    assert 'id="recommendations-notice"' in html and "the most bought products are shown" in html
    assert f'id="recommended-{printer.id}" data-reason="popular"' in html
    assert "One of the most bought products" in html


def test_a_draft_quote_adds_a_recommended_product_in_one_click(login, rep):
    printer, toner = make_product(name="Printer"), make_product(name="Toner")
    _customer(rep, "Earlier buyer", 20, products=(printer, toner))
    buyer = make_customer(rep, name="New buyer")
    quote = make_quote(rep, buyer)
    client = login(rep)

    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    panel_url = f"/customers/{buyer.id}/recommendations?quote_id={quote.id}"
    assert 'id="quote-recommendations"' in page and "quoteChanged from:body" in page
    html = client.get(panel_url).get_data(as_text=True)
    assert f'id="add-recommended-{printer.id}"' in html

    response = htmx_post(client, f"/quotes/{quote.id}/lines",
                         {"product_id": printer.id, "quantity": "1"})  # fmt: skip
    assert response.status_code == 200 and "quoteChanged" in response.headers["HX-Trigger"]
    db.session.expire_all()
    assert [line.product_id for line in db.session.get(Quote, quote.id).lines] == [printer.id]
    html = client.get(panel_url).get_data(as_text=True)
    assert f'id="recommended-{printer.id}"' not in html  # already on the quote
    assert f'id="add-recommended-{toner.id}"' in html

    quotes.mark_sent(db.session.get(Quote, quote.id), rep)
    db.session.commit()
    assert "Add a line" not in client.get(panel_url).get_data(as_text=True)
    assert 'id="quote-recommendations"' not in client.get(f"/quotes/{quote.id}").get_data(
        as_text=True
    )


def test_the_quote_panel_checks_the_quote(login, rep):
    other = make_quote(make_user(Role.SALES))
    mine = make_quote(rep)
    client = login(rep)
    assert client.get(
        f"/customers/{other.customer_id}/recommendations?quote_id={other.id}"
    ).status_code == 403  # fmt: skip
    assert client.get(
        f"/customers/{other.customer_id}/recommendations?quote_id={mine.id}"
    ).status_code == 404  # fmt: skip


def test_a_trained_model_explains_each_customer_on_its_page(client, admin):
    now = day_start(utcnow())
    churn_planted.plant(seed=7, size=0.2, now=now)
    assert churn.train(now=now).mode.value == "MODEL"
    churn.score_all(now=now)
    db.session.commit()
    riskiest = db.session.scalars(
        sa.select(Customer).order_by(Customer.churn_risk.desc().nulls_last(), Customer.id)
    ).first()

    html = client.get(f"/customers/{riskiest.id}/churn-risk").get_data(as_text=True)

    assert 'id="churn-notice"' not in html and "Model version 1" in html
    for factor in riskiest.churn_factors:
        assert f'data-feature="{factor["feature"]}"' in html
    assert 'id="churn-actions"' in html
    listing = client.get("/customers/at-risk").get_data(as_text=True)
    assert f'id="at-risk-{riskiest.id}"' in listing
