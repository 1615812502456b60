"""Lead scoring: a total 0-100, a grade A-D, the points per component and the factors that
pushed the score up and down. Once the company has converted (and failed to convert) at
least 40 leads each, a logistic regression trained on its own leads scores them; until
then the administrator's rules do, and the page says so.

A lead's outcome is decided when it converts (positive), is marked unqualified, or has
stayed unconverted for 90 days (negative); it is learnt from as it was at that moment.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.models.sales import Lead, LeadStatus
from app.services.predictions import classifier, lead_features, lead_score_rules, model_store
from app.services.predictions.lead_features import FACTORS, LeadFacts

KIND = PredictionKind.LEAD_SCORE
DECISION_DAYS = 90
GRADES = ((75, "A"), (50, "B"), (25, "C"), (0, "D"))
TOP_FACTORS = 5
_CATEGORIES = {"industry": 10, "country": 8}  # one-hot columns kept for the commonest values
_MIN_CATEGORY = 20
_LOGGED = (
    "employees",
    "annual_revenue",
    "visits",
    "email_opens",
    "email_clicks",
    "downloads",
    "forms",
    "activities",
)
_PLAIN = ("days_since_activity", "response_rate")
_BATCH = 1000


def grade(score: int) -> str:
    return next(letter for floor, letter in GRADES if score >= floor)


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


def _columns(train: list[LeadFacts]) -> list[str]:
    """The model's features: logged counts, plain numbers, and one-hot columns for the
    commonest industries and countries of the training leads."""
    names = [f"log:{factor}" for factor in _LOGGED] + ["known:employees"] + list(_PLAIN)
    for factor, keep in _CATEGORIES.items():
        counts = Counter(
            getattr(facts, factor).casefold() for facts in train if getattr(facts, factor)
        )
        names += [
            f"{factor}={value}" for value, n in counts.most_common(keep) if n >= _MIN_CATEGORY
        ]
    return names


def _vector(facts: LeadFacts, names: list[str]) -> list[float]:
    row = []
    for name in names:
        if name.startswith("log:"):
            row.append(math.log1p(max(0.0, float(facts.value(name[4:]) or 0))))
        elif name == "known:employees":
            row.append(1.0 if facts.employees is not None else 0.0)
        elif "=" in name:
            factor, value = name.split("=", 1)
            row.append(1.0 if getattr(facts, factor).casefold() == value else 0.0)
        else:
            row.append(float(facts.value(name)))
    return row


def _factor_of(name: str) -> str:
    if name.startswith(("log:", "known:")):
        return name.split(":", 1)[1]
    return name.split("=", 1)[0]


def train(*, actor=None, now: datetime | None = None) -> PredictionModel:
    """Learn from the leads decided before `now` and store a new version (RULES with a
    notice when there are too few of either outcome)."""
    started = time.perf_counter()
    now = now or utcnow()
    decided = list(_decided(now))
    facts = lead_features.collect(profile for profile, _ in decided)
    labels = [label for _, label in decided]
    common = {"rows": len(labels), "positives": int(sum(labels))}
    if len(labels) < 10 or not classifier.enough_history(labels):
        return model_store.save_version(
            KIND,
            PredictionMode.RULES,
            actor=actor,
            algorithm="rules",
            notice=_too_little(labels),
            seconds=time.perf_counter() - started,
            **common,
        )
    train_idx, test_idx, cutoff = classifier.time_split([f.at for f in facts])
    train_facts = [facts[i] for i in train_idx]
    train_labels = [labels[i] for i in train_idx]
    test_labels = [labels[i] for i in test_idx]
    if not classifier.enough_history(train_labels) or len(set(test_labels)) < 2:
        return model_store.save_version(
            KIND,
            PredictionMode.RULES,
            actor=actor,
            algorithm="rules",
            notice=_too_little(train_labels),
            seconds=time.perf_counter() - started,
            **common,
        )
    names = _columns(train_facts)
    model = classifier.fit_logistic([_vector(f, names) for f in train_facts], train_labels, names)
    test_facts = [facts[i] for i in test_idx]
    metrics = classifier.evaluate(
        test_labels, model.predict(np.array([_vector(f, names) for f in test_facts]))
    )
    active_rules = lead_score_rules.rules()
    rules_scores = [lead_score_rules.score(f, active_rules)[0] / 100 for f in test_facts]
    metrics["rules"] = {
        key: value
        for key, value in classifier.evaluate(test_labels, rules_scores).items()
        if key in ("auc", "brier")
    }
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


class Scorer:
    """Scores leads with the newest version: its model, or the rules."""

    def __init__(self):
        version = model_store.latest(KIND)
        self.version = version
        self.model = None
        if version is not None and version.mode == PredictionMode.MODEL:
            self.model = classifier.LogisticModel.from_params(version.params)
        self.rules = lead_score_rules.rules() if self.model is None else []

    @property
    def mode(self) -> PredictionMode:
        return PredictionMode.MODEL if self.model else PredictionMode.RULES

    def score(self, facts: LeadFacts) -> tuple[int, str, dict]:
        """The score, the grade and the explanation stored on the lead."""
        if self.model is None:
            total, components, hits = lead_score_rules.score(facts, self.rules)
            factors = [
                {
                    "factor": hit.factor,
                    "value": _shown(hit.actual),
                    "weight": hit.points,
                    "rule": f"{hit.operator} {hit.value}",
                }
                for hit in hits
            ]
            components = {component.value: points for component, points in components.items()}
        else:
            row = _vector(facts, self.model.features)
            total = int(round(100 * float(self.model.predict(np.array([row]))[0])))
            pushes: dict[str, float] = {}
            for part in self.model.explain(row):
                factor = _factor_of(part.feature)
                pushes[factor] = pushes.get(factor, 0.0) + part.weight
            factors = [
                {"factor": factor, "value": _shown(facts.value(factor)), "weight": round(weight, 3)}
                for factor, weight in pushes.items()
                if abs(weight) >= 0.01
            ]
            components = {}
            for factor, weight in pushes.items():
                key = FACTORS[factor][0].value
                components[key] = round(components.get(key, 0.0) + weight, 3)
        up = sorted((f for f in factors if f["weight"] > 0), key=lambda f: -f["weight"])
        down = sorted((f for f in factors if f["weight"] < 0), key=lambda f: f["weight"])
        explanation = {
            "mode": self.mode.value,
            "version": self.version.version if self.version else None,
            "components": components,
            "up": up[:TOP_FACTORS],
            "down": down[:TOP_FACTORS],
        }
        return total, grade(total), explanation


def _shown(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _open_profiles(now: datetime, lead_ids=None):
    query = (
        sa.select(
            Lead.id,
            sa.literal(now),
            Lead.industry,
            Lead.country,
            Lead.employees,
            Lead.annual_revenue,
        )
        .where(Lead.status != LeadStatus.CONVERTED)
        .order_by(Lead.id)
    )
    if lead_ids is not None:
        query = query.where(Lead.id.in_(lead_ids))
    for lead_id, _, *profile in db.session.execute(query):
        yield (lead_id, now, *profile)


def score_all(*, now: datetime | None = None, lead_ids=None) -> int:
    """Store the score, grade and explanation of every lead not yet converted (or of
    `lead_ids`), in batches of plain UPDATEs; returns how many were scored."""
    now = now or utcnow()
    scorer = Scorer()
    count = 0
    batch = []
    for facts in lead_features.collect(_open_profiles(now, lead_ids)):
        total, letter, explanation = scorer.score(facts)
        batch.append(
            {
                "b_id": facts.lead_id,
                "score": total,
                "score_grade": letter,
                "score_factors": explanation,
                "scored_at": now,
            }
        )
        if len(batch) >= _BATCH:
            count += _write(batch)
            batch = []
    count += _write(batch)
    if scorer.version is not None:
        scorer.version.scored = count
    db.session.flush()
    return count


def _write(batch: list[dict]) -> int:
    if batch:
        table = Lead.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values(
                score=sa.bindparam("score"),
                score_grade=sa.bindparam("score_grade"),
                score_factors=sa.bindparam("score_factors"),
                scored_at=sa.bindparam("scored_at"),
            ),
            batch,
        )
    return len(batch)


def explain(lead: Lead, *, now: datetime | None = None) -> tuple[int, str, dict]:
    """A lead's score as it would be stored now, for a lead the job has not scored yet."""
    now = now or utcnow()
    facts = lead_features.collect(
        [(lead.id, now, lead.industry, lead.country, lead.employees, lead.annual_revenue)]
    )[0]
    return Scorer().score(facts)


@dataclasses.dataclass(frozen=True)
class ShownScore:
    """What the lead's page shows: the score, its grade, the explanation, whether it was
    computed just now (not yet stored by the job) and the notice of the version in use."""

    score: int
    grade: str
    explanation: dict
    live: bool
    notice: str


def shown_score(lead: Lead) -> ShownScore:
    """The stored score of `lead`, or (before the job has scored it) the score now."""
    version = model_store.latest(KIND)
    notice = version.notice if version is not None else ""
    if lead.score is not None and lead.score_factors:
        return ShownScore(
            lead.score, lead.score_grade or grade(lead.score), lead.score_factors, False, notice
        )
    total, letter, explanation = explain(lead)
    return ShownScore(total, letter, explanation, True, notice)


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
