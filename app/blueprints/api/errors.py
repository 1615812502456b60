"""The API's one error shape: {"error": {"code", "message", "fields"}}.

`code` is a stable snake_case identifier ("not_found", "unprocessable_entity"), `message`
a sentence for people, `fields` maps a field name to its list of messages (validation).
This module imports nothing of the app, so app.extensions can use it.
"""

from __future__ import annotations

import re

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext
from werkzeug.exceptions import HTTPException


def api_error_response(status: int, code: str, message: str, fields: dict | None = None):
    """The JSON error response; `code` may be given as an HTTP status name ("Not Found")."""
    code = re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


def _flatten(messages, name: str) -> dict[str, list[str]]:
    """marshmallow's nested messages as {"field.sub": [...]}, one level per dot."""
    if isinstance(messages, dict):
        flat = {}
        for key, value in messages.items():
            flat.update(_flatten(value, f"{name}.{key}" if name else str(key)))
        return flat
    if isinstance(messages, list | tuple):
        # str(): messages may be lazy translations.
        return {name: [str(message) for message in messages]}
    return {name: [str(messages)]}


def validation_fields(messages: dict) -> dict[str, list[str]]:
    """Field messages from webargs' {location: {field: [...]}}; the location is dropped,
    except when the whole location failed (a body that is not JSON)."""
    fields: dict[str, list[str]] = {}
    for location, errors in (messages or {}).items():
        fields.update(_flatten(errors, "" if isinstance(errors, dict) else location))
    return fields


def http_error_response(error: HTTPException):
    """Any HTTP error raised while answering an API request, in the API's shape."""
    data = getattr(error, "data", None) or {}
    fields = validation_fields(data.get("messages") or data.get("errors") or {})
    message = data.get("message") or error.description
    if fields and not data.get("message"):
        message = gettext("Some fields are not valid.")
    elif error.code == 429:
        # Flask-Limiter's description is the limit itself, e.g. "600 per 1 minute".
        message = gettext("Too many requests (%(limit)s). Try again later.", limit=message)
    # str(): descriptions may be lazy translations.
    response, status = api_error_response(error.code or 500, error.name, str(message), fields)
    for header, value in error.get_headers():
        if header.lower() != "content-type":
            response.headers[header] = value
    response.headers.update(data.get("headers") or {})
    return response, status


def field_error_response(error: Exception):
    """A service's rule violation naming the field at fault (e.g. AccountError) -> 422."""
    field = getattr(error, "field", None) or "_schema"
    return api_error_response(
        422, "unprocessable_entity", gettext("Some fields are not valid."), {field: [str(error)]}
    )


class ErrorDetailSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable error identifier"})
    message = ma.fields.String(required=True, metadata={"description": "For people to read"})
    # Named via data_key: a marshmallow Schema already has a `fields` attribute.
    field_messages = ma.fields.Dict(
        data_key="fields",
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        required=True,
        metadata={"description": "Field name -> messages, for validation errors"},
    )


class ErrorSchema(ma.Schema):
    """Documents every error response of the API (never used to dump)."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)
