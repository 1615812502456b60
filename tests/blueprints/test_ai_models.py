"""The AI pages: the lead's score with its factors, the admin Models page with each
version's figures, training on demand in a job, and the lead scoring rules."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import EventKind, MarketingEvent
from app.models.predictions import LeadScoreRule, PredictionKind, PredictionModel
from app.models.records import AuditEntry
from app.services.predictions import lead_planting, lead_scoring
from tests.conftest import csrf_token, post_form
from tests.factories import make_lead, make_user


def test_the_lead_page_shows_the_score_and_the_factors_behind_it(client, login):
    rep = make_user(Role.SALES)
    lead = make_lead(rep, industry="Software", employees=80)
    for _ in range(4):
        db.session.add(
            MarketingEvent(
                kind=EventKind.VISIT, lead_id=lead.id, occurred_at=utcnow() - timedelta(days=3)
            )
        )
    db.session.commit()
    login(rep)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    # Not stored yet: computed now with the default rules (15 + 10 + 10).
    assert 'id="lead-score-value">35<' in page
    assert "Computed now" in page
    assert 'data-factor="industry"' in page and 'data-factor="visits"' in page

    lead_scoring.score_all()
    db.session.commit()
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="lead-score-value">35<' in page and "Computed now" not in page
    listing = client.get("/leads?sort=score&direction=desc&grade=C").get_data(as_text=True)
    assert f'id="lead-{lead.id}"' in listing
    assert f'id="lead-{lead.id}"' not in client.get("/leads?grade=A").get_data(as_text=True)


def test_the_lead_page_says_when_rules_stand_in_for_a_model(client, login):
    rep = make_user(Role.SALES)
    lead = make_lead(rep)
    lead_scoring.train()
    db.session.commit()
    login(rep)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="lead-score-notice"' in page and "40 of each" in page


def test_models_page_shows_each_version_with_its_test_figures(client, login):
    now = lead_planting.plant(seed=4, size=0.3)
    version = lead_scoring.train(now=now)
    db.session.commit()
    login(make_user(Role.ADMIN))
    page = client.get("/admin/models").get_data(as_text=True)
    section = page.split('id="model-lead_score"')[1].split("</section>")[0]
    assert "Trained model" in section and "Version 1" in section
    assert f"{version.metrics['auc']:.3f}" in section
    assert "Calibration" in section
    assert "Not trained yet" in page.split('id="model-churn"')[1]


def test_only_administrators_reach_the_models_and_rules(client, login):
    login(make_user(Role.MANAGER))
    assert client.get("/admin/models").status_code == 403
    assert client.get("/admin/lead-scoring").status_code == 403
    token = csrf_token(client, "/profile")
    assert client.post("/admin/models/train", data={"csrf_token": token}).status_code == 403


def test_training_on_demand_runs_in_a_job_and_is_audited(client, login, worker):
    admin = make_user(Role.ADMIN)
    login(admin)
    response = post_form(client, "/admin/models/train", {}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "job-progress" in response.get_data(as_text=True)
    worker()
    kinds = set(db.session.scalars(sa.select(PredictionModel.kind)))
    assert PredictionKind.LEAD_SCORE in kinds
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_type == "prediction_models", AuditEntry.actor_id == admin.id)
        )
        >= 1
    )


def test_an_administrator_tunes_the_rules(client, login):
    login(make_user(Role.ADMIN))
    page = client.get("/admin/lead-scoring").get_data(as_text=True)
    assert "These are the default rules" in page
    bad = post_form(
        client,
        "/admin/lead-scoring/rules",
        {"factor": "visits", "operator": ">=", "value": "lots", "points": "5"},
    )
    assert bad.status_code == 422 and "Enter a number." in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadScoreRule)) == 0

    saved = post_form(
        client,
        "/admin/lead-scoring/rules",
        {"factor": "country", "operator": "in", "value": "TW, JP", "points": "8"},
    )
    assert saved.status_code == 302
    rules = db.session.scalars(sa.select(LeadScoreRule)).all()
    assert len(rules) == len(lead_scoring.lead_score_rules.DEFAULT_RULES) + 1
    added = next(rule for rule in rules if rule.factor == "country")
    assert added.points == 8
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity_type == "lead_score_rules", AuditEntry.entity_id == str(added.id)
            )
        )
        == 1
    )
    added_id = added.id
    post_form(client, f"/admin/lead-scoring/rules/{added_id}/delete", {})
    db.session.expire_all()
    assert db.session.get(LeadScoreRule, added_id) is None
