"""What the business-record resources (customers, contacts, activities) share: a service's
RecordInvalid answered as the API's 422, looking up a record the caller may read, and the
custom-field filter of a list.

A record the caller may not read answers 404, exactly like one that does not exist, so
ids cannot be probed; one they may read but not change answers 403 (the service refuses).
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext
from flask_smorest import abort

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.errors import api_error_response
from app.blueprints.api.pagination import ListArgs
from app.extensions import db
from app.services import custom_fields
from app.services.validation import RecordInvalid


def record_invalid_response(error: RecordInvalid):
    """422 with every field message the service reported, in the API's `fields` shape."""
    fields = {field: [str(message)] for field, message in error.errors.items()}
    return api_error_response(
        422, "unprocessable_entity", gettext("Some fields are not valid."), fields
    )


def readable_record(model, record_id: int, entity: str):
    """The record with this id if the caller may read it; otherwise a 404."""
    record = db.session.get(model, record_id)
    if record is None or not permissions.can(acting_user(), "read", entity, record):
        abort(404, message=gettext("No such record."))
    return record


class CustomFieldListArgs(ListArgs):
    """A list's filters plus one custom field, as the pages filter (`cf_<key>` there)."""

    custom_field = ma.fields.String(
        metadata={"description": "Key of a custom field to filter on (with custom_value)."}
    )
    custom_value = ma.fields.String(
        metadata={"description": "Text fields match a part; other types the exact value."}
    )

    @ma.validates_schema
    def _both_or_neither(self, data, **kwargs):
        if ("custom_field" in data) != ("custom_value" in data):
            raise ma.ValidationError(
                gettext("Send custom_field and custom_value together."), "custom_field"
            )


def custom_filter(args: dict, entity: str) -> dict:
    """{key: value} for the list filters; an unknown key is refused, not ignored, so a
    caller never mistakes an unfiltered list for a filtered one."""
    key = args.get("custom_field")
    if key is None:
        return {}
    if key not in {field.key for field in custom_fields.fields_for(entity)}:
        abort(422, errors={"query": {"custom_field": [gettext("No such custom field.")]}})
    return {key: args["custom_value"]}
