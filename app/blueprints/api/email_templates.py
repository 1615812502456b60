"""Marketing email templates over the API: list (a name/subject search), show, create,
change, delete, and preview one as a contact or lead would get it.

The parts hold merge fields such as `{{ contact.first_name | default("there") }}`; only the
allowlisted fields are accepted, and the HTML bodies are sanitised on save (what is stored,
and answered, is the cleaned HTML). Every rule lives in app.services.email_templates.
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import EmailTemplate
from app.models.sales import Lead
from app.services import email_templates, merge_fields
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_email_templates",
    __name__,
    tag="Email templates",
    description="Marketing emails in English and Traditional Chinese, with merge fields.",
)
bp.register_error_handler(RecordInvalid, record_invalid_response)

_FIELDS_HELP = (
    "Merge fields: "
    + ", ".join(merge_fields.FIELDS)
    + '; e.g. {{ contact.first_name | default("there") }}.'
)
_ZH = "Traditional Chinese version; empty: the English one is used."


class EmailTemplateWriteSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "Not shown to recipients."})
    sender_name = ma.fields.String(metadata={"description": "The From name."})
    subject = ma.fields.String(required=True, metadata={"description": _FIELDS_HELP})
    html_body = ma.fields.String(
        metadata={
            "description": "HTML, sanitised on save (no scripts, forms, frames, event "
            "attributes; links over http, https and mailto)."
        }  # fmt: skip
    )
    text_body = ma.fields.String(
        metadata={"description": "Plain text; empty: made from the HTML body when sending."}
    )
    sender_name_zh = ma.fields.String(metadata={"description": _ZH})
    subject_zh = ma.fields.String(metadata={"description": _ZH})
    html_body_zh = ma.fields.String(metadata={"description": _ZH})
    text_body_zh = ma.fields.String(metadata={"description": _ZH})


class EmailTemplateUpdateSchema(EmailTemplateWriteSchema):
    """PATCH: only the fields sent change."""

    name = ma.fields.String()
    subject = ma.fields.String()


class EmailTemplateSchema(EmailTemplateWriteSchema):
    id = ma.fields.Integer()
    owner_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class EmailTemplateListArgs(ListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Words of the name or subject."},
    )


class PreviewArgsSchema(ma.Schema):
    contact_id = ma.fields.Integer(metadata={"description": "Preview as this contact."})
    lead_id = ma.fields.Integer(metadata={"description": "Or as this lead."})
    locale = ma.fields.String(
        load_default="en",
        validate=ma.validate.OneOf(["en", "zh_Hant"]),
        metadata={"description": "en or zh_Hant."},
    )

    @ma.validates_schema
    def _one_person(self, data, **kwargs):
        if "contact_id" in data and "lead_id" in data:
            raise ma.ValidationError(gettext("Send contact_id or lead_id, not both."), "lead_id")


class RenderedEmailSchema(ma.Schema):
    subject = ma.fields.String()
    sender_name = ma.fields.String()
    html = ma.fields.String(metadata={"description": "Empty: the email is sent as text only."})
    text = ma.fields.String()


@bp.get("/email-templates")
@paginated(bp, EmailTemplateListArgs, EmailTemplateSchema)
def index(args):
    """Email templates, optionally searched, in id order."""
    permissions.require(acting_user(), "read", "email_template")
    filters = email_templates.TemplateFilters(q=args.get("q", ""))
    query = email_templates.templates_query(acting_user(), filters).order_by(None)
    return paginate(query, EmailTemplate.id, args)


@bp.get("/email-templates/<int:template_id>")
@bp.response(200, EmailTemplateSchema)
def show(template_id: int):
    """One email template."""
    return readable_record(EmailTemplate, template_id, "email_template")


@bp.post("/email-templates")
@bp.arguments(EmailTemplateWriteSchema)
@bp.response(201, EmailTemplateSchema)
def create(data):
    """Add an email template (marketing, managers); it is owned by the caller."""
    template = email_templates.create_template(acting_user(), **data)
    db.session.commit()
    return template


@bp.patch("/email-templates/<int:template_id>")
@bp.arguments(EmailTemplateUpdateSchema)
@bp.response(200, EmailTemplateSchema)
def update(changes, template_id: int):
    """Change an email template; only the fields sent change."""
    template = readable_record(EmailTemplate, template_id, "email_template")
    email_templates.update_template(template, acting_user(), **changes)
    db.session.commit()
    return template


@bp.delete("/email-templates/<int:template_id>")
@bp.response(204)
def delete(template_id: int):
    """Delete an email template; 422 while a campaign is sending it."""
    template = readable_record(EmailTemplate, template_id, "email_template")
    email_templates.delete_template(template, acting_user())
    db.session.commit()


@bp.post("/email-templates/<int:template_id>/preview")
@bp.arguments(PreviewArgsSchema)
@bp.response(200, RenderedEmailSchema)
def preview(data, template_id: int):
    """The template as a contact or lead would get it (empty values without one), with
    "#" for the unsubscribe and preferences links."""
    template = readable_record(EmailTemplate, template_id, "email_template")
    person = None
    if "contact_id" in data:
        person = readable_record(Contact, data["contact_id"], "contact")
    elif "lead_id" in data:
        person = readable_record(Lead, data["lead_id"], "lead")
    return email_templates.preview(template, data["locale"], person, acting_user())
