"""The rules-based lead score an administrator tunes: each rule gives points when a factor
of the lead compares to a value; each component's points are capped (demographic 40,
behaviour 35, engagement 25) and the total kept within 0-100. Until an administrator
changes them, the default rules below are in use."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _

from app.extensions import db
from app.models.predictions import LeadScoreRule, ScoreComponent
from app.services.predictions.lead_features import FACTORS, NUMBER, LeadFacts
from app.services.validation import RecordInvalid

CAPS = {
    ScoreComponent.DEMOGRAPHIC: 40,
    ScoreComponent.BEHAVIOUR: 35,
    ScoreComponent.ENGAGEMENT: 25,
}
OPERATORS = {NUMBER: (">=", "<=", "="), "text": ("=", "in")}
MAX_POINTS = 100

DEFAULT_RULES = [
    ("industry", "in", "Software, Technology, Finance, Healthcare", 15),
    ("employees", ">=", "50", 10),
    ("employees", ">=", "500", 5),
    ("annual_revenue", ">=", "1000000", 10),
    ("visits", ">=", "3", 10),
    ("email_opens", ">=", "2", 5),
    ("email_clicks", ">=", "1", 5),
    ("downloads", ">=", "1", 10),
    ("forms", ">=", "1", 10),
    ("days_since_activity", "<=", "7", 15),
    ("days_since_activity", "<=", "30", 5),
    ("activities", ">=", "3", 5),
    ("response_rate", ">=", "30", 5),
    ("days_since_activity", ">=", "90", -10),
]


@dataclasses.dataclass(frozen=True)
class Hit:
    """A rule that matched a lead: what it looked at and the points it gave."""

    factor: str
    operator: str
    value: str
    points: int
    actual: object


def rules() -> list[LeadScoreRule]:
    """The active rules in order; the defaults (unsaved) while none are stored."""
    stored = list(
        db.session.scalars(
            sa.select(LeadScoreRule).order_by(LeadScoreRule.position, LeadScoreRule.id)
        )
    )
    if stored:
        return [rule for rule in stored if rule.is_active]
    return [_default(position, *spec) for position, spec in enumerate(DEFAULT_RULES)]


def stored_rules() -> list[LeadScoreRule]:
    """Every stored rule (active or not), creating the defaults first so an administrator
    edits the rules in use."""
    if not db.session.scalar(sa.select(sa.func.count()).select_from(LeadScoreRule)):
        for position, spec in enumerate(DEFAULT_RULES):
            db.session.add(_default(position, *spec))
        db.session.flush()
    return list(
        db.session.scalars(
            sa.select(LeadScoreRule).order_by(LeadScoreRule.position, LeadScoreRule.id)
        )
    )


def _default(position, factor, operator, value, points) -> LeadScoreRule:
    return LeadScoreRule(
        component=FACTORS[factor][0],
        factor=factor,
        operator=operator,
        value=value,
        points=points,
        position=position,
        is_active=True,
    )


def add_rule(factor: str, operator: str, value: str, points: int) -> LeadScoreRule:
    """Store a new rule after checking it; RecordInvalid names what is wrong."""
    existing = stored_rules()
    rule = LeadScoreRule(position=len(existing), is_active=True)
    _apply(rule, factor, operator, value, points)
    db.session.add(rule)
    db.session.flush()
    return rule


def update_rule(rule: LeadScoreRule, factor: str, operator: str, value: str, points: int):
    _apply(rule, factor, operator, value, points)
    db.session.flush()


def _apply(rule: LeadScoreRule, factor: str, operator: str, value: str, points: int) -> None:
    errors = {}
    if factor not in FACTORS:
        errors["factor"] = _("Choose a factor from the list.")
    else:
        kind = FACTORS[factor][2]
        if operator not in OPERATORS[kind]:
            errors["operator"] = _("This comparison does not apply to that factor.")
        value = (value or "").strip()
        if not value:
            errors["value"] = _("Enter a value to compare with.")
        elif kind == NUMBER and _number(value) is None:
            errors["value"] = _("Enter a number.")
    if points is None or not -MAX_POINTS <= points <= MAX_POINTS:
        errors["points"] = _("Points must be between -100 and 100.")
    if errors:
        raise RecordInvalid(errors)
    rule.factor, rule.operator, rule.value, rule.points = factor, operator, value, points
    rule.component = FACTORS[factor][0]


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def matches(rule: LeadScoreRule, facts: LeadFacts) -> bool:
    actual = facts.value(rule.factor)
    if FACTORS[rule.factor][2] == NUMBER:
        wanted = _number(rule.value)
        if actual is None or wanted is None:
            return False
        actual = Decimal(str(actual))
        return {">=": actual >= wanted, "<=": actual <= wanted, "=": actual == wanted}[
            rule.operator
        ]
    actual = str(actual or "").casefold()
    if rule.operator == "in":
        return actual in {part.strip().casefold() for part in rule.value.split(",") if part.strip()}
    return actual == rule.value.strip().casefold()


def score(facts: LeadFacts, active: list[LeadScoreRule]) -> tuple[int, dict, list[Hit]]:
    """The total (0-100), the points per component (capped) and the rules that matched."""
    points = dict.fromkeys(CAPS, 0)
    hits = []
    for rule in active:
        if matches(rule, facts):
            points[rule.component] += rule.points
            hits.append(
                Hit(rule.factor, rule.operator, rule.value, rule.points, facts.value(rule.factor))
            )
    components = {
        component: max(0, min(CAPS[component], total)) for component, total in points.items()
    }
    return min(MAX_POINTS, sum(components.values())), components, hits
