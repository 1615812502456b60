"""Lead scoring: a total 0-100, a grade A-D, the points per component and the factors that
pushed the score up and down. Once the company has converted (and failed to convert) at
least 40 leads each, a logistic regression trained on its own leads scores them; until
then the administrator's rules do, and the page says so.

A lead's outcome is decided when it converts (positive), is marked unqualified, or has
stayed unconverted for 90 days (negative); it is learnt from as it was at that moment.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.models.sales import Lead, LeadStatus
from app.services.predictions import (
    classifier,
    lead_features,
    lead_score_rules,
    lead_scores,
    model_store,
)

KIND = PredictionKind.LEAD_SCORE
DECISION_DAYS = 90


def _decided(now: datetime):
    """(lead id, decision moment, profile..., converted?) of every lead whose outcome is
    known at `now`."""
    undecided_until = now - timedelta(days=DECISION_DAYS)
    rows = db.session.execute(
        sa.select(
            Lead.id,
            Lead.status,
            Lead.created_at,
            Lead.updated_at,
            Lead.converted_at,
            Lead.industry,
            Lead.country,
            Lead.employees,
            Lead.annual_revenue,
        ).where(Lead.created_at < now)
    )
    for lead_id, status, created, updated, converted, industry, country, employees, revenue in rows:
        if converted is not None and converted <= now:
            yield (lead_id, converted, industry, country, employees, revenue), 1
        elif status == LeadStatus.UNQUALIFIED and updated <= now:
            yield (
                (
                    lead_id,
                    min(updated, created + timedelta(days=DECISION_DAYS)),
                    industry,
                    country,
                    employees,
                    revenue,
                ),
                0,
            )
        elif converted is None and created < undecided_until:
            yield (
                (
                    lead_id,
                    created + timedelta(days=DECISION_DAYS),
                    industry,
                    country,
                    employees,
                    revenue,
                ),
                0,
            )


def train(*, actor=None, now: datetime | None = None) -> PredictionModel:
    """Learn from the leads decided before `now` and store a new version (RULES with a
    notice when there are too few of either outcome)."""
    started = time.perf_counter()
    now = now or utcnow()
    decided = list(_decided(now))
    facts = lead_features.collect(profile for profile, _ in decided)
    labels = [label for _, label in decided]
    common = {"rows": len(labels), "positives": int(sum(labels))}
    train_idx, test_idx, cutoff = (
        classifier.time_split([f.at for f in facts]) if len(facts) >= 2 else ([], [], None)
    )
    train_labels = [labels[i] for i in train_idx]
    test_labels = [labels[i] for i in test_idx]
    if not classifier.enough_history(train_labels) or len(set(test_labels)) < 2:
        return model_store.save_version(
            KIND,
            PredictionMode.RULES,
            actor=actor,
            algorithm="rules",
            notice=_too_little(train_labels if classifier.enough_history(labels) else labels),
            seconds=time.perf_counter() - started,
            **common,
        )
    train_facts = [facts[i] for i in train_idx]
    names = lead_features.columns(train_facts)
    model = classifier.fit_logistic(
        [lead_features.vector(f, names) for f in train_facts], train_labels, names
    )
    test_facts = [facts[i] for i in test_idx]
    metrics = classifier.evaluate(
        test_labels, model.predict(np.array([lead_features.vector(f, names) for f in test_facts]))
    )
    active_rules = lead_score_rules.rules()
    rules_scores = [lead_score_rules.score(f, active_rules)[0] / 100 for f in test_facts]
    metrics["rules"] = {
        key: value
        for key, value in classifier.evaluate(test_labels, rules_scores).items()
        if key in ("auc", "brier")
    }
    if (metrics.get("auc") or 0) <= (metrics["rules"].get("auc") or 0):
        # A model that ranks the newest leads no better than the rules is not put to use.
        return model_store.save_version(
            KIND,
            PredictionMode.RULES,
            actor=actor,
            algorithm="rules",
            train_rows=len(train_idx),
            test_rows=len(test_idx),
            cutoff=cutoff,
            metrics=metrics,
            notice="The trained model ranked the most recent leads no better than the rules.",
            seconds=time.perf_counter() - started,
            **common,
        )
    return model_store.save_version(
        KIND,
        PredictionMode.MODEL,
        actor=actor,
        algorithm="logistic regression (L2)",
        train_rows=len(train_idx),
        test_rows=len(test_idx),
        cutoff=cutoff,
        metrics=metrics,
        params=model.to_params(),
        seconds=time.perf_counter() - started,
        **common,
    )


def _too_little(labels: list[int]) -> str:
    positives = int(sum(labels))
    return (
        f"{positives} converted and {len(labels) - positives} unconverted leads so far; "
        f"a model needs {classifier.MIN_CLASS_EXAMPLES} of each. The rules score leads."
    )


def score_all(*, now: datetime | None = None) -> int:
    """Store the score of every lead not yet converted (app.services.predictions.lead_scores)."""
    return lead_scores.score_all(now=now)


def evaluate_planted(*, seed: int = 7, size: float = 1.0) -> dict:
    """Plant a lead history with known drivers of conversion, train on its past and return
    the test figures (the `flask rapport ai-eval` harness)."""
    from app.services.predictions import lead_planting

    now = lead_planting.plant(seed=seed, size=size)
    version = train(now=now)
    metrics = version.metrics
    return {
        "mode": version.mode.value,
        "leads": version.rows,
        "test_leads": version.test_rows,
        "auc": metrics.get("auc"),
        "brier": metrics.get("brier"),
        "ece": metrics.get("ece"),
        "rules_auc": metrics.get("rules", {}).get("auc"),
        "noise_in_top_factors": lead_planting.noise_in_top_factors(version),
    }
