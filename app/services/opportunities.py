"""Opportunities (deals): create and change them, checked like every record; each lives in a
pipeline whose stages give a default probability.

Pipelines: every database has at least the default one, made on first use with the six
stages of the brief and their usual probabilities.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.sales import Opportunity, OpportunityStage, Pipeline, PipelineStage, StageChange
from app.services import custom_fields, history, search, tags
from app.services.record_checks import check_custom, check_owner, check_text
from app.services.validation import RecordInvalid

STAGE_LABELS = {
    OpportunityStage.PROSPECTING: _l("Prospecting"),
    OpportunityStage.QUALIFICATION: _l("Qualification"),
    OpportunityStage.PROPOSAL: _l("Proposal"),
    OpportunityStage.NEGOTIATION: _l("Negotiation"),
    OpportunityStage.CLOSED_WON: _l("Closed won"),
    OpportunityStage.CLOSED_LOST: _l("Closed lost"),
}
DEFAULT_PROBABILITIES = {
    OpportunityStage.PROSPECTING: 10,
    OpportunityStage.QUALIFICATION: 20,
    OpportunityStage.PROPOSAL: 50,
    OpportunityStage.NEGOTIATION: 75,
    OpportunityStage.CLOSED_WON: 100,
    OpportunityStage.CLOSED_LOST: 0,
}
MAX_AMOUNT = Decimal("999999999999.99")
TEXT_LIMITS = {"name": 200, "competitors": 500, "next_step": 500}
DESCRIPTION_LENGTH = 10_000
_FIELDS = set(TEXT_LIMITS) | {
    "customer_id", "contact_id", "lead_id", "pipeline_id", "stage", "amount", "currency",
    "probability", "expected_close_date", "description", "owner_id", "team_id", "custom",
}  # fmt: skip

tags.register_taggable("opportunities", Opportunity, "opportunity")
history.register_record_type("opportunities", Opportunity, "opportunity")


def default_pipeline() -> Pipeline:
    """The default pipeline, made with the six stages if the database has none yet."""
    pipeline = db.session.scalar(
        sa.select(Pipeline).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
    )
    if pipeline is None:
        pipeline = Pipeline(name=gettext("Sales"), is_default=True)
        pipeline.stages = [
            PipelineStage(stage=stage, position=n, probability=DEFAULT_PROBABILITIES[stage])
            for n, stage in enumerate(OpportunityStage)
        ]
        db.session.add(pipeline)
        db.session.flush()
    return pipeline


def stage_probability(pipeline: Pipeline, stage: OpportunityStage) -> int:
    for row in pipeline.stages:
        if row.stage is stage:
            return row.probability
    return DEFAULT_PROBABILITIES[stage]


def _check_link(actor, model, entity: str, raw, errors: dict, key: str, message: str):
    """The id of a linked record `actor` may edit (one message for "none" and "not yours")."""
    if raw in (None, ""):
        return None
    try:
        record = db.session.get(model, int(raw))
    except (TypeError, ValueError):
        record = None
    if record is None or not permissions.can(actor, "edit", entity, record):
        errors[key] = message
        return None
    return record.id


def _check_amount(fields: dict, errors: dict):
    raw = fields.get("amount")
    if raw in (None, ""):
        return Decimal("0")
    try:
        amount = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        errors["amount"] = gettext("Enter an amount, like 12500 or 12500.50.")
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        errors["amount"] = gettext("Enter an amount of 0 or more.")
    elif amount.as_tuple().exponent < -2:
        errors["amount"] = gettext("Use at most two decimals.")
    return amount


def _check_probability(fields: dict, errors: dict):
    raw = fields.get("probability")
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        errors["probability"] = gettext("Enter a whole number from 0 to 100.")
        return None
    return value


def _check_date(fields: dict, errors: dict):
    raw = fields.get("expected_close_date")
    if raw in (None, "") or isinstance(raw, date):
        return raw or None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors["expected_close_date"] = gettext("Enter a date like 2026-12-31.")
        return None


def _check_stage(fields: dict, errors: dict):
    raw = fields.get("stage")
    if raw in (None, "") or isinstance(raw, OpportunityStage):
        return raw or OpportunityStage.PROSPECTING
    try:
        return OpportunityStage(str(raw).strip().upper())
    except ValueError:
        errors["stage"] = gettext("Choose one of the pipeline's stages.")
        return None


def create_opportunity(actor, **fields) -> Opportunity:
    """Create an opportunity for a customer `actor` may edit; RecordInvalid lists every bad
    field. The probability follows the stage unless one is given."""
    permissions.require(actor, "create", "opportunity")
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown opportunity fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    required = {"name": gettext("Name the opportunity.")}
    values = {
        name: check_text(fields, name, limit, errors, required.get(name))
        for name, limit in TEXT_LIMITS.items()
    }
    values["description"] = str(fields.get("description") or "").strip()[:DESCRIPTION_LENGTH]
    customer_id = _check_link(
        actor, Customer, "customer", fields.get("customer_id"), errors, "customer_id",
        gettext("Choose a customer you may edit."),
    )  # fmt: skip
    if customer_id is None and "customer_id" not in errors:
        errors["customer_id"] = gettext("Choose a customer you may edit.")
    contact_id = _check_link(
        actor, Contact, "contact", fields.get("contact_id"), errors, "contact_id",
        gettext("Choose a contact you may edit."),
    )  # fmt: skip
    amount = _check_amount(fields, errors)
    probability = _check_probability(fields, errors)
    close_date = _check_date(fields, errors)
    stage = _check_stage(fields, errors)
    owner_id = check_owner(actor, "opportunity", fields, errors, None)
    custom = check_custom("opportunity", fields, errors, partial=False)
    if errors:
        raise RecordInvalid(errors)
    pipeline = (
        db.session.get(Pipeline, int(fields["pipeline_id"]))
        if fields.get("pipeline_id")
        else None
    ) or default_pipeline()
    opportunity = Opportunity(
        **values,
        customer_id=customer_id,
        contact_id=contact_id,
        lead_id=fields.get("lead_id"),
        pipeline_id=pipeline.id,
        stage=stage,
        amount=amount,
        currency=(fields.get("currency") or current_app.config["DEFAULT_CURRENCY"]).upper()[:3],
        probability=stage_probability(pipeline, stage) if probability is None else probability,
        probability_is_manual=probability is not None,
        expected_close_date=close_date,
        owner_id=owner_id,
        team_id=fields.get("team_id"),
        created_by_id=actor.id,
        updated_by_id=actor.id,
        custom={},
    )
    custom_fields.apply_values(opportunity, custom or {})
    customer = db.session.get(Customer, customer_id)
    opportunity.search_text = search.normalise(opportunity.name, customer.name)
    db.session.add(opportunity)
    db.session.flush()
    db.session.add(
        StageChange(opportunity_id=opportunity.id, to_stage=stage, changed_by_id=actor.id)
    )
    db.session.flush()
    return opportunity
