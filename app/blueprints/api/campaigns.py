"""Marketing campaigns over the API: list (type and status filters, a name search), show
(with the campaign's metrics), create, change and delete.

Amounts and rates travel as decimal strings ("1200.00", "0.2500") so no client rounds
them through a float; rates are fractions (0.25 is 25 %), null when undefined (ROI of a
campaign that cost nothing). Every rule lives in app.services.campaigns.
"""

from __future__ import annotations

import marshmallow as ma

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.marketing import (
    Campaign,
    CampaignStatus,
    CampaignType,
    MarketingTopic,
    SendState,
)
from app.services import campaign_lists, campaign_metrics, campaigns
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_campaigns",
    __name__,
    tag="Campaigns",
    description="Marketing campaigns, their costs and what they earned.",
)
bp.register_error_handler(RecordInvalid, record_invalid_response)


def _amount(**kwargs) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, **kwargs)


def _ratio() -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, allow_none=True)


class CampaignWriteSchema(ma.Schema):
    name = ma.fields.String(required=True)
    type = ma.fields.Enum(CampaignType, by_value=True)
    status = ma.fields.Enum(
        CampaignStatus,
        by_value=True,
        metadata={"description": "Any change is allowed, except COMPLETED -> PLANNING/PAUSED."},
    )
    topic = ma.fields.Enum(MarketingTopic, by_value=True)
    start_date = ma.fields.Date(allow_none=True)
    end_date = ma.fields.Date(allow_none=True, metadata={"description": "Not before start."})
    currency = ma.fields.String(metadata={"description": "ISO 4217 code; default: the "
                                                         "installation's currency."})  # fmt: skip
    budget = _amount()
    actual_cost = _amount(metadata={"description": "What was spent; ROI is measured on it."})
    expected_revenue = _amount()
    channels = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Any of: " + ", ".join(campaigns.CHANNELS) + "."},
    )
    impressions = ma.fields.Integer(
        metadata={"description": "Entered for channels Rapport cannot count (ads, events)."}
    )
    description = ma.fields.String()
    sms_body = ma.fields.String(
        allow_none=True,
        metadata={"description": "The text of an SMS campaign (merge fields allowed)."},
    )
    segment_id = ma.fields.Integer(allow_none=True)
    template_id = ma.fields.Integer(allow_none=True)
    send_rate = ma.fields.Integer(
        allow_none=True, metadata={"description": "Messages per minute; null: the default."}
    )
    owner_id = ma.fields.Integer()


class CampaignUpdateSchema(CampaignWriteSchema):
    """PATCH: only the fields sent change."""

    name = ma.fields.String()


class CampaignSchema(CampaignWriteSchema):
    id = ma.fields.Integer()
    send_state = ma.fields.Enum(
        SendState, by_value=True, metadata={"description": "Where its email send is."}
    )
    created_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class CurrencyTotalsSchema(ma.Schema):
    currency = ma.fields.String()
    opportunities = ma.fields.Integer()
    won_opportunities = ma.fields.Integer()
    won_revenue = _amount()
    pipeline = _amount()


class MetricsSchema(ma.Schema):
    currency = ma.fields.String()
    recipients = ma.fields.Integer()
    sent = ma.fields.Integer(metadata={"description": "Rows the mail server accepted."})
    delivered = ma.fields.Integer(metadata={"description": "sent - bounced"})
    bounced = ma.fields.Integer()
    opened = ma.fields.Integer(metadata={"description": "Unique people."})
    clicked = ma.fields.Integer(metadata={"description": "Unique people."})
    unsubscribed = ma.fields.Integer()
    failed = ma.fields.Integer()
    skipped = ma.fields.Integer()
    unknown = ma.fields.Integer(metadata={"description": "Sends with an unknown outcome."})
    open_rate = _ratio()
    click_rate = _ratio()
    click_to_open = _ratio()
    bounce_rate = _ratio()
    impressions = ma.fields.Integer()
    leads = ma.fields.Integer()
    converted_leads = ma.fields.Integer()
    lead_conversion_rate = _ratio()
    opportunities = ma.fields.Integer()
    won_opportunities = ma.fields.Integer()
    won_revenue = _amount(metadata={"description": "Won deals in the campaign's currency."})
    pipeline = _amount(metadata={"description": "Open deals in the campaign's currency."})
    cost = _amount(metadata={"description": "The campaign's actual cost."})
    budget = _amount()
    roi = _ratio()
    cost_per_lead = ma.fields.Decimal(as_string=True, allow_none=True)
    other_currencies = ma.fields.List(
        ma.fields.Nested(CurrencyTotalsSchema),
        metadata={"description": "Attributed deals in other currencies (never summed)."},
    )


class _MetricsField(ma.fields.Nested):
    """A campaign's metrics, computed when the campaign is serialised."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return campaign_metrics.metrics(obj)


class CampaignDetailSchema(CampaignSchema):
    metrics = _MetricsField(MetricsSchema, dump_only=True)


class CampaignListArgs(ListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Part of the name."},
    )
    type = ma.fields.Enum(CampaignType, by_value=True)
    status = ma.fields.Enum(CampaignStatus, by_value=True)


@bp.get("/campaigns")
@paginated(bp, CampaignListArgs, CampaignSchema)
def index(args):
    """Campaigns the caller may read, filtered, in id order."""
    permissions.require(acting_user(), "read", "campaign")
    filters = campaign_lists.CampaignFilters(
        q=args.get("q", ""), type=args.get("type"), status=args.get("status")
    )
    query = campaign_lists.campaigns_query(acting_user(), filters).order_by(None)
    return paginate(query, Campaign.id, args)


@bp.get("/campaigns/<int:campaign_id>")
@bp.response(200, CampaignDetailSchema)
def show(campaign_id: int):
    """One campaign with its metrics (sent, opened, leads, won revenue, ROI...)."""
    return readable_record(Campaign, campaign_id, "campaign")


@bp.post("/campaigns")
@bp.arguments(CampaignWriteSchema)
@bp.response(201, CampaignDetailSchema)
def create(data):
    """Plan a campaign (marketing, managers and administrators)."""
    campaign = campaigns.create_campaign(acting_user(), **data)
    db.session.commit()
    return campaign


@bp.patch("/campaigns/<int:campaign_id>")
@bp.arguments(CampaignUpdateSchema)
@bp.response(200, CampaignDetailSchema)
def update(changes, campaign_id: int):
    """Change a campaign; only the fields sent change."""
    campaign = readable_record(Campaign, campaign_id, "campaign")
    campaigns.update_campaign(campaign, acting_user(), **changes)
    db.session.commit()
    return campaign


@bp.delete("/campaigns/<int:campaign_id>")
@bp.response(204)
def delete(campaign_id: int):
    """Delete a campaign; 422 once it has sent email (mark it COMPLETED instead)."""
    campaign = readable_record(Campaign, campaign_id, "campaign")
    campaigns.delete_campaign(campaign, acting_user())
    db.session.commit()
