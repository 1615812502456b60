"""Customers over the API: list (filtered, searched), show, create, change, delete.

Every rule lives in app.services.customers (the same functions the pages call): the
visible rows, the owner the caller may assign, field checks (RecordInvalid -> 422).
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
from app.models.customers import AddressKind, Customer, CustomerSize, CustomerStatus, Rating
from app.services import customers
from app.services.validation import RecordInvalid

bp = ApiBlueprint("api_customers", __name__, tag="Customers", description="Customers (accounts).")
bp.register_error_handler(RecordInvalid, record_invalid_response)


class AddressSchema(ma.Schema):
    kind = ma.fields.Enum(AddressKind, by_value=True, load_default=AddressKind.OTHER)
    line1 = ma.fields.String(load_default="")
    line2 = ma.fields.String(load_default="")
    city = ma.fields.String(load_default="")
    region = ma.fields.String(load_default="")
    postal_code = ma.fields.String(load_default="")
    country = ma.fields.String(
        load_default="", metadata={"description": "ISO 3166 two-letter code."}
    )


class CustomerWriteSchema(ma.Schema):
    """The fields a caller may set; the service checks each (owner: only one the caller
    may assign). Creator, editor and search text are never writable."""

    name = ma.fields.String(required=True)
    company = ma.fields.String()
    industry = ma.fields.String()
    size = ma.fields.Enum(CustomerSize, by_value=True, allow_none=True)
    status = ma.fields.Enum(CustomerStatus, by_value=True)
    source = ma.fields.String()
    rating = ma.fields.Enum(Rating, by_value=True, allow_none=True)
    website = ma.fields.String()
    email = ma.fields.String()
    phone = ma.fields.String()
    description = ma.fields.String()
    owner_id = ma.fields.Integer(allow_none=True)
    custom = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "Custom field key -> value."}
    )
    addresses = ma.fields.List(
        ma.fields.Nested(AddressSchema),
        metadata={"description": "Replaces every address of the customer."},
    )


class CustomerUpdateSchema(CustomerWriteSchema):
    """PATCH: only the fields sent change."""

    name = ma.fields.String()


class CustomerSchema(CustomerWriteSchema):
    """A customer as the API shows it."""

    id = ma.fields.Integer()
    abc_class = ma.fields.String(allow_none=True)
    credit_rating = ma.fields.String(allow_none=True)
    created_by_id = ma.fields.Integer(allow_none=True)
    updated_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class CustomerListArgs(CustomFieldListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Part of the name, company, email or phone."},
    )
    status = ma.fields.Enum(CustomerStatus, by_value=True)
    rating = ma.fields.Enum(Rating, by_value=True)
    size = ma.fields.Enum(CustomerSize, by_value=True)
    industry = ma.fields.String()
    owner_id = ma.fields.Integer()
    tag = ma.fields.String(metadata={"description": "A tag name."})


def _filters(args: dict) -> customers.CustomerFilters:
    return customers.CustomerFilters(
        q=args.get("q", ""),
        status=args.get("status"),
        rating=args.get("rating"),
        size=args.get("size"),
        industry=args.get("industry", ""),
        owner_id=args.get("owner_id"),
        tag=args.get("tag", ""),
        custom=custom_filter(args, "customer"),
    )


@bp.get("/customers")
@paginated(bp, CustomerListArgs, CustomerSchema)
def index(args):
    """Customers the caller may see, filtered and searched, in id order."""
    query = customers.customers_query(acting_user(), _filters(args)).order_by(None)
    return paginate(query, Customer.id, args)


@bp.get("/customers/<int:customer_id>")
@bp.response(200, CustomerSchema)
def show(customer_id: int):
    """One customer, with its addresses."""
    return readable_record(Customer, customer_id, "customer")


@bp.post("/customers")
@bp.arguments(CustomerWriteSchema)
@bp.response(201, CustomerSchema)
def create(data):
    """Create a customer (owned by the caller unless `owner_id` says otherwise)."""
    customer = customers.create_customer(acting_user(), **data)
    db.session.commit()
    return customer


@bp.patch("/customers/<int:customer_id>")
@bp.arguments(CustomerUpdateSchema)
@bp.response(200, CustomerSchema)
def update(changes, customer_id: int):
    """Change a customer; only the fields sent change."""
    customer = readable_record(Customer, customer_id, "customer")
    customers.update_customer(customer, acting_user(), **changes)
    db.session.commit()
    return customer


@bp.delete("/customers/<int:customer_id>")
@bp.response(204)
def delete(customer_id: int):
    """Delete a customer; its contacts stay, unlinked."""
    customer = readable_record(Customer, customer_id, "customer")
    customers.delete_customer(customer, acting_user())
    db.session.commit()
