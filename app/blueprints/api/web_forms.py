"""Web forms and their submissions over the API (read-only): the forms with their fields,
variants and A/B figures, a form's submissions newest first, and one submission.

Rates travel as decimal strings of fractions ("0.2500" is 25 %), null when undefined; a
variant's p-value compares it with the form's first variant (see app.services.ab_testing
for when a difference is called significant).
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import request, url_for
from flask_babel import gettext
from flask_smorest import abort

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, encode_cursor, page_schema, paginate, paginated
from app.blueprints.api.records import readable_record
from app.extensions import db
from app.models.marketing import FormStatus, FormSubmission, WebForm
from app.services import ab_testing, web_form_variants, web_forms

bp = ApiBlueprint(
    "api_web_forms",
    __name__,
    tag="Web forms",
    description="Web forms (landing pages), their A/B variants and their submissions.",
)


def _ratio() -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, allow_none=True, places=4)


class FieldSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    label_zh = ma.fields.String()
    type = ma.fields.String(metadata={"description": "text, email, phone, textarea, select, "
                                                     "checkbox or country"})  # fmt: skip
    required = ma.fields.Boolean()
    maps_to = ma.fields.String(
        metadata={"description": "The lead field filled, custom.<key>, or empty."}
    )
    choices = ma.fields.List(ma.fields.String())


class VariantSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    weight = ma.fields.Integer()
    is_active = ma.fields.Boolean()
    share = _ratio()
    headline = ma.fields.String()
    headline_zh = ma.fields.String()
    intro = ma.fields.String()
    intro_zh = ma.fields.String()
    button_label = ma.fields.String()
    button_label_zh = ma.fields.String()
    views = ma.fields.Integer()
    submissions = ma.fields.Integer()
    conversion_rate = _ratio()
    difference = ma.fields.Decimal(
        as_string=True, allow_none=True, places=4,
        metadata={"description": "Conversion rate minus the first variant's."},
    )  # fmt: skip
    p_value = ma.fields.Decimal(as_string=True, allow_none=True, places=6)
    verdict = ma.fields.String(
        metadata={"description": ", ".join(v.value for v in ab_testing.Verdict)}
    )


class WebFormSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    slug = ma.fields.String()
    status = ma.fields.Enum(FormStatus, by_value=True)
    campaign_id = ma.fields.Integer(allow_none=True)
    url = ma.fields.Method("_url", metadata={"description": "The hosted landing page."})
    fields = ma.fields.List(ma.fields.Nested(FieldSchema))
    consent_text = ma.fields.String()
    consent_text_zh = ma.fields.String()
    success_message = ma.fields.String()
    success_message_zh = ma.fields.String()
    redirect_url = ma.fields.String()
    owner_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()

    def _url(self, form) -> str:
        return web_forms.landing_url(form)


class _VariantsField(ma.fields.Nested):
    """A form's variants with their results, computed when the form is serialised."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return [
            {
                **{
                    name: getattr(row.variant, name)
                    for name in (
                        "id",
                        "name",
                        "weight",
                        "is_active",
                        "headline",
                        "headline_zh",
                        "intro",
                        "intro_zh",
                        "button_label",
                        "button_label_zh",
                        "views",
                        "submissions",
                    )
                },
                "share": row.share,
                "conversion_rate": row.result.rate,
                "difference": row.result.difference,
                "p_value": row.result.p_value,
                "verdict": row.result.verdict.value,
            }  # fmt: skip
            for row in web_form_variants.results(obj)
        ]


class WebFormDetailSchema(WebFormSchema):
    variants = _VariantsField(VariantSchema, many=True, dump_only=True)


class SubmissionSchema(ma.Schema):
    id = ma.fields.Integer()
    form_id = ma.fields.Integer()
    variant_id = ma.fields.Integer(allow_none=True)
    lead_id = ma.fields.Integer(allow_none=True)
    contact_id = ma.fields.Integer(allow_none=True)
    data = ma.fields.Dict(metadata={"description": "The values by field key."})
    utm_source = ma.fields.String()
    utm_medium = ma.fields.String()
    utm_campaign = ma.fields.String()
    utm_term = ma.fields.String()
    utm_content = ma.fields.String()
    referrer = ma.fields.String()
    page_url = ma.fields.String()
    visitor_id = ma.fields.String()
    created_at = ma.fields.DateTime()


class FormListArgs(ListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200), metadata={"description": "Part of the name."}
    )
    status = ma.fields.Enum(FormStatus, by_value=True)


@bp.get("/forms")
@paginated(bp, FormListArgs, WebFormSchema)
def index(args):
    """Web forms the caller may read, filtered, in id order."""
    permissions.require(acting_user(), "read", "web_form")
    query = web_forms.forms_query(acting_user(), args.get("q", ""), args.get("status"))
    return paginate(query.order_by(None), WebForm.id, args)


@bp.get("/forms/<int:form_id>")
@bp.response(200, WebFormDetailSchema)
def show(form_id: int):
    """One form with its fields and variants (views, submissions, conversion, p-value)."""
    return readable_record(WebForm, form_id, "web_form")


@bp.get("/forms/<int:form_id>/submissions")
@bp.arguments(ListArgs, location="query", unknown=ma.RAISE)
@bp.response(200, page_schema(SubmissionSchema))
def submissions(args, form_id: int):
    """The form's submissions, newest first; `next` continues with older ones."""
    form = readable_record(WebForm, form_id, "web_form")
    query = sa.select(FormSubmission).where(FormSubmission.form_id == form.id)
    if args.get("cursor") is not None:
        query = query.where(FormSubmission.id < args["cursor"])
    limit = args["limit"]
    rows = db.session.scalars(query.order_by(FormSubmission.id.desc()).limit(limit + 1)).all()
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        params = request.args.to_dict() | {"cursor": encode_cursor(rows[-1].id)}
        next_url = url_for(request.endpoint, form_id=form.id, **params, _external=True)
    return {"data": rows, "next": next_url}


@bp.get("/form-submissions/<int:submission_id>")
@bp.response(200, SubmissionSchema)
def submission(submission_id: int):
    """One submission (readable by whoever may read its form)."""
    row = db.session.get(FormSubmission, submission_id)
    form = db.session.get(WebForm, row.form_id) if row is not None else None
    if form is None or not permissions.can(acting_user(), "read", "web_form", form):
        abort(404, message=gettext("No such record."))
    return row
