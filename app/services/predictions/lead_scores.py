"""Lead scores as stored and shown: the newest lead scoring version (its model, or the
rules) applied to leads now, written in batches of plain UPDATEs (a computed score is not
worth an audit entry per lead), and explained on the lead's page."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask_babel import gettext

from app.extensions import db
from app.models.base import utcnow
from app.models.predictions import PredictionKind, PredictionMode
from app.models.sales import Lead, LeadStatus
from app.services.predictions import classifier, lead_features, lead_score_rules, model_store
from app.services.predictions.lead_features import FACTORS, LeadFacts, factor_of, vector

KIND = PredictionKind.LEAD_SCORE
GRADES = ((75, "A"), (50, "B"), (25, "C"), (0, "D"))
TOP_FACTORS = 5
_BATCH = 1000


def grade(score: int) -> str:
    return next(letter for floor, letter in GRADES if score >= floor)


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
            row = vector(facts, self.model.features)
            total = int(round(100 * float(self.model.predict(np.array([row]))[0])))
            pushes: dict[str, float] = {}
            for part in self.model.explain(row):
                factor = factor_of(part.feature)
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
                updated_at=table.c.updated_at,  # a score is not an edit of the lead
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
    notice = ""
    if version is not None and version.mode == PredictionMode.RULES and version.metrics:
        notice = gettext(
            "The trained model ranked the most recent leads no better than the rules "
            "(AUC %(model)s against %(rules)s): the rules score leads.",
            model=f"{version.metrics.get('auc') or 0:.2f}",
            rules=f"{(version.metrics.get('rules') or {}).get('auc') or 0:.2f}",
        )
    elif version is not None and version.mode == PredictionMode.RULES:
        notice = gettext(
            "%(converted)d converted and %(unconverted)d unconverted leads so far; a model "
            "needs %(needed)d of each. The rules score leads.",
            converted=version.positives,
            unconverted=version.rows - version.positives,
            needed=classifier.MIN_CLASS_EXAMPLES,
        )
    if lead.score is not None and lead.score_factors:
        return ShownScore(
            lead.score, lead.score_grade or grade(lead.score), lead.score_factors, False, notice
        )
    total, letter, explanation = explain(lead)
    return ShownScore(total, letter, explanation, True, notice)
