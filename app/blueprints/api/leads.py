"""Leads over the API: list (filtered, searched), show, create, change, delete, convert.

Every rule lives in app.services.leads (the same functions the pages call). A lead created
here comes from the API: its source is API and, without an `owner_id`, the assignment
rules choose its owner.
"""

from __future__ import annotations

import marshmallow as ma

from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import paginate, paginated
from app.blueprints.api.records import (
    CustomFieldListArgs,
    custom_filter,
    readable_record,
    record_invalid_response,
)
from app.extensions import db
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import lead_conversion, leads
from app.services.validation import RecordInvalid

bp = ApiBlueprint("api_leads", __name__, tag="Leads", description="Leads and their conversion.")
bp.register_error_handler(RecordInvalid, record_invalid_response)


class LeadWriteSchema(ma.Schema):
    """The fields a caller may set; the service checks each. Conversion fields, creator,
    editor and search text are never writable."""

    first_name = ma.fields.String()
    last_name = ma.fields.String(required=True)
    company = ma.fields.String()
    title = ma.fields.String()
    email = ma.fields.String()
    phone = ma.fields.String()
    mobile = ma.fields.String()
    website = ma.fields.String()
    industry = ma.fields.String()
    employees = ma.fields.Integer(allow_none=True)
    annual_revenue = ma.fields.Decimal(allow_none=True, as_string=True)
    country = ma.fields.String(metadata={"description": "ISO 3166 two-letter code."})
    region = ma.fields.String()
    city = ma.fields.String()
    source = ma.fields.Enum(LeadSource, by_value=True)
    source_detail = ma.fields.String()
    status = ma.fields.Enum(
        LeadStatus, by_value=True, metadata={"description": "CONVERTED only by converting."}
    )
    description = ma.fields.String()
    owner_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "Omit to let the assignment rules choose."}
    )
    team_id = ma.fields.Integer(allow_none=True)
    custom = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "Custom field key -> value."}
    )


class LeadUpdateSchema(LeadWriteSchema):
    """PATCH: only the fields sent change."""

    last_name = ma.fields.String()


class LeadSchema(LeadWriteSchema):
    """A lead as the API shows it."""

    id = ma.fields.Integer()
    converted_at = ma.fields.DateTime(allow_none=True)
    customer_id = ma.fields.Integer(allow_none=True)
    contact_id = ma.fields.Integer(allow_none=True)
    opportunity_id = ma.fields.Integer(allow_none=True)
    score = ma.fields.Integer(
        allow_none=True, metadata={"description": "Lead score 0-100 (null until scored)."}
    )
    score_grade = ma.fields.String(allow_none=True, metadata={"description": "A, B, C or D."})
    score_factors = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "mode, components and the factors pushing it up and down."},
    )
    created_by_id = ma.fields.Integer(allow_none=True)
    updated_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ConvertSchema(ma.Schema):
    customer_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "Link this customer; omit to create one."}
    )
    contact_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "Link this contact; omit to create one."}
    )
    create_opportunity = ma.fields.Boolean(load_default=False)
    opportunity_name = ma.fields.String(load_default="")
    amount = ma.fields.Decimal(allow_none=True, as_string=True)
    expected_close_date = ma.fields.Date(allow_none=True)


class ConversionSchema(ma.Schema):
    lead = ma.fields.Nested(LeadSchema)
    customer_id = ma.fields.Integer()
    contact_id = ma.fields.Integer()
    opportunity_id = ma.fields.Integer(allow_none=True)


class LeadListArgs(CustomFieldListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Part of the name, company, email or phone."},
    )
    status = ma.fields.Enum(LeadStatus, by_value=True)
    source = ma.fields.Enum(LeadSource, by_value=True)
    owner_id = ma.fields.Integer()
    grade = ma.fields.String(
        validate=ma.validate.OneOf(leads.GRADES), metadata={"description": "Lead grade A-D."}
    )
    tag = ma.fields.String(metadata={"description": "A tag name."})


def _filters(args: dict) -> leads.LeadFilters:
    return leads.LeadFilters(
        q=args.get("q", ""),
        status=args.get("status"),
        source=args.get("source"),
        owner_id=args.get("owner_id"),
        grade=args.get("grade", ""),
        tag=args.get("tag", ""),
        custom=custom_filter(args, "lead"),
    )


@bp.get("/leads")
@paginated(bp, LeadListArgs, LeadSchema)
def index(args):
    """Leads the caller may see, filtered and searched, in id order."""
    query = leads.leads_query(acting_user(), _filters(args)).order_by(None)
    return paginate(query, Lead.id, args)


@bp.get("/leads/<int:lead_id>")
@bp.response(200, LeadSchema)
def show(lead_id: int):
    """One lead."""
    return readable_record(Lead, lead_id, "lead")


@bp.post("/leads")
@bp.arguments(LeadWriteSchema)
@bp.response(201, LeadSchema)
def create(data):
    """Create a lead (source API unless given); without `owner_id` the assignment rules
    choose the owner, else it is the caller's."""
    data.setdefault("source", LeadSource.API)
    lead = leads.create_lead(acting_user(), assign=data.get("owner_id") is None, **data)
    db.session.commit()
    return lead


@bp.patch("/leads/<int:lead_id>")
@bp.arguments(LeadUpdateSchema)
@bp.response(200, LeadSchema)
def update(changes, lead_id: int):
    """Change a lead; only the fields sent change."""
    lead = readable_record(Lead, lead_id, "lead")
    leads.update_lead(lead, acting_user(), **changes)
    db.session.commit()
    return lead


@bp.delete("/leads/<int:lead_id>")
@bp.response(204)
def delete(lead_id: int):
    """Delete a lead with its tags and its own activities."""
    lead = readable_record(Lead, lead_id, "lead")
    leads.delete_lead(lead, acting_user())
    db.session.commit()


@bp.post("/leads/<int:lead_id>/convert")
@bp.arguments(ConvertSchema)
@bp.response(200, ConversionSchema)
def convert(data, lead_id: int):
    """Convert a lead into a customer and a contact (new or linked) and, when asked, an
    opportunity, all at once; a converted lead answers 422."""
    lead = readable_record(Lead, lead_id, "lead")
    done = lead_conversion.convert_lead(lead, acting_user(), **data)
    db.session.commit()
    return {
        "lead": done.lead,
        "customer_id": done.customer.id,
        "contact_id": done.contact.id,
        "opportunity_id": getattr(done.opportunity, "id", None),
    }
