"""Contacts over the API: list (filtered, searched), show, create, change, delete.

Every rule lives in app.services.contacts: linking a contact to a customer needs the right
to edit that customer, one primary contact per customer, field checks (-> 422).
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
from app.models.customers import Contact
from app.services import contacts
from app.services.validation import RecordInvalid

bp = ApiBlueprint("api_contacts", __name__, tag="Contacts", description="People at customers.")
bp.register_error_handler(RecordInvalid, record_invalid_response)


class ContactWriteSchema(ma.Schema):
    """The fields a caller may set; creator, editor and search text are never writable."""

    customer_id = ma.fields.Integer(allow_none=True)
    first_name = ma.fields.String()
    last_name = ma.fields.String(required=True)
    email = ma.fields.String()
    phone = ma.fields.String()
    mobile = ma.fields.String()
    title = ma.fields.String()
    department = ma.fields.String()
    is_primary = ma.fields.Boolean(
        metadata={"description": "The customer's primary contact (the previous one is not)."}
    )
    owner_id = ma.fields.Integer(allow_none=True)
    custom = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "Custom field key -> value."}
    )


class ContactUpdateSchema(ContactWriteSchema):
    """PATCH: only the fields sent change."""

    last_name = ma.fields.String()


class ContactSchema(ContactWriteSchema):
    """A contact as the API shows it."""

    id = ma.fields.Integer()
    created_by_id = ma.fields.Integer(allow_none=True)
    updated_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ContactListArgs(CustomFieldListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Part of the name, email or phone numbers."},
    )
    customer_id = ma.fields.Integer()
    owner_id = ma.fields.Integer()
    tag = ma.fields.String(metadata={"description": "A tag name."})


@bp.get("/contacts")
@paginated(bp, ContactListArgs, ContactSchema)
def index(args):
    """Contacts the caller may see, filtered and searched, in id order."""
    filters = contacts.ContactFilters(
        q=args.get("q", ""),
        customer_id=args.get("customer_id"),
        owner_id=args.get("owner_id"),
        tag=args.get("tag", ""),
        custom=custom_filter(args, "contact"),
    )
    query = contacts.contacts_query(acting_user(), filters).order_by(None)
    return paginate(query, Contact.id, args)


@bp.get("/contacts/<int:contact_id>")
@bp.response(200, ContactSchema)
def show(contact_id: int):
    """One contact."""
    return readable_record(Contact, contact_id, "contact")


@bp.post("/contacts")
@bp.arguments(ContactWriteSchema)
@bp.response(201, ContactSchema)
def create(data):
    """Create a contact, with or without a customer."""
    contact = contacts.create_contact(acting_user(), **data)
    db.session.commit()
    return contact


@bp.patch("/contacts/<int:contact_id>")
@bp.arguments(ContactUpdateSchema)
@bp.response(200, ContactSchema)
def update(changes, contact_id: int):
    """Change a contact; only the fields sent change."""
    contact = readable_record(Contact, contact_id, "contact")
    contacts.update_contact(contact, acting_user(), **changes)
    db.session.commit()
    return contact


@bp.delete("/contacts/<int:contact_id>")
@bp.response(204)
def delete(contact_id: int):
    """Delete a contact."""
    contact = readable_record(Contact, contact_id, "contact")
    contacts.delete_contact(contact, acting_user())
    db.session.commit()
