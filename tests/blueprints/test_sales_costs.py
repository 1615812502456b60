"""The sales costs page as a manager meets it: the months of a year with their costs, the
form that sets one (CSRF-checked, its messages on the fields), "Set" links that fill the
form, deleting a cost, year navigation through htmx, and nobody else getting in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.analytics import SalesCost
from app.models.identity import Role
from app.services import reports, sales_costs
from tests.conftest import post_form
from tests.factories import make_user


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, name="Mia Manager")


def _costs():
    return db.session.execute(
        sa.select(SalesCost.month, SalesCost.amount, SalesCost.currency).order_by(SalesCost.month)
    ).all()


def test_the_page_lists_the_months_of_the_year_with_their_costs(login, manager):
    sales_costs.set_cost(manager, month="2025-03", amount="12500", note="Two reps")
    db.session.commit()
    response = login(manager).get("/reports/sales-costs?year=2025")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="sales-cost-form"' in page and 'name="csrf_token"' in page
    assert 'id="sales-costs-year">2025<' in page
    assert page.count("Not entered") == 11
    assert "$12,500.00" in page and "Two reps" in page
    assert 'href="/reports/sales-costs?year=2025&amp;month=2025-04#sales-cost-form"' in page


def test_a_manager_sets_a_month_through_the_form(login, manager):
    client = login(manager)
    response = post_form(client, "/reports/sales-costs",
                         {"month": "2026-02", "amount": "8,000.50", "currency": "usd",
                          "note": "Commissions"})  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reports/sales-costs?year=2026")
    assert _costs() == [(date(2026, 2, 1), Decimal("8000.50"), "USD")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The sales cost of February 2026 is saved." in page and "$8,000.50" in page


def test_bad_input_is_shown_on_the_fields(login, manager):
    response = post_form(login(manager), "/reports/sales-costs",
                         {"month": "someday", "amount": "-3", "currency": "DOLLARS"})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose a month between 2000 and 2100." in page
    assert "A cost cannot be negative." in page
    assert "Enter a three-letter currency code, like USD." in page
    assert _costs() == []


def test_a_set_link_fills_the_form_with_the_month_and_its_cost(login, manager):
    sales_costs.set_cost(manager, month="2026-03", amount="4200", note="Fair")
    db.session.commit()
    page = login(manager).get("/reports/sales-costs?year=2026&month=2026-03").get_data(as_text=True)
    assert 'value="2026-03"' in page and 'value="4200.00"' in page and 'value="Fair"' in page


def test_a_manager_deletes_a_cost(login, manager):
    cost = sales_costs.set_cost(manager, month="2026-03", amount="4200")
    db.session.commit()
    client = login(manager)
    response = post_form(client, f"/reports/sales-costs/{cost.id}/delete")
    assert response.status_code == 302 and _costs() == []
    assert post_form(client, f"/reports/sales-costs/{cost.id}/delete").status_code == 404


def test_the_year_changes_in_place_through_htmx(login, manager):
    response = login(manager).get("/reports/sales-costs?year=2024", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="sales-cost-months">')
    assert "<html" not in body and 'id="sales-costs-year">2024<' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_a_post_without_its_csrf_token_is_refused(login, manager):
    response = login(manager).post("/reports/sales-costs", data={"month": "2026-01",
                                                                 "amount": "1"})  # fmt: skip
    assert response.status_code == 400 and _costs() == []


@pytest.mark.parametrize("role", [Role.SALES, Role.MARKETING, Role.SUPPORT])
def test_only_managers_and_administrators_get_in(login, manager, role):
    cost = sales_costs.set_cost(manager, month="2026-03", amount="4200")
    db.session.commit()
    client = login(make_user(role))
    assert client.get("/reports/sales-costs").status_code == 403
    assert post_form(client, "/reports/sales-costs",
                     {"month": "2026-01", "amount": "1"}).status_code == 403  # fmt: skip
    assert post_form(client, f"/reports/sales-costs/{cost.id}/delete").status_code == 404
    assert len(_costs()) == 1


def test_the_page_is_not_taken_for_a_report(login):
    assert reports.get("sales-costs") is None
    client = login(make_user(Role.ADMIN))
    assert client.get("/reports/sales-costs").status_code == 200
    assert client.get("/reports/cac").status_code == 200
    assert client.get("/reports/sales-costs.csv").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/reports/sales-costs")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
