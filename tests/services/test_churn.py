"""Churn risk: the planted figures, the time split, the rules fallback with its notice, and
explanations that list the customer's own factors."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.customers import Customer
from app.models.orders import Order, OrderStatus
from app.models.predictions import PredictionMode
from app.models.records import AuditEntry
from app.models.service import SurveyKind, TicketPriority
from app.services.predictions import churn, churn_factors, churn_planted, classifier, registry
from app.services.predictions.churn_features import (
    FEATURES,
    CustomerHistory,
    day_of,
    load,
    snapshot,
    vector,
)
from app.services.predictions.planted_history import PlantedHistory, day_start

SIZE = 0.2  # 140 planted customers: ~2,000 snapshots, trained in a few seconds


def _now():
    return day_start(utcnow())


def _add_orders(customer_ids, when) -> None:
    rows = [
        {"number": f"X-{customer_id}-{when:%Y%m%d}", "customer_id": customer_id,
         "status": OrderStatus.CONFIRMED, "order_date": when.date(), "currency": "USD",
         "custom": {}}
        for customer_id in customer_ids
    ]  # fmt: skip
    db.session.execute(sa.insert(Order), rows)


def test_the_registry_finds_the_module():
    assert registry.module(churn.KIND) is churn


def test_planted_history_reaches_the_target_auc():
    figures = churn.evaluate_planted(seed=7, size=SIZE)

    assert figures["mode"] == "MODEL"
    assert figures["test_rows"] > 200 and figures["train_rows"] > 500
    assert figures["auc"] >= 0.80
    # Better than always saying the base rate, and no worse calibrated than the rules.
    share = figures["churned_share"]
    assert figures["brier"] < share * (1 - share)
    assert figures["brier"] <= figures["rules_brier"]
    assert figures["scored"] > 0
    assert all(isinstance(value, (int, float, str)) or value is None for value in figures.values())


def test_nothing_after_the_cutoff_influences_training():
    now = _now()
    churn_planted.plant(seed=3, size=SIZE, now=now)
    first = churn.train(now=now)
    assert first.mode is PredictionMode.MODEL

    # Orders after the cutoff (inside the test period) from every customer: the test
    # labels change, the training does not.
    ids = list(db.session.scalars(sa.select(Customer.id)))
    _add_orders(ids, first.cutoff + timedelta(days=3))
    second = churn.train(now=now)
    assert second.cutoff == first.cutoff
    assert second.train_rows == first.train_rows
    assert second.params["coefficients"] == first.params["coefficients"]
    assert second.params["intercept"] == first.params["intercept"]
    assert second.positives < first.positives  # the test period saw the new orders

    # The same orders long before the cutoff do change what is learnt.
    _add_orders(ids, first.cutoff - timedelta(days=400))
    third = churn.train(now=now)
    assert third.params["coefficients"] != first.params["coefficients"]


def test_too_little_history_falls_back_to_rules_with_a_notice():
    now = _now()
    history = PlantedHistory(now - timedelta(days=400))
    for number in range(5):
        customer = history.customer(f"Small {number}")
        for day in (10, 100, 200, 390):
            history.order(customer, day + number)
    history.write()

    version = churn.train(now=now)

    assert version.mode is PredictionMode.RULES
    assert version.params == {}
    assert "a model needs 40" in version.notice
    assert "Too little order history" in churn_factors.mode_notice(version)
    assert churn.score_all(now=now) == 5
    scored = db.session.scalars(sa.select(Customer)).all()
    assert all(
        customer.churn_level == churn_factors.level(customer.churn_risk) for customer in scored
    )


def test_no_version_yet_uses_the_rules():
    assert churn.Scorer(None).model is None
    assert "No churn model" in churn_factors.mode_notice(None)


def test_rules_explain_the_customers_own_factors_and_actions():
    now = _now()
    history = PlantedHistory(now - timedelta(days=400))
    lapsing = history.customer("Lapsing")
    for day in (0, 40, 80, 120, 160, 200):
        history.order(lapsing, day)  # six orders, the last 200 days ago
    urgent = history.ticket(lapsing, 300, TicketPriority.URGENT, None)
    history.ticket(lapsing, 300, TicketPriority.LOW, 305)  # the same day, settled since
    history.survey(
        SurveyKind.CSAT, 260, 2, ticket_id=history.ticket(lapsing, 250, TicketPriority.LOW, 255)
    )
    loyal = history.customer("Loyal")
    for day in range(5, 400, 15):
        history.order(loyal, day)
        history.activity(loyal, day)
    history.write()

    assert churn.score_all(now=now) == 2
    risky, steady = db.session.get(Customer, lapsing), db.session.get(Customer, loyal)

    features = {f["feature"]: f for f in risky.churn_factors}
    assert features["days_since_last_order"]["value"] == 201
    assert features["urgent_tickets"]["value"] == 1
    assert features["csat"]["value"] == 2
    assert risky.churn_level == "high" and risky.churn_risk == 1.0
    assert steady.churn_level == "low" and steady.churn_factors == []

    actions = churn_factors.retention_actions(lapsing, risky.churn_factors)
    keys = [action.key for action in actions]
    assert {"call", "escalate", "check_in", "engage"} <= set(keys)
    assert next(a for a in actions if a.key == "escalate").ticket_id == urgent
    assert churn_factors.retention_actions(loyal, steady.churn_factors) == []


def test_model_explanations_are_the_customers_own_values():
    now = _now()
    churn_planted.plant(seed=5, size=SIZE, now=now)
    version = churn.train(now=now)
    assert version.mode is PredictionMode.MODEL
    churn.score_all(now=now)

    model = classifier.LogisticModel.from_params(version.params)
    histories = load(now + timedelta(days=1))
    customers = db.session.scalars(
        sa.select(Customer).where(Customer.churn_risk.is_not(None)).order_by(Customer.id)
    ).all()
    assert len(customers) > 50
    for customer in customers[:40]:
        features = snapshot(histories[customer.id], day_of(now) + 1)
        row = vector(features, version.params["fill"])
        assert math.isclose(customer.churn_risk, model.predict(np.array([row]))[0], abs_tol=1e-5)
        for factor in customer.churn_factors:
            assert factor["feature"] in FEATURES
            assert factor["value"] == features[factor["feature"]]  # the customer's own value
            assert factor["value"] is not None  # an unknown CSAT/NPS is never a factor
        # Every contribution plus the intercept is the logit of the stored risk.
        logit = sum(c.weight for c in model.explain(row)) + model.intercept
        assert math.isclose(classifier.sigmoid(logit), customer.churn_risk, abs_tol=1e-5)


def test_score_all_keeps_updated_at_writes_no_audit_and_clears_lapsed():
    now = _now()
    history = PlantedHistory(now - timedelta(days=800))
    active, lapsed = history.customer("Active"), history.customer("Lapsed")
    history.order(active, 780)
    history.order(lapsed, 10)
    history.write()
    db.session.execute(
        sa.update(Customer).where(Customer.id == lapsed).values(churn_risk=0.9, churn_level="high")
    )
    before = db.session.get(Customer, active).updated_at
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    assert churn.score_all(now=now) == 1

    db.session.expire_all()
    assert db.session.get(Customer, active).updated_at == before
    assert db.session.get(Customer, active).churn_scored_at is not None
    assert db.session.get(Customer, lapsed).churn_risk is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audits
    assert churn.assess(lapsed, now) is None
    assert churn.assess(active, now).risk == db.session.get(Customer, active).churn_risk


def test_levels():
    assert [churn_factors.level(r) for r in (0.0, 0.39, 0.4, 0.69, 0.7, 1.0)] == [
        "low", "low", "medium", "medium", "high", "high"]  # fmt: skip


def test_a_large_installation_trains_on_a_sample_fixed_before_the_cutoff(monkeypatch):
    monkeypatch.setattr(churn, "MAX_SNAPSHOT_ROWS", 100)
    histories = {n: CustomerHistory(orders=[5]) for n in range(1, 11)}
    assert sorted(churn._sample(histories, cutoff=10, days=36)) == [4, 8]
    # Customers whose first order comes after the cutoff do not move the sample.
    later = histories | {n: CustomerHistory(orders=[50]) for n in range(11, 40)}
    assert sorted(churn._sample(later, cutoff=10, days=36)) == [4, 8, 12, 16, 20, 24, 28, 32, 36]
    assert churn._sample(histories, cutoff=10, days=5) is histories
