"""The sales dashboard, the performance pages and the targets page as users meet them:
lazy panels with their figures, who sees whose numbers, and target forms that refuse bad
input (and forged posts) without saving anything."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.orders import SalesTarget, TargetPeriod
from app.services import targets
from tests.conftest import csrf_token, post_form
from tests.factories import make_opportunity, make_team, make_user


def _logout(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def _count_targets() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SalesTarget))


@pytest.fixture
def people():
    north, south = make_team("North"), make_team("South")
    return {
        "north": north,
        "south": south,
        "ann": make_user(Role.SALES, north, name="Ann Rep"),
        "bob": make_user(Role.SALES, north, name="Bob Rep"),
        "cid": make_user(Role.SALES, south, name="Cid Rep"),
        "meg": make_user(Role.MANAGER, north, name="Meg Manager"),
        "ada": make_user(Role.ADMIN, name="Ada Admin"),
        "mia": make_user(Role.MARKETING, north, name="Mia Marketing"),
    }


def _won(owner, amount, currency="USD", days_ago=0):
    deal = make_opportunity(owner, stage="CLOSED_WON", amount=amount, currency=currency)
    deal.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return deal


def _panel(client, name, period="month"):
    response = client.get(
        f"/dashboard/panels/{name}?period={period}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_dashboard_is_a_grid_of_lazy_panels(login, people):
    client = login(people["ann"])
    html = client.get("/dashboard").get_data(as_text=True)
    for name in ("pipeline", "won-vs-target", "activities", "top-deals"):
        article = re.search(rf'<article[^>]*id="panel-{name}"[^>]*>', html, re.S).group(0)
        assert 'hx-trigger="load, every 60s"' in article
        assert "/dashboard/panels/" in article and "period=month" in article
    assert "My figures" in html and 'id="my-performance"' in html
    quarter = client.get("/dashboard?period=quarter").get_data(as_text=True)
    assert "period=quarter" in quarter
    assert 'id="nav-sales-dashboard"' in html


def test_panels_show_a_reps_own_figures(login, people):
    ann = people["ann"]
    today = targets.today()
    targets.set_target(people["meg"], user_id=ann.id, period="MONTH",
                       period_start=today.replace(day=1), amount="2000")  # fmt: skip
    db.session.commit()
    _won(ann, "500")
    _won(ann, "300", "EUR")
    _won(people["bob"], "9000")
    make_opportunity(ann, name="Big Ann deal", stage="PROPOSAL", amount="1000", probability=50)
    make_opportunity(people["bob"], name="Bob deal", stage="PROPOSAL", amount="7000")
    client = login(ann)
    won = _panel(client, "won_vs_target")
    assert re.search(r'id="won-amount">\$500\.00<', won)
    assert re.search(r'id="target-amount">\$2,000\.00<', won)
    assert 'id="attainment">25.0 %<' in won
    assert "€300.00" in won and "Not added (other currencies)" in won
    pipeline = _panel(client, "pipeline")
    row = re.search(r'id="pipeline-proposal">.*?</tr>', pipeline, re.S).group(0)
    assert ">1<" in row and "$1,000.00" in row and "$500.00" in row
    assert "weighted amount (amount × probability ÷ 100)" in pipeline
    top = _panel(client, "top_deals")
    assert "Big Ann deal" in top and "Bob deal" not in top
    activities = _panel(client, "activities")
    assert "No activities done in this period." in activities


def test_a_manager_sees_the_team_and_an_admin_everybody(login, people):
    _won(people["ann"], "100")
    _won(people["bob"], "200")
    _won(people["cid"], "400")
    client = login(people["meg"])
    assert "Team North" in client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="won-amount">\$300\.00<', _panel(client, "won_vs_target"))
    _logout(client)
    admin = login(people["ada"])
    html = admin.get("/dashboard").get_data(as_text=True)
    assert "Everybody" in html and "Team South" in html
    assert re.search(r'id="won-amount">\$700\.00<', _panel(admin, "won_vs_target"))


def test_empty_panels_say_what_to_do_next(login, people):
    client = login(people["bob"])
    assert "No open deals." in _panel(client, "pipeline")
    assert "No open deals." in _panel(client, "top_deals")
    assert "No target set" in _panel(client, "won_vs_target")
    assert client.get("/dashboard/panels/nope").status_code == 404


def test_the_performance_page_of_a_rep(login, people):
    ann = people["ann"]
    _won(ann, "1000")
    lost = make_opportunity(ann, stage="CLOSED_LOST", amount="50")
    lost.closed_at = utcnow()
    db.session.commit()
    client = login(ann)
    html = client.get(f"/performance/users/{ann.id}").get_data(as_text=True)
    assert "Performance of Ann Rep" in html
    assert 'id="win-rate">50.0 %<' in html
    assert re.search(r'id="deal-size">\$1,000\.00<', html)
    svg = re.search(r'<svg id="monthly-won-chart".*?</svg>', html, re.S).group(0)
    assert "<title" in svg and svg.count('class="chart-bar"') == 12
    table = re.search(r'id="monthly-won-table".*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 13 and "$1,000.00" in table
    assert "<script" not in svg
    year = client.get(f"/performance/users/{ann.id}?period=year")
    assert year.status_code == 200


def test_who_may_open_which_performance_page(login, people):
    ann, bob, cid, north, south = (people[k] for k in ("ann", "bob", "cid", "north", "south"))
    client = login(ann)
    assert client.get(f"/performance/users/{ann.id}").status_code == 200
    assert client.get(f"/performance/users/{bob.id}").status_code == 404
    assert client.get(f"/performance/teams/{north.id}").status_code == 404
    _logout(client)
    client = login(people["meg"])
    assert client.get(f"/performance/users/{bob.id}").status_code == 200
    assert client.get(f"/performance/teams/{north.id}").status_code == 200
    assert client.get(f"/performance/users/{cid.id}").status_code == 404
    assert client.get(f"/performance/teams/{south.id}").status_code == 404
    assert client.get("/performance/teams/99999").status_code == 404
    _logout(client)
    client = login(people["ada"])
    assert client.get(f"/performance/users/{cid.id}").status_code == 200
    html = client.get(f"/performance/teams/{south.id}").get_data(as_text=True)
    assert "Performance of team South" in html and "Cid Rep" in html


def test_a_manager_sets_a_target_and_a_rep_only_reads_theirs(login, people):
    ann, meg = people["ann"], people["meg"]
    client = login(meg)
    page = client.get("/targets").get_data(as_text=True)
    assert 'id="target-form"' in page and "No targets for these filters." in page
    response = post_form(client, "/targets", {
        "user_id": ann.id, "period": "QUARTER", "period_start": "2026-04-01",
        "amount": "12000.50", "currency": "usd",
    })  # fmt: skip
    assert response.status_code == 302
    target = db.session.scalars(sa.select(SalesTarget)).one()
    assert (target.user_id, target.period, target.amount, target.currency) == (
        ann.id, TargetPeriod.QUARTER, Decimal("12000.50"), "USD",
    )  # fmt: skip
    listed = client.get("/targets?year=2026").get_data(as_text=True)
    assert f'id="target-{target.id}"' in listed and "$12,000.50" in listed and "Ann Rep" in listed
    rows = client.get("/targets?year=2026&period=MONTH", headers={"HX-Request": "true"})
    assert rows.get_data(as_text=True).lstrip().startswith('<section id="target-results">')
    assert f'id="target-{target.id}"' not in rows.get_data(as_text=True)
    _logout(client)
    rep = login(ann)
    mine = rep.get("/targets?year=2026").get_data(as_text=True)
    assert f'id="target-{target.id}"' in mine and 'id="target-form"' not in mine
    assert post_form(rep, "/targets", {"user_id": ann.id, "period": "MONTH",
                     "period_start": "2026-05-01", "amount": "1"}).status_code == 403  # fmt: skip
    assert post_form(rep, f"/targets/{target.id}/delete").status_code == 403
    _logout(rep)
    client = login(people["mia"])
    assert client.get("/targets").status_code == 403


def test_bad_target_input_is_shown_again_with_messages_and_nothing_saved(login, people):
    client = login(people["meg"])
    response = post_form(client, "/targets", {
        "user_id": people["ann"].id, "team_id": people["north"].id, "period": "QUARTER",
        "period_start": "2026-02-01", "amount": "0", "currency": "dollars",
    })  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose either a user or a team." in html
    assert "A quarter starts on 1 January, 1 April, 1 July or 1 October." in html
    assert "Enter an amount greater than zero." in html
    assert "Enter a three-letter currency code" in html
    assert 'value="dollars"' in html
    assert _count_targets() == 0


def test_target_forms_need_the_csrf_token(login, people):
    client = login(people["meg"])
    data = {"user_id": people["ann"].id, "period": "MONTH", "period_start": "2026-05-01",
            "amount": "10"}  # fmt: skip
    assert client.post("/targets", data=data).status_code == 400
    assert _count_targets() == 0
    target = targets.set_target(
        people["meg"],
        user_id=people["ann"].id,
        period="MONTH",
        period_start=targets.today().replace(day=1),
        amount="5",
    )
    db.session.commit()
    assert client.post(f"/targets/{target.id}/delete").status_code == 400
    assert _count_targets() == 1
    response = post_form(client, f"/targets/{target.id}/delete")
    assert response.status_code == 302 and _count_targets() == 0
