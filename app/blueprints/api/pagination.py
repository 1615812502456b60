"""The one list format of the API: `?limit=&cursor=` plus validated filters in,
`{"data": [...], "next": "<absolute URL or null>"}` out, in id order (keyset pagination).

A resource declares its filters by subclassing ListArgs and decorates its list view:

    class CustomerFilters(ListArgs):
        status = fields.Enum(CustomerStatus, by_value=True)

    @bp.get("/customers")
    @paginated(bp, CustomerFilters, CustomerSchema)
    def index(args):
        query = sa.select(Customer).where(permissions.visible(user, "customer", Customer.owner_id))
        return paginate(query, Customer.id, args)

Unknown query parameters (an unsupported filter or sort) are refused with 422.
"""

from __future__ import annotations

import base64
import binascii

import marshmallow as ma
import sqlalchemy as sa
from flask import request, url_for
from flask_babel import lazy_gettext as _l

from app.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Cursor(ma.fields.String):
    """An opaque position in a list (base64 of the last id seen), loaded as that id."""

    default_error_messages = {"invalid": _l("Not a valid cursor.")}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise self.make_error("invalid") from None
        if not decoded.isdigit():
            raise self.make_error("invalid")
        return int(decoded)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


class ListArgs(ma.Schema):
    """Query arguments every list endpoint takes; a resource's filters subclass it."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (1-{MAX_LIMIT})."},
    )
    cursor = Cursor(
        load_default=None, metadata={"description": "Where to continue: from a `next` link."}
    )


_page_schemas: dict[type[ma.Schema], type[ma.Schema]] = {}


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The `{"data", "next"}` schema for a list of `item_schema` (one class per item type,
    so the OpenAPI document names it once, e.g. "UserPage")."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = ma.Schema.from_dict(
            {
                "data": ma.fields.List(ma.fields.Nested(item_schema), required=True),
                "next": ma.fields.String(
                    required=True,
                    allow_none=True,
                    metadata={"description": "Absolute URL of the next page; null on the last."},
                ),
            },
            name=name,
        )
    return _page_schemas[item_schema]


def paginated(bp, filters: type[ListArgs], item_schema: type[ma.Schema]):
    """Decorate a list view: it receives the validated query arguments and returns
    paginate(...)'s result, documented as a page of `item_schema`."""

    def decorate(view):
        view = bp.response(200, page_schema(item_schema))(view)
        return bp.arguments(filters, location="query", unknown=ma.RAISE)(view)

    return decorate


def paginate(query: sa.Select, id_column, args: dict) -> dict:
    """The page of `query` after args["cursor"] in `id_column` order, with the next page's
    URL (the same request with a new cursor) when more rows follow."""
    limit = args["limit"]
    if args.get("cursor") is not None:
        query = query.where(id_column > args["cursor"])
    rows = db.session.scalars(query.order_by(id_column).limit(limit + 1)).all()
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_url = _url_with_cursor(encode_cursor(getattr(rows[-1], id_column.key)))
    return {"data": rows, "next": next_url}


def _url_with_cursor(cursor: str) -> str:
    params = request.args.to_dict(flat=False)
    params["cursor"] = [cursor]
    return url_for(request.endpoint, **(request.view_args or {}), **params, _external=True)
