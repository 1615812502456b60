"""The product catalogue over the API: products (list, show, create, change, delete), price
books (list, show, create) and a product's price in a book (read, set, remove).

Amounts travel as decimal strings ("1200.00") so no client rounds them through a float;
numbers are accepted on input. Every rule lives in app.services.products.
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext
from flask_smorest import abort

from app import permissions
from app.blueprints.api.auth import acting_user
from app.blueprints.api.blueprint import ApiBlueprint
from app.blueprints.api.pagination import ListArgs, paginate, paginated
from app.blueprints.api.records import readable_record, record_invalid_response
from app.extensions import db
from app.models.sales import PriceBook, Product
from app.services import price_books, products
from app.services.validation import RecordInvalid

bp = ApiBlueprint(
    "api_products", __name__, tag="Products", description="The product catalogue and price books."
)
bp.register_error_handler(RecordInvalid, record_invalid_response)


def _amount(**kwargs) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, **kwargs)


class ProductWriteSchema(ma.Schema):
    sku = ma.fields.String(
        required=True, metadata={"description": "Unique (in any case); letters, digits, -_."}
    )
    name = ma.fields.String(required=True)
    description = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "e.g. seat, hour, piece."})
    list_price = _amount(
        required=True, metadata={"description": "In the default currency, before tax."}
    )
    tax_rate = _amount(metadata={"description": 'Percent, e.g. "5.00".'})
    is_active = ma.fields.Boolean(metadata={"description": "Offered on new quotes."})


class ProductUpdateSchema(ProductWriteSchema):
    """PATCH: only the fields sent change."""

    sku = ma.fields.String()
    name = ma.fields.String()
    list_price = _amount()


class ProductSchema(ProductWriteSchema):
    id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class ProductListArgs(ListArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Part of the SKU, name or description."},
    )
    active = ma.fields.Boolean(metadata={"description": "Only active (or inactive) products."})


class PriceBookSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True)
    currency = ma.fields.String(required=True, metadata={"description": "ISO 4217 code, e.g. TWD."})
    description = ma.fields.String()
    is_active = ma.fields.Boolean()
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class PriceWriteSchema(ma.Schema):
    unit_price = _amount(required=True, metadata={"description": "In the book's currency."})


class PriceSchema(ma.Schema):
    price_book_id = ma.fields.Integer()
    product_id = ma.fields.Integer()
    currency = ma.fields.String()
    unit_price = _amount(
        allow_none=True, metadata={"description": "null: the product has no price in this book."}
    )
    source = ma.fields.String(
        allow_none=True,
        metadata={"description": "entry (set in the book), list_price (the fallback) or null."},
    )


@bp.get("/products")
@paginated(bp, ProductListArgs, ProductSchema)
def index(args):
    """Products, searched and filtered, in id order (everyone may read the catalogue)."""
    permissions.require(acting_user(), "read", "product")
    active = {True: "active", False: "inactive", None: "all"}[args.get("active")]
    filters = products.ProductFilters(q=args.get("q", ""), active=active)
    query = products.products_query(acting_user(), filters).order_by(None)
    return paginate(query, Product.id, args)


@bp.get("/products/<int:product_id>")
@bp.response(200, ProductSchema)
def show(product_id: int):
    """One product."""
    return readable_record(Product, product_id, "product")


@bp.post("/products")
@bp.arguments(ProductWriteSchema)
@bp.response(201, ProductSchema)
def create(data):
    """Add a product (managers and administrators)."""
    product = products.create_product(acting_user(), **data)
    db.session.commit()
    return product


@bp.patch("/products/<int:product_id>")
@bp.arguments(ProductUpdateSchema)
@bp.response(200, ProductSchema)
def update(changes, product_id: int):
    """Change a product; only the fields sent change (`is_active: false` takes it off sale)."""
    product = readable_record(Product, product_id, "product")
    products.update_product(product, acting_user(), **changes)
    db.session.commit()
    return product


@bp.delete("/products/<int:product_id>")
@bp.response(204)
def delete(product_id: int):
    """Delete a product with its prices; 422 while something still refers to it."""
    product = readable_record(Product, product_id, "product")
    products.delete_product(product, acting_user())
    db.session.commit()


@bp.get("/price-books")
@paginated(bp, ListArgs, PriceBookSchema)
def list_price_books(args):
    """Every price book, in id order."""
    permissions.require(acting_user(), "read", "price_book")
    return paginate(price_books.price_books_query(), PriceBook.id, args)


@bp.get("/price-books/<int:book_id>")
@bp.response(200, PriceBookSchema)
def price_book(book_id: int):
    """One price book."""
    return readable_record(PriceBook, book_id, "price_book")


@bp.post("/price-books")
@bp.arguments(PriceBookSchema)
@bp.response(201, PriceBookSchema)
def create_price_book(data):
    """Create a price book (managers and administrators)."""
    book = price_books.create_price_book(acting_user(), **data)
    db.session.commit()
    return book


def _book_and_product(book_id: int, product_id: int) -> tuple[PriceBook, Product]:
    book = readable_record(PriceBook, book_id, "price_book")
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404, message=gettext("No such record."))
    return book, product


def _price(book: PriceBook, product: Product) -> dict:
    entry = price_books.entry_for(book, product)
    price = price_books.price_for(product, book)
    source = "entry" if entry is not None else ("list_price" if price is not None else None)
    return {
        "price_book_id": book.id,
        "product_id": product.id,
        "currency": book.currency,
        "unit_price": price,
        "source": source,
    }


@bp.get("/price-books/<int:book_id>/prices/<int:product_id>")
@bp.response(200, PriceSchema)
def price(book_id: int, product_id: int):
    """What the product costs in this book: its entry, else its list price when the book is
    in the default currency, else null."""
    return _price(*_book_and_product(book_id, product_id))


@bp.put("/price-books/<int:book_id>/prices/<int:product_id>")
@bp.arguments(PriceWriteSchema)
@bp.response(200, PriceSchema)
def set_price(data, book_id: int, product_id: int):
    """Set the product's price in this book (adding or changing its entry)."""
    book, product = _book_and_product(book_id, product_id)
    price_books.set_price(book, product, data["unit_price"], acting_user())
    db.session.commit()
    return _price(book, product)


@bp.delete("/price-books/<int:book_id>/prices/<int:product_id>")
@bp.response(204)
def remove_price(book_id: int, product_id: int):
    """Take the product out of this book (it falls back to its list price, if any)."""
    book, product = _book_and_product(book_id, product_id)
    price_books.remove_price(book, product, acting_user())
    db.session.commit()
