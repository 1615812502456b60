"""A deal's prediction panels as its owner meets them: the page loads both lazily; the win
panel shows the predicted probability beside the stage default with the deal's factors,
or the stage defaults' notice; the next best action shows its evidence and one click makes
the task, refused without the CSRF token, without the right to create activities, and for
a deal the user may not see."""

from __future__ import annotations

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.activities import Activity, ActivityKind
from app.models.identity import Role
from app.models.sales import Opportunity
from app.services.predictions import next_action, planted_deals, win_probability
from tests.conftest import csrf_token
from tests.factories import make_opportunity, make_user


def _tasks():
    return db.session.scalars(sa.select(Activity).where(Activity.kind == ActivityKind.TASK)).all()


def test_the_deal_page_loads_both_panels(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="PROPOSAL")
    html = login(rep).get(f"/opportunities/{deal.id}").get_data(as_text=True)
    assert f'hx-get="/opportunities/{deal.id}/win-probability"' in html
    assert f'hx-get="/opportunities/{deal.id}/next-action"' in html


def test_the_win_panel_shows_the_stage_default_and_the_notice_without_history(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="NEGOTIATION")
    win_probability.train()
    win_probability.score_all()
    db.session.commit()
    html = login(rep).get(f"/opportunities/{deal.id}/win-probability").get_data(as_text=True)
    assert html.lstrip().startswith(f'<section id="deal-prediction-{deal.id}"')
    assert '<dd id="win-score"><strong>75 %</strong>' in html
    assert '<dd id="win-stage-default">75 %</dd>' in html
    assert 'id="win-notice"' in html and "at least 40 won and 40 lost deals" in html


def test_the_win_panel_lists_the_deals_own_factors(login):
    world = planted_deals.write_history(seed=3, deals=600)
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="QUALIFICATION", amount="25000")
    win_probability.train(now=world.now)
    win_probability.score_all()
    db.session.commit()
    stored = db.session.get(Opportunity, deal.id)
    assert stored.win_score is not None and stored.win_factors
    html = login(rep).get(f"/opportunities/{deal.id}/win-probability").get_data(as_text=True)
    assert f'<dd id="win-score"><strong>{stored.win_score} %</strong>' in html
    assert '<dd id="win-stage-default">20 %</dd>' in html
    assert 'id="win-model"' in html and 'id="win-notice"' not in html
    shown = {f["feature"] for f in stored.win_factors}
    for feature in shown:
        assert f'data-feature="{feature}"' in html
    for feature in set(win_probability.FACTOR_LABELS) - shown:
        assert f'data-feature="{feature}"' not in html
    if "amount" in shown:
        assert "25,000.00" in html


def test_accepting_the_next_action_creates_the_task(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="PROPOSAL", name="Acme rollout")
    client = login(rep)
    panel = client.get(f"/opportunities/{deal.id}/next-action").get_data(as_text=True)
    assert 'data-action="proposal"' in panel and 'id="next-action-notice"' in panel
    assert 'id="accept-next-action"' in panel
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    response = client.post(
        f"/opportunities/{deal.id}/next-action", data={"action": "proposal"}, headers=headers
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="next-action-created"' in html
    assert "timelineChanged" in response.headers["HX-Trigger"]
    [task] = _tasks()
    assert task.owner_id == rep.id and task.subject == "Send a proposal: Acme rollout"
    assert task.customer_id == deal.customer_id and task.due_at is not None


def test_accepting_is_refused_without_the_csrf_token(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="PROPOSAL")
    response = login(rep).post(f"/opportunities/{deal.id}/next-action", data={"action": "call"})
    assert response.status_code == 400
    assert _tasks() == []


def test_accepting_is_refused_without_the_right_to_create_activities(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="PROPOSAL")
    permissions.set_grant(Role.SALES, "activity", "create", permissions.Scope.NONE)
    db.session.commit()
    client = login(rep)
    panel = client.get(f"/opportunities/{deal.id}/next-action").get_data(as_text=True)
    assert 'id="next-action-suggestion"' in panel and 'id="accept-next-action"' not in panel
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    response = client.post(
        f"/opportunities/{deal.id}/next-action", data={"action": "call"}, headers=headers
    )
    assert response.status_code == 403
    assert _tasks() == []


def test_another_reps_deal_is_not_found(login):
    deal = make_opportunity(make_user(Role.SALES), stage="PROPOSAL")
    client = login(make_user(Role.SALES))
    assert client.get(f"/opportunities/{deal.id}/next-action").status_code == 404
    assert client.get(f"/opportunities/{deal.id}/win-probability").status_code == 404
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    response = client.post(
        f"/opportunities/{deal.id}/next-action", data={"action": "call"}, headers=headers
    )
    assert response.status_code == 404 and _tasks() == []


def test_an_unknown_action_is_refused(login):
    rep = make_user(Role.SALES)
    deal = make_opportunity(rep, stage="PROPOSAL")
    client = login(rep)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    response = client.post(
        f"/opportunities/{deal.id}/next-action", data={"action": "bribe"}, headers=headers
    )
    assert response.status_code == 400 and _tasks() == []
    assert set(next_action.ACTIONS) == set(next_action.ACTION_LABELS)
