"""The home dashboard as a reader meets it: the grid of lazily loaded panels for the
chosen period, each panel's fragment (linked to its full page, refused when unknown or
about records the reader may not read), and the page where a user picks and orders
their panels (CSRF-protected, bad choices refused with a message)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models.analytics import DashboardLayout
from app.models.identity import Role
from app.services import dashboards, targets
from tests.conftest import csrf_token
from tests.factories import make_opportunity, make_team, make_user


@pytest.fixture
def manager():
    return make_user(Role.MANAGER, make_team("North"), name="Mia Manager")


def won_this_month(owner, amount="1500"):
    deal = make_opportunity(owner, name="Acme renewal", stage="CLOSED_WON", amount=amount)
    first = targets.today().replace(day=1)
    deal.closed_at = targets.day_bounds(first, first)[0] + timedelta(hours=12)
    db.session.commit()
    return deal


def panel_ids(html: str) -> list[str]:
    return re.findall(r'<article class="dashboard-panel[^"]*" id="panel-([a-z-]+)"', html)


def test_home_shows_the_roles_panels_as_lazy_placeholders(client, login, manager):
    html = login(manager).get("/").get_data(as_text=True)
    assert 'id="home"' in html and "Welcome, Mia Manager" in html
    assert panel_ids(html) == list(dashboards.ROLE_DEFAULTS[Role.MANAGER])
    assert 'hx-get="/home/panels/won-vs-target?period=this_month"' in html
    assert 'hx-trigger="load, every 120s"' in html
    assert '<option value="this_month" selected>' in html
    assert 'href="/home/customize"' in html


def test_the_period_filter_reloads_the_grid_for_that_period(client, login, manager):
    login(manager)
    html = client.get("/?period=this_quarter", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "<html" not in html and 'id="dashboard-grid"' in html
    assert 'hx-get="/home/panels/pipeline?period=this_quarter"' in html
    assert '<option value="this_quarter" selected>' in html
    # Anything but the periods offered falls back to the default.
    html = client.get("/?period=custom").get_data(as_text=True)
    assert 'hx-get="/home/panels/pipeline?period=this_month"' in html


def test_a_panel_fragment_shows_its_figures_and_links_to_its_page(client, login, manager):
    won_this_month(manager)
    login(manager)
    response = client.get("/home/panels/won-vs-target?period=this_month")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="panel-body-won-vs-target" data-period="this_month"' in html
    assert "$1,500.00" in html and 'href="/dashboard"' in html
    assert 'hx-get="/home/panels/won-vs-target?period=this_month&amp;fresh=1"' in html


def test_a_report_panel_draws_its_chart_and_opens_the_report_with_its_filters(
    client, login, manager
):
    won_this_month(manager)
    html = login(manager).get("/home/panels/win-rate?period=this_quarter").get_data(as_text=True)
    assert 'id="panel-chart-win-rate"' in html and "Mia Manager" in html
    assert 'href="/reports/win-rate?period=this_quarter&amp;group=rep"' in html


def test_top_deals_link_each_deal_in_its_own_currency(client, login, manager):
    deal = make_opportunity(manager, name="Big one", amount="90000")
    make_opportunity(manager, name="Euro one", amount="80000", currency="EUR")
    html = login(manager).get("/home/panels/top-deals").get_data(as_text=True)
    assert f'href="/opportunities/{deal.id}"' in html and "Big one" in html
    assert "$90,000.00" in html and "€80,000.00" in html  # never converted


def test_unknown_and_forbidden_panels_are_not_found(client, login):
    marketer = make_user(Role.MARKETING)
    login(marketer)
    assert client.get("/home/panels/no-such-panel").status_code == 404
    assert client.get("/home/panels/ticket-queues").status_code == 404  # no ticket rights
    assert client.get("/home/panels/pipeline").status_code == 200


def test_panels_need_a_login(client):
    assert client.get("/home/panels/pipeline").status_code == 302
    response = client.get("/home/panels/pipeline", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_customize_offers_the_readable_panels_and_saves_the_choice_in_order(client, login, manager):
    login(manager)
    page = client.get("/home/customize").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert 'id="choice-ticket-queues"' in page  # managers read tickets
    assert 'name="panels-0-key" type="hidden" value="won-vs-target"' in page
    response = client.post(
        "/home/customize",
        data={
            "csrf_token": csrf_token(client, "/home/customize"),
            "panels-0-key": "won-vs-target",
            "panels-1-key": "pipeline",
            "panels-1-shown": "y",
            "panels-1-position": "2",
            "panels-2-key": "top-deals",
            "panels-2-shown": "y",
            "panels-2-position": "1",
        },
    )
    assert response.status_code == 302 and response.location == "/"
    assert db.session.get(DashboardLayout, manager.id).panels == ["top-deals", "pipeline"]
    home = client.get("/").get_data(as_text=True)
    assert panel_ids(home) == ["top-deals", "pipeline"]
    assert "Your dashboard is saved." in home


def test_customize_needs_the_csrf_token(client, login, manager):
    login(manager)
    response = client.post(
        "/home/customize", data={"panels-0-key": "pipeline", "panels-0-shown": "y"}
    )
    assert response.status_code == 400
    assert db.session.get(DashboardLayout, manager.id) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"panels-0-key": "ticket-queues"}, "These panels cannot be added: ticket-queues."),
        ({"panels-0-key": "nope"}, "These panels cannot be added: nope."),
        ({"panels-0-key": "pipeline", "panels-0-position": "0"}, "Enter a position from 1 to 99."),
    ],
)
def test_bad_choices_are_refused_with_a_message(client, login, fields, message):
    marketer = make_user(Role.MARKETING)
    login(marketer)
    data = {"csrf_token": csrf_token(client, "/home/customize"), "panels-0-shown": "y", **fields}
    response = client.post("/home/customize", data=data)
    assert response.status_code == 200
    assert 'id="customize-errors"' in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert db.session.get(DashboardLayout, marketer.id) is None


def test_back_to_the_role_defaults(client, login, manager):
    login(manager)
    token = csrf_token(client, "/home/customize")
    client.post(
        "/home/customize",
        data={"csrf_token": token, "panels-0-key": "pipeline", "panels-0-shown": "y"},
    )
    assert 'id="reset-dashboard"' in client.get("/home/customize").get_data(as_text=True)
    client.post("/home/customize", data={"csrf_token": token, "reset": "1"})
    assert db.session.get(DashboardLayout, manager.id) is None
    assert panel_ids(client.get("/").get_data(as_text=True))[0] == "won-vs-target"


@pytest.mark.parametrize("role", list(Role))
def test_every_panel_a_role_may_add_renders_for_it(client, login, role):
    team = make_team()
    user = make_user(role, team)
    won_this_month(make_user(Role.SALES, team))  # a figure for everyone who reads deals
    login(user)
    for panel in dashboards.offered(user):
        for period in ("this_month", "last_12_months"):
            response = client.get(f"/home/panels/{panel.key}?period={period}")
            assert response.status_code == 200, (panel.key, period)
            assert f'id="panel-body-{panel.key}"' in response.get_data(as_text=True)
