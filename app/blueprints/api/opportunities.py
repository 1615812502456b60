"""Opportunities over the API: list (filtered), show, create, change (with the version the
caller read), delete, and move to a stage.

Every rule lives in app.services.opportunities and .pipeline (the same functions the board
calls): a change from a stale version answers 409 with who changed the deal and when; a
lost deal needs a loss reason (422).
"""

from __future__ import annotations

import marshmallow as ma

from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.errors import api_error_response
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.sales import Opportunity, OpportunityStage
from app.services import opportunities, opportunity_lists, pipeline
from app.services.validation import RecordInvalid, StaleRecord

bp = ApiBlueprint(
    "api_opportunities", __name__, tag="Opportunities", description="Deals in the pipelines."
)
bp.register_error_handler(RecordInvalid, record_invalid_response)


@bp.errorhandler(StaleRecord)
def _stale(error: StaleRecord):
    db.session.rollback()
    return api_error_response(409, "conflict", error.message, {"version": [error.message]})


class OpportunityWriteSchema(ma.Schema):
    """The fields a caller may set; the stage only on creation (then through /stage)."""

    name = ma.fields.String(required=True)
    customer_id = ma.fields.Integer(required=True)
    contact_id = ma.fields.Integer(allow_none=True)
    pipeline_id = ma.fields.Integer()
    stage = ma.fields.Enum(OpportunityStage, by_value=True)
    amount = ma.fields.Decimal(as_string=True, metadata={"description": 'e.g. "12500.50"'})
    currency = ma.fields.String()
    probability = ma.fields.Integer(
        allow_none=True, metadata={"description": "0-100; null follows the stage."}
    )
    expected_close_date = ma.fields.Date(allow_none=True)
    next_step = ma.fields.String()
    competitors = ma.fields.String()
    description = ma.fields.String()
    owner_id = ma.fields.Integer(allow_none=True)
    team_id = ma.fields.Integer(allow_none=True)
    custom = ma.fields.Dict(keys=ma.fields.String())


class OpportunityUpdateSchema(OpportunityWriteSchema):
    """PATCH: only the fields sent change; `version` is the one the caller read."""

    class Meta:
        exclude = ("stage",)

    name = ma.fields.String()
    customer_id = ma.fields.Integer()
    version = ma.fields.Integer(required=True)


class OpportunitySchema(OpportunityWriteSchema):
    """A deal as the API shows it."""

    id = ma.fields.Integer()
    version = ma.fields.Integer()
    lead_id = ma.fields.Integer(allow_none=True)
    probability_is_manual = ma.fields.Boolean()
    loss_reason = ma.fields.String()
    closed_at = ma.fields.DateTime(allow_none=True)
    stage_changed_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class StageMoveSchema(ma.Schema):
    stage = ma.fields.Enum(OpportunityStage, by_value=True, required=True)
    version = ma.fields.Integer(required=True)
    loss_reason = ma.fields.String(load_default="")


class OpportunityListArgs(ListArgs):
    q = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    stage = ma.fields.Enum(OpportunityStage, by_value=True)
    pipeline_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    team_id = ma.fields.Integer()
    close_from = ma.fields.Date()
    close_to = ma.fields.Date()
    amount_min = ma.fields.Decimal(as_string=True)
    amount_max = ma.fields.Decimal(as_string=True)


def _filters(args: dict) -> opportunity_lists.OpportunityFilters:
    names = (
        "stage", "pipeline_id", "customer_id", "owner_id", "team_id", "close_from", "close_to",
        "amount_min", "amount_max",
    )  # fmt: skip
    return opportunity_lists.OpportunityFilters(
        q=args.get("q", ""), **{name: args.get(name) for name in names}
    )


@bp.get("/opportunities")
@paginated(bp, OpportunityListArgs, OpportunitySchema)
def index(args):
    """Deals the caller may see, filtered and searched, in id order."""
    query = opportunity_lists.opportunities_query(acting_user(), _filters(args)).order_by(None)
    return paginate(query, Opportunity.id, args)


@bp.get("/opportunities/<int:opportunity_id>")
@bp.response(200, OpportunitySchema)
def show(opportunity_id: int):
    """One deal."""
    return readable_record(Opportunity, opportunity_id, "opportunity")


@bp.post("/opportunities")
@bp.arguments(OpportunityWriteSchema)
@bp.response(201, OpportunitySchema)
def create(data):
    """Create a deal for a customer the caller may edit."""
    deal = opportunities.create_opportunity(acting_user(), **data)
    db.session.commit()
    return deal


@bp.patch("/opportunities/<int:opportunity_id>")
@bp.arguments(OpportunityUpdateSchema)
@bp.response(200, OpportunitySchema)
def update(changes, opportunity_id: int):
    """Change a deal; 409 when `version` is not the stored one any more."""
    deal = readable_record(Opportunity, opportunity_id, "opportunity")
    version = changes.pop("version")
    opportunities.update_opportunity(deal, acting_user(), version, **changes)
    db.session.commit()
    return deal


@bp.delete("/opportunities/<int:opportunity_id>")
@bp.response(204)
def delete(opportunity_id: int):
    """Delete a deal with its stage history, products and documents."""
    deal = readable_record(Opportunity, opportunity_id, "opportunity")
    opportunities.delete_opportunity(deal, acting_user())
    db.session.commit()


@bp.post("/opportunities/<int:opportunity_id>/stage")
@bp.arguments(StageMoveSchema)
@bp.response(200, OpportunitySchema)
def move_stage(data, opportunity_id: int):
    """Move a deal to a stage from `version`; lost deals need `loss_reason`."""
    deal = readable_record(Opportunity, opportunity_id, "opportunity")
    pipeline.move_stage(deal, acting_user(), data["stage"], data["version"], data["loss_reason"])
    db.session.commit()
    return deal
